/* qspec: the naming grammar, canonical names, error messages; and properties of
 * qspec_fake_quant shared by every format: in place, thread-count independence, the
 * optional mask and stats, fp32 pass-through. */
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

#include "quant/quant.h"

static const char *ALL[] = {
    "fp32",
    "bf16",
    "fp16",
    "int8",
    "int4",
    "int1",
    "int16",
    "uint4",
    "uint8:row",
    "int4:g64",
    "e4m3",
    "e5m2",
    "e2m1",
    "fp6_e3m2",
    "fp6_e2m3",
    "fp8_e4m3",
    "e2m0",
    "e3m0",
    "e4m1",
    "e4m2",
    "e5m6",
    "e3m2:noscale",
    "e4m3:row",
    "mxfp4",
    "mxfp6_e3m2",
    "mxfp6_e2m3",
    "mxfp8_e4m3",
    "mxfp8_e5m2",
    "mxint8",
    "nvfp4",
    "nvfp4:row",
    "quest4",
    "quest1",
    "quest1:clipmask",
    "quest3:rotated",
    "quest4:trust=0.25",
    "quest4:alpha=paper",
    "quest8:tensor",
    "quest2:g64",
};

static void test_parse_and_names(void **state) {
    (void)state;
    char err[256];
    qspec q, r;
    for (size_t i = 0; i < sizeof ALL / sizeof ALL[0]; i++) {
        if (qspec_parse(ALL[i], &q, err, sizeof err)) fail_msg("%s: %s", ALL[i], err);
        /* the canonical name parses back to the same spec */
        if (qspec_parse(q.name, &r, err, sizeof err)) fail_msg("%s -> %s: %s", ALL[i], q.name, err);
        assert_string_equal(q.name, r.name);
        assert_int_equal(q.kind, r.kind);
        assert_int_equal(q.bits, r.bits);
        assert_int_equal(qspec_check(&q, 4, 64, err, sizeof err), 0);
    }
    qspec_parse("int8", &q, err, sizeof err);
    assert_string_equal(q.name, "int8:tensor");
    assert_true(q.kind == QK_INT && q.bits == 8 && q.symmetric && q.granularity == QG_TENSOR);
    qspec_parse("UINT4:G128", &q, err, sizeof err);
    assert_string_equal(q.name, "uint4:g128");
    assert_true(!q.symmetric && q.granularity == QG_GROUP && q.group == 128);
    qspec_parse("fp6_e3m2", &q, err, sizeof err);
    assert_string_equal(q.name, "e3m2:tensor");
    assert_true(q.kind == QK_FP && q.e == 3 && q.m == 2 && q.scaled && q.special == QFP_FINITE);
    qspec_parse("e4m3", &q, err, sizeof err);
    assert_true(q.special == QFP_FN);
    qspec_parse("bf16", &q, err, sizeof err);
    assert_true(q.e == 8 && q.m == 7 && !q.scaled);
    assert_string_equal(q.name, "bf16");
    qspec_parse("e3m2:ieee", &q, err, sizeof err);
    assert_string_equal(q.name, "e3m2:ieee:tensor");
    qspec_parse("mxfp8", &q, err, sizeof err);
    assert_string_equal(q.name, "mxfp8_e4m3");
    assert_int_equal(q.block, 32);
    qspec_parse("nvfp4", &q, err, sizeof err);
    assert_int_equal(q.block, 16);
    qspec_parse("quest4", &q, err, sizeof err);
    assert_string_equal(q.name, "quest4:row");
    assert_true(q.granularity == QG_ROW && q.basis == QB_ORIGINAL && q.alpha == quest_alpha(4));
    qspec_parse("quest1:clipmask", &q, err, sizeof err);
    assert_true(q.mask == QM_CLIP && q.clip_factor == 1.30);
    qspec_parse("quest4:alpha=paper", &q, err, sizeof err);
    assert_true(q.alpha == 2.513931);
    /* granularity set separately */
    qspec_parse("int4", &q, err, sizeof err);
    assert_int_equal(qspec_set_granularity(&q, "g32", err, sizeof err), 0);
    assert_true(q.granularity == QG_GROUP && q.group == 32);
    assert_int_equal(qspec_set_granularity(&q, "channel", err, sizeof err), 0);
    assert_true(q.granularity == QG_ROW);
    assert_int_equal(qspec_set_granularity(&q, "block", err, sizeof err), -1);
    assert_non_null(strstr(err, "tensor, row or g<N>"));
}

