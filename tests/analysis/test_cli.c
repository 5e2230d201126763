/* fitlaws end to end: a synthetic run set written as HDF5 run files (the schema helper)
 * is fitted by the real binary; the report, tables and every figure (PNG, SVG, data and
 * script) must appear. Also the CLI's error paths. */
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

#include "boot.h"
#include "h5write.h"
#include "synth.h"

#ifndef FITLAWS_BIN
#error FITLAWS_BIN must name the fitlaws binary
#endif

static char dir[64];

static double fac(double P, double g, double n) {
    return 1 - exp(-P / g + n);
}

/* Paper-like truth: N_eff with offsets and the unified PTQ term (C_x = 1). */
static double truth_loss(double N, double D, double pw, double pa, double pkv) {
    double ne = N * fac(pw, 2.6745, 0.3037) * fac(pa, 2.2102, 1.4072) * fac(pkv, 0.9578, 2.4185);
    return 4299 * pow(ne, -0.4965) + 18060 * pow(D, -0.4965) + 2.7648;
}

static double truth_delta(double N, double D, double pw, double pp) {
    double ne = N * fac(pw, 2.6745, 0.3037);
    return 0.0598 * exp(-pp / 0.5907) * pow(D, 0.5068) / pow(ne, 0.3439) *
           (pw > pp ? 1 - exp(-(pw - pp)) : 0);
}

/* fixed_d: a grid of token budgets shared by every size (else D = N * tokens/param).
 * with_ptq: 0 none, 1 from the law, 2 deltas without signal (one lognormal level). */
