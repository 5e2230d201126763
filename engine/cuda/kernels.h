#ifndef ENGINE_CUDA_KERNELS_H
#define ENGINE_CUDA_KERNELS_H
/* The transformer's layers on a CUDA device: one C function per layer, mirroring
 * the float functions of engine/model_generic.h (same argument order, same shapes,
 * same accumulate-or-overwrite rules; see engine/layers/ *.inc), on device float
 * pointers. This is the kernel table a GPU backend plugs in; nothing here knows
 * about the training loop.
 *
 * Context. Every call takes a psl_cuda context (psl_cuda_create): it holds the
 * device, one cudaStream_t on which every kernel and copy of the context is queued
 * in call order, the cublasHandle_t bound to that stream, and the message of the
 * last error. There is no global mutable state: two contexts are independent (one
 * thread at a time per context).
 *
 * Errors. Every function returns 0, or -1 with a message (the CUDA or cuBLAS error,
 * and which call) that psl_cuda_last_error returns; nothing exits. Kernels run
 * asynchronously on the stream: a launch error is reported by the call, a fault
 * inside a kernel by the next call that waits for the stream (psl_cuda_sync,
 * psl_cuda_download).
 *
 * Arithmetic. Everything is float, as the CPU engine's model_f32. GEMMs go through
 * cublasSgemm / cublasSgemmStridedBatched in CUBLAS_PEDANTIC_MATH: FP32 inputs and
 * FP32 accumulation, no TF32 tensor cores and no reduced-precision shortcuts, so
 * results track the CPU to float summation-order noise. The kernels are compiled
 * without FMA contraction (nvcc --fmad=false), since the CPU engine is built in ISO
 * C mode where GCC does not contract either: elementwise kernels that use only
 * +, -, *, / and sqrt round exactly like the CPU (bit-identical); those with expf or
 * logf differ by the last bits of CUDA's expf/logf (2 ulp) from glibc's.
 *
 * Determinism. No kernel uses floating-point atomics; every reduction has a fixed
 * order, so two calls on the same inputs give bit-identical outputs (cuBLAS is
 * bit-reproducible on one GPU model with one stream per handle and atomics off,
 * which the context sets).
 *
 * Scratch. Functions that need work space take a device buffer of at least the
 * bytes the matching *_scratch_bytes function returns, allocated once by the caller
 * (training never allocates per step). */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" { /* the .cu files are compiled as CUDA C++; the API is C */
#endif

#include "model.h"
#include "optimizer.h"

typedef struct psl_cuda psl_cuda;

/* Number of CUDA devices usable here; 0 when there is none or no driver. */
int psl_cuda_device_count(void);

/* Creates a context on device `device` (its stream and cuBLAS handle). Returns -1
 * with a message in err on failure, *out then NULL. */
int psl_cuda_create(psl_cuda **out, int device, char *err, size_t errlen);
/* Waits for the stream, then frees the context. NULL is allowed. */
void psl_cuda_destroy(psl_cuda *ctx);
/* The message of the last failed call of this context ("" if none). */
const char *psl_cuda_last_error(const psl_cuda *ctx);
/* Device name, e.g. "NVIDIA H200". */
const char *psl_cuda_device_name(const psl_cuda *ctx);

/* Memory and copies. Uploads and downloads are ordered on the context's stream;
 * download waits for it (so it also reports faults of earlier kernels). */
int psl_cuda_alloc(psl_cuda *ctx, void **dev, size_t bytes);
void psl_cuda_free(psl_cuda *ctx, void *dev);
int psl_cuda_upload(psl_cuda *ctx, void *dev, const void *host, size_t bytes);
int psl_cuda_download(psl_cuda *ctx, void *host, const void *dev, size_t bytes);
int psl_cuda_zero(psl_cuda *ctx, void *dev, size_t bytes);
int psl_cuda_sync(psl_cuda *ctx);
/* The arithmetic of every GEMM of the context (linear layers, attention): FP32 (the
 * default: cublasSgemm in CUBLAS_PEDANTIC_MATH, no tensor cores), or on the tensor
 * cores with FP32 accumulation: TF32 (cublasGemmEx on the FP32 operands with
 * CUBLAS_COMPUTE_32F_FAST_TF32) or BF16 (the operands rounded to BF16 to nearest even
 * into the context's buffers, then cublasGemmEx on BF16 inputs with CUBLAS_COMPUTE_32F;
 * measured on an H200, CUBLAS_COMPUTE_32F_FAST_16BF on FP32 operands gave the TF32
 * results). Each is bit-reproducible on one GPU model and library version; they differ
 * from each other and from the CPU. */
