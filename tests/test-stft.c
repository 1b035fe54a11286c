/* The core property: STFT -> all-ones mask -> inverse STFT with overlap-add gives back
 * the input, delayed by exactly the stated latency, error below -100 dB, for several
 * fft/hop pairs, on a chirp and on noise; and the engine's output does not depend on
 * how the input is cut into blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <complex.h>
#include <fftw3.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "signals.h"
#include "stft.h"

static const int pairs[][2] = {{1024, 256}, {1024, 512}, {512, 128}, {256, 64}, {2048, 512},
                               {2048, 256}};
#define N_PAIRS (sizeof pairs / sizeof pairs[0])
#define LEN 48000

static double stft_roundtrip_db(const float *x, int fft, int hop) {
  struct stft *s = stft_create(fft, hop, FFTW_ESTIMATE);
  assert_non_null(s);
  float complex *spec = malloc(stft_bins(s) * sizeof *spec);
  float *y = calloc(LEN, sizeof(float));
  for (int i = 0; i + hop <= LEN; i += hop) {
    stft_analyze(s, x + i, spec);
    stft_synthesize(s, spec, y + i);
  }
  /* compare after the first full window has passed */
  double db = sig_error_db(x, y, fft - hop, fft, LEN - LEN % hop);
  free(spec);
  free(y);
  stft_destroy(s);
  return db;
}

static void test_stft_identity_chirp_below_minus_100db(void **state) {
  (void)state;
  float *x = malloc(LEN * sizeof(float));
  sig_chirp(x, LEN, 48000, 20.0, 23000.0, 0.5);
  for (size_t p = 0; p < N_PAIRS; p++) {
    double db = stft_roundtrip_db(x, pairs[p][0], pairs[p][1]);
    print_message("chirp fft %d hop %d: %.1f dB\n", pairs[p][0], pairs[p][1], db);
    assert_true(db < -100.0);
  }
  free(x);
}

static void test_stft_identity_noise_below_minus_100db(void **state) {
  (void)state;
  float *x = malloc(LEN * sizeof(float));
  uint32_t seed = 12345;
  for (int i = 0; i < LEN; i++) x[i] = 0.3f * sig_gauss(&seed);
  for (size_t p = 0; p < N_PAIRS; p++) {
    double db = stft_roundtrip_db(x, pairs[p][0], pairs[p][1]);
    print_message("noise fft %d hop %d: %.1f dB\n", pairs[p][0], pairs[p][1], db);
    assert_true(db < -100.0);
  }
  free(x);
}

/* The FFT writes straight into a caller's spectrum that has FFTW's SIMD alignment and
 * goes through the instance's own buffer otherwise: both paths run the same plan, so a
 * spectrum one float off alignment must give the same bits. */
static void test_stft_misaligned_spectrum_gives_the_same_bits(void **state) {
  (void)state;
  const int fft = 1024, hop = 256, bins = fft / 2 + 1;
  float *x = malloc(LEN * sizeof(float)), *y[2];
  uint32_t seed = 4242;
  for (int i = 0; i < LEN; i++) x[i] = 0.3f * sig_gauss(&seed);
  float *buf = fftwf_alloc_real(2 * bins + 1); /* room for a spectrum one float in */
  for (int a = 0; a < 2; a++) {
    float complex *spec = (float complex *)(buf + a);
    struct stft *s = stft_create(fft, hop, FFTW_ESTIMATE);
    assert_non_null(s);
    y[a] = calloc(LEN, sizeof(float));
    for (int i = 0; i + hop <= LEN; i += hop) {
      stft_analyze(s, x + i, spec);
      for (int k = 0; k < bins; k++) spec[k] *= 0.5f + 0.5f * (float)(k % 3); /* a mask */
      stft_synthesize(s, spec, y[a] + i);
    }
    stft_destroy(s);
  }
  assert_true(fftwf_alignment_of(buf) != fftwf_alignment_of(buf + 1));
  assert_memory_equal(y[0], y[1], LEN * sizeof(float));
  fftwf_free(buf);
  free(y[0]);
  free(y[1]);
  free(x);
}

static void test_stft_rejects_bad_sizes(void **state) {
  (void)state;
  assert_null(stft_create(1000, 250, FFTW_ESTIMATE)); /* not a power of two */
  assert_null(stft_create(1024, 1024, FFTW_ESTIMATE)); /* hop > fft/2 */
  assert_null(stft_create(1024, 300, FFTW_ESTIMATE)); /* does not divide */
}

