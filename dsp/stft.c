/* stft: plan-once FFTW streaming analysis/synthesis (see stft.h). */
#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct stft {
  int n, hop, bins;
  float *win_a;    /* analysis window, n */
  float *win_s;    /* synthesis window incl. 1/n FFT scale and WOLA normalisation, n */
  float *history;  /* last n input samples, oldest first */
  float *frame;    /* FFT time-domain buffer, n (FFTW-aligned) */
  fftwf_complex *spec; /* FFT frequency buffer, bins (FFTW-aligned) */
  float *ola;      /* overlap-add accumulator, n */
  fftwf_plan fwd, inv;
};

struct stft *stft_create(int n, int hop, unsigned flags) {
  if (n < 16 || (n & (n - 1)) || hop <= 0 || hop > n / 2 || n % hop) return NULL;
  struct stft *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->n = n;
  s->hop = hop;
  s->bins = n / 2 + 1;
  s->win_a = calloc(n, sizeof(float));
  s->win_s = calloc(n, sizeof(float));
  s->history = calloc(n, sizeof(float));
  s->ola = calloc(n, sizeof(float));
  s->frame = fftwf_alloc_real(n);
  s->spec = fftwf_alloc_complex(s->bins);
  if (!s->win_a || !s->win_s || !s->history || !s->ola || !s->frame || !s->spec) {
    stft_destroy(s);
    return NULL;
  }
  s->fwd = fftwf_plan_dft_r2c_1d(n, s->frame, s->spec, flags);
  s->inv = fftwf_plan_dft_c2r_1d(n, s->spec, s->frame, flags);
  if (!s->fwd || !s->inv) {
    stft_destroy(s);
    return NULL;
  }
  /* Periodic sqrt-Hann analysis window. The synthesis window divides it by the sum of
   * squared analysis windows over all hop shifts, so analysis x synthesis overlap-adds
   * to exactly one at every sample (least-squares WOLA, Griffin & Lim 1984); in double
   * so the normalisation itself adds no error. */
  double *sum = calloc(hop, sizeof(double));
  if (!sum) {
    stft_destroy(s);
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    double w = sqrt(0.5 - 0.5 * cos(2.0 * M_PI * i / n));
    s->win_a[i] = (float)w;
    sum[i % hop] += w * w;
  }
  for (int i = 0; i < n; i++)
    s->win_s[i] = (float)(s->win_a[i] / (sum[i % hop] * n));
  free(sum);
  return s;
}

void stft_destroy(struct stft *s) {
  if (!s) return;
  if (s->fwd) fftwf_destroy_plan(s->fwd);
  if (s->inv) fftwf_destroy_plan(s->inv);
  fftwf_free(s->frame);
  fftwf_free(s->spec);
  free(s->win_a);
  free(s->win_s);
  free(s->history);
  free(s->ola);
  free(s);
}

int stft_fft_size(const struct stft *s) { return s->n; }
int stft_hop_size(const struct stft *s) { return s->hop; }
int stft_bins(const struct stft *s) { return s->bins; }

void stft_reset(struct stft *s) {
  memset(s->history, 0, s->n * sizeof(float));
  memset(s->ola, 0, s->n * sizeof(float));
}

void stft_analyze(struct stft *s, const float *in, float complex *spectrum) {
  const int n = s->n, hop = s->hop;
  memmove(s->history, s->history + hop, (n - hop) * sizeof(float));
  memcpy(s->history + n - hop, in, hop * sizeof(float));
  for (int i = 0; i < n; i++) s->frame[i] = s->history[i] * s->win_a[i];
  fftwf_execute(s->fwd);
  memcpy(spectrum, s->spec, s->bins * sizeof(fftwf_complex));
}

const float *stft_dry_hop(const struct stft *s) { return s->history; }

void stft_synthesize(struct stft *s, const float complex *spectrum, float *out) {
  const int n = s->n, hop = s->hop;
  memcpy(s->spec, spectrum, s->bins * sizeof(fftwf_complex));
  fftwf_execute(s->inv);
  for (int i = 0; i < n; i++) s->ola[i] += s->frame[i] * s->win_s[i];
  /* The oldest hop now has every frame that covers it: it is finished. */
  memcpy(out, s->ola, hop * sizeof(float));
  memmove(s->ola, s->ola + hop, (n - hop) * sizeof(float));
  memset(s->ola + n - hop, 0, hop * sizeof(float));
}
