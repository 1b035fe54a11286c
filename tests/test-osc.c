/* test-osc: every path of the OSC namespace over real UDP on 127.0.0.1, against the real
 * server (daemon/osc.c) on an engine driven in-process (osc-testd, given as argv[1]).
 * Run with the ThreadSanitizer build of the driver too (suite tsan): the driver must
 * then exit 0, i.e. without a race report. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "osc-client.h"
#include "params.h"

static const char *driver_exe;
static char state_dir[256];
static struct driver drv;
static struct client cl;

static int start_driver(struct driver *d, const char *extra1, const char *extra2) {
  char *argv[] = {(char *)driver_exe, "--state-dir", state_dir, (char *)extra1,
                  (char *)extra2, NULL};
  return driver_start(d, argv);
}

static int setup(void **state) {
  (void)state;
  const char *tmp = getenv("TMPDIR");
  snprintf(state_dir, sizeof state_dir, "%s/hushd-osc-XXXXXX", tmp ? tmp : "/tmp");
  if (!mkdtemp(state_dir) || start_driver(&drv, NULL, NULL)) return -1;
  return client_open(&cl, drv.port);
}

static int teardown(void **state) {
  (void)state;
  char out[4096];
  client_close(&cl);
  int rc = driver_stop(&drv, out, sizeof out);
  fprintf(stderr, "%s", out);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
  if (system(cmd)) return -1;
  /* a ThreadSanitizer report makes the driver exit 66 */
  return rc == 0 && strstr(out, "osc-testd: hops") ? 0 : -1;
}

static lo_message msg_f(float v) {
  lo_message m = lo_message_new();
  lo_message_add_float(m, v);
  return m;
}

static lo_message msg_s(const char *s) {
  lo_message m = lo_message_new();
  lo_message_add_string(m, s);
  return m;
}

/* Sends m to path on c and returns the reply at that path or the error. */
static lo_message ask_on(struct client *c, const char *path, lo_message m, char *got) {
  client_send(c, path, m ? m : lo_message_new());
  lo_message r = client_expect(c, path, 2000, got, 256);
  assert_non_null(r);
  return r;
}

static lo_message ask(const char *path, lo_message m, char *got) {
  return ask_on(&cl, path, m, got);
}

static float arg_f(lo_message r, int i) {
  assert_true(i < lo_message_get_argc(r));
  assert_int_equal(lo_message_get_types(r)[i], 'f');
  return lo_message_get_argv(r)[i]->f;
}

static const char *arg_s(lo_message r, int i) {
  assert_true(i < lo_message_get_argc(r));
  assert_int_equal(lo_message_get_types(r)[i], 's');
  return &lo_message_get_argv(r)[i]->s;
}

static float param(const char *name) {
  char path[128], got[256];
  snprintf(path, sizeof path, "/hushd/param/%s", name);
  lo_message r = ask(path, NULL, got);
  assert_string_equal(got, path);
  float v = arg_f(r, 0);
  lo_message_free(r);
  return v;
}

static void set_param(const char *name, float v) {
  char path[128], got[256];
  snprintf(path, sizeof path, "/hushd/param/%s", name);
  lo_message r = ask(path, msg_f(v), got);
  assert_string_equal(got, path);
  assert_float_equal(arg_f(r, 0), v, 0);
  lo_message_free(r);
}

/* Sends m to path and checks the exact /hushd/error reply. */
static void expect_error(const char *path, lo_message m, const char *text) {
  char got[256];
  lo_message r = ask(path, m, got);
  assert_string_equal(got, "/hushd/error");
  assert_string_equal(lo_message_get_types(r), "ss");
  assert_string_equal(arg_s(r, 0), path);
  assert_string_equal(arg_s(r, 1), text);
  lo_message_free(r);
}

static void all_params(float v[HP_COUNT]) {
  char got[256];
  lo_message r = ask("/hushd/params", NULL, got);
  assert_int_equal(lo_message_get_argc(r), 2 * HP_COUNT);
  for (int id = 0; id < HP_COUNT; id++) {
    assert_string_equal(arg_s(r, 2 * id), hp_info(id)->name);
    v[id] = arg_f(r, 2 * id + 1);
  }
  lo_message_free(r);
}

static struct status {
  float in_db, out_db, reduction_db, noise_floor_db, latency_ms, cpu_load, uptime_s;
  int xruns, overruns, underruns, dropped, refused, bad_samples;
} status_on(struct client *c) {
  char got[256];
  lo_message r = ask_on(c, "/hushd/status", NULL, got);
  assert_string_equal(got, "/hushd/status");
  assert_string_equal(lo_message_get_types(r), "ffffffiiifiii");
  lo_arg **a = lo_message_get_argv(r);
  struct status s = {a[0]->f, a[1]->f, a[2]->f, a[3]->f, a[4]->f, a[5]->f, a[9]->f,
                     a[6]->i, a[7]->i, a[8]->i, a[10]->i, a[11]->i, a[12]->i};
  lo_message_free(r);
  return s;
}

static struct status status(void) { return status_on(&cl); }

static void test_ping_replies_pong_from_the_server_port(void **state) {
  (void)state;
  char got[256];
  int from = 0;
  client_send(&cl, "/ping", lo_message_new());
  lo_message r = client_recv(&cl, 2000, got, sizeof got, &from);
  assert_non_null(r);
  assert_string_equal(got, "/pong");
  assert_int_equal(lo_message_get_argc(r), 0);
  assert_int_equal(from, drv.port);
  lo_message_free(r);
}