/* An engine whose mask is all ones: reduction_db = 0 makes the floor 1. */
static struct engine *identity_engine(int fft, int hop, int channels) {
  struct hp_values p;
  hp_defaults(&p);
  p.v[HP_reduction_db] = 0;
  p.v[HP_fft_size] = (float)fft;
  p.v[HP_hop_size] = (float)hop;
  char err[256];
  struct engine *e = engine_create(&p, 48000, channels, 0, err, sizeof err);
  if (!e) print_error("%s\n", err);
  assert_non_null(e);
  return e;
}

static void test_engine_identity_delay_is_fft_minus_one(void **state) {
  (void)state;
  float *x = malloc(LEN * sizeof(float)), *y = malloc(LEN * sizeof(float));
  sig_chirp(x, LEN, 48000, 50.0, 20000.0, 0.5);
  for (size_t p = 0; p < N_PAIRS; p++) {
    struct engine *e = identity_engine(pairs[p][0], pairs[p][1], 1);
    assert_int_equal(engine_latency_frames(e), (size_t)pairs[p][0] - 1);
    engine_process(e, x, y, LEN);
    double db = sig_error_db(x, y, engine_latency_frames(e), 2 * pairs[p][0], LEN);
    print_message("engine fft %d hop %d: delay %zu, %.1f dB\n", pairs[p][0], pairs[p][1],
                  engine_latency_frames(e), db);
    assert_true(db < -100.0);
    engine_destroy(e);
  }
  free(x);
  free(y);
}

static void test_engine_hop_api_delay_is_fft_minus_hop(void **state) {
  (void)state;
  float *x = malloc(LEN * sizeof(float)), *y = calloc(LEN, sizeof(float));
  uint32_t seed = 99;
  for (int i = 0; i < LEN; i++) x[i] = 0.25f * sig_gauss(&seed);
  struct engine *e = identity_engine(1024, 256, 1);
  assert_int_equal(engine_hop_latency_frames(e), 768);
  for (int i = 0; i + 256 <= LEN; i += 256) engine_process_hop(e, x + i, y + i);
  double db = sig_error_db(x, y, 768, 2048, LEN - LEN % 256);
  print_message("hop api: %.1f dB at delay 768\n", db);
  assert_true(db < -100.0);
  engine_destroy(e);
  free(x);
  free(y);
}

/* Default (gating) engine, stereo: every block size gives the same bits. */
static void test_engine_bit_identical_for_any_block_size(void **state) {
  (void)state;
  const int ch = 2;
  const size_t frames = 3 * 48000;
  float *x = malloc(frames * ch * sizeof(float));
  float *ref = malloc(frames * ch * sizeof(float)), *y = malloc(frames * ch * sizeof(float));
  uint32_t seed = 7;
  for (size_t i = 0; i < frames; i++) {
    float s = 0.3f * sinf(2.f * (float)M_PI * 440.f * (float)i / 48000.f) *
              (((i / 12000) % 2) ? 1.f : 0.f);
    x[i * ch] = s + 0.02f * sig_gauss(&seed);
    x[i * ch + 1] = 0.5f * s + 0.02f * sig_gauss(&seed);
  }
  struct hp_values p;
  hp_defaults(&p);
  char err[256];
  struct engine *e = engine_create(&p, 48000, ch, 0, err, sizeof err);
  assert_non_null(e);
  engine_process(e, x, ref, frames);
  engine_destroy(e);
  static const size_t blocks[] = {1, 7, 64, 480, 4096};
  for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
    e = engine_create(&p, 48000, ch, 0, err, sizeof err);
    for (size_t i = 0; i < frames; i += blocks[b]) {
      size_t n = frames - i < blocks[b] ? frames - i : blocks[b];
      engine_process(e, x + i * ch, y + i * ch, n);
    }
    engine_destroy(e);
    assert_memory_equal(ref, y, frames * ch * sizeof(float));
  }
  free(x);
  free(ref);
  free(y);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stft_identity_chirp_below_minus_100db),
      cmocka_unit_test(test_stft_identity_noise_below_minus_100db),
      cmocka_unit_test(test_stft_misaligned_spectrum_gives_the_same_bits),
      cmocka_unit_test(test_stft_rejects_bad_sizes),
      cmocka_unit_test(test_engine_identity_delay_is_fft_minus_one),
      cmocka_unit_test(test_engine_hop_api_delay_is_fft_minus_hop),
      cmocka_unit_test(test_engine_bit_identical_for_any_block_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
