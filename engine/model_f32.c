#include "model_f32.h"
#include "bigalloc.h"
#include "cpu_gemm.h"
#include "optimizer.h"
#include "qat/qat_model.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL      float
#define SFX(name) name##_f32
/* GEMM(gemm, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc), row-major:
 * the layers' products on the GEMM the model was made with (sgemm_on). */
#define GEMM sgemm_on
#define SQRT sqrtf
#define REXP expf
#define RLOG logf
#define MODEL_QUANT
#define MODEL_BACKEND

/* One product of the float layers: OpenBLAS when g is NULL or says openblas, else the
 * engine's own GEMM (one accumulation order per element: the same bits on every kernel
 * path and thread count). Inside attention's OpenMP loops the own GEMM runs on the
 * calling thread alone (gemm.h), as OpenBLAS does there (set to one thread). A failed
 * allocation of its packing buffers is recorded in g, for the backend's error(). */
static void sgemm_on(cpu_gemm *g, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc) {
    if (!g || !g->own) {
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (gemm_sgemm(&g->ctx, ta == CblasTrans ? GEMM_TRANS : GEMM_NOTRANS,
                   tb == CblasTrans ? GEMM_TRANS : GEMM_NOTRANS, m, n, k, alpha, a, lda, b, ldb,
                   beta, c, ldc))
        atomic_store_explicit(&g->failed, 1, memory_order_relaxed);
}

#include "model_pass.inc"

int cpu_gemm_init(cpu_gemm *g, const char *which, const char *path_name, int threads, char *err,
                  size_t errlen) {
    memset(g, 0, sizeof *g);
    atomic_init(&g->failed, 0);
    gemm_path path;
    if (gemm_path_parse(path_name, &path)) {
        snprintf(err, errlen, "knob gemm_path: '%s' is not one of auto|ref|avx2|avx512",
                 path_name ? path_name : "");
        return -1;
    }
    if (!strcmp(which, "openblas")) {
        if (path != GEMM_PATH_AUTO) {
            snprintf(err, errlen,
                     "knob gemm_path=%s: picks the kernel path of gemm=own (OpenBLAS picks its "
                     "own core: OPENBLAS_CORETYPE); set gemm=own or gemm_path=auto",
                     path_name);
            return -1;
        }
        return 0;
    }
    if (strcmp(which, "own")) {
        snprintf(err, errlen, "knob gemm: '%s' is not one of openblas|own", which);
        return -1;
    }
    if (gemm_ctx_init(&g->ctx, path, threads)) {
        snprintf(err, errlen,
                 "knob gemm_path=%s: this CPU (or this build) has no %s kernels; the paths "
                 "give the same bits, so gemm_path=auto (here: %s) trains the same run",
                 path_name, path_name, gemm_path_name(gemm_path_best()));
        return -1;
    }
    g->own = 1;
    return 0;
}

/* The CPU's kernel table (engine/backend.h): the float layers above, OpenMP loops, and
 * the optimizer of optimizer.c. The context is the GEMM (cpu_gemm.h; NULL: OpenBLAS);
 * nothing fails after allocation but a product of the own GEMM (error() says so). */

static void *cpu_alloc(void *ctx, size_t bytes) {
    (void)ctx;
    return big_alloc(bytes);
}
static void cpu_release(void *ctx, void *p, size_t bytes) {
    (void)ctx;
    big_free(p, bytes);
}
static void cpu_copy(void *ctx, void *dst, const void *src, size_t bytes) {
    (void)ctx;
    if (dst != src) memcpy(dst, src, bytes);
}
static void cpu_zero(void *ctx, void *p, size_t bytes) {
    (void)ctx;
    zero_f32(p, bytes);
}
static const uint16_t *cpu_tokens(void *ctx, const uint16_t *host, int M, int slot) {
    (void)ctx;
    return tokens_f32(host, M, slot);
}
static const char *cpu_error(void *ctx) {
    const cpu_gemm *g = ctx;
    if (g && atomic_load_explicit(&g->failed, memory_order_relaxed))
        return "gemm=own: out of memory for the packing buffers of a GEMM";
    return NULL;
}
static size_t cpu_attention_scratch(void *ctx, int B, int T, int C, int H, int nthreads) {
    (void)ctx;
    return attention_scratch_f32(B, T, C, H, nthreads);
}
static void cpu_rope_tables(void *ctx, float *cos_t, float *sin_t, int T, int hd) {
    (void)ctx;
    rope_tables_f32(cos_t, sin_t, T, hd);
}
static void cpu_embedding_forward(void *ctx, float *out, const uint16_t *inputs, const float *wte,
                                  int M, int C) {
    (void)ctx;
    embedding_forward_f32(out, inputs, wte, M, C);
}
static void cpu_embedding_backward(void *ctx, float *dwte, const float *dout,
                                   const uint16_t *inputs, int M, int C, int V) {
    (void)ctx;
    embedding_backward_f32(dwte, dout, inputs, M, C, V);
}
static void cpu_rmsnorm_forward(void *ctx, float *out, float *rstd, const float *inp,
                                const float *gain, int M, int C) {
    (void)ctx;
    rmsnorm_forward_f32(out, rstd, inp, gain, M, C);
}
static void cpu_rmsnorm_backward(void *ctx, float *dinp, float *dgain, const float *dout,
                                 const float *inp, const float *gain, const float *rstd, int M,
                                 int C) {
    (void)ctx;
    rmsnorm_backward_f32(dinp, dgain, dout, inp, gain, rstd, M, C);
}
static void cpu_linear_forward(void *ctx, float *out, const float *inp, const float *w, int M,
                               int Cin, int Cout) {
    linear_forward_f32(ctx, out, inp, w, M, Cin, Cout);
}
static void cpu_linear_backward(void *ctx, float *dinp, float *dw, const float *dout,
                                const float *inp, const float *w, int M, int Cin, int Cout) {
    linear_backward_f32(ctx, dinp, dw, dout, inp, w, M, Cin, Cout);
}
static void cpu_rope_forward(void *ctx, float *qkv, const float *cos_t, const float *sin_t, int B,
                             int T, int C, int H) {
    (void)ctx;
    rope_forward_f32(qkv, cos_t, sin_t, B, T, C, H);
}
static void cpu_rope_backward(void *ctx, float *dqkv, const float *cos_t, const float *sin_t, int B,
                              int T, int C, int H) {
    (void)ctx;
    rope_backward_f32(dqkv, cos_t, sin_t, B, T, C, H);
}
static void cpu_attention_forward(void *ctx, float *out, float *att, const float *qkv, int B, int T,
                                  int C, int H, float *scratch, int nthreads) {
    attention_forward_f32(ctx, out, att, qkv, B, T, C, H, scratch, nthreads);
}
static void cpu_attention_backward(void *ctx, float *dqkv, const float *dout, const float *att,
                                   const float *qkv, int B, int T, int C, int H, float *scratch,
                                   int nthreads) {
    attention_backward_f32(ctx, dqkv, dout, att, qkv, B, T, C, H, scratch, nthreads);
}
static void cpu_swiglu_forward(void *ctx, float *out, const float *h13, int M, int F) {
    (void)ctx;
    swiglu_forward_f32(out, h13, M, F);
}
static void cpu_swiglu_backward(void *ctx, float *dh13, const float *dout, const float *h13, int M,
                                int F) {
    (void)ctx;
    swiglu_backward_f32(dh13, dout, h13, M, F);
}
static void cpu_residual_add(void *ctx, float *y, const float *x, size_t n) {
    (void)ctx;
    residual_add_f32(y, x, n);
}
static double cpu_crossentropy_sum(void *ctx, float *probs, double *row_loss,
                                   const uint16_t *targets, int M, int V) {
    (void)ctx;
    return crossentropy_sum_f32(probs, row_loss, targets, M, V);
}
static void cpu_crossentropy_backward(void *ctx, float *dlogits, const float *probs,
                                      const uint16_t *targets, int M, int V, float scale) {
    (void)ctx;
    crossentropy_backward_f32(dlogits, probs, targets, M, V, scale);
}
static double cpu_global_norm(void *ctx, const float *x, size_t n) {
    (void)ctx;
    return global_norm(x, n);
}
static void cpu_adamw_step(void *ctx, float *params, const float *grads, float *m, float *v,
                           const param_layout *l, const adamw_hparams *h, int64_t t,
                           float grad_scale) {
    (void)ctx;
    adamw_step(params, grads, m, v, l, h, t, grad_scale);
}

static void cpu_fake_quant(void *ctx, const qspec *q, const float *x, float *y, size_t rows,
                           size_t cols, uint8_t *pass, qstats *stats) {
    (void)ctx;
    qspec_fake_quant(q, x, y, rows, cols, pass, stats);
}
static void cpu_quant_backward(void *ctx, const qspec *q, const float *dy, float *dx, size_t rows,
                               size_t cols, const uint8_t *pass, int use_mask) {
    (void)ctx;
    qspec_backward(q, dy, dx, rows, cols, pass, use_mask);
}
static void cpu_copy_rows(void *ctx, float *dst, size_t ldd, const float *src, size_t lds,
                          size_t rows, size_t cols) {
    (void)ctx;
    for (size_t r = 0; r < rows; r++) memcpy(dst + r * ldd, src + r * lds, cols * sizeof *src);
}

const backend_ops backend_cpu_ops = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .tokens = cpu_tokens,
    .error = cpu_error,
    .attention_scratch = cpu_attention_scratch,
    .rope_tables = cpu_rope_tables,
    .embedding_forward = cpu_embedding_forward,
    .embedding_backward = cpu_embedding_backward,
    .rmsnorm_forward = cpu_rmsnorm_forward,
    .rmsnorm_backward = cpu_rmsnorm_backward,
    .linear_forward = cpu_linear_forward,
    .linear_backward = cpu_linear_backward,
    .rope_forward = cpu_rope_forward,
    .rope_backward = cpu_rope_backward,
    .attention_forward = cpu_attention_forward,
    .attention_backward = cpu_attention_backward,
    .swiglu_forward = cpu_swiglu_forward,
    .swiglu_backward = cpu_swiglu_backward,
    .residual_add = cpu_residual_add,
    .crossentropy_sum = cpu_crossentropy_sum,
    .crossentropy_backward = cpu_crossentropy_backward,
    .global_norm = cpu_global_norm,
    .adamw_step = cpu_adamw_step,
    .fake_quant = cpu_fake_quant,
    .quant_backward = cpu_quant_backward,
    .copy_rows = cpu_copy_rows,
};

backend backend_cpu_gemm(cpu_gemm *g) {
    return (backend){&backend_cpu_ops, g};
}

void backend_gemm_describe(const backend *device, const char **gemm, const char **path) {
    *gemm = "openblas", *path = "none";
    if (device && device->ops && device->ops != &backend_cpu_ops) {
        *gemm = "cublas";
        return;
    }
    const cpu_gemm *g = device ? device->ctx : NULL;
    if (g && g->own) *gemm = "own", *path = gemm_path_name(g->ctx.path);
}
