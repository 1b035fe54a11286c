/* noise: the model's steps, top-down in noise_update (see noise.h).
 *
 *  - start: until NOISE_START_S of whole frames are in, the estimate is their running
 *    mean, held under the minimum-statistics floor (so speech at the start does not
 *    set it);
 *  - tracking: speech-presence-probability based noise PSD estimation (Gerkmann &
 *    Hendriks 2012), each bin's posterior probability of speech weighting how much of
 *    the new periodogram enters the estimate; constants per 16 ms, rescaled to the hop;
 *  - change detection: the estimate is held under the minimum-statistics floor (an
 *    estimate too high comes down at the first pause; a drop of the noise is followed at
 *    once), and jumps to the minimum since the tracker began to take most bins for
 *    speech when that stays well above it (the noise rose: the SPP tracker alone would
 *    take it for speech for minutes); after a change, the floor holds the estimate as
 *    closely as at the start for a while; an estimate left under the floor for
 *    seconds climbs back to it slowly;
 *  - learning: the per-bin mean/spread of the dB level over a stretch of frames;
 *  - profiles: the model to and from text.
 * The measurements behind each constant are in docs/QUALITY.md.
 */
#include "noise.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastmath.h"
#include "minstat.h"
#include "noise_internal.h"

#define NOISE_START_S 0.25f  /* averaging period for the first estimate */
#define SPP_XI_H1 31.62f     /* a-priori SNR under speech presence: 15 dB */
#define SPP_CAP 0.99f        /* stagnation guard of the presence probability */
#define PSD_SMOOTH_16MS 0.99f /* noise PSD smoothing per 16 ms (a 1.6 s time constant) */
/* after a profile was learned or loaded, the tracker trusts it and follows slow drift */
#define PSD_SMOOTH_LEARNED_16MS 0.99f
#define SNAP_DB 3.f          /* an estimate this far above the floor ... */
#define CEILING_EARLY_S 2.f  /* ... in the first seconds of a stream ... */
#define SNAP_LATE_DB 10.f    /* ... (or this far, later) ... */
#define SNAP_TO_DB 1.5f      /* ... comes down to this far above it (see ceiling_step) */
#define CEILING_MIN_S 0.2f   /* ... once the floor's window is this long (or at the start) */
#define DROP_RATIO 0.15f      /* a bin's power this far under the estimate (-8.2 dB) ... */
#define DROP_FRACTION 0.6f    /* ... in this share of the bins (Gaussian noise: 9.5 %) ... */
#define DROP_S 0.2f           /* ... for this long: the noise dropped (see drop_step) */
#define RISE_BUSY_FRACTION 0.5f /* while the tracker takes this share of the bins for speech */
#define RISE_SKIP_S 0.1f     /* ... for this long (a step's ramp and the smoothing) ... */
#define RISE_DB 5.f          /* ... the minimum since then this far above the estimate ... */
#define RISE_OVER_FLOOR_DB 3.f /* ... and this far above the whole window's floor ... */
#define RISE_FRACTION 0.5f   /* ... in this share of the bins ... */
#define RISE_S 0.3f          /* ... over this long: the noise rose */
#define RISE_SHAPE_DB 8.f    /* the most spread over the bins of a rise's dB ratio */
#define PROVISIONAL_S 0.1f   /* meanwhile, after this long, ... */
#define PROVISIONAL_DB -6.f  /* ... the gate's estimate is at least this far under it */
#define SETTLE_S 1.5f        /* after a change, the start's ceiling holds this long */
#define RECOVER_UNDER_DB 2.f /* an estimate this far under the floor, the floor's window full, ... */
#define RECOVER_HOLD_S 2.f   /* ... for this long ... */
#define RECOVER_DB_PER_S 3.f /* ... rises at this rate, up to the floor (see recover_step) */
#define NOISE_TINY 1e-20f     /* keeps the mean power above 0 */
#define TRACK_S 0.016f        /* period of the tracker's update of one bin */
#define MINSTAT_FULL_SUBWINDOWS 8 /* the floor's window is full (see minstat.c) */

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
  int block;                  /* the block the next frame updates */
  float alpha_psd, alpha_spp; /* smoothing constants per update of a bin */
  float alpha_learned;        /* PSD smoothing once a profile was learned or loaded */
  float ceiling, ceiling_late, snap_to, rise, rise_floor; /* the *_DB above as ratios */
  float recover_under, recover_step; /* RECOVER_UNDER_DB, the rise per cycle, as ratios */
  int recover_hold;                  /* RECOVER_HOLD_S in cycles */
  unsigned short *under;             /* cycles each bin has been under the floor */
  int early_frames;           /* CEILING_EARLY_S in frames */
  int settle_frames, settle_left; /* SETTLE_S in frames; frames of it left */
  int ceiling_cycles;         /* CEILING_MIN_S in cycles of the floor */
  int learned;                /* 1 after learning or loading a learned profile */
  float *lambda;              /* tracked mean noise power, bins */
  float *mean;                /* running mean periodogram during the start, bins */
  float *inv;                 /* 1 / (lambda spread), bins: what the gate reads */
  float *spread;              /* the gate's threshold factor from the noise's spread */
  float *onset;               /* the gate's onset test factor (noise_onset_scale) */
  float *spp_avg;             /* smoothed speech presence probability, bins */
  float *std_db;              /* spread of the noise level, bins */
  struct minstat *ms;         /* minimum-statistics floor */
  unsigned epoch;
  int frames_seen;            /* whole frames taken into the estimate (saturates) */
  int *risen;                 /* bins whose minimum since is far above the estimate, per block */
  int risen_sum;              /* their sum over the blocks */
  float rise_fraction;
  int rise_skip, rise_hold;   /* RISE_SKIP_S, RISE_S in frames */
  int *busy;                  /* bins likely speech at the last update, per block */
  int busy_sum;
  int busy_frames;            /* frames the sum stayed above RISE_BUSY_FRACTION */
  float *shape;               /* the rise's dB ratio sum and square sum, 2 per block */
  float shape_sum[2], shape_var; /* their sums; RISE_SHAPE_DB squared, in log2 units */
  int provisional_frames;     /* PROVISIONAL_S in frames */
  float provisional;          /* PROVISIONAL_DB as a ratio */
  float busy_fraction;
  int *quiet;                 /* bins far below the estimate at the last update, per block */
  int quiet_sum, quiet_frames, drop_frames; /* as risen_*, for a drop of the noise */
  int frames_in;              /* frames offered, partial ones included (up to skip_frames) */
  int learn_left, learn_total;
  double *learn_db, *learn_db2; /* per-bin sums while learning */
};