/* The one granularity grammar (qgran_parse), every spelling and the refusals. */
static void test_granularity_grammar(void **state) {
    (void)state;
    struct {
        const char *text;
        size_t def;
        qgran g;
        size_t group;
    } good[] = {
        {"tensor", 0, QG_TENSOR, 0},
        {"row", 0, QG_ROW, 0},
        {"channel", 0, QG_ROW, 0},
        {"token", 0, QG_ROW, 0},
        {"g1", 0, QG_GROUP, 1},
        {"g128", 0, QG_GROUP, 128},
        {"group:64", 0, QG_GROUP, 64},
        {"group", 32, QG_GROUP, 32},
        {"g1048576", 0, QG_GROUP, 1 << 20},
        {"group:7", 32, QG_GROUP, 7},
    };
    char err[256];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        qgran g = QG_TENSOR;
        size_t n = 99;
        if (qgran_parse(good[i].text, good[i].def, &g, &n, err, sizeof err))
            fail_msg("\"%s\" refused: %s", good[i].text, err);
        if (g != good[i].g || n != good[i].group)
            fail_msg("\"%s\": granularity %d group %zu", good[i].text, (int)g, n);
    }
    const char *bad[] = {"",         "g",       "g0",      "g-1",     "gx",
                         "group:",   "group:0", "group",   "group:x", "groups",
                         "g1048577", "Row",     "tensor ", "g12a",    "group:64:1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        qgran g;
        size_t n;
        err[0] = 0;
        if (qgran_parse(bad[i], 0, &g, &n, err, sizeof err) == 0) fail_msg("\"%s\" parsed", bad[i]);
        if (!strstr(err, "tensor, row or g<N>") || !strstr(err, bad[i]))
            fail_msg("\"%s\": message \"%s\"", bad[i], err);
        assert_int_equal(qgran_parse(bad[i], 0, &g, &n, NULL, 0), -1); /* err may be NULL */
    }
    /* in format text, with a kind that has granules */
    qspec q;
    assert_int_equal(qspec_parse("int4:g64", &q, err, sizeof err), 0);
    assert_true(q.granularity == QG_GROUP && q.group == 64);
    assert_int_equal(qspec_parse("int4:token", &q, err, sizeof err), 0);
    assert_true(q.granularity == QG_ROW);
}

static void test_parse_errors(void **state) {
    (void)state;
    struct {
        const char *text, *needle;
    } bad[] = {
        {"int17", "1..16"},
        {"int0", "1..16"},
        {"uint", "1..16"},
        {"e9m9", "1 + e + m <= 16"},
        {"e0m3", "e >= 1"},
        {"fp8_e3m2", "does not match"},
        {"quest9", "1..8"},
        {"mxfp4:row", "MX format"},
        {"int4:g0", "not valid"},
        {"int4:foo", "\"foo\""},
        {"e3m0:fn", "m >= 1"},
        {"e1m3:ieee", "e >= 2"},
        {"float8", "expected fp32"},
        {"", "characters"},
        {"quest4:trust=-1", "trust="},
        {"int4:noscale", "not valid"},
        {"bf16:row", "unscaled"},
    };
    char err[256];
    qspec q;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (qspec_parse(bad[i].text, &q, err, sizeof err) == 0)
            fail_msg("\"%s\" parsed", bad[i].text);
        if (!strstr(err, bad[i].needle))
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].text, err, bad[i].needle);
        /* messages name the spec */
        assert_non_null(strstr(err, "quantization spec"));
    }
}