static void write_runs(int with_ptq, int fixed_d) {
    strcpy(dir, "/tmp/psl_test_cli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char runs[128];
    snprintf(runs, sizeof runs, "%s/runs", dir);
    mkdir(runs, 0777);
    const double Ns[] = {2e7, 5e7, 1.2e8}, tpp[] = {10, 20, 40};
    const double cfg[][3] = {{16, 16, 16}, {3, 16, 16}, {4, 16, 16}, {6, 16, 16}, {8, 16, 16},
                             {16, 4, 16},  {16, 6, 16}, {16, 8, 16}, {16, 16, 3}, {16, 16, 4},
                             {16, 16, 6},  {16, 16, 8}, {6, 6, 6},   {8, 8, 8}};
    uint64_t st = 3;
    int k = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (size_t c = 0; c < sizeof cfg / sizeof *cfg; c++) {
                char id[17], path[256];
                snprintf(id, sizeof id, "%016x", k);
                snprintf(path, sizeof path, "%s/%s/run%03d.h5", runs, c % 2 ? "a" : "b", k++);
                char sub[160];
                snprintf(sub, sizeof sub, "%s/%s", runs, c % 2 ? "a" : "b");
                mkdir(sub, 0777);
                const double D = (fixed_d ? Ns[1] : Ns[a]) * tpp[b];
                h5run r = h5run_default(id, (long long)Ns[a], (long long)D, cfg[c][0]);
                r.P_a = cfg[c][1];
                r.P_kv = cfg[c][2];
                double l = truth_loss(Ns[a], D, r.P_w, r.P_a, r.P_kv);
                r.val_loss = l * exp(0.002 * synth_gauss(&st));
                if (with_ptq && r.P_a >= 16 && r.P_kv >= 16) {
                    const double pp[] = {3, 4, 6};
                    for (int e = 0; e < 3; e++) {
                        if (pp[e] >= r.P_w) continue;
                        double dl = with_ptq == 2 ? 1e-3 * exp(0.5 * synth_gauss(&st))
                                                  : truth_delta(Ns[a], D, r.P_w, pp[e]);
                        r.ptq_bits[r.nptq] = pp[e];
                        r.ptq_loss[r.nptq] = r.val_loss + dl * exp(0.02 * synth_gauss(&st));
                        r.nptq++;
                    }
                }
                assert_int_equal(h5run_write(path, &r), 0);
            }
}

static int file_ok(const char *name) {
    char p[256];
    struct stat s;
    snprintf(p, sizeof p, "%s/out/%s", dir, name);
    return !stat(p, &s) && s.st_size > 0;
}

static char *slurp(const char *name) {
    char p[256];
    snprintf(p, sizeof p, "%s/out/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int run(const char *args) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s >%s/stdout.txt 2>%s/stderr.txt", FITLAWS_BIN, args, dir, dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void cleanup(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_report_and_figures(void **state) {
    (void)state;
    write_runs(1, 0);
    char args[512];
    snprintf(args, sizeof args,
             "--out %s/out --bootstrap 10 --kfold 3 --laws "
             "chinchilla_tied,ptq,neff_w_off,neff_joint_off,unified_w %s/runs",
             dir, dir);
    assert_int_equal(run(args), 0);
    const char *figs[] = {"fig1_ptq",  "fig3_neff",    "fig3_isoloss", "fig4_loss_vs_pw",
                          "fig5_pred", "fig6_compute", "fig7_heatmap"};
    const char *ext[] = {"png", "svg", "dat", "gp"};
    for (int i = 0; i < 7; i++)
        for (int e = 0; e < 4; e++) {
            char nm[64];
            snprintf(nm, sizeof nm, "%s.%s", figs[i], ext[e]);
            if (!file_ok(nm)) fail_msg("missing %s", nm);
        }
    assert_true(file_ok("report.md"));
    assert_true(file_ok("pred_neff_joint_off.tsv"));
    char *j = slurp("report.json");
    assert_non_null(j);
    assert_non_null(strstr(j, "\"name\": \"neff_joint_off\""));
    assert_non_null(strstr(j, "\"status\": \"fitted\""));
    assert_non_null(strstr(j, "\"pstar_tied\": "));
    assert_non_null(strstr(j, "\"determined\": true"));
    assert_non_null(strstr(j, "\"verdict\": \"determined\""));
    char *md = slurp("report.md"); /* slurp's buffer is reused: j is gone */
    assert_non_null(strstr(md, "| neff_joint_off | loss | fitted |"));
    /* the unified law is fitted and scored on delta_PTQ, and every law gets a verdict */
    assert_non_null(strstr(md, "| unified_w | delta_PTQ | fitted |"));
    cleanup();
}

static void test_missing_figures_explained(void **state) {
    (void)state;
    write_runs(0, 0); /* no PTQ rows */
    char args[512];
    snprintf(args, sizeof args, "--out %s/out --bootstrap 0 --no-heldout --laws ptq,neff_w %s/runs",
             dir, dir);
    assert_int_equal(run(args), 0);
    assert_false(file_ok("fig1_ptq.png"));
    char *md = slurp("report.md");
    assert_non_null(strstr(md, "fig1_ptq (Fig. 1 left / Fig. 2): needs post-training-quantized"));
    assert_non_null(strstr(md, "fig7_heatmap"));
    assert_non_null(strstr(md, "Not fitted: no runs this law applies to"));
    cleanup();
}

static void test_cli_errors(void **state) {
    (void)state;
    strcpy(dir, "/tmp/psl_test_cli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(run("--help"), 0);
    assert_int_equal(run("--laws nosuchlaw /tmp"), 2);
    assert_int_equal(run("--bootstrap -3 /tmp"), 2);
    assert_int_equal(run(""), 2);
    char args[256];
    snprintf(args, sizeof args, "%s/empty", dir);
    mkdir(args, 0777);
    assert_int_equal(run(args), 1); /* no usable runs */
    cleanup();
}

static char *read_out(const char *name) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    static char buf[2][1 << 16];
    static int k;
    char *b = buf[k++ & 1];
    size_t n = fread(b, 1, sizeof buf[0] - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

/* The law's section of the terminal output (from "== name" to the next "== "). */
static char *section(char *out, const char *name) {
    char head[64];
    snprintf(head, sizeof head, "== %s:", name);
    char *a = strstr(out, head);
    if (!a) return NULL;
    char *e = strstr(a + 3, "\n== ");
    if (e) *e = 0;
    return a;
}

/* A Chinchilla loss with A 400, alpha 0.34, B 410, beta 0.28, E 1.69, times uniform noise
 * of +-0.2% from st: the synthetic tables of the CSV tests below. */
static double noisy_chinchilla(double N, double D, uint64_t *st) {
    double u = (double)(psl_rng_next(st) >> 11) / 9007199254740992.0;
    return (400 * pow(N, -0.34) + 410 * pow(D, -0.28) + 1.69) * exp(0.004 * (u - 0.5));
}

/* --csv with --map and --jsonl: the same runs in a table with another tool's column names
 * and as JSON Lines, given as options or as positional inputs, fit exactly as the CSV with
 * fitlaws' names; errors of the options. */
static void test_map_and_jsonl(void **state) {
    (void)state;
    strcpy(dir, "/tmp/psl_test_cli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p1[128], p2[128], p3[128];
    snprintf(p1, sizeof p1, "%s/a.csv", dir);
    snprintf(p2, sizeof p2, "%s/b.csv", dir);
    snprintf(p3, sizeof p3, "%s/c.jsonl", dir);
    FILE *a = fopen(p1, "w"), *b = fopen(p2, "w"), *c = fopen(p3, "w");
    assert_true(a && b && c);
    fprintf(a, "N,D,loss\n");
    fprintf(b, "model_params,train_tokens,final_val_loss\n");
    uint64_t st = 5;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double N = 2e7 * pow(2, i), D = N * 10 * pow(2, j);
            double L = noisy_chinchilla(N, D, &st);
            fprintf(a, "%.17g,%.17g,%.17g\n", N, D, L);
            fprintf(b, "%.17g,%.17g,%.17g\n", N, D, L);
            fprintf(
                c,
                "{\"model_params\": %.17g, \"train_tokens\": %.17g, \"final_val_loss\": %.17g}\n",
                N, D, L);
        }
    fclose(a);
    fclose(b);
    fclose(c);
    const char *map = "--map N=model_params,D=train_tokens,loss=final_val_loss";
    const char *opts = "--laws chinchilla_tied --bootstrap 20 --no-heldout --figures none";
    char args[600];
    snprintf(args, sizeof args, "%s --csv %s", opts, p1);
    assert_int_equal(run(args), 0);
    char ref[1 << 15];
    snprintf(ref, sizeof ref, "%s", read_out("stdout.txt"));
    char *want = section(ref, "chinchilla_tied");
    assert_non_null(want);
    /* as options, and as positional inputs (the map applies to those too) */
    const char *files[] = {"--csv", p2, "--jsonl", p3, "", p2, "", p3};
    for (int k = 0; k < 4; k++) {
        snprintf(args, sizeof args, "%s %s %s %s", opts, map, files[2 * k], files[2 * k + 1]);
        assert_int_equal(run(args), 0);
        char *got = section(read_out("stdout.txt"), "chinchilla_tied");
        assert_non_null(got);
        if (strcmp(got, want)) fail_msg("%s:\n%s\nwanted:\n%s", files[2 * k], got, want);
    }
    /* option errors: exit 2 with the reason */
    snprintf(args, sizeof args, "--map N=model_params,Q=x --csv %s", p2);
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(read_out("stderr.txt"), "'Q' is not a column of fitlaws"));
    snprintf(args, sizeof args, "%s %s", map, dir);
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(read_out("stderr.txt"), "--map applies to CSV and JSON Lines inputs"));
    /* a file the map does not fit, and a missing one: named, nothing usable */
    snprintf(args, sizeof args, "%s %s --csv %s --jsonl %s/none.jsonl", opts, map, p1, dir);
    assert_int_equal(run(args), 1);
    char *err = read_out("stderr.txt");
    if (!strstr(err, "a.csv:1: --map N=model_params: the header has no column 'model_params'") ||
        !strstr(err, "none.jsonl: cannot open"))
        fail_msg("stderr: %s", err);
    cleanup();
}

/* Leave-largest-N-out holding out one point: its R^2 is 0/0 and was printed "nan" in the
 * report's law table and text (seen on results/reference/paper/pstar, whose largest
 * unquantized size is one run); it reads n/a with the reason, and the RMSE is kept. */
static void test_heldout_one_point(void **state) {
    (void)state;
    strcpy(dir, "/tmp/psl_test_cli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[128], args[512];
    snprintf(p, sizeof p, "%s/one.csv", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "N,D,loss\n");
    uint64_t st = 9;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < (i == 3 ? 1 : 4); j++) {
            double N = 2e7 * pow(2, i), D = N * 10 * pow(2, j);
            double L = noisy_chinchilla(N, D, &st);
            fprintf(f, "%.17g,%.17g,%.17g\n", N, D, L);
        }
    fclose(f);
    snprintf(args, sizeof args,
             "--laws chinchilla_tied --bootstrap 10 --figures none --out %s/out %s", dir, p);
    assert_int_equal(run(args), 0);
    char *md = read_out("out/report.md");
    assert_non_null(md);
    if (strstr(md, " nan") || !strstr(md, "R^2 n/a (the 1 held-out target(s) have no spread"))
        fail_msg("report.md:\n%s", md);
    cleanup();
}

/* --ptq-method naming a method no run has (a typo) is an error naming the methods
 * present, not a fit without PTQ points; the right name fits; --version answers. */
static void test_ptq_method_and_version(void **state) {
    (void)state;
    write_runs(1, 0);
    char args[512];
    snprintf(args, sizeof args, "--ptq-method gtpq --bootstrap 0 --no-heldout --laws ptq %s/runs",
             dir);
    assert_int_equal(run(args), 2);
    char path[128];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char err[1024] = "";
    size_t n = fread(err, 1, sizeof err - 1, f);
    err[n] = 0;
    fclose(f);
    if (!strstr(err, "--ptq-method gtpq") || !strstr(err, "methods present: gptq"))
        fail_msg("message: %s", err);
    snprintf(args, sizeof args, "--ptq-method gptq --bootstrap 0 --no-heldout --laws ptq %s/runs",
             dir);
    assert_int_equal(run(args), 0);
    assert_int_equal(run("--version"), 0);
    cleanup();
}

/* A sweep over a grid of token budgets shared by every size (the paper's layout, and the
 * demo's): Fig. 4 gets one panel per D and Fig. 3's contours are drawn at one D. */
static void test_fixed_d_figures(void **state) {
    (void)state;
    write_runs(0, 1);
    char args[512];
    snprintf(args, sizeof args, "--out %s/out --bootstrap 0 --no-heldout --laws neff_w_off %s/runs",
             dir, dir);
    assert_int_equal(run(args), 0);
    assert_true(file_ok("fig4_loss_vs_pw.png"));
    assert_true(file_ok("fig3_isoloss.png"));
    char *gp = slurp("fig4_loss_vs_pw.gp");
    assert_non_null(gp);
    assert_non_null(strstr(gp, "set title 'D = "));
    /* --bootstrap 0: the figure says the constants' uncertainty was not estimated */
    assert_non_null(strstr(gp, "uncertainty not estimated (no bootstrap)"));
    char *dat = slurp("fig3_isoloss.dat");
    assert_non_null(dat);
    assert_non_null(strstr(dat, "at D = "));
    cleanup();
}

/* A law whose constants the runs do not determine says so on its figure and in the
 * report; derived quantities carry intervals and say where they lie against the runs. */
static void test_undetermined_on_figure(void **state) {
    (void)state;
    write_runs(2, 0);
    char args[512];
    snprintf(args, sizeof args,
             "--out %s/out --bootstrap 30 --no-heldout --laws chinchilla_tied,ptq %s/runs", dir,
             dir);
    assert_int_equal(run(args), 0);
    char *gp = slurp("fig1_ptq.gp");
    assert_non_null(gp);
    assert_non_null(strstr(gp, "ptq: constants NOT DETERMINED by these runs"));
    char *md = slurp("report.md");
    assert_non_null(strstr(md, "| ptq | delta_PTQ | fitted |"));
    assert_non_null(strstr(md, "**not determined** |"));
    assert_non_null(strstr(md, "- D_crit (from ptq and chinchilla_tied (from a law that is NOT "
                               "DETERMINED: not a finding)):"));
    assert_non_null(strstr(md, "N_opt = "));
    char *j = slurp("report.json");
    assert_non_null(strstr(j, "\"d_crit\": [{\"N\": "));
    assert_non_null(strstr(j, "\"replicates\": "));
    assert_non_null(strstr(j, "\"extrapolation\": \""));
    cleanup();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_map_and_jsonl),
        cmocka_unit_test(test_heldout_one_point),
        cmocka_unit_test(test_ptq_method_and_version),
        cmocka_unit_test(test_missing_figures_explained),
        cmocka_unit_test(test_report_and_figures),
        cmocka_unit_test(test_fixed_d_figures),
        cmocka_unit_test(test_undetermined_on_figure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