static float db_ratio(float db) { return powf(10.f, db / 10.f); }

struct noise *noise_create(int bins, float hop_s, int frames_per_window) {
  struct noise *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->bins = bins;
  /* Each bin is updated once per TRACK_S at short hops (the published method's own
   * frame period), a block of bins per hop: the estimate is as good and the cost per hop
   * is a fraction. */
  n->blocks = (int)lrintf(TRACK_S / hop_s);
  if (n->blocks < 1) n->blocks = 1;
  if (n->blocks > bins) n->blocks = bins;
  float cycle_s = n->blocks * hop_s;
  n->lambda = calloc(bins, sizeof(float));
  n->mean = calloc(bins, sizeof(float));
  n->inv = calloc(bins, sizeof(float));
  n->spread = calloc(bins, sizeof(float));
  n->onset = calloc(bins, sizeof(float));
  n->spp_avg = calloc(bins, sizeof(float));
  n->risen = calloc(n->blocks, sizeof(int));
  n->quiet = calloc(n->blocks, sizeof(int));
  n->busy = calloc(n->blocks, sizeof(int));
  n->shape = calloc(2 * (size_t)n->blocks, sizeof(float));
  n->std_db = calloc(bins, sizeof(float));
  n->under = calloc(bins, sizeof *n->under);
  n->learn_db = calloc(bins, sizeof(double));
  n->learn_db2 = calloc(bins, sizeof(double));
  n->ms = minstat_create(bins, cycle_s);
  if (!n->lambda || !n->mean || !n->inv || !n->spread || !n->onset || !n->risen ||
      !n->quiet || !n->busy || !n->shape || !n->spp_avg || !n->std_db || !n->learn_db ||
      !n->learn_db2 || !n->ms || !n->under) {
    noise_destroy(n);
    return NULL;
  }
  float r = cycle_s / 0.016f;
  n->alpha_psd = powf(PSD_SMOOTH_16MS, r);
  n->alpha_learned = powf(PSD_SMOOTH_LEARNED_16MS, r);
  n->alpha_spp = powf(0.9f, r);
  n->ceiling = db_ratio(SNAP_DB);
  n->ceiling_late = db_ratio(SNAP_LATE_DB);
  n->snap_to = db_ratio(SNAP_TO_DB);
  n->early_frames = (int)lrintf(CEILING_EARLY_S / hop_s);
  n->rise = db_ratio(RISE_DB);
  n->recover_under = db_ratio(RECOVER_UNDER_DB);
  n->recover_hold = (int)lrintf(RECOVER_HOLD_S / cycle_s);
  n->recover_step = db_ratio(RECOVER_DB_PER_S * cycle_s);
  n->drop_frames = (int)lrintf(DROP_S / hop_s);
  n->rise_floor = db_ratio(RISE_OVER_FLOOR_DB);
  n->rise_fraction = RISE_FRACTION;
  n->busy_fraction = RISE_BUSY_FRACTION;
  n->ceiling_cycles = (int)lrintf(CEILING_MIN_S / cycle_s);
  n->skip_frames = frames_per_window > 1 ? frames_per_window - 1 : 0;
  n->start_frames = (int)lrintf(NOISE_START_S / hop_s);
  if (n->start_frames < 1) n->start_frames = 1;
  n->rise_hold = (int)lrintf(RISE_S / hop_s);
  n->rise_skip = (int)lrintf(RISE_SKIP_S / hop_s);
  n->settle_frames = (int)lrintf(SETTLE_S / hop_s);
  n->provisional_frames = (int)lrintf(PROVISIONAL_S / hop_s);
  n->provisional = db_ratio(PROVISIONAL_DB);
  n->shape_var = (RISE_SHAPE_DB / 3.0103f) * (RISE_SHAPE_DB / 3.0103f);
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
  free(n->mean);
  free(n->inv);
  free(n->spread);
  free(n->onset);
  free(n->spp_avg);
  free(n->risen);
  free(n->quiet);
  free(n->busy);
  free(n->shape);
  free(n->std_db);
  free(n->under);
  free(n->learn_db);
  free(n->learn_db2);
  minstat_destroy(n->ms);
  free(n);
}

