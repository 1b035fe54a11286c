/* impulse: block energies of a second difference and their peak ratio (see impulse.h). */
#include "impulse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 64

struct impulse {
  int block;               /* samples per block */
  int blocks;              /* blocks in the span */
  float ring[MAX_BLOCKS];  /* energy of the last `blocks` whole blocks */
  int pos;                 /* next ring slot */
  float acc;               /* energy of the block being filled */
  int filled;              /* its samples so far */
  float x1, x2;            /* the two samples before the next one */
  float *d2;               /* scratch: squared second differences, max_samples */
  int max_samples;
};

struct impulse *impulse_create(int rate_hz, int max_samples) {
  struct impulse *im = calloc(1, sizeof *im);
  if (!im) return NULL;
  im->block = (int)lrintf(IMPULSE_BLOCK_MS * 0.001f * rate_hz);
  if (im->block < 1) im->block = 1;
  im->blocks = (int)lrintf(IMPULSE_SPAN_MS / IMPULSE_BLOCK_MS);
  if (im->blocks > MAX_BLOCKS) im->blocks = MAX_BLOCKS;
  im->max_samples = max_samples;
  im->d2 = calloc(max_samples > 0 ? max_samples : 1, sizeof(float));
  if (!im->d2) {
    free(im);
    return NULL;
  }
  return im;
}

void impulse_destroy(struct impulse *im) {
  if (!im) return;
  free(im->d2);
  free(im);
}

void impulse_feed(struct impulse *im, const float *restrict x, int n) {
  if (n > im->max_samples) n = im->max_samples;
  if (n <= 0) return;
  float *restrict d2 = im->d2;
  /* the first two need the previous call's samples; the rest is a plain loop that
   * vectorizes */
  float a = x[0] - 2.f * im->x1 + im->x2;
  d2[0] = a * a;
  if (n > 1) {
    float b = x[1] - 2.f * x[0] + im->x1;
    d2[1] = b * b;
  }
  for (int i = 2; i < n; i++) {
    float c = x[i] - 2.f * x[i - 1] + x[i - 2];
    d2[i] = c * c;
  }
  im->x2 = n > 1 ? x[n - 2] : im->x1;
  im->x1 = x[n - 1];
  for (int i = 0; i < n;) {
    int take = im->block - im->filled;
    if (take > n - i) take = n - i;
    float s = 0;
    for (int j = 0; j < take; j++) s += d2[i + j];
    im->acc += s;
    im->filled += take;
    i += take;
    if (im->filled == im->block) {
      im->ring[im->pos] = im->acc;
      im->pos = im->pos + 1 == im->blocks ? 0 : im->pos + 1;
      im->acc = 0;
      im->filled = 0;
    }
  }
}

float impulse_peak_ratio(const struct impulse *im) {
  float max = 0, sum = 0;
  for (int i = 0; i < im->blocks; i++) {
    float v = im->ring[i];
    sum += v;
    max = v > max ? v : max;
  }
  return sum > 0 ? max * (float)im->blocks / sum : 1.f;
}