typedef enum psl_matmul { PSL_MATMUL_FP32 = 0, PSL_MATMUL_TF32, PSL_MATMUL_BF16 } psl_matmul;
int psl_cuda_set_matmul(psl_cuda *ctx, psl_matmul mode);

/* rows x cols floats from src (row stride lds) to dst (row stride ldd), device to
 * device on the stream: the q, k, v parts of qkv rows to a matrix of their own and back. */
int psl_cuda_copy_rows(psl_cuda *ctx, float *dst, size_t ldd, const float *src, size_t lds,
                       size_t rows, size_t cols);

/* RMSNorm (layers/rmsnorm.inc). inp, out: [M][C]; rstd: [M]; gain: [C]. The
 * backward adds into dinp and dgain. */
int psl_cuda_rmsnorm_forward(psl_cuda *ctx, float *out, float *rstd, const float *inp,
                             const float *gain, int M, int C);
int psl_cuda_rmsnorm_backward(psl_cuda *ctx, float *dinp, float *dgain, const float *dout,
                              const float *inp, const float *gain, const float *rstd, int M, int C);

/* Linear without bias (layers/linear.inc): out = inp W^T. inp: [M][Cin];
 * w: [Cout][Cin]; out: [M][Cout]. Backward: dinp = dout W (overwritten, skipped
 * when dinp is NULL); dw += dout^T inp. */
int psl_cuda_linear_forward(psl_cuda *ctx, float *out, const float *inp, const float *w, int M,
                            int Cin, int Cout);
int psl_cuda_linear_backward(psl_cuda *ctx, float *dinp, float *dw, const float *dout,
                             const float *inp, const float *w, int M, int Cin, int Cout);

/* RoPE (layers/rope.inc). Tables [T][head_dim/2], computed on the device in double
 * and rounded to float, as the CPU does. Forward/backward rotate the q and k parts
 * of qkv [B*T][3C] in place. */
int psl_cuda_rope_tables(psl_cuda *ctx, float *cos_t, float *sin_t, int T, int head_dim);
int psl_cuda_rope_forward(psl_cuda *ctx, float *qkv, const float *cos_t, const float *sin_t, int B,
                          int T, int C, int H);
int psl_cuda_rope_backward(psl_cuda *ctx, float *dqkv, const float *cos_t, const float *sin_t,
                           int B, int T, int C, int H);

/* Causal attention (layers/attention.inc). qkv: [B][T][3C]; att: [B][H][T][T]
 * softmax probabilities, zero above the diagonal (the CPU layout); out: [B][T][C].
 * The backward overwrites dqkv [B][T][3C] and needs scratch of
 * psl_cuda_attention_scratch_bytes (one head's [B][T][T]: dP, then dS). */
size_t psl_cuda_attention_scratch_bytes(int B, int T, int C, int H);
int psl_cuda_attention_forward(psl_cuda *ctx, float *out, float *att, const float *qkv, int B,
                               int T, int C, int H);
int psl_cuda_attention_backward(psl_cuda *ctx, float *dqkv, const float *dout, const float *att,
                                const float *qkv, int B, int T, int C, int H, void *scratch);

/* SwiGLU (layers/swiglu.inc). h13: [M][2F] rows [gate | up]; out: [M][F]. The
 * backward overwrites dh13. */
int psl_cuda_swiglu_forward(psl_cuda *ctx, float *out, const float *h13, int M, int F);
int psl_cuda_swiglu_backward(psl_cuda *ctx, float *dh13, const float *dout, const float *h13, int M,
                             int F);

