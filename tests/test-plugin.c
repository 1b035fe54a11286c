/* The LADSPA plugin (libhushd_ladspa.so, path in argv[1]) through its descriptor, as a
 * host loads it: labels, IDs and ports made from the parameter table; the reported
 * latency equal to the measured one at every rate; bit-identical output whatever the
 * run() lengths; no allocation in run(); every rate denoises; out-of-range and NaN
 * control values clamped; activate() resets; in-place buffers; linked stereo. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <ladspa.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "ports.h"
#include "signals.h"

/* Allocations are counted by tests/alloc-count.c, preloaded (LD_PRELOAD): it watches a
 * thread from its first sem_post and reports its count on SIGUSR2 to stderr, which
 * alloc_count() reads back through a pipe. Without it (the ASan run) count_allocs = 0
 * and the allocation test is left out. */
static int count_allocs = 1;

static long alloc_count(void) {
  int fds[2], saved = dup(2);
  char buf[128] = {0};
  if (saved < 0 || pipe(fds)) fail_msg("pipe: %s", strerror(errno));
  fflush(stderr);
  dup2(fds[1], 2);
  raise(SIGUSR2);
  dup2(saved, 2);
  close(saved);
  close(fds[1]);
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  const char *at = n > 0 ? strstr(buf, "allocations ") : NULL;
  if (!at) fail_msg("no count from alloc-count.so (is it in LD_PRELOAD?)");
  return atol(at + strlen("allocations "));
}

static const char *plugin_path;
static const LADSPA_Descriptor *(*descriptor_fn)(unsigned long);

static const LADSPA_Descriptor *label(const char *name) {
  for (unsigned long i = 0; descriptor_fn(i); i++)
    if (!strcmp(descriptor_fn(i)->Label, name)) return descriptor_fn(i);
  fail_msg("no label %s", name);
  return NULL;
}

/* A minimal host: every control input starts at the table's default, outputs land in
 * out[], audio ports are connected per run() call. */
struct host {
  const LADSPA_Descriptor *d;
  LADSPA_Handle h;
  int channels;
  LADSPA_Data ctl[64];
  unsigned long audio_in[2], audio_out[2];
};

static int find_port(const LADSPA_Descriptor *d, const char *name) {
  for (unsigned long p = 0; p < d->PortCount; p++)
    if (!strcmp(d->PortNames[p], name)) return (int)p;
  return -1;
}

static int host_open(struct host *s, const char *which, unsigned long rate) {
  memset(s, 0, sizeof *s);
  s->d = label(which);
  if (!(s->h = s->d->instantiate(s->d, rate))) return -1;
  int ins = 0, outs = 0;
  for (unsigned long p = 0; p < s->d->PortCount; p++) {
    LADSPA_PortDescriptor pd = s->d->PortDescriptors[p];
    if (LADSPA_IS_PORT_AUDIO(pd)) {
      if (LADSPA_IS_PORT_INPUT(pd)) s->audio_in[ins++] = p;
      else s->audio_out[outs++] = p;
      continue;
    }
    int id = hp_find(s->d->PortNames[p]);
    s->ctl[p] = LADSPA_IS_PORT_INPUT(pd) && id >= 0 ? (float)hp_info(id)->def : -1.f;
    s->d->connect_port(s->h, p, &s->ctl[p]);
  }
  s->channels = ins;
  return 0;
}

static void host_set(struct host *s, const char *name, float v) {
  int p = find_port(s->d, name);
  assert_true(p >= 0);
  s->ctl[p] = v;
}

static float host_get(struct host *s, const char *name) {
  int p = find_port(s->d, name);
  assert_true(p >= 0);
  return s->ctl[p];
}

/* Runs n frames of planar channels in[c] into out[c] in calls of `block` frames (0:
 * lengths from a fixed pseudo-random sequence of 1 to 8192). */
static void host_run(struct host *s, float **in, float **out, size_t n, size_t block) {
  uint32_t seed = 777;
  for (size_t at = 0, len; at < n; at += len) {
    len = block ? block : 1 + (size_t)((sig_uniform(&seed) + 1.f) * 4095.5f);
    if (len > n - at) len = n - at;
    for (int c = 0; c < s->channels; c++) {
      s->d->connect_port(s->h, s->audio_in[c], in[c] + at);
      s->d->connect_port(s->h, s->audio_out[c], out[c] + at);
    }
    s->d->run(s->h, len);
  }
}

static void host_close(struct host *s) { s->d->cleanup(s->h); }

