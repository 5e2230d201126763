/* The layers built on GEMMs: linear and causal attention (cuBLAS, FP32 pedantic
 * math or the tensor-core mode of psl_cuda_set_matmul, see kernels.h).
 *
 * cuBLAS is column-major. A row-major matrix X [r][c] with leading dimension ld is
 * the column-major matrix X^T (c x r, ld), so each row-major product Y = A B is
 * issued as the column-major Y^T = B^T A^T: operands swapped, each one's
 * transpose flag read off its row-major use. */
#include "internal.h"

#include <cuda_bf16.h>

#include <math.h>

static const float one = 1.0f, zero = 0.0f;

/* psl_gemm has recorded the error already. */
#define PSL_GEMM_OK(call)                                                                          \
    do {                                                                                           \
        if (call) return -1;                                                                       \
    } while (0)

/* FP32 stays cublasSgemm (pedantic math, set on the handle), the calls the CPU
 * cross-checks were measured with. TF32: cublasGemmEx on the FP32 operands with the
 * FAST_TF32 compute type. BF16: each operand's span rounded to BF16 into a buffer of the
 * context (same leading dimension and strides), then cublasGemmEx on BF16 inputs with
 * FP32 accumulation and an FP32 C. */

__global__ void to_bf16_kernel(__nv_bfloat16 *dst, const float *src, size_t n) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        dst[i] = __float2bfloat16_rn(src[i]);
}

/* The elements a column-major operand rows x cols (ld; batch matrices stride apart)
 * spans from its first one. */
static size_t span(cublasOperation_t t, int rows, int cols, int ld, long long stride, int batch) {
    if (t != CUBLAS_OP_N) {
        int r = rows;
        rows = cols, cols = r;
    }
    return (size_t)(cols - 1) * (size_t)ld + (size_t)rows + (size_t)(batch - 1) * (size_t)stride;
}

/* src rounded to BF16 in the context's buffer slot. */
static const __nv_bfloat16 *as_bf16(psl_cuda *ctx, int slot, const float *src, size_t n) {
    size_t bytes = n * sizeof(__nv_bfloat16);
    if (ctx->bf16_cap[slot] < bytes) {
        cudaFree(ctx->bf16[slot]); /* waits for the kernels that read it */
        ctx->bf16[slot] = NULL, ctx->bf16_cap[slot] = 0;
        cudaError_t e = cudaMalloc(&ctx->bf16[slot], bytes);
        if (e != cudaSuccess) {
            psl_cuda_fail(ctx, "psl_gemm", "cudaMalloc of %zu bytes for BF16 operands: %s", bytes,
                          cudaGetErrorString(e));
            return NULL;
        }
        ctx->bf16_cap[slot] = bytes;
    }
    __nv_bfloat16 *dst = (__nv_bfloat16 *)ctx->bf16[slot];
    size_t blocks = (n + 255) / 256;
    to_bf16_kernel<<<(unsigned)(blocks < 4096 ? blocks : 4096), 256, 0, ctx->stream>>>(dst, src, n);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        psl_cuda_fail(ctx, "psl_gemm", "BF16 rounding: %s", cudaGetErrorString(e));
        return NULL;
    }
    return dst;
}

