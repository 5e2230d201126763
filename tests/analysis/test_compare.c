/* Laws against their simpler forms (analysis/compare.c, docs/laws.md "Baselines"):
 * synthetic sets with and without the effect a law's extra terms describe, each with
 * seeded noise. A law must beat its baselines where the effect is there, and must not
 * where it is not; the report must say which. The margins measured when these tests were
 * written are in the comments beside each check; the checks leave room below them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "analyze.h"
#include "floor.h"
#include "synth.h"

#ifndef FITLAWS_BIN
#error FITLAWS_BIN must name the fitlaws binary
#endif

/* Paper-like constants (Kumar et al. Table 2 magnitudes, as test_cli.c). */
#define T_A     4299.0
#define T_ALPHA 0.4965
#define T_B     18060.0
#define T_E     2.7648
#define T_GW    2.6745

static const double Ns[] = {1e7, 2e7, 5e7, 1.2e8, 3e8, 7e8};
static const double tpp[] = {5, 10, 20, 40, 80, 160};

/* L = A N_eff^-alpha + B D^-alpha + E, N_eff = N (1 - exp(-P/gamma_w)): neff_w's law. */
static double loss_neff(double N, double D, double P) {
    double ne = N * (1 - exp(-P / T_GW));
    return T_A * pow(ne, -T_ALPHA) + T_B * pow(D, -T_ALPHA) + T_E;
}

/* Tied Chinchilla: no precision effect at all. */
static double loss_chinchilla(double N, double D, double P) {
    (void)P;
    return T_A * pow(N, -T_ALPHA) + T_B * pow(D, -T_ALPHA) + T_E;
}

/* D only, with its irreducible loss. */
static double loss_d_only(double N, double D, double P) {
    (void)N, (void)P;
    return T_B * pow(D, -T_ALPHA) + T_E;
}

/* D only, a pure power law (the "two-parameter power law in D alone"). */
static double loss_d_power(double N, double D, double P) {
    (void)N, (void)P;
    return 60 * pow(D, -0.12);
}

/* Training runs: every (N, tokens per parameter) of the grid at each precision of bits[]
 * (P_a = P_kv = 16), `reps` seeds each, loss = truth * exp(sigma * gauss). */
static void loss_runs(psl_data *d, double (*truth)(double, double, double), const double *bits,
                      int nbits, int reps, double sigma, uint64_t seed) {
    psl_data_init(d);
    uint64_t st = seed;
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
            for (int c = 0; c < nbits; c++)
                for (int r = 0; r < reps; r++) {
                    psl_point p;
                    psl_point_clear(&p);
                    p.N = Ns[a];
                    p.D = Ns[a] * tpp[b];
                    p.P_w = bits[c];
                    p.P_a = p.P_kv = 16;
                    snprintf(p.format, sizeof p.format, "%s", p.P_w >= 16 ? "bf16" : "int");
                    p.loss = truth(p.N, p.D, p.P_w) * exp(sigma * synth_gauss(&st));
                    p.run = d->nruns++;
                    snprintf(p.source, sizeof p.source, "synth:%d", p.run);
                    assert_int_equal(psl_data_push(d, &p), 0);
                }
}

/* delta = C_T D^gamma_D N^-gamma_N exp(-P_post/gamma_post) (the ptq law) when with_post,
 * else the same without the P_post factor (the level of 4-bit PTQ at every P_post), times
 * exp(0.05 gauss) plus additive noise of sd 5e-5 (two evaluations of a loss): the
 * highest P_post then sits in the noise, some deltas <= 0, and the floor is estimated
 * from them (floor.h). Unquantized runs, PTQ at 3, 4, 5, 6, 8 bits. */