/* The gate's threshold factors for a noise whose level in a bin has this spread (from a
 * learned profile; 1 for the adaptive model): noise that fluctuates more than Gaussian
 * noise (5.57 dB) needs higher thresholds to stay shut, steadier noise (hum) allows lower
 * ones: both thresholds move 1 dB per dB of spread below Gaussian. Above it, the a
 * priori SNR test moves SPREAD_XI_SLOPE dB per dB (in babble, crowds and modulated
 * noise the decision-directed SNR rises on the noise's own bursts), the onset test
 * (raw power over the noise: a word's onset rises far above any of them) only
 * SPREAD_ONSET_SLOPE. */
static void spread_factors(struct noise *n, int k) {
  float d = n->std_db[k] - EXP_STD_DB;
  d = d > SPREAD_MAX_DB ? SPREAD_MAX_DB : d < -SPREAD_MAX_DB ? -SPREAD_MAX_DB : d;
  float xi_db = d > 0 ? SPREAD_XI_SLOPE * d : d;
  xi_db = xi_db > SPREAD_MAX_DB ? SPREAD_MAX_DB : xi_db;
  n->spread[k] = db_ratio(xi_db);
  float onset_db = d > 0 ? SPREAD_ONSET_SLOPE * d : d;
  n->onset[k] = db_ratio(xi_db - onset_db);
}

/* Makes lambda and std_db (set by the caller) the model: a learned profile, or an
 * adaptive one that the tracker goes on from as if it had made it. */
static void model_from_profile(struct noise *n, int learned) {
  for (int k = 0; k < n->bins; k++) {
    if (!learned) n->std_db[k] = EXP_STD_DB;
    spread_factors(n, k);
    n->inv[k] = 1.f / (n->lambda[k] * n->spread[k]);
    n->spp_avg[k] = 0;
  }
  memset(n->risen, 0, n->blocks * sizeof *n->risen);
  memset(n->quiet, 0, n->blocks * sizeof *n->quiet);
  memset(n->under, 0, n->bins * sizeof *n->under);
  n->risen_sum = n->busy_frames = n->quiet_sum = n->quiet_frames = n->settle_left = 0;
  n->frames_seen = n->early_frames;
  n->learned = learned;
  minstat_reset(n->ms);
  n->epoch++;
}

/* Learning is not per hop in the hot path of a running daemon (it runs for a second
 * when asked), so it may use log10. */
static void learn_step(struct noise *n, const float *power) {
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
  model_from_profile(n, 1);
}

