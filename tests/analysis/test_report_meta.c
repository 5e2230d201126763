/* report.json's provenance (issue 15 item 4): the tool, its version and git commit, the
 * time of the report (SOURCE_DATE_EPOCH when set), the runs read (path and run id, once
 * each), and a "params" key on every law, fitted or not; the table of delta_PTQ per PTQ
 * method (RTN beside GPTQ). Runs the real binary on the
 * committed demo runs (results/reference/demo). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FITLAWS_BIN
#error FITLAWS_BIN must name the fitlaws binary
#endif
#ifndef PSL_SOURCE_DIR
#error PSL_SOURCE_DIR must name the source tree
#endif

static char dir[64];
static char *json;

static char *slurp(const char *path) {
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

static int setup(void **state) {
    (void)state;
    strcpy(dir, "/tmp/psl_test_meta_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "SOURCE_DATE_EPOCH=86400 '%s' '%s/results/reference/demo' --bootstrap 0 "
             "--figures none --out '%s/out' > '%s/log' 2>&1",
             FITLAWS_BIN, PSL_SOURCE_DIR, dir, dir);
    if (system(cmd) != 0) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/out/report.json", dir);
    json = slurp(path);
    return json ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    free(json);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The value after "key": in s, or NULL. */
static const char *value(const char *s, const char *key) {
    char k[64];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *p = strstr(s, k);
    return p ? p + strlen(k) : NULL;
}

static void test_tool_version_commit_time(void **state) {
    (void)state;
    const char *v = value(json, "tool");
    assert_non_null(v);
    assert_memory_equal(v, "\"fitlaws\"", 9);
    v = value(json, "version");
    assert_non_null(v);
    assert_true(v[0] == '"' && v[1] != '"');
    v = value(json, "git_commit");
    assert_non_null(v);
    assert_true(v[0] == '"' && v[1] != '"'); /* 12 hex digits [-dirty], or "unknown" */
    v = value(json, "generated");
    assert_non_null(v);
    assert_memory_equal(v, "\"1970-01-02T00:00:00Z\"", 22); /* SOURCE_DATE_EPOCH=86400 */
}

static void test_run_list(void **state) {
    (void)state;
    const char *v = value(json, "run_list");
    assert_non_null(v);
    assert_int_equal(v[0], '[');
    const char *end = strstr(v, "]");
    assert_non_null(end);
    int n = 0;
    for (const char *p = v; (p = strstr(p, "{\"path\": \"")) && p < end; p++) {
        const char *id = strstr(p, ", \"run_id\": \"");
        assert_non_null(id);
        assert_true(id < end);
        /* the demo's ids are 16 hex digits */
        const char *q = id + strlen(", \"run_id\": \"");
        assert_int_equal(strspn(q, "0123456789abcdef"), 16);
        assert_non_null(strstr(p, ".h5\""));
        n++;
    }
    assert_int_equal(n, 18); /* the demo's 18 runs, once each */
    const char *runs = value(json, "runs");
    assert_non_null(runs);
    assert_int_equal(atoi(runs), 18);
}

static void test_every_law_has_params(void **state) {
    (void)state;
    const char *laws = value(json, "laws");
    assert_non_null(laws);
    const char *end = strstr(laws, "\n  ]");
    assert_non_null(end);
    int n = 0, refused = 0;
    for (const char *p = strstr(laws, "\n    {"); p && p < end; n++) {
        const char *next = strstr(p + 1, "\n    {");
        if (!next || next > end) next = end;
        size_t len = (size_t)(next - p);
        char *law = strndup(p, len);
        const char *pa = strstr(law, "\"params\": [");
        if (!pa) fail_msg("law without params: %.80s", law);
        if (strstr(law, "\"status\": \"refused\"")) {
            refused++;
            assert_non_null(strstr(law, "\"params\": []"));
        } else {
            assert_non_null(strstr(pa, "{\"name\": \"")); /* fitted: named values */
        }
        free(law);
        p = next < end ? next : NULL;
    }
    assert_true(n >= 20); /* the demo's catalogue: every law (26 with quartet) */
    assert_true(refused > 0);
}

/* RTN beside GPTQ (issue 15 item 3): the demo's PTQ methods in report.md and report.json. */
static void test_ptq_by_method(void **state) {
    (void)state;
    const char *v = value(json, "ptq_by_method");
    assert_non_null(v);
    assert_non_null(
        strstr(v, "{\"method\": \"rtn\", \"bits\": 3, \"runs\": 9, \"delta_median\": "));
    assert_non_null(strstr(v, "{\"method\": \"gptq\", \"bits\": 8, \"runs\": 9, "));
    char path[128];
    snprintf(path, sizeof path, "%s/out/report.md", dir);
    char *md = slurp(path);
    assert_non_null(md);
    assert_non_null(strstr(md, "## Post-training quantization by method"));
    assert_non_null(strstr(md, "| P_post | gptq | rtn |"));
    assert_non_null(strstr(md, "\n| 3 | "));
    free(md);
}

int main(void) {
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_tool_version_commit_time),
        cmocka_unit_test(test_run_list),
        cmocka_unit_test(test_every_law_has_params),
        cmocka_unit_test(test_ptq_by_method),
    };
    return cmocka_run_group_tests(t, setup, teardown);
}
