#ifndef ENGINE_BACKEND_H
#define ENGINE_BACKEND_H
/* The kernel table a device plugs into the float model (model_pass.inc): memory, the
 * layers, and the optimizer's two flat loops. Everything above it (the block chain, the
 * training loop, evaluation, checkpoints, the run file, PTQ on the host copy) is one
 * code path for every device.
 *
 * Each layer entry has the signature of the CPU float function of model_generic.h
 * (engine/layers/ *.inc) with the backend's context first, and keeps that function's
 * rule for what is overwritten and what is accumulated; every pointer the model passes
 * is in the backend's memory (device pointers for CUDA). Entries return nothing, so
 * the block chain reads like the math: a device records its first failure in its
 * context, and the caller asks `error` at the points where it waits anyway (each
 * step's loss, each download). The CPU table fails only in the own GEMM's allocations.
 *
 * The double model used by the gradient checks calls the CPU layers directly. */
#include "model.h"

#include <stddef.h>
#include <stdint.h>

typedef struct adamw_hparams adamw_hparams;
typedef struct qspec qspec;   /* engine/quant/quant.h */
typedef struct qstats qstats; /* engine/quant/quant.h */

typedef struct backend_ops {
    const char *name; /* "cpu", "cuda": the device knob's value */

    /* Memory. alloc returns NULL when out of memory (a failure is not sticky). */
    void *(*alloc)(void *ctx, size_t bytes);
    void (*release)(void *ctx, void *p, size_t bytes);
    void (*upload)(void *ctx, void *dst, const void *host, size_t bytes);
    void (*download)(void *ctx, void *host, const void *src, size_t bytes); /* waits */
    void (*zero)(void *ctx, void *p, size_t bytes);
    /* Host tokens of one forward or backward as the layers read them (slot 0: inputs,
     * 1: targets; the CPU returns host itself, a device copies into its own buffer). */
    const uint16_t *(*tokens)(void *ctx, const uint16_t *host, int M, int slot);
    /* The message of the first failure since the context was made, or NULL. */
    const char *(*error)(void *ctx);

    /* Layers (shapes in engine/layers/ *.inc). */
    size_t (*attention_scratch)(void *ctx, int B, int T, int C, int H, int nthreads); /* REALs */
    void (*rope_tables)(void *ctx, float *cos_t, float *sin_t, int T, int head_dim);
    void (*embedding_forward)(void *ctx, float *out, const uint16_t *inputs, const float *wte,
                              int M, int C);
    void (*embedding_backward)(void *ctx, float *dwte, const float *dout, const uint16_t *inputs,
                               int M, int C, int V);
    void (*rmsnorm_forward)(void *ctx, float *out, float *rstd, const float *inp, const float *gain,
                            int M, int C);
    void (*rmsnorm_backward)(void *ctx, float *dinp, float *dgain, const float *dout,
                             const float *inp, const float *gain, const float *rstd, int M, int C);
    void (*linear_forward)(void *ctx, float *out, const float *inp, const float *w, int M, int Cin,
                           int Cout);
    void (*linear_backward)(void *ctx, float *dinp, float *dw, const float *dout, const float *inp,
                            const float *w, int M, int Cin, int Cout);
    void (*rope_forward)(void *ctx, float *qkv, const float *cos_t, const float *sin_t, int B,
                         int T, int C, int H);
    void (*rope_backward)(void *ctx, float *dqkv, const float *cos_t, const float *sin_t, int B,
                          int T, int C, int H);
    void (*attention_forward)(void *ctx, float *out, float *att, const float *qkv, int B, int T,
                              int C, int H, float *scratch, int nthreads);
    void (*attention_backward)(void *ctx, float *dqkv, const float *dout, const float *att,
                               const float *qkv, int B, int T, int C, int H, float *scratch,
                               int nthreads);
    void (*swiglu_forward)(void *ctx, float *out, const float *h13, int M, int F);
    void (*swiglu_backward)(void *ctx, float *dh13, const float *dout, const float *h13, int M,
                            int F);
    /* y[i] += x[i], the residual connections. */
    void (*residual_add)(void *ctx, float *y, const float *x, size_t n);
    /* Softmax in place, per-row losses into row_loss [M] (backend memory), and their sum
     * in row order, returned to the host (a device waits for it). */
    double (*crossentropy_sum)(void *ctx, float *probs, double *row_loss, const uint16_t *targets,
                               int M, int V);
    void (*crossentropy_backward)(void *ctx, float *dlogits, const float *probs,
                                  const uint16_t *targets, int M, int V, float scale);

    /* Fake quantization (engine/quant/quant.h) of a row-major rows x cols matrix:
     * qspec_fake_quant and qspec_backward, with the same bits on every device. y may
     * equal x (dx dy); pass (rows*cols bytes, may be NULL) and stats (added to) are in
     * backend memory like the matrices. The caller has checked q against the shape
     * (qspec_check), so the CPU never fails here. */
    void (*fake_quant)(void *ctx, const qspec *q, const float *x, float *y, size_t rows,
                       size_t cols, uint8_t *pass, qstats *stats);
    void (*quant_backward)(void *ctx, const qspec *q, const float *dy, float *dx, size_t rows,
                           size_t cols, const uint8_t *pass, int use_mask);
    /* rows x cols floats from src (row stride lds) to dst (row stride ldd): the q, k and
     * v parts of the qkv rows, which the quantizers take as matrices of their own. */
    void (*copy_rows)(void *ctx, float *dst, size_t ldd, const float *src, size_t lds, size_t rows,
                      size_t cols);

    /* The optimizer over the flat buffers (engine/optimizer.h). */
    double (*global_norm)(void *ctx, const float *x, size_t n);
    void (*adamw_step)(void *ctx, float *params, const float *grads, float *m, float *v,
                       const param_layout *l, const adamw_hparams *h, int64_t t, float grad_scale);
} backend_ops;