static void delta_runs(psl_data *d, int with_post, uint64_t seed) {
    static const double post[] = {3, 4, 5, 6, 8};
    psl_data_init(d);
    uint64_t st = seed;
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++) {
            int run = d->nruns++;
            for (int e = 0; e < 5; e++) {
                psl_point p;
                psl_point_clear(&p);
                p.N = Ns[a];
                p.D = Ns[a] * tpp[b];
                p.P_w = p.P_a = p.P_kv = 16;
                snprintf(p.format, sizeof p.format, "bf16");
                p.P_post = post[e];
                snprintf(p.method, sizeof p.method, "gptq");
                double PP = with_post ? p.P_post : 4;
                double y = 0.0598 * pow(p.D, 0.5068) * pow(p.N, -0.3439) * exp(-PP / 0.5907);
                y = y * exp(0.05 * synth_gauss(&st)) + 5e-5 * synth_gauss(&st);
                p.base_loss = 3;
                p.delta = y;
                p.loss = 3 + y;
                p.run = run;
                snprintf(p.source, sizeof p.source, "synth:%d", run);
                assert_int_equal(psl_data_push(d, &p), 0);
            }
        }
}

static void analyze_law(const psl_law *law, const psl_data *d, double dfloor, psl_law_result *r) {
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 0; /* the comparison does not use the bootstrap */
    o.fit.delta_floor = dfloor;
    assert_int_equal(psl_analyze_law(law, d, &o, r), 0);
    if (r->status != PSL_LAW_FITTED) fail_msg("%s not fitted: %s", law->name, r->why);
    assert_true(r->kfold.ok);
}

static void analyze(const char *name, const psl_data *d, double dfloor, psl_law_result *r) {
    const psl_law *law = psl_law_find(name);
    assert_non_null(law);
    analyze_law(law, d, dfloor, r);
}

static const psl_cmp_row *row_of(const psl_law_result *r, const char *base) {
    for (int k = 0; k < r->cmp.n; k++)
        if (!strcmp(r->cmp.row[k].base->name, base)) return &r->cmp.row[k];
    fail_msg("%s: no baseline %s", r->law->name, base);
    return NULL;
}

/* The margins of the law over one baseline: k-fold R^2 (log), the ratio of the
 * baseline's k-fold RMSE (log) to the law's, and AIC (baseline minus law). */
static void margins(const psl_law_result *r, const psl_cmp_row *c, double *dr2, double *rmse_ratio,
                    double *daic) {
    *dr2 = r->kfold.q.r2_log - c->kfold.q.r2_log;
    *rmse_ratio = c->kfold.q.rmse_log / r->kfold.q.rmse_log;
    *daic = c->aic - c->law_aic;
    fprintf(stderr,
            "  %s vs %s: k-fold R^2 %.5f vs %.5f (%+.5f), RMSE %.4g vs %.4g (x%.3g), AIC %.1f vs "
            "%.1f (%+.1f)%s\n",
            r->law->name, c->base->name, r->kfold.q.r2_log, c->kfold.q.r2_log, *dr2,
            r->kfold.q.rmse_log, c->kfold.q.rmse_log, *rmse_ratio, c->law_aic, c->aic, *daic,
            c->beaten > 0    ? " beats"
            : c->beaten == 0 ? " does not beat"
                             : "");
}

/* Same points, same folds: the baseline's k-fold check held out the same points in the
 * same number of folds, and its criteria are over all of the law's points. */
static void same_split(const psl_law_result *r, const psl_cmp_row *c) {
    assert_true(c->ok);
    assert_true(c->kfold.ok);
    assert_int_equal(c->kfold.folds, r->kfold.folds);
    assert_int_equal(c->kfold.nfit, r->kfold.nfit);
    assert_int_equal(c->kfold.q.n, r->kfold.q.n);
    assert_int_equal(c->q.n, r->n);
    assert_int_equal(c->n_ic, r->n);
    assert_false(c->by_aic);
}

/* (a) A real precision effect (neff_w's own law, noise 0.002 in log; P_w = 3 raises the
 * loss by up to 0.07 in log): neff_w beats every baseline, by far more than the noise. */
