/* Catalogue checks: analytic gradients against central differences, and the objective
 * against an independent computation written out here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"
#include "synth.h"

/* A plausible parameter vector for any law: middle of each start grid, nudged. */
static void mid_params(const psl_model *m, double *u) {
    for (int i = 0; i < m->np; i++) {
        const double *v;
        int n = psl_grid_values(m->grid[i], &v);
        u[i] = v[n / 2] + 0.05 * (i + 1);
    }
}

/* Synthetic points of a law (targets unused: generated with zero parameters), selected
 * and set up as a fit would; the caller frees *pts and *d. */
static size_t law_points(const psl_law *law, int seed, psl_data *d, const psl_point ***pts,
                         psl_model *m) {
    psl_data_init(d);
    double u0[PSL_MAXP] = {0};
    synth_points(d, law, u0, 0, 0, seed);
    size_t n = psl_law_select(law, d, 0, pts);
    char why[512];
    psl_model_setup(m, law, *pts, n, why, sizeof why);
    return n;
}

static void test_gradients(void **state) {
    (void)state;
    for (int L = 0; L < psl_nlaws; L++) {
        const psl_law *law = &psl_laws[L];
        psl_data d;
        const psl_point **pts;
        psl_model m;
        size_t n = law_points(law, 7, &d, &pts, &m);
        double u[PSL_MAXP], g[PSL_MAXP];
        mid_params(&m, u);
        size_t checked = 0;
        for (size_t i = 0; i < n; i += 7) {
            double f = law->logpred(&m, u, pts[i], g);
            /* a delta law predicts exactly 0 where a part was trained at or below the PTQ
             * bits: no gradient to check there */
            if (law->target == PSL_TARGET_DELTA && f == -INFINITY) continue;
            assert_true(isfinite(f));
            checked++;
            for (int j = 0; j < m.np; j++) {
                double h = 1e-6, up[PSL_MAXP], dn[PSL_MAXP];
                memcpy(up, u, sizeof u);
                memcpy(dn, u, sizeof u);
                up[j] += h;
                dn[j] -= h;
                double num =
                    (law->logpred(&m, up, pts[i], NULL) - law->logpred(&m, dn, pts[i], NULL)) /
                    (2 * h);
                if (fabs(num - g[j]) > 1e-5 * (1 + fabs(num)))
                    fail_msg("%s: d/d%s at point %zu: analytic %.10g numeric %.10g", law->name,
                             m.pname[j], i, g[j], num);
            }
        }
        if (checked < 5) fail_msg("%s: only %zu points to check gradients at", law->name, checked);
        free(pts);
        psl_data_free(&d);
    }
}

/* The prepared (tabulated factor) evaluation must equal the direct one. */
static void test_prepared_matches_direct(void **state) {
    (void)state;
    for (int L = 0; L < psl_nlaws; L++) {
        const psl_law *law = &psl_laws[L];
        psl_data d;
        const psl_point **pts;
        psl_model m;
        size_t n = law_points(law, 3, &d, &pts, &m);
        double u[PSL_MAXP], g1[PSL_MAXP], g2[PSL_MAXP];
        mid_params(&m, u);
        psl_prep pb;
        const psl_prep *prep = psl_prepare(&m, u, &pb);
        if (law->prepare) assert_non_null(prep);
        for (size_t i = 0; i < n; i++) {
            double a = law->logpred(&m, u, pts[i], g1);
            double b = psl_eval(&m, u, prep, pts[i], g2);
            if (a != b) fail_msg("%s point %zu: direct %.17g prepared %.17g", law->name, i, a, b);
            for (int j = 0; j < m.np; j++)
                if (g1[j] != g2[j]) fail_msg("%s point %zu: gradient %d differs", law->name, i, j);
        }
        free(pts);
        psl_data_free(&d);
    }
}

/* gamma -> 0 (the log-parameter far below any start): the factor 1 - exp(-P/gamma) is
 * exactly 1 and flat, so the gradient must be finite (0 * inf was NaN there, and a fit
 * that wandered there stopped with a NaN gradient). */
static void test_gradients_at_vanishing_gamma(void **state) {
    (void)state;
    int checked = 0;
    for (int L = 0; L < psl_nlaws; L++) {
        const psl_law *law = &psl_laws[L];
        psl_data d;
        const psl_point **pts;
        psl_model m;
        size_t n = law_points(law, 5, &d, &pts, &m);
        double u[PSL_MAXP], g[PSL_MAXP];
        mid_params(&m, u);
        int any = 0;
        for (int j = 0; j < m.np; j++)
            if (!strcmp(m.pname[j], "gamma_w") || !strcmp(m.pname[j], "gamma_a") ||
                !strcmp(m.pname[j], "gamma_kv"))
                u[j] = -1000, any = 1;
        for (size_t i = 0; any && i < n; i++) {
            double f = law->logpred(&m, u, pts[i], g);
            if (!isfinite(f)) continue; /* a law may have no value there; then no gradient */
            for (int j = 0; j < m.np; j++)
                if (!isfinite(g[j]))
                    fail_msg("%s: d/d%s at point %zu is %g", law->name, m.pname[j], i, g[j]);
        }
        checked += any;
        free(pts);
        psl_data_free(&d);
    }
    assert_true(checked >= 6);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_prepared_matches_direct),
        cmocka_unit_test(test_gradients_at_vanishing_gamma),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
