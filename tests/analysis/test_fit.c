/* Fitting: parameter recovery for every law from noisy synthetic data with outliers, the
 * objective against an independent computation, bootstrap determinism and coverage,
 * identifiability refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "synth.h"

/* True parameters (shown values) per law, and recovery tolerances: for parameters
 * fitted in log space |log(fit/true)| <= tol_log, otherwise |fit - true| <= tol_abs.
 * Coefficients are compared at the centre of the design (the fitted, centred
 * parameters: A N0^-alpha rather than A), since a coefficient far from the data trades
 * off against its exponent by construction. */
typedef struct {
    const char *law;
    double shown[PSL_MAXP];
    double tol_log, tol_abs;
} truth;

#define BASE_TIED 400, 1500, 1.8, 0.36
static const truth truths[] = {
    {"chinchilla", {400, 0.35, 2000, 0.38, 1.8}, 0.35, 0.03},
    {"chinchilla_tied", {BASE_TIED}, 0.35, 0.03},
    {"ptq", {0.06, 0.5, 0.35, 0.6}, 0.35, 0.03},
    {"ouyang", {1e-3, 0.5, 0.35, 4}, 0.35, 0.05},
    {"neff_w", {BASE_TIED, 2.7}, 0.35, 0.03},
    {"neff_a", {BASE_TIED, 2.2}, 0.35, 0.03},
    {"neff_kv", {BASE_TIED, 1.0}, 0.35, 0.03},
    {"neff_w_off", {BASE_TIED, 2.7, 0.3}, 0.35, 0.3},
    {"neff_a_off", {BASE_TIED, 2.2, 1.0}, 0.35, 0.3},
    {"neff_kv_off", {BASE_TIED, 1.0, 2.0}, 0.35, 0.3},
    {"neff_joint", {BASE_TIED, 2.7, 2.2, 1.0}, 0.35, 0.03},
    {"neff_joint_off", {BASE_TIED, 2.7, 0.3, 2.2, 1.0, 1.0, 2.0}, 0.35, 0.4},
    {"unified_w", {BASE_TIED, 2.7, 0.1, 0.5, 0.35, 1.0, 1.0}, 0.35, 0.05},
    {"unified", {BASE_TIED, 2.7, 2.2, 1.0, 0.1, 0.5, 0.35, 1.0, 1.0, 1.0, 1.0}, 0.5, 0.05},
    {"quest_eff", {BASE_TIED}, 0.35, 0.03},
    {"alt_additive", {BASE_TIED, 0.5, 1.5}, 0.35, 0.15},
    {"alt_deff", {BASE_TIED, 2.0}, 0.35, 0.03},
    {"alt_neff_deff_tied", {BASE_TIED, 2.5}, 0.35, 0.03},
    {"alt_neff_deff_untied", {BASE_TIED, 2.5, 1.5}, 0.35, 0.03},
    {"alt_multiplicative", {BASE_TIED, 0.5, 1.5}, 0.35, 0.15},
    {"chen", {400, 0.35, 2000, 0.38, 1.8, 0.2, 0.2, 0.5, 0.3}, 0.35, 0.05},
};

/* Builds a noisy synthetic set for t; returns the model set up on it and the truth u. */
static void make_set(const truth *t, psl_data *d, double sigma, double outlier, uint64_t seed,
                     psl_model *m, double *u) {
    const psl_law *law = psl_law_find(t->law);
    assert_non_null(law);
    /* set up once on the design to learn the parameter layout (per-format keys) */
    psl_data tmp;
    psl_data_init(&tmp);
    double zero[PSL_MAXP] = {0};
    synth_points(&tmp, law, zero, 0, 0, seed);
    const psl_point **pts;
    size_t n = psl_law_select(law, &tmp, &pts);
    char why[512];
    psl_model_setup(m, law, pts, n, why, sizeof why);
    for (int i = 0; i < m->np; i++) {
        double s = i < PSL_MAXP && (t->shown[i] != 0 || !m->logp[i]) ? t->shown[i] : 0;
        if (m->key0 && i >= m->key0) s = exp(-0.15 * (i - m->key0 + 1)); /* eff < 1 */
        u[i] = m->logp[i] ? log(s) : s;
    }
    free(pts);
    psl_data_free(&tmp);
    psl_data_init(d);
    synth_points(d, law, u, sigma, outlier, seed);
    if (!strcmp(t->law, "chen")) {
        /* Chen's form is per bit width: keep one quantized width */
        size_t k = 0;
        for (size_t i = 0; i < d->n; i++)
            if (psl_point_high_precision(&d->pt[i]) || d->pt[i].P_w == 4) d->pt[k++] = d->pt[i];
        d->n = k;
    }
}

