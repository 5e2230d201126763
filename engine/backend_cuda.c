/* The CUDA backend (engine/backend.h) over the kernels of engine/cuda/kernels.h, or,
 * in a build without CUDA, the message that says how to get one. */
#include "backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fp32 is every backend's; the tensor-core modes are a CUDA backend's (set_mode). */
static int matmul_mode(const char *mode, int cuda, int *out, char *err, size_t errlen) {
    static const char *const names[] = {"fp32", "tf32", "bf16"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(mode, names[i])) {
            if (i > 0 && !cuda) break;
            *out = i;
            return 0;
        }
    snprintf(err, errlen, "knob matmul=%s: expected %s", mode,
             cuda ? "fp32, tf32 or bf16" : "fp32 here (tf32 and bf16 need device=cuda)");
    return -1;
}

/* What backend_gpu_describe says of the CPU: "none" and 0, so every run file has the
 * attributes. */
static void gpu_none(backend_gpu_info *g) {
    *g = (backend_gpu_info){0};
    snprintf(g->model, sizeof g->model, "none");
    snprintf(g->cc, sizeof g->cc, "none");
    snprintf(g->driver, sizeof g->driver, "none");
}

void backend_cuda_describe(const backend *b, char *out, size_t outlen) {
    backend_gpu_info g;
    backend_gpu_describe(b, &g);
    if (!strcmp(g.model, "none")) {
        snprintf(out, outlen, "%s", "");
        return;
    }
    snprintf(out, outlen, "%s, cc %s, driver %s (CUDA %d.%d), runtime %d.%d, cuBLAS %d.%d.%d",
             g.model, g.cc, g.driver, g.cuda_driver / 1000, g.cuda_driver % 1000 / 10,
             g.cuda_runtime / 1000, g.cuda_runtime % 1000 / 10, g.cublas / 10000,
             g.cublas % 10000 / 100, g.cublas % 100);
}

#ifdef PSL_HAVE_CUDA
#include "kernels.h"
#include "optimizer.h"

#include <cublas_api.h>
#include <cuda_runtime_api.h>
#include <dlfcn.h>

/* The context: the device's stream and cuBLAS handle, the first failure, and the work
 * space the CPU entries do not need (token copies, embedding sort, norm partials),
 * grown on first use to what training asks for and then kept: no allocation per step
 * after the first. */
typedef struct cuda_backend {
    psl_cuda *cu;
    int device;
    int failed;
    char error[640];
    uint16_t *tok[2];
    size_t tok_cap[2];
    void *emb_scratch;
    size_t emb_cap;
    void *sq_scratch;
    double *ce_total;
    void *q_scratch; /* the quantizers' per-segment parameters and row statistics */
    size_t q_cap;
} cuda_backend;

/* Records the first failure; later ones are consequences. */
static void fail(cuda_backend *b, const char *what) {
    if (b->failed) return;
    b->failed = 1;
    snprintf(b->error, sizeof b->error, "CUDA (%s): %s", what, psl_cuda_last_error(b->cu));
}

#define CALL(b, what, call)                                                                        \
    do {                                                                                           \
        if (!(b)->failed && (call)) fail(b, what);                                                 \
    } while (0)

/* Grows *buf to bytes of device memory. 0 ok. */
static int ensure(cuda_backend *b, void **buf, size_t *cap, size_t bytes, const char *what) {
    if (b->failed) return -1;
    if (*cap >= bytes) return 0;
    psl_cuda_free(b->cu, *buf);
    *buf = NULL, *cap = 0;
    if (psl_cuda_alloc(b->cu, buf, bytes)) {
        fail(b, what);
        return -1;
    }
    *cap = bytes;
    return 0;
}

