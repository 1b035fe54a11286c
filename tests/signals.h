/* signals: deterministic test signals and error measures shared by the unit tests. */
#ifndef HUSHD_TEST_SIGNALS_H
#define HUSHD_TEST_SIGNALS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "xorshift.h"

/* xorshift32 uniform in [-1, 1): the same sequence on every machine */
static inline float sig_uniform(uint32_t *state) { return (float)xorshift_uniform(state); }

/* Gaussian via Box-Muller on the same generator */
static inline float sig_gauss(uint32_t *state) {
  double u1 = (sig_uniform(state) + 1.0) / 2.0 + 1e-12, u2 = (sig_uniform(state) + 1.0) / 2.0;
  return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

/* linear chirp from f0 to f1 Hz over n samples, amplitude amp */
static inline void sig_chirp(float *x, size_t n, int rate, double f0, double f1, double amp) {
  double T = (double)n / rate;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / rate;
    x[i] = (float)(amp * sin(2.0 * M_PI * (f0 * t + 0.5 * (f1 - f0) * t * t / T)));
  }
}

/* Error of y against x delayed by `delay` samples, over [from, to) of y, in dB relative
 * to the signal's power there. */
static inline double sig_error_db(const float *x, const float *y, size_t delay, size_t from,
                                  size_t to) {
  double e = 0, s = 0;
  for (size_t i = from; i < to; i++) {
    double ref = i >= delay ? x[i - delay] : 0.0;
    e += (y[i] - ref) * (y[i] - ref);
    s += ref * ref;
  }
  return 10.0 * log10((e + 1e-300) / (s + 1e-300));
}

#endif
