/* The SPSC ring: sizes, wrap-around, full and empty edges, silence and drop, and a
 * two-thread stress test that moves 1e8 samples (also under ThreadSanitizer) in random
 * chunk sizes on both sides and checks every sample arrives once and in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "ring.h"

#define RING_STRESS_SAMPLES 100000000ULL

static void test_ring_capacity_rounds_up_to_power_of_two(void **state) {
  (void)state;
  const size_t want[] = {1, 2, 3, 255, 256, 257, 1000};
  const size_t got[] = {1, 2, 4, 256, 256, 512, 1024};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    struct ring *r = ring_create(want[i], 2);
    assert_non_null(r);
    assert_int_equal(ring_capacity_frames(r), got[i]);
    assert_int_equal(ring_write_space(r), got[i]);
    assert_int_equal(ring_read_space(r), 0);
    ring_destroy(r);
  }
}

static void test_ring_refuses_bad_sizes(void **state) {
  (void)state;
  assert_null(ring_create(0, 1));
  assert_null(ring_create(16, 0));
  assert_null(ring_create(SIZE_MAX / 2, 4)); /* bytes overflow */
  assert_null(ring_create(SIZE_MAX, 1));
}

static void test_ring_full_and_empty_edges(void **state) {
  (void)state;
  struct ring *r = ring_create(8, 1);
  float in[10], out[10];
  for (int i = 0; i < 10; i++) in[i] = (float)i + 1;
  assert_int_equal(ring_read(r, out, 4), 0);        /* empty: nothing */
  assert_int_equal(ring_write(r, in, 10), 8);       /* full after 8 */
  assert_int_equal(ring_write_space(r), 0);
  assert_int_equal(ring_write(r, in, 1), 0);
  assert_int_equal(ring_fill_frames(r), 8);
  assert_int_equal(ring_read(r, out, 10), 8);
  for (int i = 0; i < 8; i++) assert_true(out[i] == in[i]);
  assert_int_equal(ring_read_space(r), 0);
  ring_destroy(r);
}

static void test_ring_wraps_interleaved_frames_in_order(void **state) {
  (void)state;
  struct ring *r = ring_create(8, 3);
  float in[5 * 3], out[5 * 3];
  float next_in = 0, next_out = 0;
  for (int round = 0; round < 20; round++) { /* 5 in, 5 out: wraps every few rounds */
    for (int i = 0; i < 15; i++) in[i] = next_in++;
    assert_int_equal(ring_write(r, in, 5), 5);
    assert_int_equal(ring_read(r, out, 5), 5);
    for (int i = 0; i < 15; i++) assert_true(out[i] == next_out++);
  }
  ring_destroy(r);
}

static void test_ring_null_writes_silence_and_null_read_drops(void **state) {
  (void)state;
  struct ring *r = ring_create(4, 2);
  float in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
  assert_int_equal(ring_write(r, in, 3), 3);
  assert_int_equal(ring_read(r, NULL, 2), 2);  /* drop frames 0 and 1 */
  assert_int_equal(ring_write(r, NULL, 3), 3); /* three silent frames, wrapping */
  assert_int_equal(ring_read(r, out, 4), 4);
  const float want[8] = {5, 6, 0, 0, 0, 0, 0, 0};
  assert_memory_equal(out, want, sizeof want);
  ring_write(r, in, 4);
  ring_reset(r);
  assert_int_equal(ring_read_space(r), 0);
  assert_int_equal(ring_write_space(r), 4);
  ring_destroy(r);
}

/* ---- two threads ---- */

#define STRESS_RING_FRAMES 1024
#define STRESS_CHANNELS 2
#define MAX_CHUNK 1500 /* frames, larger than the ring: partial transfers happen */
#define TOTAL_FRAMES (RING_STRESS_SAMPLES / STRESS_CHANNELS)
/* sample k carries k mod 2^24, exact in a float; a loss or repeat shows at once */
#define VALUE(k) ((float)((k) & 0xffffff))

static uint32_t xorshift(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

static void *stress_writer(void *arg) {
  struct ring *r = arg;
  static float buf[MAX_CHUNK * STRESS_CHANNELS];
  uint32_t seed = 12345;
  unsigned long long frame = 0;
  while (frame < TOTAL_FRAMES) {
    size_t n = 1 + xorshift(&seed) % MAX_CHUNK;
    if (n > TOTAL_FRAMES - frame) n = (size_t)(TOTAL_FRAMES - frame);
    for (size_t i = 0; i < n * STRESS_CHANNELS; i++)
      buf[i] = VALUE(frame * STRESS_CHANNELS + i);
    size_t done = 0;
    while (done < n) {
      size_t w = ring_write(r, buf + done * STRESS_CHANNELS, n - done);
      if (!w) sched_yield();
      done += w;
    }
    frame += n;
  }
  return NULL;
}

static void test_ring_two_threads_every_sample_in_order(void **state) {
  (void)state;
  struct ring *r = ring_create(STRESS_RING_FRAMES, STRESS_CHANNELS);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, stress_writer, r), 0);
  static float buf[MAX_CHUNK * STRESS_CHANNELS];
  uint32_t seed = 999;
  unsigned long long sample = 0, bad = 0, first_bad = 0;
  while (sample < TOTAL_FRAMES * STRESS_CHANNELS) {
    size_t n = ring_read(r, buf, 1 + xorshift(&seed) % MAX_CHUNK);
    if (!n) sched_yield();
    for (size_t i = 0; i < n * STRESS_CHANNELS; i++, sample++)
      if (buf[i] != VALUE(sample) && !bad++) first_bad = sample;
  }
  pthread_join(t, NULL);
  if (bad) print_error("first wrong sample at %llu\n", first_bad);
  assert_int_equal(bad, 0);
  assert_int_equal(sample, RING_STRESS_SAMPLES);
  assert_int_equal(ring_read_space(r), 0);
  ring_destroy(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ring_capacity_rounds_up_to_power_of_two),
      cmocka_unit_test(test_ring_refuses_bad_sizes),
      cmocka_unit_test(test_ring_full_and_empty_edges),
      cmocka_unit_test(test_ring_wraps_interleaved_frames_in_order),
      cmocka_unit_test(test_ring_null_writes_silence_and_null_read_drops),
      cmocka_unit_test(test_ring_two_threads_every_sample_in_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
