/* pinknoise: the demo's and the benchmark's pink noise, one generator for both. */
#ifndef HUSHD_PINKNOISE_H
#define HUSHD_PINKNOISE_H

#include <stddef.h>
#include <stdint.h>

#include "xorshift.h"

/* Fills x with Paul Kellet's economy pink filter (about -3 dB/octave) on white noise
 * and returns its mean power. */
static inline double pink_noise(float *x, size_t n, uint32_t *seed) {
  double b0 = 0, b1 = 0, b2 = 0, power = 0;
  for (size_t i = 0; i < n; i++) {
    double w = xorshift_uniform(seed);
    b0 = 0.99765 * b0 + w * 0.0990460;
    b1 = 0.96300 * b1 + w * 0.2965164;
    b2 = 0.57000 * b2 + w * 1.0526913;
    x[i] = (float)(b0 + b1 + b2 + w * 0.1848);
    power += (double)x[i] * x[i];
  }
  return n ? power / (double)n : 0;
}

#endif
