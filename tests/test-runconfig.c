/* test-runconfig: SIGHUP reload and config save against a real engine: live parameters
 * change in the engine, a bad file changes nothing, stream parameters ask for a restart,
 * the command line still wins, and a save writes the engine's live values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "runconfig.h"

static char dir[64], path[128];

static void write_file(const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

struct fixture {
  struct settings s;
  struct runconfig *r;
  struct engine *e;
  char *argv[8];
};

static int setup(void **state) {
  snprintf(dir, sizeof dir, "/tmp/hushd-test-runconfig-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(path, sizeof path, "%s/hushd.conf", dir);
  write_file("# mine\n[dsp]\nthreshold = 2\n");
  struct fixture *f = calloc(1, sizeof *f);
  char *args[] = {"hushd", "--config", path, "--set", "hold_ms=77", NULL};
  memcpy(f->argv, args, sizeof args);
  struct configfile *file;
  char err[1024];
  if (configfile_build(&f->s, &file, 5, f->argv, stdout, err, sizeof err)) return -1;
  f->r = runconfig_create(&f->s, file, 5, f->argv);
  f->e = engine_create(&f->s.params, f->s.rate_hz, f->s.channels, ENGINE_PLAN_ESTIMATE, err,
                        sizeof err);
  runconfig_attach(f->r, f->e);
  *state = f;
  return f->r && f->e ? 0 : -1;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  runconfig_destroy(f->r);
  engine_destroy(f->e);
  free(f);
  unlink(path);
  return rmdir(dir);
}

static void test_reload_applies_live_parameters_to_the_running_engine(void **state) {
  struct fixture *f = *state;
  char what[512], err[1024];
  assert_true(engine_get_param(f->e, HP_threshold) == 2.0f);
  write_file("# mine\n[dsp]\nthreshold = 3\nreduction_db = 12\nhold_ms = 10\n");
  assert_int_equal(runconfig_reload(f->r, what, sizeof what, err, sizeof err), 0);
  assert_string_equal(what, "threshold 2 -> 3, reduction_db 20 -> 12");
  assert_true(engine_get_param(f->e, HP_threshold) == 3.0f);
  assert_true(engine_get_param(f->e, HP_reduction_db) == 12.0f);
  assert_true(engine_get_param(f->e, HP_hold_ms) == 77.0f); /* --set still wins */
  assert_true(f->s.params.v[HP_threshold] == 3.0f);
  assert_int_equal(runconfig_reload(f->r, what, sizeof what, err, sizeof err), 0);
  assert_string_equal(what, "nothing changed");
}

static void test_reload_of_a_bad_file_changes_nothing(void **state) {
  struct fixture *f = *state;
  char what[512], err[1024], want[1024];
  write_file("[dsp]\nthreshold = 5\nwet = 2\n");
  assert_int_equal(runconfig_reload(f->r, what, sizeof what, err, sizeof err), -1);
  snprintf(want, sizeof want, "%s:3: wet: 2 is out of range [0, 1]", path);
  assert_string_equal(err, want);
  assert_true(engine_get_param(f->e, HP_threshold) == 2.0f);
  assert_true(f->s.params.v[HP_threshold] == 2.0f);
  /* each value fine, together no engine */
  write_file("[dsp]\nthreshold = 5\nfft_size = 256\nhop_size = 192\n");
  assert_int_equal(runconfig_reload(f->r, what, sizeof what, err, sizeof err), -1);
  snprintf(want, sizeof want, "%s: hop_size: 192 must divide fft_size 256 and be at most 128",
           path);
  assert_string_equal(err, want);
  assert_true(f->s.params.v[HP_threshold] == 2.0f);
}

static void test_reload_asks_for_a_restart_when_the_stream_must_change(void **state) {
  struct fixture *f = *state;
  char what[512], err[1024];
  write_file("[dsp]\nthreshold = 2\nfft_size = 2048\n");
  assert_int_equal(runconfig_reload(f->r, what, sizeof what, err, sizeof err), 1);
  assert_string_equal(what, "fft_size 0 -> 2048");
  write_file("[dsp]\nthreshold = 2\nfft_size = 2048\n[audio]\nrate = 44100\n"
             "input_device = USB\n[osc]\nport = 9100\n");
  assert_int_equal(runconfig_reload(f->r, what, sizeof what, err, sizeof err), 1);
  assert_string_equal(what, "input_device '' -> 'USB', rate '48000' -> '44100', "
                            "port '9040' -> '9100' (at the next start)");
  assert_string_equal(f->s.input_device, "USB");
  assert_int_equal(f->s.rate_hz, 44100);
  /* only [osc]: no restart of the stream */
  write_file("[dsp]\nthreshold = 2\nfft_size = 2048\n[audio]\nrate = 44100\n"
             "input_device = USB\n[osc]\nport = 9200\n");
  assert_int_equal(runconfig_reload(f->r, what, sizeof what, err, sizeof err), 0);
}

static void test_save_writes_the_engines_live_values_into_the_file(void **state) {
  struct fixture *f = *state;
  char err[1024];
  assert_string_equal(runconfig_path(f->r), path);
  assert_int_equal(engine_set_param(f->e, HP_wet, 0.5f, err, sizeof err), 0); /* as OSC */
  assert_int_equal(engine_set_param(f->e, HP_threshold, 2.5f, err, sizeof err), 0);
  assert_int_equal(runconfig_save(f->r, err, sizeof err), 0);
  FILE *in = fopen(path, "r");
  char text[1024];
  size_t n = fread(text, 1, sizeof text - 1, in);
  fclose(in);
  text[n] = 0;
  /* hold_ms 77 came from --set: the running value is saved too */
  assert_string_equal(text, "# mine\n[dsp]\nthreshold = 2.5\nhold_ms = 77\nwet = 0.5\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_reload_applies_live_parameters_to_the_running_engine,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_reload_of_a_bad_file_changes_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_reload_asks_for_a_restart_when_the_stream_must_change, setup, teardown),
      cmocka_unit_test_setup_teardown(test_save_writes_the_engines_live_values_into_the_file,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