static void test_precision_effect_beats_baselines(void **state) {
    (void)state;
    static const double bits[] = {3, 4, 5, 6, 8, 16};
    psl_data d;
    loss_runs(&d, loss_neff, bits, 6, 1, 0.002, 11);
    psl_law_result r;
    analyze("neff_w", &d, 0, &r);
    assert_int_equal(r.cmp.n, 5);
    assert_int_equal(r.cmp.beats, 1);
    static const char *bases[] = {"chinchilla_tied", "loss_d_only", "loss_n_only", "loss_d_power",
                                  "loss_n_power"};
    for (int k = 0; k < 5; k++) {
        const psl_cmp_row *c = row_of(&r, bases[k]);
        same_split(&r, c);
        assert_int_equal(c->beaten, 1);
        double dr2, rr, daic;
        margins(&r, c, &dr2, &rr, &daic);
        /* measured: vs tied Chinchilla k-fold R^2 0.99992 vs 0.99696 (+0.0030), RMSE 0.0020
         * vs 0.0124 (x6.2), AIC +797; vs the D-only and N-only forms R^2 +0.13 to +0.22,
         * RMSE x40 to x53, AIC +1579 to +1686. A spurious difference is about 2 in AIC. */
        assert_true(dr2 > 0.001);
        assert_true(rr > 3);
        assert_true(daic > 400);
    }
    /* the folds are the law's: the baseline's k-fold result is bit for bit a k-fold check
     * of it with the law's k and seed, and not that with another seed */
    const psl_cmp_row *c = row_of(&r, "chinchilla_tied");
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    psl_heldout same, other;
    psl_heldout_kfold(c->base, r.pts, r.n, o.kfold, o.seed, &o.fit, NULL, NULL, &same);
    psl_heldout_kfold(c->base, r.pts, r.n, o.kfold, o.seed + 1, &o.fit, NULL, NULL, &other);
    assert_true(same.ok && other.ok);
    assert_true(c->kfold.q.r2_log == same.q.r2_log);
    assert_true(c->kfold.q.rmse_log == same.q.rmse_log);
    assert_true(c->kfold.q.r2_log != other.q.r2_log);
    psl_law_result_free(&r);
    psl_data_free(&d);
}

/* (b) No precision effect (tied Chinchilla + noise 0.002 in log, the same design): the
 * precision law does not beat "no precision term". Over 10 noise seeds, since under no
 * effect a spurious win is a matter of chance (an extra parameter lowers AIC by more than
 * its cost of 2 about 16% of the time): measured 0 wins of 10. */
static void test_no_precision_effect_does_not_beat(void **state) {
    (void)state;
    static const double bits[] = {3, 4, 5, 6, 8, 16};
    int wins = 0;
    for (int s = 0; s < 10; s++) {
        psl_data d;
        loss_runs(&d, loss_chinchilla, bits, 6, 1, 0.002, 100 + (uint64_t)s);
        psl_law_result r;
        analyze("neff_w", &d, 0, &r);
        const psl_cmp_row *c = row_of(&r, "chinchilla_tied");
        same_split(&r, c);
        double dr2, rr, daic;
        margins(&r, c, &dr2, &rr, &daic);
        /* measured over the 10 sets: k-fold R^2 equal to 5 digits, RMSE ratio 0.987 to
         * 1.000 (the law never better held out), AIC margins -2.5 to -1.1 (gamma_w goes to
         * 0 and the law is tied Chinchilla plus a parameter that costs 2) */
        assert_true(fabs(dr2) < 0.0005);
        assert_true(rr < 1.01);
        assert_true(daic < 0.5);
        assert_true(c->beaten >= 0);
        wins += c->beaten;
        if (s == 0) {
            assert_int_equal(c->beaten, 0);
            assert_int_equal(r.cmp.beats, 0);
        }
        psl_law_result_free(&r);
        psl_data_free(&d);
    }
    assert_int_equal(wins, 0);
}

/* (c) A loss that depends on D only: tied Chinchilla (4 parameters) does not beat the
 * D-only forms. B D^-beta + E against "D only"; a two-parameter power law against "D only,
 * pure power law". Unquantized runs, two seeds per configuration, noise 0.002 in log. */
