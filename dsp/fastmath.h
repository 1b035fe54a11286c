/* fastmath: exp2/log2 approximations for per-bin loops on the audio thread.
 *
 * libm's expf/logf/powf are calls, so a loop over 513 bins that uses one is not
 * vectorized and pays about 8-10 ns per bin; these are branch-free, call-free inline
 * code (adds, multiplies, one division in log2, integer bit moves) that gcc vectorizes
 * at -O3 with plain SSE2, at about 1 ns per bin or less.
 *
 * Accuracy (tests/test-fastmath.c sweeps and asserts it):
 *   fast_exp2f(x): relative error < 3e-7 for x in [-126, 126]; x is clamped to that
 *                  range (inf and NaN too), so the result is always a normal float.
 *   fast_log2f(x): error < 2e-7 * max(1, |log2 x|) for positive normal floats x
 *                  (>= 1.2e-38);
 *                  0, negative, denormal, inf and NaN inputs give meaningless but finite
 *                  values and never trap, so add a floor (p + 1e-20f) when x may be 0.
 * The wrappers below add the float rounding of their scaled argument: over
 * [-200, 200] dB, dB -> power is within 5e-6 relative, power -> dB within 3e-5 dB, and
 * fast_expf within 5e-6 relative for x in [-50, 50].
 *
 * Pure functions: no state, safe on any thread, RT-safe.
 */
#ifndef HUSHD_FASTMATH_H
#define HUSHD_FASTMATH_H

#include <stdint.h>
#include <string.h>

static inline float fm_from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t fm_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* 2^x: x = n + f with n integer and f in [-0.5, 0.5]; 2^f by a degree-5 polynomial
 * (near-minimax for relative error), 2^n written into the exponent bits. */
static inline float fast_exp2f(float x) {
  /* |x| <= 126 (NaN and inf included) by clamping the magnitude bits as an integer:
   * a float comparison here would let gcc split the loop body into branches, which
   * its vectorizer refuses (-ftrapping-math) */
  uint32_t bits = fm_to_bits(x), mag = bits & 0x7fffffffu;
  mag = mag > 0x42fc0000u ? 0x42fc0000u : mag;
  x = fm_from_bits((bits & 0x80000000u) | mag);
  /* round to nearest without a call: adding 1.5 * 2^23 pushes the fraction out of the
   * mantissa (needs strict float evaluation, as gcc does on x86-64 without -ffast-math) */
  const float magic = 12582912.f;
  float n = (x + magic) - magic;
  float f = x - n;
  float p = 0.00132647238f;
  p = p * f + 0.00967151299f;
  p = p * f + 0.0555073358f;
  p = p * f + 0.240222424f;
  p = p * f + 0.693147004f;
  p = p * f + 1.f;
  return p * fm_from_bits((uint32_t)((int32_t)n + 127) << 23);
}

/* log2 x: x = 2^e * m with m in [sqrt(1/2), sqrt(2)); log2 m = 2 atanh(t) / ln 2 with
 * t = (m - 1) / (m + 1), |t| <= 0.172, by an odd polynomial of degree 7. */
static inline float fast_log2f(float x) {
  uint32_t bits = fm_to_bits(x);
  /* exponent relative to sqrt(1/2) (0x3f3504f3), so that m lands around 1 */
  int32_t e = (int32_t)(bits - 0x3f3504f3u) >> 23;
  float m = fm_from_bits(bits - ((uint32_t)e << 23));
  float t = (m - 1.f) / (m + 1.f), t2 = t * t;
  float p = 0.59897387f;
  p = p * t2 + 0.961470783f;
  p = p * t2 + 2.88539124f;
  return (float)e + p * t;
}

/* e^x */
static inline float fast_expf(float x) { return fast_exp2f(x * 1.44269504f); }

/* 10^(db/10): a level in dB to a power ratio */
static inline float fast_db_to_power(float db) { return fast_exp2f(db * 0.332192809f); }

/* 10 log10(p): a power ratio to a level in dB */
static inline float fast_power_to_db(float p) { return fast_log2f(p) * 3.01029996f; }

#endif
