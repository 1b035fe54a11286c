/* noise: adaptive tracker, learning and profiles (see noise.h).
 *
 * The adaptive tracker is speech-presence-probability based noise PSD estimation
 * (Gerkmann & Hendriks 2012): with a fixed a-priori SNR for speech presence (15 dB),
 * each bin's posterior probability of speech weights how much of the new periodogram
 * enters the noise estimate. The published smoothing constants (0.8 for the PSD, 0.9
 * for the presence average) are per 16 ms hop; they are rescaled to this hop
 * (a' = a^(hop/16 ms)), otherwise speech leaks into the estimate. The PSD smoothing
 * is much longer than published (0.99 instead of 0.8 per 16 ms: a 1.6 s time constant,
 * like the window of minimum statistics): with a short one the estimate wanders by a
 * few dB in noise, every dip becomes false keeps in the gate, and speech-like noise
 * (babble, crowds) and level swings pull it around (ΔSI-SDR on the dev set: 0.8 +5.3 dB,
 * 0.95 +6.0 dB, 0.99 +6.4 dB; 0.995 loses on rising noise).
 *
 * Its weakness is a step up of the noise: the presence probability then says "speech"
 * in every bin and the estimate stays low (the published cap of 0.99 frees it only
 * after minutes at this smoothing). Speech is sparse: it never makes speech likely in
 * STUCK_FRACTION of all bins for STUCK_S on end. When that happens, the noise changed,
 * and the tracker starts afresh as at the start of a stream.
 *
 * A drop of the noise it follows only with its 1.6 s time constant: a word 600 ms after
 * a 12 dB drop lost 8.6 dB. Noise never falls far under its own mean in most bins at
 * once, so when DROP_FRACTION of the bins stay DROP_RATIO (10 dB) under the estimate for
 * DROP_S, the whole estimate steps down by the drop that share implies (not a fresh
 * start: the mean periodogram it starts from would take in clicks or speech again).
 * Modulated noise (13 dB deep on the dev set) stays clear of it.
 *
 * A recursive tracker needs a start: it cannot rise from an estimate far below the
 * noise, because every bin then looks like speech. So it starts from the running mean
 * periodogram of the first NOISE_START_S of whole frames (the frames before them are
 * partly the STFT's initial zeros and are skipped). An estimate made too high by
 * speech in that time falls back within a few hundred ms; one made too low by a short
 * average would stay low, which is why the average is a quarter second long.
 */
#include "noise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastmath.h"

#define NOISE_START_S 0.25f  /* averaging period for the first estimate */
#define SPP_XI_H1 31.62f     /* a-priori SNR under speech presence: 15 dB */
#define SPP_CAP 0.99f        /* stagnation guard of the presence probability */
#define PSD_SMOOTH_16MS 0.99f /* noise PSD smoothing per 16 ms (see above) */
#define STUCK_FRACTION 0.6f   /* share of bins with speech likely, that speech never fills */
#define STUCK_S 1.0f          /* ... for this long: the tracker starts afresh */
#define DROP_RATIO 0.1f       /* a bin's power this far under the estimate (-10 dB) ... */
#define DROP_FRACTION 0.6f    /* ... in this share of the bins (Gaussian noise: 9.5 %) ... */
#define DROP_S 0.2f           /* ... for this long: the noise dropped (see noise_update) */
/* After a profile was learned or loaded, the tracker trusts it and follows only slow
 * drift (1.6 s time constant): babble, crowds and modulated noise otherwise pull the
 * estimate around (ΔSI-SDR +0.4 dB with --learn 1 on the dev set). */
#define PSD_SMOOTH_LEARNED_16MS 0.99f
#define NOISE_TINY 1e-20f     /* keeps the mean power above 0 */
#define TRACK_S 0.016f        /* period of the tracker's update of one bin */

/* For exponentially distributed bin power (Gaussian noise) the dB level has a standard
 * deviation of 5.57 dB (the spread the adaptive model reports) and a mean 2.51 dB under
 * that of the mean power. */
