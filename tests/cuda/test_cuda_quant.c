/* The device fake quantizers (engine/cuda/quant.cu) against the CPU's qspec_fake_quant
 * and qspec_backward (engine/quant): every output must be bit-identical. For each case
 * the test compares, with memcmp, the quantized matrix y, the pass mask, the three
 * counts of qstats, the backward with and without the mask (and in place), the forward
 * in place with NULL mask and stats, and a second GPU call (repeat determinism).
 *
 * Cases:
 *  (a) exhaustive code tables: every FP ExMy format with 1 + e + m <= 8 in every
 *      special-value convention qfp_format_init accepts, and bf16, fp16, e8m0..e8m6, the
 *      double-path formats e9..e15 and a few other wide ones: every code's value, every
 *      midpoint between neighbours (ties), one float above and below each, +-0, +-Inf,
 *      NaNs of several payloads (signalling too), float subnormals, beyond max; each as
 *      :noscale (plain rounding), scaled per group of 16 and :noscale:sr. INTk,
 *      k = 1..8, symmetric and asymmetric, per row with exact power-of-two scales over a
 *      grid of quarter steps (so .5 ties are exact) and one float beside each tie;
 *      per row, per tensor and with :sr;
 *  (b) random tensors, Gaussian, heavy-tailed (Student-t, 3 dof, with huge outliers,
 *      zero rows and NaN) and special (rows of zeros, NaN, Inf, subnormals, huge
 *      values, constants), for every named format of qformat_table() and a list of
 *      specs covering every modifier, on shapes from 1x1 to the model's 8192x512;
 *  (c) each case twice on the GPU: bit-identical.
 * Also: a spec that qspec_check refuses is refused by the GPU too.
 *
 * NaN payloads are compared bit for bit too (the device emulates x86's NaN rules, see
 * quant.cu). One case is left out by construction: a Hadamard block (QuEST) holding two
 * NaNs of different payloads that meet in one addition (e.g. a NaN input and two
 * infinities of the same sign, whose difference makes x86's default NaN). x86 then
 * returns the first operand's NaN and the CPU compiler may swap the operands of a + b,
 * so the CPU itself is not defined there; the inputs hold at most one NaN or one Inf
 * per row. No other bound is used: everything else must be bit-identical.
 *
 * Prints a table (and writes it to the file PSL_CUDA_TABLE names, when set), then the
 * device time per call (cudaEvent, median of 10) of a few formats on activation-sized
 * matrices. PSL_CUDA_TEST_SHAPES=n keeps the first n random-tensor shapes, the
 * formats of at most 8 bits in (a), and skips the timings (for compute-sanitizer).
 * Exits 77 (CTest SKIP) without a CUDA device, 1 on any mismatch. */
#include <cuda_runtime.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h" /* the context's stream, for the timings */
#include "kernels.h"
#include "quant/quant.h"
#include "rng.h"

static psl_cuda *ctx;
static int failures;
static int quick; /* PSL_CUDA_TEST_SHAPES set */
static FILE *table;

