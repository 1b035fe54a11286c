/* test-configfile: the config file against golden files (tests/config, argv[1]), the
 * --print-config round trip, command line over file, and saving (comments kept, only
 * changes written, atomic for readers, a read-only folder leaves the old file).
 */
#define _GNU_SOURCE /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "configfile.h"

static const char *golden_dir;
static char tmp[256]; /* a fresh folder per test */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static int make_tmp(void **state) {
  (void)state;
  snprintf(tmp, sizeof tmp, "/tmp/hushd-test-config-XXXXXX");
  return mkdtemp(tmp) ? 0 : -1;
}

static int remove_tmp(void **state) {
  (void)state;
  chmod(tmp, 0700);
  return nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

/* whole file, caller frees; NULL if it cannot be read */
static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&buf, &cap, 0, f);
  fclose(f);
  if (n < 0) {
    free(buf);
    return strdup("");
  }
  return buf;
}

static char *print_to_string(const struct settings *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  configfile_print(out, s);
  fclose(out);
  return buf;
}

static char *path_in_tmp(const char *name) {
  static char buf[4][512];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", tmp, name);
  return buf[i];
}

/* ---- golden files ---- */

static int has_prefix(const char *name, const char *prefix) {
  return !strncmp(name, prefix, strlen(prefix));
}

static int conf_filter(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 5 && !strcmp(d->d_name + n - 5, ".conf") &&
         (has_prefix(d->d_name, "good_") || has_prefix(d->d_name, "bad_"));
}

/* Checks one file against its "# expect: " lines; returns the number of mismatches. */
static int check_golden(const char *name) {
  char *text = read_all(name);
  assert_non_null(text);
  struct settings s;
  settings_defaults(&s);
  char err[1024] = "";
  struct configfile *f = configfile_read(name, &s, err, sizeof err);
  int bad = 0, expects = 0;
  for (char *save, *line = strtok_r(text, "\r\n", &save); line;
       line = strtok_r(NULL, "\r\n", &save)) {
    char *e = strstr(line, "# expect: ");
    if (!e || e - line > 3) continue; /* at the start (after a BOM) */
    e += strlen("# expect: ");
    expects++;
    if (has_prefix(name, "bad_")) {
      if (f || strcmp(err, e)) {
        fprintf(stderr, "%s:\n  expected: %s\n  got:      %s\n", name, e,
                f ? "(no error)" : err);
        bad++;
      }
      continue;
    }
    char section[32], key[64], value[256], got[256];
    char *dot = strchr(e, '.'), *eq = strstr(e, " =");
    assert_true(dot && eq && dot < eq);
    snprintf(section, sizeof section, "%.*s", (int)(dot - e), e);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    snprintf(value, sizeof value, "%s", eq[2] == ' ' ? eq + 3 : eq + 2);
    if (!f) {
      fprintf(stderr, "%s: unexpected error: %s\n", name, err);
      bad++;
      break;
    }
    if (configfile_value(&s, section, key, got, sizeof got) || strcmp(got, value)) {
      fprintf(stderr, "%s: %s.%s is '%s', expected '%s'\n", name, section, key, got, value);
      bad++;
    }
  }
  if (!expects) {
    fprintf(stderr, "%s: no '# expect: ' line\n", name);
    bad++;
  }
  configfile_destroy(f);
  free(text);
  return bad;
}

static void test_golden_files_give_their_expected_values_and_error_lines(void **state) {
  (void)state;
  int here = open(".", O_RDONLY | O_DIRECTORY);
  assert_int_equal(chdir(golden_dir), 0); /* errors name the file as given */
  struct dirent **list;
  int n = scandir(".", &list, conf_filter, alphasort), good = 0, bad = 0, failures = 0;
  assert_true(n > 0);
  for (int i = 0; i < n; i++) {
    failures += check_golden(list[i]->d_name);
    if (has_prefix(list[i]->d_name, "bad_")) bad++;
    else good++;
    free(list[i]);
  }
  free(list);
  assert_int_equal(fchdir(here), 0);
  close(here);
  assert_true(good >= 3);
  assert_true(bad >= 15);
  assert_int_equal(failures, 0);
}

/* ---- print-config ---- */

