/* The training-curve figure (issue 15): fig_curves from the /eval and /train tables of the
 * committed demo runs (results/reference/demo, 18 runs: 3 sizes x 3 D x {fp32, INT3
 * weights}), drawn by the real binary with gnuplot; listed with a caption in report.md and
 * in report.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FITLAWS_BIN
#error FITLAWS_BIN must name the fitlaws binary
#endif
#ifndef PSL_SOURCE_DIR
#error PSL_SOURCE_DIR must name the source tree
#endif

static char dir[64];

static char *slurp(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/out/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = 0;
    fclose(f);
    return b;
}

static int count(const char *s, const char *what) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

static int setup(void **state) {
    (void)state;
    strcpy(dir, "/tmp/psl_test_curves_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/results/reference/demo' --bootstrap 0 --no-heldout --laws "
             "chinchilla_tied --out '%s/out' > '%s/log' 2>&1",
             FITLAWS_BIN, PSL_SOURCE_DIR, dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_written(void **state) {
    (void)state;
    const char *ext[] = {"png", "svg", "dat", "gp"};
    for (int e = 0; e < 4; e++) {
        char p[256];
        struct stat st;
        snprintf(p, sizeof p, "%s/out/fig_curves.%s", dir, ext[e]);
        assert_int_equal(stat(p, &st), 0);
        assert_true(st.st_size > 100);
    }
}

/* One eval and one train series per run, the data from the run files, two precisions. */
static void test_series(void **state) {
    (void)state;
    char *dat = slurp("fig_curves.dat");
    assert_non_null(dat);
    assert_int_equal(count(dat, "# eval: "), 18);
    assert_int_equal(count(dat, "# train: "), 18);
    /* d32-l2-h2_D524k_fp32_s0: its /eval table's first row after step 0 */
    const char *b = strstr(dat, "d32-l2-h2_D524k_fp32_s0.h5 (N = 26784, D = 524288, fp32)");
    assert_non_null(b);
    assert_non_null(strstr(b, "\n51200 7.7142052\n"));
    free(dat);
    char *gp = slurp("fig_curves.gp");
    assert_non_null(gp);
    /* each of the 36 blocks plotted once per terminal (PNG, SVG) */
    assert_int_equal(count(gp, "'fig_curves.dat' index "), 2 * 36);
    char idx[64];
    for (int i = 0; i < 36; i++) {
        snprintf(idx, sizeof idx, "'fig_curves.dat' index %d using", i);
        assert_int_equal(count(gp, idx), 2);
    }
    /* the key: one entry per training precision */
    assert_int_equal(count(gp, "title 'fp32'"), 2);
    assert_int_equal(count(gp, "title 'int W3'"), 2);
    assert_int_equal(count(gp, "set title 'N = "), 2 * 6); /* 3 sizes, 2 rows */
    assert_non_null(strstr(gp, "set logscale x"));
    free(gp);
}

static void test_listed(void **state) {
    (void)state;
    char *md = slurp("report.md");
    assert_non_null(md);
    assert_non_null(strstr(md, "![fig_curves](fig_curves.png)"));
    assert_non_null(strstr(md, "**fig_curves.** Training curves from the run files'"));
    free(md);
    char *j = slurp("report.json");
    assert_non_null(j);
    const char *f = strstr(j, "\"figures\": [");
    assert_non_null(f);
    assert_non_null(strstr(f, "\"fig_curves\""));
    assert_non_null(strstr(j, "\"figure_captions\": {"));
    assert_non_null(strstr(j, "\"fig_curves\": \"Training curves"));
    free(j);
}

/* Figure quality (issue 15): every figure drawn has a caption in report.md, labelled axes,
 * the colour-blind-safe default colours; the heat map a sequential (viridis) palette, not
 * a rainbow, and one column per trained P_w instead of a continuous axis. */
static void test_quality(void **state) {
    (void)state;
    const char *figs[] = {"fig1_ptq", "fig7_heatmap", "fig_curves"};
    char *md = slurp("report.md");
    assert_non_null(md);
    for (int i = 0; i < 3; i++) {
        char want[128];
        snprintf(want, sizeof want, "**%s.** ", figs[i]);
        const char *c = strstr(md, want);
        if (!c) fail_msg("no caption for %s", figs[i]);
        c += strlen(want);
        assert_true(strlen(c) > 80 && c[0] != '(');
        snprintf(want, sizeof want, "%s.gp", figs[i]);
        char *gp = slurp(want);
        assert_non_null(gp);
        assert_non_null(strstr(gp, "set xlabel '"));
        assert_non_null(strstr(gp, "set ylabel '"));
        assert_non_null(strstr(gp, "set linetype 1 lc rgb '#0072B2'"));
        assert_null(strstr(gp, "rgbformulae"));
        free(gp);
    }
    free(md);
    char *gp = slurp("fig7_heatmap.gp");
    assert_non_null(strstr(gp, "set palette defined (0 '#440154'"));
    assert_non_null(strstr(gp, "set xtics (\"3\" 0, \"32 (unquantized)\" 1)"));
    assert_non_null(strstr(gp, "set ytics (\"3\" 0, \"4\" 1, \"6\" 2, \"8\" 3)"));
    assert_non_null(strstr(gp, "set logscale cb"));
    free(gp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written),
        cmocka_unit_test(test_series),
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_quality),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