/* Start: the running mean periodogram of all bins (the floor below holds it down in the
 * bins it has seen). */
static void start_step(struct noise *n, const float *power) {
  float w = 1.f / (float)(n->frames_seen + 1);
  for (int k = 0; k < n->bins; k++) {
    n->mean[k] += w * (power[k] - n->mean[k]);
    n->lambda[k] = n->mean[k] + NOISE_TINY;
    n->inv[k] = 1.f / (n->lambda[k] * n->spread[k]);
  }
}

/* Tracking: SPP-MMSE update of the bins [k0, k1). Returns how many of them were far
 * below the estimate (power < DROP_RATIO x its mean); *busy: how many are likely speech. */
static int track_step(struct noise *n, const float *power, int k0, int k1, int *busy) {
  const float xi = SPP_XI_H1;
  /* p = 1 / (1 + (1 + xi) e^(-post xi/(1+xi))), written with 2^x */
  const float g = -(xi / (1.f + xi)) * (float)M_LOG2E;
  const float a = n->learned ? n->alpha_learned : n->alpha_psd, as = n->alpha_spp;
  float *restrict lambda = n->lambda, *restrict spp = n->spp_avg;

  int low = 0, likely = 0;
  for (int k = k0; k < k1; k++) {
    float lam = lambda[k];
    /* the tracker's own estimate, not the gate's (inv: a rise may hold it higher) */
    float post = power[k] / lam;
    float p = 1.f / (1.f + (1.f + xi) * fast_exp2f(post * g));
    low += post < DROP_RATIO;
    likely += p > 0.5f;
    float s = as * spp[k] + (1.f - as) * p;
    spp[k] = s;
    p = (s > SPP_CAP) & (p > SPP_CAP) ? SPP_CAP : p;
    float est = (1.f - p) * power[k] + p * lam;
    lambda[k] = a * lam + (1.f - a) * est + NOISE_TINY;
  }
  *busy = likely;
  return low;
}

static void publish(struct noise *n, int k0, int k1) {
  for (int k = k0; k < k1; k++) n->inv[k] = 1.f / (n->lambda[k] * n->spread[k]);
}

/* Change detection, falling. An estimate more than SNAP_DB above the compensated minimum
 * in the first CEILING_EARLY_S of a stream (SNAP_LATE_DB later) was set by speech (or by
 * a louder noise that has gone): it comes down to the floor times SNAP_TO_DB at once.
 * Closer to the floor it is left to the tracker: noise that is not Gaussian (babble,
 * crowds, modulated noise) keeps its mean well above its minimum's Gaussian
 * compensation. Before the floor's window is CEILING_MIN_S long it is not trusted
 * (except at the start). */
static void ceiling_step(struct noise *n, int k0, int k1) {
  if (n->frames_seen >= n->start_frames &&
      minstat_window_cycles(n->ms) < n->ceiling_cycles)
    return;
  const float *restrict floor = minstat_floor(n->ms);
  float *restrict lambda = n->lambda;
  const float hi =
      n->frames_seen < n->early_frames || n->settle_left ? n->ceiling : n->ceiling_late;
  /* after the start, for the rest of the early stretch, an estimate over the ceiling is
   * only held at it: babble, crowds and modulated noise sit above their Gaussian-
   * compensated minimum, and speech at the start has been snapped down already */
  const float to =
      n->frames_seen >= n->start_frames && n->frames_seen < n->early_frames ? hi : n->snap_to;
  for (int k = k0; k < k1; k++) {
    float f = floor[k];
    lambda[k] = lambda[k] > f * hi ? f * to : lambda[k];
  }
}

/* Recovery: a tracker left under the noise (pulled down at the start under crowd, babble
 * or modulated noise, or a rise the rise test missed) takes the noise for speech and
 * never climbs back. The floor is a minimum over its whole window; an estimate
 * RECOVER_UNDER_DB under it for RECOVER_HOLD_S more (longer than speech holds a floor
 * up) is under the noise: it rises RECOVER_DB_PER_S, never past the floor. */
static void recover_step(struct noise *n, int k0, int k1) {
  if (minstat_window_cycles(n->ms) < MINSTAT_FULL_SUBWINDOWS * minstat_subwindow_cycles(n->ms))
    return;
  const float *restrict floor = minstat_floor(n->ms);
  float *restrict lambda = n->lambda;
  const float under = n->recover_under, step = n->recover_step;
  const int hold = n->recover_hold;
  unsigned short *restrict cnt = n->under;
  for (int k = k0; k < k1; k++) {
    float f = floor[k], l = lambda[k] * step;
    l = l > f ? f : l;
    int c = lambda[k] * under < f ? cnt[k] + (cnt[k] < 65535) : 0;
    cnt[k] = (unsigned short)c;
    lambda[k] = c > hold ? l : lambda[k];
  }
}