#define EXP_STD_DB 5.572f
#define EXP_MEAN_OFFSET_DB (-2.507f)
#define SPREAD_MAX_DB 10.f /* the most a learned spread moves the gate's thresholds */
/* dB of the a priori SNR threshold and of the onset threshold per dB of learned spread
 * above Gaussian noise's: see spread_factors() */
#define SPREAD_XI_SLOPE 1.5f
#define SPREAD_ONSET_SLOPE 0.75f

struct noise {
  int bins;
  int skip_frames;            /* partial frames at the start (fft/hop - 1) */
  int start_frames;           /* frames averaged for the first estimate */
  int blocks;                 /* the tracker updates 1/blocks of the bins per hop */
  float alpha_psd, alpha_spp; /* smoothing constants per update of a bin */
  float alpha_learned;        /* PSD smoothing once a profile was learned or loaded */
  int learned;                /* 1 after learning or loading a profile */
  float *lambda;              /* tracked mean noise power, bins */
  float *inv;                 /* 1 / (lambda spread), bins: what the gate reads */
  float *spread;              /* the gate's threshold factor from the noise's spread */
  float *onset;               /* the gate's onset test factor (noise_onset_scale) */
  float *spp_avg;             /* smoothed speech presence probability, bins */
  float *std_db;              /* spread of the noise level, bins */
  unsigned epoch;
  int frames_seen;            /* whole frames taken into the estimate */
  int *busy;                  /* bins likely speech at the last update, per block */
  int busy_sum;               /* their sum over the blocks */
  int busy_frames, stuck_frames; /* frames the sum stayed above the fraction; limit */
  int *quiet;                 /* bins far below the estimate at the last update, per block */
  int quiet_sum, quiet_frames, drop_frames; /* as busy_*, for a drop of the noise */
  int frames_in;              /* frames offered, partial ones included */
  int learn_left, learn_total;
  double *learn_db, *learn_db2; /* per-bin sums while learning */
};

struct noise *noise_create(int bins, float hop_s, int frames_per_window) {
  struct noise *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->bins = bins;
  n->lambda = calloc(bins, sizeof(float));
  n->inv = calloc(bins, sizeof(float));
  n->spread = calloc(bins, sizeof(float));
  n->onset = calloc(bins, sizeof(float));
  n->spp_avg = calloc(bins, sizeof(float));
  n->busy = calloc(bins, sizeof(int));
  n->quiet = calloc(bins, sizeof(int));
  n->std_db = calloc(bins, sizeof(float));
  n->learn_db = calloc(bins, sizeof(double));
  n->learn_db2 = calloc(bins, sizeof(double));
  if (!n->lambda || !n->inv || !n->spread || !n->onset || !n->busy || !n->quiet ||
      !n->spp_avg || !n->std_db || !n->learn_db || !n->learn_db2) {
    noise_destroy(n);
    return NULL;
  }
  /* Each bin is updated once per TRACK_S at short hops (the published method's own
   * frame period), a block of bins per hop: the estimate is as good and the cost per hop
   * is a fraction. */
  n->blocks = (int)lrintf(TRACK_S / hop_s);
  if (n->blocks < 1) n->blocks = 1;
  if (n->blocks > bins) n->blocks = bins;
  float r = n->blocks * hop_s / 0.016f;
  n->alpha_psd = powf(PSD_SMOOTH_16MS, r);
  n->alpha_learned = powf(PSD_SMOOTH_LEARNED_16MS, r);
  n->alpha_spp = powf(0.9f, r);
  n->skip_frames = frames_per_window > 1 ? frames_per_window - 1 : 0;
  n->start_frames = (int)lrintf(NOISE_START_S / hop_s);
  n->stuck_frames = (int)lrintf(STUCK_S / hop_s);
  n->drop_frames = (int)lrintf(DROP_S / hop_s);
  if (n->start_frames < 1) n->start_frames = 1;
  for (int k = 0; k < bins; k++) {
    n->std_db[k] = EXP_STD_DB;
    n->spread[k] = 1.f;
    n->onset[k] = 1.f;
  }
  return n;
}