static void test_replies_go_to_the_senders_port_only(void **state) {
  (void)state;
  struct client other;
  char got[256];
  assert_int_equal(client_open(&other, drv.port), 0);
  client_send(&other, "/hushd/param/wet", lo_message_new());
  lo_message r = client_recv(&other, 2000, got, sizeof got, NULL);
  assert_non_null(r);
  assert_string_equal(got, "/hushd/param/wet");
  lo_message_free(r);
  assert_null(client_recv(&cl, 200, got, sizeof got, NULL));
  client_close(&other);
}

static void test_every_live_param_round_trips_and_restart_params_are_refused(void **state) {
  (void)state;
  char path[128], msg[256];
  for (int id = 0; id < HP_COUNT; id++) {
    const struct hp_info *p = hp_info(id);
    float before = param(p->name);
    if (!p->live) {
      snprintf(path, sizeof path, "/hushd/param/%s", p->name);
      snprintf(msg, sizeof msg, "%s cannot change while running: it needs a restart", p->name);
      expect_error(path, msg_f(before), msg);
      assert_float_equal(param(p->name), before, 0);
      continue;
    }
    float v = p->type == HP_BOOL ? 1.f - before
                                 : (float)(p->min + 0.37 * (p->max - p->min));
    if (p->type == HP_INT) v = roundf(v);
    set_param(p->name, v);
    assert_float_equal(param(p->name), v, 0);
    set_param(p->name, before);
  }
}

static void test_ints_doubles_int64_bools_and_text_are_accepted(void **state) {
  (void)state;
  char got[256];
  lo_message m = lo_message_new();
  lo_message_add_int32(m, 3);
  lo_message r = ask("/hushd/param/threshold", m, got);
  assert_float_equal(arg_f(r, 0), 3.f, 0);
  lo_message_free(r);
  m = lo_message_new();
  lo_message_add_double(m, 2.25);
  r = ask("/hushd/param/threshold", m, got);
  assert_float_equal(arg_f(r, 0), 2.25f, 0);
  lo_message_free(r);
  m = lo_message_new();
  lo_message_add_int64(m, 4);
  r = ask("/hushd/param/threshold", m, got);
  assert_float_equal(arg_f(r, 0), 4.f, 0);
  lo_message_free(r);
  m = lo_message_new();
  lo_message_add_true(m);
  r = ask("/hushd/param/bypass", m, got);
  assert_float_equal(arg_f(r, 0), 1.f, 0);
  lo_message_free(r);
  m = lo_message_new();
  lo_message_add_false(m);
  r = ask("/hushd/param/bypass", m, got);
  assert_float_equal(arg_f(r, 0), 0.f, 0);
  lo_message_free(r);
  r = ask("/hushd/param/adapt", msg_s("off"), got);
  assert_float_equal(arg_f(r, 0), 0.f, 0);
  lo_message_free(r);
  r = ask("/hushd/param/adapt", msg_s("on"), got);
  assert_float_equal(arg_f(r, 0), 1.f, 0);
  lo_message_free(r);
  set_param("threshold", (float)hp_info(HP_threshold)->def);
}

static void test_params_lists_every_name_with_its_value(void **state) {
  (void)state;
  float v[HP_COUNT];
  all_params(v);
  for (int id = 0; id < HP_COUNT; id++)
    assert_float_equal(v[id], param(hp_info(id)->name), 0);
  assert_float_equal(v[HP_fft_size], 1024.f, 0); /* auto at 48 kHz, resolved */
}

static void test_info_replies_type_range_default_unit_help_and_live(void **state) {
  (void)state;
  static const char *const types[] = {"float", "int", "bool"};
  char path[128], got[256];
  for (int id = 0; id < HP_COUNT; id++) {
    const struct hp_info *p = hp_info(id);
    snprintf(path, sizeof path, "/hushd/info/%s", p->name);
    lo_message r = ask(path, NULL, got);
    assert_string_equal(got, path);
    assert_string_equal(lo_message_get_types(r), "sfffssi");
    assert_string_equal(arg_s(r, 0), types[p->type]);
    assert_float_equal(arg_f(r, 1), (float)p->min, 0);
    assert_float_equal(arg_f(r, 2), (float)p->max, 0);
    assert_float_equal(arg_f(r, 3), (float)p->def, 0);
    assert_string_equal(arg_s(r, 4), p->unit);
    assert_string_equal(arg_s(r, 5), p->help);
    assert_int_equal(lo_message_get_argv(r)[6]->i, p->live);
    lo_message_free(r);
  }
}

static void test_bypass_and_adapt_paths_set_and_query(void **state) {
  (void)state;
  char got[256];
  lo_message m = lo_message_new();
  lo_message_add_int32(m, 1);
  lo_message r = ask("/hushd/bypass", m, got);
  assert_string_equal(got, "/hushd/bypass");
  assert_float_equal(arg_f(r, 0), 1.f, 0);
  lo_message_free(r);
  assert_float_equal(param("bypass"), 1.f, 0);
  r = ask("/hushd/bypass", NULL, got);
  assert_float_equal(arg_f(r, 0), 1.f, 0);
  lo_message_free(r);
  set_param("bypass", 0);

  m = lo_message_new();
  lo_message_add_int32(m, 0);
  r = ask("/hushd/profile/adapt", m, got);
  assert_string_equal(got, "/hushd/profile/adapt");
  assert_float_equal(arg_f(r, 0), 0.f, 0);
  lo_message_free(r);
  assert_float_equal(param("adapt"), 0.f, 0);
  set_param("adapt", 1);
}