/* Cross-entropy (layers/crossentropy.inc). probs: [M][V], logits on entry,
 * replaced by the softmax in place; targets: [M] (device). row_loss: [M] doubles
 * (device), the per-token losses; total: one device double, their sum in a fixed
 * tree (reproducible; not the CPU's row order, so the last bits may differ). The backward writes
 * dlogits = scale (probs - onehot(target)); dlogits may alias probs. */
int psl_cuda_crossentropy_forward(psl_cuda *ctx, float *probs, double *row_loss, double *total,
                                  const uint16_t *targets, int M, int V);
int psl_cuda_crossentropy_backward(psl_cuda *ctx, float *dlogits, const float *probs,
                                   const uint16_t *targets, int M, int V, float scale);

/* Token embedding (layers/embedding.inc). wte: [V][C]; inputs: [M] (device);
 * out: [M][C]. The backward adds dwte[inputs[m]] += dout[m] with each row's
 * contributions summed in position order, like the CPU (bit-identical to it):
 * a stable counting sort of the positions by token (integer arithmetic, no
 * atomics) into scratch of psl_cuda_embedding_scratch_bytes, then one thread
 * block per vocabulary row walks its positions. */
size_t psl_cuda_embedding_scratch_bytes(int M, int V);
int psl_cuda_embedding_forward(psl_cuda *ctx, float *out, const uint16_t *inputs, const float *wte,
                               int M, int C);
int psl_cuda_embedding_backward(psl_cuda *ctx, float *dwte, const float *dout,
                                const uint16_t *inputs, int M, int C, int V, void *scratch);

/* One AdamW step over the flat parameter buffer, exactly as adamw_step in
 * engine/optimizer.c: the same scalars computed on the host in the same way
 * (1 - beta in double, bias corrections 1 / (1 - beta^t) in double, decay
 * 1 - lr wd on the tensors param_tensor_decays names), the same float operations
 * in the same order on the device. Bit-identical to the CPU. */
int psl_cuda_adamw_step(psl_cuda *ctx, float *params, const float *grads, float *m, float *v,
                        const param_layout *l, const adamw_hparams *h, int64_t t, float grad_scale);

/* Residual connection: y[i] += x[i] (bit-identical to the CPU's loop). */
int psl_cuda_add_inplace(psl_cuda *ctx, float *y, const float *x, size_t n);

/* Sum of squares of x [n] in double, into the host double *out (waits for the stream);
 * scratch of psl_cuda_sum_squares_scratch_bytes. A fixed reduction tree: reproducible,
 * not the CPU's order. */
size_t psl_cuda_sum_squares_scratch_bytes(void);
int psl_cuda_sum_squares(psl_cuda *ctx, double *out, const float *x, size_t n, void *scratch);

/* ---- Fake quantization (engine/quant, docs/formats.md; docs/gpu.md "Quantizers on the
 * device"). Bit-identical to the CPU's qspec_fake_quant / qspec_backward for every format
 * kind and granularity: y, the pass mask and the counts. */
#include "quant/quant.h"

/* Bytes of device scratch psl_cuda_fake_quant needs for q on a rows x cols matrix
 * (per-segment parameters, per-row statistics); 0 when it needs none. */
size_t psl_cuda_quant_scratch_bytes(const qspec *q, size_t rows, size_t cols);
/* qspec_fake_quant on device memory: x, y row-major rows x cols (y may equal x), pass
 * (rows*cols bytes, may be NULL) gets the same pass mask, stats (a DEVICE pointer to one
 * qstats, may be NULL) is added to on the device (total, clipped, masked: integer
 * atomics are fine, they are order independent), scratch as sized above. Never waits
 * for the stream. Returns 0, or -1 with a message (also when qspec_check refuses the shape). */
int psl_cuda_fake_quant(psl_cuda *ctx, const qspec *q, const float *x, float *y, size_t rows,
                        size_t cols, uint8_t *pass, qstats *stats, void *scratch);
/* qspec_backward on device memory (dx may equal dy). */
int psl_cuda_quant_backward(psl_cuda *ctx, const qspec *q, const float *dy, float *dx, size_t rows,
                            size_t cols, const uint8_t *pass, int use_mask);

#ifdef __cplusplus
}
#endif
#endif
