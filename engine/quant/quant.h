/* Number formats for simulated ("fake") quantization: INTk, FP ExMy, MX blocks, NVFP4
 * and QuEST. One table of formats (qformat.c), one parser (qspec_parse) and one entry
 * point (qspec_fake_quant) that the model calls on a row-major rows x cols matrix whose
 * cols are the reduction dimension. Every function here is reentrant: no static scratch,
 * no global state, so several threads may quantize different tensors at once.
 * docs/formats.md describes each format, the naming grammar and the choices made. */
#ifndef PSL_QUANT_H
#define PSL_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- FP ExMy element ---- */

/* How the top exponent code is used. */
typedef enum qfp_special {
    QFP_IEEE = 0,   /* top exponent: Inf (mantissa 0) and NaN (FP16, BF16, OCP E5M2) */
    QFP_FN = 1,     /* no Inf; only S.1..1.1..1 is NaN (OCP E4M3); needs m >= 1 */
    QFP_FINITE = 2, /* every code is a finite number, no Inf, no NaN (OCP FP6, FP4) */
} qfp_special;

typedef struct qfp_format {
    int e, m;            /* exponent and mantissa bits; sign bit is 1 + e + m - 1 */
    qfp_special special; /* use of the top exponent code */
    int bias;            /* 2^(e-1) - 1 */
    int emin;            /* unbiased exponent of the smallest normal, 1 - bias */
    int emax;            /* unbiased exponent of the largest finite value */
    float maxval;        /* largest finite value (see docs for e > 8: capped to float32) */
    float min_normal;    /* 2^emin, 0 when below float32 range */
    float min_sub;       /* 2^(emin - m), 0 when below float32 range */
    float clip;          /* |v| > clip is saturated (beyond max + half an ulp) */
    int path;            /* internal: which exact rounding kernel applies */
} qfp_format;

/* Set up ExMy (e >= 1, m >= 0, 1 + e + m <= 16). Returns 0, or -1 with a message. */
int qfp_format_init(qfp_format *f, int e, int m, qfp_special special, char *err, size_t errlen);
/* The OCP convention for this (e, m) when OCP defines it, else the project default
 * (IEEE for 9..16-bit formats, all-finite for <= 8 bits): see docs/formats.md. */
qfp_special qfp_default_special(int e, int m);

/* Nearest representable value, ties to even, saturating at +-maxval (Inf -> maxval),
 * NaN returned unchanged, sign of zero kept. The one rounding routine of every FP format. */
float qfp_round(const qfp_format *f, float x);
/* y[i] = scale * round(x[i] / scale) (scale == 1: plain rounding). x may equal y.
 * pass (may be NULL) gets 1 where |x/scale| <= clip. Returns the number of clipped entries. */
size_t qfp_round_array(const qfp_format *f, const float *x, float *y, size_t n, float scale,
                       uint8_t *pass);
/* Bit pattern of round(x): sign at bit e+m, then exponent, then mantissa. NaN has no code
 * in QFP_FINITE formats: returns -1 there; otherwise 0. */
int qfp_encode(const qfp_format *f, float x, uint32_t *code);
float qfp_decode(const qfp_format *f, uint32_t code);

/* ------------------------------------------------------------------------- INTk ------ */

/* Symmetric absmax: scale = amax / (2^(k-1) - 1), levels -qmax..qmax (k = 1: +-mean|x|).
 * Asymmetric min-max over [min(x,0), max(x,0)]: scale = (hi - lo) / (2^k - 1) and an
 * integer zero point. Round half to even, clamp. */
typedef struct qint_params {
    float scale;  /* step between levels */
    int32_t zero; /* code of 0.0 (asymmetric), 0 for symmetric */
    int32_t qmin, qmax;
    int onebit; /* symmetric 1-bit: codes -1, +1 (no zero level) */
} qint_params;

qint_params qint_params_sym(int bits, float amax, float mean_abs);
qint_params qint_params_asym(int bits, float lo, float hi);
/* y = scale * (clamp(rne(x / scale) + zero, qmin, qmax) - zero); returns clipped count. */
size_t qint_quant_array(const qint_params *p, const float *x, float *y, size_t n, uint8_t *pass);
int32_t qint_encode(const qint_params *p, float x);
float qint_decode(const qint_params *p, int32_t code);

/* ------------------------------------------------------------- MX and NVFP4 ------- */

/* OCP MX v1.0 shared exponent: floor(log2 amax) - emax_elem, clamped to E8M0's
 * [-127, 127] (amax > 0; Inf gives 127). The block scale is 2^result. */