void noise_destroy(struct noise *n) {
  if (!n) return;
  free(n->lambda);
  free(n->inv);
  free(n->spread);
  free(n->onset);
  free(n->spp_avg);
  free(n->busy);
  free(n->quiet);
  free(n->std_db);
  free(n->learn_db);
  free(n->learn_db2);
  free(n);
}

/* Learning is not per hop in the hot path of a running daemon (it runs for a second
 * when asked), so it may use log10. */
/* The gate's threshold factors for a noise whose level in a bin has this spread (from a
 * learned profile; 1 for the adaptive model): noise that fluctuates more than Gaussian
 * noise (5.57 dB) needs higher thresholds to stay shut, steadier noise (hum) allows lower
 * ones: both thresholds move 1 dB per dB of spread below Gaussian. Above it, the a
 * priori SNR test moves SPREAD_XI_SLOPE dB per dB (in babble, crowds and modulated
 * noise the decision-directed SNR rises on the noise's own bursts), the onset test
 * (raw power over the noise: a word's onset rises far above any of them) only
 * SPREAD_ONSET_SLOPE. --learn 1 on the dev set: a slope of 1 everywhere +6.50 dB, mus
 * +0.52; 1.5 for both tests and below Gaussian too +6.55 dB but mus +0.62 (musical
 * noise on white noise, whose measured spread is a little under 5.57 dB); 1.5 / 1
 * +6.52 dB, mus +0.52; 1.5 / 0.75 +6.51 dB, mus +0.49; 2 / 0.75 +6.49 dB, +0.49;
 * 1.5 / 0.5 +6.50 dB, +0.47. */
static void spread_factors(struct noise *n, int k) {
  float d = n->std_db[k] - EXP_STD_DB;
  d = d > SPREAD_MAX_DB ? SPREAD_MAX_DB : d < -SPREAD_MAX_DB ? -SPREAD_MAX_DB : d;
  float xi_db = d > 0 ? SPREAD_XI_SLOPE * d : d;
  xi_db = xi_db > SPREAD_MAX_DB ? SPREAD_MAX_DB : xi_db;
  n->spread[k] = powf(10.f, xi_db / 10.f);
  float onset_db = d > 0 ? SPREAD_ONSET_SLOPE * d : d;
  n->onset[k] = powf(10.f, (xi_db - onset_db) / 10.f);
}

/* Makes lambda and std_db (set by the caller) the model: a learned or loaded profile
 * that the tracker continues from. */
static void model_from_profile(struct noise *n) {
  for (int k = 0; k < n->bins; k++) {
    spread_factors(n, k);
    n->inv[k] = 1.f / (n->lambda[k] * n->spread[k]);
    n->spp_avg[k] = 0;
  }
  n->frames_seen = n->start_frames + 1;
  n->learned = 1;
  n->epoch++;
}

static void learn_frame(struct noise *n, const float *power) {
  for (int k = 0; k < n->bins; k++) {
    double db = 10.0 * log10(power[k] + 1e-20);
    n->learn_db[k] += db;
    n->learn_db2[k] += db * db;
  }
  if (--n->learn_left) return;
  /* Learned model: the mean and the spread of the dB levels over the learned frames.
   * The mean power is taken from the mean dB level as for Gaussian noise: a geometric
   * mean, which a few clicks or knocks in the learned second do not pull up (the
   * arithmetic mean would). The tracker continues from it. */
  double cnt = n->learn_total;
  for (int k = 0; k < n->bins; k++) {
    double m = n->learn_db[k] / cnt;
    double var = n->learn_db2[k] / cnt - m * m;
    n->std_db[k] = (float)sqrt(var > 0 ? var : 0);
    n->lambda[k] = (float)pow(10.0, (m - EXP_MEAN_OFFSET_DB) / 10.0) + NOISE_TINY;
  }
  model_from_profile(n);
}

static void start_frame(struct noise *n, const float *power) {
  float w = 1.f / (float)(n->frames_seen + 1);
  for (int k = 0; k < n->bins; k++) {
    n->lambda[k] += w * (power[k] - n->lambda[k]);
    n->inv[k] = 1.f / ((n->lambda[k] + NOISE_TINY) * n->spread[k]);
  }
}