/* Change detection, falling: noise never falls far under its own mean in most bins at
 * once, so when DROP_FRACTION of the bins stay DROP_RATIO (10 dB) under the estimate for
 * DROP_S, the whole estimate steps down by the drop that share implies. */
static void drop_step(struct noise *n, int quiet) {
  n->quiet_sum += quiet - n->quiet[n->block];
  n->quiet[n->block] = quiet;
  n->quiet_frames = n->quiet_sum > DROP_FRACTION * n->bins ? n->quiet_frames + 1 : 0;
  if (n->quiet_frames <= n->drop_frames) return;
  /* for exponentially distributed power of mean `level` times the estimate, a share q
   * of the bins lies under DROP_RATIO when level = -DROP_RATIO / ln(1 - q); speech in
   * some bins only makes q smaller (the step smaller) */
  float q = (float)n->quiet_sum / (float)n->bins;
  q = q > 0.99f ? 0.99f : q;
  float level = -DROP_RATIO / logf(1.f - q);
  for (int k = 0; k < n->bins; k++) n->lambda[k] = n->lambda[k] * level + NOISE_TINY;
  publish(n, 0, n->bins);
  memset(n->quiet, 0, n->blocks * sizeof *n->quiet); /* counted against the old level */
  n->quiet_sum = n->quiet_frames = 0;
  n->settle_left = n->settle_frames;
}

/* Change detection, rising: the SPP tracker takes a louder noise for speech in most bins
 * and stays under it. Ordinary speech leaves most bins to the noise (at 48 kHz the
 * tracker takes 5-17 % of them for speech), a louder noise takes them all. When the
 * tracker has taken RISE_BUSY_FRACTION of the bins for RISE_SKIP_S, the floor starts a
 * minimum from then on. While the tracker stays busy and that minimum lies alike over
 * the estimate in all bins (a louder noise raises every bin by about as much: the dB
 * ratio's spread over the bins under RISE_SHAPE_DB; speech raises its formants far more
 * than the rest), the gate is given at least PROVISIONAL_DB under it after
 * PROVISIONAL_S; when, RISE_S after the start, the minimum stays RISE_DB above the
 * estimate and RISE_OVER_FLOOR_DB above the whole window's floor (so the noise changed
 * within the window: a steady stream of clicks keeps both alike) in RISE_FRACTION of the
 * bins, the estimate jumps to it and the floor forgets the quieter past. */