static void test_common_properties(void **state) {
    (void)state;
    enum { R = 64, C = 768 }; /* big enough for the parallel path */
    float *x = malloc(R * C * sizeof *x), *y1 = malloc(R * C * sizeof *x);
    float *y2 = malloc(R * C * sizeof *x), *y3 = malloc(R * C * sizeof *x);
    uint8_t *m1 = malloc(R * C), *m2 = malloc(R * C);
    assert_non_null(x);
    uint64_t s = 12345;
    for (int i = 0; i < R * C; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = ((float)(s >> 40) / 16777216.0f - 0.5f) * (float)(1 + (i % 13));
    }
    x[17] = NAN;
    char err[256];
    for (size_t k = 0; k < sizeof ALL / sizeof ALL[0]; k++) {
        qspec q;
        assert_int_equal(qspec_parse(ALL[k], &q, err, sizeof err), 0);
        qstats st1 = {0}, st2 = {0};
        omp_set_num_threads(1);
        assert_int_equal(qspec_fake_quant(&q, x, y1, R, C, m1, &st1), 0);
        omp_set_num_threads(2);
        assert_int_equal(qspec_fake_quant(&q, x, y2, R, C, m2, &st2), 0);
        if (memcmp(y1, y2, R * C * sizeof *y1)) fail_msg("%s: thread count changes output", ALL[k]);
        assert_memory_equal(m1, m2, R * C);
        assert_true(st1.total == (uint64_t)R * C && st1.clipped == st2.clipped &&
                    st1.masked == st2.masked);
        size_t zeros = 0;
        for (int i = 0; i < R * C; i++) zeros += m1[i] == 0;
        assert_int_equal(zeros, st1.masked);
        /* without mask and stats; and in place */
        memcpy(y3, x, R * C * sizeof *x);
        assert_int_equal(qspec_fake_quant(&q, y3, y3, R, C, NULL, NULL), 0);
        if (memcmp(y1, y3, R * C * sizeof *y1)) fail_msg("%s: in place differs", ALL[k]);
        /* NaN stays NaN (QuEST spreads it over its Hadamard block) */
        assert_true(isnan(y1[17]));
        /* idempotent-ish sanity: outputs finite where inputs were, away from the NaN row */
        for (int i = C; i < R * C; i++) assert_true(isfinite(y1[i]));
    }
    /* fp32 passes values through untouched */
    qspec q;
    qspec_parse("fp32", &q, err, sizeof err);
    qspec_fake_quant(&q, x, y1, R, C, m1, NULL);
    assert_memory_equal(x, y1, R * C * sizeof *x);
    /* invalid spec is refused */
    q.kind = QK_INT;
    q.bits = 40;
    assert_int_equal(qspec_fake_quant(&q, x, y1, R, C, NULL, NULL), -1);
    free(x);
    free(y1);
    free(y2);
    free(y3);
    free(m1);
    free(m2);
}

/* Several threads quantizing different tensors at once (nested inside an outer parallel
 * region) give the same results as one after the other. */
static void test_concurrent_calls(void **state) {
    (void)state;
    enum { T = 4, R = 32, C = 256 };
    static float x[T][R * C], ya[T][R * C], yb[T][R * C];
    static uint8_t ma[T][R * C], mb[T][R * C];
    const char *specs[T] = {"quest4", "int4:row", "mxfp4", "nvfp4"};
    qspec q[T];
    char err[128];
    for (int t = 0; t < T; t++) {
        assert_int_equal(qspec_parse(specs[t], &q[t], err, sizeof err), 0);
        for (int i = 0; i < R * C; i++) x[t][i] = (float)sin(0.37 * i + t) * (float)(1 + i % 5);
        qspec_fake_quant(&q[t], x[t], ya[t], R, C, ma[t], NULL);
    }
    omp_set_num_threads(2);
#pragma omp parallel for schedule(dynamic)
    for (int t = 0; t < T; t++) qspec_fake_quant(&q[t], x[t], yb[t], R, C, mb[t], NULL);
    for (int t = 0; t < T; t++) {
        assert_memory_equal(ya[t], yb[t], sizeof ya[t]);
        assert_memory_equal(ma[t], mb[t], sizeof ma[t]);
    }
}

