/* The CUDA layer kernels (engine/cuda/kernels.h) against the CPU engine's float
 * layers (model_f32), on random inputs from the engine's generator, for several
 * shapes. Every forward and backward output is compared; each kernel is also run
 * twice on the same inputs and must give bit-identical outputs; AdamW must be
 * bit-identical to engine/optimizer.c. Prints a table; exits 77 (CTest SKIP)
 * when there is no CUDA device.
 *
 * The error of an output is max_i |gpu_i - cpu_i| / max_i |cpu_i|: the largest
 * difference relative to the tensor's scale. Each backward is fed the same inputs
 * on both sides (the CPU forward's outputs), so every row tests one kernel.
 * Tolerances, by what can differ (measured values are in docs/gpu.md):
 *   0      kernels of +, -, *, /, sqrt only, with the CPU's association and no FMA
 *          on either side (RoPE, embedding, the cross-entropy backward, AdamW):
 *          bit-identical;
 *   1e-6   the RoPE tables: double pow/cos/sin on the device are within 2 ulp of
 *          glibc's in double, so rounded to float they agree but for rare ties;
 *   1e-5   elementwise kernels with expf (SwiGLU): CUDA's expf is within 2 ulp,
 *          glibc's within 1, so a few float ulp (~1e-7) after the products;
 *   1e-4   reductions and GEMMs (RMSNorm, linear, attention, the softmax of the
 *          cross-entropy, losses): sums in another order carry about
 *          sqrt(K) * 6e-8 relative for K terms; 1e-4 leaves a factor of 100 or more
 *          over what is measured, and any wrong term gives errors of order 1. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model_f32.h"
#include "optimizer.h"
#include "rng.h"

/* The CPU embedding is static inside the model pass: compile its own source here. */
#define REAL      float
#define SFX(name) name##_cpu
#include "layers/embedding.inc"
#undef REAL
#undef SFX

static psl_cuda *ctx;
static int failures;
static FILE *table; /* the table again, when PSL_CUDA_TABLE names a file */

#define CK(call)                                                                                   \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, psl_cuda_last_error(ctx));          \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static float *fvec(size_t n) {
    return xmalloc(n * sizeof(float));
}
static float *fcopy(const float *x, size_t n) {
    float *y = fvec(n);
    memcpy(y, x, n * sizeof *y);
    return y;
}
static void fill(float *x, size_t n, double sd, rng *r) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(sd * rng_normal(r));
}
static void *dev(size_t bytes) {
    void *p;
    CK(psl_cuda_alloc(ctx, &p, bytes));
    return p;
}
static void *dev_from(const void *host, size_t bytes) {
    void *p = dev(bytes);
    CK(psl_cuda_upload(ctx, p, host, bytes));
    return p;
}
static void put(void *d, const void *host, size_t bytes) {
    CK(psl_cuda_upload(ctx, d, host, bytes));
}
static void get(void *host, const void *d, size_t bytes) {
    CK(psl_cuda_download(ctx, host, d, bytes));
}

static void row(const char *line) {
    fputs(line, stdout);
    if (table) fputs(line, table);
}

/* One row of the table: gpu[0], gpu[1] are two runs of the kernel. tol 0 demands
 * bit-identity with the CPU. */
static void report(const char *shape, const char *what, const float *cpu, float *const gpu[2],
                   size_t n, double tol) {
    double scale = 0, diff = 0;
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        double a = cpu[i], b = gpu[0][i];
        if (!isfinite(a) || !isfinite(b)) finite = 0;
        scale = fmax(scale, fabs(a));
        diff = fmax(diff, fabs(a - b));
    }
    double err = scale > 0 ? diff / scale : diff;
    int same_cpu = !memcmp(cpu, gpu[0], n * sizeof *cpu);
    int repeat = !memcmp(gpu[0], gpu[1], n * sizeof *cpu);
    int ok = finite && repeat && (tol == 0 ? same_cpu : err <= tol);
    if (!ok) failures++;
    char line[256];
    snprintf(line, sizeof line, "| %-9s | %-22s | %9zu | %9.2e | %7.0e | %-4s | %-3s | %-4s |\n",
             shape, what, n, err, tol, same_cpu ? "yes" : "no", repeat ? "yes" : "no",
             ok ? "ok" : "FAIL");
    row(line);
}

