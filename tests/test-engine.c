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
#include "noise.h"
#include "noise_internal.h"
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

/* Speech-like bursts (a 200 Hz harmonic tone switched on and off) in white noise. */
static float *noisy_bursts(size_t n, uint32_t seed) {
  float *x = malloc(n * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / RATE;
    double on = fmod(t, 0.6) < 0.35 ? 1.0 : 0.0;
    double v = 0;
    for (int h = 1; h <= 8; h++) v += sin(2 * M_PI * 200 * h * t) / h;
    x[i] = (float)(0.05 * on * v + 0.01 * sig_gauss(&seed));
  }
  return x;
}

static float *denoise_all(const float *x, size_t n, unsigned long long *bad) {
  struct hp_values p;
  hp_defaults(&p);
  char err[256];
  struct engine *e = engine_create(&p, RATE, 1, 0, err, sizeof err);
  assert_non_null(e);
  float *y = malloc(n * sizeof *y);
  engine_process(e, x, y, n);
  struct engine_meters m;
  engine_meters(e, &m);
  assert_true(isfinite(m.noise_floor_db));
  char buf[64 * 1024];
  size_t len = engine_profile_save(e, 0, buf, sizeof buf);
  assert_true(len < sizeof buf);
  assert_null(strstr(buf, "nan"));
  assert_null(strstr(buf, "inf"));
  if (bad) *bad = engine_bad_samples(e);
  engine_destroy(e);
  return y;
}

/* NaN, +Inf, -Inf, 1e20 and -2000 are taken as 0 and counted: the output is finite
 * everywhere and equals, bit for bit, the output for the file with zeros in their place
 * (nothing of a bad value stays in the model); 0.5 s after the last bad sample it is
 * within -40 dB of the output for the untouched file (a zero for a sample moves the
 * noise model a little, and the model remembers for seconds). */
static void test_bad_samples_are_zeroed_counted_and_forgotten(void **state) {
  (void)state;
  const size_t n = 4 * RATE;
  float *x = noisy_bursts(n, 3), *zeroed = malloc(n * sizeof *x), *bad = malloc(n * sizeof *x);
  memcpy(zeroed, x, n * sizeof *x);
  memcpy(bad, x, n * sizeof *x);
  const size_t at[] = {RATE / 2, RATE / 2 + 1, RATE, RATE + 7, RATE + 500};
  const float val[] = {NAN, INFINITY, -INFINITY, 1e20f, -2000.f};
  for (int i = 0; i < 5; i++) bad[at[i]] = val[i], zeroed[at[i]] = 0;
  unsigned long long count = 0;
  float *y = denoise_all(x, n, NULL), *yz = denoise_all(zeroed, n, NULL),
        *yb = denoise_all(bad, n, &count);
  assert_int_equal(count, 5);
  double diff = 0, sig = 0;
  const size_t from = RATE + 500 + RATE / 2;
  for (size_t i = 0; i < n; i++) {
    assert_true(isfinite(yb[i]));
    assert_float_equal(yb[i], yz[i], 0);
    if (i >= from) diff += (yb[i] - y[i]) * (yb[i] - y[i]), sig += y[i] * y[i];
  }
  double db = 10 * log10(diff / sig + 1e-30);
  print_message("after the last bad sample + 0.5 s: difference %.1f dB re the output\n", db);
  assert_true(db < -40);
  free(x), free(zeroed), free(bad), free(y), free(yz), free(yb);
}

/* The count of frames the model has seen saturates instead of wrapping: after 1000
 * frames of noise it is set 1000 frames under INT_MAX, and 4000 more frames leave the
 * model finite and at the noise. */
