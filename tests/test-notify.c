/* test-notify: the sd_notify messages and the progress-gated watchdog, received on a
 * real AF_UNIX datagram socket named by NOTIFY_SOCKET, as systemd would.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

static int sock = -1;
static char sock_path[108];

static int open_socket(void **state) {
  (void)state;
  snprintf(sock_path, sizeof sock_path, "/tmp/hushd-test-notify-%d", (int)getpid());
  unlink(sock_path);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
  sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || bind(sock, (struct sockaddr *)&a, sizeof a)) return -1;
  setenv("NOTIFY_SOCKET", sock_path, 1);
  setenv("WATCHDOG_USEC", "200000", 1);
  unsetenv("WATCHDOG_PID");
  return 0;
}

static int close_socket(void **state) {
  (void)state;
  close(sock);
  unlink(sock_path);
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  return 0;
}

/* the next datagram, or "" when none is waiting */
static const char *next_message(void) {
  static char buf[512];
  struct pollfd p = {sock, POLLIN, 0};
  if (poll(&p, 1, 0) != 1) return "";
  ssize_t n = recv(sock, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = 0;
  return buf;
}

static int count_pings(void) {
  int pings = 0;
  for (const char *m; *(m = next_message());) {
    assert_string_equal(m, "WATCHDOG=1");
    pings++;
  }
  return pings;
}

static void test_notify_sends_ready_status_reloading_stopping(void **state) {
  (void)state;
  struct notify *n = notify_create();
  assert_non_null(n);
  notify_ready(n);
  assert_string_equal(next_message(), "READY=1");
  notify_status(n, "latency 26.7 ms, xruns 0");
  assert_string_equal(next_message(), "STATUS=latency 26.7 ms, xruns 0");
  notify_reloading(n);
  const char *m = next_message();
  assert_true(!strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27) && strlen(m) > 27);
  notify_ready(n);
  assert_string_equal(next_message(), "READY=1");
  notify_stopping(n);
  assert_string_equal(next_message(), "STOPPING=1");
  assert_string_equal(next_message(), "");
  notify_destroy(n);
}

static void test_watchdog_pings_every_half_interval_only_while_progress_advances(
    void **state) {
  (void)state;
  struct notify *n = notify_create();
  assert_true(notify_watchdog_s(n) == 0.2);
  unsigned long long hops = 0;
  double t = 0;
  int pings = 0;
  /* (a datagram socket queues only ~10 messages: read them as they come) */
  /* 2 s of 50 ms ticks with the worker busy: one ping per 0.1 s */
  for (; t < 2.0 - 1e-9; t += 0.05) notify_watchdog(n, hops += 9, t), pings += count_pings();
  assert_int_equal(pings, 20);
  /* 2 s stalled: the hops done since the last ping are still reported once, then none */
  for (pings = 0; t < 4.0 - 1e-9; t += 0.05) notify_watchdog(n, hops, t), pings += count_pings();
  assert_int_equal(pings, 1);
  /* progress again: at once, then every 0.1 s */
  notify_watchdog(n, ++hops, t);
  assert_int_equal(count_pings(), 1);
  pings = 0;
  for (double end = t + 1.0; t < end - 1e-9;)
    notify_watchdog(n, hops += 9, t += 0.05), pings += count_pings();
  assert_int_equal(pings, 10);
  notify_destroy(n);
}

static void test_without_watchdog_usec_there_are_no_pings(void **state) {
  (void)state;
  unsetenv("WATCHDOG_USEC");
  struct notify *n = notify_create();
  assert_true(notify_watchdog_s(n) == 0);
  int pings = 0;
  for (int i = 0; i < 100; i++)
    notify_watchdog(n, (unsigned long long)i, i * 0.05), pings += count_pings();
  assert_int_equal(pings, 0);
  notify_destroy(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_notify_sends_ready_status_reloading_stopping,
                                      open_socket, close_socket),
      cmocka_unit_test_setup_teardown(
          test_watchdog_pings_every_half_interval_only_while_progress_advances, open_socket,
          close_socket),
      cmocka_unit_test_setup_teardown(test_without_watchdog_usec_there_are_no_pings,
                                      open_socket, close_socket),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