int qmx_shared_exp(float amax, int emax_elem);
/* 2^k as a float for -149 <= k <= 127 (subnormal below -126), exactly. */
float qpow2f(int k);
/* NVFP4 two-level scale: tensor (granule) scale s_t = tensor_amax / (6 * 448) in FP32;
 * block scale s_b = E4M3(block_amax / 6 / s_t); elements use S = s_b * s_t. */
float qnvfp4_tensor_scale(float tensor_amax);
float qnvfp4_block_scale(float block_amax, float tensor_scale);

/* --------------------------------------------------------------- Walsh-Hadamard ------ */

/* Largest power of two dividing cols, at most 128 (QuEST's block). */
size_t qhadamard_block(size_t cols);
/* In-place orthonormal fast Walsh-Hadamard transform of n floats (n a power of two),
 * scaled by 1/sqrt(n) so that applying it twice gives the input back. */
void qhadamard_fwht(float *x, size_t n);
/* Block-diagonal transform of every row of a row-major rows x cols matrix (blocks of
 * qhadamard_block(cols)); in place; its own inverse. */
void qhadamard_rows(float *x, size_t rows, size_t cols);

/* ------------------------------------------------------------------------ QuEST ------ */

#define QUEST_MAX_BITS 8
/* Half-width of the MSE-optimal clip range of a b-bit mid-rise quantizer for N(0,1),
 * b = 1..8, as computed by this project (exact Gaussian integrals, 1e-9). 0 otherwise. */
double quest_alpha(int bits);
/* The constants printed in the QuEST paper and code. They agree with quest_alpha for
 * b = 1 and 3 only (up to 0.037 apart at b = 8; docs/formats.md). */
double quest_alpha_paper(int bits);
/* Quantize n rotated values in place with clip s = alpha * sigma on the n-level
 * mid-rise grid (n = 2^bits); pass (may be NULL) gets the mask q->mask asks for.
 * Returns the number of entries with |xh| > s. */
struct qspec;
size_t quest_quant_segment(const struct qspec *q, float *xh, size_t n, double sigma, uint8_t *pass,
                           size_t *masked);
/* sqrt(mean(x^2)) accumulated in double in a fixed lane order (same result whether or
 * not the loop is vectorised). */
double quest_rms(const float *x, size_t n);
/* W1A1 clip-mask factor: |xh| <= QUEST_W1A1_CLIP * alpha(1) * sigma passes. */
#define QUEST_W1A1_CLIP 1.30

/* ------------------------------------------------------------------ format table ----- */

/* The numbers of the kinds are fixed and never reused: a removed kind leaves a hole, a new
 * kind takes the next free number. Run files and checkpoints record formats by their
 * canonical text (qspec_name), not by these numbers, but the CUDA quantizer and any log
 * may carry them, and qformat.c's table of kinds is indexed by them. */
typedef enum qkind {
    QK_NONE = 0,  /* fp32: no quantization */
    QK_INT = 1,   /* INTk symmetric or asymmetric */
    QK_FP = 2,    /* ExMy, optionally scaled per granule */
    QK_MX = 3,    /* OCP MX block: 32 elements, E8M0 scale; FP or INT8 elements */
    QK_NVFP4 = 4, /* E2M1, blocks of 16, E4M3 block scale, FP32 scale per granule */
    QK_QUEST = 5, /* Hadamard + RMS clip + mid-rise grid + trust mask */
} qkind;
#define QK_COUNT 6 /* one past the largest kind number in use */

typedef enum qgran {
    QG_TENSOR = 0, /* one scale for the whole matrix */
    QG_ROW,        /* one per row (output channel of a weight, token of an activation) */
    QG_GROUP,      /* one per group of `group` consecutive elements along a row */
} qgran;

typedef enum qmask {
    QM_DEFAULT = 0, /* trust mask for QuEST, range mask for the others */
    QM_RANGE,       /* 1 where the value was not clipped/saturated */
    QM_TRUST,       /* QuEST: |q - xh| <= trust * sigma */
    QM_CLIP,        /* QuEST: |xh| <= clip_factor * alpha * sigma (the W1A1 variant) */
} qmask;

typedef enum qbasis {
    QB_ORIGINAL = 0, /* QuEST output rotated back: y approximates x */
    QB_ROTATED,      /* QuEST output left in the Hadamard basis (half-Hadamard form) */
} qbasis;