static void test_bad_input_gets_an_exact_error_and_changes_nothing(void **state) {
  (void)state;
  float before[HP_COUNT], after[HP_COUNT];
  all_params(before);
  expect_error("/hushd/param/threshold", msg_f(31), "threshold: 31 is out of range [-10, 30] dB");
  expect_error("/hushd/param/reduction_db", msg_f(-1),
               "reduction_db: -1 is out of range [0, 80] dB");
  expect_error("/hushd/param/threshold", msg_f(NAN), "threshold: nan is out of range [-10, 30] dB");
  expect_error("/hushd/param/bypass", msg_f(0.5f), "bypass: 0.5 is not 0 or 1");
  lo_message m = lo_message_new();
  lo_message_add_char(m, 'x');
  expect_error("/hushd/param/threshold", m,
               "argument 1 must be a number (i, f, d, h, T or F), not 'c'");
  expect_error("/hushd/param/threshold", msg_s("abc"),
               "threshold: 'abc' is not a number (allowed: [-10, 30] dB)");
  m = msg_f(1);
  lo_message_add_float(m, 2);
  expect_error("/hushd/param/threshold", m, "expects 0 or 1 arguments, got 2");
  expect_error("/hushd/param/nope", msg_f(1), "unknown parameter 'nope'");
  expect_error("/hushd/info/nope", NULL, "unknown parameter 'nope'");
  expect_error("/hushd/nope", NULL, "unknown path");
  expect_error("/hushd/param/", msg_f(1), "unknown path");
  expect_error("/hushd/param/fft_size", msg_f(512),
               "fft_size cannot change while running: it needs a restart");
  expect_error("/hushd/params", msg_f(1), "expects 0 arguments, got 1");
  expect_error("/hushd/info/wet", msg_f(1), "expects 0 arguments, got 1");
  expect_error("/hushd/status", msg_f(1), "expects 0 arguments, got 1");
  expect_error("/hushd/bypass", msg_f(2), "bypass: 2 is out of range [0, 1]");
  expect_error("/hushd/subscribe", NULL, "expects 1 or 2 arguments, got 0");
  expect_error("/hushd/subscribe", msg_f(0), "interval_s: 0 is out of range [0.01, 60]");
  m = msg_f(1);
  lo_message_add_float(m, 7200);
  expect_error("/hushd/subscribe", m, "lease_s: 7200 is out of range [0.01, 3600]");
  expect_error("/hushd/subscribe", msg_s("fast"),
               "argument 1 must be a number (i, f, d, h, T or F), not 's'");
  expect_error("/hushd/profile/learn", NULL, "expects 1 argument, got 0");
  expect_error("/hushd/profile/learn", msg_f(0), "seconds: 0 is out of range [0.05, 600]");
  expect_error("/hushd/profile/save", msg_f(1),
               "argument 1 must be a profile name (s), not 'f'");
  static const char *const bad_names[] = {"../x", "a/b", "..", ""};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
    char text[256];
    snprintf(text, sizeof text,
             "profile name '%s' is not allowed: 1 to 100 characters, no '/', no '..'",
             bad_names[i]);
    expect_error("/hushd/profile/save", msg_s(bad_names[i]), text);
    expect_error("/hushd/profile/load", msg_s(bad_names[i]), text);
  }
  expect_error("/hushd/config/save", msg_f(1), "expects 0 arguments, got 1");
  all_params(after);
  for (int id = 0; id < HP_COUNT; id++) assert_float_equal(after[id], before[id], 0);
}

static void test_malformed_packets_are_counted_and_dropped(void **state) {
  (void)state;
  char got[256];
  int before = status().dropped;
  client_send_raw(&cl, "garbage", 7);
  unsigned char full[64];
  size_t len = sizeof full;
  lo_message m = msg_f(1);
  lo_message_serialise(m, "/hushd/param/threshold", full, &len);
  lo_message_free(m);
  client_send_raw(&cl, full, len - 2);               /* truncated float */
  client_send_raw(&cl, "/hushd/status\0\0\0", 16);   /* no type tag string */
  client_send_raw(&cl, "#bundle\0\0\0\0\0\0\0\0\1\0\0\0\x40", 20); /* element too long */
  client_send_raw(&cl, "", 0);
  assert_int_equal(status().dropped - before, 5);
  client_send(&cl, "/ping", lo_message_new());
  lo_message r = client_expect(&cl, "/pong", 2000, got, sizeof got);
  assert_non_null(r);
  lo_message_free(r);
  assert_float_equal(param("threshold"), (float)hp_info(HP_threshold)->def, 0);
}

static void test_bundle_elements_are_each_answered(void **state) {
  (void)state;
  char got[256];
  lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
  lo_message a = lo_message_new(), q = lo_message_new();
  lo_bundle_add_message(b, "/ping", a);
  lo_bundle_add_message(b, "/hushd/param/wet", q);
  size_t len = 0;
  void *data = lo_bundle_serialise(b, NULL, &len);
  client_send_raw(&cl, data, len);
  free(data);
  lo_bundle_free_recursive(b);
  lo_message r = client_recv(&cl, 2000, got, sizeof got, NULL);
  assert_non_null(r);
  assert_string_equal(got, "/pong");
  lo_message_free(r);
  r = client_recv(&cl, 2000, got, sizeof got, NULL);
  assert_non_null(r);
  assert_string_equal(got, "/hushd/param/wet");
  assert_float_equal(arg_f(r, 0), 1.f, 0);
  lo_message_free(r);
}