static void test_frame_counter_near_its_limit_does_not_wrap(void **state) {
  (void)state;
  struct noise *nm = noise_create(513, 256.f / RATE, 4);
  assert_non_null(nm);
  float power[513];
  uint32_t seed = 5;
  for (int f = 0; f < 5000; f++) {
    if (f == 1000) noise_test_set_frames_seen(nm, 2147483647 - 1000);
    for (int k = 0; k < 513; k++) {
      float a = sig_gauss(&seed), b = sig_gauss(&seed);
      power[k] = a * a + b * b; /* mean 2 */
    }
    noise_update(nm, power, 1);
  }
  double mean_db = 0;
  for (int k = 0; k < 513; k++) {
    assert_true(isfinite(noise_mean_power(nm)[k]));
    mean_db += 10 * log10(noise_mean_power(nm)[k]) / 513;
  }
  print_message("model after the counter's limit: %.2f dB (noise 3.01 dB)\n", mean_db);
  assert_true(fabs(mean_db - 3.01) < 2);
  noise_destroy(nm);
}

/* A profile says whether it was adaptive or learned, and loads back as the same kind;
 * version 1 loads as learned; nan or inf in a profile is refused with a message. */
static void test_profile_kind_round_trip_and_non_finite_refused(void **state) {
  (void)state;
  struct noise *nm = noise_create(5, 0.005f, 4);
  float mean[5] = {1, 2, 3, 4, 5}, sd[5] = {5, 5, 5, 5, 5};
  char buf[1024], err[256];
  noise_set_model(nm, mean, sd, 0);
  noise_profile_save(nm, 48000, 8, buf, sizeof buf);
  assert_non_null(strstr(buf, "hushd-noise-profile 2\nkind adaptive\n"));
  noise_set_model(nm, mean, sd, 1);
  assert_int_equal(noise_profile_load(nm, 48000, 8, buf, err, sizeof err), 0);
  assert_int_equal(noise_is_learned(nm), 0);
  noise_profile_save(nm, 48000, 8, buf, sizeof buf);
  assert_non_null(strstr(buf, "kind learned") ? NULL : buf);
  const char *v1 = "hushd-noise-profile 1\nrate 48000\nfft 8\nbins 5\n0 5\n0 5\n0 5\n0 5\n0 5\n";
  assert_int_equal(noise_profile_load(nm, 48000, 8, v1, err, sizeof err), 0);
  assert_int_equal(noise_is_learned(nm), 1);
  const char *bad = "hushd-noise-profile 2\nkind learned\nrate 48000\nfft 8\nbins 5\n"
                    "0 5\n0 5\nnan 5\n0 5\n0 5\n";
  assert_int_equal(noise_profile_load(nm, 48000, 8, bad, err, sizeof err), -1);
  assert_string_equal(err, "noise profile line 8 (bin 2) holds a value that is not finite");
  noise_destroy(nm);
}

/* fft 64 at 384 kHz: no bin starts inside 300-3400 Hz; the gate still works (finite
 * output, the noise attenuated). */
static void test_coarse_fft_at_384khz_gates_without_nan(void **state) {
  (void)state;
  struct hp_values p;
  hp_defaults(&p);
  p.v[HP_fft_size] = 64;
  p.v[HP_hop_size] = 16;
  char err[256];
  struct engine *e = engine_create(&p, 384000, 1, 0, err, sizeof err);
  assert_non_null(e);
  const size_t n = 384000;
  float *x = malloc(n * sizeof *x);
  uint32_t seed = 9;
  for (size_t i = 0; i < n; i++) x[i] = 0.01f * sig_gauss(&seed);
  engine_process(e, x, x, n);
  double in = 0, out = 0;
  for (size_t i = n / 2; i < n; i++) {
    assert_true(isfinite(x[i]));
    out += (double)x[i] * x[i];
  }
  in = 1e-4 * (n / 2);
  print_message("fft 64 at 384 kHz: noise %.1f dB\n", 10 * log10(out / in));
  assert_true(out < in * 0.1);
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
      cmocka_unit_test(test_bad_samples_are_zeroed_counted_and_forgotten),
      cmocka_unit_test(test_frame_counter_near_its_limit_does_not_wrap),
      cmocka_unit_test(test_profile_kind_round_trip_and_non_finite_refused),
      cmocka_unit_test(test_coarse_fft_at_384khz_gates_without_nan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
