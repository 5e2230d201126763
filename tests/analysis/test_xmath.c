/* analysis/xmath.h: psl_exp and psl_log give libm's exp and log bit for bit (glibc 2.28 or
 * later with FMA; without FMA at compile time they are libm's functions themselves). The
 * fits depend on it: a last-bit difference in the objective moves a fit's path, and the
 * fitted numbers with it (by 1e-4 relative on the bench's runs). Arguments from every
 * range glibc's code distinguishes: all bit patterns, the table's every entry, the
 * polynomial's range, log's near-1 branch, and the special cases handed back to libm.
 * Checked to fail: a table entry 1 ulp off (exp: 4.1M of 16M arguments differ), one of
 * log's multiply-adds left unfused (log: a few of 30M, its errors being far below an ulp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xmath.h"

static uint64_t next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double bits(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* uniform in [lo, hi) */
static double in(uint64_t *s, double lo, double hi) {
    return lo + (hi - lo) * ((double)(next(s) >> 11) * 0x1p-53);
}

static int same(double a, double b) {
    return !memcmp(&a, &b, sizeof a) || (isnan(a) && isnan(b));
}

static long check_exp(double x, long bad) {
    double a = exp(x), b = psl_exp(x);
    if (!same(a, b) && bad < 5) print_message("exp(%a) = %a, psl_exp %a\n", x, a, b);
    return bad + !same(a, b);
}

static long check_log(double x, long bad) {
    double a = log(x), b = psl_log(x);
    if (!same(a, b) && bad < 5) print_message("log(%a) = %a, psl_log %a\n", x, a, b);
    return bad + !same(a, b);
}

static void test_exp(void **state) {
    (void)state;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    long bad = 0, n = 4000000;
    const double special[] = {0.0,      -0.0,      0x1p-54, -0x1p-54, 0x1p-55, 512,   -512,
                              709.7,    709.8,     -708,    -745.2,   -746,    1e300, -1e300,
                              INFINITY, -INFINITY, NAN,     1,        -1};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) bad = check_exp(special[i], bad);
    for (long k = 0; k < n; k++) {
        bad = check_exp(bits(next(&s)), bad);      /* any double */
        bad = check_exp(in(&s, -760, 720), bad);   /* the whole finite range */
        bad = check_exp(in(&s, -40, 1), bad);      /* where the log-sum-exp lives */
        bad = check_exp(in(&s, -1e-3, 1e-3), bad); /* near 0 */
    }
    /* every table entry k/128 ln 2, and the rounding boundaries between entries */
    for (int j = -128 * 12; j <= 128 * 12; j++)
        for (int d = -2; d <= 2; d++) bad = check_exp(j * 0.0054152123481245725 + d * 1e-6, bad);
    if (bad) fail_msg("%ld of %ld arguments differ from libm's exp", bad, 4 * n);
}

static void test_log(void **state) {
    (void)state;
    uint64_t s = 0xD1B54A32D192ED03ull;
    long bad = 0, n = 6000000;
    const double special[] = {1.0,
                              0.0,
                              -0.0,
                              -1.0,
                              0x1p-1074,
                              0x1p-1022,
                              0x1p-1023,
                              DBL_MAX,
                              INFINITY,
                              -INFINITY,
                              NAN,
                              2.0,
                              0.5,
                              0x1.ffffffffffffp-1,
                              0x1.0000000000001p0,
                              0x1.09p0,
                              0x1.08fffffffffffp0,
                              0x1.ep-1,
                              0x1.dffffffffffffp-1};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) bad = check_log(special[i], bad);
    for (long k = 0; k < n; k++) {
        bad = check_log(bits(next(&s) >> 1), bad);     /* any positive double */
        bad = check_log(in(&s, 0.9, 1.1), bad);        /* log's near-1 branch and its edges */
        bad = check_log(in(&s, 1, 5), bad);            /* a log-sum-exp's sum of weights */
        bad = check_log(1 + in(&s, -1e-6, 1e-6), bad); /* very near 1 */
        bad = check_log(in(&s, 0.25, 64), bad);        /* every table entry, many times */
    }
    if (bad) fail_msg("%ld of %ld arguments differ from libm's log", bad, 5 * n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