static void *cu_alloc(void *ctx, size_t bytes) {
    cuda_backend *b = ctx;
    void *p = NULL;
    if (psl_cuda_alloc(b->cu, &p, bytes)) return NULL;
    return p;
}
static void cu_release(void *ctx, void *p, size_t bytes) {
    (void)bytes;
    psl_cuda_free(((cuda_backend *)ctx)->cu, p);
}
static void cu_upload(void *ctx, void *dst, const void *host, size_t bytes) {
    cuda_backend *b = ctx;
    CALL(b, "upload", psl_cuda_upload(b->cu, dst, host, bytes));
}
static void cu_download(void *ctx, void *host, const void *src, size_t bytes) {
    cuda_backend *b = ctx;
    CALL(b, "download", psl_cuda_download(b->cu, host, src, bytes));
}
static void cu_zero(void *ctx, void *p, size_t bytes) {
    cuda_backend *b = ctx;
    CALL(b, "zero", psl_cuda_zero(b->cu, p, bytes));
}
static const uint16_t *cu_tokens(void *ctx, const uint16_t *host, int M, int slot) {
    cuda_backend *b = ctx;
    size_t bytes = (size_t)M * sizeof *host;
    void *buf = b->tok[slot];
    if (ensure(b, &buf, &b->tok_cap[slot], bytes, "token buffer")) return b->tok[slot];
    b->tok[slot] = buf;
    CALL(b, "tokens", psl_cuda_upload(b->cu, b->tok[slot], host, bytes));
    return b->tok[slot];
}
static const char *cu_error(void *ctx) {
    cuda_backend *b = ctx;
    return b->failed ? b->error : NULL;
}
static size_t cu_attention_scratch(void *ctx, int B, int T, int C, int H, int nthreads) {
    (void)ctx, (void)nthreads;
    return (psl_cuda_attention_scratch_bytes(B, T, C, H) + sizeof(float) - 1) / sizeof(float);
}
static void cu_rope_tables(void *ctx, float *cos_t, float *sin_t, int T, int hd) {
    cuda_backend *b = ctx;
    CALL(b, "rope tables", psl_cuda_rope_tables(b->cu, cos_t, sin_t, T, hd));
}
static void cu_embedding_forward(void *ctx, float *out, const uint16_t *inputs, const float *wte,
                                 int M, int C) {
    cuda_backend *b = ctx;
    CALL(b, "embedding", psl_cuda_embedding_forward(b->cu, out, inputs, wte, M, C));
}
static void cu_embedding_backward(void *ctx, float *dwte, const float *dout, const uint16_t *inputs,
                                  int M, int C, int V) {
    cuda_backend *b = ctx;
    if (ensure(b, &b->emb_scratch, &b->emb_cap, psl_cuda_embedding_scratch_bytes(M, V),
               "embedding scratch"))
        return;
    CALL(b, "embedding backward",
         psl_cuda_embedding_backward(b->cu, dwte, dout, inputs, M, C, V, b->emb_scratch));
}
static void cu_rmsnorm_forward(void *ctx, float *out, float *rstd, const float *inp,
                               const float *gain, int M, int C) {
    cuda_backend *b = ctx;
    CALL(b, "rmsnorm", psl_cuda_rmsnorm_forward(b->cu, out, rstd, inp, gain, M, C));
}
static void cu_rmsnorm_backward(void *ctx, float *dinp, float *dgain, const float *dout,
                                const float *inp, const float *gain, const float *rstd, int M,
                                int C) {
    cuda_backend *b = ctx;
    CALL(b, "rmsnorm backward",
         psl_cuda_rmsnorm_backward(b->cu, dinp, dgain, dout, inp, gain, rstd, M, C));
}
static void cu_linear_forward(void *ctx, float *out, const float *inp, const float *w, int M,
                              int Cin, int Cout) {
    cuda_backend *b = ctx;
    CALL(b, "linear", psl_cuda_linear_forward(b->cu, out, inp, w, M, Cin, Cout));
}
static void cu_linear_backward(void *ctx, float *dinp, float *dw, const float *dout,
                               const float *inp, const float *w, int M, int Cin, int Cout) {
    cuda_backend *b = ctx;
    CALL(b, "linear backward",
         psl_cuda_linear_backward(b->cu, dinp, dw, dout, inp, w, M, Cin, Cout));
}
static void cu_rope_forward(void *ctx, float *qkv, const float *cos_t, const float *sin_t, int B,
                            int T, int C, int H) {
    cuda_backend *b = ctx;
    CALL(b, "rope", psl_cuda_rope_forward(b->cu, qkv, cos_t, sin_t, B, T, C, H));
}
static void cu_rope_backward(void *ctx, float *dqkv, const float *cos_t, const float *sin_t, int B,
                             int T, int C, int H) {
    cuda_backend *b = ctx;
    CALL(b, "rope backward", psl_cuda_rope_backward(b->cu, dqkv, cos_t, sin_t, B, T, C, H));
}
static void cu_attention_forward(void *ctx, float *out, float *att, const float *qkv, int B, int T,
                                 int C, int H, float *scratch, int nthreads) {
    cuda_backend *b = ctx;
    (void)scratch, (void)nthreads;
    CALL(b, "attention", psl_cuda_attention_forward(b->cu, out, att, qkv, B, T, C, H));
}
static void cu_attention_backward(void *ctx, float *dqkv, const float *dout, const float *att,
                                  const float *qkv, int B, int T, int C, int H, float *scratch,
                                  int nthreads) {
    cuda_backend *b = ctx;
    (void)nthreads;
    CALL(b, "attention backward",
         psl_cuda_attention_backward(b->cu, dqkv, dout, att, qkv, B, T, C, H, scratch));
}
static void cu_swiglu_forward(void *ctx, float *out, const float *h13, int M, int F) {
    cuda_backend *b = ctx;
    CALL(b, "swiglu", psl_cuda_swiglu_forward(b->cu, out, h13, M, F));
}
static void cu_swiglu_backward(void *ctx, float *dh13, const float *dout, const float *h13, int M,
                               int F) {
    cuda_backend *b = ctx;
    CALL(b, "swiglu backward", psl_cuda_swiglu_backward(b->cu, dh13, dout, h13, M, F));
}
static void cu_residual_add(void *ctx, float *y, const float *x, size_t n) {
    cuda_backend *b = ctx;
    CALL(b, "residual", psl_cuda_add_inplace(b->cu, y, x, n));
}
static double cu_crossentropy_sum(void *ctx, float *probs, double *row_loss,
                                  const uint16_t *targets, int M, int V) {
    cuda_backend *b = ctx;
    double total = 0;
    CALL(b, "cross-entropy",
         psl_cuda_crossentropy_forward(b->cu, probs, row_loss, b->ce_total, targets, M, V));
    CALL(b, "cross-entropy", psl_cuda_download(b->cu, &total, b->ce_total, sizeof total));
    return b->failed ? NAN : total;
}
static void cu_crossentropy_backward(void *ctx, float *dlogits, const float *probs,
                                     const uint16_t *targets, int M, int V, float scale) {
    cuda_backend *b = ctx;
    CALL(b, "cross-entropy backward",
         psl_cuda_crossentropy_backward(b->cu, dlogits, probs, targets, M, V, scale));
}
static double cu_global_norm(void *ctx, const float *x, size_t n) {
    cuda_backend *b = ctx;
    double sq = 0;
    CALL(b, "gradient norm", psl_cuda_sum_squares(b->cu, &sq, x, n, b->sq_scratch));
    return b->failed ? NAN : sqrt(sq);
}
static void cu_adamw_step(void *ctx, float *params, const float *grads, float *m, float *v,
                          const param_layout *l, const adamw_hparams *h, int64_t t,
                          float grad_scale) {
    cuda_backend *b = ctx;
    CALL(b, "AdamW", psl_cuda_adamw_step(b->cu, params, grads, m, v, l, h, t, grad_scale));
}