static void test_d_only_data_not_beaten(void **state) {
    (void)state;
    static const double bits[] = {16};
    static const struct {
        double (*truth)(double, double, double);
        const char *base;
    } cases[] = {{loss_d_only, "loss_d_only"}, {loss_d_power, "loss_d_power"}};
    for (int i = 0; i < 2; i++) {
        psl_data d;
        loss_runs(&d, cases[i].truth, bits, 1, 2, 0.002, 21);
        psl_law_result r;
        analyze("chinchilla_tied", &d, 0, &r);
        const psl_cmp_row *c = row_of(&r, cases[i].base);
        same_split(&r, c);
        double dr2, rr, daic;
        margins(&r, c, &dr2, &rr, &daic);
        assert_int_equal(c->beaten, 0);
        assert_int_equal(r.cmp.beats, 0);
        /* measured: against "D only" k-fold RMSE 0.00232 vs 0.00225 (the baseline better
         * held out, x0.968), AIC -2.6; against the pure power law 0.00229 vs 0.00223
         * (x0.975), AIC -4.5: the cost of one and two parameters that add nothing */
        assert_true(rr < 1.01);
        assert_true(daic < 0);
        /* ... while N alone (a term that is not there) is far worse */
        const psl_cmp_row *cn = row_of(&r, "loss_n_only");
        assert_int_equal(cn->beaten, 1);
        margins(&r, cn, &dr2, &rr, &daic);
        /* measured: k-fold R^2 +0.68 and +0.52, RMSE x56 and x71 */
        assert_true(dr2 > 0.3);
        assert_true(rr > 20);

        psl_law_result_free(&r);
        psl_data_free(&d);
    }
}

/* (d) The PTQ law with signal in P_post, deltas at 8 bits in the noise and censored at
 * the estimated floor: it beats "no precision term" (and D only, N only), fitted with the
 * same floor; without signal in P_post it does not. */
static void test_delta_law_against_baselines(void **state) {
    (void)state;
    for (int with_post = 1; with_post >= 0; with_post--) {
        psl_data d;
        delta_runs(&d, with_post, 31);
        psl_floor fl;
        psl_floor_estimate(&d, &fl);
        if (with_post) {
            /* the floor is in use: some points sit at it, and the baselines see them too */
            assert_true(fl.floor > 0);
            assert_true(fl.n_floor > 0);
        }
        psl_law_result r;
        analyze("ptq", &d, fl.floor, &r);
        assert_int_equal(r.n, d.n); /* no point dropped */
        assert_int_equal(r.cmp.n, 3);
        const psl_cmp_row *c = row_of(&r, "delta_nd");
        same_split(&r, c);
        double dr2, rr, daic;
        margins(&r, c, &dr2, &rr, &daic);
        if (with_post) {
            fprintf(stderr, "  floor %.3g, %zu of %zu points at it\n", fl.floor, r.n_floor, r.n);
            assert_int_equal(r.cmp.beats, 1);
            assert_int_equal(c->beaten, 1);
            /* measured: k-fold R^2 0.998 vs 0.044, RMSE 0.106 vs 2.24 (x21), AIC +1099 */
            assert_true(dr2 > 0.5);
            assert_true(rr > 5);
            assert_true(daic > 300);

            assert_int_equal(row_of(&r, "delta_d_only")->beaten, 1);
            assert_int_equal(row_of(&r, "delta_n_only")->beaten, 1);
            /* the baseline was fitted and cross-validated as the law was, with the floor:
             * bit for bit what fitting it as a law of its own with that floor gives */
            const psl_law *bl = c->base;
            psl_law_result rb;
            analyze_law(bl, &d, fl.floor, &rb);
            assert_int_equal(rb.n, r.n);
            assert_int_equal(rb.n_floor, r.n_floor);
            assert_true(rb.q.r2_log == c->q.r2_log && rb.q.rmse_log == c->q.rmse_log);
            assert_true(rb.kfold.q.r2_log == c->kfold.q.r2_log);
            assert_true(rb.cmp.aic == c->aic);
            psl_law_result_free(&rb);
        } else {
            /* measured: k-fold RMSE 0.0533 vs 0.0531 (x0.995), AIC -2.0 */
            assert_true(rr < 1.01);
            assert_true(daic < 0.5);
            assert_int_equal(c->beaten, 0);
            assert_int_equal(r.cmp.beats, 0);
        }
        psl_law_result_free(&r);
        psl_data_free(&d);
    }
}

