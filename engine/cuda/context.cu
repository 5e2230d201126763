/* The psl_cuda context (stream, cuBLAS handle, last error) and memory helpers. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int psl_cuda_fail(psl_cuda *ctx, const char *what, const char *fmt, ...) {
    if (!ctx) return -1;
    int n = snprintf(ctx->err, sizeof ctx->err, "%s: ", what);
    if (n < 0 || (size_t)n >= sizeof ctx->err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err + n, sizeof ctx->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

const char *psl_cublas_status_name(cublasStatus_t s) {
    switch (s) {
    case CUBLAS_STATUS_SUCCESS:
        return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
        return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
        return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
        return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
        return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
        return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
        return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
        return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
        return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR:
        return "CUBLAS_STATUS_LICENSE_ERROR";
    default:
        return "unknown cuBLAS status";
    }
}

int psl_cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky "no device" error */
        return 0;
    }
    return n;
}

/* Writes the message into err, frees what was made, returns -1. */
static int create_fail(psl_cuda *c, char *err, size_t errlen) {
    if (err && errlen) snprintf(err, errlen, "%s", c->err);
    psl_cuda_destroy(c);
    return -1;
}

int psl_cuda_create(psl_cuda **out, int device, char *err, size_t errlen) {
    *out = NULL;
    psl_cuda *c = (psl_cuda *)calloc(1, sizeof *c);
    if (!c) {
        if (err && errlen) snprintf(err, errlen, "psl_cuda_create: out of memory");
        return -1;
    }
    c->device = device;
    cudaError_t e = cudaSetDevice(device);
    if (e == cudaSuccess) {
        cudaDeviceProp prop;
        e = cudaGetDeviceProperties(&prop, device);
        if (e == cudaSuccess) snprintf(c->name, sizeof c->name, "%s", prop.name);
    }
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
        psl_cuda_fail(c, "psl_cuda_create", "device %d: %s", device, cudaGetErrorString(e));
        return create_fail(c, err, errlen);
    }
    cublasStatus_t s = cublasCreate(&c->blas);
    /* FP32 GEMMs in pedantic math: no TF32, no reduced-precision paths. One stream
     * per handle and no atomics keep cuBLAS bit-reproducible on one GPU model. */
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetStream(c->blas, c->stream);
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetMathMode(c->blas, CUBLAS_PEDANTIC_MATH);
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetAtomicsMode(c->blas, CUBLAS_ATOMICS_NOT_ALLOWED);
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetPointerMode(c->blas, CUBLAS_POINTER_MODE_HOST);
    if (s != CUBLAS_STATUS_SUCCESS) {
        psl_cuda_fail(c, "psl_cuda_create", "cuBLAS: %s", psl_cublas_status_name(s));
        return create_fail(c, err, errlen);
    }
    *out = c;
    return 0;
}

void psl_cuda_destroy(psl_cuda *ctx) {
    if (!ctx) return;
    if (ctx->stream) cudaStreamSynchronize(ctx->stream);
    for (int i = 0; i < 2; i++) cudaFree(ctx->bf16[i]);
    if (ctx->blas) cublasDestroy(ctx->blas);
    if (ctx->stream) cudaStreamDestroy(ctx->stream);
    free(ctx);
}

const char *psl_cuda_last_error(const psl_cuda *ctx) {
    return ctx ? ctx->err : "no context";
}
const char *psl_cuda_device_name(const psl_cuda *ctx) {
    return ctx ? ctx->name : "";
}

int psl_cuda_alloc(psl_cuda *ctx, void **dev, size_t bytes) {
    *dev = NULL;
    PSL_CU(ctx, cudaSetDevice(ctx->device));
    PSL_CU(ctx, cudaMalloc(dev, bytes ? bytes : 1));
    return 0;
}

void psl_cuda_free(psl_cuda *ctx, void *dev) {
    (void)ctx;
    if (dev) cudaFree(dev);
}

int psl_cuda_upload(psl_cuda *ctx, void *dev, const void *host, size_t bytes) {
    PSL_CU(ctx, cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, ctx->stream));
    /* The host buffer may be reused as soon as we return. */
    PSL_CU(ctx, cudaStreamSynchronize(ctx->stream));
    return 0;
}

int psl_cuda_download(psl_cuda *ctx, void *host, const void *dev, size_t bytes) {
    PSL_CU(ctx, cudaMemcpyAsync(host, dev, bytes, cudaMemcpyDeviceToHost, ctx->stream));
    PSL_CU(ctx, cudaStreamSynchronize(ctx->stream));
    return 0;
}

int psl_cuda_zero(psl_cuda *ctx, void *dev, size_t bytes) {
    PSL_CU(ctx, cudaMemsetAsync(dev, 0, bytes, ctx->stream));
    return 0;
}

int psl_cuda_set_matmul(psl_cuda *ctx, psl_matmul mode) {
    PSL_CHECK(ctx, mode == PSL_MATMUL_FP32 || mode == PSL_MATMUL_TF32 || mode == PSL_MATMUL_BF16);
    /* Pedantic math would hold cublasGemmEx to the prescribed precision too: the FAST
     * compute types get the default math mode, atomics stay off. */
    PSL_BLAS(ctx, cublasSetMathMode(ctx->blas, mode == PSL_MATMUL_FP32 ? CUBLAS_PEDANTIC_MATH
                                                                       : CUBLAS_DEFAULT_MATH));
    ctx->matmul = mode;
    return 0;
}

int psl_cuda_copy_rows(psl_cuda *ctx, float *dst, size_t ldd, const float *src, size_t lds,
                       size_t rows, size_t cols) {
    if (rows == 0 || cols == 0) return 0;
    PSL_CU(ctx,
           cudaMemcpy2DAsync(dst, ldd * sizeof(float), src, lds * sizeof(float),
                             cols * sizeof(float), rows, cudaMemcpyDeviceToDevice, ctx->stream));
    return 0;
}

int psl_cuda_sync(psl_cuda *ctx) {
    PSL_CU(ctx, cudaStreamSynchronize(ctx->stream));
    return 0;
}