static void cu_fake_quant(void *ctx, const qspec *q, const float *x, float *y, size_t rows,
                          size_t cols, uint8_t *pass, qstats *stats) {
    cuda_backend *b = ctx;
    size_t need = psl_cuda_quant_scratch_bytes(q, rows, cols);
    if (need && ensure(b, &b->q_scratch, &b->q_cap, need, "quantizer scratch")) return;
    CALL(b, "fake_quant",
         psl_cuda_fake_quant(b->cu, q, x, y, rows, cols, pass, stats, b->q_scratch));
}
static void cu_quant_backward(void *ctx, const qspec *q, const float *dy, float *dx, size_t rows,
                              size_t cols, const uint8_t *pass, int use_mask) {
    cuda_backend *b = ctx;
    CALL(b, "quant_backward",
         psl_cuda_quant_backward(b->cu, q, dy, dx, rows, cols, pass, use_mask));
}
static void cu_copy_rows(void *ctx, float *dst, size_t ldd, const float *src, size_t lds,
                         size_t rows, size_t cols) {
    cuda_backend *b = ctx;
    CALL(b, "copy_rows", psl_cuda_copy_rows(b->cu, dst, ldd, src, lds, rows, cols));
}

static const backend_ops cuda_ops = {
    .name = "cuda",
    .alloc = cu_alloc,
    .release = cu_release,
    .upload = cu_upload,
    .download = cu_download,
    .zero = cu_zero,
    .tokens = cu_tokens,
    .error = cu_error,
    .attention_scratch = cu_attention_scratch,
    .rope_tables = cu_rope_tables,
    .embedding_forward = cu_embedding_forward,
    .embedding_backward = cu_embedding_backward,
    .rmsnorm_forward = cu_rmsnorm_forward,
    .rmsnorm_backward = cu_rmsnorm_backward,
    .linear_forward = cu_linear_forward,
    .linear_backward = cu_linear_backward,
    .rope_forward = cu_rope_forward,
    .rope_backward = cu_rope_backward,
    .attention_forward = cu_attention_forward,
    .attention_backward = cu_attention_backward,
    .swiglu_forward = cu_swiglu_forward,
    .swiglu_backward = cu_swiglu_backward,
    .residual_add = cu_residual_add,
    .crossentropy_sum = cu_crossentropy_sum,
    .crossentropy_backward = cu_crossentropy_backward,
    .global_norm = cu_global_norm,
    .adamw_step = cu_adamw_step,
    .fake_quant = cu_fake_quant,
    .quant_backward = cu_quant_backward,
    .copy_rows = cu_copy_rows,
};

