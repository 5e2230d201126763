/* Stochastic rounding (":sr"): outputs are the two grid neighbours, unbiased on average,
 * exact on the grid, saturating beyond it, and a deterministic function of the seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

enum { N = 20000 };

/* Quantize N copies of v (plus one entry holding amax so the scale is known). */
static void run(const char *spec, float v, float amax, uint64_t seed, float *y) {
    static float x[N + 1];
    for (int i = 0; i < N; i++) x[i] = v;
    x[N] = amax;
    qspec q;
    char err[128];
    assert_int_equal(qspec_parse(spec, &q, err, sizeof err), 0);
    assert_true(q.stochastic);
    q.seed = seed;
    assert_int_equal(qspec_fake_quant(&q, x, y, 1, N + 1, NULL, NULL), 0);
}

static void check_two_values(const float *y, float lo, float hi, float v) {
    double mean = 0;
    int nlo = 0;
    for (int i = 0; i < N; i++) {
        if (y[i] != lo && y[i] != hi) fail_msg("value %g is neither %g nor %g", y[i], lo, hi);
        nlo += y[i] == lo;
        mean += y[i];
    }
    mean /= N;
    double p = (hi - v) / (hi - lo);
    double sd = (hi - lo) * sqrt(p * (1 - p) / N);
    if (fabs(mean - v) > 5 * sd + 1e-12) fail_msg("mean %.6f vs %.6f (sd %.2g)", mean, v, sd);
    assert_true(nlo > 0 && nlo < N);
}

static void test_int(void **state) {
    (void)state;
    static float y[N + 1];
    /* int4 with amax 7: scale 1 */
    run("int4:sr", 2.3f, 7.0f, 1, y);
    check_two_values(y, 2.0f, 3.0f, 2.3f);
    run("int4:sr", -5.75f, 7.0f, 2, y);
    check_two_values(y, -6.0f, -5.0f, -5.75f);
    /* on the grid: exact */
    run("int4:sr", 4.0f, 7.0f, 3, y);
    for (int i = 0; i < N; i++) assert_true(y[i] == 4.0f);
    /* asymmetric */
    run("uint3:sr", 0.3f, 7.0f, 4, y);
    check_two_values(y, 0.0f, 1.0f, 0.3f);
}

static void test_fp(void **state) {
    (void)state;
    static float y[N + 1];
    /* e2m1 unscaled: 2.6 between 2 and 3; 0.2 between 0 and 0.5 (subnormal) */
    run("e2m1:noscale:sr", 2.6f, 1.0f, 5, y);
    check_two_values(y, 2.0f, 3.0f, 2.6f);
    run("e2m1:noscale:sr", -0.2f, 1.0f, 6, y);
    check_two_values(y, -0.5f, -0.0f, -0.2f);
    /* beyond max saturates, exactly */
    run("e2m1:noscale:sr", 7.0f, 1.0f, 7, y);
    for (int i = 0; i < N; i++) assert_true(y[i] == 6.0f);
    /* bf16: 1 + 2^-9 between 1 and 1 + 2^-7 */
    float v = 1.0f + ldexpf(1, -9);
    run("bf16:sr", v, 1.0f, 8, y);
    check_two_values(y, 1.0f, 1.0f + ldexpf(1, -7), v);
    /* scaled e4m3 (amax 448 -> scale 1): 300 between 288 and 320 */
    run("e4m3:sr", 300.0f, 448.0f, 9, y);
    check_two_values(y, 288.0f, 320.0f, 300.0f);
}

static void test_seed_and_threads(void **state) {
    (void)state;
    enum { R = 64, C = 640 };
    float *x = malloc(R * C * sizeof *x), *a = malloc(R * C * sizeof *x);
    float *b = malloc(R * C * sizeof *x);
    for (int i = 0; i < R * C; i++) x[i] = (float)sin(0.1 * i) * 3.0f;
    qspec q;
    char err[128];
    qspec_parse("int4:row:sr", &q, err, sizeof err);
    assert_string_equal(q.name, "int4:row:sr");
    q.seed = 42;
    omp_set_num_threads(1);
    qspec_fake_quant(&q, x, a, R, C, NULL, NULL);
    omp_set_num_threads(2);
    qspec_fake_quant(&q, x, b, R, C, NULL, NULL);
    assert_memory_equal(a, b, R * C * sizeof *a);
    q.seed = 43;
    qspec_fake_quant(&q, x, b, R, C, NULL, NULL);
    assert_true(memcmp(a, b, R * C * sizeof *a) != 0);
    /* not for block formats */
    assert_int_equal(qspec_parse("mxfp4:sr", &q, err, sizeof err), -1);
    assert_int_equal(qspec_parse("quest4:sr", &q, err, sizeof err), -1);
    free(x);
    free(a);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_fp),
        cmocka_unit_test(test_seed_and_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