/* noisy "speech": a 440 Hz tone (per channel a little higher) switching on and off every
 * 0.25 s, in white noise 30 dB below the tone */
static float *noisy(size_t n, int rate, int channel, uint32_t seed) {
  float *x = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) {
    double on = (i / (size_t)(rate / 4)) % 2;
    x[i] = (float)(0.3 * on * sin(2 * M_PI * (440 + 110 * channel) * (double)i / rate)) +
           0.0095f * sig_gauss(&seed);
  }
  return x;
}

static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

static void test_labels_ids_and_ports_follow_the_table(void **state) {
  (void)state;
  const LADSPA_Descriptor *m = descriptor_fn(0), *st = descriptor_fn(1);
  assert_non_null(m);
  assert_non_null(st);
  assert_null(descriptor_fn(2));
  assert_string_equal(m->Label, "hushd_mono");
  assert_string_equal(st->Label, "hushd_stereo");
  assert_int_not_equal(m->UniqueID, st->UniqueID);
  assert_true(m->UniqueID >= 1 && m->UniqueID <= 0x3FFFFF);
  for (int l = 0; l < 2; l++) {
    const LADSPA_Descriptor *d = descriptor_fn((unsigned long)l);
    unsigned long p = 0;
    for (int id = 0; id < HP_COUNT; id++) {
      const struct hp_info *info = hp_info(id);
      assert_int_equal(find_port(d, info->name) >= 0, info->live);
      if (!info->live) continue;
      /* live parameters first, in table order, with the table's bounds */
      assert_string_equal(d->PortNames[p], info->name);
      assert_int_equal(d->PortDescriptors[p], LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL);
      assert_true(d->PortRangeHints[p].LowerBound == (float)info->min);
      assert_true(d->PortRangeHints[p].UpperBound == (float)info->max);
      assert_int_equal(LADSPA_IS_HINT_TOGGLED(d->PortRangeHints[p].HintDescriptor),
                       info->type == HP_BOOL ? LADSPA_HINT_TOGGLED : 0);
      p++;
    }
    int lat = find_port(d, "latency");
    assert_true(lat >= 0);
    assert_int_equal(d->PortDescriptors[lat], LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL);
    unsigned long audio = 0;
    for (p = 0; p < d->PortCount; p++) audio += !!LADSPA_IS_PORT_AUDIO(d->PortDescriptors[p]);
    assert_int_equal(audio, 2 * (l + 1));
  }
}

/* The default hint of each control: the table's default where a hint gives it exactly,
 * else the nearest hint (see docs/plugin.md for which, and the filter-chain drop-in,
 * which sets the table's value for those). */
static void test_default_hints_give_the_table_default_or_the_nearest(void **state) {
  (void)state;
  const LADSPA_Descriptor *d = descriptor_fn(0);
  int exact = 0;
  for (unsigned long p = 0; p < d->PortCount; p++) {
    int id = hp_find(d->PortNames[p]);
    if (id < 0 || !LADSPA_IS_PORT_INPUT(d->PortDescriptors[p])) continue;
    const LADSPA_PortRangeHint *h = &d->PortRangeHints[p];
    float def = (float)hp_info(id)->def, v = ports_hint_value(h->HintDescriptor, h->LowerBound,
                                                        h->UpperBound);
    float best = INFINITY;
    for (int k = 1; k <= 9; k++) {
      float c = ports_hint_value(k << 6, h->LowerBound, h->UpperBound);
      if (c >= h->LowerBound && c <= h->UpperBound && fabsf(c - def) < best) best = fabsf(c - def);
    }
    assert_true(fabsf(v - def) == best);
    exact += v == def;
  }
  /* isolated, reduction_db, attack_ms, hold_ms, freq_smooth_hz, wet, adapt, bypass */
  assert_int_equal(exact, 8);
}

/* The engine's automatic fft_size for a rate, through the engine itself. */
static size_t engine_latency_at(int rate) {
  struct hp_values p;
  char err[256];
  hp_defaults(&p);
  struct engine *e = engine_create(&p, rate, 1, ENGINE_PLAN_ESTIMATE, err, sizeof err);
  assert_non_null(e);
  size_t lat = engine_latency_frames(e);
  engine_destroy(e);
  return lat;
}