int backend_cuda_device_count(void) {
    return psl_cuda_device_count();
}

int backend_cuda_create(backend *out, int device, char *err, size_t errlen) {
    *out = (backend){0};
    int n = psl_cuda_device_count();
    if (n < 1) {
        snprintf(err, errlen, "device=cuda: no CUDA device is visible (CUDA_VISIBLE_DEVICES=%s)",
                 getenv("CUDA_VISIBLE_DEVICES") ? getenv("CUDA_VISIBLE_DEVICES") : "unset");
        return -1;
    }
    if (device < 0 || device >= n) {
        snprintf(err, errlen, "device=cuda: device %d of %d visible", device, n);
        return -1;
    }
    cuda_backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (psl_cuda_create(&b->cu, device, err, errlen)) {
        free(b);
        return -1;
    }
    b->device = device;
    void *ce = NULL;
    if (psl_cuda_alloc(b->cu, &b->sq_scratch, psl_cuda_sum_squares_scratch_bytes()) ||
        psl_cuda_alloc(b->cu, &ce, sizeof(double))) {
        snprintf(err, errlen, "device=cuda: %s", psl_cuda_last_error(b->cu));
        psl_cuda_free(b->cu, b->sq_scratch);
        psl_cuda_destroy(b->cu);
        free(b);
        return -1;
    }
    b->ce_total = ce;
    *out = (backend){&cuda_ops, b};
    return 0;
}

int backend_set_matmul(backend *be, const char *mode, char *err, size_t errlen) {
    int cuda = be && be->ops == &cuda_ops && be->ctx, m = 0;
    if (matmul_mode(mode, cuda, &m, err, errlen)) return -1;
    if (!cuda) return 0;
    cuda_backend *b = be->ctx;
    if (psl_cuda_set_matmul(b->cu, (psl_matmul)m)) {
        snprintf(err, errlen, "knob matmul=%s: %s", mode, psl_cuda_last_error(b->cu));
        return -1;
    }
    return 0;
}

void backend_cuda_destroy(backend *be) {
    if (!be || !be->ctx) return;
    cuda_backend *b = be->ctx;
    psl_cuda_sync(b->cu);
    for (int i = 0; i < 2; i++) psl_cuda_free(b->cu, b->tok[i]);
    psl_cuda_free(b->cu, b->emb_scratch);
    psl_cuda_free(b->cu, b->sq_scratch);
    psl_cuda_free(b->cu, b->ce_total);
    psl_cuda_free(b->cu, b->q_scratch);
    psl_cuda_destroy(b->cu);
    free(b);
    *be = (backend){0};
}

/* The NVIDIA driver's version as nvidia-smi prints it: NVML, loaded at run time (it
 * comes with the driver, not the toolkit, so the build does not link it). 0 ok. */
