/* test-log: message lines as a terminal and as the journal sees them, and the levels
 * that --quiet and --verbose let through; the RT queue (log_rt): lines from other threads
 * in order, a flood counted as dropped while the writer is stuck, never blocking.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
  static char buf[1 << 20];
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

static void *post_numbered(void *arg) {
  const char *who = arg;
  char text[64];
  for (int i = 0; i < 100; i++) {
    snprintf(text, sizeof text, "%s %d\n", who, i); /* the test formats; log_rt copies */
    log_rt(LOG_LEVEL_DEBUG, "JACK: ", text);
  }
  return NULL;
}

static void test_rt_lines_from_another_thread_come_in_order_before_later_lines(void **state) {
  (void)state;
  unsetenv("JOURNAL_STREAM");
  log_init(1, 0);
  pthread_t t;
  pthread_create(&t, NULL, post_numbered, "m");
  pthread_join(t, NULL);
  char longer[LOG_RT_TEXT * 2];
  memset(longer, 'x', sizeof longer - 1);
  longer[sizeof longer - 1] = 0;
  log_rt(LOG_LEVEL_DEBUG, "ALSA: ", longer);
  log_notice("after"); /* flushes the queue first */
  char want[16384];
  size_t used = 0;
  for (int i = 0; i < 100; i++)
    used += (size_t)snprintf(want + used, sizeof want - used, "hushd: JACK: m %d\n", i);
  used += (size_t)snprintf(want + used, sizeof want - used, "hushd: ALSA: %.*s\n",
                           LOG_RT_TEXT - 1 - 6, longer); /* cut at LOG_RT_TEXT */
  snprintf(want + used, sizeof want - used, "hushd: after\n");
  assert_string_equal(captured(), want);
  assert_int_equal(log_rt_dropped(), 0);
}

static void test_rt_lines_below_the_level_are_not_queued(void **state) {
  (void)state;
  unsetenv("JOURNAL_STREAM");
  log_init(0, 0);
  for (int i = 0; i < 10 * LOG_RT_RECORDS; i++) log_rt(LOG_LEVEL_DEBUG, "JACK: ", "chatter");
  log_rt(LOG_LEVEL_ERR, "JACK: ", "an error");
  log_flush();
  assert_string_equal(captured(), "hushd: JACK: an error\n");
  assert_int_equal(log_rt_dropped(), 0);
}

static double mono_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void *flush_thread(void *arg) {
  (void)arg;
  log_flush();
  return NULL;
}

struct drain {
  int fd;
  char *buf;
  size_t len, cap;
};

static void *drain_thread(void *arg) {
  struct drain *d = arg;
  ssize_t n;
  while ((n = read(d->fd, d->buf + d->len, d->cap - d->len)) > 0) d->len += (size_t)n;
  return NULL;
}

/* stderr is a pipe nobody reads, full: the flush that writes blocks. Meanwhile 10000
 * messages are posted: every one returns at once, the queue keeps what fits and counts
 * the rest, and once the pipe drains the kept ones come out in order with the count. */
