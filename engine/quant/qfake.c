/* qspec_fake_quant: the one entry point the model calls. It walks the matrix by rows
 * (OpenMP over rows), splits each row into the granule segments that share a scale, and
 * hands each segment to its format's quantizer. Statistics of a whole-tensor granule are
 * gathered per row first and combined in row order, so results never depend on the
 * number of threads. */
#include "quant/qinternal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Above this many elements the row loop runs in parallel. */
#define PAR_MIN 32768

typedef struct seg_params {
    qint_params ip; /* INT */
    float scale;    /* FP scaled: amax / maxval; NVFP4: tensor scale */
    double sigma;   /* QuEST */
} seg_params;

typedef struct ctx {
    const qspec *q;
    qfp_format fmt;  /* FP element / MX element / NVFP4 E2M1 */
    qfp_format e4m3; /* NVFP4 block scale */
} ctx;

/* Per-row (or per-segment) raw statistics, combinable in a fixed order. */
typedef struct raw_stats {
    float amax, lo, hi;
    double sumabs, sumsq;
    size_t n;
} raw_stats;

static raw_stats raw_of(const ctx *c, const float *x, size_t n) {
    raw_stats r = {0};
    r.n = n;
    const qspec *q = c->q;
    if (q->kind == QK_INT && !q->symmetric) {
        qminmax(x, n, &r.lo, &r.hi);
    } else if (q->kind == QK_INT && q->bits == 1) {
        r.sumabs = qsumabs(x, n);
    } else if (q->kind == QK_QUEST) {
        double rms = quest_rms(x, n);
        r.sumsq = rms * rms * (double)n;
    } else {
        r.amax = qabsmax(x, n);
    }
    return r;
}

static void raw_add(raw_stats *a, const raw_stats *b) {
    a->amax = b->amax > a->amax ? b->amax : a->amax;
    a->lo = b->lo < a->lo ? b->lo : a->lo;
    a->hi = b->hi > a->hi ? b->hi : a->hi;
    a->sumabs += b->sumabs;
    a->sumsq += b->sumsq;
    a->n += b->n;
}

static seg_params params_of(const ctx *c, const raw_stats *r) {
    seg_params p = {0};
    const qspec *q = c->q;
    switch (q->kind) {
    case QK_INT:
        if (q->symmetric)
            p.ip = qint_params_sym(q->bits, r->amax, r->n ? (float)(r->sumabs / (double)r->n) : 0);
        else
            p.ip = qint_params_asym(q->bits, r->lo, r->hi);
        break;
    case QK_FP:
        p.scale = q->scaled ? r->amax / c->fmt.maxval : 1.0f;
        break;
    case QK_NVFP4:
        p.scale = qnvfp4_tensor_scale(r->amax);
        break;
    case QK_QUEST:
        p.sigma = r->n ? sqrt(r->sumsq / (double)r->n) : 0.0;
        break;
    default:
        break;
    }
    return p;
}

/* Quantize one segment (in place on y, which already holds the input for QuEST). */
static size_t apply(const ctx *c, const seg_params *p, const float *x, float *y, size_t n,
                    uint8_t *pass, size_t *masked, size_t base) {
    const qspec *q = c->q;
    size_t clipped = 0;
    switch (q->kind) {
    case QK_INT:
        clipped = q->stochastic ? qint_quant_array_sr(&p->ip, x, y, n, pass, q->seed, base)
                                : qint_quant_array(&p->ip, x, y, n, pass);
        break;
    case QK_FP:
        if (q->scaled && !(p->scale > 0.0f)) {
            if (y != x) memmove(y, x, n * sizeof *x);
            if (pass) memset(pass, 1, n);
        } else if (q->stochastic) {
            clipped = qfp_round_array_sr(&c->fmt, x, y, n, p->scale, pass, q->seed, base);
        } else {
            clipped = qfp_round_array(&c->fmt, x, y, n, p->scale, pass);
        }
        break;
    case QK_NVFP4:
        clipped = qnvfp4_quant_seg(&c->e4m3, &c->fmt, p->scale, x, y, n, pass);
        break;
    case QK_QUEST:
        return quest_quant_segment(q, y, n, p->sigma, pass, masked);
    default:
        break;
    }
    *masked += clipped;
    return clipped;
}

static size_t seg_len(const qspec *q, size_t cols) {
    return q->granularity == QG_GROUP && q->group < cols ? q->group : cols;
}