/* SPP-MMSE update of the bins [k0, k1). Returns how many of them are likely speech;
 * *quiet: how many were far below the estimate (power < DROP_RATIO x its mean). */
static int track_frame(struct noise *n, const float *power, int k0, int k1, int *quiet) {
  const float xi = SPP_XI_H1;
  /* p = 1 / (1 + (1 + xi) e^(-post xi/(1+xi))), written with 2^x */
  const float g = -(xi / (1.f + xi)) * (float)M_LOG2E;
  const float a = n->learned ? n->alpha_learned : n->alpha_psd, as = n->alpha_spp;
  float *restrict lambda = n->lambda, *restrict inv = n->inv, *restrict spp = n->spp_avg;
  const float *restrict spread = n->spread;
  int busy = 0, low = 0;
  for (int k = k0; k < k1; k++) {
    float lam = lambda[k];
    float post = power[k] * inv[k] * spread[k];
    float p = 1.f / (1.f + (1.f + xi) * fast_exp2f(post * g));
    busy += p > 0.5f;
    low += post < DROP_RATIO;
    float s = as * spp[k] + (1.f - as) * p;
    spp[k] = s;
    p = (s > SPP_CAP) & (p > SPP_CAP) ? SPP_CAP : p;
    float est = (1.f - p) * power[k] + p * lam;
    lam = a * lam + (1.f - a) * est + NOISE_TINY;
    lambda[k] = lam;
    inv[k] = 1.f / (lam * spread[k]);
  }
  *quiet = low;
  return busy;
}

/* 1 when every value is exactly 0 (partial sums: the loop vectorizes) */
#define ZERO_LANES 8
static int all_zero(const float *x, int n) {
  float part[ZERO_LANES] = {0};
  int i = 0;
  for (; i + ZERO_LANES <= n; i += ZERO_LANES)
    for (int j = 0; j < ZERO_LANES; j++) part[j] += x[i + j];
  for (; i < n; i++) part[0] += x[i];
  float sum = 0;
  for (int j = 0; j < ZERO_LANES; j++) sum += part[j];
  return sum == 0.f;
}

void noise_update(struct noise *n, const float *power, int adapt) {
  /* Digital silence (a muted input, the zeros before a stream's first sound) says
   * nothing about the noise: the model stays as it is, and a stream's model does not
   * depend on how long it was silent before. */
  if (all_zero(power, n->bins)) return;
  if (n->frames_in < n->skip_frames) {
    /* a partial frame: only keeps the gate from keeping everything until the start */
    n->frames_in++;
    if (!n->frames_seen) start_frame(n, power);
    return;
  }
  if (n->learn_left) learn_frame(n, power);
  if (!adapt && n->frames_seen) return;
  if (n->frames_seen < n->start_frames) {
    start_frame(n, power);
  } else {
    int b = n->frames_seen % n->blocks;
    int quiet;
    int busy = track_frame(n, power, (int)((long)n->bins * b / n->blocks),
                           (int)((long)n->bins * (b + 1) / n->blocks), &quiet);
    n->busy_sum += busy - n->busy[b];
    n->busy[b] = busy;
    n->busy_frames = n->busy_sum > STUCK_FRACTION * n->bins ? n->busy_frames + 1 : 0;
    n->quiet_sum += quiet - n->quiet[b];
    n->quiet[b] = quiet;
    n->quiet_frames = n->quiet_sum > DROP_FRACTION * n->bins ? n->quiet_frames + 1 : 0;
    if (n->quiet_frames > n->drop_frames) {
      /* The noise dropped: for exponentially distributed power of mean `level` times the
       * estimate, a share q of the bins lies under DROP_RATIO when level = -DROP_RATIO /
       * ln(1 - q). Speech in some bins only makes q smaller (the step smaller). */
      float q = (float)n->quiet_sum / (float)n->bins;
      q = q > 0.99f ? 0.99f : q;
      float level = -DROP_RATIO / logf(1.f - q);
      for (int k = 0; k < n->bins; k++) {
        n->lambda[k] = n->lambda[k] * level + NOISE_TINY;
        n->inv[k] = 1.f / (n->lambda[k] * n->spread[k]);
      }
      memset(n->quiet, 0, n->blocks * sizeof *n->quiet); /* counted against the old level */
      n->quiet_sum = 0;
      n->quiet_frames = 0;
    }
    if (n->busy_frames > n->stuck_frames) {
      n->busy_frames = 0;
      n->frames_seen = 0; /* the next frame starts a new estimate */
      return;
    }
  }
  n->frames_seen++;
}