static void test_rt_flood_while_the_writer_is_stuck_is_counted_and_never_blocks(
    void **state) {
  (void)state;
  unsetenv("JOURNAL_STREAM");
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  fcntl(STDERR_FILENO, F_SETFL, O_NONBLOCK);
  char fill[4096];
  memset(fill, '.', sizeof fill);
  size_t filled = 0;
  for (ssize_t w; (w = write(STDERR_FILENO, fill, sizeof fill)) > 0;) filled += (size_t)w;
  while (write(STDERR_FILENO, fill, 1) == 1) filled++;
  fcntl(STDERR_FILENO, F_SETFL, 0);
  log_init(1, 0);
  unsigned long long dropped_before = log_rt_dropped();

  log_rt(LOG_LEVEL_DEBUG, "JACK: ", "first");
  pthread_t flusher;
  pthread_create(&flusher, NULL, flush_thread, NULL); /* blocks writing "first" */
  struct timespec settle = {0, 50 * 1000000L};
  nanosleep(&settle, NULL);
  enum { FLOOD = 10000 };
  double t0 = mono_s(), slowest = 0;
  char text[32];
  for (int i = 0; i < FLOOD; i++) {
    snprintf(text, sizeof text, "flood %d", i);
    double t = mono_s();
    log_rt(LOG_LEVEL_DEBUG, "JACK: ", text);
    if (mono_s() - t > slowest) slowest = mono_s() - t;
  }
  double took = mono_s() - t0;
  unsigned long long dropped = log_rt_dropped() - dropped_before;
  print_message("%d messages posted in %.2f ms (slowest %.3f ms) while the writer was "
                "stuck; %llu dropped\n", FLOOD, took * 1e3, slowest * 1e3, dropped);
  assert_true(took < 0.5);
  /* "first" holds its record until it is written: the rest of the ring is kept */
  assert_int_equal(dropped, FLOOD - (LOG_RT_RECORDS - 1));

  struct drain d = {.fd = fds[0], .cap = filled + (1 << 20)};
  d.buf = malloc(d.cap);
  pthread_t drainer;
  pthread_create(&drainer, NULL, drain_thread, &d);
  pthread_join(flusher, NULL);
  log_flush();
  dup2(saved, STDERR_FILENO); /* the pipe's last writer goes: the drainer sees its end */
  close(saved);
  pthread_join(drainer, NULL);
  close(fds[0]);
  d.buf[d.len] = 0;
  assert_true(d.len > filled);
  char want[LOG_RT_RECORDS * 40 + 256];
  size_t used = (size_t)snprintf(want, sizeof want, "hushd: JACK: first\n");
  for (int i = 0; i < LOG_RT_RECORDS - 1; i++)
    used += (size_t)snprintf(want + used, sizeof want - used, "hushd: JACK: flood %d\n", i);
  snprintf(want + used, sizeof want - used,
           "hushd: %d library messages dropped (the log queue was full)\n",
           FLOOD - (LOG_RT_RECORDS - 1));
  assert_string_equal(d.buf + filled, want);
  free(d.buf);
}

enum { WRITERS = 4, EACH = 3000 };
static atomic_int writers_done;

static void *post_many(void *arg) {
  char text[32];
  for (int i = 0; i < EACH; i++) {
    snprintf(text, sizeof text, "w%d %d", (int)(intptr_t)arg, i);
    log_rt(LOG_LEVEL_DEBUG, "JACK: ", text);
  }
  atomic_fetch_add(&writers_done, 1);
  return NULL;
}

static void *flush_until_done(void *arg) {
  (void)arg;
  while (atomic_load(&writers_done) < WRITERS) log_flush();
  log_flush();
  return NULL;
}

/* Four writers and a flushing reader at once: each writer's lines come out in its order,
 * and every message is either written or counted as dropped. */
static void test_rt_many_writers_keep_their_order_and_lose_nothing_uncounted(void **state) {
  (void)state;
  unsetenv("JOURNAL_STREAM");
  log_init(1, 0);
  unsigned long long dropped_before = log_rt_dropped();
  atomic_store(&writers_done, 0);
  pthread_t w[WRITERS], r;
  pthread_create(&r, NULL, flush_until_done, NULL);
  for (int i = 0; i < WRITERS; i++) pthread_create(&w[i], NULL, post_many, (void *)(intptr_t)i);
  for (int i = 0; i < WRITERS; i++) pthread_join(w[i], NULL);
  pthread_join(r, NULL);
  unsigned long long dropped = log_rt_dropped() - dropped_before;
  int next[WRITERS] = {0}, lines = 0, who, n;
  char *text = captured();
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (sscanf(line, "hushd: JACK: w%d %d", &who, &n) != 2) continue; /* a dropped count */
    assert_true(who >= 0 && who < WRITERS && n >= next[who]);
    next[who] = n + 1;
    lines++;
  }
  print_message("%d written, %llu dropped of %d\n", lines, dropped, WRITERS * EACH);
  assert_int_equal((unsigned long long)lines + dropped, WRITERS * EACH);
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
      cmocka_unit_test_setup_teardown(
          test_rt_lines_from_another_thread_come_in_order_before_later_lines, capture,
          restore),
      cmocka_unit_test_setup_teardown(test_rt_lines_below_the_level_are_not_queued, capture,
                                      restore),
      cmocka_unit_test(test_rt_flood_while_the_writer_is_stuck_is_counted_and_never_blocks),
      cmocka_unit_test_setup_teardown(
          test_rt_many_writers_keep_their_order_and_lose_nothing_uncounted, capture, restore),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