/* A device: its table and its context (owned by whoever made it). */
typedef struct backend {
    const backend_ops *ops;
    void *ctx;
} backend;

/* The host: OpenBLAS and OpenMP (the float layers of model_f32.c). Its context is the
 * GEMM the layers call (engine/cpu_gemm.h: backend_cpu_gemm); none here: OpenBLAS. */
extern const backend_ops backend_cpu_ops;
static inline backend backend_cpu(void) {
    return (backend){&backend_cpu_ops, NULL};
}

/* A CUDA device (engine/cuda/backend_cuda.c) when the build has PSL_CUDA; otherwise
 * it fails with a message saying how to build one. device: the index among the
 * visible devices. backend_cuda_destroy frees the context (NULL allowed). */
int backend_cuda_create(backend *out, int device, char *err, size_t errlen);
void backend_cuda_destroy(backend *b);
/* The GEMM arithmetic of a backend, the matmul knob: "fp32" on every backend; "tf32"
 * and "bf16" (tensor cores, FP32 accumulation) on a CUDA backend. 0, or -1 with a
 * message naming the knob. */
int backend_set_matmul(backend *b, const char *mode, char *err, size_t errlen);
/* CUDA devices this process can see (CUDA_VISIBLE_DEVICES applies); 0 without a driver,
 * a device or a build with CUDA. */
int backend_cuda_device_count(void);
/* The GPU a backend runs on, for the run file's root attributes (docs/run-file.md,
 * "Provenance"; engine/provenance.c writes them). The CPU backend, and every backend of
 * a build without CUDA, is "none" and 0 throughout; what a device does not tell is
 * "unknown" or 0. */
typedef struct backend_gpu_info {
    char model[128];  /* the device's name, e.g. "NVIDIA H200" */
    char cc[16];      /* compute capability, major.minor, e.g. "9.0" */
    char driver[64];  /* the NVIDIA driver (NVML, else /proc/driver/nvidia), e.g. "580.159.04" */
    int cuda_driver;  /* the CUDA version the driver supports, 1000 major + 10 minor: 13000 */
    int cuda_runtime; /* the CUDA runtime linked in (cudart is static), same encoding */
    int cublas;       /* the cuBLAS loaded, 10000 major + 100 minor + patch: 130100 */
} backend_gpu_info;
void backend_gpu_describe(const backend *b, backend_gpu_info *out);
/* The same in one line for a program's output, e.g. "NVIDIA H200, cc 9.0, driver
 * 580.159.04 (CUDA 13.0), runtime 13.0, cuBLAS 13.1.0" ("" when b is not a GPU). */
void backend_cuda_describe(const backend *b, char *out, size_t outlen);
#endif