static void test_latency_reported_equals_measured_at_every_rate(void **state) {
  (void)state;
  const int rates[] = {8000, 11025, 16000, 22050, 44100, 48000, 88200, 96000, 192000};
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
    struct host s;
    assert_int_equal(host_open(&s, "hushd_mono", (unsigned long)rates[r]), 0);
    host_set(&s, "bypass", 1); /* bypass: the latency-aligned input, exactly */
    s.d->activate(s.h);
    size_t reported = (size_t)host_get(&s, "latency");
    assert_int_equal(reported, engine_latency_at(rates[r]));
    size_t n = reported + 4096;
    float *x = zeros(n), *y = zeros(n);
    x[100] = 1.f;
    host_run(&s, &x, &y, n, 333);
    size_t peak = 0;
    for (size_t i = 0; i < n; i++)
      if (fabsf(y[i]) > fabsf(y[peak])) peak = i;
    assert_int_equal(peak - 100, reported);
    assert_true(fabsf(y[peak] - 1.f) < 1e-6f);
    assert_int_equal((size_t)host_get(&s, "latency"), reported); /* constant */
    host_close(&s);
    free(x);
    free(y);
  }
}

static void test_unusable_rates_fail_without_abort(void **state) {
  (void)state;
  const unsigned long rates[] = {0, 1, 4000, 7999, 400000, (unsigned long)-1};
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++)
    for (int l = 0; l < 2; l++)
      assert_null(descriptor_fn((unsigned long)l)->instantiate(descriptor_fn((unsigned long)l),
                                                              rates[r]));
}

/* out[c] for n frames of in[] with run() lengths `block` on a fresh instance */
static void process(const char *which, int rate, float **in, float **out, size_t n,
                    size_t block, const char *name, float value) {
  struct host s;
  assert_int_equal(host_open(&s, which, (unsigned long)rate), 0);
  if (name) host_set(&s, name, value);
  s.d->activate(s.h);
  host_run(&s, in, out, n, block);
  host_close(&s);
}

static void test_block_lengths_give_bit_identical_output(void **state) {
  (void)state;
  const size_t n = 4 * 48000, blocks[] = {1, 7, 64, 480, 4096, 8192, 0};
  for (int ch = 1; ch <= 2; ch++) {
    const char *which = ch == 1 ? "hushd_mono" : "hushd_stereo";
    float *x[2] = {noisy(n, 48000, 0, 1), noisy(n, 48000, 1, 2)};
    float *ref[2] = {zeros(n), zeros(n)}, *y[2] = {zeros(n), zeros(n)};
    process(which, 48000, x, ref, n, 256, NULL, 0);
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
      process(which, 48000, x, y, n, blocks[b], NULL, 0);
      for (int c = 0; c < ch; c++)
        if (memcmp(ref[c], y[c], n * sizeof(float)))
          fail_msg("%s, run() length %zu: output differs", which, blocks[b]);
    }
    for (int c = 0; c < 2; c++) {
      free(x[c]);
      free(ref[c]);
      free(y[c]);
    }
  }
}

/* The "audio thread" of the allocation test: waits for the go, marks itself for
 * alloc-count.so with a sem_post, allocates once on purpose (the count must see it), then
 * runs the plugin while controls change, some to absurd values. The main thread is
 * watched too (FFTW's planner lock is a semaphore), so it starts the thread before the
 * first count and only posts and joins in between. */
struct audio_job {
  struct host *s;
  float *x[2];
  size_t n;
  sem_t go;
};

static void *audio_thread(void *arg) {
  struct audio_job *j = arg;
  static const char *const names[] = {"threshold", "reduction_db", "wet",
                                      "bypass",    "adapt",        "hold_ms"};
  const float values[] = {1e9f, -5.f, 0.5f, 1.f, 0.f, NAN};
  sem_wait(&j->go);
  sem_post(&j->go);
  void *(*volatile m)(size_t) = malloc; /* volatile: the compiler may not drop the pair */
  free(m(16));
  for (size_t at = 0, k = 0; at + 4096 <= j->n; at += 4096, k++) {
    float *in[2] = {j->x[0] + at, j->x[1] + at};
    const char *name = names[k % 6];
    host_set(j->s, name, k % 2 ? values[k % 6] : (float)hp_info(hp_find(name))->def);
    host_run(j->s, in, in, 4096, k % 2 ? 64 : 0);
  }
  return NULL;
}