#define CK(call)                                                                                   \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, psl_cuda_last_error(ctx));          \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define CU(call)                                                                                   \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}
static void *dev(size_t bytes) {
    void *p;
    CK(psl_cuda_alloc(ctx, &p, bytes));
    return p;
}
static float bits_to_f(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t f_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* ------------------------------------------------------------ result table ---- */

typedef struct agg {
    char section[12], label[64];
    int cases;
    uint64_t entries;
    int y_bad, pass_bad, stats_bad, bwd_bad, rep_bad, inpl_bad, refused_bad;
} agg;

static agg *rows_;
static size_t nrows_, caprows_;

static agg *agg_for(const char *section, const char *label) {
    for (size_t i = 0; i < nrows_; i++)
        if (!strcmp(rows_[i].section, section) && !strcmp(rows_[i].label, label)) return &rows_[i];
    if (nrows_ == caprows_) {
        caprows_ = caprows_ ? 2 * caprows_ : 256;
        rows_ = realloc(rows_, caprows_ * sizeof *rows_);
        if (!rows_) exit(1);
    }
    agg *a = &rows_[nrows_++];
    memset(a, 0, sizeof *a);
    snprintf(a->section, sizeof a->section, "%s", section);
    snprintf(a->label, sizeof a->label, "%s", label);
    return a;
}

/* ---------------------------------------------------------- device buffers ---- */

static float *d_x, *d_y, *d_y2, *d_dy, *d_dx;
static uint8_t *d_pass, *d_pass2, *d_pmask;
static qstats *d_st;
static void *d_scratch;
static size_t scratch_cap, dev_cap;
static float *h_y, *h_y2, *h_dx, *c_y, *c_dx;
static uint8_t *h_pass, *h_pass2, *c_pass;

static void buffers(size_t n) {
    if (n <= dev_cap) return;
    psl_cuda_free(ctx, d_x);
    psl_cuda_free(ctx, d_y);
    psl_cuda_free(ctx, d_y2);
    psl_cuda_free(ctx, d_dy);
    psl_cuda_free(ctx, d_dx);
    psl_cuda_free(ctx, d_pass);
    psl_cuda_free(ctx, d_pass2);
    psl_cuda_free(ctx, d_pmask);
    free(h_y), free(h_y2), free(h_dx), free(c_y), free(c_dx);
    free(h_pass), free(h_pass2), free(c_pass);
    d_x = dev(n * 4), d_y = dev(n * 4), d_y2 = dev(n * 4), d_dy = dev(n * 4), d_dx = dev(n * 4);
    d_pass = dev(n), d_pass2 = dev(n), d_pmask = dev(n);
    h_y = xmalloc(n * 4), h_y2 = xmalloc(n * 4), h_dx = xmalloc(n * 4);
    c_y = xmalloc(n * 4), c_dx = xmalloc(n * 4);
    h_pass = xmalloc(n), h_pass2 = xmalloc(n), c_pass = xmalloc(n);
    dev_cap = n;
}

static void *scratch_for(const qspec *q, size_t rows, size_t cols) {
    size_t b = psl_cuda_quant_scratch_bytes(q, rows, cols);
    if (b > scratch_cap) {
        psl_cuda_free(ctx, d_scratch);
        d_scratch = dev(b);
        scratch_cap = b;
    }
    return b ? d_scratch : NULL;
}

static void garbage(void *d, size_t bytes) {
    CU(cudaMemsetAsync(d, 0xA5, bytes, ctx->stream));
}

/* First difference of two float arrays, for the message. */
static void report_diff(const char *what, const char *label, size_t rows, size_t cols,
                        const float *x, const float *cpu, const float *gpu, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (f_to_bits(cpu[i]) != f_to_bits(gpu[i])) {
            fprintf(stderr,
                    "MISMATCH %s %s %zux%zu at %zu (row %zu col %zu): x=%.9g (%08x) cpu=%.9g "
                    "(%08x) gpu=%.9g (%08x)\n",
                    what, label, rows, cols, i, i / cols, i % cols, x ? x[i] : 0.0,
                    x ? f_to_bits(x[i]) : 0u, cpu[i], f_to_bits(cpu[i]), gpu[i], f_to_bits(gpu[i]));
            return;
        }
}

/* One case: CPU against GPU, everything bit for bit. Returns 0 when all agree. */
static int run_case(const char *section, const char *label, const qspec *q, const float *x,
                    const float *dy, size_t rows, size_t cols) {
    agg *a = agg_for(section, label);
    const size_t n = rows * cols;
    buffers(n);
    qstats cs = {0, 0, 0};
    memset(c_pass, 0x5A, n);
    int crc = qspec_fake_quant(q, x, c_y, rows, cols, c_pass, &cs);
    void *scr = scratch_for(q, rows, cols);
    CK(psl_cuda_upload(ctx, d_x, x, n * 4));
    CK(psl_cuda_zero(ctx, d_st, 2 * sizeof(qstats)));
    garbage(d_y, n * 4);
    garbage(d_pass, n);
    int grc = psl_cuda_fake_quant(ctx, q, d_x, d_y, rows, cols, d_pass, d_st, scr);
    a->cases++;
    a->entries += n;
    if (crc != 0 || grc != 0) {
        if ((crc != 0) != (grc != 0)) {
            fprintf(stderr, "MISMATCH refusal %s %zux%zu: cpu %d gpu %d (%s)\n", label, rows, cols,
                    crc, grc, psl_cuda_last_error(ctx));
            a->refused_bad++;
            failures++;
            return 1;
        }
        return 0;
    }
    qstats gs[2];
    CK(psl_cuda_download(ctx, h_y, d_y, n * 4));
    CK(psl_cuda_download(ctx, h_pass, d_pass, n));
    /* repeat: a second call into other buffers, its own counts */
    garbage(d_y2, n * 4);
    garbage(d_pass2, n);
    CK(psl_cuda_fake_quant(ctx, q, d_x, d_y2, rows, cols, d_pass2, d_st + 1, scr));
    CK(psl_cuda_download(ctx, gs, d_st, sizeof gs));
    CK(psl_cuda_download(ctx, h_y2, d_y2, n * 4));
    CK(psl_cuda_download(ctx, h_pass2, d_pass2, n));
    int bad = 0;
    if (memcmp(c_y, h_y, n * 4)) {
        a->y_bad++, bad = 1;
        report_diff("y", label, rows, cols, x, c_y, h_y, n);
    }
    if (memcmp(c_pass, h_pass, n)) {
        a->pass_bad++, bad = 1;
        for (size_t i = 0; i < n; i++)
            if (c_pass[i] != h_pass[i]) {
                fprintf(stderr, "MISMATCH pass %s %zux%zu at %zu: x=%.9g cpu %d gpu %d\n", label,
                        rows, cols, i, x[i], c_pass[i], h_pass[i]);
                break;
            }
    }
    if (cs.total != gs[0].total || cs.clipped != gs[0].clipped || cs.masked != gs[0].masked) {
        a->stats_bad++, bad = 1;
        fprintf(stderr,
                "MISMATCH stats %s %zux%zu: cpu %llu/%llu/%llu gpu %llu/%llu/%llu "
                "(total/clipped/masked)\n",
                label, rows, cols, (unsigned long long)cs.total, (unsigned long long)cs.clipped,
                (unsigned long long)cs.masked, (unsigned long long)gs[0].total,
                (unsigned long long)gs[0].clipped, (unsigned long long)gs[0].masked);
    }
    if (memcmp(h_y, h_y2, n * 4) || memcmp(h_pass, h_pass2, n) || gs[0].total != gs[1].total ||
        gs[0].clipped != gs[1].clipped || gs[0].masked != gs[1].masked) {
        a->rep_bad++, bad = 1;
        fprintf(stderr, "MISMATCH repeat %s %zux%zu\n", label, rows, cols);
    }
    /* in place, without mask and counts */
    CK(psl_cuda_upload(ctx, d_y2, x, n * 4));
    CK(psl_cuda_fake_quant(ctx, q, d_y2, d_y2, rows, cols, NULL, NULL, scr));
    CK(psl_cuda_download(ctx, h_y2, d_y2, n * 4));
    if (memcmp(c_y, h_y2, n * 4)) {
        a->inpl_bad++, bad = 1;
        report_diff("in-place y", label, rows, cols, x, c_y, h_y2, n);
    }
    /* backward: with the CPU's mask, plain and masked, the masked one in place */
    CK(psl_cuda_upload(ctx, d_dy, dy, n * 4));
    CK(psl_cuda_upload(ctx, d_pmask, c_pass, n));
    for (int use = 0; use < 2; use++) {
        qspec_backward(q, dy, c_dx, rows, cols, c_pass, use);
        if (use) {
            CK(psl_cuda_upload(ctx, d_dx, dy, n * 4));
            CK(psl_cuda_quant_backward(ctx, q, d_dx, d_dx, rows, cols, d_pmask, use));
        } else {
            garbage(d_dx, n * 4);
            CK(psl_cuda_quant_backward(ctx, q, d_dy, d_dx, rows, cols, d_pmask, use));
        }
        CK(psl_cuda_download(ctx, h_dx, d_dx, n * 4));
        if (memcmp(c_dx, h_dx, n * 4)) {
            a->bwd_bad++, bad = 1;
            report_diff(use ? "backward (mask)" : "backward", label, rows, cols, dy, c_dx, h_dx, n);
        }
    }
    failures += bad;
    return bad;
}

static int parse_or_die(const char *text, qspec *q) {
    char err[256];
    if (qspec_parse(text, q, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        failures++;
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- (a) code tables ---- */

typedef struct fvec {
    float *v;
    size_t n, cap;
} fvec;

static void push(fvec *f, float x) {
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 1024;
        f->v = realloc(f->v, f->cap * sizeof *f->v);
        if (!f->v) exit(1);
    }
    f->v[f->n++] = x;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Every value of the format, midpoints, neighbours and specials. */
static void code_inputs(const qfp_format *f, fvec *out) {
    const uint32_t ncodes = 1u << (f->e + f->m); /* the positive half */
    float *pos = xmalloc(ncodes * sizeof *pos);
    size_t np = 0;
    for (uint32_t c = 0; c < ncodes; c++) {
        float v = qfp_decode(f, c);
        if (isfinite(v) && (np == 0 || v > pos[np - 1])) pos[np++] = v;
    }
    qsort(pos, np, sizeof *pos, cmp_float);
    for (size_t i = 0; i < np; i++) {
        float v = pos[i];
        float cand[5] = {v, nextafterf(v, INFINITY), nextafterf(v, 0.0f), 0, 0};
        int nc = 3;
        if (i + 1 < np) {
            float mid = (float)(((double)v + (double)pos[i + 1]) / 2.0);
            cand[nc++] = mid;
            cand[nc++] = nextafterf(mid, INFINITY);
            push(out, nextafterf(mid, 0.0f));
            push(out, -nextafterf(mid, 0.0f));
        }
        for (int k = 0; k < nc; k++) {
            push(out, cand[k]);
            push(out, -cand[k]);
        }
    }
    const float mx = f->maxval;
    const float extra[] = {0.0f,
                           -0.0f,
                           INFINITY,
                           -INFINITY,
                           mx * 1.0001f,
                           mx * 1.5f,
                           mx * 4.0f,
                           1e30f,
                           3e38f,
                           FLT_MAX,
                           1e-45f,
                           bits_to_f(0x00000007u),
                           bits_to_f(0x007fffffu),
                           FLT_MIN,
                           1e-40f,
                           f->clip,
                           nextafterf(f->clip, INFINITY),
                           nextafterf(f->clip, 0.0f)};
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
        push(out, extra[k]);
        push(out, -extra[k]);
    }
    const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fa12345u, 0xff812345u};
    for (size_t k = 0; k < sizeof nans / sizeof nans[0]; k++) push(out, bits_to_f(nans[k]));
    free(pos);
}

static const char *special_name(qfp_special s) {
    return s == QFP_IEEE ? "ieee" : (s == QFP_FN ? "fn" : "finite");
}

static void exhaustive_fp(int e, int m, qfp_special sp, rng *r) {
    qfp_format f;
    char err[128];
    if (qfp_format_init(&f, e, m, sp, err, sizeof err)) return;
    fvec in = {0};
    code_inputs(&f, &in);
    const size_t cols = 64, rows = (in.n + cols - 1) / cols, n = rows * cols;
    float *x = xmalloc(n * sizeof *x), *dy = xmalloc(n * sizeof *dy);
    for (size_t i = 0; i < n; i++) x[i] = i < in.n ? in.v[i] : 0.0f;
    for (size_t i = 0; i < n; i++) dy[i] = (float)rng_normal(r);
    char label[64], spec[96];
    snprintf(label, sizeof label, "e%dm%d:%s", e, m, special_name(sp));
    const char *variants[] = {":noscale", ":g16", ":noscale:sr"};
    for (int v = 0; v < 3; v++) {
        snprintf(spec, sizeof spec, "e%dm%d:%s%s", e, m, special_name(sp), variants[v]);
        qspec q;
        if (parse_or_die(spec, &q)) continue;
        q.seed = 0x5EEDull + (uint64_t)(e * 100 + m);
        run_case("codes", label, &q, x, dy, rows, cols);
    }
    free(x), free(dy), free(in.v);
}

/* INTk per row with exact power-of-two scales: quarter steps (ties exact) and one float
 * either side of each half step. */
static void exhaustive_int(int k, int sym, rng *r) {
    const int nrow = 12;
    const int32_t qmax = sym ? (k == 1 ? 1 : (1 << (k - 1)) - 1) : (1 << k) - 1;
    const size_t cols = (size_t)(16 * qmax + 16); /* 2 + about 2 per quarter step + zeros */
    float *x = xmalloc(nrow * cols * sizeof *x), *dy = xmalloc(nrow * cols * sizeof *dy);
    for (int row = 0; row < nrow; row++) {
        float scale = ldexpf(1.0f, (row % 6) - 3);
        int32_t z = sym ? 0 : (int32_t)((row * 37) % (qmax + 1));
        float lo = sym ? -(float)qmax * scale : -(float)z * scale;
        float hi = sym ? (float)qmax * scale : (float)(qmax - z) * scale;
        float *xr = x + (size_t)row * cols;
        size_t c = 0;
        xr[c++] = lo;
        xr[c++] = hi;
        for (int32_t j = (int32_t)(4 * lo / scale); c + 3 <= cols && j <= (int32_t)(4 * hi / scale);
             j++) {
            float v = (float)j * scale / 4.0f;
            xr[c++] = v;
            if (j % 2) { /* a half step: one float either side */
                xr[c++] = nextafterf(v, INFINITY);
                xr[c++] = nextafterf(v, -INFINITY);
            }
        }
        for (; c < cols; c++) xr[c] = row == 5 ? -0.0f : 0.0f;
    }
    for (size_t i = 0; i < nrow * cols; i++) dy[i] = (float)rng_normal(r);
    char label[32], spec[48];
    snprintf(label, sizeof label, "%sint%d", sym ? "" : "u", k);
    const char *variants[] = {":row", ":tensor", ":row:sr", ":g16"};
    for (int v = 0; v < 4; v++) {
        snprintf(spec, sizeof spec, "%s%s", label, variants[v]);
        qspec q;
        if (parse_or_die(spec, &q)) continue;
        q.seed = 77 + (uint64_t)k;
        run_case("codes", label, &q, x, dy, (size_t)nrow, cols);
    }
    free(x), free(dy);
}

/* ------------------------------------------------------- (b) random tensors ---- */

enum { DIST_GAUSS = 0, DIST_HEAVY, DIST_SPECIAL, NDIST };

static double student3(rng *r) {
    double z = rng_normal(r), a = rng_normal(r), b = rng_normal(r), c = rng_normal(r);
    return z / sqrt((a * a + b * b + c * c) / 3.0);
}

static void fill(float *x, size_t rows, size_t cols, int dist, rng *r) {
    static const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fa00005u};
    for (size_t i = 0; i < rows * cols; i++)
        x[i] = dist == DIST_GAUSS ? (float)rng_normal(r) : (float)student3(r);
    if (dist == DIST_HEAVY) {
        for (size_t k = 0; k < 1 + rows * cols / 5000; k++)
            x[rng_next(r) % (rows * cols)] = (float)(1e4 * student3(r)); /* huge outliers */
        if (rows >= 4) {
            memset(x + (rows / 3) * cols, 0, cols * sizeof *x); /* a zero row */
            x[(rows / 2) * cols + rng_next(r) % cols] = NAN;    /* one NaN */
        }
    }
    if (dist == DIST_SPECIAL)
        for (size_t row = 0; row < rows; row++) {
            float *xr = x + row * cols;
            size_t at = rng_next(r) % cols;
            switch (row % 8) {
            case 1: /* zeros, signed */
                for (size_t c = 0; c < cols; c++) xr[c] = c % 3 ? 0.0f : -0.0f;
                break;
            case 2: /* one NaN (payload by row) */
                xr[at] = bits_to_f(nans[(row / 8) % 4]);
                break;
            case 3: /* one infinity */
                xr[at] = (row / 8) % 2 ? -INFINITY : INFINITY;
                break;
            case 4: /* subnormals */
                for (size_t c = 0; c < cols; c++) xr[c] = ldexpf(xr[c], -130 - (int)(c % 20));
                break;
            case 5: /* huge */
                for (size_t c = 0; c < cols; c++) xr[c] = xr[c] * 1e35f;
                break;
            case 6: /* constant */
                for (size_t c = 0; c < cols; c++) xr[c] = 0.75f;
                break;
            default:
                break;
            }
        }
}

typedef struct shape {
    size_t rows, cols;
} shape;

static const shape SHAPES[] = {{1, 1},     {3, 37},    {2, 100},    {5, 6},     {17, 48},
                               {7, 33},    {9, 2},     {11, 8},     {33, 64},   {64, 128},
                               {300, 384}, {4096, 96}, {8192, 128}, {8192, 512}};
#define NSHAPES (sizeof SHAPES / sizeof SHAPES[0])

static const char *SPECS[] = {
    "none",
    "int1",
    "int1:row",
    "int1:g64",
    "int1:sr",
    "int2",
    "int3:row",
    "int4",
    "int4:row",
    "int4:g32",
    "int4:g128",
    "int4:g7",
    "int4:rangemask",
    "int8",
    "int8:g32",
    "int8:channel",
    "int16:row",
    "uint1",
    "uint2:row",
    "uint4",
    "uint4:row",
    "uint4:g128",
    "uint8:g5",
    "uint16",
    "int4:sr",
    "int4:row:sr",
    "uint4:g32:sr",
    "int8:token:sr",
    "e4m3",
    "e4m3:row",
    "e4m3:g32",
    "e5m2",
    "e5m2:row",
    "e3m2:g16",
    "e2m3:tensor",
    "e2m1",
    "e2m1:g7",
    "e2m0",
    "e3m0:row",
    "e1m2",
    "e1m0",
    "e4m2:ieee",
    "e4m3:fn:noscale",
    "e5m2:finite",
    "e8m0:noscale",
    "e8m3",
    "e8m7:row",
    "e9m6",
    "e9m0:noscale",
    "e10m5:row",
    "e15m0",
    "e5m6",
    "e5m10:row",
    "fp6_e3m2:noscale",
    "fp8_e4m3:g64",
    "e2m1:noscale",
    "e3m2:scale:row",
    "e4m3:sr",
    "e2m1:row:sr",
    "bf16:sr",
    "fp16:sr",
    "e3m2:noscale:sr",
    "e9m0:sr",
    "e8m2:sr",
    "e5m2:g16:sr",
    "e2m1:rangemask",
    "mxfp8",
    "mxfp4_e2m1",
    "mxfp4:rangemask",
    "nvfp4:row",
    "nvfp4:g64",
    "nvfp4:g24",
    "nvfp4:g7",
    "nvfp4:rangemask",
    "quest1",
    "quest2",
    "quest4:rotated",
    "quest4:original",
    "quest4:tensor",
    "quest4:g32",
    "quest4:g48",
    "quest4:g100",
    "quest1:clipmask",
    "quest1:clip=1.3",
    "quest2:row",
    "quest3:trust=0.1",
    "quest4:rangemask",
    "quest4:trustmask",
    "quest4:alpha=paper",
    "quest4:alpha=exact",
    "quest4:alpha=2",
    "quest8",
    "quest8:rotated:tensor",
    "quest1:tensor",
    "quest2:g64:rotated:clipmask",
    "quest5:token:rotated:rangemask",
    "quest6:alpha=paper:rotated",
};

/* The named formats, families by an instance. */
static size_t named_specs(char out[][32], size_t cap) {
    size_t count, k = 0;
    const qformat_traits *t = qformat_table(&count);
    for (size_t i = 0; i < count && k < cap; i++) {
        const char *name = t[i].name;
        if (!strcmp(name, "eXmY")) name = "e3m4";
        if (!strcmp(name, "intK")) name = "int5";
        if (!strcmp(name, "uintK")) name = "uint5";
        if (!strcmp(name, "questB")) name = "quest3";
        snprintf(out[k++], 32, "%s", name);
    }
    return k;
}

typedef struct hspec {
    char label[64];
    qspec q;
} hspec;

static void random_tensors(size_t nshapes) {
    char named[64][32];
    size_t nn = named_specs(named, 64);
    size_t ns = 0, cap = nn + sizeof SPECS / sizeof SPECS[0] + 4;
    hspec *specs = xmalloc(cap * sizeof *specs);
    for (size_t i = 0; i < nn + sizeof SPECS / sizeof SPECS[0]; i++) {
        const char *text = i < nn ? named[i] : SPECS[i - nn];
        if (parse_or_die(text, &specs[ns].q)) continue;
        snprintf(specs[ns].label, sizeof specs[ns].label, "%s", text);
        ns++;
    }
    /* hand-made MX block sizes (qspec_check accepts any block >= 1) */
    if (!parse_or_die("mxfp4", &specs[ns].q)) {
        specs[ns].q.block = 24;
        snprintf(specs[ns++].label, 64, "mxfp4 (block 24)");
    }
    if (!parse_or_die("mxfp6_e3m2", &specs[ns].q)) {
        specs[ns].q.block = 16;
        snprintf(specs[ns++].label, 64, "mxfp6_e3m2 (block 16)");
    }
    rng r;
    rng_seed(&r, 20261203);
    for (size_t si = 0; si < nshapes; si++) {
        const size_t rows = SHAPES[si].rows, cols = SHAPES[si].cols, n = rows * cols;
        float *x = xmalloc(n * sizeof *x), *dy = xmalloc(n * sizeof *dy);
        for (int d = 0; d < NDIST; d++) {
            /* the model's largest shape Gaussian only, the special rows on the smaller ones */
            if ((d == DIST_HEAVY && n > 2000000) || (d == DIST_SPECIAL && n > 500000)) continue;
            fill(x, rows, cols, d, &r);
            for (size_t i = 0; i < n; i++) dy[i] = (float)rng_normal(&r);
            for (size_t k = 0; k < ns; k++) {
                specs[k].q.seed = rng_next(&r);
                run_case("random", specs[k].label, &specs[k].q, x, dy, rows, cols);
            }
        }
        free(x), free(dy);
        printf("  random tensors %zux%zu done\n", rows, cols);
        fflush(stdout);
    }
    free(specs);
}

/* A spec qspec_check refuses: both sides refuse. */
static void refusals(void) {
    qspec q;
    if (parse_or_die("quest4", &q)) return;
    q.alpha = 0.0;
    float x[4] = {1, 2, 3, 4};
    run_case("refused", "quest4 alpha=0", &q, x, x, 1, 4);
    if (parse_or_die("int4", &q)) return;
    q.bits = 17;
    run_case("refused", "int17", &q, x, x, 2, 2);
    if (parse_or_die("mxfp4", &q)) return;
    q.stochastic = 1;
    run_case("refused", "mxfp4 sr", &q, x, x, 2, 2);
}

/* ---------------------------------------------------------------- timings ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void timings(void) {
    static const char *fmts[] = {"int4", "int4:row", "quest4", "mxfp4", "nvfp4", "e4m3", "int8:sr"};
    static const shape shp[] = {{32768, 256}, {8192, 1024}};
    const size_t nmax = 32768 * 256;
    float *x = xmalloc(nmax * sizeof *x);
    rng r;
    rng_seed(&r, 5);
    for (size_t i = 0; i < nmax; i++) x[i] = (float)rng_normal(&r);
    float *dx = dev(nmax * 4), *dy = dev(nmax * 4);
    uint8_t *dp = dev(nmax);
    CK(psl_cuda_upload(ctx, dx, x, nmax * 4));
    cudaEvent_t e0, e1;
    CU(cudaEventCreate(&e0));
    CU(cudaEventCreate(&e1));
    char line[256];
    snprintf(line, sizeof line,
             "\n| format | shape | us/call (median of 10) | GB/s (x read, y and mask written) |\n"
             "|---|---|---|---|\n");
    fputs(line, stdout);
    if (table) fputs(line, table);
    for (size_t s = 0; s < sizeof shp / sizeof shp[0]; s++)
        for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
            qspec q;
            if (parse_or_die(fmts[k], &q)) continue;
            const size_t rows = shp[s].rows, cols = shp[s].cols, n = rows * cols;
            void *scr = scratch_for(&q, rows, cols);
            double t[10];
            for (int it = -2; it < 10; it++) {
                q.seed = (uint64_t)it;
                CU(cudaEventRecord(e0, ctx->stream));
                CK(psl_cuda_fake_quant(ctx, &q, dx, dy, rows, cols, dp, d_st, scr));
                CU(cudaEventRecord(e1, ctx->stream));
                CU(cudaEventSynchronize(e1));
                float ms;
                CU(cudaEventElapsedTime(&ms, e0, e1));
                if (it >= 0) t[it] = 1e3 * ms;
            }
            qsort(t, 10, sizeof *t, cmp_double);
            double med = 0.5 * (t[4] + t[5]);
            snprintf(line, sizeof line, "| %s | %zux%zu | %.1f | %.0f |\n", q.name, rows, cols, med,
                     (double)(9 * n) / (med * 1e3));
            fputs(line, stdout);
            if (table) fputs(line, table);
        }
    CU(cudaEventDestroy(e0));
    CU(cudaEventDestroy(e1));
    psl_cuda_free(ctx, dx);
    psl_cuda_free(ctx, dy);
    psl_cuda_free(ctx, dp);
    free(x);
}

/* ------------------------------------------------------------------- main ---- */

static void print_table(void) {
    char line[512];
    snprintf(line, sizeof line,
             "| section | format | cases | entries | y =CPU | mask =CPU | stats =CPU | bwd =CPU | "
             "in place | repeat | ok |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    fputs(line, stdout);
    if (table) fputs(line, table);
    for (size_t i = 0; i < nrows_; i++) {
        const agg *a = &rows_[i];
        int ok = !(a->y_bad | a->pass_bad | a->stats_bad | a->bwd_bad | a->rep_bad | a->inpl_bad |
                   a->refused_bad);
#define YN(v) ((v) ? "no" : "yes")
        if (!strcmp(a->section, "refused"))
            snprintf(line, sizeof line,
                     "| %s | %s | %d | %llu | refused by both: %s | | | | | | %s |\n", a->section,
                     a->label, a->cases, (unsigned long long)a->entries, YN(a->refused_bad),
                     ok ? "ok" : "FAIL");
        else
            snprintf(line, sizeof line,
                     "| %s | %s | %d | %llu | %s | %s | %s | %s | %s | %s | %s |\n", a->section,
                     a->label, a->cases, (unsigned long long)a->entries, YN(a->y_bad),
                     YN(a->pass_bad), YN(a->stats_bad), YN(a->bwd_bad), YN(a->inpl_bad),
                     YN(a->rep_bad), ok ? "ok" : "FAIL");
#undef YN
        fputs(line, stdout);
        if (table) fputs(line, table);
    }
}

int main(void) {
    if (psl_cuda_device_count() == 0) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    char err[512];
    if (psl_cuda_create(&ctx, 0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *tpath = getenv("PSL_CUDA_TABLE");
    if (tpath && *tpath) {
        table = fopen(tpath, "w");
        if (!table) {
            perror(tpath);
            return 1;
        }
    }
    size_t nshapes = NSHAPES;
    const char *lim = getenv("PSL_CUDA_TEST_SHAPES");
    if (lim && *lim) {
        quick = 1;
        size_t v = (size_t)strtoul(lim, NULL, 10);
        if (v < nshapes) nshapes = v;
    }
    d_st = dev(2 * sizeof(qstats));
    double t0 = now_s();
    rng r;
    rng_seed(&r, 1);

    /* (a) code tables */
    for (int bits = 2; bits <= 8; bits++)
        for (int e = 1; e <= bits - 1; e++)
            for (int s = 0; s < 3; s++) exhaustive_fp(e, bits - 1 - e, (qfp_special)s, &r);
    if (!quick) {
        static const int wide[][2] = {{8, 7},  {5, 10}, {8, 0},  {8, 1},  {8, 2},  {8, 3},
                                      {8, 4},  {8, 5},  {8, 6},  {9, 0},  {9, 6},  {10, 5},
                                      {11, 4}, {12, 3}, {13, 2}, {14, 1}, {15, 0}, {5, 6},
                                      {6, 9},  {7, 8},  {2, 13}, {1, 14}, {3, 12}};
        for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
            int e = wide[i][0], m = wide[i][1];
            exhaustive_fp(e, m, qfp_default_special(e, m), &r);
            if (e >= 2 && qfp_default_special(e, m) != QFP_IEEE) exhaustive_fp(e, m, QFP_IEEE, &r);
            if (m >= 1 && e <= 8) exhaustive_fp(e, m, QFP_FN, &r);
        }
    }
    for (int k = 1; k <= 8; k++) {
        exhaustive_int(k, 1, &r);
        exhaustive_int(k, 0, &r);
    }
    printf("  code tables done (%.1f s)\n", now_s() - t0);
    fflush(stdout);

    /* (b) random tensors, (c) repeats inside each case */
    random_tensors(nshapes);
    refusals();
    double t1 = now_s();

    char head[256];
    snprintf(head, sizeof head, "device: %s\n\n", psl_cuda_device_name(ctx));
    fputs(head, stdout);
    if (table) fputs(head, table);
    print_table();
    uint64_t cases = 0, entries = 0;
    for (size_t i = 0; i < nrows_; i++)
        cases += (uint64_t)rows_[i].cases, entries += rows_[i].entries;
    char tail[512];
    snprintf(
        tail, sizeof tail,
        "\n=CPU: bit-identical to qspec_fake_quant / qspec_backward (memcmp); in place: y == x "
        "with NULL mask and stats; repeat: a second GPU call bit-identical\n"
        "%llu cases, %llu entries, %d failure(s), %.1f s (CPU references included)\n",
        (unsigned long long)cases, (unsigned long long)entries, failures, t1 - t0);
    fputs(tail, stdout);
    if (table) fputs(tail, table);
    if (!quick) timings();
    if (table) fclose(table);
    psl_cuda_destroy(ctx);
    return failures ? 1 : 0;
}