static void test_table(void **state) {
    (void)state;
    size_t n;
    const qformat_traits *t = qformat_table(&n);
    assert_true(n >= 15);
    char err[256];
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(qformat_find(t[i].name), &t[i]);
        assert_non_null(t[i].scale_rule);
        if (t[i].bits == 0) continue; /* a family */
        qspec q;
        if (qspec_parse(t[i].name, &q, err, sizeof err)) fail_msg("%s: %s", t[i].name, err);
        assert_int_equal(q.kind, t[i].kind);
        assert_int_equal(q.bits, t[i].bits);
    }
    assert_null(qformat_find("int4"));
    /* element codecs: decode(encode(v)) is the element grid's nearest value */
    const char *specs[] = {"fp32",       "bf16",  "e4m3",   "e2m1",  "e3m2:noscale",
                           "int4",       "int1",  "uint3",  "mxfp4", "mxint8",
                           "mxfp8_e5m2", "nvfp4", "quest2", "quest4"};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        qspec q;
        assert_int_equal(qspec_parse(specs[k], &q, err, sizeof err), 0);
        const char *fam = q.kind == QK_INT     ? (q.symmetric ? "intK" : "uintK")
                          : q.kind == QK_QUEST ? "questB"
                          : q.kind == QK_FP && !qformat_find(specs[k]) ? "eXmY"
                                                                       : q.name;
        const qformat_traits *tr = qformat_find(fam);
        if (!tr) tr = qformat_find(specs[k]);
        assert_non_null(tr);
        for (int i = -40; i <= 40; i++) {
            float v = (float)i * 0.173f, want;
            uint32_t code;
            assert_int_equal(tr->encode(&q, v, &code), 0);
            float d = tr->decode(&q, code);
            qfp_format f;
            switch (q.kind) {
            case QK_NONE:
                want = v;
                break;
            case QK_FP:
            case QK_NVFP4:
            case QK_MX:
                if (q.kind == QK_MX && q.e == 0) {
                    float c = nearbyintf(v * 64.0f);
                    want = (c > 127 ? 127 : (c < -127 ? -127 : c)) / 64.0f;
                    break;
                }
                qfp_format_init(&f, q.kind == QK_NVFP4 ? 2 : q.e, q.kind == QK_NVFP4 ? 1 : q.m,
                                q.kind == QK_NVFP4 ? QFP_FINITE : q.special, err, sizeof err);
                want = qfp_round(&f, v);
                break;
            case QK_INT:
                if (q.bits == 1) {
                    want = v < 0 ? -1.0f : 1.0f;
                } else {
                    float lo = q.symmetric ? -(float)((1 << (q.bits - 1)) - 1) : 0.0f;
                    float hi = q.symmetric ? -lo : (float)((1 << q.bits) - 1);
                    float c = nearbyintf(v);
                    want = c < lo ? lo : (c > hi ? hi : c);
                }
                break;
            default: { /* QuEST, in steps: nearest of the n mid-rise levels */
                float h = (float)(1 << q.bits) / 2.0f - 0.5f;
                float c = v < -h ? -h : (v > h ? h : v);
                want = nearbyintf(c + 0.5f) - 0.5f;
            }
            }
            if (d != want) fail_msg("%s: v=%g code %u -> %g, want %g", specs[k], v, code, d, want);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_names),     cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_granularity_grammar), cmocka_unit_test(test_common_properties),
        cmocka_unit_test(test_concurrent_calls),    cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
