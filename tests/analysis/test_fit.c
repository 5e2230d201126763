/* Fitting: parameter recovery for every law from noisy synthetic data with outliers, the
 * objective against an independent computation, bootstrap determinism and coverage,
 * identifiability refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "derived.h"
#include "floor.h"
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
    {"unified_w", {2.7, 0.1, 0.5, 0.35, 1.0, 1.0}, 0.35, 0.05},
    {"unified", {2.7, 2.2, 1.0, 0.1, 0.5, 0.35, 1.0, 1.0, 1.0, 1.0}, 0.5, 0.05},
    {"unified_w_loss", {BASE_TIED, 2.7, 0.1, 0.5, 0.35, 1.0, 1.0}, 0.35, 0.05},
    {"unified_loss", {BASE_TIED, 2.7, 2.2, 1.0, 0.1, 0.5, 0.35, 1.0, 1.0, 1.0, 1.0}, 0.5, 0.05},
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
    size_t n = psl_law_select(law, &tmp, 0, &pts);
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
        size_t n = psl_law_select(law, &d, 0, &pts);
        psl_model m;
        char why[512];
        if (psl_model_setup(&m, law, pts, n, why, sizeof why))
            fail_msg("%s refused on its own synthetic set: %s", t->law, why);
        double *ly = malloc(n * sizeof *ly);
        psl_log_targets(law, pts, n, 0, ly);
        psl_problem pr = {&m, pts, ly, NULL, n, fo.huber_delta, 0, 0};
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
        size_t n = psl_law_select(law, &d, 0, &pts);
        psl_model m;
        char why[512];
        assert_int_equal(psl_model_setup(&m, law, pts, n, why, sizeof why), 0);
        double *ly = malloc(n * sizeof *ly), *w = malloc(n * sizeof *w);
        psl_log_targets(law, pts, n, 0, ly);
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
        psl_problem pr = {&m, pts, ly, NULL, n, 1e-3, 0, 0};
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

/* quest_eff's per-format parameters are labelled with the whole format name: two
 * formats sharing their first 8 characters were printed with one label. */
static void test_eff_labels_unique(void **state) {
    (void)state;
    const psl_law *law = psl_law_find("quest_eff");
    assert_non_null(law);
    psl_data d;
    psl_data_init(&d);
    const char *fmts[] = {"fp32", "hadamard_rtn", "hadamard_quest"};
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < 4; i++) {
            psl_point p;
            psl_point_clear(&p);
            p.N = 1e6 * (1 + i % 2), p.D = 2e7 * (1 + i / 2), p.loss = 3 + 0.1 * i + 0.05 * f;
            p.P_w = p.P_a = f ? 4 : 32, p.P_kv = 32;
            snprintf(p.format, sizeof p.format, "%s", fmts[f]);
            assert_int_equal(psl_data_push(&d, &p), 0);
        }
    const psl_point **pts;
    size_t n = psl_law_select(law, &d, 0, &pts);
    psl_model m;
    char why[512];
    assert_int_equal(psl_model_setup(&m, law, pts, n, why, sizeof why), 0);
    assert_int_equal(m.nkeys, 2);
    assert_string_not_equal(m.pname[m.key0], m.pname[m.key0 + 1]);
    assert_non_null(strstr(m.pname[m.key0], "hadamard_"));
    free(pts);
    psl_data_free(&d);
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

/* Bitwise equality of n doubles (NaN equals the same NaN). */
static int same_bits(const void *a, const void *b, size_t n) {
    return !memcmp(a, b, n * sizeof(double));
}

static void assert_same_quality(const psl_quality *a, const psl_quality *b, const char *what,
                                const char *law) {
    double x[5] = {(double)a->n, a->r2_log, a->rmse_log, a->r2_lin, a->rmse_lin};
    double y[5] = {(double)b->n, b->r2_log, b->rmse_log, b->r2_lin, b->rmse_lin};
    if (!same_bits(x, y, 5)) fail_msg("%s: %s differs between thread counts", law, what);
}

/* Everything psl_analyze_laws computes is the same, bit for bit, at 1, 2 and 3 threads:
 * each law's fit, every bootstrap replicate's parameters (not only the intervals), the
 * held-out checks, the baselines (shared between laws on the same points) and the derived
 * quantities. The laws run as tasks of one team in any order (par.h), so this fails if a
 * result depended on which thread or in which order a task ran (checked: seeding a
 * replicate's stream with omp_get_thread_num() fails it). */
