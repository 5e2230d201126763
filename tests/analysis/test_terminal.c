/* The fitlaws binary on small CSVs: a quantized format named at >= 16 bits gets a note
 * (terminal, report.md, report.json), and the terminal prints each law's objective as
 * report.md and report.json do. */
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

#ifndef FITLAWS_BIN
#error FITLAWS_BIN must name the fitlaws binary
#endif

static char dir[64];

static char *slurp(const char *name) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    static char buf[3][1 << 18];
    static int which;
    char *b = buf[which = (which + 1) % 3];
    size_t n = fread(b, 1, sizeof buf[0] - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

/* tied Chinchilla on a 3 N x 3 D grid of unquantized runs; rows 1 and 5 name formats int
 * and e2m1 at 16 and 32 bits when odd is set */
static void run(int odd) {
    char p[128];
    snprintf(p, sizeof p, "%s/runs.csv", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "N,D,P_w,format,loss\n");
    int k = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++, k++) {
            double N = 1e7 * pow(3, i), D = 2e8 * pow(3, j);
            double L = 400 * pow(N, -0.36) + 1500 * pow(D, -0.36) + 1.8 + 1e-3 * ((k * 7) % 5);
            const char *fmt = odd && k == 1 ? "int" : odd && k == 5 ? "e2m1" : "bf16";
            fprintf(f, "%g,%g,%d,%s,%.9g\n", N, D, k == 5 ? 32 : 16, fmt, L);
        }
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s --csv %s/runs.csv --out %s/out --figures none --bootstrap 0 --no-heldout "
             "--laws chinchilla_tied,chinchilla >%s/term.txt 2>&1",
             FITLAWS_BIN, dir, dir, dir);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

static void test_format_bits_note(void **state) {
    (void)state;
    run(1);
    const char *want = "2 points name a quantized weight format with P_w >= 16 bits: 'int' at 16 "
                       "bits (";
    char *t = slurp("term.txt");
    assert_non_null(t);
    if (!strstr(t, want) || !strstr(t, "runs.csv:3); 'e2m1' at 32 bits (") ||
        !strstr(t, "treated as unquantized"))
        fail_msg("terminal: %s", t);
    assert_non_null(strstr(slurp("out/report.md"), want));
    assert_non_null(strstr(slurp("out/report.json"), want));
    run(0);
    assert_null(strstr(slurp("term.txt"), "quantized weight format"));
}

/* the objective of each law on the terminal is report.md's, to its 6 digits */
static void test_terminal_objective(void **state) {
    (void)state;
    run(0);
    char *t = slurp("term.txt"), *md = slurp("out/report.md");
    int seen = 0;
    for (const char *law = "chinchilla_tied\0chinchilla\0"; *law; law += strlen(law) + 1) {
        char head[64];
        snprintf(head, sizeof head, "== %s: ", law);
        char *s = strstr(t, head);
        assert_non_null(s);
        char *o = strstr(s, "; objective ");
        assert_non_null(o);
        double v = strtod(o + 12, NULL);
        snprintf(head, sizeof head, "## %s: ", law);
        char *m = strstr(md, head);
        assert_non_null(m);
        char *mo = strstr(m, "; objective ");
        if (mo && mo < strstr(m, "**Verdict")) {
            assert_true(v == strtod(mo + 12, NULL));
            seen++;
        }
        assert_true(v > 0 && isfinite(v));
    }
    assert_true(seen >= 1);
}

static int setup(void **state) {
    (void)state;
    strcpy(dir, "/tmp/psl_test_terminal_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_bits_note),
        cmocka_unit_test(test_terminal_objective),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