static void test_status_reports_levels_latency_and_uptime(void **state) {
  (void)state;
  struct status a = status();
  usleep(100000);
  struct status b = status();
  assert_float_equal(a.latency_ms, 16.f, 1e-4); /* (1024 - 256) / 48 kHz */
  assert_true(b.in_db > -60 && b.in_db < -10);
  assert_true(b.reduction_db >= 0 && b.reduction_db <= 80);
  assert_true(b.cpu_load >= 0 && b.cpu_load < 1);
  assert_true(b.uptime_s - a.uptime_s > 0.09 && b.uptime_s - a.uptime_s < 1);
  assert_int_equal(b.overruns, 0);
  assert_int_equal(b.underruns, 0);
}

static void test_status_counts_bad_samples_and_levels_stay_finite(void **state) {
  (void)state;
  struct driver d;
  struct client c;
  assert_int_equal(start_driver(&d, "--bad-samples", NULL), 0);
  assert_int_equal(client_open(&c, d.port), 0);
  usleep(300000); /* hop 10 is 53 ms in */
  struct status s = status_on(&c);
  client_close(&c);
  char out[4096];
  assert_int_equal(driver_stop(&d, out, sizeof out), 0);
  assert_int_equal(s.bad_samples, 4);
  assert_true(isfinite(s.out_db) && isfinite(s.noise_floor_db) && s.noise_floor_db > -150);
}

/* Counts /hushd/meters arriving at c within seconds; first/last: arrival times. */
static int count_meters(struct client *c, double seconds, double *last) {
  char got[256];
  int n = 0;
  double end = now_s() + seconds;
  for (;;) {
    int left = (int)((end - now_s()) * 1000);
    if (left <= 0) return n;
    lo_message r = client_recv(c, left, got, sizeof got, NULL);
    if (!r) return n;
    if (!strcmp(got, "/hushd/meters")) {
      assert_string_equal(lo_message_get_types(r), "ffff");
      n++;
      if (last) *last = now_s();
    }
    lo_message_free(r);
  }
}

static void test_subscription_pushes_meters_until_the_lease_ends(void **state) {
  (void)state;
  char got[256];
  lo_message m = msg_f(0.05f);
  lo_message_add_float(m, 0.5f);
  double t0 = now_s();
  lo_message r = ask("/hushd/subscribe", m, got);
  assert_string_equal(got, "/hushd/subscribe");
  assert_float_equal(arg_f(r, 0), 0.05f, 0);
  assert_float_equal(arg_f(r, 1), 0.5f, 0);
  lo_message_free(r);
  double last = t0;
  int n = count_meters(&cl, 1.0, &last);
  /* one at once, then every 50 ms for 0.5 s: 10 or 11, fewer if the machine stalls */
  assert_in_range(n, 7, 11);
  assert_true(last - t0 < 0.6);
}

static void test_unsubscribe_stops_the_meters(void **state) {
  (void)state;
  char got[256];
  lo_message m = msg_f(0.02f);
  lo_message_add_float(m, 10);
  lo_message_free(ask("/hushd/subscribe", m, got));
  assert_true(count_meters(&cl, 0.2, NULL) >= 3);
  lo_message r = ask("/hushd/unsubscribe", NULL, got);
  assert_string_equal(got, "/hushd/unsubscribe");
  lo_message_free(r);
  assert_int_equal(count_meters(&cl, 0.3, NULL), 0);
}

static void test_at_most_16_subscribers(void **state) {
  (void)state;
  struct client c[17];
  char got[256];
  for (int i = 0; i < 17; i++) {
    assert_int_equal(client_open(&c[i], drv.port), 0);
    lo_message m = msg_f(30);
    lo_message_add_float(m, 10);
    lo_message r = ask_on(&c[i], "/hushd/subscribe", m, got);
    assert_string_equal(got, i < 16 ? "/hushd/subscribe" : "/hushd/error");
    if (i == 16) assert_string_equal(arg_s(r, 1), "too many subscribers (at most 16)");
    lo_message_free(r);
  }
  for (int i = 0; i < 17; i++) {
    lo_message_free(ask_on(&c[i], "/hushd/unsubscribe", NULL, got));
    client_close(&c[i]);
  }
  /* the slots are free again */
  struct client again;
  assert_int_equal(client_open(&again, drv.port), 0);
  lo_message r = ask_on(&again, "/hushd/subscribe", msg_f(30), got);
  assert_string_equal(got, "/hushd/subscribe");
  lo_message_free(r);
  lo_message_free(ask_on(&again, "/hushd/unsubscribe", NULL, got));
  client_close(&again);
}

/* A second client, subscribed for 10 s with meters every 30 s. */
static void open_watcher(struct client *w) {
  char got[256];
  assert_int_equal(client_open(w, drv.port), 0);
  lo_message m = msg_f(30);
  lo_message_add_float(m, 10);
  lo_message_free(ask_on(w, "/hushd/subscribe", m, got));
}

