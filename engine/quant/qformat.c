/* The table of named formats, in the spirit of ggml's type traits: one row per format
 * with its element layout, block size and scale rule. Parametric families (intK, uintK,
 * eXmY, questB) have one row each with bits = 0; qspec_parse fills in the numbers. */
#include "quant/qinternal.h"

#include <math.h>
#include <stdio.h>
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

/* ---- the families: a format word with a number in it ---- */

/* intK and uintK: the prefix (t->name without its K), then K in min_bits..max_bits. */
static int parse_int_family(const qformat_traits *t, const char *f, qspec *q, char *err,
                            size_t errlen) {
    const int asym = t->name[0] == 'u';
    const size_t pre = asym ? 4 : 3;
    if (strncmp(f, t->name, pre)) return 1;
    long v = qparse_uint(f + pre);
    if (v < t->min_bits || v > t->max_bits) {
        snprintf(err, errlen, "format \"%s\": expected %s with K in %d..%d", f, t->syntax,
                 t->min_bits, t->max_bits);
        return -1;
    }
    q->kind = QK_INT;
    q->bits = (int)v;
    q->symmetric = !asym;
    return 0;
}

static int parse_quest_family(const qformat_traits *t, const char *f, qspec *q, char *err,
                              size_t errlen) {
    if (strncmp(f, "quest", 5)) return 1;
    long v = qparse_uint(f + 5);
    if (v < t->min_bits || v > t->max_bits) {
        snprintf(err, errlen, "format \"%s\": expected %s with B in %d..%d", f, t->syntax,
                 t->min_bits, t->max_bits);
        return -1;
    }
    q->kind = QK_QUEST;
    q->bits = (int)v;
    q->granularity = QG_ROW;
    q->alpha = quest_alpha(q->bits);
    return 0;
}

/* "eXmY" -> e, m */
static int parse_exmy(const char *s, int *e, int *m) {
    if (s[0] != 'e') return -1;
    const char *mpos = strchr(s, 'm');
    if (!mpos) return -1;
    char eb[8];
    size_t el = (size_t)(mpos - s - 1);
    if (el == 0 || el >= sizeof eb) return -1;
    memcpy(eb, s + 1, el);
    eb[el] = 0;
    long ev = qparse_uint(eb), mv = qparse_uint(mpos + 1);
    if (ev < 0 || mv < 0 || ev > 64 || mv > 64) return -1;
    *e = (int)ev;
    *m = (int)mv;
    return 0;
}

/* fpN_eXmY or eXmY, any layout qfp_format_init accepts, in its default convention. */
static int parse_fp_family(const qformat_traits *t, const char *f, qspec *q, char *err,
                           size_t errlen) {
    (void)t;
    int e, m;
    const char *em = f;
    long total = -1;
    if (strncmp(f, "fp", 2) == 0 && strchr(f, '_')) {
        char nb[8];
        const char *us = strchr(f, '_');
        size_t nl = (size_t)(us - f - 2);
        if (nl == 0 || nl >= sizeof nb) return 1;
        memcpy(nb, f + 2, nl);
        nb[nl] = 0;
        total = qparse_uint(nb);
        em = us + 1;
    }
    if (parse_exmy(em, &e, &m)) return 1;
    if (total >= 0 && total != 1 + e + m) {
        snprintf(err, errlen, "format \"%s\": fp%ld does not match 1 + %d + %d bits", f, total, e,
                 m);
        return -1;
    }
    q->kind = QK_FP;
    q->e = e;
    q->m = m;
    q->bits = 1 + e + m;
    q->special = qfp_default_special(e, m);
    q->scaled = 1;
    qfp_format tmp;
    return qfp_format_init(&tmp, e, m, q->special, err, errlen);
}

/* ---- the table ---- */

/* One row per named format and one per family. A new row: docs/formats.md, "Adding a
 * format". Named rows are matched before families; families in this order. */
