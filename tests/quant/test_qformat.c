/* The format table as the one source: kind numbers pinned (they are never reused), every
 * kind has its row of functions, the unknown-format message lists every row of the table,
 * aliases parse to their row, and the bit-to-format choices of the Lua prelude's
 * constructors (generated from the table at build time) are the ones the prelude had; the
 * queries callers ask of a kind (qspec_quantizes ...) answer as the kind tests did. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "quant/qinternal.h"

static void test_kind_numbers(void **state) {
    (void)state;
    /* changing one of these renumbers a kind: add a new number instead */
    assert_int_equal(QK_NONE, 0);
    assert_int_equal(QK_INT, 1);
    assert_int_equal(QK_FP, 2);
    assert_int_equal(QK_MX, 3);
    assert_int_equal(QK_NVFP4, 4);
    assert_int_equal(QK_QUEST, 5);
    assert_int_equal(QK_COUNT, 6);
    for (int k = 0; k < QK_COUNT; k++) {
        const qkind_ops *o = qkind_ops_of((qkind)k);
        assert_non_null(o);
        assert_non_null(o->name);
        assert_non_null(o->label);
        /* the whole matrix, whole rows, or the granule functions */
        if (!o->matrix && !o->row) {
            assert_non_null(o->granules);
            assert_non_null(o->stats);
            assert_non_null(o->params);
            assert_non_null(o->segment);
        }
    }
    assert_null(qkind_ops_of((qkind)QK_COUNT));
    assert_null(qkind_ops_of((qkind)-1));
    size_t n;
    const qformat_traits *t = qformat_table(&n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(qkind_ops_of(t[i].kind));
        assert_true((t[i].bits == 0) == (t[i].parse != NULL)); /* families parse */
    }
}

static void test_unknown_format_lists_the_table(void **state) {
    (void)state;
    char err[1024], list[512];
    qspec q;
    assert_int_equal(qspec_parse("float8", &q, err, sizeof err), -1);
    qformat_accepted(list, sizeof list);
    assert_non_null(strstr(err, list));
    size_t n;
    const qformat_traits *t = qformat_table(&n);
    for (size_t i = 0; i < n; i++) {
        const char *word = t[i].syntax ? t[i].syntax : t[i].name;
        if (!strstr(list, word)) fail_msg("%s missing from \"%s\"", word, list);
    }
    assert_non_null(strstr(list, " or quest<B>"));
}

static void test_aliases(void **state) {
    (void)state;
    size_t n;
    const qformat_traits *t = qformat_table(&n);
    char err[256];
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].alias) continue;
        qspec a, b;
        assert_int_equal(qspec_parse(t[i].alias, &a, err, sizeof err), 0);
        assert_int_equal(qspec_parse(t[i].name, &b, err, sizeof err), 0);
        assert_string_equal(a.name, b.name);
        seen++;
    }
    assert_int_equal(seen, 3); /* none, mxfp8, mxfp4_e2m1 */
}

/* The tables sweeps/prelude.lua held by hand before they were generated. */
static void test_prelude_bits(void **state) {
    (void)state;
    static const struct {
        const char *cons;
        int bits;
        const char *name;
    } want[] = {
        {"fp", 3, "e2m0"},    {"fp", 4, "e2m1"},  {"fp", 5, "e3m1"},       {"fp", 6, "e3m2"},
        {"fp", 7, "e4m2"},    {"fp", 8, "e4m3"},  {"fp", 12, "e5m6"},      {"fp", 16, "bf16"},
        {"fp", 32, "fp32"},   {"mx", 4, "mxfp4"}, {"mx", 6, "mxfp6_e2m3"}, {"mx", 8, "mxfp8_e4m3"},
        {"nvfp", 4, "nvfp4"},
    };
    const char *cons[] = {"int", "fp", "mx", "nvfp", "quest", "uint", "none"};
    for (size_t c = 0; c < sizeof cons / sizeof cons[0]; c++) {
        for (int b = -1; b <= 70; b++) {
            char got[64] = "", expect[64] = "";
            int rc = qformat_for_bits(cons[c], b, got, sizeof got);
            if (!strcmp(cons[c], "int") && b >= 1 && b <= 16) snprintf(expect, 64, "int%d", b);
            if (!strcmp(cons[c], "quest") && b >= 1 && b <= 8) snprintf(expect, 64, "quest%d", b);
            for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
                if (!strcmp(want[w].cons, cons[c]) && want[w].bits == b)
                    snprintf(expect, 64, "%s", want[w].name);
            if (expect[0]) {
                if (rc || strcmp(got, expect))
                    fail_msg("%s{%d}: got \"%s\" (rc %d), want %s", cons[c], b, got, rc, expect);
                qspec q;
                char err[256];
                assert_int_equal(qspec_parse(got, &q, err, sizeof err), 0);
                assert_int_equal(q.bits, b);
            } else if (rc == 0) {
                fail_msg("%s{%d}: got \"%s\", want none", cons[c], b, got);
            }
        }
    }
}

/* The qspec_* queries give what the kind tests they replaced in qat.c, ptq_spec.c and
 * ptq_run.c gave, for every named format and family member, scaled or not. */
static void test_queries_match_kind_tests(void **state) {
    (void)state;
    static const char *const texts[] = {
        "fp32",       "none",         "bf16",  "fp16",   "e4m3",
        "e5m2",       "e2m1",         "e3m2",  "e2m3",   "e3m2:noscale",
        "e4m3:scale", "e2m1:noscale", "int4",  "int8",   "int2:g16",
        "uint3",      "uint4:row",    "int1",  "mxfp4",  "mxfp6_e2m3",
        "mxfp8",      "mxint8",       "nvfp4", "quest4", "quest1:clipmask",
        "e5m6"};
    char err[256];
    int n = 0;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        qspec q;
        if (qspec_parse(texts[i], &q, err, sizeof err)) fail_msg("%s: %s", texts[i], err);
        const qkind k = q.kind;
        assert_int_equal(qspec_quantizes(&q), k != QK_NONE);
        assert_int_equal(qspec_has_blocks(&q), k == QK_MX || k == QK_NVFP4);
        assert_int_equal(qspec_fixed_blocks(&q), k == QK_MX);
        assert_int_equal(qspec_own_granularity(&q), k == QK_QUEST || k == QK_MX);
        assert_int_equal(qspec_trust_mask(&q), k == QK_QUEST);
        assert_int_equal(qspec_takes_sr(&q), k == QK_INT || k == QK_FP);
        assert_int_equal(qspec_has_symmetry(&q), k == QK_INT);
        assert_int_equal(qspec_bits_in_name(&q), k == QK_INT || k == QK_QUEST);
        assert_int_equal(qspec_ptq_weight(&q),
                         !(k == QK_NONE || k == QK_QUEST || (k == QK_FP && !q.scaled)));
        n++;
    }
    assert_int_equal(n, 26);
    qspec bad = {.kind = (qkind)QK_COUNT};
    assert_int_equal(qspec_quantizes(&bad) + qspec_has_blocks(&bad) + qspec_ptq_weight(&bad), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_numbers),
        cmocka_unit_test(test_unknown_format_lists_the_table),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_prelude_bits),
        cmocka_unit_test(test_queries_match_kind_tests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