static void report_d(const char *shape, const char *what, const double *cpu, double *const gpu[2],
                     size_t n, double tol) {
    double scale = 0, diff = 0;
    for (size_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(cpu[i]));
        diff = fmax(diff, fabs(cpu[i] - gpu[0][i]));
    }
    double err = scale > 0 ? diff / scale : diff;
    int same_cpu = !memcmp(cpu, gpu[0], n * sizeof *cpu);
    int repeat = !memcmp(gpu[0], gpu[1], n * sizeof *cpu);
    int ok = isfinite(err) && repeat && (tol == 0 ? same_cpu : err <= tol);
    if (!ok) failures++;
    char line[256];
    snprintf(line, sizeof line, "| %-9s | %-22s | %9zu | %9.2e | %7.0e | %-4s | %-3s | %-4s |\n",
             shape, what, n, err, tol, same_cpu ? "yes" : "no", repeat ? "yes" : "no",
             ok ? "ok" : "FAIL");
    row(line);
}

typedef struct shape {
    const char *name;
    int M, C, F, V; /* rows of the row-wise layers, width, SwiGLU width, vocabulary */
    int B, T, H;    /* attention and RoPE: B sequences of T tokens (B*T rows), H heads */
    int skew;       /* tokens: one token takes a quarter of the positions */
} shape;

#define TOL_EXACT 0.0
#define TOL_TABLE 1e-6
#define TOL_ELEM  1e-5
#define TOL_RED   1e-4

static void test_rmsnorm(const shape *s, rng *r) {
    size_t M = (size_t)s->M, C = (size_t)s->C, MC = M * C;
    float *x = fvec(MC), *g = fvec(C), *dy = fvec(MC), *dx0 = fvec(MC), *dg0 = fvec(C);
    fill(x, MC, 1.5, r), fill(g, C, 1.0, r), fill(dy, MC, 1.0, r), fill(dx0, MC, 0.3, r),
        fill(dg0, C, 0.3, r);
    float *y = fvec(MC), *rs = fvec(M), *dx = fcopy(dx0, MC), *dg = fcopy(dg0, C);
    rmsnorm_forward_f32(y, rs, x, g, s->M, s->C);
    rmsnorm_backward_f32(dx, dg, dy, x, g, rs, s->M, s->C);
    float *gy[2] = {fvec(MC), fvec(MC)}, *grs[2] = {fvec(M), fvec(M)};
    float *gdx[2] = {fvec(MC), fvec(MC)}, *gdg[2] = {fvec(C), fvec(C)};
    float *dx_ = dev_from(x, MC * 4), *dg_ = dev_from(g, C * 4), *ddy = dev_from(dy, MC * 4);
    float *dyo = dev(MC * 4), *drs = dev(M * 4), *ddx = dev(MC * 4), *ddg = dev(C * 4);
    float *drs_cpu = dev_from(rs, M * 4);
    for (int k = 0; k < 2; k++) {
        CK(psl_cuda_rmsnorm_forward(ctx, dyo, drs, dx_, dg_, s->M, s->C));
        get(gy[k], dyo, MC * 4), get(grs[k], drs, M * 4);
        put(ddx, dx0, MC * 4), put(ddg, dg0, C * 4);
        CK(psl_cuda_rmsnorm_backward(ctx, ddx, ddg, ddy, dx_, dg_, drs_cpu, s->M, s->C));
        get(gdx[k], ddx, MC * 4), get(gdg[k], ddg, C * 4);
    }
    report(s->name, "rmsnorm_fwd out", y, gy, MC, TOL_RED);
    report(s->name, "rmsnorm_fwd rstd", rs, grs, M, TOL_RED);
    report(s->name, "rmsnorm_bwd dinp (+=)", dx, gdx, MC, TOL_RED);
    report(s->name, "rmsnorm_bwd dgain (+=)", dg, gdg, C, TOL_RED);
    psl_cuda_free(ctx, dx_), psl_cuda_free(ctx, dg_), psl_cuda_free(ctx, ddy);
    psl_cuda_free(ctx, dyo), psl_cuda_free(ctx, drs), psl_cuda_free(ctx, ddx);
    psl_cuda_free(ctx, ddg), psl_cuda_free(ctx, drs_cpu);
    for (int k = 0; k < 2; k++) free(gy[k]), free(grs[k]), free(gdx[k]), free(gdg[k]);
    free(x), free(g), free(dy), free(dx0), free(dg0), free(y), free(rs), free(dx), free(dg);
}