static const qformat_traits TABLE[] = {
    {.name = "fp32",
     .kind = QK_NONE,
     .bits = 32,
     .e = 8,
     .m = 23,
     .special = QFP_IEEE,
     .block = 0,
     .scaled = 0,
     .scale_rule = "none: values pass through",
     .encode = enc_none,
     .decode = dec_none,
     .alias = "none",
     .prelude = "fp"},
    {.name = "bf16",
     .kind = QK_FP,
     .bits = 16,
     .e = 8,
     .m = 7,
     .special = QFP_IEEE,
     .block = 0,
     .scaled = 0,
     .scale_rule = "none: round to nearest bfloat16",
     .encode = enc_fp,
     .decode = dec_fp,
     .prelude = "fp"},
    {.name = "fp16",
     .kind = QK_FP,
     .bits = 16,
     .e = 5,
     .m = 10,
     .special = QFP_IEEE,
     .block = 0,
     .scaled = 0,
     .scale_rule = "none: round to nearest IEEE half",
     .encode = enc_fp,
     .decode = dec_fp},
    {.name = "e5m2",
     .kind = QK_FP,
     .bits = 8,
     .e = 5,
     .m = 2,
     .special = QFP_IEEE,
     .block = 0,
     .scaled = 1,
     .scale_rule = "absmax of the granule -> 57344 (OCP E5M2)",
     .encode = enc_fp,
     .decode = dec_fp},
    {.name = "e4m3",
     .kind = QK_FP,
     .bits = 8,
     .e = 4,
     .m = 3,
     .special = QFP_FN,
     .block = 0,
     .scaled = 1,
     .scale_rule = "absmax of the granule -> 448 (OCP E4M3)",
     .encode = enc_fp,
     .decode = dec_fp,
     .prelude = "fp"},
    {.name = "e3m2",
     .kind = QK_FP,
     .bits = 6,
     .e = 3,
     .m = 2,
     .special = QFP_FINITE,
     .block = 0,
     .scaled = 1,
     .scale_rule = "absmax of the granule -> 28 (OCP FP6)",
     .encode = enc_fp,
     .decode = dec_fp,
     .prelude = "fp"},
    {.name = "e2m3",
     .kind = QK_FP,
     .bits = 6,
     .e = 2,
     .m = 3,
     .special = QFP_FINITE,
     .block = 0,
     .scaled = 1,
     .scale_rule = "absmax of the granule -> 7.5 (OCP FP6)",
     .encode = enc_fp,
     .decode = dec_fp},
    {.name = "e2m1",
     .kind = QK_FP,
     .bits = 4,
     .e = 2,
     .m = 1,
     .special = QFP_FINITE,
     .block = 0,
     .scaled = 1,
     .scale_rule = "absmax of the granule -> 6 (OCP FP4)",
     .encode = enc_fp,
     .decode = dec_fp,
     .prelude = "fp"},
    {.name = "eXmY",
     .kind = QK_FP,
     .bits = 0,
     .e = 0,
     .m = 0,
     .special = QFP_FINITE,
     .block = 0,
     .scaled = 1,
     .scale_rule = "absmax of the granule -> max finite",
     .encode = enc_fp,
     .decode = dec_fp,
     .syntax = "e<X>m<Y>, fp<N>_e<X>m<Y>",
     .min_bits = 2,
     .max_bits = 16,
     .parse = parse_fp_family,
     .prelude = "fp",
     .prelude_members = "e2m0 e3m1 e4m2 e5m6"},
    {.name = "intK",
     .kind = QK_INT,
     .bits = 0,
     .e = 0,
     .m = 0,
     .special = QFP_IEEE,
     .block = 0,
     .scaled = 0,
     .scale_rule = "absmax / (2^(K-1) - 1); K = 1: mean|x|",
     .encode = enc_int,
     .decode = dec_int,
     .syntax = "int<K>",
     .min_bits = 1,
     .max_bits = 16,
     .parse = parse_int_family,
     .prelude = "int"},
    {.name = "uintK",
     .kind = QK_INT,
     .bits = 0,
     .e = 0,
     .m = 0,
     .special = QFP_IEEE,
     .block = 0,
     .scaled = 0,
     .scale_rule = "(max - min) / (2^K - 1), integer zero point",
     .encode = enc_int,
     .decode = dec_int,
     .syntax = "uint<K>",
     .min_bits = 1,
     .max_bits = 16,
     .parse = parse_int_family},
    {.name = "mxfp8_e4m3",
     .kind = QK_MX,
     .bits = 8,
     .e = 4,
     .m = 3,
     .special = QFP_FN,
     .block = 32,
     .scaled = 0,
     .scale_rule = "E8M0 2^(floor(log2 amax) - 8)",
     .encode = enc_mx,
     .decode = dec_mx,
     .alias = "mxfp8",
     .prelude = "mx"},
    {.name = "mxfp8_e5m2",
     .kind = QK_MX,
     .bits = 8,
     .e = 5,
     .m = 2,
     .special = QFP_IEEE,
     .block = 32,
     .scaled = 0,
     .scale_rule = "E8M0 2^(floor(log2 amax) - 15)",
     .encode = enc_mx,
     .decode = dec_mx},
    {.name = "mxfp6_e3m2",
     .kind = QK_MX,
     .bits = 6,
     .e = 3,
     .m = 2,
     .special = QFP_FINITE,
     .block = 32,
     .scaled = 0,
     .scale_rule = "E8M0 2^(floor(log2 amax) - 4)",
     .encode = enc_mx,
     .decode = dec_mx},
    {.name = "mxfp6_e2m3",
     .kind = QK_MX,
     .bits = 6,
     .e = 2,
     .m = 3,
     .special = QFP_FINITE,
     .block = 32,
     .scaled = 0,
     .scale_rule = "E8M0 2^(floor(log2 amax) - 2)",
     .encode = enc_mx,
     .decode = dec_mx,
     .prelude = "mx"},
    {.name = "mxfp4",
     .kind = QK_MX,
     .bits = 4,
     .e = 2,
     .m = 1,
     .special = QFP_FINITE,
     .block = 32,
     .scaled = 0,
     .scale_rule = "E8M0 2^(floor(log2 amax) - 2)",
     .encode = enc_mx,
     .decode = dec_mx,
     .alias = "mxfp4_e2m1",
     .prelude = "mx"},
    {.name = "mxint8",
     .kind = QK_MX,
     .bits = 8,
     .e = 0,
     .m = 7,
     .special = QFP_FINITE,
     .block = 32,
     .scaled = 0,
     .scale_rule = "E8M0 2^(floor(log2 amax)), int8 * 2^-6",
     .encode = enc_mx,
     .decode = dec_mx},
    {.name = "nvfp4",
     .kind = QK_NVFP4,
     .bits = 4,
     .e = 2,
     .m = 1,
     .special = QFP_FINITE,
     .block = 16,
     .scaled = 0,
     .scale_rule = "FP32 amax/2688 per granule x E4M3 block scale (block amax / 6)",
     .encode = enc_fp,
     .decode = dec_fp,
     .prelude = "nvfp"},
    {.name = "questB",
     .kind = QK_QUEST,
     .bits = 0,
     .e = 0,
     .m = 0,
     .special = QFP_IEEE,
     .block = 0,
     .scaled = 0,
     .scale_rule = "Hadamard, then alpha_B * RMS of the granule (row by default)",
     .encode = enc_quest,
     .decode = dec_quest,
     .syntax = "quest<B>",
     .min_bits = 1,
     .max_bits = QUEST_MAX_BITS,
     .parse = parse_quest_family,
     .prelude = "quest"},
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

void qformat_accepted(char *buf, size_t len) {
    const size_t count = sizeof TABLE / sizeof TABLE[0];
    buf[0] = 0;
    for (size_t i = 0; i < count; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == count ? " or " : ", ");
        const char *word = TABLE[i].syntax ? TABLE[i].syntax : TABLE[i].name;
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", sep, word);
    }
}

int qformat_for_bits(const char *constructor, int bits, char *buf, size_t len) {
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++) {
        const qformat_traits *t = &TABLE[i];
        if (!t->prelude || strcmp(t->prelude, constructor)) continue;
        if (t->bits > 0 && t->bits == bits) {
            snprintf(buf, len, "%s", t->name);
            return 0;
        }
        if (t->bits != 0 || bits < t->min_bits || bits > t->max_bits) continue;
        if (!t->prelude_members) {
            /* every member: the name with the number for its letter ("intK" -> "int4") */
            snprintf(buf, len, "%.*s%d", (int)strlen(t->name) - 1, t->name, bits);
            return 0;
        }
        for (const char *p = t->prelude_members; *p;) {
            size_t l = strcspn(p, " ");
            char word[32];
            qspec q;
            char err[160];
            snprintf(word, sizeof word, "%.*s", (int)l, p);
            if (qspec_parse(word, &q, err, sizeof err) == 0 && q.bits == bits) {
                snprintf(buf, len, "%s", word);
                return 0;
            }
            p += l;
            while (*p == ' ') p++;
        }
    }
    return -1;
}