/* A law whose baselines are not simpler: each is listed with why and not compared; with
 * none compared the law's verdict is "none judged" (-1), never "does not beat". The
 * baselines themselves fitted as laws make such cases: "D only" (3 parameters) against
 * tied Chinchilla (4) and "N only" (3); the pure power law (2) against everything. */
static void test_baseline_not_simpler(void **state) {
    (void)state;
    static const double bits[] = {16};
    psl_data d;
    loss_runs(&d, loss_d_only, bits, 1, 2, 0.002, 41);
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 0;
    const psl_law *dl = NULL, *dp = NULL;
    for (int b = 0; b < psl_nbaselines; b++) {
        if (!strcmp(psl_baselines[b].name, "loss_d_only")) dl = &psl_baselines[b];
        if (!strcmp(psl_baselines[b].name, "loss_d_power")) dp = &psl_baselines[b];
    }
    assert_non_null(dl);
    assert_non_null(dp);
    psl_law_result r;
    assert_int_equal(psl_analyze_law(dl, &d, &o, &r), 0);
    assert_int_equal(r.status, PSL_LAW_FITTED);
    assert_int_equal(r.cmp.n, 4); /* every loss baseline but itself */
    const psl_cmp_row *t = row_of(&r, "chinchilla_tied"), *n = row_of(&r, "loss_n_only");
    assert_false(t->ok);
    assert_false(n->ok);
    assert_int_equal(t->beaten, -1);
    assert_non_null(strstr(t->why, "not simpler: it has 4 parameters, the law 3"));
    assert_non_null(strstr(n->why, "not simpler: it has 3 parameters, the law 3"));
    assert_true(row_of(&r, "loss_d_power")->ok);
    psl_law_result_free(&r);
    assert_int_equal(psl_analyze_law(dp, &d, &o, &r), 0);
    assert_int_equal(r.status, PSL_LAW_FITTED);
    for (int k = 0; k < r.cmp.n; k++) assert_false(r.cmp.row[k].ok);
    assert_int_equal(r.cmp.beats, -1);
    psl_law_result_free(&r);
    /* no comparison asked for: not judged either */
    o.baselines = 0;
    assert_int_equal(psl_analyze_law(psl_law_find("chinchilla_tied"), &d, &o, &r), 0);
    assert_int_equal(r.cmp.n, 0);
    assert_int_equal(r.cmp.beats, -1);
    psl_law_result_free(&r);
    psl_data_free(&d);
}

/* The information criteria against the formulas written out. */
static void test_info_criteria(void **state) {
    (void)state;
    const double ly[] = {0.1, 0.2, 0.3, 0.4, 0.5}, lp[] = {0.11, 0.18, 0.33, -INFINITY, 0.5};
    double aic, bic;
    size_t m;
    psl_info_criteria(ly, lp, 5, 3, &aic, &bic, &m);
    assert_int_equal(m, 4); /* the infinite residual is left out */
    double rss = 0.01 * 0.01 + 0.02 * 0.02 + 0.03 * 0.03;
    assert_true(fabs(aic - (4 * log(rss / 4) + 6)) < 1e-12);
    assert_true(fabs(bic - (4 * log(rss / 4) + 3 * log(4.0))) < 1e-12);
    psl_info_criteria(ly, ly, 5, 3, &aic, &bic, &m); /* a perfect fit has no criterion */
    assert_true(isnan(aic) && isnan(bic));
}

/* ---- the report, through the fitlaws binary on a CSV ---- */

static char dir[64];

static void write_csv(const char *name, double (*truth)(double, double, double), uint64_t seed) {
    static const double bits[] = {3, 4, 5, 6, 8, 16};
    psl_data d;
    loss_runs(&d, truth, bits, 6, 1, 0.002, seed);
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "N,D,P_w,loss\n");
    for (size_t i = 0; i < d.n; i++)
        fprintf(f, "%.17g,%.17g,%g,%.17g\n", d.pt[i].N, d.pt[i].D, d.pt[i].P_w, d.pt[i].loss);
    fclose(f);
    psl_data_free(&d);
}