static void test_linear(const shape *s, rng *r) {
    size_t M = (size_t)s->M, Ci = (size_t)s->C, Co = (size_t)s->F;
    float *x = fvec(M * Ci), *w = fvec(Co * Ci), *dy = fvec(M * Co), *dw0 = fvec(Co * Ci);
    fill(x, M * Ci, 1.0, r), fill(w, Co * Ci, 1.0 / sqrt((double)Ci), r), fill(dy, M * Co, 1.0, r);
    fill(dw0, Co * Ci, 1.0, r);
    float *y = fvec(M * Co), *dx = fvec(M * Ci), *dw = fcopy(dw0, Co * Ci);
    linear_forward_f32(NULL, y, x, w, s->M, s->C, s->F);
    linear_backward_f32(NULL, dx, dw, dy, x, w, s->M, s->C, s->F);
    float *gy[2] = {fvec(M * Co), fvec(M * Co)}, *gdx[2] = {fvec(M * Ci), fvec(M * Ci)};
    float *gdw[2] = {fvec(Co * Ci), fvec(Co * Ci)};
    float *dx_ = dev_from(x, M * Ci * 4), *dw_ = dev_from(w, Co * Ci * 4);
    float *ddy = dev_from(dy, M * Co * 4), *dyo = dev(M * Co * 4), *ddx = dev(M * Ci * 4);
    float *ddw = dev(Co * Ci * 4);
    for (int k = 0; k < 2; k++) {
        CK(psl_cuda_linear_forward(ctx, dyo, dx_, dw_, s->M, s->C, s->F));
        get(gy[k], dyo, M * Co * 4);
        put(ddw, dw0, Co * Ci * 4);
        CK(psl_cuda_linear_backward(ctx, ddx, ddw, ddy, dx_, dw_, s->M, s->C, s->F));
        get(gdx[k], ddx, M * Ci * 4), get(gdw[k], ddw, Co * Ci * 4);
    }
    report(s->name, "linear_fwd out", y, gy, M * Co, TOL_RED);
    report(s->name, "linear_bwd dinp", dx, gdx, M * Ci, TOL_RED);
    report(s->name, "linear_bwd dw (+=)", dw, gdw, Co * Ci, TOL_RED);
    /* dinp NULL: only dw */
    memcpy(dw, dw0, Co * Ci * 4);
    linear_backward_f32(NULL, NULL, dw, dy, x, w, s->M, s->C, s->F);
    for (int k = 0; k < 2; k++) {
        put(ddw, dw0, Co * Ci * 4);
        CK(psl_cuda_linear_backward(ctx, NULL, ddw, ddy, dx_, dw_, s->M, s->C, s->F));
        get(gdw[k], ddw, Co * Ci * 4);
    }
    report(s->name, "linear_bwd dw, no dinp", dw, gdw, Co * Ci, TOL_RED);
    psl_cuda_free(ctx, dx_), psl_cuda_free(ctx, dw_), psl_cuda_free(ctx, ddy);
    psl_cuda_free(ctx, dyo), psl_cuda_free(ctx, ddx), psl_cuda_free(ctx, ddw);
    for (int k = 0; k < 2; k++) free(gy[k]), free(gdx[k]), free(gdw[k]);
    free(x), free(w), free(dy), free(dw0), free(y), free(dx), free(dw);
}