void noise_learn_start(struct noise *n, int frames) {
  if (frames <= 0) return;
  memset(n->learn_db, 0, n->bins * sizeof(double));
  memset(n->learn_db2, 0, n->bins * sizeof(double));
  /* partial frames still to come are not learned: they count as learned time */
  int partial = n->skip_frames - n->frames_in;
  if (partial > 0) frames = frames > partial + 1 ? frames - partial : 1;
  n->learn_total = n->learn_left = frames;
}

int noise_learning(const struct noise *n) { return n->learn_left; }
const float *noise_mean_power(const struct noise *n) { return n->lambda; }
const float *noise_inv_power(const struct noise *n) { return n->inv; }
const float *noise_std_db(const struct noise *n) { return n->std_db; }
const float *noise_onset_scale(const struct noise *n) { return n->onset; }
unsigned noise_std_epoch(const struct noise *n) { return n->epoch; }

size_t noise_profile_save(const struct noise *n, int rate, int fft, char *buf, size_t len) {
  size_t used = 0;
#define EMIT(...)                                                        \
  do {                                                                   \
    int w = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0, \
                     __VA_ARGS__);                                       \
    used += w > 0 ? (size_t)w : 0;                                       \
  } while (0)
  EMIT("hushd-noise-profile 1\nrate %d\nfft %d\nbins %d\n", rate, fft, n->bins);
  for (int k = 0; k < n->bins; k++)
    EMIT("%.4f %.4f\n", 10.0 * log10(n->lambda[k] + 1e-30), n->std_db[k]);
#undef EMIT
  return used;
}

int noise_profile_load(struct noise *n, int rate, int fft, const char *text, char *err,
                       size_t errlen) {
  int version, r, f, b, off;
  if (sscanf(text, "hushd-noise-profile %d%n", &version, &off) != 1) {
    snprintf(err, errlen, "not a hushd noise profile");
    return -1;
  }
  if (version != 1) {
    snprintf(err, errlen, "noise profile version %d is not supported (expected 1)", version);
    return -1;
  }
  text += off;
  if (sscanf(text, " rate %d fft %d bins %d%n", &r, &f, &b, &off) != 3) {
    snprintf(err, errlen, "noise profile header is incomplete (rate, fft, bins)");
    return -1;
  }
  if (r != rate || f != fft || b != n->bins) {
    snprintf(err, errlen,
             "noise profile is for %d Hz, fft %d; this stream is %d Hz, fft %d", r, f, rate,
             fft);
    return -1;
  }
  text += off;
  float *mean = calloc(b, sizeof(float)), *sd = calloc(b, sizeof(float));
  if (!mean || !sd) {
    free(mean);
    free(sd);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  for (int k = 0; k < b; k++) {
    if (sscanf(text, " %f %f%n", &mean[k], &sd[k], &off) != 2 || !isfinite(mean[k]) ||
        !isfinite(sd[k]) || sd[k] < 0 || mean[k] > 200) {
      snprintf(err, errlen, "noise profile line %d (bin %d) is not 'power_db std_db'", k + 5,
               k);
      free(mean);
      free(sd);
      return -1;
    }
    text += off;
  }
  for (int k = 0; k < b; k++) mean[k] = powf(10.f, mean[k] / 10.f);
  noise_set_model(n, mean, sd);
  free(mean);
  free(sd);
  return 0;
}

void noise_set_model(struct noise *n, const float *mean_power, const float *std_db) {
  for (int k = 0; k < n->bins; k++) {
    n->lambda[k] = mean_power[k] + NOISE_TINY;
    n->std_db[k] = std_db[k];
  }
  model_from_profile(n);
}