static void test_run_allocates_nothing(void **state) {
  (void)state;
  if (!count_allocs) skip();
  const size_t n = 6 * 48000;
  for (int ch = 1; ch <= 2; ch++) {
    struct host s;
    struct audio_job job = {&s, {noisy(n, 48000, 0, 3), noisy(n, 48000, 1, 4)}, n, {{0}}};
    assert_int_equal(host_open(&s, ch == 1 ? "hushd_mono" : "hushd_stereo", 48000), 0);
    s.d->activate(s.h);
    sem_init(&job.go, 0, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, audio_thread, &job), 0);
    long before = alloc_count();
    sem_post(&job.go);
    pthread_join(t, NULL);
    long during = alloc_count() - before;
    if (during != 1) /* the thread's own malloc, nothing from run() */
      fail_msg("%s: %ld allocations in run()", s.d->Label, during - 1);
    host_close(&s);
    sem_destroy(&job.go);
    free(job.x[0]);
    free(job.x[1]);
  }
}

/* power of x[from, to) in dB, over the halves where the tone of noisy() is on or off */
static double level_db(const float *x, size_t from, size_t to, int rate, int on) {
  double e = 1e-30;
  size_t k = 0;
  for (size_t i = from; i < to; i++)
    if ((int)((i / (size_t)(rate / 4)) % 2) == on) {
      e += (double)x[i] * x[i];
      k++;
    }
  return 10 * log10(e / (double)(k ? k : 1));
}

static void test_every_rate_denoises(void **state) {
  (void)state;
  const int rates[] = {16000, 44100, 48000, 96000};
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
    const int rate = rates[r];
    const size_t n = (size_t)rate * 6;
    float *x = noisy(n, rate, 0, 5), *y = zeros(n);
    struct host s;
    assert_int_equal(host_open(&s, "hushd_mono", (unsigned long)rate), 0);
    s.d->activate(s.h);
    size_t lat = (size_t)host_get(&s, "latency");
    host_run(&s, &x, &y, n, 0);
    /* the meters: the last hop is in a tone pulse (-13.5 dBFS) and passes whole */
    const float in_db = host_get(&s, "meter_in_db"), out_db = host_get(&s, "meter_out_db"),
                red_db = host_get(&s, "meter_reduction_db");
    print_message("%6d Hz: meters in %.1f out %.1f reduction %.1f noise floor %.1f dB\n", rate,
                  in_db, out_db, red_db, host_get(&s, "meter_noise_floor_db"));
    assert_true(fabsf(in_db + 13.5f) < 1.f && fabsf(out_db + 13.5f) < 1.f);
    assert_true(red_db > 0.f && red_db <= 20.f);
    host_close(&s);
    /* the last 3 s, output aligned with input; a 20 ms margin around each switch */
    double in_off = 0, out_off = 0, in_on = 0, out_on = 0;
    in_off = level_db(x, n / 2, n - lat, rate, 0);
    in_on = level_db(x, n / 2, n - lat, rate, 1);
    float *aligned = y + lat;
    out_off = level_db(aligned, n / 2, n - lat, rate, 0);
    out_on = level_db(aligned, n / 2, n - lat, rate, 1);
    print_message("%6d Hz: noise %.1f -> %.1f dB, tone %.1f -> %.1f dB\n", rate, in_off,
                  out_off, in_on, out_on);
    assert_true(out_off < in_off - 10);
    assert_true(fabs(out_on - in_on) < 1.0);
    free(x);
    free(y);
  }
}

/* A control value outside the table's range acts as the nearest bound; NaN as no change
 * (the default here); a toggle is on above zero. */
static void test_out_of_range_controls_are_clamped(void **state) {
  (void)state;
  const size_t n = 2 * 48000;
  const struct {
    const char *name;
    float given, same_as;
  } cases[] = {
      {"reduction_db", 1e9f, 80.f},    {"reduction_db", -3.f, 0.f},
      {"threshold", INFINITY, 30.f},   {"threshold", -INFINITY, -10.f},
      {"onset_db", NAN, 12.f},         {"bypass", 0.3f, 1.f},
      {"isolated", -1.f, 0.f},         {"wet", 7.f, 1.f},
  };
  float *x = noisy(n, 48000, 0, 6), *a = zeros(n), *b = zeros(n);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    process("hushd_mono", 48000, &x, &a, n, 480, cases[i].name, cases[i].given);
    process("hushd_mono", 48000, &x, &b, n, 480, cases[i].name, cases[i].same_as);
    if (memcmp(a, b, n * sizeof(float)))
      fail_msg("%s = %g does not act as %g", cases[i].name, cases[i].given, cases[i].same_as);
  }
  /* and while running: every control at absurd values, then back */
  struct host s;
  assert_int_equal(host_open(&s, "hushd_stereo", 48000), 0);
  s.d->activate(s.h);
  float *in[2] = {x, x}, *out[2] = {a, b};
  for (unsigned long p = 0; p < s.d->PortCount; p++)
    if (LADSPA_IS_PORT_CONTROL(s.d->PortDescriptors[p]) &&
        LADSPA_IS_PORT_INPUT(s.d->PortDescriptors[p]))
      s.ctl[p] = p % 2 ? -1e30f : 1e30f;
  host_run(&s, in, out, n, 480);
  for (size_t i = 0; i < n; i++) assert_true(isfinite(a[i]) && isfinite(b[i]));
  host_close(&s);
  free(x);
  free(a);
  free(b);
}

