/* fastmath's stated accuracy, measured against libm in double over the whole range each
 * function promises, and its behaviour outside that range (finite, no trap). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>

#include "fastmath.h"

static void test_fast_exp2f_relative_error_below_3e_7(void **state) {
  (void)state;
  double worst = 0, worst_x = 0;
  for (int i = 0; i <= 252 * 4096; i++) {
    float x = -126.f + (float)i / 4096.f;
    double err = fabs(fast_exp2f(x) / exp2((double)x) - 1.0);
    if (err > worst) {
      worst = err;
      worst_x = x;
    }
  }
  print_message("fast_exp2f: max relative error %.3g at x = %g\n", worst, worst_x);
  assert_true(worst < 3e-7);
}

static void test_fast_exp2f_clamps_to_normal_floats(void **state) {
  (void)state;
  assert_true(fast_exp2f(-1000.f) == fast_exp2f(-126.f));
  assert_true(fast_exp2f(1000.f) == fast_exp2f(126.f));
  assert_true(isnormal(fast_exp2f(-1000.f)) && isnormal(fast_exp2f(1000.f)));
  assert_true(fast_exp2f(INFINITY) == fast_exp2f(126.f));
  assert_true(isnormal(fast_exp2f(NAN)));
  assert_true(fast_exp2f(0.f) == 1.f);
}

/* every 997th positive normal float, so all exponents and many mantissas are visited;
 * the error is relative to max(1, |log2 x|): a float result near 100 cannot be closer
 * than its own resolution */
static void test_fast_log2f_error_below_2e_7(void **state) {
  (void)state;
  double worst = 0, worst_x = 0;
  for (uint32_t bits = 0x00800000u; bits < 0x7f800000u; bits += 997) {
    float x = fm_from_bits(bits);
    double err = fabs(fast_log2f(x) - log2((double)x)) / fmax(1.0, fabs(log2((double)x)));
    if (err > worst) {
      worst = err;
      worst_x = x;
    }
  }
  print_message("fast_log2f: max error %.3g at x = %g\n", worst, worst_x);
  assert_true(worst < 2e-7);
  assert_true(fast_log2f(1.f) == 0.f);
}

static void test_fast_log2f_is_finite_outside_its_domain(void **state) {
  (void)state;
  const float bad[] = {0.f, -1.f, 1e-45f, INFINITY, NAN};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_true(isfinite(fast_log2f(bad[i])));
}

/* the wrappers over [-200, 200] dB and e^x over [-50, 50]: their error is dominated by
 * the float rounding of the scaled argument (about 6e-8 * |argument|) */
static void test_fast_db_conversions_round_trip(void **state) {
  (void)state;
  double worst_pow = 0, worst_db = 0, worst_exp = 0;
  for (int i = 0; i <= 40000; i++) {
    float db = -200.f + (float)i / 100.f;
    float p = fast_db_to_power(db);
    worst_pow = fmax(worst_pow, fabs(p / pow(10.0, db / 10.0) - 1.0));
    worst_db = fmax(worst_db, fabs(fast_power_to_db(p) - db));
    float x = db / 4.f; /* e^x for x in [-50, 50] */
    worst_exp = fmax(worst_exp, fabs(fast_expf(x) / exp((double)x) - 1.0));
  }
  print_message("db->power %.3g relative, power->db %.3g dB, expf %.3g relative\n", worst_pow,
                worst_db, worst_exp);
  assert_true(worst_pow < 5e-6);
  assert_true(worst_db < 3e-5);
  assert_true(worst_exp < 5e-6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fast_exp2f_relative_error_below_3e_7),
      cmocka_unit_test(test_fast_exp2f_clamps_to_normal_floats),
      cmocka_unit_test(test_fast_log2f_error_below_2e_7),
      cmocka_unit_test(test_fast_log2f_is_finite_outside_its_domain),
      cmocka_unit_test(test_fast_db_conversions_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
