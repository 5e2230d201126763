#ifndef ENGINE_CUDA_INTERNAL_H
#define ENGINE_CUDA_INTERNAL_H
/* What the .cu files of engine/cuda share: the context's layout and the error
 * helpers. Not part of the API (kernels.h is). */
#include "kernels.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

struct psl_cuda {
    int device;
    cudaStream_t stream;
    cublasHandle_t blas;
    psl_matmul matmul; /* the GEMM arithmetic, psl_cuda_set_matmul */
    void *bf16[2];     /* matmul=bf16: the operands rounded to BF16, grown on first use */
    size_t bf16_cap[2];
    char name[256];
    char err[512];
};

/* Record an error in ctx->err and return -1. */
int psl_cuda_fail(psl_cuda *ctx, const char *what, const char *fmt, ...);
const char *psl_cublas_status_name(cublasStatus_t s);

/* Return -1 with a message from a CUDA or cuBLAS call, or from the last launch. */
#define PSL_CU(ctx, call)                                                                          \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess)                                                                     \
            return psl_cuda_fail(ctx, __func__, "%s: %s (%s)", #call, cudaGetErrorString(e_),      \
                                 cudaGetErrorName(e_));                                            \
    } while (0)
#define PSL_BLAS(ctx, call)                                                                        \
    do {                                                                                           \
        cublasStatus_t s_ = (call);                                                                \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                           \
            return psl_cuda_fail(ctx, __func__, "%s: %s", #call, psl_cublas_status_name(s_));      \
    } while (0)
/* The GEMMs of the layers in the context's arithmetic (gemm_layers.cu): the
 * column-major C = alpha op(A) op(B) + beta C of cublasSgemm, single and strided-batched. */
int psl_gemm(psl_cuda *ctx, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
             const float *alpha, const float *A, int lda, const float *B, int ldb,
             const float *beta, float *C, int ldc);
int psl_gemm_batched(psl_cuda *ctx, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                     const float *alpha, const float *A, int lda, long long sa, const float *B,
                     int ldb, long long sb, const float *beta, float *C, int ldc, long long sc,
                     int batch);

#define PSL_LAUNCHED(ctx) PSL_CU(ctx, cudaGetLastError())

/* Shapes are ints like the CPU's; refuse what the kernels do not cover. */
#define PSL_CHECK(ctx, cond)                                                                       \
    do {                                                                                           \
        if (!(cond)) return psl_cuda_fail(ctx, __func__, "bad arguments: %s", #cond);              \
    } while (0)

#endif
