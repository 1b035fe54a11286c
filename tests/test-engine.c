/* Engine behaviour that the parameter table promises: a live change mid-stream causes no
 * click, bypass passes the latency-aligned input, a non-live parameter is refused while
 * running, and bad sizes are refused with the table's message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "signals.h"

#define RATE 48000
#define LEN (2 * RATE)

/* Largest |second difference| of y over [from, to): a click (a step or a kink) shows up
 * here far above a smooth low-frequency sine's A * (2 pi f / rate)^2. */
static double max_second_diff(const float *y, size_t from, size_t to) {
  double m = 0;
  for (size_t i = from + 2; i < to; i++) {
    double d = fabs((double)y[i] - 2.0 * y[i - 1] + y[i - 2]);
    if (d > m) m = d;
  }
  return m;
}

/* Runs a 100 Hz sine at 0.5 through an engine whose gate shuts it out (threshold at its
 * maximum), changes one live parameter at 1 s, and returns the worst second difference
 * after the change relative to that of the plain sine. */
static double click_ratio(int id, float before, float after) {
  struct hp_values p;
  hp_defaults(&p);
  p.v[HP_threshold] = (float)hp_info(HP_threshold)->max;
  p.v[HP_reduction_db] = 40;
  p.v[id] = before;
  char err[256];
  struct engine *e = engine_create(&p, RATE, 1, 0, err, sizeof err);
  assert_non_null(e);
  float *x = malloc(LEN * sizeof(float)), *y = malloc(LEN * sizeof(float));
  sig_chirp(x, LEN, RATE, 100.0, 100.0, 0.5);
  engine_process(e, x, y, RATE);
  assert_int_equal(engine_set_param(e, id, after, err, sizeof err), 0);
  engine_process(e, x + RATE, y + RATE, LEN - RATE);
  double sine = max_second_diff(x, 0, LEN);
  double ratio = max_second_diff(y, RATE, LEN) / sine;
  print_message("%s %g -> %g: worst second difference %.2f x the sine's\n", hp_info(id)->name,
                before, after, ratio);
  free(x);
  free(y);
  engine_destroy(e);
  return ratio;
}

static void test_live_changes_cause_no_click(void **state) {
  (void)state;
  /* each change takes the output from -40 dB to the full sine (or back) */
  assert_true(click_ratio(HP_bypass, 0, 1) < 2.0);
  assert_true(click_ratio(HP_bypass, 1, 0) < 2.0);
  assert_true(click_ratio(HP_wet, 1, 0) < 2.0);
  assert_true(click_ratio(HP_reduction_db, 40, 0) < 2.0);
  assert_true(click_ratio(HP_threshold, (float)hp_info(HP_threshold)->max, 0) < 2.0);
}

static void test_bypass_passes_aligned_input_below_minus_100db(void **state) {
  (void)state;
  struct hp_values p;
  hp_defaults(&p);
  p.v[HP_bypass] = 1;
  char err[256];
  struct engine *e = engine_create(&p, RATE, 2, 0, err, sizeof err);
  assert_non_null(e);
  float *x = malloc(2 * LEN * sizeof(float)), *y = malloc(2 * LEN * sizeof(float));
  uint32_t seed = 5;
  for (size_t i = 0; i < 2 * (size_t)LEN; i++) x[i] = 0.2f * sig_gauss(&seed);
  engine_process(e, x, y, LEN);
  double db = sig_error_db(x, y, 2 * engine_latency_frames(e), 4096, 2 * (size_t)LEN);
  print_message("bypass: %.1f dB against the input delayed by %zu frames\n", db,
                engine_latency_frames(e));
  assert_true(db < -100.0);
  free(x);
  free(y);
  engine_destroy(e);
}

static void test_non_live_parameter_refused_while_running(void **state) {
  (void)state;
  struct hp_values p;
  hp_defaults(&p);
  char err[256];
  struct engine *e = engine_create(&p, RATE, 1, 0, err, sizeof err);
  assert_non_null(e);
  assert_int_equal(engine_set_param(e, HP_fft_size, 512, err, sizeof err), -1);
  assert_string_equal(err, "fft_size cannot change while running: it needs a restart");
  assert_int_equal(engine_set_param(e, HP_wet, 1.5f, err, sizeof err), -1);
  assert_string_equal(err, "wet: 1.5 is out of range [0, 1]");
  assert_true(engine_get_param(e, HP_wet) == 1.0f);
  engine_destroy(e);
}

static void test_create_refuses_bad_sizes_with_message(void **state) {
  (void)state;
  struct hp_values p;
  hp_defaults(&p);
  char err[256];
  p.v[HP_fft_size] = 1000;
  assert_null(engine_create(&p, RATE, 1, 0, err, sizeof err));
  assert_string_equal(err, "fft_size: 1000 is not a power of two in [64, 16384] (or 0 = auto)");
  p.v[HP_fft_size] = 1024;
  p.v[HP_hop_size] = 300;
  assert_null(engine_create(&p, RATE, 1, 0, err, sizeof err));
  assert_string_equal(err, "hop_size: 300 must divide fft_size 1024 and be at most 512");
}

/* engine_learning is 1 from the engine_learn call until the last learned hop, with no
 * gap while the audio thread takes the request, then 0. */
static void test_learning_flag_covers_exactly_the_learned_hops(void **state) {
  (void)state;
  struct hp_values p;
  hp_defaults(&p);
  char err[256];
  struct engine *e = engine_create(&p, RATE, 1, 0, err, sizeof err);
  assert_non_null(e);
  const int hop = engine_hop_size(e);
  float *x = calloc((size_t)hop, sizeof(float));
  uint32_t seed = 11;
  assert_int_equal(engine_learning(e), 0);
  engine_learn(e, 0.1f); /* 0.1 s = 19 hops of 256 at 48 kHz */
  int hops = 0;
  while (engine_learning(e) && hops < 1000) {
    for (int i = 0; i < hop; i++) x[i] = 0.1f * sig_gauss(&seed);
    engine_process_hop(e, x, x);
    hops++;
  }
  print_message("learning lasted %d hops for 0.1 s\n", hops);
  assert_int_equal(hops, (int)lrintf(0.1f * RATE / hop));
  free(x);
  engine_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_live_changes_cause_no_click),
      cmocka_unit_test(test_bypass_passes_aligned_input_below_minus_100db),
      cmocka_unit_test(test_non_live_parameter_refused_while_running),
      cmocka_unit_test(test_create_refuses_bad_sizes_with_message),
      cmocka_unit_test(test_learning_flag_covers_exactly_the_learned_hops),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