static int nvml_driver(char *buf, size_t len) {
    void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return -1;
    int (*init)(void) = (int (*)(void))dlsym(h, "nvmlInit_v2");
    int (*version)(char *, unsigned) =
        (int (*)(char *, unsigned))dlsym(h, "nvmlSystemGetDriverVersion");
    int (*shutdown)(void) = (int (*)(void))dlsym(h, "nvmlShutdown");
    int rc = -1;
    char v[96] = ""; /* NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE is 80 */
    if (init && version && shutdown && init() == 0) { /* NVML_SUCCESS */
        if (version(v, sizeof v) == 0 && v[0]) rc = 0;
        shutdown();
    }
    dlclose(h);
    if (!rc) snprintf(buf, len, "%s", v);
    return rc;
}

/* Else the kernel module's line, "NVRM version: NVIDIA UNIX [Open ]Kernel Module [for
 * x86_64]  580.159.04  Release Build ...": its first word of digits and dots. 0 ok. */
static int proc_driver(char *buf, size_t len) {
    FILE *f = fopen("/proc/driver/nvidia/version", "r");
    if (!f) return -1;
    char line[512], *save = NULL;
    int rc = -1;
    if (fgets(line, sizeof line, f))
        for (char *w = strtok_r(line, " \t\n", &save); w && rc; w = strtok_r(NULL, " \t\n", &save))
            if (w[0] >= '0' && w[0] <= '9' && strchr(w, '.') &&
                strspn(w, "0123456789.") == strlen(w)) {
                snprintf(buf, len, "%s", w);
                rc = 0;
            }
    fclose(f);
    return rc;
}

void backend_gpu_describe(const backend *be, backend_gpu_info *g) {
    gpu_none(g);
    if (!be || be->ops != &cuda_ops || !be->ctx) return;
    const cuda_backend *b = be->ctx;
    snprintf(g->model, sizeof g->model, "%s", psl_cuda_device_name(b->cu));
    if (!g->model[0]) snprintf(g->model, sizeof g->model, "unknown");
    int major = 0, minor = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, b->device) ==
            cudaSuccess &&
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, b->device) == cudaSuccess)
        snprintf(g->cc, sizeof g->cc, "%d.%d", major, minor);
    else
        snprintf(g->cc, sizeof g->cc, "unknown");
    if (nvml_driver(g->driver, sizeof g->driver) && proc_driver(g->driver, sizeof g->driver))
        snprintf(g->driver, sizeof g->driver, "unknown");
    if (cudaDriverGetVersion(&g->cuda_driver) != cudaSuccess) g->cuda_driver = 0;
    if (cudaRuntimeGetVersion(&g->cuda_runtime) != cudaSuccess) g->cuda_runtime = 0;
    int v[3];
    if (cublasGetProperty(MAJOR_VERSION, &v[0]) == CUBLAS_STATUS_SUCCESS &&
        cublasGetProperty(MINOR_VERSION, &v[1]) == CUBLAS_STATUS_SUCCESS &&
        cublasGetProperty(PATCH_LEVEL, &v[2]) == CUBLAS_STATUS_SUCCESS)
        g->cublas = v[0] * 10000 + v[1] * 100 + v[2];
    cudaGetLastError(); /* a failed query above is no failure of the run */
}

#else /* no CUDA in this build */

int backend_cuda_device_count(void) {
    return 0;
}

int backend_cuda_create(backend *out, int device, char *err, size_t errlen) {
    (void)device;
    *out = (backend){0};
    snprintf(err, errlen,
             "device=cuda: this build has no CUDA backend (configured with PSL_CUDA=OFF, or "
             "AUTO where no CUDA toolkit 12 or newer was found; configure a new build "
             "directory with -DPSL_CUDA=ON on a machine with the toolkit; docs/gpu.md)");
    return -1;
}

void backend_cuda_destroy(backend *be) {
    if (be) *be = (backend){0};
}

int backend_set_matmul(backend *be, const char *mode, char *err, size_t errlen) {
    (void)be;
    int m;
    return matmul_mode(mode, 0, &m, err, errlen);
}

void backend_gpu_describe(const backend *be, backend_gpu_info *g) {
    (void)be;
    gpu_none(g);
}
#endif