/* deactivate + activate forget everything: the same input then gives what a new
 * instance gives */
static void test_activate_resets_state(void **state) {
  (void)state;
  const size_t n = 3 * 48000;
  float *x = noisy(n, 48000, 0, 7), *other = noisy(n, 48000, 0, 8);
  float *ref = zeros(n), *y = zeros(n);
  process("hushd_mono", 48000, &x, &ref, n, 480, NULL, 0);
  struct host s;
  assert_int_equal(host_open(&s, "hushd_mono", 48000), 0);
  s.d->activate(s.h);
  host_run(&s, &other, &y, n, 480);
  if (s.d->deactivate) s.d->deactivate(s.h);
  s.d->activate(s.h);
  host_run(&s, &x, &y, n, 480);
  host_close(&s);
  assert_memory_equal(ref, y, n * sizeof(float));
  free(x);
  free(other);
  free(ref);
  free(y);
}

static void test_in_place_buffers_give_the_same_output(void **state) {
  (void)state;
  const size_t n = 2 * 48000;
  for (int ch = 1; ch <= 2; ch++) {
    const char *which = ch == 1 ? "hushd_mono" : "hushd_stereo";
    float *x[2] = {noisy(n, 48000, 0, 9), noisy(n, 48000, 1, 10)};
    float *y[2] = {zeros(n), zeros(n)};
    process(which, 48000, x, y, n, 1000, NULL, 0);
    process(which, 48000, x, x, n, 1000, NULL, 0);
    for (int c = 0; c < ch; c++) assert_memory_equal(x[c], y[c], n * sizeof(float));
    for (int c = 0; c < 2; c++) {
      free(x[c]);
      free(y[c]);
    }
  }
}

/* hushd_stereo decides once for both channels: the same signal on both gives the mono
 * output on both */
static void test_stereo_is_linked(void **state) {
  (void)state;
  const size_t n = 3 * 48000;
  float *x = noisy(n, 48000, 0, 11), *m = zeros(n), *l = zeros(n), *r = zeros(n);
  process("hushd_mono", 48000, &x, &m, n, 512, NULL, 0);
  float *in[2] = {x, x}, *out[2] = {l, r};
  process("hushd_stereo", 48000, in, out, n, 512, NULL, 0);
  for (size_t i = 0; i < n; i++) {
    assert_true(l[i] == r[i]);
    assert_true(fabsf(l[i] - m[i]) <= 1e-6f);
  }
  free(x);
  free(m);
  free(l);
  free(r);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[2], "--no-alloc-count")) {
    count_allocs = 0;
    argc--;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: test-plugin PATH/libhushd_ladspa.so [--no-alloc-count]\n");
    return 2;
  }
  plugin_path = argv[1];
  void *lib = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "test-plugin: %s\n", dlerror());
    return 1;
  }
  *(void **)&descriptor_fn = dlsym(lib, "ladspa_descriptor");
  if (!descriptor_fn) {
    fprintf(stderr, "test-plugin: no ladspa_descriptor in %s\n", plugin_path);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_labels_ids_and_ports_follow_the_table),
      cmocka_unit_test(test_default_hints_give_the_table_default_or_the_nearest),
      cmocka_unit_test(test_latency_reported_equals_measured_at_every_rate),
      cmocka_unit_test(test_unusable_rates_fail_without_abort),
      cmocka_unit_test(test_block_lengths_give_bit_identical_output),
      cmocka_unit_test(test_run_allocates_nothing),
      cmocka_unit_test(test_every_rate_denoises),
      cmocka_unit_test(test_out_of_range_controls_are_clamped),
      cmocka_unit_test(test_activate_resets_state),
      cmocka_unit_test(test_in_place_buffers_give_the_same_output),
      cmocka_unit_test(test_stereo_is_linked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
