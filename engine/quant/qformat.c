/* The table of named formats, in the spirit of ggml's type traits: one row per format
 * with its element layout, block size and scale rule. Parametric families (intK, uintK,
 * eXmY, questB) have one row each with bits = 0; qspec_parse fills in the numbers. */
#include "quant/quant.h"

#include <math.h>
#include <string.h>

/* ---- per-element codecs: the bit patterns behind each row of the table ---- */

static const float MAGIC = 12582912.0f; /* 1.5 * 2^23: (v + M) - M rounds half to even */

static float rne_clamp(float v, float lo, float hi) {
    v = v < lo ? lo : (v > hi ? hi : v);
    return (v + MAGIC) - MAGIC;
}

static int enc_none(const qspec *q, float v, uint32_t *code) {
    (void)q;
    memcpy(code, &v, 4);
    return 0;
}
static float dec_none(const qspec *q, uint32_t code) {
    (void)q;
    float v;
    memcpy(&v, &code, 4);
    return v;
}

static int elem_format(const qspec *q, qfp_format *f) {
    char err[128];
    int e = q->kind == QK_NVFP4 ? 2 : q->e, m = q->kind == QK_NVFP4 ? 1 : q->m;
    qfp_special sp = q->kind == QK_NVFP4 ? QFP_FINITE : q->special;
    return qfp_format_init(f, e, m, sp, err, sizeof err);
}

static int enc_fp(const qspec *q, float v, uint32_t *code) {
    qfp_format f;
    if (elem_format(q, &f)) return -1;
    return qfp_encode(&f, v, code);
}
static float dec_fp(const qspec *q, uint32_t code) {
    qfp_format f;
    if (elem_format(q, &f)) return NAN;
    return qfp_decode(&f, code);
}

/* intK: K-bit two's complement of clamp(rne(v)); uintK: clamp(rne(v)) in 0..2^K-1. */
static int enc_int(const qspec *q, float v, uint32_t *code) {
    if (v != v) return -1;
    uint32_t mask = q->bits >= 32 ? 0xffffffffu : (1u << q->bits) - 1u;
    if (!q->symmetric) {
        *code = (uint32_t)rne_clamp(v, 0.0f, (float)mask);
        return 0;
    }
    if (q->bits == 1) {
        *code = v < 0.0f ? 1u : 0u; /* sign bit */
        return 0;
    }
    float qmax = (float)((1 << (q->bits - 1)) - 1);
    *code = (uint32_t)(int32_t)rne_clamp(v, -qmax, qmax) & mask;
    return 0;
}
static float dec_int(const qspec *q, uint32_t code) {
    if (!q->symmetric) return (float)code;
    if (q->bits == 1) return code & 1u ? -1.0f : 1.0f;
    int32_t c = (int32_t)(code << (32 - q->bits)) >> (32 - q->bits); /* sign-extend */
    return (float)c;
}

/* MX: FP elements as ExMy; MXINT8 as int8 codes of v * 64. */
static int enc_mx(const qspec *q, float v, uint32_t *code) {
    if (q->e > 0) return enc_fp(q, v, code);
    if (v != v) return -1;
    *code = (uint32_t)(int32_t)rne_clamp(v * 64.0f, -127.0f, 127.0f) & 0xffu;
    return 0;
}
static float dec_mx(const qspec *q, uint32_t code) {
    if (q->e > 0) return dec_fp(q, code);
    return (float)(int8_t)(uint8_t)code / 64.0f;
}

/* QuEST: level index j in 0..n-1 of the mid-rise grid; value (j - (n - 1) / 2) steps. */
static int enc_quest(const qspec *q, float v, uint32_t *code) {
    if (v != v) return -1;
    float half = (float)(1u << q->bits) / 2.0f;
    float r = rne_clamp(v + 0.5f, 1.0f - half, half);
    *code = (uint32_t)(int32_t)(r + half - 1.0f);
    return 0;
}
static float dec_quest(const qspec *q, uint32_t code) {
    float half = (float)(1u << q->bits) / 2.0f;
    return (float)code - half + 0.5f;
}

static const qformat_traits TABLE[] = {
    {"fp32", QK_NONE, 32, 8, 23, QFP_IEEE, 0, 0, "none: values pass through", enc_none, dec_none},
    {"bf16", QK_FP, 16, 8, 7, QFP_IEEE, 0, 0, "none: round to nearest bfloat16", enc_fp, dec_fp},
    {"fp16", QK_FP, 16, 5, 10, QFP_IEEE, 0, 0, "none: round to nearest IEEE half", enc_fp, dec_fp},
    {"e5m2", QK_FP, 8, 5, 2, QFP_IEEE, 0, 1, "absmax of the granule -> 57344 (OCP E5M2)", enc_fp,
     dec_fp},
    {"e4m3", QK_FP, 8, 4, 3, QFP_FN, 0, 1, "absmax of the granule -> 448 (OCP E4M3)", enc_fp,
     dec_fp},
    {"e3m2", QK_FP, 6, 3, 2, QFP_FINITE, 0, 1, "absmax of the granule -> 28 (OCP FP6)", enc_fp,
     dec_fp},
    {"e2m3", QK_FP, 6, 2, 3, QFP_FINITE, 0, 1, "absmax of the granule -> 7.5 (OCP FP6)", enc_fp,
     dec_fp},
    {"e2m1", QK_FP, 4, 2, 1, QFP_FINITE, 0, 1, "absmax of the granule -> 6 (OCP FP4)", enc_fp,
     dec_fp},
    {"eXmY", QK_FP, 0, 0, 0, QFP_FINITE, 0, 1, "absmax of the granule -> max finite", enc_fp,
     dec_fp},
    {"intK", QK_INT, 0, 0, 0, QFP_IEEE, 0, 0, "absmax / (2^(K-1) - 1); K = 1: mean|x|", enc_int,
     dec_int},
    {"uintK", QK_INT, 0, 0, 0, QFP_IEEE, 0, 0, "(max - min) / (2^K - 1), integer zero point",
     enc_int, dec_int},
    {"mxfp8_e4m3", QK_MX, 8, 4, 3, QFP_FN, 32, 0, "E8M0 2^(floor(log2 amax) - 8)", enc_mx, dec_mx},
    {"mxfp8_e5m2", QK_MX, 8, 5, 2, QFP_IEEE, 32, 0, "E8M0 2^(floor(log2 amax) - 15)", enc_mx,
     dec_mx},
    {"mxfp6_e3m2", QK_MX, 6, 3, 2, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax) - 4)", enc_mx,
     dec_mx},
    {"mxfp6_e2m3", QK_MX, 6, 2, 3, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax) - 2)", enc_mx,
     dec_mx},
    {"mxfp4", QK_MX, 4, 2, 1, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax) - 2)", enc_mx, dec_mx},
    {"mxint8", QK_MX, 8, 0, 7, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax)), int8 * 2^-6", enc_mx,
     dec_mx},
    {"nvfp4", QK_NVFP4, 4, 2, 1, QFP_FINITE, 16, 0,
     "FP32 amax/2688 per granule x E4M3 block scale (block amax / 6)", enc_fp, dec_fp},
    {"questB", QK_QUEST, 0, 0, 0, QFP_IEEE, 0, 0,
     "Hadamard, then alpha_B * RMS of the granule (row by default)", enc_quest, dec_quest},
};

const qformat_traits *qformat_table(size_t *count) {
    *count = sizeof TABLE / sizeof TABLE[0];
    return TABLE;
}

const qformat_traits *qformat_find(const char *name) {
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (strcmp(TABLE[i].name, name) == 0) return &TABLE[i];
    return NULL;
}