static void test_subscribers_are_told_of_changes_made_by_others(void **state) {
  (void)state;
  struct client watcher;
  char got[256];
  open_watcher(&watcher);
  set_param("wet", 0.5f);
  lo_message r = client_expect(&watcher, "/hushd/param/wet", 2000, got, sizeof got);
  assert_non_null(r);
  assert_string_equal(got, "/hushd/param/wet");
  assert_float_equal(arg_f(r, 0), 0.5f, 0);
  lo_message_free(r);
  set_param("wet", 1);
  lo_message_free(ask_on(&watcher, "/hushd/unsubscribe", NULL, got));
  client_close(&watcher);
}

static void test_a_bundle_of_100_changes_reaches_subscribers_once_with_the_last_value(
    void **state) {
  (void)state;
  struct client watcher;
  char got[256];
  open_watcher(&watcher);
  lo_message_free(client_expect(&watcher, "/hushd/meters", 2000, got, sizeof got));
  lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
  for (int k = 1; k <= 100; k++) lo_bundle_add_message(b, "/hushd/param/wet", msg_f(k / 100.f));
  size_t len = 0;
  void *data = lo_bundle_serialise(b, NULL, &len);
  client_send_raw(&cl, data, len);
  free(data);
  lo_bundle_free_recursive(b);
  int told = 0;
  float last = -1;
  lo_message r;
  while ((r = client_recv(&watcher, 300, got, sizeof got, NULL))) {
    if (!strcmp(got, "/hushd/param/wet")) told++, last = arg_f(r, 0);
    lo_message_free(r);
  }
  assert_int_equal(told, 1);
  assert_float_equal(last, 1.f, 0);
  for (int k = 1; k <= 100; k++) { /* the sender has every reply */
    r = client_expect(&cl, "/hushd/param/wet", 2000, got, sizeof got);
    assert_non_null(r);
    assert_float_equal(arg_f(r, 0), k / 100.f, 0);
    lo_message_free(r);
  }
  lo_message_free(ask_on(&watcher, "/hushd/unsubscribe", NULL, got));
  client_close(&watcher);
}

/* Starts a driver with argv extra (NULL-terminated, at most 4) beside the state folder. */
static void start_with(struct driver *d, const char *a, const char *b, const char *c,
                       const char *e) {
  char *argv[] = {(char *)driver_exe, "--state-dir", state_dir, "--no-audio", (char *)a,
                  (char *)b, (char *)c, (char *)e, NULL};
  assert_int_equal(driver_start(d, argv), 0);
}

/* 1 when a /pong comes back to c within timeout_ms */
static int pongs(struct client *c, int timeout_ms) {
  char got[256];
  client_send(c, "/ping", lo_message_new());
  lo_message r = client_expect(c, "/pong", timeout_ms, got, sizeof got);
  if (r) lo_message_free(r);
  return r != NULL;
}

static void test_senders_outside_the_allow_list_are_dropped_unanswered_and_counted(
    void **state) {
  (void)state;
  struct driver d;
  struct client outsider, insider;
  char out[1024];
  start_with(&d, "--allow", "127.0.0.2/32, 10.0.0.0/8", NULL, NULL);
  assert_int_equal(client_open_from(&outsider, d.port, "127.0.0.1", "127.0.0.1"), 0);
  assert_int_equal(client_open_from(&insider, d.port, "127.0.0.2", "127.0.0.1"), 0);
  assert_false(pongs(&outsider, 300));
  client_send(&outsider, "/hushd/config/save", lo_message_new());
  client_send(&outsider, "/hushd/param/threshold", msg_f(7));
  assert_true(pongs(&insider, 2000));
  struct status s = status_on(&insider);
  assert_int_equal(s.refused, 3);
  assert_int_equal(s.dropped, 0);
  char got[256];
  lo_message r = ask_on(&insider, "/hushd/param/threshold", NULL, got);
  assert_float_equal(arg_f(r, 0), (float)hp_info(HP_threshold)->def, 0);
  lo_message_free(r);
  char conf[512];
  snprintf(conf, sizeof conf, "%s/hushd.conf", state_dir);
  assert_int_not_equal(access(conf, F_OK), 0);
  client_close(&outsider);
  client_close(&insider);
  assert_int_equal(driver_stop(&d, out, sizeof out), 0);
  assert_non_null(strstr(out, "osc_refused 3\n"));
}

/* This machine's first IPv4 address that is not loopback, or NULL. */
static const char *non_loopback_ipv4(char *buf, size_t len) {
  FILE *p = popen("hostname -I 2>/dev/null", "r");
  if (!p) return NULL;
  char line[512] = {0};
  char *got = fgets(line, sizeof line, p);
  pclose(p);
  for (char *w = got ? strtok(line, " \n") : NULL; w; w = strtok(NULL, " \n"))
    if (!strchr(w, ':') && strncmp(w, "127.", 4)) return snprintf(buf, len, "%s", w), buf;
  return NULL;
}

