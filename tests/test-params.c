/* The parameter table and the command line on top of it: every check gives the exact
 * one-line message a user sees (naming the parameter and its allowed range), automatic
 * fft/hop follow the sample rate, presets apply under --set, and --help/--version list
 * everything the table holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hushd-version.h"
#include "params.h"
#include "settings.h"

static char err[512];

static void test_hp_check_messages_name_parameter_and_range(void **state) {
  (void)state;
  static const struct {
    int id;
    double value;
    const char *message;
  } cases[] = {
      {HP_threshold, 31, "threshold: 31 is out of range [-10, 30] dB"},
      {HP_reduction_db, -1, "reduction_db: -1 is out of range [0, 80] dB"},
      {HP_wet, 2, "wet: 2 is out of range [0, 1]"},
      {HP_release_ms, NAN, "release_ms: nan is out of range [0, 1000] ms"},
      {HP_adapt, 0.5, "adapt: 0.5 is not 0 or 1"},
      {HP_hop_size, 3.5, "hop_size: 3.5 is not a whole number"},
      {HP_fft_size, 1000, "fft_size: 1000 is not a power of two in [64, 16384] (or 0 = auto)"},
      {HP_fft_size, 32, "fft_size: 32 is not a power of two in [64, 16384] (or 0 = auto)"},
      {HP_fft_size, 32768, "fft_size: 32768 is out of range [0, 16384] samples"},
      {-1, 0, "unknown parameter id -1"},
      {HP_COUNT, 0, "unknown parameter id 20"},
  };
  assert_int_equal(HP_COUNT, 20); /* the last case's text names the count */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    err[0] = 0;
    assert_int_equal(hp_check(cases[i].id, cases[i].value, err, sizeof err), -1);
    assert_string_equal(err, cases[i].message);
  }
  assert_int_equal(hp_check(HP_fft_size, 0, err, sizeof err), 0);
  assert_int_equal(hp_check(HP_fft_size, 64, err, sizeof err), 0);
  assert_int_equal(hp_check(HP_threshold, 10, err, sizeof err), 0);
}

static void test_hp_parse_values_words_and_messages(void **state) {
  (void)state;
  float v = -1;
  assert_int_equal(hp_parse(HP_threshold, "2.5", &v, err, sizeof err), 0);
  assert_true(v == 2.5f);
  assert_int_equal(hp_parse(HP_threshold, " 3 ", &v, err, sizeof err), 0);
  assert_true(v == 3.f);
  static const struct {
    const char *text;
    float value;
  } words[] = {{"on", 1}, {"TRUE", 1}, {"yes", 1}, {"off", 0}, {"false", 0}, {"No", 0},
               {"1", 1}, {"0", 0}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    v = -1;
    assert_int_equal(hp_parse(HP_bypass, words[i].text, &v, err, sizeof err), 0);
    assert_true(v == words[i].value);
  }
  v = 7;
  assert_int_equal(hp_parse(HP_threshold, "abc", &v, err, sizeof err), -1);
  assert_string_equal(err, "threshold: 'abc' is not a number (allowed: [-10, 30] dB)");
  assert_true(v == 7.f); /* untouched on error */
  assert_int_equal(hp_parse(HP_threshold, "on", &v, err, sizeof err), -1);
  assert_string_equal(err, "threshold: 'on' is not a number (allowed: [-10, 30] dB)");
  assert_int_equal(hp_parse(HP_wet, "", &v, err, sizeof err), -1);
  assert_string_equal(err, "wet: '' is not a number (allowed: [0, 1])");
  assert_int_equal(hp_parse(HP_attack_ms, "5ms", &v, err, sizeof err), -1);
  assert_string_equal(err, "attack_ms: '5ms' is not a number (allowed: [0, 200] ms)");
  assert_int_equal(hp_parse(HP_adapt, "2", &v, err, sizeof err), -1);
  assert_string_equal(err, "adapt: 2 is out of range [0, 1]");
  assert_int_equal(hp_parse(HP_fft_size, "768", &v, err, sizeof err), -1);
  assert_string_equal(err, "fft_size: 768 is not a power of two in [64, 16384] (or 0 = auto)");
}

static void test_hp_format_prints_in_the_parameters_type(void **state) {
  (void)state;
  char buf[32];
  hp_format(HP_fft_size, 1024, buf, sizeof buf);
  assert_string_equal(buf, "1024");
  hp_format(HP_threshold, 1.5f, buf, sizeof buf);
  assert_string_equal(buf, "1.5");
  hp_format(HP_adapt, 1, buf, sizeof buf);
  assert_string_equal(buf, "1");
}

