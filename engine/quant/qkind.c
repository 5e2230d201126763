/* The table of kinds: one row of functions per format kind (fp32, INT, FP, MX, NVFP4,
 * QuEST), called by qspec_parse (modifiers), qspec_check, qspec_name, qspec_fake_quant
 * (statistics, scale, segment or row) and qspec_backward. The walk over rows and granules
 * and the OpenMP are in qfake.c; the named formats and their codecs in qformat.c. */
#include "quant/qinternal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void append(char *b, size_t n, const char *s) {
    strncat(b, s, n - strlen(b) - 1);
}

static int rangemask(qspec *q, const char *mod) {
    if (strcmp(mod, "rangemask")) return 1;
    q->mask = QM_RANGE;
    return 0;
}

static void suffix_rangemask(const qspec *q, char *b, size_t n) {
    if (q->mask == QM_RANGE) append(b, n, ":rangemask");
}

static qraw stats_amax(const qctx *c, const float *x, size_t n) {
    (void)c;
    qraw r = {0};
    r.n = n;
    r.amax = qabsmax(x, n);
    return r;
}

static void init_elem(qctx *c) {
    char err[128];
    qfp_format_init(&c->fmt, c->q->e, c->q->m, c->q->special, err, sizeof err);
}

/* The granules of one row from a kind's three granule functions (qkind_ops.granules). */
#define QGRANULES(fn, stats, params, segment)                                                      \
    static size_t fn(const qctx *c, const float *x, float *y, size_t cols, size_t g,               \
                     uint8_t *pass, size_t *masked, size_t base) {                                 \
        size_t clipped = 0;                                                                        \
        for (size_t c0 = 0; c0 < cols; c0 += g) {                                                  \
            size_t len = cols - c0 < g ? cols - c0 : g;                                            \
            qraw rs = stats(c, x + c0, len);                                                       \
            qseg p = params(c, &rs);                                                               \
            clipped +=                                                                             \
                segment(c, &p, x + c0, y + c0, len, pass ? pass + c0 : NULL, masked, base + c0);   \
        }                                                                                          \
        return clipped;                                                                            \
    }

/* ------------------------------------------------------------------------ fp32 ------ */

static int none_granular(const qspec *q, const char *mod, char *err, size_t errlen) {
    (void)q;
    if (err) snprintf(err, errlen, "modifier \"%s\": fp32 has no granularity to set", mod);
    return -1;
}

static void none_name(const qspec *q, char *b, size_t n) {
    (void)q;
    snprintf(b, n, "fp32");
}

static size_t none_matrix(const qctx *c, const float *x, float *y, size_t n, uint8_t *pass) {
    (void)c;
    if (y != x) memmove(y, x, n * sizeof *x);
    if (pass) memset(pass, 1, n);
    return 0;
}

/* ------------------------------------------------------------------------- INTk ----- */

static int int_modifier(qspec *q, const char *mod, char *err, size_t errlen) {
    (void)err;
    (void)errlen;
    if (strcmp(mod, "sr") == 0) {
        q->stochastic = 1;
        return 0;
    }
    return rangemask(q, mod);
}

static const char *int_check(const qspec *q) {
    return q->bits < 1 || q->bits > 16 ? "INT bits must be 1..16" : NULL;
}

static void int_name(const qspec *q, char *b, size_t n) {
    snprintf(b, n, "%sint%d", q->symmetric ? "" : "u", q->bits);
}

static qraw int_stats(const qctx *c, const float *x, size_t n) {
    const qspec *q = c->q;
    qraw r = {0};
    r.n = n;
    if (!q->symmetric)
        qminmax(x, n, &r.lo, &r.hi);
    else if (q->bits == 1)
        r.sumabs = qsumabs(x, n);
    else
        r.amax = qabsmax(x, n);
    return r;
}

static qseg int_params(const qctx *c, const qraw *r) {
    const qspec *q = c->q;
    qseg p = {0};
    if (q->symmetric)
        p.ip = qint_params_sym(q->bits, r->amax, r->n ? (float)(r->sumabs / (double)r->n) : 0);
    else
        p.ip = qint_params_asym(q->bits, r->lo, r->hi);
    return p;
}

static size_t int_segment(const qctx *c, const qseg *p, const float *x, float *y, size_t n,
                          uint8_t *pass, size_t *masked, size_t base) {
    const qspec *q = c->q;
    size_t clipped = q->stochastic ? qint_quant_array_sr(&p->ip, x, y, n, pass, q->seed, base)
                                   : qint_quant_array(&p->ip, x, y, n, pass);
    *masked += clipped;
    return clipped;
}

