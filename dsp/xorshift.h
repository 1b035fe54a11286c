/* xorshift: a seeded uniform generator, the same sequence on every machine (Marsaglia's
 * xorshift32), for generated test and demo signals; never used on the audio path. */
#ifndef HUSHD_XORSHIFT_H
#define HUSHD_XORSHIFT_H

#include <stdint.h>

/* Uniform in [-1, 1); the state must not be 0. */
static inline double xorshift_uniform(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x / 2147483648.0 - 1.0;
}

#endif