int psl_gemm(psl_cuda *ctx, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
             const float *alpha, const float *A, int lda, const float *B, int ldb,
             const float *beta, float *C, int ldc) {
    if (ctx->matmul == PSL_MATMUL_FP32) {
        PSL_BLAS(ctx, cublasSgemm(ctx->blas, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc));
        return 0;
    }
    return psl_gemm_batched(ctx, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

int psl_gemm_batched(psl_cuda *ctx, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                     const float *alpha, const float *A, int lda, long long sa, const float *B,
                     int ldb, long long sb, const float *beta, float *C, int ldc, long long sc,
                     int batch) {
    if (ctx->matmul == PSL_MATMUL_FP32) {
        PSL_BLAS(ctx, cublasSgemmStridedBatched(ctx->blas, ta, tb, m, n, k, alpha, A, lda, sa, B,
                                                ldb, sb, beta, C, ldc, sc, batch));
    } else if (ctx->matmul == PSL_MATMUL_TF32) {
        PSL_BLAS(ctx, cublasGemmStridedBatchedEx(
                          ctx->blas, ta, tb, m, n, k, alpha, A, CUDA_R_32F, lda, sa, B, CUDA_R_32F,
                          ldb, sb, beta, C, CUDA_R_32F, ldc, sc, batch,
                          CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
    } else {
        const __nv_bfloat16 *a = as_bf16(ctx, 0, A, span(ta, m, k, lda, sa, batch));
        const __nv_bfloat16 *b = a ? as_bf16(ctx, 1, B, span(tb, k, n, ldb, sb, batch)) : NULL;
        if (!b) return -1;
        PSL_BLAS(ctx,
                 cublasGemmStridedBatchedEx(ctx->blas, ta, tb, m, n, k, alpha, a, CUDA_R_16BF, lda,
                                            sa, b, CUDA_R_16BF, ldb, sb, beta, C, CUDA_R_32F, ldc,
                                            sc, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
    return 0;
}

int psl_cuda_linear_forward(psl_cuda *ctx, float *out, const float *inp, const float *w, int M,
                            int Cin, int Cout) {
    PSL_CHECK(ctx, M > 0 && Cin > 0 && Cout > 0);
    /* out [M][Cout] = inp [M][Cin] w^T:  out^T = w inp^T, w^T stored as (Cin x Cout). */
    PSL_GEMM_OK(psl_gemm(ctx, CUBLAS_OP_T, CUBLAS_OP_N, Cout, M, Cin, &one, w, Cin, inp, Cin, &zero,
                         out, Cout));
    return 0;
}

int psl_cuda_linear_backward(psl_cuda *ctx, float *dinp, float *dw, const float *dout,
                             const float *inp, const float *w, int M, int Cin, int Cout) {
    PSL_CHECK(ctx, M > 0 && Cin > 0 && Cout > 0);
    /* dinp [M][Cin] = dout [M][Cout] w [Cout][Cin]:  dinp^T = w^T dout^T. */
    if (dinp)
        PSL_GEMM_OK(psl_gemm(ctx, CUBLAS_OP_N, CUBLAS_OP_N, Cin, M, Cout, &one, w, Cin, dout, Cout,
                             &zero, dinp, Cin));
    /* dw [Cout][Cin] += dout^T inp:  dw^T += inp^T dout. */
    PSL_GEMM_OK(psl_gemm(ctx, CUBLAS_OP_N, CUBLAS_OP_T, Cin, Cout, M, &one, inp, Cin, dout, Cout,
                         &one, dw, Cin));
    return 0;
}

/* ---- attention ----
 *
 * Correct first: per head h, three (forward) or five (backward) GEMMs batched over the
 * B sequences (a head's q/k/v sit at the same column offset h*hd of every sequence's
 * rows, so the batch stride is T*3C; att[b][h] is H*T*T apart over b), materialising
 * att [B][H][T][T] exactly as the CPU does, with the row softmax and its backward in a
 * kernel of one warp per row. H launches per product instead of B: the batches are
 * large, the launches few.
 *
 * A fused flash-style kernel goes here: one kernel per (b, h, query tile) that
 * streams key/value tiles through shared memory with an online softmax, keeps
 * only the per-row log-sum-exp for the backward instead of att, and skips the
 * masked upper triangle that these full T x T products compute and discard. */

size_t psl_cuda_attention_scratch_bytes(int B, int T, int C, int H) {
    (void)C, (void)H;
    return (size_t)B * (size_t)T * (size_t)T * sizeof(float); /* dS of one head */
}

/* One warp per row (b, h, t) of scores: the causal softmax in place, zero above
 * the diagonal. Max and sum are warp reductions in a fixed butterfly order. */
__global__ void softmax_causal_kernel(float *att, int T, long long rows) {
    long long r = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    int t = (int)(r % T);
    float *row = att + r * T;
    float mx = -INFINITY;
    for (int s = lane; s <= t; s += 32) mx = fmaxf(mx, row[s]);
    for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    float sum = 0.0f;
    for (int s = lane; s <= t; s += 32) {
        float e = expf(row[s] - mx);
        row[s] = e;
        sum += e;
    }
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    float inv = 1.0f / sum;
    for (int s = lane; s <= t; s += 32) row[s] *= inv;
    for (int s = t + 1 + lane; s < T; s += 32) row[s] = 0.0f;
}

/* dS = P (dP - rowsum(P dP)) * scale per row, in place over dP [B][T][T] (one head);
 * P of that head: att + h T T, rows of sequence b at b * att_stride. Zero above the
 * diagonal. */
__global__ void softmax_causal_backward_kernel(float *ds, const float *att, int T,
                                               long long att_stride, float scale, long long rows) {
    long long r = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    long long b = r / T;
    int t = (int)(r % T);
    float *dr = ds + r * T;
    const float *pr = att + b * att_stride + (long long)t * T;
    float dot = 0.0f;
    for (int s = lane; s <= t; s += 32) dot += pr[s] * dr[s];
    for (int o = 16; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
    for (int s = lane; s <= t; s += 32) dr[s] = pr[s] * (dr[s] - dot) * scale;
    for (int s = t + 1 + lane; s < T; s += 32) dr[s] = 0.0f;
}

static int warp_rows_launch_blocks(long long rows) {
    return (int)((rows + 7) / 8);
}

int psl_cuda_attention_forward(psl_cuda *ctx, float *out, float *att, const float *qkv, int B,
                               int T, int C, int H) {
    PSL_CHECK(ctx, B > 0 && T > 0 && H > 0 && C % H == 0);
    int hd = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hd);
    long long TT = (long long)T * T, seq = (long long)T * C3, HTT = H * TT;
    for (int h = 0; h < H; h++) {
        const float *q = qkv + (size_t)h * hd, *k = q + C;
        /* P [T][T] = scale Q K^T:  P^T = scale K Q^T, for every sequence. */
        PSL_GEMM_OK(psl_gemm_batched(ctx, CUBLAS_OP_T, CUBLAS_OP_N, T, T, hd, &scale, k, C3, seq, q,
                                     C3, seq, &zero, att + h * TT, T, HTT, B));
    }
    long long rows = (long long)B * H * T;
    softmax_causal_kernel<<<warp_rows_launch_blocks(rows), 256, 0, ctx->stream>>>(att, T, rows);
    PSL_LAUNCHED(ctx);
    for (int h = 0; h < H; h++) {
        const float *v = qkv + (size_t)h * hd + 2 * C;
        /* O [T][hd] (ld C) = P V:  O^T = V^T P^T. */
        PSL_GEMM_OK(psl_gemm_batched(ctx, CUBLAS_OP_N, CUBLAS_OP_N, hd, T, T, &one, v, C3, seq,
                                     att + h * TT, T, HTT, &zero, out + (size_t)h * hd, C,
                                     (long long)T * C, B));
    }
    return 0;
}

int psl_cuda_attention_backward(psl_cuda *ctx, float *dqkv, const float *dout, const float *att,
                                const float *qkv, int B, int T, int C, int H, void *scratch) {
    PSL_CHECK(ctx, B > 0 && T > 0 && H > 0 && C % H == 0 && scratch);
    int hd = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hd);
    long long TT = (long long)T * T, seq = (long long)T * C3, HTT = H * TT;
    long long rows = (long long)B * T, oseq = (long long)T * C;
    float *ds = (float *)scratch; /* [B][T][T] for one head, reused head after head */
    for (int h = 0; h < H; h++) {
        const float *q = qkv + (size_t)h * hd, *k = q + C, *v = q + 2 * C;
        float *dq = dqkv + (size_t)h * hd, *dk = dq + C, *dv = dq + 2 * C;
        const float *dy = dout + (size_t)h * hd;
        const float *p = att + h * TT;
        /* dP [T][T] = dO V^T:  dP^T = V dO^T. */
        PSL_GEMM_OK(psl_gemm_batched(ctx, CUBLAS_OP_T, CUBLAS_OP_N, T, T, hd, &one, v, C3, seq, dy,
                                     C, oseq, &zero, ds, T, TT, B));
        softmax_causal_backward_kernel<<<warp_rows_launch_blocks(rows), 256, 0, ctx->stream>>>(
            ds, p, T, HTT, scale, rows);
        PSL_LAUNCHED(ctx);
        /* dQ [T][hd] (ld 3C) = dS K:  dQ^T = K^T dS^T. */
        PSL_GEMM_OK(psl_gemm_batched(ctx, CUBLAS_OP_N, CUBLAS_OP_N, hd, T, T, &one, k, C3, seq, ds,
                                     T, TT, &zero, dq, C3, seq, B));
        /* dK = dS^T Q:  dK^T = Q^T dS. */
        PSL_GEMM_OK(psl_gemm_batched(ctx, CUBLAS_OP_N, CUBLAS_OP_T, hd, T, T, &one, q, C3, seq, ds,
                                     T, TT, &zero, dk, C3, seq, B));
        /* dV = P^T dO:  dV^T = dO^T P. */
        PSL_GEMM_OK(psl_gemm_batched(ctx, CUBLAS_OP_N, CUBLAS_OP_T, hd, T, T, &one, dy, C, oseq, p,
                                     T, HTT, &zero, dv, C3, seq, B));
    }
    return 0;
}
