/* test-impulse: the click detector's peak ratio on clicks, fricatives and steady noise,
 * and its independence from how the samples are split into calls. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "impulse.h"
#include "signals.h"

#define RATE 48000
#define HOP 256

static double db(double r) { return 10.0 * log10(r); }

/* Feeds n samples in calls of `chunk` and returns the peak ratio in dB afterwards. */
static double feed_db(const float *x, size_t n, int chunk, int rate) {
  struct impulse *im = impulse_create(rate, HOP);
  assert_non_null(im);
  for (size_t i = 0; i < n; i += (size_t)chunk)
    impulse_feed(im, x + i, (int)(n - i < (size_t)chunk ? n - i : (size_t)chunk));
  double r = db(impulse_peak_ratio(im));
  impulse_destroy(im);
  return r;
}

/* A keyboard-like click (1 ms of noise and a ringing 2.5 kHz decay) 4 ms before the end
 * of 50 ms of quiet white noise: the newest 16 ms have one loud block. */
static void test_click_over_quiet_noise_is_above_10db(void **state) {
  (void)state;
  size_t n = RATE / 20, at = n - RATE * 4 / 1000;
  float *x = calloc(n, sizeof *x);
  uint32_t seed = 3;
  for (size_t i = 0; i < n; i++) x[i] = 0.001f * sig_gauss(&seed);
  for (size_t i = 0; i < RATE / 1000; i++) x[at + i] += 0.3f * sig_gauss(&seed);
  for (size_t i = 0; at + i < n; i++)
    x[at + i] +=
        (float)(0.2 * exp(-(double)i / (RATE * 0.002)) * sin(2 * M_PI * 2500.0 * i / RATE));
  double r = feed_db(x, n, HOP, RATE);
  print_message("click: %.1f dB\n", r);
  assert_true(r > 10.0);
  free(x);
}

/* A fricative-like hiss (white noise rising over 5 ms, then steady) starting 12 ms
 * before the end: its energy is spread over the newest blocks, under 7 dB (the gate's
 * TRANSIENT_PEAK_DB). */
static void test_fricative_onset_is_below_7db(void **state) {
  (void)state;
  size_t n = RATE / 20, at = n - RATE * 12 / 1000, ramp = RATE / 200;
  float *x = calloc(n, sizeof *x);
  uint32_t seed = 5;
  for (size_t i = 0; i < n; i++) x[i] = 0.0005f * sig_gauss(&seed);
  for (size_t i = 0; at + i < n; i++)
    x[at + i] += (float)(0.1 * (i < ramp ? (double)i / ramp : 1.0) * sig_gauss(&seed));
  double r = feed_db(x, n, HOP, RATE);
  print_message("fricative onset: %.1f dB\n", r);
  assert_true(r < 7.0);
  free(x);
}

/* Steady white noise: every block alike within chance (3.6 dB here: the loudest of 24
 * blocks of 32 samples). */
static void test_steady_noise_is_below_5db(void **state) {
  (void)state;
  size_t n = RATE / 5;
  float *x = calloc(n, sizeof *x);
  uint32_t seed = 9;
  for (size_t i = 0; i < n; i++) x[i] = 0.1f * sig_gauss(&seed);
  double r = feed_db(x, n, HOP, RATE);
  print_message("steady noise: %.1f dB\n", r);
  assert_true(r > 0.0 && r < 5.0);
  free(x);
}

/* Silence reports a ratio of 1 (0 dB), not a division by zero. */
static void test_silence_is_0db(void **state) {
  (void)state;
  float x[HOP] = {0};
  assert_true(fabs(feed_db(x, HOP, HOP, RATE)) < 1e-9);
}

/* The same samples in calls of 1, 7, 100 and 256 give the same ratio, at 48 and 16 kHz. */
static void test_ratio_does_not_depend_on_call_sizes(void **state) {
  (void)state;
  const int rates[2] = {48000, 16000}, chunks[4] = {1, 7, 100, 256};
  size_t n = 48000 / 10;
  float *x = calloc(n, sizeof *x);
  uint32_t seed = 11;
  for (size_t i = 0; i < n; i++) x[i] = 0.01f * sig_gauss(&seed) * (i % 3000 < 40 ? 30.f : 1.f);
  for (int r = 0; r < 2; r++) {
    double ref = feed_db(x, n, chunks[0], rates[r]);
    for (int c = 1; c < 4; c++) {
      double v = feed_db(x, n, chunks[c], rates[r]);
      print_message("%d Hz, calls of %d: %.4f dB (calls of 1: %.4f)\n", rates[r], chunks[c], v,
                    ref);
      assert_true(fabs(v - ref) < 1e-3);
    }
  }
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_click_over_quiet_noise_is_above_10db),
      cmocka_unit_test(test_fricative_onset_is_below_7db),
      cmocka_unit_test(test_steady_noise_is_below_5db),
      cmocka_unit_test(test_silence_is_0db),
      cmocka_unit_test(test_ratio_does_not_depend_on_call_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