QGRANULES(int_granules, int_stats, int_params, int_segment)

/* ------------------------------------------------------------------------ FP ExMy ---- */

static int fp_modifier(qspec *q, const char *mod, char *err, size_t errlen) {
    if (strcmp(mod, "scale") == 0 || strcmp(mod, "noscale") == 0) {
        q->scaled = mod[0] == 's';
        if (!q->scaled) q->granularity = QG_TENSOR, q->group = 0;
        return 0;
    }
    if (strcmp(mod, "sr") == 0) {
        q->stochastic = 1;
        return 0;
    }
    if (strcmp(mod, "ieee") == 0 || strcmp(mod, "fn") == 0 || strcmp(mod, "finite") == 0) {
        q->special = mod[0] == 'i' ? QFP_IEEE : (mod[1] == 'n' ? QFP_FN : QFP_FINITE);
        qfp_format tmp;
        return qfp_format_init(&tmp, q->e, q->m, q->special, err, errlen);
    }
    return rangemask(q, mod);
}

static int fp_granular(const qspec *q, const char *mod, char *err, size_t errlen) {
    if (q->scaled) return 0;
    if (err)
        snprintf(err, errlen, "modifier \"%s\": unscaled FP has no scale; add :scale first", mod);
    return -1;
}

static const char *fp_check(const qspec *q) {
    qfp_format f;
    char sub[128];
    return qfp_format_init(&f, q->e, q->m, q->special, sub, sizeof sub) ? "bad FP layout" : NULL;
}

static void fp_name(const qspec *q, char *b, size_t n) {
    if (q->e == 8 && q->m == 7 && !q->scaled && q->special == QFP_IEEE) {
        snprintf(b, n, "bf16");
    } else if (q->e == 5 && q->m == 10 && !q->scaled && q->special == QFP_IEEE) {
        snprintf(b, n, "fp16");
    } else {
        snprintf(b, n, "e%dm%d", q->e, q->m);
        if (!q->scaled) append(b, n, ":noscale");
        if (q->special != qfp_default_special(q->e, q->m))
            append(b, n,
                   q->special == QFP_IEEE ? ":ieee" : (q->special == QFP_FN ? ":fn" : ":finite"));
    }
}

static int fp_plain(const qspec *q) {
    return !q->scaled;
}

static qseg fp_params(const qctx *c, const qraw *r) {
    qseg p = {0};
    p.scale = c->q->scaled ? r->amax / c->fmt.maxval : 1.0f;
    return p;
}

static size_t fp_segment(const qctx *c, const qseg *p, const float *x, float *y, size_t n,
                         uint8_t *pass, size_t *masked, size_t base) {
    const qspec *q = c->q;
    size_t clipped = 0;
    if (q->scaled && !(p->scale > 0.0f)) {
        if (y != x) memmove(y, x, n * sizeof *x);
        if (pass) memset(pass, 1, n);
    } else if (q->stochastic) {
        clipped = qfp_round_array_sr(&c->fmt, x, y, n, p->scale, pass, q->seed, base);
    } else {
        clipped = qfp_round_array(&c->fmt, x, y, n, p->scale, pass);
    }
    *masked += clipped;
    return clipped;
}

QGRANULES(fp_granules, stats_amax, fp_params, fp_segment)

/* -------------------------------------------------------------------------- MX ------ */

static int mx_modifier(qspec *q, const char *mod, char *err, size_t errlen) {
    (void)err;
    (void)errlen;
    return rangemask(q, mod);
}

static int mx_granular(const qspec *q, const char *mod, char *err, size_t errlen) {
    (void)q;
    if (err)
        snprintf(err, errlen,
                 "modifier \"%s\": an MX format (fixed blocks of 32) has no granularity to set",
                 mod);
    return -1;
}

static const char *mx_check(const qspec *q) {
    if (q->e > 0 && fp_check(q)) return "bad FP layout";
    return q->block < 1 ? "MX block must be >= 1" : NULL;
}

static void mx_name(const qspec *q, char *b, size_t n) {
    if (q->e == 0)
        snprintf(b, n, "mxint8");
    else if (q->bits == 4)
        snprintf(b, n, "mxfp4");
    else
        snprintf(b, n, "mxfp%d_e%dm%d", q->bits, q->e, q->m);
}

static void mx_init(qctx *c) {
    if (c->q->e > 0) init_elem(c);
}

static size_t mx_row(const qctx *c, const float *x, float *y, size_t n, uint8_t *pass) {
    return qmx_quant_row(c->q, &c->fmt, x, y, n, pass);
}

/* ------------------------------------------------------------------------ NVFP4 ----- */

