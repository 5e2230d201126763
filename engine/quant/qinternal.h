/* Pieces shared between the quant/ files; not part of the public API. */
#ifndef PSL_QUANT_INTERNAL_H
#define PSL_QUANT_INTERNAL_H

#include "quant/quant.h"

/* Reductions over n floats ignoring NaN, in a fixed lane order so that they vectorise
 * and give the same result either way. Empty or all-NaN input: amax 0, lo +Inf, hi -Inf. */
float qabsmax(const float *x, size_t n);
void qminmax(const float *x, size_t n, float *lo, float *hi);
double qsumabs(const float *x, size_t n);

/* qfp_round_array with one scale per element: y = sc * round(x / sc). */
size_t qfp_round_array_v(const qfp_format *f, const float *x, float *y, size_t n, const float *sc,
                         uint8_t *pass);
/* Largest |x| of each block of bs consecutive values (the last may be shorter), NaN
 * ignored, written to amax[n / bs rounded up]. */
void qblock_absmax(const float *x, size_t n, size_t bs, float *amax);

/* One row of an MX format: blocks of q->block along the row (a shorter last block when
 * n is not a multiple). elem is the element format (unused for MXINT8). */
size_t qmx_quant_row(const qspec *q, const qfp_format *elem, const float *x, float *y, size_t n,
                     uint8_t *pass);
/* One granule segment of NVFP4 with tensor scale ts, blocks of 16 from its start. */
size_t qnvfp4_quant_seg(const qfp_format *e4m3, const qfp_format *e2m1, float ts, const float *x,
                        float *y, size_t n, uint8_t *pass);

/* Stochastic-rounding segments; base is the row-major index of x[0] in the matrix. */
size_t qint_quant_array_sr(const qint_params *p, const float *x, float *y, size_t n, uint8_t *pass,
                           uint64_t seed, uint64_t base);
size_t qfp_round_array_sr(const qfp_format *f, const float *x, float *y, size_t n, float scale,
                          uint8_t *pass, uint64_t seed, uint64_t base);

/* ------------------------------------------------------------- the table of kinds ---- */

/* Per-call state of qspec_fake_quant: element formats set up once (qkind_ops.init). */
typedef struct qctx {
    const qspec *q;
    qfp_format fmt;  /* FP element / MX element / NVFP4 E2M1 */
    qfp_format e4m3; /* NVFP4 block scale */
} qctx;

/* Raw statistics of a row or segment, combinable in a fixed order (qraw_add). */
typedef struct qraw {
    float amax, lo, hi;
    double sumabs, sumsq;
    size_t n;
} qraw;
void qraw_add(qraw *a, const qraw *b);

/* The shared scale of one granule. */
typedef struct qseg {
    qint_params ip; /* INT */
    float scale;    /* FP scaled: amax / maxval; NVFP4: tensor scale */
    double sigma;   /* QuEST */
} qseg;

/* One row of functions per kind: everything qspec_parse, qspec_check, qspec_name,
 * qspec_fake_quant and qspec_backward do that depends on the kind. NULL where a kind has
 * nothing to do (noted per field). docs/formats.md, "Adding a format". */
typedef struct qkind_ops {
    const char *label; /* "INT", "FP", ... */
    /* A modifier this kind owns (":sr", ":rotated", ...): 0 taken, -1 wrong (message),
     * 1 not one of this kind's. NULL: the kind takes no modifiers besides granularity. */
    int (*modifier)(qspec *q, const char *mod, char *err, size_t errlen);
    /* Whether q takes a granularity: 0 yes; -1 no, with a message about modifier mod when
     * err is not NULL. Decides both the modifier and its place in the canonical name. */
    int (*granular)(const qspec *q, const char *mod, char *err, size_t errlen);
    /* Kind-specific validity (bits in range, layout): a message or NULL. NULL: none. */
    const char *(*check)(const qspec *q);
    int stochastic; /* accepts :sr */
    /* The canonical format word ("int4", "e3m2:noscale", "mxfp4") and the kind's own
     * modifiers after the granularity (":rangemask", QuEST's masks and basis). */
    void (*name)(const qspec *q, char *b, size_t n);
    void (*suffix)(const qspec *q, char *b, size_t n);
    /* Element formats into c (NULL: none). */
    void (*init)(qctx *c);
    /* The whole matrix of n values at once (fp32's copy), or whole rows with fixed blocks
     * (MX): returns the clipped count, which is also the masked count. When one is set,
     * the granule functions below are unused. */
    size_t (*matrix)(const qctx *c, const float *x, float *y, size_t n, uint8_t *pass);
    size_t (*row)(const qctx *c, const float *x, float *y, size_t n, uint8_t *pass);
    /* Granules: 1 when q needs no statistics (plain rounding: scale from params of a zero
     * qraw), else NULL or 0. */
    int (*plain)(const qspec *q);
    int hadamard; /* rows are rotated before (and, original basis, after) quantizing */
    qraw (*stats)(const qctx *c, const float *x, size_t n);
    qseg (*params)(const qctx *c, const qraw *r);
    /* Quantize one segment of n values (base: row-major index of x[0]); y may equal x
     * (hadamard kinds: always). Returns the clipped count; adds the masked count. */
    size_t (*segment)(const qctx *c, const qseg *p, const float *x, float *y, size_t n,
                      uint8_t *pass, size_t *masked, size_t base);
    /* One row of cols values in granules of g (the last may be shorter): stats, params and
     * segment of each, in that order (QGRANULES in qkind.c makes it from the three, so
     * that they inline: one call per row instead of three per granule). */
    size_t (*granules)(const qctx *c, const float *x, float *y, size_t cols, size_t g,
                       uint8_t *pass, size_t *masked, size_t base);
    /* dx (already a copy of dy) -> dL/dx when it differs from straight-through / mask
     * (QuEST's rotations); NULL: dx = dy or mask * dy. */
    void (*backward)(const qspec *q, float *dx, size_t rows, size_t cols, const uint8_t *pass,
                     int masking);
    /* What code outside quant/ asks of a kind (the qspec_* queries of quant.h; 0 = no): */
    int identity;     /* nothing is quantized (fp32's copy) */
    int blocks;       /* scales shared by blocks of q->block elements along a row */
    int own_gran;     /* QAT's granularity knobs leave its granularity (per row, fixed blocks) */
    int trust;        /* QuEST's trust mask: backward=trust, auto; clipped is its clip mask */
    int symmetry;     /* q->symmetric chooses absmax or min-max with a zero point */
    int bits_in_name; /* the canonical name is a word and the bit count (int4, quest4) */
    int ptq;          /* PTQ may round weights to it (a spec of plain rounding excepted) */
} qkind_ops;

/* The row of a kind; NULL for a number that is no kind. */
const qkind_ops *qkind_ops_of(qkind kind);

/* dx[i] = pass[i] ? dx[i] : 0 over n values (OpenMP above the parallel threshold). */
void qmask_apply(float *dx, const uint8_t *pass, size_t n);

/* Whole decimal integer (0..1e9) or -1; non-negative real or -1 (qspec.c). */
long qparse_uint(const char *s);
int qparse_real(const char *s, double *out);
/* Granularity words: "tensor", "row", "channel", "token", "g<N>" (N >= 1). */
int qis_granularity(const char *s);

#endif