int qspec_fake_quant(const qspec *q, const float *x, float *y, size_t rows, size_t cols,
                     uint8_t *pass_mask, qstats *stats) {
    if (qspec_check(q, rows, cols, NULL, 0)) return -1;
    const size_t n = rows * cols;
    if (n == 0) return 0;
    ctx c = {.q = q};
    char err[128];
    if (q->kind == QK_FP || (q->kind == QK_MX && q->e > 0))
        qfp_format_init(&c.fmt, q->e, q->m, q->special, err, sizeof err);
    if (q->kind == QK_NVFP4) {
        qfp_format_init(&c.fmt, 2, 1, QFP_FINITE, err, sizeof err);
        qfp_format_init(&c.e4m3, 4, 3, QFP_FN, err, sizeof err);
    }
    const int par = n >= PAR_MIN;
    (void)par; /* unused when built without OpenMP */
    const int quest = q->kind == QK_QUEST;
    size_t clipped = 0, masked = 0;

    if (q->kind == QK_NONE) {
        if (y != x) memmove(y, x, n * sizeof *x);
        if (pass_mask) memset(pass_mask, 1, n);
        goto done;
    }
    if (q->kind == QK_MX) {
#pragma omp parallel for schedule(static) reduction(+ : clipped) if (par)
        for (size_t r = 0; r < rows; r++)
            clipped += qmx_quant_row(q, &c.fmt, x + r * cols, y + r * cols, cols,
                                     pass_mask ? pass_mask + r * cols : NULL);
        masked = clipped;
        goto done;
    }

    const size_t hb = qhadamard_block(cols);
    if (quest) {
        /* Rotate into y first; the quantizer then works in place on the rotated rows. */
#pragma omp parallel for schedule(static) if (par)
        for (size_t r = 0; r < rows; r++) {
            if (y != x) memcpy(y + r * cols, x + r * cols, cols * sizeof *x);
            /* the transform directly: qhadamard_rows would open a (serialised) parallel
             * region per row, which costs more than the row */
            for (size_t c0 = 0; c0 < cols; c0 += hb) qhadamard_fwht(y + r * cols + c0, hb);
        }
    }
    const float *src = quest ? y : x;

    if (q->kind == QK_FP && !q->scaled) {
        /* plain rounding (bf16, fp16, :noscale): no statistics to gather */
        seg_params p = {.scale = 1.0f};
#pragma omp parallel for schedule(static) reduction(+ : clipped, masked) if (par)
        for (size_t r = 0; r < rows; r++)
            clipped += apply(&c, &p, x + r * cols, y + r * cols, cols,
                             pass_mask ? pass_mask + r * cols : NULL, &masked, r * cols);
    } else if (q->granularity == QG_TENSOR) {
        raw_stats *rs = malloc(rows * sizeof *rs);
        if (!rs) return -1;
#pragma omp parallel for schedule(static) if (par)
        for (size_t r = 0; r < rows; r++) rs[r] = raw_of(&c, src + r * cols, cols);
        raw_stats tot = rs[0];
        for (size_t r = 1; r < rows; r++) raw_add(&tot, &rs[r]);
        free(rs);
        seg_params p = params_of(&c, &tot);
#pragma omp parallel for schedule(static) reduction(+ : clipped, masked) if (par)
        for (size_t r = 0; r < rows; r++)
            clipped += apply(&c, &p, src + r * cols, y + r * cols, cols,
                             pass_mask ? pass_mask + r * cols : NULL, &masked, r * cols);
    } else {
        const size_t g = seg_len(q, cols);
#pragma omp parallel for schedule(static) reduction(+ : clipped, masked) if (par)
        for (size_t r = 0; r < rows; r++) {
            for (size_t c0 = 0; c0 < cols; c0 += g) {
                size_t len = cols - c0 < g ? cols - c0 : g;
                size_t off = r * cols + c0;
                raw_stats rs = raw_of(&c, src + off, len);
                seg_params p = params_of(&c, &rs);
                clipped += apply(&c, &p, src + off, y + off, len,
                                 pass_mask ? pass_mask + off : NULL, &masked, off);
            }
        }
    }
    if (quest && q->basis == QB_ORIGINAL) qhadamard_rows(y, rows, cols);

done:
    if (stats) {
        stats->total += n;
        stats->clipped += clipped;
        stats->masked += masked;
    }
    return 0;
}

void qspec_backward(const qspec *q, const float *dy, float *dx, size_t rows, size_t cols,
                    const uint8_t *pass_mask, int use_mask) {
    const size_t n = rows * cols;
    if (dx != dy) memmove(dx, dy, n * sizeof *dy);
    const int quest = q->kind == QK_QUEST;
    const int masking = use_mask && pass_mask;
    if (quest && q->basis == QB_ORIGINAL && !masking) return; /* H H = I */
    if (quest && q->basis == QB_ORIGINAL) qhadamard_rows(dx, rows, cols);
    if (masking) {
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
        for (size_t i = 0; i < n; i++) dx[i] = pass_mask[i] ? dx[i] : 0.0f;
    }
    if (quest) qhadamard_rows(dx, rows, cols);
}
