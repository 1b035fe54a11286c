/* The real-time path never allocates: malloc, calloc, realloc, free and the aligned
 * allocators are interposed here (forwarding to glibc's __libc_* entry points) and
 * counted while the engine processes seconds of audio through engine_process and
 * engine_process_hop, and while parameters change and learning starts mid-stream.
 * The count must be zero. Plain suite only: ASan interposes the same functions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "engine.h"
#include "signals.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);

static atomic_int counting;
static atomic_long calls;

static void count(void) {
  if (atomic_load_explicit(&counting, memory_order_relaxed))
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}

void *malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void *p) {
  count();
  __libc_free(p);
}
void *memalign(size_t align, size_t size) {
  count();
  return __libc_memalign(align, size);
}
void *aligned_alloc(size_t align, size_t size) {
  count();
  return __libc_memalign(align, size);
}
int posix_memalign(void **out, size_t align, size_t size) {
  count();
  *out = __libc_memalign(align, size);
  return *out ? 0 : ENOMEM;
}

static void start(void) {
  atomic_store(&calls, 0);
  atomic_store(&counting, 1);
}
static long stop(void) {
  atomic_store(&counting, 0);
  return atomic_load(&calls);
}

#define RATE 48000

/* noisy "speech": a tone switching on and off twice a second in noise */
static float *test_signal(size_t frames, int channels) {
  float *x = __libc_malloc(frames * channels * sizeof(float));
  uint32_t seed = 12345;
  for (size_t i = 0; i < frames; i++)
    for (int c = 0; c < channels; c++) {
      double on = (i / (RATE / 4)) % 2;
      x[i * channels + c] =
          (float)(0.3 * on * sin(2 * M_PI * (440 + 110 * c) * i / RATE)) +
          0.02f * sig_gauss(&seed);
    }
  return x;
}

/* The counter sees calls made inside the window: otherwise zero would prove nothing. */
static void test_counter_sees_allocations(void **state) {
  (void)state;
  void *(*volatile m)(size_t) = malloc;
  void (*volatile f)(void *) = free;
  start();
  f(m(64));
  assert_int_equal(stop(), 2);
}

static struct engine *make(int channels, int linked) {
  struct hp_values p;
  char err[256];
  hp_defaults(&p);
  p.v[HP_channels_linked] = (float)linked;
  struct engine *e = engine_create(&p, RATE, channels, 0, err, sizeof err);
  assert_non_null(e);
  return e;
}

/* Changes live parameters and starts learning while audio flows, as OSC would. */
static void poke(struct engine *e, size_t step) {
  char err[256];
  struct engine_meters m;
  engine_set_param(e, HP_threshold, 1.0f + 0.25f * (step % 4), err, sizeof err);
  engine_set_param(e, HP_wet, step % 2 ? 0.7f : 1.0f, err, sizeof err);
  engine_set_param(e, HP_bypass, step % 5 == 4, err, sizeof err);
  engine_set_param(e, HP_adapt, step % 3 != 2, err, sizeof err);
  engine_set_param(e, HP_fft_size, 512, err, sizeof err);      /* refused: not live */
  engine_set_param(e, HP_reduction_db, 500, err, sizeof err);  /* refused: out of range */
  if (step % 7 == 3) engine_learn(e, 0.5f);
  engine_meters(e, &m);
  (void)engine_get_param(e, HP_wet);
  (void)engine_learning(e);
}

static void test_engine_process_allocates_nothing(void **state) {
  (void)state;
  const size_t frames = 6 * RATE, block = 480;
  for (int channels = 1; channels <= 2; channels++) {
    float *x = test_signal(frames, channels);
    struct engine *e = make(channels, channels == 1);
    start();
    for (size_t at = 0, step = 0; at + block <= frames; at += block, step++) {
      if (step % 50 == 0) poke(e, step / 50);
      engine_process(e, x + at * channels, x + at * channels, block);
      (void)engine_last_mask(e, channels - 1);
    }
    long n = stop();
    engine_destroy(e);
    __libc_free(x);
    assert_int_equal(n, 0);
  }
}

static void test_engine_process_hop_allocates_nothing(void **state) {
  (void)state;
  const size_t frames = 6 * RATE;
  for (int channels = 1; channels <= 2; channels++) {
    float *x = test_signal(frames, channels);
    struct engine *e = make(channels, 0);
    const size_t hop = (size_t)engine_hop_size(e);
    start();
    for (size_t at = 0, step = 0; at + hop <= frames; at += hop, step++) {
      if (step % 40 == 0) poke(e, step / 40);
      engine_process_hop(e, x + at * channels, x + at * channels);
    }
    long n = stop();
    engine_destroy(e);
    __libc_free(x);
    assert_int_equal(n, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counter_sees_allocations),
      cmocka_unit_test(test_engine_process_allocates_nothing),
      cmocka_unit_test(test_engine_process_hop_allocates_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