static char *slurp(const char *sub, const char *name) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    static char buf[2][1 << 20];
    static int which;
    char *b = buf[which ^= 1];
    size_t n = fread(b, 1, sizeof buf[0] - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

static int fitlaws(const char *csv, const char *out) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s --csv %s/%s --out %s/%s --figures none --bootstrap 0 --laws "
             "chinchilla_tied,neff_w >%s/%s.txt 2>&1",
             FITLAWS_BIN, dir, csv, dir, out, dir, out);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_report_says_so(void **state) {
    (void)state;
    strcpy(dir, "/tmp/psl_test_compare_XXXXXX");
    assert_non_null(mkdtemp(dir));
    write_csv("null.csv", loss_chinchilla, 100); /* the seed of (b)'s first set */
    write_csv("effect.csv", loss_neff, 11);
    assert_int_equal(fitlaws("null.csv", "null"), 0);
    assert_int_equal(fitlaws("effect.csv", "effect"), 0);

    char *md = slurp("null", "report.md");
    assert_non_null(md);
    assert_non_null(strstr(md, "| neff_w | loss | fitted |"));
    assert_non_null(strstr(md, "| **no**: does not beat no precision term (tied Chinchilla)"));
    assert_non_null(strstr(md, "**neff_w does not beat th"));
    assert_non_null(strstr(md, "- no precision term (tied Chinchilla) (L = A N^-alpha + B "
                               "D^-alpha + E, 4 parameters): DOES NOT BEAT it: k-fold R^2 "));
    assert_non_null(strstr(md, "docs/laws.md \"Baselines\""));
    char *j = slurp("null", "report.json");
    assert_non_null(j);
    char *nw = strstr(j, "{\"name\": \"neff_w\"");
    assert_non_null(nw);
    assert_non_null(strstr(nw, "\"beats_baselines\": false, \"baselines_not_beaten\": "
                               "[\"chinchilla_tied\""));
    assert_non_null(strstr(nw, "\"baselines\": [{\"name\": \"chinchilla_tied\", \"title\": \"no "
                               "precision term (tied Chinchilla)\", \"formula\": \"L = A "
                               "N^-alpha + B D^-alpha + E\", \"params\": 4, \"compared\": true"));
    assert_non_null(strstr(nw, "\"judged_by\": \"kfold_r2_and_aic\", \"beaten\": false}"));
    for (const char *b = "loss_d_only\0loss_n_only\0loss_d_power\0loss_n_power\0"; *b;
         b += strlen(b) + 1) {
        char key[64];
        snprintf(key, sizeof key, "{\"name\": \"%s\"", b);
        if (!strstr(nw, key)) fail_msg("report.json: neff_w lacks baseline %s", b);
    }
    /* tied Chinchilla is not compared with itself */
    char *ct = strstr(j, "{\"name\": \"chinchilla_tied\", \"title\": \"Chinchilla");
    assert_non_null(ct);
    char *ctb = strstr(ct, "\"baselines\": [");
    assert_non_null(ctb);
    assert_true(ctb < nw);
    const char *first = "\"baselines\": [{\"name\": \"loss_d_only\"";
    assert_int_equal(strncmp(ctb, first, strlen(first)), 0);

    md = slurp("effect", "report.md");
    assert_non_null(md);
    assert_null(strstr(md, "does not beat"));
    assert_non_null(strstr(md, "| neff_w | loss | fitted |"));
    j = slurp("effect", "report.json");
    nw = strstr(j, "{\"name\": \"neff_w\"");
    assert_non_null(nw);
    assert_non_null(strstr(nw, "\"beats_baselines\": true, \"baselines_not_beaten\": []"));
    char *term = slurp("", "null.txt");
    assert_non_null(term);
    assert_non_null(strstr(term, "against its baselines: neff_w DOES NOT BEAT: no precision term"));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    gsl_set_error_handler_off(); /* as fitlaws does: GSL's errors come back as codes */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_criteria),
        cmocka_unit_test(test_precision_effect_beats_baselines),
        cmocka_unit_test(test_no_precision_effect_does_not_beat),
        cmocka_unit_test(test_d_only_data_not_beaten),
        cmocka_unit_test(test_delta_law_against_baselines),
        cmocka_unit_test(test_baseline_not_simpler),
        cmocka_unit_test(test_report_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