/* One row of the table of named formats (ggml type-traits style). Parametric families
 * (intK, uintK, eXmY, questB) are listed once with bits = 0. What a format does (parse
 * its modifiers, statistics, scale, quantize a segment, backward, canonical name) is the
 * row of its kind in the table of kinds (qinternal.h, qformat.c); docs/formats.md says
 * how to add a format. */
struct qformat_traits;
typedef int (*qformat_parse_fn)(const struct qformat_traits *t, const char *word, struct qspec *q,
                                char *err, size_t errlen);
typedef struct qformat_traits {
    const char *name; /* canonical spelling accepted by qspec_parse */
    qkind kind;
    int bits;               /* element bits (0: given in the name) */
    int e, m;               /* element format for FP/MX/NVFP4 (MXINT8: e = 0) */
    qfp_special special;    /* element special-value convention */
    int block;              /* elements per shared scale: MX 32, NVFP4 16, else 0 */
    int scaled;             /* FP: default per-granule absmax scaling on */
    const char *scale_rule; /* one line for docs and logs */
    /* One element in units of its shared scale (v = x / scale; for uintK v already
     * includes the zero point; for QuEST v = xh / step): the element's code and back.
     * encode returns -1 where the value has no code (NaN in a finite format). */
    int (*encode)(const struct qspec *q, float v, uint32_t *code);
    float (*decode)(const struct qspec *q, uint32_t code);
    const char *alias;      /* a second accepted spelling ("none", "mxfp8"), or NULL */
    const char *syntax;     /* how the list of accepted formats shows a family ("int<K>") */
    int min_bits, max_bits; /* a family: the range of the number in its name */
    /* A family: parse a format word. 1: not of this family; 0: q's format fields set;
     * -1: of this family but wrong, with a message. Named rows: NULL. */
    qformat_parse_fn parse;
    /* The sweeps/prelude.lua constructor (int, fp, mx, nvfp, quest) that picks this format
     * by its bit count (fp{w=4} is e2m1), or NULL. For a family, every member in
     * min_bits..max_bits, or only the space-separated members listed in prelude_members. */
    const char *prelude;
    const char *prelude_members;
} qformat_traits;

const qformat_traits *qformat_table(size_t *count);
const qformat_traits *qformat_find(const char *name);
/* The accepted format words, from the table: "fp32, bf16, ..., nvfp4 or quest<B>". */
void qformat_accepted(char *buf, size_t len);
/* The format a prelude constructor picks for a bit count ("fp", 4 -> "e2m1"), written to
 * buf; 0, or -1 when it picks none. */
int qformat_for_bits(const char *constructor, int bits, char *buf, size_t len);

/* ------------------------------------------------------------------------ qspec ------ */

typedef struct qspec {
    qkind kind;
    int bits;            /* total element bits */
    int e, m;            /* FP/MX element layout (MXINT8: e = 0, m = 7) */
    qfp_special special; /* FP element convention */
    int symmetric;       /* INT: 1 absmax, 0 min-max with zero point */
    int scaled;          /* FP: 1 per-granule absmax scale to maxval, 0 plain rounding */
    qgran granularity;   /* scale sharing for INT, FP, QuEST, NVFP4 tensor scale */
    size_t group;        /* QG_GROUP: elements per group along a row */
    int block;           /* MX 32, NVFP4 16 */
    qmask mask;          /* what pass_mask reports */
    double alpha;        /* QuEST clip half-width in units of sigma (0: quest_alpha(bits)) */
    int alpha_paper;     /* QuEST: alpha from the paper's table (modifier alpha=paper) */
    double trust;        /* QuEST trust factor in units of sigma; <= 0 means default */
    double clip_factor;  /* QuEST clip mask factor (default QUEST_W1A1_CLIP) */
    qbasis basis;        /* QuEST output basis */
    int stochastic;      /* INT/FP: stochastic rounding (modifier :sr), e.g. for gradients */
    uint64_t seed;       /* stochastic rounding: the caller sets a new seed per call */
    char name[64];       /* canonical text of the spec, e.g. "int4:row" */
} qspec;

/* Counts accumulated (added to) by qspec_fake_quant. */
typedef struct qstats {
    uint64_t total;   /* entries quantized */
    uint64_t clipped; /* entries beyond the representable / clip range (saturated) */
    uint64_t masked;  /* entries whose pass_mask is 0 */
} qstats;

/* Parse "FORMAT[:MOD]..." (grammar in docs/formats.md), e.g. "int4", "int8:row",
 * "uint4:g128", "e4m3", "fp6_e3m2:noscale", "mxfp4", "nvfp4", "quest4",
 * "quest1:clipmask", "quest4:rotated". Returns 0, or -1 with a message naming the part
 * that is wrong and what was expected. */