static void test_rope(const shape *s, rng *r) {
    int hd = s->C / s->H, half = hd / 2;
    size_t nt = (size_t)s->T * half, n = (size_t)s->B * s->T * 3 * s->C;
    float *ct = fvec(nt), *st = fvec(nt), *q0 = fvec(n), *q = fvec(n), *dq = fvec(n);
    rope_tables_f32(ct, st, s->T, hd);
    fill(q0, n, 1.0, r);
    memcpy(q, q0, n * 4), memcpy(dq, q0, n * 4);
    rope_forward_f32(q, ct, st, s->B, s->T, s->C, s->H);
    rope_backward_f32(dq, ct, st, s->B, s->T, s->C, s->H);
    float *gct[2] = {fvec(nt), fvec(nt)}, *gst[2] = {fvec(nt), fvec(nt)};
    float *gq[2] = {fvec(n), fvec(n)}, *gdq[2] = {fvec(n), fvec(n)};
    float *dct = dev(nt * 4), *dst = dev(nt * 4), *dq_ = dev(n * 4);
    float *dct_cpu = dev_from(ct, nt * 4), *dst_cpu = dev_from(st, nt * 4);
    for (int k = 0; k < 2; k++) {
        CK(psl_cuda_rope_tables(ctx, dct, dst, s->T, hd));
        get(gct[k], dct, nt * 4), get(gst[k], dst, nt * 4);
        put(dq_, q0, n * 4);
        CK(psl_cuda_rope_forward(ctx, dq_, dct_cpu, dst_cpu, s->B, s->T, s->C, s->H));
        get(gq[k], dq_, n * 4);
        put(dq_, q0, n * 4);
        CK(psl_cuda_rope_backward(ctx, dq_, dct_cpu, dst_cpu, s->B, s->T, s->C, s->H));
        get(gdq[k], dq_, n * 4);
    }
    report(s->name, "rope_tables cos", ct, gct, nt, TOL_TABLE);
    report(s->name, "rope_tables sin", st, gst, nt, TOL_TABLE);
    report(s->name, "rope_fwd qkv", q, gq, n, TOL_EXACT);
    report(s->name, "rope_bwd dqkv", dq, gdq, n, TOL_EXACT);
    psl_cuda_free(ctx, dct), psl_cuda_free(ctx, dst), psl_cuda_free(ctx, dq_);
    psl_cuda_free(ctx, dct_cpu), psl_cuda_free(ctx, dst_cpu);
    for (int k = 0; k < 2; k++) free(gct[k]), free(gst[k]), free(gq[k]), free(gdq[k]);
    free(ct), free(st), free(q0), free(q), free(dq);
}

static void test_attention(const shape *s, rng *r) {
    int B = s->B, T = s->T, C = s->C, H = s->H;
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, na = (size_t)B * H * T * T;
    float *qkv = fvec(nq), *dy = fvec(no), *y = fvec(no), *att = fvec(na), *dq = fvec(nq);
    fill(qkv, nq, 1.0, r), fill(dy, no, 1.0, r);
    int nth = 1;
    float *scratch = fvec(attention_scratch_size_f32(T, C, H) * (size_t)nth);
    attention_forward_f32(NULL, y, att, qkv, B, T, C, H, scratch, nth);
    attention_backward_f32(NULL, dq, dy, att, qkv, B, T, C, H, scratch, nth);
    float *gy[2] = {fvec(no), fvec(no)}, *gatt[2] = {fvec(na), fvec(na)};
    float *gdq[2] = {fvec(nq), fvec(nq)};
    float *dqkv = dev_from(qkv, nq * 4), *ddy = dev_from(dy, no * 4), *dyo = dev(no * 4);
    float *datt = dev(na * 4), *datt_cpu = dev_from(att, na * 4), *ddq = dev(nq * 4);
    void *dscr = dev(psl_cuda_attention_scratch_bytes(B, T, C, H));
    for (int k = 0; k < 2; k++) {
        CK(psl_cuda_attention_forward(ctx, dyo, datt, dqkv, B, T, C, H));
        get(gy[k], dyo, no * 4), get(gatt[k], datt, na * 4);
        CK(psl_cuda_attention_backward(ctx, ddq, ddy, datt_cpu, dqkv, B, T, C, H, dscr));
        get(gdq[k], ddq, nq * 4);
    }
    report(s->name, "attention_fwd out", y, gy, no, TOL_RED);
    report(s->name, "attention_fwd att", att, gatt, na, TOL_RED);
    report(s->name, "attention_bwd dqkv", dq, gdq, nq, TOL_RED);
    psl_cuda_free(ctx, dqkv), psl_cuda_free(ctx, ddy), psl_cuda_free(ctx, dyo);
    psl_cuda_free(ctx, datt), psl_cuda_free(ctx, datt_cpu), psl_cuda_free(ctx, ddq);
    psl_cuda_free(ctx, dscr);
    for (int k = 0; k < 2; k++) free(gy[k]), free(gatt[k]), free(gdq[k]);
    free(qkv), free(dy), free(y), free(att), free(dq), free(scratch);
}

