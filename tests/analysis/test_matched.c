/* Compute-matched runs read off without a law (analysis/matched.c): which runs form a
 * budget (C = (P/16) 6 N D to two significant digits, unquantized counted as 16 bits;
 * PTQ points and runs with untied precisions left out), the seeds of one (P, N) averaged,
 * the best size per precision and where it lies, the ranking, and budgets with one
 * precision dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "matched.h"

/* A training run at tied P bits (>= 16: unquantized) of size N, with D chosen so that
 * C = (P/16) 6 N D is the given budget (to a part in 1e-4, as whole steps would). */
static void run(psl_data *d, double C, double P, double N, double loss) {
    psl_point p;
    psl_point_clear(&p);
    double Pc = P >= 16 ? 16 : P;
    p.N = N;
    p.D = C / (Pc / 16 * 6 * N) * (1 + 1e-4);
    p.P_w = p.P_a = p.P_kv = P;
    snprintf(p.format, sizeof p.format, "%s", P >= 16 ? "fp32" : "int");
    p.loss = loss;
    p.run = d->nruns++;
    assert_int_equal(psl_data_push(d, &p), 0);
}

static void test_budgets(void **state) {
    (void)state;
    psl_data d;
    psl_data_init(&d);
    /* C = 1.2e13: INT6 best inside (1e5 of 5e4..3e5), INT4 best at its smallest, fp32
     * (P_w 32, counted as 16) best at its largest, two seeds at one fp32 cell */
    run(&d, 1.2e13, 6, 5e4, 4.50), run(&d, 1.2e13, 6, 1e5, 4.38), run(&d, 1.2e13, 6, 3e5, 4.51);
    run(&d, 1.2e13, 4, 1e5, 4.66), run(&d, 1.2e13, 4, 3e5, 4.70);
    run(&d, 1.2e13, 32, 2e4, 4.70), run(&d, 1.2e13, 32, 5e4, 4.60), run(&d, 1.2e13, 32, 5e4, 4.50);
    /* C = 3e12, two precisions, one size each */
    run(&d, 3e12, 8, 5e4, 4.68), run(&d, 3e12, 16, 3e4, 4.85);
    /* C = 7e11: one precision only (dropped) */
    run(&d, 7e11, 8, 5e4, 5.0), run(&d, 7e11, 8, 1e5, 5.1);
    /* left out: a PTQ point and an untied run at C = 1.2e13 */
    psl_point p = d.pt[1];
    p.P_post = 3, p.loss = 3.0;
    assert_int_equal(psl_data_push(&d, &p), 0);
    p = d.pt[1];
    p.P_a = 8, p.loss = 3.0;
    assert_int_equal(psl_data_push(&d, &p), 0);

    psl_matched m;
    assert_int_equal(psl_matched_find(&d, &m), 2);
    assert_int_equal(m.skipped, 0);
    const psl_matched_budget *lo = &m.b[0], *hi = &m.b[1];
    assert_true(lo->C == 3e12 && hi->C == 1.2e13);
    assert_int_equal(lo->nruns, 2);
    assert_int_equal(lo->nrows, 2);
    assert_true(lo->row[0].P == 8 && lo->row[1].P == 16);
    assert_int_equal(lo->row[0].where, PSL_MATCHED_ONE_SIZE);
    assert_int_equal(hi->nruns, 8);
    assert_int_equal(hi->nrows, 3);
    /* ranked: INT6 4.38, fp32 4.55 (mean of 4.60 and 4.50 at 5e4), INT4 4.66 */
    const psl_matched_row *r6 = &hi->row[0], *r16 = &hi->row[1], *r4 = &hi->row[2];
    assert_true(r6->P == 6 && r16->P == 16 && r4->P == 4); /* P_w 32 counts as 16 */
    assert_int_equal(r6->nsizes, 3);
    assert_true(r6->N[r6->best] == 1e5 && fabs(r6->loss[r6->best] - 4.38) < 1e-12);
    assert_int_equal(r6->where, PSL_MATCHED_INSIDE);
    assert_true(r16->N[r16->best] == 5e4 && fabs(r16->loss[r16->best] - 4.55) < 1e-12);
    assert_int_equal(r16->seeds[r16->best], 2);
    assert_int_equal(r16->where, PSL_MATCHED_LARGEST);
    assert_true(r4->N[r4->best] == 1e5);
    assert_int_equal(r4->where, PSL_MATCHED_SMALLEST);
    assert_non_null(strstr(psl_matched_where(PSL_MATCHED_SMALLEST), "smallest"));
    psl_data_free(&d);
}

/* Nothing compute-matched: D = 20 N at sizes 3x apart (an INT4 run at 2N would match an
 * unquantized one at N: (4/16) 6 (2N) (40N) = 6 N (20N)). */
static void test_none(void **state) {
    (void)state;
    psl_data d;
    psl_data_init(&d);
    for (int i = 0; i < 4; i++) {
        double N = 1e5 * pow(3, i);
        run(&d, 6 * N * 20 * N, 32, N, 4.5 - 0.1 * i);
        run(&d, 0.25 * 6 * N * 20 * N, 4, N, 4.8 - 0.1 * i);
    }
    psl_matched m;
    assert_int_equal(psl_matched_find(&d, &m), 0);
    psl_data_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budgets),
        cmocka_unit_test(test_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
