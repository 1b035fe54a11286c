/* test-osc-allow: the OSC allow-list (daemon/osc_allow.c): what parses, the exact error for
 * what does not, and which senders match: networks at every prefix length, host bits,
 * IPv4 senders seen through an IPv6 socket, the loopback-only default. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "osc_allow.h"

/* 1 when ip (numeric, v4 or v6) is allowed by list */
static int allowed(const char *list, const char *ip) {
  struct osc_allow a;
  char err[256];
  assert_int_equal(osc_allow_parse(&a, list, err, sizeof err), 0);
  struct sockaddr_in v4 = {.sin_family = AF_INET};
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
  if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1)
    return osc_allow_match(&a, (struct sockaddr *)&v4, sizeof v4);
  assert_int_equal(inet_pton(AF_INET6, ip, &v6.sin6_addr), 1);
  return osc_allow_match(&a, (struct sockaddr *)&v6, sizeof v6);
}

static void test_the_default_is_loopback_only(void **state) {
  (void)state;
  static const char *const lists[] = {NULL, ""};
  for (size_t i = 0; i < 2; i++) {
    const char *const *list = &lists[i];
    assert_true(allowed(*list, "127.0.0.1"));
    assert_true(allowed(*list, "127.255.0.9"));
    assert_true(allowed(*list, "::1"));
    assert_true(allowed(*list, "::ffff:127.0.0.1"));
    assert_false(allowed(*list, "192.168.1.5"));
    assert_false(allowed(*list, "128.0.0.1"));
    assert_false(allowed(*list, "::2"));
    assert_false(allowed(*list, "fd00::1"));
    assert_false(allowed(*list, "::ffff:10.0.0.1"));
  }
}

static void test_networks_match_by_prefix_with_host_bits_ignored(void **state) {
  (void)state;
  assert_true(allowed("192.168.1.77/24", "192.168.1.3"));
  assert_false(allowed("192.168.1.77/24", "192.168.2.3"));
  assert_true(allowed("10.0.0.0/9", "10.127.255.255"));
  assert_false(allowed("10.0.0.0/9", "10.128.0.0"));
  assert_true(allowed("10.0.0.7", "10.0.0.7"));
  assert_false(allowed("10.0.0.7", "10.0.0.6"));
  assert_true(allowed("0.0.0.0/0", "203.0.113.9"));
  assert_false(allowed("0.0.0.0/0", "2001:db8::1"));
  assert_true(allowed("fd00::/8", "fd12:3456::1"));
  assert_false(allowed("fd00::/8", "fe80::1"));
  assert_true(allowed("2001:db8::/127", "2001:db8::1"));
  assert_false(allowed("2001:db8::/127", "2001:db8::2"));
  assert_true(allowed("192.168.0.0/16", "::ffff:192.168.4.4"));
  assert_true(allowed("10.0.0.0/8, 192.168.1.0/24 ,::1", "192.168.1.200"));
  assert_true(allowed("10.0.0.0/8, 192.168.1.0/24 ,::1", "::1"));
  assert_false(allowed("10.0.0.0/8, 192.168.1.0/24 ,::1", "127.0.0.1"));
}

static void test_a_bad_entry_is_named_in_the_error(void **state) {
  (void)state;
  static const char *const bad[][2] = {
      {"10.0.0.0/33", "10.0.0.0/33"}, {"fd00::/129", "fd00::/129"},
      {"10.0.0.0/", "10.0.0.0/"},     {"10.0.0.0/x", "10.0.0.0/x"},
      {"10.0.0.1,lan", "lan"},        {"10.0.0.0/8,,::1", ""},
      {"10.1", "10.1"},
      {"10.0.0.256", "10.0.0.256"},   {"10.0.0.0/-1", "10.0.0.0/-1"},
      {"localhost", "localhost"},
  };
  struct osc_allow a;
  char err[256], want[256];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(osc_allow_parse(&a, bad[i][0], err, sizeof err), -1);
    snprintf(want, sizeof want,
             "OSC allow list: '%s' is not an address or network (e.g. 192.168.1.0/24, "
             "fd00::/8, 10.0.0.7)",
             bad[i][1]);
    assert_string_equal(err, want);
  }
  char many[1024] = "";
  for (int i = 0; i <= OSC_ALLOW_MAX; i++) strcat(many, i ? ",10.0.0.1" : "10.0.0.1");
  assert_int_equal(osc_allow_parse(&a, many, err, sizeof err), -1);
  assert_string_equal(err, "OSC allow list: more than 32 entries");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_default_is_loopback_only),
      cmocka_unit_test(test_networks_match_by_prefix_with_host_bits_ignored),
      cmocka_unit_test(test_a_bad_entry_is_named_in_the_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