static void test_swiglu(const shape *s, rng *r) {
    size_t M = (size_t)s->M, F = (size_t)s->F;
    float *h = fvec(M * 2 * F), *dy = fvec(M * F), *y = fvec(M * F), *dh = fvec(M * 2 * F);
    fill(h, M * 2 * F, 2.0, r), fill(dy, M * F, 1.0, r);
    swiglu_forward_f32(y, h, s->M, s->F);
    swiglu_backward_f32(dh, dy, h, s->M, s->F);
    float *gy[2] = {fvec(M * F), fvec(M * F)}, *gdh[2] = {fvec(M * 2 * F), fvec(M * 2 * F)};
    float *dh_ = dev_from(h, M * 2 * F * 4), *ddy = dev_from(dy, M * F * 4);
    float *dyo = dev(M * F * 4), *ddh = dev(M * 2 * F * 4);
    for (int k = 0; k < 2; k++) {
        CK(psl_cuda_swiglu_forward(ctx, dyo, dh_, s->M, s->F));
        get(gy[k], dyo, M * F * 4);
        CK(psl_cuda_swiglu_backward(ctx, ddh, ddy, dh_, s->M, s->F));
        get(gdh[k], ddh, M * 2 * F * 4);
    }
    report(s->name, "swiglu_fwd out", y, gy, M * F, TOL_ELEM);
    report(s->name, "swiglu_bwd dh13", dh, gdh, M * 2 * F, TOL_ELEM);
    psl_cuda_free(ctx, dh_), psl_cuda_free(ctx, ddy), psl_cuda_free(ctx, dyo);
    psl_cuda_free(ctx, ddh);
    for (int k = 0; k < 2; k++) free(gy[k]), free(gdh[k]);
    free(h), free(dy), free(y), free(dh);
}

