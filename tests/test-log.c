/* test-log: message lines as a terminal and as the journal sees them, and the levels
 * that --quiet and --verbose let through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static char path[64];
static int saved_stderr = -1;

/* stderr into a fresh file for the test */
static int capture(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/hushd-test-log-%d", (int)getpid());
  FILE *f = fopen(path, "w+");
  if (!f) return -1;
  saved_stderr = dup(STDERR_FILENO);
  dup2(fileno(f), STDERR_FILENO);
  fclose(f);
  return 0;
}

static int restore(void **state) {
  (void)state;
  dup2(saved_stderr, STDERR_FILENO);
  close(saved_stderr);
  unlink(path);
  unsetenv("JOURNAL_STREAM");
  return 0;
}

static char *captured(void) {
  static char buf[4096];
  FILE *f = fopen(path, "r");
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

static void emit_all_levels(void) {
  log_error("e %d", 1);
  log_warning("w");
  log_notice("n");
  log_info("i");
  log_debug("d");
}

static void test_terminal_lines_start_with_hushd_and_default_hides_info_and_debug(
    void **state) {
  (void)state;
  unsetenv("JOURNAL_STREAM");
  log_init(0, 0);
  assert_int_equal(log_journal(), 0);
  emit_all_levels();
  assert_string_equal(captured(), "hushd: e 1\nhushd: w\nhushd: n\n");
}

static void test_journal_lines_carry_sd_daemon_priorities_and_verbose_shows_all(
    void **state) {
  (void)state;
  struct stat st;
  assert_int_equal(fstat(STDERR_FILENO, &st), 0);
  char js[64];
  snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev,
           (unsigned long long)st.st_ino);
  setenv("JOURNAL_STREAM", js, 1);
  log_init(1, 0);
  assert_int_equal(log_journal(), 1);
  emit_all_levels();
  assert_string_equal(captured(), "<3>e 1\n<4>w\n<5>n\n<6>i\n<7>d\n");
}

static void test_journal_stream_of_another_file_is_ignored_and_quiet_keeps_errors(
    void **state) {
  (void)state;
  setenv("JOURNAL_STREAM", "8:123456789", 1); /* not what stderr is */
  log_init(0, 1);
  assert_int_equal(log_journal(), 0);
  emit_all_levels();
  assert_string_equal(captured(), "hushd: e 1\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_terminal_lines_start_with_hushd_and_default_hides_info_and_debug, capture,
          restore),
      cmocka_unit_test_setup_teardown(
          test_journal_lines_carry_sd_daemon_priorities_and_verbose_shows_all, capture,
          restore),
      cmocka_unit_test_setup_teardown(
          test_journal_stream_of_another_file_is_ignored_and_quiet_keeps_errors, capture,
          restore),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