static void test_print_config_reads_back_to_the_same_settings(void **state) {
  (void)state;
  struct settings s, back;
  settings_defaults(&s);
  char err[1024];
  assert_int_equal(hp_preset_apply(&s.params, "gentle", err, sizeof err), 0);
  s.preset = "gentle";
  s.params.v[HP_threshold] = 2.25f;
  s.params.v[HP_wet] = 0.7f;
  s.params.v[HP_adapt] = 0;
  s.params.v[HP_fft_size] = 512;
  s.params.v[HP_hop_size] = 128;
  s.input_device = "USB Audio: mic #2";
  s.output_device = ";starts like a comment"; /* reads back only unspaced: "key =;..." */
  s.rate_hz = 44100;
  s.frames = 64;
  s.channels = 2;
  s.profile = "/var/lib/hushd/room noise.profile";
  s.learn_s = 1.25f;
  s.osc_bind = "::1";
  s.osc_port = 9999;
  s.osc_enabled = 0;
  char *text = print_to_string(&s);
  write_file(path_in_tmp("printed.conf"), text);

  settings_defaults(&back);
  struct configfile *f = configfile_read(path_in_tmp("printed.conf"), &back, err, sizeof err);
  if (!f) fail_msg("%s", err);
  char *again = print_to_string(&back);
  assert_string_equal(again, text);
  assert_memory_equal(&back.params, &s.params, sizeof s.params);
  assert_string_equal(back.preset, "gentle");
  assert_string_equal(back.input_device, s.input_device);
  assert_string_equal(back.output_device, s.output_device);
  assert_string_equal(back.profile, s.profile);
  assert_int_equal(back.rate_hz, 44100);
  assert_int_equal(back.frames, 64);
  assert_int_equal(back.channels, 2);
  assert_true(back.learn_s == 1.25f);
  assert_string_equal(back.osc_bind, "::1");
  assert_int_equal(back.osc_port, 9999);
  assert_int_equal(back.osc_enabled, 0);
  configfile_destroy(f);
  free(again);
  free(text);
}

/* ---- precedence and lookup ---- */

static int build(struct settings *s, struct configfile **f, char *err, size_t errlen, ...) {
  char *argv[32];
  int argc = 0;
  va_list ap;
  va_start(ap, errlen);
  argv[argc++] = "hushd";
  for (char *a; (a = va_arg(ap, char *));) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  return configfile_build(s, f, argc, argv, stdout, err, errlen);
}

static void test_command_line_overrides_file_overrides_defaults(void **state) {
  (void)state;
  char dir[512], err[1024];
  snprintf(dir, sizeof dir, "%s/hushd", tmp);
  assert_int_equal(mkdir(dir, 0755), 0);
  write_file(path_in_tmp("hushd/hushd.conf"),
             "[audio]\nrate = 32000\nchannels = 2\n"
             "[dsp]\nthreshold = 2\nreduction_db = 5\nrelease_ms = 500\nhold_ms = 70\n");
  setenv("XDG_CONFIG_HOME", tmp, 1);
  struct settings s;
  struct configfile *f;
  assert_int_equal(build(&s, &f, err, sizeof err, "--set", "threshold=3", "--rate", "44100",
                         "--preset", "gentle", NULL),
                   0);
  assert_non_null(f);
  assert_string_equal(configfile_path(f), path_in_tmp("hushd/hushd.conf"));
  assert_true(s.params.v[HP_threshold] == 3.0f);      /* --set over file */
  assert_int_equal(s.rate_hz, 44100);                  /* --rate over file */
  assert_int_equal(s.channels, 2);                     /* file over default */
  assert_true(s.params.v[HP_hold_ms] == 70.0f);        /* file over default */
  assert_true(s.params.v[HP_reduction_db] == 10.0f);   /* --preset gentle over file */
  assert_true(s.params.v[HP_release_ms] == 120.0f);    /* --preset gentle over file */
  assert_true(s.params.v[HP_attack_ms] == 0.0f);       /* default */
  assert_true(s.param_set[HP_threshold] && !s.param_set[HP_hold_ms]);
  configfile_destroy(f);

  /* --config wins over $XDG_CONFIG_HOME; a bad value there is exit status 2 material */
  write_file(path_in_tmp("other.conf"), "[dsp]\nhold_ms = 11\n");
  assert_int_equal(build(&s, &f, err, sizeof err, "--config", path_in_tmp("other.conf"), NULL),
                   0);
  assert_true(s.params.v[HP_hold_ms] == 11.0f);
  assert_int_equal(s.rate_hz, 48000);
  configfile_destroy(f);
  write_file(path_in_tmp("other.conf"), "[dsp]\nhold_ms = 2000\n");
  assert_int_equal(build(&s, &f, err, sizeof err, "--config", path_in_tmp("other.conf"), NULL),
                   -1);
  assert_null(f);
  char want[1024];
  snprintf(want, sizeof want, "%s:2: hold_ms: 2000 is out of range [0, 1000] ms",
           path_in_tmp("other.conf"));
  assert_string_equal(err, want);

  /* without XDG_CONFIG_HOME: ~/.config/hushd/hushd.conf */
  unsetenv("XDG_CONFIG_HOME");
  char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
  setenv("HOME", tmp, 1);
  snprintf(dir, sizeof dir, "%s/.config", tmp);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(dir, sizeof dir, "%s/.config/hushd", tmp);
  assert_int_equal(mkdir(dir, 0755), 0);
  write_file(path_in_tmp(".config/hushd/hushd.conf"), "[osc]\nport = 9555\n");
  assert_int_equal(build(&s, &f, err, sizeof err, NULL), 0);
  assert_int_equal(s.osc_port, 9555);
  configfile_destroy(f);
  if (home) setenv("HOME", home, 1);
  free(home);
}