int qspec_parse(const char *text, qspec *out, char *err, size_t errlen);
/* The one granularity grammar, for format text (int4:g128), the knobs (w_gran, a_gran,
 * kv_gran, ptq_gran) and sweep ptq: "tensor"; "row", "channel" or "token" (one scale per
 * row: a weight's output channel, an activation's token); "g<N>" or "group:N" (groups
 * of N consecutive elements along a row); "group" alone means default_group (0: not
 * accepted). In format text only g<N> fits, since ':' separates modifiers there. Returns
 * 0, or -1 with a message listing the grammar (err may be NULL). */
#define QGRAN_MAX_GROUP (1 << 20)
int qgran_parse(const char *text, size_t default_group, qgran *g, size_t *group, char *err,
                size_t errlen);
/* Granularity alone, into q (qgran_parse without "group"). */
int qspec_set_granularity(qspec *q, const char *text, char *err, size_t errlen);
/* Check a spec against a matrix shape (group must divide cols... see docs). */
int qspec_check(const qspec *q, size_t rows, size_t cols, char *err, size_t errlen);
/* Write the canonical text of q into q->name. */
void qspec_name(qspec *q);

/* What code outside quant/ asks of a spec's kind, answered by the kind's row in the table
 * of kinds (qkind.c), so that a new format is a row there and no caller tests q->kind.
 * Each is 1 or 0 (0 also for a number that is no kind):
 *   quantizes        0 for fp32, which copies
 *   has_blocks       scales shared by blocks of q->block along a row (MX, NVFP4)
 *   fixed_blocks     the blocks are its only granularity (MX)
 *   own_granularity  QAT's granularity knobs (w_gran, a_gran, kv_gran) leave it: QuEST is
 *                    per row as in its paper, MX has its blocks (format text may set one)
 *   trust_mask       QuEST's trust mask, what backward=trust and auto use; its
 *                    backward=clipped is the clip mask
 *   takes_sr         stochastic rounding (:sr; INT, FP): the formats gradients take
 *   has_symmetry     q->symmetric picks absmax or min-max with a zero point (INT)
 *   bits_in_name     the canonical name is a word and the bit count (int4, uint4, quest4)
 *   ptq_weight       PTQ rounds weights to it: INT, scaled FP, MX, NVFP4 (not fp32, QuEST
 *                    or unscaled FP) */
int qspec_quantizes(const qspec *q);
int qspec_has_blocks(const qspec *q);
int qspec_fixed_blocks(const qspec *q);
int qspec_own_granularity(const qspec *q);
int qspec_trust_mask(const qspec *q);
int qspec_takes_sr(const qspec *q);
int qspec_has_symmetry(const qspec *q);
int qspec_bits_in_name(const qspec *q);
int qspec_ptq_weight(const qspec *q);

/* Fake-quantize the row-major rows x cols matrix x into y (y may equal x).
 * pass_mask (rows*cols, may be NULL) gets 1 where the gradient passes: the range mask for
 * INT/FP/MX/NVFP4, the trust (or clip) mask for QuEST, in QuEST's rotated basis.
 * stats (may be NULL) is added to. Returns 0, or -1 when q is invalid for this shape.
 * OpenMP over rows inside; deterministic and independent of the thread count. */
int qspec_fake_quant(const qspec *q, const float *x, float *y, size_t rows, size_t cols,
                     uint8_t *pass_mask, qstats *stats);

/* Stochastic rounding (":sr", INT and FP only): each value goes to one of its two
 * neighbours on the grid with probability proportional to closeness, so E[q(x)] = x
 * inside the range (beyond it: saturation). The random number of entry i (row-major index
 * in the matrix) is a hash of (q->seed, i): results are deterministic and independent of
 * threads; change q->seed between calls. */
uint32_t qsr_hash(uint64_t seed, uint64_t index);

/* Backward of the fake quantizer for dL/dy -> dL/dx (dx may equal dy).
 * use_mask = 0: straight-through; 1: multiply by pass_mask (clipped STE / trust mask).
 * For QuEST the rotations are undone: ORIGINAL basis dx = H(mask * H dy), ROTATED basis
 * dx = H(mask * dy). For other formats dx = mask * dy or dy. */
void qspec_backward(const qspec *q, const float *dy, float *dx, size_t rows, size_t cols,
                    const uint8_t *pass_mask, int use_mask);

#endif