static void test_recovery(void **state) {
    (void)state;
    psl_fit_opts fo;
    psl_fit_opts_default(&fo);
    for (size_t L = 0; L < sizeof truths / sizeof *truths; L++) {
        const truth *t = &truths[L];
        const psl_law *law = psl_law_find(t->law);
        psl_data d;
        psl_model m0;
        double u[PSL_MAXP];
        make_set(t, &d, 0.002, 0.08, 11 + L, &m0, u);
        const psl_point **pts;
        size_t n = psl_law_select(law, &d, &pts);
        psl_model m;
        char why[512];
        if (psl_model_setup(&m, law, pts, n, why, sizeof why))
            fail_msg("%s refused on its own synthetic set: %s", t->law, why);
        double *ly = malloc(n * sizeof *ly);
        psl_log_targets(law, pts, n, ly);
        psl_problem pr = {&m, pts, ly, NULL, n, fo.huber_delta};
        psl_fit f;
        int rc = psl_fit_grid(&pr, &fo, &f);
        if (rc) fail_msg("%s did not converge: %s", t->law, f.msg);
        double vf[PSL_MAXP], vt[PSL_MAXP];
        psl_model_to_v(&m, f.u, vf);
        psl_model_to_v(&m, u, vt);
        for (int i = 0; i < m.np; i++) {
            double got = psl_model_value(&m, i, f.u), want = psl_model_value(&m, i, u);
            double err = fabs(vf[i] - vt[i]);
            double tol = m.logp[i] ? t->tol_log : t->tol_abs;
            if (getenv("PSL_TEST_VERBOSE"))
                print_message("%-22s %-12s fit %-10.5g true %-10.5g err %.3g tol %.3g\n", t->law,
                              m.pname[i], got, want, err, tol);
            if (!(err <= tol) && !getenv("PSL_TEST_VERBOSE"))
                fail_msg("%s: %s = %.6g, true %.6g (error %.3g > tolerance %.3g)", t->law,
                         m.pname[i], got, want, err, tol);
        }
        free(ly);
        free(pts);
        psl_data_free(&d);
    }
}

/* The objective written out directly: Chinchilla and joint N_eff with offsets. */
static double huber(double r, double d) {
    return fabs(r) <= d ? 0.5 * r * r : d * (fabs(r) - 0.5 * d);
}

static void test_objective_independent(void **state) {
    (void)state;
    const char *names[] = {"chinchilla", "neff_joint_off", "ptq"};
    for (int L = 0; L < 3; L++) {
        const truth *t = NULL;
        for (size_t k = 0; k < sizeof truths / sizeof *truths; k++)
            if (!strcmp(truths[k].law, names[L])) t = &truths[k];
        const psl_law *law = psl_law_find(t->law);
        psl_data d;
        psl_model m0;
        double u[PSL_MAXP];
        make_set(t, &d, 0.01, 0.1, 3, &m0, u);
        const psl_point **pts;
        size_t n = psl_law_select(law, &d, &pts);
        psl_model m;
        char why[512];
        assert_int_equal(psl_model_setup(&m, law, pts, n, why, sizeof why), 0);
        double *ly = malloc(n * sizeof *ly), *w = malloc(n * sizeof *w);
        psl_log_targets(law, pts, n, ly);
        /* evaluate away from the truth so residuals straddle delta */
        double uu[PSL_MAXP];
        for (int i = 0; i < m.np; i++) uu[i] = u[i] * (1 + 0.01 * (i % 3));
        double ref = 0, refw = 0;
        const double *s = t->shown;
        for (size_t i = 0; i < n; i++) {
            const psl_point *p = pts[i];
            double pred;
            double v[PSL_MAXP];
            for (int k = 0; k < m.np; k++) v[k] = m.logp[k] ? exp(uu[k]) : uu[k];
            (void)s;
            if (L == 0) {
                pred = v[0] * pow(p->N, -v[1]) + v[2] * pow(p->D, -v[3]) + v[4];
            } else if (L == 1) {
                double f = (1 - exp(-p->P_w / v[4] + v[5])) * (1 - exp(-p->P_a / v[6] + v[7])) *
                           (1 - exp(-p->P_kv / v[8] + v[9]));
                pred = v[0] * pow(p->N * f, -v[3]) + v[1] * pow(p->D, -v[3]) + v[2];
            } else {
                pred = v[0] * pow(p->D, v[1]) / pow(p->N, v[2]) * exp(-p->P_post / v[3]);
            }
            double y = L == 2 ? p->delta : p->loss;
            double h = huber(log(pred) - log(y), 1e-3);
            w[i] = (double)(i % 3);
            ref += h;
            refw += w[i] * h;
        }
        psl_problem pr = {&m, pts, ly, NULL, n, 1e-3};
        double got = psl_objective(&pr, uu, NULL);
        if (fabs(got - ref) > 1e-9 * fabs(ref))
            fail_msg("%s: objective %.15g, independent %.15g", t->law, got, ref);
        pr.w = w;
        got = psl_objective(&pr, uu, NULL);
        if (fabs(got - refw) > 1e-9 * fabs(refw))
            fail_msg("%s weighted: objective %.15g, independent %.15g", t->law, got, refw);
        free(ly);
        free(w);
        free(pts);
        psl_data_free(&d);
    }
}

