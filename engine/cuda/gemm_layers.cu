/* The layers built on GEMMs: linear and causal attention (cuBLAS, FP32 pedantic
 * math, see kernels.h).
 *
 * cuBLAS is column-major. A row-major matrix X [r][c] with leading dimension ld is
 * the column-major matrix X^T (c x r, ld), so each row-major product Y = A B is
 * issued as the column-major Y^T = B^T A^T: operands swapped, each one's
 * transpose flag read off its row-major use. */
#include "internal.h"

#include <math.h>

static const float one = 1.0f, zero = 0.0f;

int psl_cuda_linear_forward(psl_cuda *ctx, float *out, const float *inp, const float *w, int M,
                            int Cin, int Cout) {
    PSL_CHECK(ctx, M > 0 && Cin > 0 && Cout > 0);
    /* out [M][Cout] = inp [M][Cin] w^T:  out^T = w inp^T, w^T stored as (Cin x Cout). */
    PSL_BLAS(ctx, cublasSgemm(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, Cout, M, Cin, &one, w, Cin, inp,
                              Cin, &zero, out, Cout));
    return 0;
}

int psl_cuda_linear_backward(psl_cuda *ctx, float *dinp, float *dw, const float *dout,
                             const float *inp, const float *w, int M, int Cin, int Cout) {
    PSL_CHECK(ctx, M > 0 && Cin > 0 && Cout > 0);
    /* dinp [M][Cin] = dout [M][Cout] w [Cout][Cin]:  dinp^T = w^T dout^T. */
    if (dinp)
        PSL_BLAS(ctx, cublasSgemm(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, Cin, M, Cout, &one, w, Cin,
                                  dout, Cout, &zero, dinp, Cin));
    /* dw [Cout][Cin] += dout^T inp:  dw^T += inp^T dout. */
    PSL_BLAS(ctx, cublasSgemm(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_T, Cin, Cout, M, &one, inp, Cin,
                              dout, Cout, &one, dw, Cin));
    return 0;
}

/* ---- attention ----
 *
 * Correct first: per sequence b, three (forward) or five (backward) GEMMs batched
 * over the H heads (a head's q/k/v are hd columns apart in a row of qkv, so the
 * batch stride is hd), materialising att [B][H][T][T] exactly as the CPU does,
 * with the row softmax and its backward in a kernel of one warp per row.
 *
 * A fused flash-style kernel goes here: one kernel per (b, h, query tile) that
 * streams key/value tiles through shared memory with an online softmax, keeps
 * only the per-row log-sum-exp for the backward instead of att, and skips the
 * masked upper triangle that these full T x T products compute and discard. */

size_t psl_cuda_attention_scratch_bytes(int B, int T, int C, int H) {
    (void)B, (void)C;
    return (size_t)H * (size_t)T * (size_t)T * sizeof(float);
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

/* dS = P (dP - rowsum(P dP)) * scale per row, in place over dP; zero above the
 * diagonal. */
__global__ void softmax_causal_backward_kernel(float *ds, const float *att, int T, float scale,
                                               long long rows) {
    long long r = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (r >= rows) return;
    int t = (int)(r % T);
    float *dr = ds + r * T;
    const float *pr = att + r * T;
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
    long long TT = (long long)T * T;
    for (int b = 0; b < B; b++) {
        const float *q = qkv + (size_t)b * T * C3, *k = q + C;
        float *p = att + (size_t)b * H * TT;
        /* P [T][T] = scale Q K^T:  P^T = scale K Q^T. */
        PSL_BLAS(ctx, cublasSgemmStridedBatched(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, T, T, hd,
                                                &scale, k, C3, hd, q, C3, hd, &zero, p, T, TT, H));
    }
    long long rows = (long long)B * H * T;
    softmax_causal_kernel<<<warp_rows_launch_blocks(rows), 256, 0, ctx->stream>>>(att, T, rows);
    PSL_LAUNCHED(ctx);
    for (int b = 0; b < B; b++) {
        const float *v = qkv + (size_t)b * T * C3 + 2 * C;
        const float *p = att + (size_t)b * H * TT;
        /* O [T][hd] (ld C) = P V:  O^T = V^T P^T. */
        PSL_BLAS(ctx, cublasSgemmStridedBatched(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, hd, T, T, &one,
                                                v, C3, hd, p, T, TT, &zero, out + (size_t)b * T * C,
                                                C, hd, H));
    }
    return 0;
}

int psl_cuda_attention_backward(psl_cuda *ctx, float *dqkv, const float *dout, const float *att,
                                const float *qkv, int B, int T, int C, int H, void *scratch) {
    PSL_CHECK(ctx, B > 0 && T > 0 && H > 0 && C % H == 0 && scratch);
    int hd = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hd);
    long long TT = (long long)T * T, rows = (long long)H * T;
    float *ds = (float *)scratch; /* [H][T][T], reused for each sequence (stream order) */
    for (int b = 0; b < B; b++) {
        const float *q = qkv + (size_t)b * T * C3, *k = q + C, *v = q + 2 * C;
        float *dq = dqkv + (size_t)b * T * C3, *dk = dq + C, *dv = dq + 2 * C;
        const float *dy = dout + (size_t)b * T * C;
        const float *p = att + (size_t)b * H * TT;
        /* dP [T][T] = dO V^T:  dP^T = V dO^T. */
        PSL_BLAS(ctx, cublasSgemmStridedBatched(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, T, T, hd, &one,
                                                v, C3, hd, dy, C, hd, &zero, ds, T, TT, H));
        softmax_causal_backward_kernel<<<warp_rows_launch_blocks(rows), 256, 0, ctx->stream>>>(
            ds, p, T, scale, rows);
        PSL_LAUNCHED(ctx);
        /* dQ [T][hd] (ld 3C) = dS K:  dQ^T = K^T dS^T. */
        PSL_BLAS(ctx, cublasSgemmStridedBatched(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, hd, T, T, &one,
                                                k, C3, hd, ds, T, TT, &zero, dq, C3, hd, H));
        /* dK = dS^T Q:  dK^T = Q^T dS. */
        PSL_BLAS(ctx, cublasSgemmStridedBatched(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_T, hd, T, T, &one,
                                                q, C3, hd, ds, T, TT, &zero, dk, C3, hd, H));
        /* dV = P^T dO:  dV^T = dO^T P. */
        PSL_BLAS(ctx, cublasSgemmStridedBatched(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_T, hd, T, T, &one,
                                                dy, C, hd, p, T, TT, &zero, dv, C3, hd, H));
    }
    return 0;
}