static void test_threads_bit_identical(void **state) {
    (void)state;
    const truth *t = NULL;
    for (size_t k = 0; k < sizeof truths / sizeof *truths; k++)
        if (!strcmp(truths[k].law, "unified_loss")) t = &truths[k];
    psl_data d;
    psl_model m0;
    double u[PSL_MAXP];
    make_set(t, &d, 0.003, 0, 21, &m0, u);
    psl_data_fill_deltas(&d);
    /* laws of each kind: the effective-size family (neff_w and alt_deff on the same points,
     * so sharing their baselines), quest's per-format eff, two delta laws on the same
     * points, tied Chinchilla (derived D_crit, compute-optimal N) and the joint law behind
     * P* */
    const char *names[] = {"chinchilla_tied", "ptq",    "neff_w",   "alt_deff",
                           "neff_joint_off",  "ouyang", "quest_eff"};
    enum { NL = sizeof names / sizeof *names, NT = 3 };
    const psl_law *laws[NL];
    for (int i = 0; i < NL; i++) assert_non_null(laws[i] = psl_law_find(names[i]));
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 24;
    o.kfold = 3;
    psl_floor fl;
    psl_floor_estimate(&d, &fl);
    o.fit.delta_floor = fl.floor;
    psl_law_result res[NT][NL];
    psl_derived dv[NT];
    int saved = omp_get_max_threads();
    for (int k = 0; k < NT; k++) {
        omp_set_num_threads(k + 1);
        assert_int_equal(psl_analyze_laws(laws, NL, &d, &o, res[k]), 0);
        psl_derive(res[k], NL, &d, &dv[k]);
    }
    omp_set_num_threads(saved);
    int fitted = 0;
    for (int k = 1; k < NT; k++)
        for (int i = 0; i < NL; i++) {
            const psl_law_result *a = &res[0][i], *b = &res[k][i];
            const char *nm = names[i];
            int np = a->m.np;
            assert_int_equal(a->status, b->status);
            if (a->status != PSL_LAW_FITTED) continue;
            fitted += k == 1;
            if (!same_bits(a->fit.u, b->fit.u, (size_t)np) || a->fit.obj != b->fit.obj ||
                a->fit.iters != b->fit.iters)
                fail_msg("%s: fit differs at %d threads", nm, k + 1);
            if (!same_bits(a->logpred, b->logpred, a->n))
                fail_msg("%s: predictions differ at %d threads", nm, k + 1);
            assert_int_equal(a->boot.ok, b->boot.ok);
            if (!same_bits(a->boot_u, b->boot_u, (size_t)o.bootstrap * (size_t)np))
                fail_msg("%s: bootstrap replicates differ at %d threads", nm, k + 1);
            if (!same_bits(a->boot.lo, b->boot.lo, (size_t)np) ||
                !same_bits(a->boot.hi, b->boot.hi, (size_t)np) ||
                !same_bits(a->boot.se, b->boot.se, (size_t)np))
                fail_msg("%s: bootstrap intervals differ at %d threads", nm, k + 1);
            assert_int_equal(a->lnlo.ok, b->lnlo.ok);
            assert_int_equal(a->kfold.ok, b->kfold.ok);
            assert_same_quality(&a->lnlo.q, &b->lnlo.q, "leave-largest-N-out", nm);
            assert_same_quality(&a->kfold.q, &b->kfold.q, "k-fold", nm);
            assert_int_equal(a->cmp.n, b->cmp.n);
            assert_int_equal(a->cmp.beats, b->cmp.beats);
            for (int j = 0; j < a->cmp.n; j++) {
                const psl_cmp_row *x = &a->cmp.row[j], *y = &b->cmp.row[j];
                double vx[4] = {x->aic, x->bic, x->law_aic, x->law_bic};
                double vy[4] = {y->aic, y->bic, y->law_aic, y->law_bic};
                if (x->ok != y->ok || x->beaten != y->beaten || !same_bits(vx, vy, 4))
                    fail_msg("%s: baseline %s differs at %d threads", nm, x->base->name, k + 1);
                assert_same_quality(&x->q, &y->q, "baseline fit", nm);
                assert_same_quality(&x->kfold.q, &y->kfold.q, "baseline k-fold", nm);
            }
        }
    assert_int_equal(fitted, NL); /* every law fitted: nothing compared vacuously */
    for (int k = 1; k < NT; k++) {
        const psl_derived *a = &dv[0], *b = &dv[k];
        assert_true(a->have_pstar && a->have_copt && a->ndcrit > 0);
        double x[5] = {a->pstar.v, a->pstar.lo, a->pstar.hi, a->copt_N.lo, a->copt_N.hi};
        double y[5] = {b->pstar.v, b->pstar.lo, b->pstar.hi, b->copt_N.lo, b->copt_N.hi};
        if (!same_bits(x, y, 5)) fail_msg("derived P* or N_opt differs at %d threads", k + 1);
        for (int q = 0; q < a->ndcrit; q++) {
            double dx[2] = {a->dcrit[q].lo, a->dcrit[q].hi},
                   dy[2] = {b->dcrit[q].lo, b->dcrit[q].hi};
            if (!same_bits(dx, dy, 2)) fail_msg("derived D_crit differs at %d threads", k + 1);
        }
    }
    for (int k = 0; k < NT; k++)
        for (int i = 0; i < NL; i++) psl_law_result_free(&res[k][i]);
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
                psl_problem pr = {&r.m, r.pts, r.logy, NULL, r.n, 1e-3, 0, 0};
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

/* The unified law on delta_PTQ where delta has no signal (noise of sd 1e-4 about the same
 * level 2e-4 at every N, D, P_w, P_post): the verdict must be "not determined". The same
 * design with the law's own delta is determined (so the verdict can say yes). */
static void unified_verdict(int signal, int *verdict, int *ndet, int *np) {
    const truth *t = NULL;
    for (size_t k = 0; k < sizeof truths / sizeof *truths; k++)
        if (!strcmp(truths[k].law, "unified_w")) t = &truths[k];
    const psl_law *law = psl_law_find("unified_w");
    psl_data d;
    psl_model m0;
    double u[PSL_MAXP];
    make_set(t, &d, 0.002, 0, 21, &m0, u);
    uint64_t st = 77;
    for (size_t i = 0; i < d.n; i++) {
        psl_point *p = &d.pt[i];
        if (!signal) p->delta = 2e-4 + 1e-4 * synth_gauss(&st);
        p->loss = p->base_loss + p->delta;
    }
    psl_floor fl;
    psl_floor_estimate(&d, &fl);
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 40;
    o.heldout = 0;
    o.fit.delta_floor = fl.floor;
    psl_law_result r;
    assert_int_equal(psl_analyze_law(law, &d, &o, &r), 0);
    /* not converging is one way of not being determined (psl_law_determined) */
    if (r.status == PSL_LAW_REFUSED) fail_msg("unified_w not fitted: %s", r.why);
    *verdict = psl_law_determined(&r, ndet);
    *np = r.m.np;
    print_message("unified_w, delta %s: %s; %d of %d constants determined (floor %.3g, %zu of "
                  "%zu points at it), R^2 %.3f\n",
                  signal ? "from the law" : "without signal",
                  r.status == PSL_LAW_FITTED ? "converged" : r.why, *ndet, *np, fl.floor, r.n_floor,
                  r.n, r.q.r2_log);
    psl_law_result_free(&r);
    psl_data_free(&d);
}

static void test_unified_no_signal_not_determined(void **state) {
    (void)state;
    int v, det, np;
    unified_verdict(0, &v, &det, &np);
    assert_int_equal(v, 0);
    unified_verdict(1, &v, &det, &np);
    assert_int_equal(v, 1);
}

/* Points at the noise floor are modelled, not dropped: ptq-law deltas with known
 * constants plus additive Gaussian noise (sd 5e-5) and 1% log noise, at P_post 3, 4, 5,
 * 6 and 8, where 8-bit deltas (2e-6..3e-5) are below the noise. The floor comes from
 * the 8-bit spread (2 sd = 1e-4); every point is fitted, the counts at the floor and
 * at delta <= 0 are the ones counted here, and the constants come back. */
static void test_floor_recovery(void **state) {
    (void)state;
    const psl_law *law = psl_law_find("ptq");
    const double Ns[] = {1e7, 2e7, 5e7, 1.2e8, 3e8, 7e8}, tpp[] = {5, 10, 20, 40, 80, 160};
    const double post[] = {3, 4, 5, 6, 8}, C_T = 0.06, gD = 0.5, gN = 0.35, gp = 0.6;
    const double sd = 5e-5;
    psl_data d;
    psl_data_init(&d);
    uint64_t st = 4242;
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
            for (int e = 0; e < 5; e++) {
                psl_point p;
                psl_point_clear(&p);
                p.N = Ns[a];
                p.D = Ns[a] * tpp[b];
                p.P_w = p.P_a = p.P_kv = 16;
                p.P_post = post[e];
                snprintf(p.format, sizeof p.format, "bf16");
                snprintf(p.method, sizeof p.method, "gptq");
                double dt = C_T * pow(p.D, gD) / pow(p.N, gN) * exp(-p.P_post / gp);
                p.base_loss = 3;
                p.delta = dt * exp(0.01 * synth_gauss(&st)) + sd * synth_gauss(&st);
                p.loss = p.base_loss + p.delta;
                p.run = a * 6 + b;
                psl_data_push(&d, &p);
            }
    d.nruns = 36;
    psl_floor fl;
    psl_floor_estimate(&d, &fl);
    assert_int_equal(fl.method, PSL_FLOOR_TOPBITS);
    assert_true(fl.P_post == 8 && fl.nused == 36);
    /* the sd of 36 draws is within 25% of the truth (its relative SE is 12%) */
    if (!(fabs(fl.floor / (PSL_FLOOR_SIGMAS * sd) - 1) < 0.25))
        fail_msg("floor %.4g, expected about %.4g", fl.floor, PSL_FLOOR_SIGMAS * sd);
    size_t at = 0, nonpos = 0;
    for (size_t i = 0; i < d.n; i++) at += d.pt[i].delta <= fl.floor, nonpos += d.pt[i].delta <= 0;
    assert_true(nonpos > 0);
    assert_int_equal(fl.n_ptq, d.n);
    assert_int_equal(fl.n_floor, at);
    assert_int_equal(fl.n_nonpos, nonpos);
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 0;
    o.heldout = 0;
    /* fitted with the floor, and without (the old way: deltas <= 0 dropped, none
     * censored), for comparison */
    double err[2][PSL_MAXP];
    for (int pass = 0; pass < 2; pass++) {
        o.fit.delta_floor = pass == 0 ? fl.floor : 0;
        psl_law_result r;
        assert_int_equal(psl_analyze_law(law, &d, &o, &r), 0);
        assert_int_equal(r.status, PSL_LAW_FITTED);
        if (pass == 0) {
            assert_int_equal(r.n, d.n); /* nothing dropped */
            assert_int_equal(r.n_floor, at);
            assert_int_equal(r.n_nonpos, nonpos);
        } else {
            assert_int_equal(r.n, d.n - nonpos);
        }
        double ut[PSL_MAXP] = {log(C_T), gD, gN, log(gp)}, vf[PSL_MAXP], vt[PSL_MAXP];
        psl_model_to_v(&r.m, r.fit.u, vf);
        psl_model_to_v(&r.m, ut, vt);
        for (int i = 0; i < r.m.np; i++) {
            err[pass][i] = vf[i] - vt[i];
            print_message("%s %-10s fit %-10.5g true %-10.5g error %+.4f (centred)\n",
                          pass ? "no floor:  " : "with floor:", r.m.pname[i],
                          psl_model_value(&r.m, i, r.fit.u), psl_model_value(&r.m, i, ut),
                          err[pass][i]);
        }
        psl_law_result_free(&r);
    }
    /* tolerances: exponents 0.03, log C_T at the centre and log gamma_post 0.05 */
    const double tol[] = {0.05, 0.03, 0.03, 0.05};
    for (int i = 0; i < 4; i++)
        if (!(fabs(err[0][i]) <= tol[i]))
            fail_msg("parameter %d off by %.4f (tolerance %.2f)", i, err[0][i], tol[i]);
    psl_data_free(&d);
}

/* Derived quantities from laws fitted to synthetic runs with known constants: D_crit
 * (ptq + chinchilla_tied) and the compute-optimal N, D come with intervals that hold the
 * true values, and values beyond the D (or N) trained are flagged as extrapolations. */
static void test_derived_intervals(void **state) {
    (void)state;
    const truth *tt = NULL, *tp = NULL;
    for (size_t k = 0; k < sizeof truths / sizeof *truths; k++) {
        if (!strcmp(truths[k].law, "chinchilla_tied")) tt = &truths[k];
        if (!strcmp(truths[k].law, "ptq")) tp = &truths[k];
    }
    psl_data d, e;
    psl_model m0;
    double ut[PSL_MAXP], up[PSL_MAXP];
    make_set(tt, &d, 0.002, 0, 31, &m0, ut);
    make_set(tp, &e, 0.002, 0, 32, &m0, up);
    for (size_t i = 0; i < e.n; i++) {
        psl_point p = e.pt[i];
        p.run += d.nruns;
        psl_data_push(&d, &p);
    }
    d.nruns += e.nruns;
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 60;
    o.heldout = 0;
    o.fit.polish = 2;
    psl_law_result res[2];
    assert_int_equal(psl_analyze_law(psl_law_find("chinchilla_tied"), &d, &o, &res[0]), 0);
    assert_int_equal(psl_analyze_law(psl_law_find("ptq"), &d, &o, &res[1]), 0);
    assert_int_equal(res[0].status, PSL_LAW_FITTED);
    assert_int_equal(res[1].status, PSL_LAW_FITTED);
    psl_derived dv;
    psl_derive(res, 2, &d, &dv);
    assert_true(dv.ndcrit == 30 && dv.have_copt);
    double Dmax = 0;
    for (size_t i = 0; i < res[1].n; i++) Dmax = fmax(Dmax, res[1].pts[i]->D);
    int inside = 0, beyond = 0;
    for (int k = 0; k < dv.ndcrit; k++) {
        const psl_dq *q = &dv.dcrit[k];
        /* the truth: beta B N^gamma_N exp(P/gamma_post) / (gamma_D C_T), ^1/(gamma_D+beta) */
        double B = tt->shown[1], beta = tt->shown[3], CT = tp->shown[0], gD = tp->shown[1],
               gN = tp->shown[2], gp = tp->shown[3];
        double tru = pow(beta * B * pow(dv.dcrit_N[k], gN) * exp(dv.dcrit_P[k] / gp) / (gD * CT),
                         1 / (gD + beta));
        if (getenv("PSL_TEST_VERBOSE"))
            print_message("N %g P %g D_crit %.4g [%.4g, %.4g] true %.4g extrap %d\n", dv.dcrit_N[k],
                          dv.dcrit_P[k], q->v, q->lo, q->hi, tru, q->extrap);
        assert_true(q->nrep >= 50);
        /* the synthetic PTQ bits are 3..6: P_post 8 is beyond them */
        assert_int_equal(dv.dcrit_p_extrap[k], dv.dcrit_P[k] > 6);
        inside += q->lo <= tru && tru <= q->hi;
        /* the flag says where the estimate lies; well away from the edge the truth agrees */
        if (tru > 2 * Dmax) assert_int_equal(q->extrap, 1), beyond++;
        if (tru < Dmax / 2) assert_int_equal(q->extrap, 0);
    }
    print_message("D_crit: truth inside the 95%% interval for %d of %d; %d beyond the D "
                  "trained\n",
                  inside, dv.ndcrit, beyond);
    assert_true(inside >= 24);
    assert_true(beyond >= 5 && beyond < dv.ndcrit);
    /* compute-optimal N at C: (A/B)^(1/(2 alpha)) (C/6)^(1/2) */
    double Nt = pow(tt->shown[0] / tt->shown[1], 1 / (2 * tt->shown[3])) * sqrt(dv.copt_C / 6);
    print_message("N_opt %.4g [%.4g, %.4g] true %.4g, %s\n", dv.copt_N.v, dv.copt_N.lo,
                  dv.copt_N.hi, Nt, dv.copt_N.extrap ? "extrapolation" : "within the runs");
    assert_true(dv.copt_N.lo <= Nt && Nt <= dv.copt_N.hi);
    assert_true(fabs(dv.copt_D.v * 6 * dv.copt_N.v / dv.copt_C - 1) < 1e-9);
    assert_true(dv.copt_D.lo <= dv.copt_D.v && dv.copt_D.v <= dv.copt_D.hi);
    psl_law_result_free(&res[0]);
    psl_law_result_free(&res[1]);
    psl_data_free(&d);
    psl_data_free(&e);
}

int main(void) {
    gsl_set_error_handler_off(); /* as fitlaws does: GSL's errors come back as codes */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objective_independent),
        cmocka_unit_test(test_identifiability),
        cmocka_unit_test(test_bootstrap_deterministic),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_eff_labels_unique),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_bootstrap_coverage),
        cmocka_unit_test(test_boot_determined),
        cmocka_unit_test(test_unified_no_signal_not_determined),
        cmocka_unit_test(test_floor_recovery),
        cmocka_unit_test(test_derived_intervals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
