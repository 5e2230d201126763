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

/* Every law of the catalogue, then every baseline (compare.c): the baselines are fitted
 * with the same gradient-based solvers. */
static const psl_law *law_or_baseline(int L) {
    return L < psl_nlaws ? &psl_laws[L] : &psl_baselines[L - psl_nlaws];
}

static void test_gradients(void **state) {
    (void)state;
    for (int L = 0; L < psl_nlaws + psl_nbaselines; L++) {
        const psl_law *law = law_or_baseline(L);
        psl_data d;
        const psl_point **pts;
        psl_model m;
        size_t n = law_points(law, 7, &d, &pts, &m);
        double u[PSL_MAXP], g[PSL_MAXP];
        mid_params(&m, u);
        size_t checked = 0;
        for (size_t i = 0; i < n; i += 7) {
            for (int j = 0; j < m.np; j++) g[j] = NAN; /* one left unwritten fails below */
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
        if (m.np < 2) fail_msg("%s: %d parameters set up", law->name, m.np);
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

/* C_x -> infinity (log C_x past 709, where exp overflows): the degradation factor
 * 1 - exp(-C_x (P_x - P_post)) is exactly 1 and flat in C_x, so d/d log C_x is 0, as
 * central differences there say; it was 0 * inf = NaN, and a fit that wandered there
 * stopped with a NaN gradient. Checked direct and prepared, at finite large C_x against
 * central differences too. */
static void test_gradients_at_infinite_cx(void **state) {
    (void)state;
    int checked = 0;
    for (int L = 0; L < psl_nlaws; L++) {
        const psl_law *law = &psl_laws[L];
        psl_data d;
        const psl_point **pts;
        psl_model m;
        size_t n = law_points(law, 5, &d, &pts, &m);
        int cx[PSL_MAXP], ncx = 0;
        for (int j = 0; j < m.np; j++)
            if (!strcmp(m.pname[j], "C_w") || !strcmp(m.pname[j], "C_a") ||
                !strcmp(m.pname[j], "C_kv"))
                cx[ncx++] = j;
        static const double big[] = {3, 6, 800, 1e300};
        for (int b = 0; ncx && b < 4; b++) {
            double u[PSL_MAXP], g[PSL_MAXP], g2[PSL_MAXP];
            mid_params(&m, u);
            for (int k = 0; k < ncx; k++) u[cx[k]] = big[b];
            psl_prep pb;
            const psl_prep *prep = psl_prepare(&m, u, &pb);
            size_t used = 0;
            for (size_t i = 0; i < n; i++) {
                double f = law->logpred(&m, u, pts[i], g);
                if (!isfinite(f)) continue;
                double f2 = psl_eval(&m, u, prep, pts[i], g2);
                if (f2 != f) fail_msg("%s: prepared %.17g direct %.17g", law->name, f2, f);
                used++;
                for (int j = 0; j < m.np; j++) {
                    if (!isfinite(g[j]) || !isfinite(g2[j]))
                        fail_msg("%s: d/d%s at point %zu, log C_x %g: %g (prepared %g)", law->name,
                                 m.pname[j], i, big[b], g[j], g2[j]);
                    if (g[j] != g2[j])
                        fail_msg("%s: d/d%s prepared %g direct %g", law->name, m.pname[j], g2[j],
                                 g[j]);
                }
                for (int k = 0; k < ncx; k++) {
                    int j = cx[k];
                    double h = 1e-6, up[PSL_MAXP], dn[PSL_MAXP];
                    memcpy(up, u, sizeof u);
                    memcpy(dn, u, sizeof u);
                    up[j] += h * (1 + fabs(u[j]));
                    dn[j] -= h * (1 + fabs(u[j]));
                    double num =
                        (law->logpred(&m, up, pts[i], NULL) - law->logpred(&m, dn, pts[i], NULL)) /
                        (up[j] - dn[j]);
                    if (!(fabs(num - g[j]) <= 1e-5 * (1 + fabs(num))))
                        fail_msg("%s: d/d%s at point %zu, log C_x %g: analytic %.10g numeric "
                                 "%.10g",
                                 law->name, m.pname[j], i, big[b], g[j], num);
                }
            }
            if (used < 5) fail_msg("%s: only %zu points at log C_x %g", law->name, used, big[b]);
        }
        checked += ncx > 0;
        free(pts);
        psl_data_free(&d);
    }
    assert_true(checked >= 4); /* unified_w, unified and their _loss views */
}

/* The baselines' parameter counts (docs/laws.md "Baselines") and that each one's
 * logpred is the formula it prints, at shown values chosen here. */
static void test_baseline_layouts(void **state) {
    (void)state;
    static const struct {
        const char *name;
        int target, np;
    } want[] = {{"chinchilla_tied", PSL_TARGET_LOSS, 4}, {"loss_d_only", PSL_TARGET_LOSS, 3},
                {"loss_n_only", PSL_TARGET_LOSS, 3},     {"loss_d_power", PSL_TARGET_LOSS, 2},
                {"loss_n_power", PSL_TARGET_LOSS, 2},    {"delta_nd", PSL_TARGET_DELTA, 3},
                {"delta_d_only", PSL_TARGET_DELTA, 2},   {"delta_n_only", PSL_TARGET_DELTA, 2}};
    assert_int_equal(psl_nbaselines, (int)(sizeof want / sizeof *want));
    psl_point p;
    psl_point_clear(&p);
    p.N = 3e7, p.D = 6e8, p.lnN = log(p.N), p.lnD = log(p.D);
    const double A = 400, alpha = 0.3, B = 2000, beta = 0.35, E = 1.7, C = 0.02, gD = 0.4, gN = 0.5;
    for (int b = 0; b < psl_nbaselines; b++) {
        const psl_law *bl = &psl_baselines[b];
        assert_string_equal(bl->name, want[b].name);
        assert_int_equal(bl->target, want[b].target);
        psl_data d;
        const psl_point **pts;
        psl_model m;
        law_points(bl, 11, &d, &pts, &m);
        if (m.np != want[b].np)
            fail_msg("%s: %d parameters, docs/laws.md says %d", bl->name, m.np, want[b].np);
        /* fill u by parameter name, then compare with the formula written out */
        double u[PSL_MAXP];
        for (int j = 0; j < m.np; j++) {
            const char *nm = m.pname[j];
            double v = !strcmp(nm, "A")            ? A
                       : !strcmp(nm, "alpha")      ? alpha
                       : !strcmp(nm, "alpha=beta") ? alpha
                       : !strcmp(nm, "B")          ? B
                       : !strcmp(nm, "beta")       ? beta
                       : !strcmp(nm, "E")          ? E
                       : !strcmp(nm, "C_T")        ? C
                       : !strcmp(nm, "gamma_D")    ? gD
                       : !strcmp(nm, "gamma_N")    ? gN
                                                   : NAN;
            if (isnan(v)) fail_msg("%s: unexpected parameter %s", bl->name, nm);
            u[j] = m.logp[j] ? log(v) : v;
        }
        double y, got = exp(bl->logpred(&m, u, &p, NULL));
        switch (b) {
        case 0:
            y = A * pow(p.N, -alpha) + B * pow(p.D, -alpha) + E;
            break;
        case 1:
            y = B * pow(p.D, -beta) + E;
            break;
        case 2:
            y = A * pow(p.N, -alpha) + E;
            break;
        case 3:
            y = B * pow(p.D, -beta);
            break;
        case 4:
            y = A * pow(p.N, -alpha);
            break;
        case 5:
            y = C * pow(p.D, gD) * pow(p.N, -gN);
            break;
        case 6:
            y = C * pow(p.D, gD);
            break;
        default:
            y = C * pow(p.N, -gN);
        }
        if (fabs(got - y) > 1e-12 * y) fail_msg("%s: %.17g, formula %.17g", bl->name, got, y);
        free(pts);
        psl_data_free(&d);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_baseline_layouts),
        cmocka_unit_test(test_prepared_matches_direct),
        cmocka_unit_test(test_gradients_at_vanishing_gamma),
        cmocka_unit_test(test_gradients_at_infinite_cx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
