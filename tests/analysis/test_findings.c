/* The findings table (analysis/findings.c, docs/fitlaws.md "Findings"): synthetic run sets
 * with a clear effect, no way to measure it, and the opposite effect; each finding must
 * come out reproduced, not testable (with the reason) and contradicted in turn, and the
 * report must open with the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "findings.h"
#include "floor.h"
#include "laws.h"
#include "synth.h"

#ifndef FITLAWS_BIN
#error FITLAWS_BIN must name the fitlaws binary
#endif

static const double Ns[] = {1e7, 2e7, 5e7, 1.2e8, 3e8, 7e8};
static const double tpp[] = {5, 10, 20, 40, 80, 160};

/* PTQ points of unquantized runs: delta = C_T D^gD N^-gN exp(-P_post/gamma_post) (the
 * paper's C_T, gamma_N, gamma_post) times exp(0.05 gauss) plus 5e-5 gauss, P_post 3..8 (as
 * test_compare.c); fixed_D > 0 puts every run at that D (no D variation). C_T is scaled so
 * that the deltas sit at the same level for either sign of gD. */
static void delta_runs(psl_data *d, double gD, double fixed_D, uint64_t seed) {
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
                p.D = fixed_D > 0 ? fixed_D : Ns[a] * tpp[b];
                if (fixed_D > 0) p.N = Ns[a] * (1 + 0.1 * b); /* 36 distinct sizes instead */
                p.P_w = p.P_a = p.P_kv = 16;
                snprintf(p.format, sizeof p.format, "bf16");
                p.P_post = post[e];
                snprintf(p.method, sizeof p.method, "gptq");
                double y = 0.0598 * pow(p.D / 1e9, gD) * pow(1e9, 0.5068) * pow(p.N, -0.3439) *
                           exp(-p.P_post / 0.5907);
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

/* Training runs (no PTQ) from L = A N_eff^-alpha + B D^-alpha + E with N_eff = N (1 -
 * exp(-P_w/gw)) (1 - exp(-P_a/ga)): P_w and P_a each varied over bits[] with the other
 * parts at 16 (one knob at a time, as sweeps do), noise 0.002 in log. */
static void neff_runs(psl_data *d, double gw, double ga, uint64_t seed) {
    static const double bits[] = {3, 4, 5, 6, 8, 16};
    psl_data_init(d);
    uint64_t st = seed;
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
            for (int part = 0; part < 2; part++)
                for (int c = 0; c < 6; c++) {
                    if (part == 1 && bits[c] >= 16) continue; /* one unquantized run per cell */
                    psl_point p;
                    psl_point_clear(&p);
                    p.N = Ns[a];
                    p.D = Ns[a] * tpp[b];
                    p.P_w = part == 0 ? bits[c] : 16;
                    p.P_a = part == 1 ? bits[c] : 16;
                    p.P_kv = 16;
                    snprintf(p.format, sizeof p.format, "%s",
                             psl_point_high_precision(&p) ? "bf16" : "int");
                    double ne = p.N * (1 - exp(-p.P_w / gw)) * (1 - exp(-p.P_a / ga));
                    double L = 4299.0 * pow(ne, -0.4965) + 18060.0 * pow(p.D, -0.4965) + 2.7648;
                    p.loss = L * exp(0.002 * synth_gauss(&st));
                    p.run = d->nruns++;
                    snprintf(p.source, sizeof p.source, "synth:%d", p.run);
                    assert_int_equal(psl_data_push(d, &p), 0);
                }
}

/* Analyses the named laws on d (bootstrap 100, held-out checks and baselines as fitlaws
 * does by default) and judges the findings. */
static void judge(const psl_data *d, const char *const *laws, int nl, psl_law_result *res,
                  psl_findings *fd) {
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 100;
    psl_floor fl;
    psl_floor_estimate(d, &fl);
    o.fit.delta_floor = fl.floor;
    for (int i = 0; i < nl; i++) {
        const psl_law *law = psl_law_find(laws[i]);
        assert_non_null(law);
        assert_int_equal(psl_analyze_law(law, d, &o, &res[i]), 0);
    }
    psl_derived dv;
    psl_derive(res, nl, d, &dv);
    psl_findings_judge(res, nl, &dv, fd);
}

static void free_res(psl_law_result *res, int nl) {
    for (int i = 0; i < nl; i++) psl_law_result_free(&res[i]);
}

static const psl_finding *get(const psl_findings *fd, const char *id) {
    for (int i = 0; i < fd->n; i++)
        if (!strcmp(fd->f[i].id, id)) return &fd->f[i];
    fail_msg("no finding %s", id);
    return NULL;
}

static void show(const psl_finding *f) {
    fprintf(stderr, "  %-12s %-28s %s %s: %s\n", f->id, psl_verdict_str(f->verdict), f->measured,
            f->interval, f->why);
}

static const char *const ptq_laws[] = {"ptq", "chinchilla_tied"};

/* (a) delta grows with D (gamma_D 0.5068, the paper's), signal well above the noise:
 * ptq_data reproduced, the interval holding the truth; gamma_N (0.3439) too; every
 * finding that needs quantized training is not testable. */
static void test_ptq_grows_with_data_reproduced(void **state) {
    (void)state;
    psl_data d;
    delta_runs(&d, 0.5068, 0, 5);
    psl_law_result res[2];
    psl_findings fd;
    judge(&d, ptq_laws, 2, res, &fd);
    const psl_finding *f = get(&fd, "ptq_data");
    show(f);
    assert_int_equal(f->verdict, PSL_REPRODUCED);
    assert_true(f->lo > 0);
    assert_true(f->lo < 0.5068 && f->hi > 0.5068); /* measured: [0.50, 0.52] */
    assert_true(fabs(f->value - 0.5068) < 0.03);
    assert_non_null(strstr(f->paper, "0.5068"));
    assert_non_null(strstr(f->why, "gamma_D determined"));
    const psl_finding *g = get(&fd, "ptq_size");
    show(g);
    assert_int_equal(g->verdict, PSL_REPRODUCED);
    assert_true(g->lo < 0.3439 && g->hi > 0.3439);
    static const char *const rest[] = {"neff_w", "neff_a", "neff_kv",      "neff_order",
                                       "robust", "pstar",  "quest_vs_ste", "quest_best4"};
    for (int i = 0; i < 8; i++) {
        const psl_finding *x = get(&fd, rest[i]);
        assert_int_equal(x->verdict, PSL_NOT_TESTABLE);
        assert_non_null(strstr(x->why, "to test it: "));
    }
    /* the gates, one at a time on the same fit: a law that does not beat a baseline, and
     * an interval clear of 0 that is too wide to determine gamma_D (as gamma_N on
     * results/reference/paper/ptq_data), each make the finding not testable */
    psl_law_result *pt = &res[0];
    assert_string_equal(pt->law->name, "ptq");
    psl_compare keep = pt->cmp;
    pt->cmp.beats = 0;
    pt->cmp.row[0].beaten = 0;
    psl_findings_judge(res, 2, NULL, &fd);
    f = get(&fd, "ptq_data");
    show(f);
    assert_int_equal(f->verdict, PSL_NOT_TESTABLE);
    assert_non_null(strstr(f->why, "ptq does not beat its baseline(s) \"no precision term\""));
    pt->cmp = keep;
    int k = PTQ_GAMMA_D;
    double lo = pt->boot.lo[k], hi = pt->boot.hi[k];
    pt->boot.lo[k] = 0.01;
    pt->boot.hi[k] = 2.0;
    psl_findings_judge(res, 2, NULL, &fd);
    f = get(&fd, "ptq_data");
    show(f);
    assert_int_equal(f->verdict, PSL_NOT_TESTABLE);
    assert_non_null(
        strstr(f->why, "gamma_D is not determined by the bootstrap (95% CI [0.01, 2])"));
    pt->boot.lo[k] = lo;
    pt->boot.hi[k] = hi;
    psl_findings_judge(res, 2, NULL, &fd);
    assert_int_equal(get(&fd, "ptq_data")->verdict, PSL_REPRODUCED);
    free_res(res, 2);
    psl_data_free(&d);
}

/* (b) No PTQ points at all, and PTQ points without D variation: not testable, with the
 * reason (the ptq law's refusal) and what runs would test it. */
static void test_ptq_not_testable(void **state) {
    (void)state;
    psl_data d;
    neff_runs(&d, 2.6745, 2.2102, 7); /* training runs only */
    psl_law_result res[2];
    psl_findings fd;
    judge(&d, ptq_laws, 2, res, &fd);
    const psl_finding *f = get(&fd, "ptq_data");
    show(f);
    assert_int_equal(f->verdict, PSL_NOT_TESTABLE);
    assert_non_null(strstr(f->why, "ptq not fitted: "));
    assert_non_null(strstr(f->why, "to test it: PTQ"));
    assert_true(isnan(f->value));
    free_res(res, 2);
    psl_data_free(&d);

    delta_runs(&d, 0.5068, 2e9, 9); /* every run at D = 2e9 */
    judge(&d, ptq_laws, 2, res, &fd);
    f = get(&fd, "ptq_data");
    show(f);
    assert_int_equal(f->verdict, PSL_NOT_TESTABLE);
    assert_non_null(strstr(f->why, "D takes 1 distinct value"));
    assert_non_null(strstr(f->why, "3 or more token budgets per size"));
    free_res(res, 2);
    psl_data_free(&d);

    /* no effect of D at all (gamma_D 0, deltas x exp(0.05 gauss)): the interval of gamma_D
     * straddles 0, so not testable, never "reproduced" (ptq still beats its baselines
     * through P_post) */
    delta_runs(&d, 0.0, 0, 13);
    judge(&d, ptq_laws, 2, res, &fd);
    f = get(&fd, "ptq_data");
    show(f);
    assert_int_equal(f->verdict, PSL_NOT_TESTABLE);
    assert_true(f->lo < 0 && f->hi > 0);
    free_res(res, 2);
    psl_data_free(&d);
}

/* (c) delta falling with D (gamma_D -0.4, determined, the law beating its baselines):
 * contradicted. */
static void test_ptq_falls_with_data_contradicted(void **state) {
    (void)state;
    psl_data d;
    delta_runs(&d, -0.4, 0, 11);
    psl_law_result res[2];
    psl_findings fd;
    judge(&d, ptq_laws, 2, res, &fd);
    const psl_finding *f = get(&fd, "ptq_data");
    show(f);
    assert_int_equal(f->verdict, PSL_CONTRADICTED);
    assert_true(f->hi < 0);
    assert_true(f->lo < -0.4 && f->hi > -0.4);
    assert_non_null(strstr(f->why, "below 0"));
    free_res(res, 2);
    psl_data_free(&d);
}

/* (d) N_eff per part and the ordering: runs varying P_w and P_a one at a time. With the
 * paper's gamma_w 2.6745 > gamma_a 2.2102 the ordering is reproduced; swapped, it is
 * contradicted; both parts' N_eff findings are reproduced either way, KV not testable. */
static void test_neff_order(void **state) {
    (void)state;
    static const char *const laws[] = {"neff_w", "neff_a", "neff_kv"};
    for (int swap = 0; swap < 2; swap++) {
        psl_data d;
        neff_runs(&d, swap ? 2.2102 : 2.6745, swap ? 2.6745 : 2.2102, 17);
        psl_law_result res[3];
        psl_findings fd;
        judge(&d, laws, 3, res, &fd);
        const psl_finding *w = get(&fd, "neff_w"), *a = get(&fd, "neff_a"),
                          *kv = get(&fd, "neff_kv"), *o = get(&fd, "neff_order");
        show(w);
        show(a);
        show(o);
        assert_int_equal(w->verdict, PSL_REPRODUCED);
        assert_int_equal(a->verdict, PSL_REPRODUCED);
        assert_int_equal(kv->verdict, PSL_NOT_TESTABLE);
        assert_non_null(strstr(kv->why, "neff_kv not fitted"));
        double truth = swap ? 2.2102 / 2.6745 : 2.6745 / 2.2102;
        assert_true(o->lo < truth && o->hi > truth);
        assert_int_equal(o->verdict, swap ? PSL_CONTRADICTED : PSL_REPRODUCED);
        assert_non_null(strstr(o->measured, "(neff_w, neff_a)"));
        free_res(res, 3);
        psl_data_free(&d);
    }
    /* without a bootstrap nothing is judged */
    psl_data d;
    neff_runs(&d, 2.6745, 2.2102, 17);
    psl_analysis_opts o;
    psl_analysis_opts_default(&o);
    o.bootstrap = 0;
    o.heldout = 0;
    psl_law_result res[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(psl_analyze_law(psl_law_find(laws[i]), &d, &o, &res[i]), 0);
    psl_findings fd;
    psl_findings_judge(res, 2, NULL, &fd);
    assert_int_equal(get(&fd, "neff_w")->verdict, PSL_NOT_TESTABLE);
    assert_int_equal(get(&fd, "neff_order")->verdict, PSL_NOT_TESTABLE);
    assert_non_null(strstr(get(&fd, "neff_w")->why, "no bootstrap"));
    free_res(res, 2);
    psl_data_free(&d);
}

/* The paper's constants table. */
static void test_paper_constants(void **state) {
    (void)state;
    assert_true(psl_paper_value("gamma_D") == 0.5068);
    assert_true(psl_paper_value("C_T") == 0.0598);
    assert_true(psl_paper_value("gamma_N") == 0.3439);
    assert_true(psl_paper_value("gamma_post") == 0.5907);
    assert_true(psl_paper_value("gamma_w") == 2.6745);
    assert_true(psl_paper_value("gamma_a") == 2.2102);
    assert_true(psl_paper_value("gamma_kv") == 0.9578);
    assert_true(psl_paper_value("n_kv") == 2.4185);
    assert_true(psl_paper_value("E") == 2.7648);
    assert_true(isnan(psl_paper_value("nonesuch")));
}

/* The report opens with the table: report.md, report.json and the terminal, through the
 * binary on a CSV of (a)'s set. */
static void test_report_opens_with_findings(void **state) {
    (void)state;
    char dir[] = "/tmp/psl_test_findings_XXXXXX";
    assert_non_null(mkdtemp(dir));
    psl_data d;
    delta_runs(&d, 0.5068, 0, 5);
    char path[256];
    snprintf(path, sizeof path, "%s/ptq.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "N,D,P_post,method,loss,base_loss,delta,run_id\n");
    for (size_t i = 0; i < d.n; i++) {
        const psl_point *p = &d.pt[i];
        fprintf(f, "%.17g,%.17g,%g,gptq,%.17g,3,%.17g,r%d\n", p->N, p->D, p->P_post, p->loss,
                p->delta, p->run);
    }
    fclose(f);
    psl_data_free(&d);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s --csv %s/ptq.csv --out %s/out --figures none --bootstrap 100 --laws ptq "
             ">%s/term.txt 2>&1",
             FITLAWS_BIN, dir, dir, dir);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    static char buf[1 << 20];
    const char *names[] = {"out/report.md", "out/report.json", "term.txt"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        if (i == 0) {
            char *fi = strstr(buf, "## Findings"), *su = strstr(buf, "## Summary");
            assert_non_null(fi);
            assert_non_null(su);
            assert_true(fi < su);
            assert_non_null(strstr(fi, "| finding | measured | 95% CI | paper | verdict | why |"));
            char *row = strstr(fi, "(`ptq_data`) | gamma_D = ");
            assert_non_null(row);
            assert_true(row < su);
            assert_non_null(strstr(row, "| gamma_D = 0.5068 (Kumar et al. 2024, Table 2) | "
                                        "**reproduced** |"));
            assert_non_null(strstr(fi, "(`neff_w`) | - | - |"));
        } else if (i == 1) {
            char *fi = strstr(buf, "\"findings\": [");
            assert_non_null(fi);
            assert_true(fi < strstr(buf, "\"laws\": ["));
            char *p = strstr(fi, "{\"id\": \"ptq_data\", \"finding\": \"delta_PTQ grows");
            assert_non_null(p);
            assert_non_null(strstr(p, "\"interval\": ["));
            char *v = strstr(p, "\"verdict\": \"");
            assert_non_null(v);
            assert_int_equal(strncmp(v, "\"verdict\": \"reproduced\", \"why\": ", 32), 0);
            char *q = strstr(fi, "{\"id\": \"quest_best4\"");
            assert_non_null(q);
            assert_non_null(strstr(q, "\"verdict\": \"not_testable\""));
        } else {
            char *fi = strstr(buf, "== findings of the papers");
            assert_non_null(fi);
            assert_non_null(strstr(fi, "ptq_data     reproduced"));
            assert_non_null(strstr(fi, "neff_w       NOT TESTABLE"));
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper_constants),
        cmocka_unit_test(test_ptq_grows_with_data_reproduced),
        cmocka_unit_test(test_ptq_not_testable),
        cmocka_unit_test(test_ptq_falls_with_data_contradicted),
        cmocka_unit_test(test_neff_order),
        cmocka_unit_test(test_report_opens_with_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