static void test_bootstrap_deterministic(void **state) {
    (void)state;
    const truth *t = &truths[1];
    const psl_law *law = psl_law_find(t->law);
    psl_data d;
    psl_model m0;
    double u[PSL_MAXP];
    make_set(t, &d, 0.01, 0, 5, &m0, u);
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 40;
    o.heldout = 0;
    psl_law_result r1, r2;
    omp_set_num_threads(1);
    assert_int_equal(psl_analyze_law(law, &d, &o, &r1), 0);
    omp_set_num_threads(2);
    assert_int_equal(psl_analyze_law(law, &d, &o, &r2), 0);
    assert_int_equal(r1.status, PSL_LAW_FITTED);
    for (int i = 0; i < r1.m.np; i++) {
        assert_true(r1.boot.lo[i] == r2.boot.lo[i]);
        assert_true(r1.boot.hi[i] == r2.boot.hi[i]);
        assert_true(r1.boot.se[i] == r2.boot.se[i]);
    }
    /* another seed gives other intervals */
    psl_law_result r3;
    o.seed = 99;
    assert_int_equal(psl_analyze_law(law, &d, &o, &r3), 0);
    int differ = 0;
    for (int i = 0; i < r1.m.np; i++) differ |= r1.boot.lo[i] != r3.boot.lo[i];
    assert_true(differ);
    psl_law_result_free(&r1);
    psl_law_result_free(&r2);
    psl_law_result_free(&r3);
    psl_data_free(&d);
}

/* Over repeated synthetic sets the 95% interval of each parameter should contain the
 * truth about 95% of the time; with 24 sets x 4 parameters we accept 80%-100%. */
static void test_bootstrap_coverage(void **state) {
    (void)state;
    const truth *t = &truths[1];
    const psl_law *law = psl_law_find(t->law);
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 100;
    o.heldout = 0;
    o.fit.polish = 2;
    int hit = 0, total = 0, per[PSL_MAXP] = {0};
    if (getenv("PSL_BOOT_GTOL")) o.fit.boot_gtol = atof(getenv("PSL_BOOT_GTOL"));
    for (int s = 0; s < 24; s++) {
        psl_data d;
        psl_model m0;
        double u[PSL_MAXP];
        double sg = getenv("PSL_COV_SIGMA") ? atof(getenv("PSL_COV_SIGMA")) : 0.001;
        make_set(t, &d, sg, 0, 1000 + (uint64_t)s, &m0, u);
        /* three seeds per (N, D) cell: 108 runs */
        synth_points(&d, law, u, sg, 0, 5000 + (uint64_t)s);
        synth_points(&d, law, u, sg, 0, 9000 + (uint64_t)s);
        psl_law_result r;
        o.seed = (uint64_t)s + 1;
        assert_int_equal(psl_analyze_law(law, &d, &o, &r), 0);
        if (r.status != PSL_LAW_FITTED) fail_msg("set %d: %s", s, r.why);
        for (int i = 0; i < r.m.np; i++) {
            double v = psl_model_value(&r.m, i, u);
            hit += r.boot.lo[i] <= v && v <= r.boot.hi[i];
            per[i] += r.boot.lo[i] <= v && v <= r.boot.hi[i];
            if (getenv("PSL_TEST_VERBOSE") && i == 3) {
                psl_problem pr = {&r.m, r.pts, r.logy, NULL, r.n, 1e-3};
                psl_fit_opts f2 = o.fit;
                f2.gtol = 1e-12;
                psl_fit ff;
                int rc2 = psl_fit_from(&pr, &f2, r.fit.u, &ff);
                print_message("   refit rc %d alpha %.6f obj %.10g vs %.10g it %d\n", rc2, ff.u[3],
                              ff.obj, r.fit.obj, ff.iters);
            }
            if (getenv("PSL_TEST_VERBOSE") && i == 3)
                print_message("set %d alpha %.5f true %.5f ci [%.5f %.5f] se %.5f ok %d\n", s,
                              psl_model_value(&r.m, i, r.fit.u), v, r.boot.lo[i], r.boot.hi[i],
                              r.boot.se[i], r.boot.ok);
            total++;
        }
        psl_law_result_free(&r);
        psl_data_free(&d);
    }
    double cov = (double)hit / total;
    print_message("per parameter: %d %d %d %d of 24\n", per[0], per[1], per[2], per[3]);
    print_message("bootstrap 95%% coverage: %d of %d = %.3f\n", hit, total, cov);
    assert_true(cov >= 0.80);
}

