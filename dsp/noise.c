/* noise: adaptive tracker, learning and profiles (see noise.h).
 *
 * The adaptive tracker is speech-presence-probability based noise PSD estimation
 * (Gerkmann & Hendriks 2012): with a fixed a-priori SNR for speech presence, each bin's
 * posterior probability of speech weights how much of the new periodogram enters the
 * noise estimate. The published smoothing constants are per 16 ms hop; they are rescaled
 * to this hop (a' = a^(hop/16 ms)), otherwise speech leaks into the estimate.
 */
#include "noise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* For exponentially distributed bin power (Gaussian noise), the dB level has mean
 * 10log10(mean power) - 2.51 dB and standard deviation 5.57 dB. */
#define EXP_MEAN_OFFSET_DB (-2.507f)
#define EXP_STD_DB 5.572f

struct noise {
  int bins;
  float alpha_psd, alpha_spp; /* per-hop smoothing constants */
  float *lambda;              /* tracked mean noise power, bins */
  float *spp_avg;             /* smoothed speech presence probability, bins */
  float *mean_power;          /* 10^(mean_db/10), bins: what the gate reads */
  float *std_db;              /* bins */
  float mean_offset;          /* mean_power / lambda, from the model's kind */
  unsigned epoch;
  int frames_seen;
  int learn_left, learn_total;
  double *learn_sum, *learn_sum2; /* per-bin sums of dB and dB^2 while learning */
};

struct noise *noise_create(int bins, float hop_s) {
  struct noise *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->bins = bins;
  n->lambda = calloc(bins, sizeof(float));
  n->spp_avg = calloc(bins, sizeof(float));
  n->mean_power = calloc(bins, sizeof(float));
  n->std_db = calloc(bins, sizeof(float));
  n->learn_sum = calloc(bins, sizeof(double));
  n->learn_sum2 = calloc(bins, sizeof(double));
  if (!n->lambda || !n->spp_avg || !n->mean_power || !n->std_db || !n->learn_sum ||
      !n->learn_sum2) {
    noise_destroy(n);
    return NULL;
  }
  float r = hop_s / 0.016f;
  n->alpha_psd = powf(0.8f, r);
  n->alpha_spp = powf(0.9f, r);
  n->mean_offset = powf(10.f, EXP_MEAN_OFFSET_DB / 10.f);
  for (int k = 0; k < bins; k++) n->std_db[k] = EXP_STD_DB;
  return n;
}

void noise_destroy(struct noise *n) {
  if (!n) return;
  free(n->lambda);
  free(n->spp_avg);
  free(n->mean_power);
  free(n->std_db);
  free(n->learn_sum);
  free(n->learn_sum2);
  free(n);
}

static void publish(struct noise *n) {
  for (int k = 0; k < n->bins; k++) n->mean_power[k] = n->lambda[k] * n->mean_offset;
}

static void learn_frame(struct noise *n, const float *power) {
  for (int k = 0; k < n->bins; k++) {
    double db = 10.0 * log10(power[k] + 1e-20);
    n->learn_sum[k] += db;
    n->learn_sum2[k] += db * db;
  }
  if (--n->learn_left) return;
  /* Learned model: mean and spread of the dB levels over the learned frames. The
   * tracker continues from the learned mean power. */
  double cnt = n->learn_total;
  for (int k = 0; k < n->bins; k++) {
    double m = n->learn_sum[k] / cnt;
    double var = n->learn_sum2[k] / cnt - m * m;
    n->std_db[k] = (float)sqrt(var > 0 ? var : 0);
    n->mean_power[k] = (float)pow(10.0, m / 10.0);
    n->lambda[k] = n->mean_power[k];
  }
  n->mean_offset = 1.f;
  n->frames_seen = 1;
  n->epoch++;
}

void noise_update(struct noise *n, const float *power, int adapt) {
  if (n->learn_left) learn_frame(n, power);
  if (!adapt && n->frames_seen) return;
  if (n->frames_seen == 0) {
    /* Fast start: the first frame is the first estimate. */
    memcpy(n->lambda, power, n->bins * sizeof(float));
    n->frames_seen = 1;
    publish(n);
    return;
  }
  const float xi = 31.62f; /* a-priori SNR under speech presence: 15 dB */
  const float g = xi / (1.f + xi);
  const float a = n->alpha_psd, as = n->alpha_spp;
  for (int k = 0; k < n->bins; k++) {
    float lam = n->lambda[k] + 1e-20f;
    float post = power[k] / lam;
    float p = 1.f / (1.f + (1.f + xi) * expf(-post * g));
    n->spp_avg[k] = as * n->spp_avg[k] + (1.f - as) * p;
    if (n->spp_avg[k] > 0.99f && p > 0.99f) p = 0.99f; /* avoid stagnation */
    float est = (1.f - p) * power[k] + p * lam;
    n->lambda[k] = a * lam + (1.f - a) * est;
  }
  n->frames_seen++;
  publish(n);
}

void noise_learn_start(struct noise *n, int frames) {
  if (frames <= 0) return;
  memset(n->learn_sum, 0, n->bins * sizeof(double));
  memset(n->learn_sum2, 0, n->bins * sizeof(double));
  n->learn_total = n->learn_left = frames;
}

int noise_learning(const struct noise *n) { return n->learn_left; }
const float *noise_mean_power(const struct noise *n) { return n->mean_power; }
const float *noise_std_db(const struct noise *n) { return n->std_db; }
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
    EMIT("%.4f %.4f\n", 10.0 * log10(n->mean_power[k] + 1e-30), n->std_db[k]);
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
      snprintf(err, errlen, "noise profile line %d (bin %d) is not 'mean_db std_db'", k + 5,
               k);
      free(mean);
      free(sd);
      return -1;
    }
    text += off;
  }
  for (int k = 0; k < b; k++) {
    n->mean_power[k] = powf(10.f, mean[k] / 10.f);
    n->lambda[k] = n->mean_power[k];
    n->std_db[k] = sd[k];
  }
  free(mean);
  free(sd);
  n->mean_offset = 1.f;
  n->frames_seen = 1;
  n->epoch++;
  return 0;
}

void noise_set_model(struct noise *n, const float *mean_power, const float *std_db) {
  memcpy(n->mean_power, mean_power, n->bins * sizeof(float));
  memcpy(n->lambda, mean_power, n->bins * sizeof(float));
  memcpy(n->std_db, std_db, n->bins * sizeof(float));
  n->mean_offset = 1.f;
  n->frames_seen = 1;
  n->epoch++;
}