static void nvfp4_name(const qspec *q, char *b, size_t n) {
    (void)q;
    snprintf(b, n, "nvfp4");
}

static void nvfp4_init(qctx *c) {
    char err[128];
    qfp_format_init(&c->fmt, 2, 1, QFP_FINITE, err, sizeof err);
    qfp_format_init(&c->e4m3, 4, 3, QFP_FN, err, sizeof err);
}

static qseg nvfp4_params(const qctx *c, const qraw *r) {
    (void)c;
    qseg p = {0};
    p.scale = qnvfp4_tensor_scale(r->amax);
    return p;
}

static size_t nvfp4_segment(const qctx *c, const qseg *p, const float *x, float *y, size_t n,
                            uint8_t *pass, size_t *masked, size_t base) {
    (void)base;
    size_t clipped = qnvfp4_quant_seg(&c->e4m3, &c->fmt, p->scale, x, y, n, pass);
    *masked += clipped;
    return clipped;
}

QGRANULES(nvfp4_granules, stats_amax, nvfp4_params, nvfp4_segment)

/* ------------------------------------------------------------------------ QuEST ----- */

static int quest_modifier(qspec *q, const char *mod, char *err, size_t errlen) {
    if (strcmp(mod, "trustmask") == 0) {
        q->mask = QM_TRUST;
        return 0;
    }
    if (strcmp(mod, "clipmask") == 0) {
        q->mask = QM_CLIP;
        return 0;
    }
    if (strncmp(mod, "trust=", 6) == 0) {
        if (qparse_real(mod + 6, &q->trust) || !(q->trust > 0.0)) {
            snprintf(err, errlen, "modifier \"%s\": expected trust=<positive number>", mod);
            return -1;
        }
        q->mask = QM_TRUST;
        return 0;
    }
    if (strncmp(mod, "clip=", 5) == 0) {
        if (qparse_real(mod + 5, &q->clip_factor) || !(q->clip_factor > 0.0)) {
            snprintf(err, errlen, "modifier \"%s\": expected clip=<positive number>", mod);
            return -1;
        }
        q->mask = QM_CLIP;
        return 0;
    }
    if (strncmp(mod, "alpha=", 6) == 0) {
        if (strcmp(mod + 6, "paper") == 0) {
            q->alpha_paper = 1;
            q->alpha = quest_alpha_paper(q->bits);
        } else if (strcmp(mod + 6, "exact") == 0) {
            q->alpha_paper = 0;
            q->alpha = quest_alpha(q->bits);
        } else if (qparse_real(mod + 6, &q->alpha) || !(q->alpha > 0.0)) {
            snprintf(err, errlen, "modifier \"%s\": expected alpha=paper, exact or a number", mod);
            return -1;
        }
        return 0;
    }
    if (strcmp(mod, "rotated") == 0 || strcmp(mod, "original") == 0) {
        q->basis = mod[0] == 'r' ? QB_ROTATED : QB_ORIGINAL;
        return 0;
    }
    return rangemask(q, mod);
}

static const char *quest_check(const qspec *q) {
    if (!(q->alpha > 0.0)) return "QuEST alpha must be > 0";
    return q->bits < 1 || q->bits > QUEST_MAX_BITS ? "QuEST bits must be 1..8" : NULL;
}

static void quest_name(const qspec *q, char *b, size_t n) {
    snprintf(b, n, "quest%d", q->bits);
}

static void quest_suffix(const qspec *q, char *b, size_t n) {
    char o[64];
    if (q->mask == QM_CLIP) {
        snprintf(o, sizeof o, ":clip=%g", q->clip_factor);
        append(b, n, o);
    } else if (q->mask == QM_RANGE) {
        append(b, n, ":rangemask");
    } else if (q->trust > 0.0) {
        snprintf(o, sizeof o, ":trust=%g", q->trust);
        append(b, n, o);
    }
    if (q->alpha_paper) {
        append(b, n, ":alpha=paper");
    } else if (q->alpha != quest_alpha(q->bits)) {
        snprintf(o, sizeof o, ":alpha=%g", q->alpha);
        append(b, n, o);
    }
    if (q->basis == QB_ROTATED) append(b, n, ":rotated");
}

static qraw quest_stats(const qctx *c, const float *x, size_t n) {
    (void)c;
    qraw r = {0};
    r.n = n;
    double rms = quest_rms(x, n);
    r.sumsq = rms * rms * (double)n;
    return r;
}

static qseg quest_params(const qctx *c, const qraw *r) {
    (void)c;
    qseg p = {0};
    p.sigma = r->n ? sqrt(r->sumsq / (double)r->n) : 0.0;
    return p;
}