/* ---- saving ---- */

static struct configfile *read_ok(const char *path, struct settings *s) {
  char err[1024];
  settings_defaults(s);
  struct configfile *f = configfile_read(path, s, err, sizeof err);
  if (!f) fail_msg("%s", err);
  return f;
}

static void test_save_rewrites_only_changed_values_and_keeps_comments(void **state) {
  (void)state;
  const char *path = path_in_tmp("hushd.conf");
  write_file(path,
             "# my hushd settings\n"
             "[dsp]\n"
             "preset = strong\n"
             "threshold = 2   ; tuned for the office\n"
             "hold_ms=50\n"
             "# wet = 0.5\n"
             "\n"
             "[audio]\n"
             "rate = 44100\n"
             "\n"
             "# the OSC port below is the studio's\n"
             "[osc]\n"
             "port = 9100");
  struct settings s, back;
  struct configfile *f = read_ok(path, &s);
  s.params.v[HP_threshold] = 3;
  s.params.v[HP_hold_ms] = 80;
  s.params.v[HP_reduction_db] = 25; /* strong gives 30: a change, not in the file */
  s.params.v[HP_channels_linked] = 0;
  s.frames = 128;
  s.learn_s = 1;
  char err[1024];
  if (configfile_save(path, &s, err, sizeof err)) fail_msg("%s", err);
  char *text = read_all(path);
  assert_string_equal(text,
                      "# my hushd settings\n"
                      "[dsp]\n"
                      "preset = strong\n"
                      "threshold = 3   ; tuned for the office\n"
                      "hold_ms=80\n"
                      "reduction_db = 25\n"
                      "channels_linked = 0\n"
                      "# wet = 0.5\n"
                      "\n"
                      "[audio]\n"
                      "rate = 44100\n"
                      "frames = 128\n"
                      "\n"
                      "# the OSC port below is the studio's\n"
                      "[osc]\n"
                      "port = 9100\n"
                      "\n"
                      "[noise]\n"
                      "learn_s = 1\n");
  struct configfile *g = read_ok(path, &back);
  char *a = print_to_string(&s), *b = print_to_string(&back);
  assert_string_equal(a, b); /* the file now gives exactly the live settings */

  /* nothing changed: the file stays byte for byte */
  if (configfile_save(path, &back, err, sizeof err)) fail_msg("%s", err);
  char *same = read_all(path);
  assert_string_equal(same, text);
  free(same);
  free(a);
  free(b);
  free(text);
  configfile_destroy(g);
  configfile_destroy(f);
}

static void test_save_leaves_out_options_the_command_line_set(void **state) {
  (void)state;
  const char *path = path_in_tmp("hushd.conf");
  write_file(path, "[audio]\nrate = 32000\n");
  struct settings s;
  struct configfile *f;
  char err[1024];
  assert_int_equal(build(&s, &f, err, sizeof err, "--config", path, "--rate", "44100",
                         "--osc-port", "9100", "--input-device", "USB", "--set",
                         "threshold=4", NULL),
                   0);
  if (configfile_save(path, &s, err, sizeof err)) fail_msg("%s", err);
  char *text = read_all(path);
  /* --set is a parameter: saved as it runs; the options stay the command line's */
  assert_string_equal(text, "[audio]\nrate = 32000\n\n[dsp]\nthreshold = 4\n");
  free(text);
  configfile_destroy(f);
}

static void test_save_creates_a_missing_file_with_the_full_text(void **state) {
  (void)state;
  const char *path = path_in_tmp("new/folder/hushd.conf");
  struct settings s;
  settings_defaults(&s);
  s.params.v[HP_threshold] = 2.5f;
  char err[1024];
  if (configfile_save(path, &s, err, sizeof err)) fail_msg("%s", err);
  char *text = read_all(path), *want = print_to_string(&s);
  assert_non_null(text);
  assert_string_equal(text, want);
  free(text);
  free(want);
}

