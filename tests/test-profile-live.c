/* test-profile-live: profile_save_live/load_live (daemon/profile.c's wait on dsp/engine's
 * handover) hand a noise profile to and from an engine that another thread keeps
 * processing, and fail cleanly when none does. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "profile.h"

#define RATE_HZ 48000

struct runner {
  struct engine *e;
  atomic_int stop;
};

/* The audio side: noise at a steady level, as fast as it goes (not paced). */
static void *run(void *arg) {
  struct runner *r = arg;
  int hop = engine_hop_size(r->e);
  float *buf = calloc(hop, sizeof(float));
  unsigned seed = 7;
  while (!atomic_load(&r->stop)) {
    for (int i = 0; i < hop; i++) {
      seed = seed * 1664525u + 1013904223u;
      buf[i] = 0.01f * ((float)(seed >> 8) / (1 << 24) - 0.5f);
    }
    engine_process_hop(r->e, buf, buf);
  }
  free(buf);
  return NULL;
}

static struct engine *make(void) {
  struct hp_values p;
  char err[256];
  hp_defaults(&p);
  struct engine *e = engine_create(&p, RATE_HZ, 1, ENGINE_PLAN_ESTIMATE, err, sizeof err);
  assert_non_null(e);
  return e;
}

/* A profile with every bin at mean_db, spread 5 dB, for this engine's 1024-point FFT. */
static char *flat_profile(double mean_db) {
  size_t len = 64 + 513 * 32;
  char *t = malloc(len);
  int n = snprintf(t, len, "hushd-noise-profile 2\nkind learned\nrate 48000\nfft 1024\nbins 513\n");
  for (int k = 0; k < 513; k++) n += snprintf(t + n, len - n, "%.4f 5.0000\n", mean_db);
  return t;
}

static void test_load_then_save_while_processing_returns_the_loaded_model(void **state) {
  (void)state;
  struct runner r = {.e = make()};
  char err[256];
  assert_int_equal(engine_set_param(r.e, HP_adapt, 0, err, sizeof err), 0);
  pthread_t t;
  pthread_create(&t, NULL, run, &r);
  char *flat = flat_profile(-30.0);
  assert_int_equal(profile_load_live(r.e, flat, 1000, err, sizeof err), 0);
  char *saved = profile_save_live(r.e, 1000, err, sizeof err);
  assert_non_null(saved);
  assert_string_equal(saved, flat); /* adapt 0: the model stays as loaded */
  /* the meters read the loaded floor: -30 dB per bin relative to a full-scale sine bin */
  struct engine_meters m;
  engine_meters(r.e, &m);
  unsigned long long h = m.hops;
  do engine_meters(r.e, &m);
  while (m.hops < h + 2);
  assert_float_equal(m.noise_floor_db, -30.0 - 20 * log10(1024 / M_PI), 0.01);
  atomic_store(&r.stop, 1);
  pthread_join(t, NULL);
  free(flat);
  free(saved);
  engine_destroy(r.e);
}

static void test_a_bad_profile_is_refused_before_the_handover(void **state) {
  (void)state;
  struct engine *e = make();
  char err[256];
  /* no thread is processing: a parse error must come back at once, not after a wait */
  assert_int_equal(profile_load_live(e, "hushd-noise-profile 1\nrate 44100\nfft 1024\n"
                                               "bins 513\n", 1000, err, sizeof err), -1);
  assert_string_equal(err, "noise profile is for 44100 Hz, fft 1024; this stream is 48000 Hz, "
                           "fft 1024");
  engine_destroy(e);
}

static void test_without_processing_the_handover_times_out_and_withdraws(void **state) {
  (void)state;
  struct engine *e = make();
  char err[256];
  assert_null(profile_save_live(e, 50, err, sizeof err));
  assert_string_equal(err, "the audio engine is not processing (no hop in 50 ms)");
  char *flat = flat_profile(-40.0);
  assert_int_equal(profile_load_live(e, flat, 50, err, sizeof err), -1);
  /* withdrawn: a later hop must not touch the caller's (freed) staging arrays */
  float buf[256] = {0};
  engine_process_hop(e, buf, buf);
  assert_null(profile_save_live(e, 50, err, sizeof err));
  assert_string_equal(err, "the audio engine is not processing (no hop in 50 ms)");
  free(flat);
  engine_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_then_save_while_processing_returns_the_loaded_model),
      cmocka_unit_test(test_a_bad_profile_is_refused_before_the_handover),
      cmocka_unit_test(test_without_processing_the_handover_times_out_and_withdraws),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