static uint16_t *tokens(const shape *s, int n, rng *r) {
    uint16_t *t = xmalloc((size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) {
        uint64_t u = rng_next(r);
        t[i] = (uint16_t)(s->skew && u % 4 == 0 ? 7 % s->V : (u >> 8) % (uint64_t)s->V);
    }
    return t;
}

static void test_crossentropy(const shape *s, rng *r) {
    size_t M = (size_t)s->M, V = (size_t)s->V, MV = M * V;
    float *logits = fvec(MV), *p = fvec(MV), *d = fvec(MV);
    fill(logits, MV, 2.0, r);
    uint16_t *tg = tokens(s, s->M, r);
    double *loss = xmalloc(M * sizeof *loss), total = 0;
    memcpy(p, logits, MV * 4);
    for (size_t m = 0; m < M; m++) { /* per-row losses, the CPU's own function on one row */
        loss[m] = crossentropy_forward_f32(p + m * V, tg + m, 1, s->V);
        total += loss[m];
    }
    float scale = 1.0f / (float)M;
    crossentropy_backward_f32(d, p, tg, s->M, s->V, scale);
    float *gp[2] = {fvec(MV), fvec(MV)}, *gd[2] = {fvec(MV), fvec(MV)};
    double *gl[2] = {xmalloc(M * 8), xmalloc(M * 8)}, gt[2], *gtp[2] = {&gt[0], &gt[1]};
    float *dp = dev(MV * 4), *dpc = dev_from(p, MV * 4), *dd = dev(MV * 4);
    double *drl = dev(M * 8), *dtot = dev(8);
    uint16_t *dtg = dev_from(tg, M * 2);
    for (int k = 0; k < 2; k++) {
        put(dp, logits, MV * 4);
        CK(psl_cuda_crossentropy_forward(ctx, dp, drl, dtot, dtg, s->M, s->V));
        get(gp[k], dp, MV * 4), get(gl[k], drl, M * 8), get(&gt[k], dtot, 8);
        CK(psl_cuda_crossentropy_backward(ctx, dd, dpc, dtg, s->M, s->V, scale));
        get(gd[k], dd, MV * 4);
    }
    report(s->name, "crossentropy_fwd probs", p, gp, MV, TOL_RED);
    report_d(s->name, "crossentropy_fwd rowloss", loss, gl, M, TOL_RED);
    report_d(s->name, "crossentropy_fwd total", &total, gtp, 1, TOL_RED);
    report(s->name, "crossentropy_bwd dlogits", d, gd, MV, TOL_EXACT);
    /* in place: dlogits aliasing probs */
    for (int k = 0; k < 2; k++) {
        put(dd, p, MV * 4);
        CK(psl_cuda_crossentropy_backward(ctx, dd, dd, dtg, s->M, s->V, scale));
        get(gd[k], dd, MV * 4);
    }
    report(s->name, "crossentropy_bwd inplace", d, gd, MV, TOL_EXACT);
    psl_cuda_free(ctx, dp), psl_cuda_free(ctx, dpc), psl_cuda_free(ctx, dd);
    psl_cuda_free(ctx, drl), psl_cuda_free(ctx, dtot), psl_cuda_free(ctx, dtg);
    for (int k = 0; k < 2; k++) free(gp[k]), free(gd[k]), free(gl[k]);
    free(logits), free(p), free(d), free(tg), free(loss);
}

static void test_embedding(const shape *s, rng *r) {
    size_t M = (size_t)s->M, C = (size_t)s->C, V = (size_t)s->V;
    float *wte = fvec(V * C), *dy = fvec(M * C), *dw0 = fvec(V * C), *y = fvec(M * C);
    fill(wte, V * C, 1.0, r), fill(dy, M * C, 1.0, r), fill(dw0, V * C, 1.0, r);
    uint16_t *in = tokens(s, s->M, r);
    float *dw = fcopy(dw0, V * C);
    embedding_forward_cpu(y, in, wte, s->M, s->C);
    embedding_backward_cpu(dw, dy, in, s->M, s->C, s->V);
    float *gy[2] = {fvec(M * C), fvec(M * C)}, *gdw[2] = {fvec(V * C), fvec(V * C)};
    float *dwte = dev_from(wte, V * C * 4), *ddy = dev_from(dy, M * C * 4);
    float *dyo = dev(M * C * 4), *ddw = dev(V * C * 4);
    uint16_t *din = dev_from(in, M * 2);
    void *dscr = dev(psl_cuda_embedding_scratch_bytes(s->M, s->V));
    for (int k = 0; k < 2; k++) {
        CK(psl_cuda_embedding_forward(ctx, dyo, din, dwte, s->M, s->C));
        get(gy[k], dyo, M * C * 4);
        put(ddw, dw0, V * C * 4);
        CK(psl_cuda_embedding_backward(ctx, ddw, ddy, din, s->M, s->C, s->V, dscr));
        get(gdw[k], ddw, V * C * 4);
    }
    report(s->name, "embedding_fwd out", y, gy, M * C, TOL_EXACT);
    report(s->name, "embedding_bwd dwte (+=)", dw, gdw, V * C, TOL_EXACT);
    psl_cuda_free(ctx, dwte), psl_cuda_free(ctx, ddy), psl_cuda_free(ctx, dyo);
    psl_cuda_free(ctx, ddw), psl_cuda_free(ctx, din), psl_cuda_free(ctx, dscr);
    for (int k = 0; k < 2; k++) free(gy[k]), free(gdw[k]);
    free(wte), free(dy), free(dw0), free(y), free(in), free(dw);
}

/* Three AdamW steps on a whole parameter layout; max difference in float ulps. */
static void test_adamw(const shape *s, rng *r) {
    model_shape ms = {.vocab = s->V,
                      .d_model = s->C,
                      .n_layer = 2,
                      .n_head = s->H,
                      .ctx = s->T,
                      .ffn_hidden = s->F};
    param_layout l;
    model_layout(&ms, &l);
    size_t n = l.total;
    float *p = fvec(n), *g = fvec(3 * n), *m = fvec(n), *v = fvec(n);
    fill(p, n, 0.05, r), fill(g, 3 * n, 0.01, r), fill(m, n, 1e-3, r), fill(v, n, 1e-3, r);
    for (size_t i = 0; i < n; i++) v[i] = v[i] * v[i];
    float *p0 = fcopy(p, n), *m0 = fcopy(m, n), *v0 = fcopy(v, n);
    adamw_hparams h = {.lr = 3e-3, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1};
    float gs = 0.75f;
    for (int t = 1; t <= 3; t++) adamw_step(p, g + (size_t)(t - 1) * n, m, v, &l, &h, t, gs);
    float *gp[2] = {fvec(n), fvec(n)}, *gm[2] = {fvec(n), fvec(n)}, *gv[2] = {fvec(n), fvec(n)};
    float *dp = dev(n * 4), *dm = dev(n * 4), *dv = dev(n * 4), *dg = dev_from(g, 3 * n * 4);
    for (int k = 0; k < 2; k++) {
        put(dp, p0, n * 4), put(dm, m0, n * 4), put(dv, v0, n * 4);
        for (int t = 1; t <= 3; t++)
            CK(psl_cuda_adamw_step(ctx, dp, dg + (size_t)(t - 1) * n, dm, dv, &l, &h, t, gs));
        get(gp[k], dp, n * 4), get(gm[k], dm, n * 4), get(gv[k], dv, n * 4);
    }
    report(s->name, "adamw x3 params", p, gp, n, TOL_EXACT);
    report(s->name, "adamw x3 m", m, gm, n, TOL_EXACT);
    report(s->name, "adamw x3 v", v, gv, n, TOL_EXACT);
    psl_cuda_free(ctx, dp), psl_cuda_free(ctx, dm), psl_cuda_free(ctx, dv), psl_cuda_free(ctx, dg);
    for (int k = 0; k < 2; k++) free(gp[k]), free(gm[k]), free(gv[k]);
    free(p), free(g), free(m), free(v), free(p0), free(m0), free(v0);
}

int main(void) {
    int ndev = psl_cuda_device_count();
    if (ndev < 1) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    char err[512];
    if (psl_cuda_create(&ctx, 0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *tpath = getenv("PSL_CUDA_TABLE");
    if (tpath && *tpath && !(table = fopen(tpath, "w"))) perror(tpath);
    /* Shapes: odd sizes (nothing a multiple of 32), a small model, the realistic
     * d256/ctx256/V4096 batch 4, and one with T > 256 and several embedding chunks
     * with a token on a quarter of the positions. */
    const shape shapes[] = {
        {"odd", 37, 48, 80, 257, 2, 17, 3, 0},
        {"d64", 192, 64, 192, 1000, 3, 64, 2, 1},
        {"d256", 1024, 256, 704, 4096, 4, 256, 4, 0},
        {"long", 4133, 64, 96, 50, 1, 300, 2, 1},
    };
    char line[256];
    snprintf(line, sizeof line, "device: %s (%d visible)\n\n", psl_cuda_device_name(ctx), ndev);
    row(line);
    row("| shape     | output                 |   entries |   max err |     tol | =CPU | rep | ok  "
        " |\n"
        "|-----------|------------------------|-----------|-----------|---------|-----|-----|------"
        "|\n");
    /* PSL_CUDA_TEST_SHAPES=n runs only the first n shapes (for compute-sanitizer). */
    size_t nshapes = sizeof shapes / sizeof *shapes;
    const char *lim = getenv("PSL_CUDA_TEST_SHAPES");
    if (lim && atoi(lim) > 0 && (size_t)atoi(lim) < nshapes) nshapes = (size_t)atoi(lim);
    for (size_t i = 0; i < nshapes; i++) {
        const shape *s = &shapes[i];
        rng r;
        rng_seed(&r, 1000 + i);
        test_rmsnorm(s, &r);
        test_linear(s, &r);
        test_rope(s, &r);
        test_attention(s, &r);
        test_swiglu(s, &r);
        test_crossentropy(s, &r);
        test_embedding(s, &r);
        test_adamw(s, &r);
    }
    snprintf(line, sizeof line,
             "\nmax err: max|gpu-cpu| / max|cpu|; =CPU: bit-identical to the CPU; rep: two GPU "
             "runs bit-identical; tol 0: bit-identity required\n%d failure(s)\n",
             failures);
    row(line);
    if (table) fclose(table);
    psl_cuda_destroy(ctx);
    return failures ? 1 : 0;
}