static void test_by_default_only_loopback_senders_are_obeyed_even_on_every_address(
    void **state) {
  (void)state;
  char ip[64], out[1024];
  if (!non_loopback_ipv4(ip, sizeof ip)) skip(); /* no network interface but lo */
  struct driver d;
  struct client lan, local, local6;
  start_with(&d, "--bind", "::", NULL, NULL); /* every address, IPv4 and IPv6 */
  assert_int_equal(client_open_from(&lan, d.port, ip, ip), 0);
  assert_int_equal(client_open_from(&local, d.port, "127.0.0.1", "127.0.0.1"), 0);
  assert_int_equal(client_open_from(&local6, d.port, "::1", "::1"), 0);
  assert_false(pongs(&lan, 300));
  assert_true(pongs(&local, 2000)); /* seen as ::ffff:127.0.0.1 */
  assert_true(pongs(&local6, 2000));
  assert_int_equal(status_on(&local).refused, 1);
  client_close(&lan);
  client_close(&local);
  client_close(&local6);
  assert_int_equal(driver_stop(&d, out, sizeof out), 0);
  /* and a LAN allowed by name is obeyed */
  char net[80];
  snprintf(net, sizeof net, "%s/32", ip);
  start_with(&d, "--bind", "0.0.0.0", "--allow", net);
  assert_int_equal(client_open_from(&lan, d.port, ip, ip), 0);
  assert_true(pongs(&lan, 2000));
  client_close(&lan);
  assert_int_equal(driver_stop(&d, out, sizeof out), 0);
}

static void test_a_bad_allow_list_is_a_start_up_error_naming_the_entry(void **state) {
  (void)state;
  char cmd[1024], out[1024] = {0};
  snprintf(cmd, sizeof cmd, "'%s' --no-audio --allow '10.0.0.0/8,10.1/33' 2>&1", driver_exe);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = 0;
  assert_int_equal(WEXITSTATUS(pclose(p)), 2);
  assert_string_equal(out, "osc-testd: OSC allow list: '10.1/33' is not an address or network "
                           "(e.g. 192.168.1.0/24, fd00::/8, 10.0.0.7)\n");
}

static void test_meters_come_at_most_20_a_second_and_leases_last_at_most_10_minutes(
    void **state) {
  (void)state;
  char got[256];
  lo_message m = msg_f(0.01f); /* a float just under 0.01: accepted */
  lo_message_add_float(m, 3600);
  double t0 = now_s(); /* before the request: no push can come before it */
  lo_message r = ask("/hushd/subscribe", m, got);
  assert_string_equal(got, "/hushd/subscribe");
  assert_float_equal(arg_f(r, 0), 0.05f, 0);
  assert_float_equal(arg_f(r, 1), 600.f, 0);
  lo_message_free(r);
  /* pushes at 0, 0.05, ... 0.95 s after the request at the earliest: at most 20 in its
   * first 0.975 s, however late this thread runs; a 0.01 s interval would give 98 */
  int n = count_meters(&cl, 0.975 - (now_s() - t0), NULL);
  assert_in_range(n, 10, 20);
  lo_message_free(ask("/hushd/unsubscribe", NULL, got));
}

static void test_learn_replies_learned_when_done(void **state) {
  (void)state;
  char got[256];
  double t0 = now_s();
  lo_message r = ask("/hushd/profile/learn", msg_f(0.2f), got);
  assert_string_equal(got, "/hushd/profile/learn");
  assert_float_equal(arg_f(r, 0), 0.2f, 0);
  lo_message_free(r);
  r = client_expect(&cl, "/hushd/profile/learned", 3000, got, sizeof got);
  assert_non_null(r);
  assert_string_equal(got, "/hushd/profile/learned");
  double took = now_s() - t0;
  assert_true(took > 0.15 && took < 2.0);
  float floor_db = arg_f(r, 0);
  lo_message_free(r);
  assert_true(floor_db > -100 && floor_db < 0);
}

static void write_file(const char *name, const char *header, const char *line, int lines) {
  char file[512];
  snprintf(file, sizeof file, "%s/%s", state_dir, name);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fputs(header, f);
  for (int i = 0; i < lines; i++) fputs(line, f);
  fclose(f);
}

static void test_profile_save_and_load_round_trip_in_the_state_folder(void **state) {
  (void)state;
  char got[256], file[512], text[128] = {0};
  set_param("adapt", 0); /* freeze the model so its floor is steady */
  usleep(50000);
  float frozen = status().noise_floor_db;
  lo_message r = ask("/hushd/profile/save", msg_s("osc-a"), got);
  assert_string_equal(got, "/hushd/profile/save");
  assert_string_equal(arg_s(r, 0), "osc-a");
  lo_message_free(r);
  snprintf(file, sizeof file, "%s/osc-a.profile", state_dir);
  FILE *f = fopen(file, "r");
  assert_non_null(f);
  assert_true(fread(text, 1, sizeof text - 1, f) > 0);
  fclose(f);
  assert_memory_equal(text, "hushd-noise-profile 2\nkind ", 27);
  assert_non_null(strstr(text, "\nrate 48000\nfft 1024\nbins 513\n"));

  /* every bin at 0 dB: the floor meter reads 0 dB minus a full-scale sine's bin power */
  write_file("flat.profile", "hushd-noise-profile 1\nrate 48000\nfft 1024\nbins 513\n",
             "0.0000 5.0000\n", 513);
  r = ask("/hushd/profile/load", msg_s("flat"), got);
  assert_string_equal(got, "/hushd/profile/load");
  assert_string_equal(arg_s(r, 0), "flat");
  lo_message_free(r);
  usleep(50000);
  assert_float_equal(status().noise_floor_db, -20 * log10(1024 / M_PI), 0.01);

  lo_message_free(ask("/hushd/profile/load", msg_s("osc-a"), got));
  usleep(50000);
  assert_float_equal(status().noise_floor_db, frozen, 0.01);
  set_param("adapt", 1);

  char msg[1024];
  snprintf(msg, sizeof msg, "cannot read %s/missing.profile: No such file or directory",
           state_dir);
  expect_error("/hushd/profile/load", msg_s("missing"), msg);
  write_file("other.profile", "hushd-noise-profile 1\nrate 48000\nfft 512\nbins 257\n",
             "0 0\n", 257);
  snprintf(msg, sizeof msg,
           "%s/other.profile: noise profile is for 48000 Hz, fft 512; this stream is 48000 "
           "Hz, fft 1024",
           state_dir);
  expect_error("/hushd/profile/load", msg_s("other"), msg);
  /* a file over 1 MiB (15000 lines of 74 bytes) is refused before it is parsed */
  write_file("huge.profile", "hushd-noise-profile 1\nrate 48000\nfft 1024\nbins 513\n",
             "0.0000 5.0000 padding padding padding padding padding padding padding pad\n",
             15000);
  snprintf(msg, sizeof msg, "%s/huge.profile is larger than 1048576 bytes", state_dir);
  expect_error("/hushd/profile/load", msg_s("huge"), msg);
}

