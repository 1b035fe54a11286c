/* stft: plan-once FFTW streaming analysis/synthesis (see stft.h). */
#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Both the input history and the overlap-add accumulator are rings of fft_size samples
 * whose read/write position moves by one hop per call (a hop divides fft_size, so a hop
 * never wraps): nothing is shifted per hop, and every per-sample loop below is a plain
 * multiply over at most two contiguous stretches that the compiler vectorizes. */
struct stft {
  int n, hop, bins;
  int pos;         /* history: ring index of the oldest sample of the window */
  int ola_pos;     /* ola: ring index of the next output hop */
  int spec_align;  /* fftwf_alignment_of the planned spectrum */
  float *win_a;    /* analysis window, n */
  float *win_s;    /* synthesis window incl. 1/n FFT scale and WOLA normalisation, n */
  float *history;  /* ring of the last n input samples */
  float *frame;    /* FFT time-domain buffer, n (FFTW-aligned) */
  fftwf_complex *spec; /* FFT frequency buffer, bins (FFTW-aligned) */
  float *ola;      /* ring of overlap-add sums, n */
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
  s->spec_align = fftwf_alignment_of((float *)s->spec);
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
  s->pos = s->ola_pos = 0;
}

/* dst = a * b, len samples */
static void mul(float *restrict dst, const float *restrict a, const float *restrict b,
                int len) {
  for (int i = 0; i < len; i++) dst[i] = a[i] * b[i];
}

/* acc += a * b, len samples */
static void mul_add(float *restrict acc, const float *restrict a, const float *restrict b,
                    int len) {
  for (int i = 0; i < len; i++) acc[i] += a[i] * b[i];
}

static int fft_aligned(const struct stft *s, float complex *spectrum) {
  return fftwf_alignment_of((float *)spectrum) == s->spec_align;
}

void stft_analyze(struct stft *s, const float *in, float complex *spectrum) {
  const int n = s->n, hop = s->hop;
  /* The new hop replaces the oldest; the window then starts one hop later. */
  memcpy(s->history + s->pos, in, hop * sizeof(float));
  s->pos = (s->pos + hop) % n;
  const int tail = n - s->pos; /* window samples before the ring wraps */
  mul(s->frame, s->history + s->pos, s->win_a, tail);
  mul(s->frame + tail, s->history, s->win_a + tail, s->pos);
  if (fft_aligned(s, spectrum)) {
    fftwf_execute_dft_r2c(s->fwd, s->frame, (fftwf_complex *)spectrum);
  } else {
    fftwf_execute(s->fwd);
    memcpy(spectrum, s->spec, s->bins * sizeof(fftwf_complex));
  }
}

const float *stft_dry_hop(const struct stft *s) { return s->history + s->pos; }

void stft_synthesize(struct stft *s, float complex *spectrum, float *out) {
  const int n = s->n, hop = s->hop, pos = s->ola_pos;
  if (fft_aligned(s, spectrum)) {
    fftwf_execute_dft_c2r(s->inv, (fftwf_complex *)spectrum, s->frame);
  } else {
    memcpy(s->spec, spectrum, s->bins * sizeof(fftwf_complex));
    fftwf_execute(s->inv);
  }
  /* The frame's first sample lines up with the next output hop. */
  const int tail = n - pos;
  mul_add(s->ola + pos, s->frame, s->win_s, tail);
  mul_add(s->ola, s->frame + tail, s->win_s + tail, pos);
  /* The oldest hop now has every frame that covers it: it is finished, and its place
   * in the ring becomes the newest, still empty, hop. */
  memcpy(out, s->ola + pos, hop * sizeof(float));
  memset(s->ola + pos, 0, hop * sizeof(float));
  s->ola_pos = (pos + hop) % n;
}