static void test_hp_resolve_auto_fft_is_about_21ms_for_the_rate(void **state) {
  (void)state;
  static const int rates[][3] = {
      {16000, 256, 64}, {44100, 1024, 256}, {48000, 1024, 256}, {8000, 128, 32},
      {22050, 512, 128}, {96000, 2048, 512}};
  for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
    struct hp_values p;
    hp_defaults(&p);
    assert_int_equal(hp_resolve(&p, rates[i][0], err, sizeof err), 0);
    assert_int_equal((int)p.v[HP_fft_size], rates[i][1]);
    assert_int_equal((int)p.v[HP_hop_size], rates[i][2]);
  }
  struct hp_values p;
  hp_defaults(&p);
  p.v[HP_fft_size] = 512;
  assert_int_equal(hp_resolve(&p, 48000, err, sizeof err), 0);
  assert_int_equal((int)p.v[HP_hop_size], 128);
  p.v[HP_hop_size] = 256; /* fft/2: the largest allowed */
  assert_int_equal(hp_resolve(&p, 48000, err, sizeof err), 0);
  assert_int_equal((int)p.v[HP_hop_size], 256);
}

static void test_hp_resolve_messages(void **state) {
  (void)state;
  struct hp_values p;
  hp_defaults(&p);
  p.v[HP_fft_size] = 1024;
  p.v[HP_hop_size] = 300;
  assert_int_equal(hp_resolve(&p, 48000, err, sizeof err), -1);
  assert_string_equal(err, "hop_size: 300 must divide fft_size 1024 and be at most 512");
  p.v[HP_hop_size] = 1024;
  assert_int_equal(hp_resolve(&p, 48000, err, sizeof err), -1);
  assert_string_equal(err, "hop_size: 1024 must divide fft_size 1024 and be at most 512");
  hp_defaults(&p);
  p.v[HP_hop_size] = 512; /* auto fft at 16 kHz is 256 */
  assert_int_equal(hp_resolve(&p, 16000, err, sizeof err), -1);
  assert_string_equal(err, "hop_size: 512 must divide fft_size 256 and be at most 128");
  hp_defaults(&p);
  assert_int_equal(hp_resolve(&p, 4000, err, sizeof err), -1);
  assert_string_equal(err, "sample rate 4000 Hz is out of range [8000, 384000]");
}

static void test_presets_apply_their_values_only(void **state) {
  (void)state;
  struct hp_values def, p;
  hp_defaults(&def);
  for (int i = 0; i < hp_preset_count(); i++) {
    p = def;
    assert_int_equal(hp_preset_apply(&p, hp_preset_name(i), err, sizeof err), 0);
    assert_non_null(hp_preset_help(i));
    const char *name = hp_preset_name(i);
    if (!strcmp(name, "voice")) assert_memory_equal(&p, &def, sizeof p);
    if (!strcmp(name, "strong")) {
      assert_true(p.v[HP_reduction_db] == 30.f);
      assert_true(p.v[HP_threshold] == def.v[HP_threshold]);
      assert_true(p.v[HP_release_ms] == def.v[HP_release_ms]);
    }
    if (!strcmp(name, "gentle")) {
      assert_true(p.v[HP_reduction_db] == 10.f);
      assert_true(p.v[HP_release_ms] == 120.f);
    }
    if (!strcmp(name, "low-latency")) {
      assert_int_equal((int)p.v[HP_fft_size], 512);
      assert_int_equal((int)p.v[HP_hop_size], 128);
      assert_true(p.v[HP_threshold] == def.v[HP_threshold]);
    }
  }
  assert_int_equal(hp_preset_count(), 4);
  assert_int_equal(hp_preset_apply(&p, "loud", err, sizeof err), -1);
  assert_string_equal(err, "unknown preset 'loud' (known: voice gentle strong low-latency)");
}

/* Parses a NULL-terminated argument list after "hushd"; returns the result. */
static int parse(struct settings *s, FILE *out, ...) {
  char *argv[32] = {"hushd"};
  int argc = 1;
  va_list ap;
  va_start(ap, out);
  for (char *a; (a = va_arg(ap, char *));) argv[argc++] = a;
  va_end(ap);
  settings_defaults(s);
  err[0] = 0;
  return settings_parse_args(s, argc, argv, out, err, sizeof err);
}