static void test_profile_save_creates_a_missing_state_folder(void **state) {
  (void)state;
  struct driver fresh;
  struct client c;
  char dir[512], file[600], got[256], out[1024];
  snprintf(dir, sizeof dir, "%s/new/state", state_dir);
  char *argv[] = {(char *)driver_exe, "--state-dir", dir, NULL};
  assert_int_equal(driver_start(&fresh, argv), 0);
  assert_int_equal(client_open(&c, fresh.port), 0);
  lo_message r = ask_on(&c, "/hushd/profile/save", msg_s("first"), got);
  assert_string_equal(got, "/hushd/profile/save");
  lo_message_free(r);
  snprintf(file, sizeof file, "%s/first.profile", dir);
  assert_int_equal(access(file, R_OK), 0);
  client_close(&c);
  assert_int_equal(driver_stop(&fresh, out, sizeof out), 0);
}

/* Sends a bundle of n /hushd/profile/save NAMEk messages (k from first) and
 * /hushd/config/save, as one datagram. */
static void send_save_bundle(struct client *c, int first, int n) {
  lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
  for (int k = first; k < first + n; k++) {
    char name[16];
    snprintf(name, sizeof name, "p%04d", k);
    lo_bundle_add_message(b, "/hushd/profile/save", msg_s(name));
  }
  lo_bundle_add_message(b, "/hushd/config/save", lo_message_new());
  size_t len = 0;
  void *data = lo_bundle_serialise(b, NULL, &len);
  assert_true(len < 65507);
  client_send_raw(c, data, len);
  free(data);
  lo_bundle_free_recursive(b);
}

static int count_files(const char *dir, const char *suffix) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '%s$'", dir, suffix);
  FILE *p = popen(cmd, "r");
  int n = -1;
  if (p && fscanf(p, "%d", &n) != 1) n = -1;
  if (p) pclose(p);
  return n;
}

/* Seconds until c's /hushd/status is answered. */
static double status_rtt(struct client *c) {
  double t0 = now_s();
  status_on(c);
  return now_s() - t0;
}

static void test_2000_saves_in_bundles_hold_up_nothing_and_write_one_file(void **state) {
  (void)state;
  char got[256], dir[512], out[1024];
  for (int audio = 0; audio < 2; audio++) {
    snprintf(dir, sizeof dir, "%s/saves%d", state_dir, audio);
    assert_int_equal(mkdir(dir, 0700), 0);
    char *argv[] = {(char *)driver_exe, "--state-dir", dir, audio ? NULL : "--no-audio", NULL};
    struct driver d;
    struct client sender, asker;
    assert_int_equal(driver_start(&d, argv), 0);
    assert_int_equal(client_open(&sender, d.port), 0);
    assert_int_equal(client_open(&asker, d.port), 0);
    int dropped0 = status_on(&asker).dropped;
    double base = status_rtt(&asker);
    send_save_bundle(&sender, 0, 1000);
    send_save_bundle(&sender, 1000, 1000);
    /* without a stream each save used to wait 1 s for the audio thread, on the OSC thread */
    double rtt = status_rtt(&asker);
    printf("# 2000 saves + 2 config saves in 2 bundles (%s): /hushd/status answered in "
           "%.1f ms (idle: %.1f ms)\n", audio ? "audio running" : "no stream", rtt * 1e3,
           base * 1e3);
    assert_true(rtt < 0.1);
    /* 128 messages a datagram are handled, the rest dropped */
    assert_int_equal(status_on(&asker).dropped - dropped0, 2 * (1001 - 128));
    /* the one job that ran ends (the save's wait for a hop is 1 s); then the slot is free */
    double end = now_s() + 3;
    lo_message r = NULL;
    while (now_s() < end) {
      r = ask_on(&asker, "/hushd/profile/save", msg_s("after"), got);
      if (strcmp(got, "/hushd/error") || !strstr(arg_s(r, 1), "in progress")) break;
      lo_message_free(r);
      r = NULL;
      usleep(50000);
    }
    assert_non_null(r);
    assert_string_equal(got, audio ? "/hushd/profile/save" : "/hushd/error");
    lo_message_free(r);
    /* p0000 and "after" with a stream, none without; never the other 1999 */
    assert_int_equal(count_files(dir, ".profile"), audio ? 2 : 0);
    assert_int_equal(count_files(dir, ".conf"), 0);
    client_close(&sender);
    client_close(&asker);
    assert_int_equal(driver_stop(&d, out, sizeof out), 0);
  }
}