static void rise_step(struct noise *n, int k0, int k1) {
  if (n->busy_sum <= n->busy_fraction * n->bins ||
      minstat_window_cycles(n->ms) < 2 * minstat_subwindow_cycles(n->ms)) {
    n->busy_frames = 0;
    return;
  }
  if (n->busy_frames++ == n->rise_skip) {
    minstat_since_start(n->ms);
    memset(n->risen, 0, n->blocks * sizeof *n->risen);
    memset(n->shape, 0, 2 * n->blocks * sizeof *n->shape);
    n->risen_sum = 0;
    n->shape_sum[0] = n->shape_sum[1] = 0;
  }
  if (n->busy_frames <= n->rise_skip) return;
  const float *restrict since = minstat_since(n->ms), *restrict floor = minstat_floor(n->ms);
  const float *restrict lambda = n->lambda;
  const float b = minstat_since_bias(n->ms), r = n->rise / b, rf = n->rise_floor / b;
  int risen = 0;
  float s1 = 0, s2 = 0; /* sums of log2(minimum / estimate) and of its square */
  for (int k = k0; k < k1; k++) {
    risen += (since[k] > lambda[k] * r) & (since[k] > floor[k] * rf);
    float d = fast_log2f(since[k] * b / lambda[k]);
    s1 += d;
    s2 += d * d;
  }
  float *shape = n->shape + 2 * n->block;
  n->risen_sum += risen - n->risen[n->block];
  n->risen[n->block] = risen;
  n->shape_sum[0] += s1 - shape[0];
  n->shape_sum[1] += s2 - shape[1];
  shape[0] = s1;
  shape[1] = s2;
  const float mean = n->shape_sum[0] / n->bins;
  if (n->shape_sum[1] / n->bins - mean * mean > n->shape_var) return;
  if (n->busy_frames > n->rise_skip + n->provisional_frames) {
    const float pb = b * n->provisional;
    for (int k = k0; k < k1; k++) {
      float l = since[k] * pb > lambda[k] ? since[k] * pb : lambda[k];
      n->inv[k] = 1.f / (l * n->spread[k]);
    }
  }
  if (n->busy_frames <= n->rise_skip + n->rise_hold ||
      n->risen_sum <= n->rise_fraction * n->bins)
    return;
  for (int k = 0; k < n->bins; k++)
    if (since[k] * b > n->lambda[k]) n->lambda[k] = since[k] * b;
  publish(n, 0, n->bins);
  minstat_restart_from_since(n->ms);
  n->busy_frames = 0;
  n->settle_left = n->settle_frames;
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
    if (!n->frames_seen) start_step(n, power);
    return;
  }
  if (n->learn_left) learn_step(n, power);
  if (!adapt && n->frames_seen) return;
  const int b = n->block;
  const int k0 = (int)((long)n->bins * b / n->blocks);
  const int k1 = (int)((long)n->bins * (b + 1) / n->blocks);
  minstat_update(n->ms, power, k0, k1);
  if (n->frames_seen < n->start_frames) {
    start_step(n, power);
    ceiling_step(n, 0, n->bins);
    publish(n, 0, n->bins);
  } else {
    /* a learned profile is trusted: only slow drift and a drop move it (the floor's
     * ceiling and the rise test cost 0.1 and 0.5 dB with --learn 1 on the dev set) */
    int busy, quiet = track_step(n, power, k0, k1, &busy);
    n->busy_sum += busy - n->busy[n->block];
    n->busy[n->block] = busy;
    if (!n->learned) ceiling_step(n, k0, k1);
    if (!n->learned) recover_step(n, k0, k1);
    publish(n, k0, k1);
    drop_step(n, quiet);
    if (!n->learned) rise_step(n, k0, k1);
  }
  if (++n->block == n->blocks) {
    n->block = 0;
    minstat_cycle(n->ms);
  }
  if (n->frames_seen < INT_MAX) n->frames_seen++;
  if (n->settle_left) n->settle_left--;
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
  EMIT("hushd-noise-profile 2\nkind %s\nrate %d\nfft %d\nbins %d\n",
       n->learned ? "learned" : "adaptive", rate, fft, n->bins);
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
  if (version != 1 && version != 2) {
    snprintf(err, errlen, "noise profile version %d is not supported (expected 1 or 2)",
             version);
    return -1;
  }
  text += off;
  /* version 1 had no kind: its profiles were learned ones */
  int learned = 1;
  if (version == 2) {
    char kind[16];
    if (sscanf(text, " kind %15s%n", kind, &off) != 1 ||
        (strcmp(kind, "adaptive") && strcmp(kind, "learned"))) {
      snprintf(err, errlen, "noise profile line 2 is not 'kind adaptive' or 'kind learned'");
      return -1;
    }
    learned = !strcmp(kind, "learned");
    text += off;
  }
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
    const int line = k + (version == 2 ? 6 : 5);
    int got = sscanf(text, " %f %f%n", &mean[k], &sd[k], &off);
    const char *why = got != 2                               ? "is not 'power_db std_db'"
                      : !isfinite(mean[k]) || !isfinite(sd[k]) ? "holds a value that is not finite"
                      : sd[k] < 0 || mean[k] > 200 ? "is out of range (power_db <= 200, std_db >= 0)"
                                                   : NULL;
    if (why) {
      snprintf(err, errlen, "noise profile line %d (bin %d) %s", line, k, why);
      free(mean);
      free(sd);
      return -1;
    }
    text += off;
  }
  for (int k = 0; k < b; k++) mean[k] = powf(10.f, mean[k] / 10.f);
  noise_set_model(n, mean, sd, learned);
  free(mean);
  free(sd);
  return 0;
}

void noise_set_model(struct noise *n, const float *mean_power, const float *std_db,
                     int learned) {
  for (int k = 0; k < n->bins; k++) {
    n->lambda[k] = mean_power[k] + NOISE_TINY;
    n->std_db[k] = std_db[k];
  }
  model_from_profile(n, learned);
}

int noise_is_learned(const struct noise *n) { return n->learned; }

void noise_test_set_frames_seen(struct noise *n, int frames) { n->frames_seen = frames; }