static void test_settings_parse_errors_exact_text(void **state) {
  (void)state;
  static const struct {
    const char *args[4], *message;
  } cases[] = {
      {{"--set", "nope=1"}, "unknown parameter 'nope' (hushd --help lists them)"},
      {{"--set", "threshold"}, "--set expects NAME=VALUE, got 'threshold'"},
      {{"--set", "=1"}, "--set expects NAME=VALUE, got '=1'"},
      {{"--set", "threshold=99"}, "threshold: 99 is out of range [-10, 30] dB"},
      {{"--set", "fft_size=1000"},
       "fft_size: 1000 is not a power of two in [64, 16384] (or 0 = auto)"},
      {{"--set", "adapt=maybe"}, "adapt: 'maybe' is not a number (allowed: [0, 1])"},
      {{"--bogus"}, "unknown option '--bogus' (hushd --help lists them)"},
      {{"--input"}, "option '--input' needs a value"},
      {{"--input", "a.wav"}, "--input needs --output FILE"},
      {{"--output", "b.wav"}, "--output needs --input (offline mode)"},
      {{"--learn", "-1"}, "--learn: '-1' is not a number in [0, 600] s"},
      {{"--rate", "100"}, "--rate: '100' is not a whole number in [8000, 384000] Hz"},
      {{"--osc-port", "http"}, "--osc-port: 'http' is not a whole number in [1, 65535]"},
      {{"extra"}, "unexpected argument 'extra' (hushd --help lists the options)"},
      {{"--preset", "loud"}, "unknown preset 'loud' (known: voice gentle strong low-latency)"},
  };
  struct settings s;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *const *a = cases[i].args;
    assert_int_equal(parse(&s, stdout, a[0], a[1], a[2], a[3], NULL), -1);
    assert_string_equal(err, cases[i].message);
  }
}

static void test_settings_set_applies_on_top_of_preset_in_any_order(void **state) {
  (void)state;
  struct settings s;
  assert_int_equal(parse(&s, stdout, "--set", "reduction_db=5", "--preset", "strong", "-i",
                         "in.wav", "-o", "out.wav", "--set", "adapt=off", NULL),
                   0);
  assert_true(s.params.v[HP_reduction_db] == 5.f);
  assert_true(s.params.v[HP_threshold] == 3.f);
  assert_true(s.params.v[HP_adapt] == 0.f);
  assert_int_equal(s.param_set[HP_reduction_db], 1);
  assert_int_equal(s.param_set[HP_threshold], 0);
  assert_string_equal(s.input, "in.wav");
  assert_string_equal(s.output, "out.wav");
  assert_string_equal(s.preset, "strong");
}

/* --help names every parameter (with its range) and preset; --version the version. */
static void test_settings_help_lists_the_whole_table(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  struct settings s;
  assert_int_equal(parse(&s, out, "--help", NULL), 1);
  fclose(out);
  for (int i = 0; i < HP_COUNT; i++) {
    const struct hp_info *p = hp_info(i);
    char line[128];
    snprintf(line, sizeof line, "\n  %s ", p->name);
    assert_non_null(strstr(text, line));
    assert_non_null(strstr(text, p->help));
  }
  assert_non_null(strstr(text, "-10..30 dB"));
  for (int i = 0; i < hp_preset_count(); i++) assert_non_null(strstr(text, hp_preset_name(i)));
  assert_non_null(strstr(text, "--demo DIR"));
  free(text);

  out = open_memstream(&text, &len);
  assert_int_equal(parse(&s, out, "--version", NULL), 1);
  fclose(out);
  assert_string_equal(text, "hushd " HUSHD_VERSION "\n");
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hp_check_messages_name_parameter_and_range),
      cmocka_unit_test(test_hp_parse_values_words_and_messages),
      cmocka_unit_test(test_hp_format_prints_in_the_parameters_type),
      cmocka_unit_test(test_hp_resolve_auto_fft_is_about_21ms_for_the_rate),
      cmocka_unit_test(test_hp_resolve_messages),
      cmocka_unit_test(test_presets_apply_their_values_only),
      cmocka_unit_test(test_settings_parse_errors_exact_text),
      cmocka_unit_test(test_settings_set_applies_on_top_of_preset_in_any_order),
      cmocka_unit_test(test_settings_help_lists_the_whole_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