static void test_config_save_writes_through_the_daemon(void **state) {
  (void)state;
  char got[256], file[512], line[128];
  set_param("threshold", 2.5f);
  lo_message r = ask("/hushd/config/save", NULL, got);
  assert_string_equal(got, "/hushd/config/save");
  lo_message_free(r);
  snprintf(file, sizeof file, "%s/hushd.conf", state_dir);
  FILE *f = fopen(file, "r");
  assert_non_null(f);
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  assert_string_equal(line, "threshold = 2.5\n");
  set_param("threshold", (float)hp_info(HP_threshold)->def);
}

static void test_without_config_or_audio_the_requests_fail_cleanly(void **state) {
  (void)state;
  struct driver bare;
  struct client c;
  char got[256], out[1024];
  assert_int_equal(start_driver(&bare, "--no-config", "--no-audio"), 0);
  assert_int_equal(client_open(&c, bare.port), 0);
  lo_message r = ask_on(&c, "/hushd/config/save", NULL, got);
  assert_string_equal(got, "/hushd/error");
  assert_string_equal(arg_s(r, 1), "no config file to save to (start hushd with --config FILE)");
  lo_message_free(r);
  client_send(&c, "/hushd/profile/save", msg_s("x"));
  r = client_expect(&c, "/hushd/profile/save", 3000, got, sizeof got);
  assert_non_null(r);
  assert_string_equal(got, "/hushd/error");
  assert_string_equal(arg_s(r, 1), "the audio engine is not processing (no hop in 1000 ms)");
  lo_message_free(r);
  client_send(&c, "/ping", lo_message_new());
  r = client_expect(&c, "/pong", 2000, got, sizeof got);
  assert_non_null(r);
  lo_message_free(r);
  client_close(&c);
  assert_int_equal(driver_stop(&bare, out, sizeof out), 0);
}

static void test_a_port_in_use_is_a_start_up_error_naming_the_port(void **state) {
  (void)state;
  char cmd[1024], out[1024] = {0}, want[512];
  snprintf(cmd, sizeof cmd, "'%s' --port %d 2>&1", driver_exe, drv.port);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = 0;
  int st = pclose(p);
  assert_int_equal(WEXITSTATUS(st), 2);
  snprintf(want, sizeof want,
           "osc-testd: OSC port %d on 127.0.0.1 is already in use (is another hushd running? "
           "choose another with --osc-port or disable OSC with --no-osc)\n",
           drv.port);
  assert_string_equal(out, want);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test-osc OSC-TESTD\n");
    return 2;
  }
  driver_exe = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ping_replies_pong_from_the_server_port),
      cmocka_unit_test(test_status_counts_bad_samples_and_levels_stay_finite),
      cmocka_unit_test(test_replies_go_to_the_senders_port_only),
      cmocka_unit_test(test_every_live_param_round_trips_and_restart_params_are_refused),
      cmocka_unit_test(test_ints_doubles_int64_bools_and_text_are_accepted),
      cmocka_unit_test(test_params_lists_every_name_with_its_value),
      cmocka_unit_test(test_info_replies_type_range_default_unit_help_and_live),
      cmocka_unit_test(test_bypass_and_adapt_paths_set_and_query),
      cmocka_unit_test(test_bad_input_gets_an_exact_error_and_changes_nothing),
      cmocka_unit_test(test_malformed_packets_are_counted_and_dropped),
      cmocka_unit_test(test_bundle_elements_are_each_answered),
      cmocka_unit_test(test_status_reports_levels_latency_and_uptime),
      cmocka_unit_test(test_subscription_pushes_meters_until_the_lease_ends),
      cmocka_unit_test(test_unsubscribe_stops_the_meters),
      cmocka_unit_test(test_at_most_16_subscribers),
      cmocka_unit_test(test_subscribers_are_told_of_changes_made_by_others),
      cmocka_unit_test(test_a_bundle_of_100_changes_reaches_subscribers_once_with_the_last_value),
      cmocka_unit_test(test_senders_outside_the_allow_list_are_dropped_unanswered_and_counted),
      cmocka_unit_test(test_by_default_only_loopback_senders_are_obeyed_even_on_every_address),
      cmocka_unit_test(test_a_bad_allow_list_is_a_start_up_error_naming_the_entry),
      cmocka_unit_test(test_meters_come_at_most_20_a_second_and_leases_last_at_most_10_minutes),
      cmocka_unit_test(test_learn_replies_learned_when_done),
      cmocka_unit_test(test_profile_save_and_load_round_trip_in_the_state_folder),
      cmocka_unit_test(test_profile_save_creates_a_missing_state_folder),
      cmocka_unit_test(test_2000_saves_in_bundles_hold_up_nothing_and_write_one_file),
      cmocka_unit_test(test_config_save_writes_through_the_daemon),
      cmocka_unit_test(test_without_config_or_audio_the_requests_fail_cleanly),
      cmocka_unit_test(test_a_port_in_use_is_a_start_up_error_naming_the_port),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
