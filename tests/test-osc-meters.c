/* test-osc-meters: the meter subscriptions (daemon/osc_meters.c) on a simulated clock: what
 * is granted (interval at least 0.05 s, lease at most 600 s), pushes at most 20 a second
 * to one subscriber whatever it asks and however often the server thread wakes, leases
 * ending, 16 subscribers at most, renewal and unsubscribing. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "osc_meters.h"

/* linked in place of osc.c's: peers are equal when their bytes are */
int osc_same_peer(const struct osc_peer *a, const struct osc_peer *b) {
  return a->len == b->len && memcmp(&a->addr, &b->addr, a->len) == 0;
}

static struct osc_peer peer(int port) {
  struct osc_peer p = {.len = sizeof(struct sockaddr_in)};
  struct sockaddr_in *a = (struct sockaddr_in *)&p.addr;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return p;
}

static int pushes[65536];

static void count_push(void *ctx, const struct osc_peer *to) {
  (void)ctx;
  pushes[ntohs(((const struct sockaddr_in *)&to->addr)->sin_port)]++;
}

/* Serves m from t0 to t1 waking every step_s, as a busy thread would. */
static void run(struct osc_meters *m, double t0, double t1, double step_s) {
  for (double t = t0; t < t1; t += step_s) meters_serve(m, t, count_push, NULL);
}

static void test_a_fast_request_gets_20_meters_a_second_and_a_10_minute_lease(void **state) {
  (void)state;
  struct osc_meters m = {0};
  struct osc_peer p = peer(1000);
  double interval = (float)0.01, lease = 3600;
  assert_int_equal(meters_subscribe(&m, &p, &interval, &lease, 0), 0);
  assert_true(interval == 0.05);
  assert_true(lease == 600);
  memset(pushes, 0, sizeof pushes);
  run(&m, 0, 10, 0.001); /* the thread wakes every 1 ms: 10000 chances */
  assert_int_equal(pushes[1000], 200);
  run(&m, 10, 599.99, 0.01);
  assert_int_equal(m.n, 1);
  assert_int_equal(meters_serve(&m, 600, count_push, NULL), -1); /* the lease has ended */
  assert_int_equal(m.n, 0);
  assert_in_range(pushes[1000], 11999, 12000);
}

static void test_slower_requests_and_shorter_leases_are_kept(void **state) {
  (void)state;
  struct osc_meters m = {0};
  struct osc_peer p = peer(1001);
  double interval = 0.25, lease = 2;
  assert_int_equal(meters_subscribe(&m, &p, &interval, &lease, 100), 0);
  assert_true(interval == 0.25 && lease == 2);
  assert_int_equal(meters_serve(&m, 100, count_push, NULL), 250); /* ms to the next push */
  memset(pushes, 0, sizeof pushes);
  run(&m, 100.0005, 103, 0.001);
  assert_int_equal(pushes[1001], 7); /* at 100.25 ... 101.75 */
  assert_int_equal(m.n, 0);
}

static void test_a_stalled_thread_skips_pushes_instead_of_bursting(void **state) {
  (void)state;
  struct osc_meters m = {0};
  struct osc_peer p = peer(1002);
  double interval = 0.05, lease = 60;
  meters_subscribe(&m, &p, &interval, &lease, 0);
  memset(pushes, 0, sizeof pushes);
  meters_serve(&m, 0, count_push, NULL);
  meters_serve(&m, 5, count_push, NULL); /* 5 s late: one push, not 100 */
  meters_serve(&m, 5.001, count_push, NULL);
  assert_int_equal(pushes[1002], 2);
}

static void test_16_subscribers_at_most_and_renewal_takes_no_slot(void **state) {
  (void)state;
  struct osc_meters m = {0};
  for (int i = 0; i < 17; i++) {
    struct osc_peer p = peer(2000 + i);
    double interval = 1, lease = 60;
    assert_int_equal(meters_subscribe(&m, &p, &interval, &lease, 0), i < 16 ? 0 : -1);
  }
  struct osc_peer first = peer(2000), last = peer(2016);
  double interval = 1, lease = 60;
  assert_int_equal(meters_subscribe(&m, &first, &interval, &lease, 30), 0);
  assert_int_equal(m.n, 16);
  meters_unsubscribe(&m, &first);
  assert_int_equal(m.n, 15);
  assert_int_equal(meters_subscribe(&m, &last, &interval, &lease, 30), 0);
  assert_int_equal(m.n, 16);
  /* the 15 older leases end at 60 s, the renewed and the new one at 90 s */
  meters_serve(&m, 60, count_push, NULL);
  assert_int_equal(m.n, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_fast_request_gets_20_meters_a_second_and_a_10_minute_lease),
      cmocka_unit_test(test_slower_requests_and_shorter_leases_are_kept),
      cmocka_unit_test(test_a_stalled_thread_skips_pushes_instead_of_bursting),
      cmocka_unit_test(test_16_subscribers_at_most_and_renewal_takes_no_slot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