static void test_save_refuses_a_file_with_an_error_and_leaves_it(void **state) {
  (void)state;
  const char *path = path_in_tmp("bad.conf");
  const char *orig = "[dsp]\ntreshold = 2\n";
  write_file(path, orig);
  struct settings s;
  settings_defaults(&s);
  char err[1024], want[1024];
  assert_int_equal(configfile_save(path, &s, err, sizeof err), -1);
  snprintf(want, sizeof want,
           "%s:2: unknown key 'treshold' in [dsp] (did you mean 'threshold'?) (not saved)", path);
  assert_string_equal(err, want);
  char *text = read_all(path);
  assert_string_equal(text, orig);
  free(text);
}

static void test_save_into_a_read_only_folder_fails_and_keeps_the_old_file(void **state) {
  (void)state;
  const char *path = path_in_tmp("hushd.conf");
  const char *orig = "[dsp]\nthreshold = 2\n";
  write_file(path, orig);
  struct stat before, after;
  assert_int_equal(stat(path, &before), 0);
  /* root writes anywhere: the save runs in a child as an unprivileged user */
  assert_int_equal(chmod(tmp, 0555), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) || setuid(65534))) _exit(77);
    struct settings s;
    settings_defaults(&s);
    s.params.v[HP_threshold] = 3;
    char err[1024], want[1024];
    int rc = configfile_save(path, &s, err, sizeof err);
    snprintf(want, sizeof want,
             "%s: cannot write a temporary file in %s: Permission denied", path, tmp);
    if (rc != -1 || strcmp(err, want)) {
      fprintf(stderr, "save: rc %d, '%s'\n", rc, rc ? err : "");
      _exit(1);
    }
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_int_equal(chmod(tmp, 0700), 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) skip();
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  char *text = read_all(path);
  assert_string_equal(text, orig);
  free(text);
  assert_int_equal(stat(path, &after), 0);
  assert_int_equal(before.st_ino, after.st_ino);
  DIR *d = opendir(tmp);
  int entries = 0;
  for (struct dirent *e; (e = readdir(d));) entries += e->d_name[0] != '.' || e->d_name[1] > '.';
  closedir(d);
  assert_int_equal(entries, 1); /* no temporary file left behind */
}

static void test_save_never_shows_a_reader_a_partial_file(void **state) {
  (void)state;
  const char *path = path_in_tmp("hushd.conf");
  write_file(path, "# keep me\n[dsp]\nthreshold = 2\n");
  struct settings s;
  struct configfile *f = read_ok(path, &s);
  char err[1024];
  s.params.v[HP_threshold] = 3;
  if (configfile_save(path, &s, err, sizeof err)) fail_msg("%s", err);
  char *v3 = read_all(path);
  s.params.v[HP_threshold] = 2;
  if (configfile_save(path, &s, err, sizeof err)) fail_msg("%s", err);
  char *v2 = read_all(path);
  int done[2];
  assert_int_equal(pipe(done), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(done[1]);
    int reads = 0, torn = 0;
    struct pollfd p = {done[0], POLLIN, 0};
    while (poll(&p, 1, 0) == 0) {
      char *t = read_all(path);
      if (!t || (strcmp(t, v2) && strcmp(t, v3))) torn++;
      free(t);
      reads++;
    }
    _exit(torn ? 1 : reads < 10 ? 2 : 0);
  }
  close(done[0]);
  for (int i = 0; i < 100; i++) {
    s.params.v[HP_threshold] = i % 2 ? 2 : 3;
    if (configfile_save(path, &s, err, sizeof err)) fail_msg("%s", err);
  }
  close(done[1]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  free(v2);
  free(v3);
  configfile_destroy(f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
    return 2;
  }
  golden_dir = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_files_give_their_expected_values_and_error_lines),
      cmocka_unit_test_setup_teardown(test_print_config_reads_back_to_the_same_settings,
                                      make_tmp, remove_tmp),
      cmocka_unit_test_setup_teardown(test_command_line_overrides_file_overrides_defaults,
                                      make_tmp, remove_tmp),
      cmocka_unit_test_setup_teardown(test_save_rewrites_only_changed_values_and_keeps_comments,
                                      make_tmp, remove_tmp),
      cmocka_unit_test_setup_teardown(test_save_leaves_out_options_the_command_line_set,
                                      make_tmp, remove_tmp),
      cmocka_unit_test_setup_teardown(test_save_creates_a_missing_file_with_the_full_text,
                                      make_tmp, remove_tmp),
      cmocka_unit_test_setup_teardown(test_save_refuses_a_file_with_an_error_and_leaves_it,
                                      make_tmp, remove_tmp),
      cmocka_unit_test_setup_teardown(
          test_save_into_a_read_only_folder_fails_and_keeps_the_old_file, make_tmp, remove_tmp),
      cmocka_unit_test_setup_teardown(test_save_never_shows_a_reader_a_partial_file, make_tmp,
                                      remove_tmp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