static size_t quest_segment(const qctx *c, const qseg *p, const float *x, float *y, size_t n,
                            uint8_t *pass, size_t *masked, size_t base) {
    (void)x; /* y already holds the rotated input */
    (void)base;
    return quest_quant_segment(c->q, y, n, p->sigma, pass, masked);
}

QGRANULES(quest_granules, quest_stats, quest_params, quest_segment)

/* Original basis dx = H(mask * H dy), rotated basis dx = H(mask * dy). */
static void quest_backward(const qspec *q, float *dx, size_t rows, size_t cols, const uint8_t *pass,
                           int masking) {
    if (q->basis == QB_ORIGINAL && !masking) return; /* H H = I */
    if (q->basis == QB_ORIGINAL) qhadamard_rows(dx, rows, cols);
    if (masking) qmask_apply(dx, pass, rows * cols);
    qhadamard_rows(dx, rows, cols);
}

/* ------------------------------------------------------------------ the table ------- */

static const qkind_ops KINDS[QK_COUNT] = {
    [QK_NONE] = {.label = "fp32",
                 .granular = none_granular,
                 .name = none_name,
                 .suffix = suffix_rangemask,
                 .matrix = none_matrix,
                 .identity = 1},
    [QK_INT] = {.label = "INT",
                .modifier = int_modifier,
                .check = int_check,
                .stochastic = 1,
                .name = int_name,
                .suffix = suffix_rangemask,
                .stats = int_stats,
                .params = int_params,
                .segment = int_segment,
                .granules = int_granules,
                .symmetry = 1,
                .bits_in_name = 1,
                .ptq = 1},
    [QK_FP] = {.label = "FP",
               .modifier = fp_modifier,
               .granular = fp_granular,
               .check = fp_check,
               .stochastic = 1,
               .name = fp_name,
               .suffix = suffix_rangemask,
               .init = init_elem,
               .plain = fp_plain,
               .stats = stats_amax,
               .params = fp_params,
               .segment = fp_segment,
               .granules = fp_granules,
               .ptq = 1},
    [QK_MX] = {.label = "MX",
               .modifier = mx_modifier,
               .granular = mx_granular,
               .check = mx_check,
               .name = mx_name,
               .suffix = suffix_rangemask,
               .init = mx_init,
               .row = mx_row,
               .blocks = 1,
               .own_gran = 1,
               .ptq = 1},
    [QK_NVFP4] = {.label = "NVFP4",
                  .modifier = mx_modifier,
                  .name = nvfp4_name,
                  .suffix = suffix_rangemask,
                  .init = nvfp4_init,
                  .stats = stats_amax,
                  .params = nvfp4_params,
                  .segment = nvfp4_segment,
                  .granules = nvfp4_granules,
                  .blocks = 1,
                  .ptq = 1},
    [QK_QUEST] = {.label = "QuEST",
                  .modifier = quest_modifier,
                  .check = quest_check,
                  .name = quest_name,
                  .suffix = quest_suffix,
                  .hadamard = 1,
                  .stats = quest_stats,
                  .params = quest_params,
                  .segment = quest_segment,
                  .granules = quest_granules,
                  .backward = quest_backward,
                  .own_gran = 1,
                  .trust = 1,
                  .bits_in_name = 1},
};

const qkind_ops *qkind_ops_of(qkind kind) {
    return (unsigned)kind < QK_COUNT && KINDS[kind].name ? &KINDS[kind] : NULL;
}

/* ------------------------------------------------------- what callers ask ------- */

/* The qspec_* queries of quant.h, each one field of the kind's row. */
#define QKIND_QUERY(fn, expr)                                                                      \
    int fn(const qspec *q) {                                                                       \
        const qkind_ops *k = qkind_ops_of(q->kind);                                                \
        return k && (expr);                                                                        \
    }

QKIND_QUERY(qspec_quantizes, !k->identity)
QKIND_QUERY(qspec_has_blocks, k->blocks)
QKIND_QUERY(qspec_fixed_blocks, k->row != NULL) /* whole rows in fixed blocks, no granules */
QKIND_QUERY(qspec_own_granularity, k->own_gran)
QKIND_QUERY(qspec_trust_mask, k->trust)
QKIND_QUERY(qspec_takes_sr, k->stochastic)
QKIND_QUERY(qspec_has_symmetry, k->symmetry)
QKIND_QUERY(qspec_bits_in_name, k->bits_in_name)
QKIND_QUERY(qspec_ptq_weight, k->ptq && !(k->plain && k->plain(q)))