static void test_identifiability(void **state) {
    (void)state;
    psl_data d;
    psl_data_init(&d);
    /* a weights-only sweep: P_kv never varies */
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 4; c++) {
                psl_point p;
                psl_point_clear(&p);
                p.N = 1e7 * (a + 1);
                p.D = p.N * 20 * (b + 1);
                p.P_w = c == 3 ? 16 : 3 + c;
                p.loss = 3 + 1.0 / (a + 1) + 0.1 * c;
                p.run = d.nruns++;
                psl_data_push(&d, &p);
            }
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 0;
    o.heldout = 0;
    psl_law_result r;
    assert_int_equal(psl_analyze_law(psl_law_find("neff_kv"), &d, &o, &r), 0);
    assert_int_equal(r.status, PSL_LAW_REFUSED);
    assert_non_null(strstr(r.why, "P_kv"));
    psl_law_result_free(&r);
    assert_int_equal(psl_analyze_law(psl_law_find("ptq"), &d, &o, &r), 0);
    assert_int_equal(r.status, PSL_LAW_REFUSED);
    psl_law_result_free(&r);
    /* one odd run: P_w = 4 in a single run among 16-bit ones */
    psl_data e;
    psl_data_init(&e);
    for (size_t i = 0; i < d.n; i++) {
        psl_point p = d.pt[i];
        p.P_w = i == 5 ? 4 : 16;
        psl_data_push(&e, &p);
    }
    assert_int_equal(psl_analyze_law(psl_law_find("neff_w"), &e, &o, &r), 0);
    assert_int_equal(r.status, PSL_LAW_REFUSED);
    assert_non_null(strstr(r.why, "varies in only one"));
    psl_law_result_free(&r);
    /* too few points for the parameters */
    e.n = 4;
    assert_int_equal(psl_analyze_law(psl_law_find("chinchilla"), &e, &o, &r), 0);
    assert_int_equal(r.status, PSL_LAW_REFUSED);
    psl_law_result_free(&r);
    psl_data_free(&d);
    psl_data_free(&e);
}

/* The "determined" verdict on hand-made intervals, one case per rule. */
static void test_boot_determined(void **state) {
    (void)state;
    psl_boot b;
    memset(&b, 0, sizeof b);
    b.B = b.ok = 200;
    double lo[] = {90, 1, 0, 5, 1.1, -0.8, 1e33, 1};
    double hi[] = {110, 20, 4.9, 5, 3.1, 0.9, 1e33, 2};
    for (int k = 0; k < 8; k++) b.lo[k] = lo[k], b.hi[k] = hi[k];
    assert_int_equal(psl_boot_determined(&b, 1, 0, 100), 1);  /* log space, factor 1.2 */
    assert_int_equal(psl_boot_determined(&b, 1, 1, 5), 0);    /* log space, factor 20 */
    assert_int_equal(psl_boot_determined(&b, 1, 2, 3.3), 0);  /* log space, reaches 0 */
    assert_int_equal(psl_boot_determined(&b, 0, 3, 5), 0);    /* a single point: never moved */
    assert_int_equal(psl_boot_determined(&b, 0, 4, 1.88), 1); /* half-width 1.0 < 1.88 */
    assert_int_equal(psl_boot_determined(&b, 0, 5, -0.3), 0); /* sign unknown */
    assert_int_equal(psl_boot_determined(&b, 1, 6, 1e33), 0); /* collapsed at a huge value */
    b.ok = 9;
    assert_int_equal(psl_boot_determined(&b, 0, 7, 1.5), -1); /* too few replicates */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objective_independent),   cmocka_unit_test(test_identifiability),
        cmocka_unit_test(test_bootstrap_deterministic), cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_bootstrap_coverage),      cmocka_unit_test(test_boot_determined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
