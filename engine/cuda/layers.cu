/* The layers that are not GEMMs: RMSNorm, RoPE, SwiGLU, cross-entropy, token
 * embedding, and the AdamW step. Each mirrors its CPU source in engine/layers/
 * operation by operation (same expressions, same association), so that the only
 * differences are the order of sums in reductions and CUDA's expf/logf; the
 * library is built with --fmad=false so no a*b+c is contracted (kernels.h). */
#include "internal.h"
#include "optimizer_core.h"

#include <math.h>

#define RMSNORM_EPS 1e-5f

static unsigned grid_for(size_t n, unsigned block) {
    size_t g = (n + block - 1) / block;
    return (unsigned)(g > 65535u * 16u ? 65535u * 16u : g); /* grid-stride loops cover the rest */
}

__device__ static float warp_sum(float x) {
    for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    return x;
}

/* ---- RMSNorm ---- */

/* One warp per row. */
__global__ void rmsnorm_forward_kernel(float *out, float *rstd, const float *inp, const float *gain,
                                       int M, int C) {
    int m = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (m >= M) return;
    const float *x = inp + (size_t)m * C;
    float *y = out + (size_t)m * C;
    float ss = 0.0f;
    for (int i = lane; i < C; i += 32) ss += x[i] * x[i];
    ss = warp_sum(ss);
    float r = 1.0f / sqrtf(ss / (float)C + RMSNORM_EPS);
    if (lane == 0) rstd[m] = r;
    for (int i = lane; i < C; i += 32) y[i] = x[i] * r * gain[i];
}

/* One warp per row: dx += r (g dy - x r dot), dot = sum(g dy x) r / C. */
__global__ void rmsnorm_backward_dinp_kernel(float *dinp, const float *dout, const float *inp,
                                             const float *gain, const float *rstd, int M, int C) {
    int m = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (m >= M) return;
    const float *x = inp + (size_t)m * C, *dy = dout + (size_t)m * C;
    float *dx = dinp + (size_t)m * C;
    float r = rstd[m], dot = 0.0f;
    for (int i = lane; i < C; i += 32) dot += gain[i] * dy[i] * x[i];
    dot = warp_sum(dot);
    dot *= r / (float)C;
    for (int i = lane; i < C; i += 32) dx[i] += r * (gain[i] * dy[i] - x[i] * r * dot);
}

/* dgain[i] += sum over rows of dy x r. A block owns 32 columns; its 32 x 32 threads
 * split the rows by residue (row m goes to thread row m % 32, in order), and the 32
 * partial sums of a column are added in thread-row order: fixed, no atomics. */
__global__ void rmsnorm_backward_dgain_kernel(float *dgain, const float *dout, const float *inp,
                                              const float *rstd, int M, int C) {
    __shared__ float part[32][33];
    int i = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (i < C)
        for (int m = threadIdx.y; m < M; m += 32) {
            size_t at = (size_t)m * C + i;
            s += dout[at] * inp[at] * rstd[m];
        }
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && i < C) {
        float t = 0.0f;
        for (int k = 0; k < 32; k++) t += part[k][threadIdx.x];
        dgain[i] += t;
    }
}

int psl_cuda_rmsnorm_forward(psl_cuda *ctx, float *out, float *rstd, const float *inp,
                             const float *gain, int M, int C) {
    PSL_CHECK(ctx, M > 0 && C > 0);
    rmsnorm_forward_kernel<<<(M + 7) / 8, 256, 0, ctx->stream>>>(out, rstd, inp, gain, M, C);
    PSL_LAUNCHED(ctx);
    return 0;
}

int psl_cuda_rmsnorm_backward(psl_cuda *ctx, float *dinp, float *dgain, const float *dout,
                              const float *inp, const float *gain, const float *rstd, int M,
                              int C) {
    PSL_CHECK(ctx, M > 0 && C > 0);
    rmsnorm_backward_dinp_kernel<<<(M + 7) / 8, 256, 0, ctx->stream>>>(dinp, dout, inp, gain, rstd,
                                                                       M, C);
    PSL_LAUNCHED(ctx);
    rmsnorm_backward_dgain_kernel<<<(C + 31) / 32, dim3(32, 32), 0, ctx->stream>>>(dgain, dout, inp,
                                                                                   rstd, M, C);
    PSL_LAUNCHED(ctx);
    return 0;
}

/* ---- RoPE ---- */

__global__ void rope_tables_kernel(float *cos_t, float *sin_t, int T, int hd) {
    int half = hd / 2;
    size_t n = (size_t)T * half;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        int t = (int)(k / half), i = (int)(k % half);
        double freq = pow(10000.0, -2.0 * i / hd);
        cos_t[k] = (float)cos(t * freq);
        sin_t[k] = (float)sin(t * freq);
    }
}

/* One thread per rotated pair: (row m, part q or k, head h, pair i). */
__global__ void rope_rotate_kernel(float *qkv, const float *cos_t, const float *sin_t, int B, int T,
                                   int C, int H, float sign) {
    int hd = C / H, half = hd / 2;
    size_t n = (size_t)B * T * C; /* 2 parts x C/2 pairs per row */
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        size_t m = k / C;
        int rem = (int)(k % C), part = rem / (C / 2), j = rem % (C / 2);
        int h = j / half, i = j % half, t = (int)(m % T);
        float c = cos_t[(size_t)t * half + i], sn = sign * sin_t[(size_t)t * half + i];
        float *x = qkv + m * 3 * C + (size_t)part * C + (size_t)h * hd + 2 * i;
        float x0 = x[0], x1 = x[1];
        x[0] = x0 * c - x1 * sn;
        x[1] = x0 * sn + x1 * c;
    }
}

int psl_cuda_rope_tables(psl_cuda *ctx, float *cos_t, float *sin_t, int T, int head_dim) {
    PSL_CHECK(ctx, T > 0 && head_dim > 1 && head_dim % 2 == 0);
    size_t n = (size_t)T * (head_dim / 2);
    rope_tables_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(cos_t, sin_t, T, head_dim);
    PSL_LAUNCHED(ctx);
    return 0;
}

static int rope_rotate(psl_cuda *ctx, float *qkv, const float *cos_t, const float *sin_t, int B,
                       int T, int C, int H, float sign) {
    PSL_CHECK(ctx, B > 0 && T > 0 && H > 0 && C % H == 0 && (C / H) % 2 == 0);
    size_t n = (size_t)B * T * C;
    rope_rotate_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(qkv, cos_t, sin_t, B, T, C, H,
                                                                  sign);
    PSL_LAUNCHED(ctx);
    return 0;
}

int psl_cuda_rope_forward(psl_cuda *ctx, float *qkv, const float *cos_t, const float *sin_t, int B,
                          int T, int C, int H) {
    return rope_rotate(ctx, qkv, cos_t, sin_t, B, T, C, H, 1.0f);
}

int psl_cuda_rope_backward(psl_cuda *ctx, float *dqkv, const float *cos_t, const float *sin_t,
                           int B, int T, int C, int H) {
    return rope_rotate(ctx, dqkv, cos_t, sin_t, B, T, C, H, -1.0f);
}

/* ---- SwiGLU ---- */

__device__ static float sigmoidf_(float x) {
    return 1.0f / (1.0f + expf(-x));
}

__global__ void swiglu_forward_kernel(float *out, const float *h13, int M, int F) {
    size_t n = (size_t)M * F;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        size_t m = k / F, j = k % F;
        float g = h13[m * 2 * F + j], u = h13[m * 2 * F + F + j];
        out[k] = g * sigmoidf_(g) * u;
    }
}

__global__ void swiglu_backward_kernel(float *dh13, const float *dout, const float *h13, int M,
                                       int F) {
    size_t n = (size_t)M * F;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        size_t m = k / F, j = k % F;
        float g = h13[m * 2 * F + j], u = h13[m * 2 * F + F + j], dy = dout[k];
        float s = sigmoidf_(g);
        dh13[m * 2 * F + F + j] = dy * g * s;
        dh13[m * 2 * F + j] = dy * u * s * (1.0f + g * (1.0f - s));
    }
}

int psl_cuda_swiglu_forward(psl_cuda *ctx, float *out, const float *h13, int M, int F) {
    PSL_CHECK(ctx, M > 0 && F > 0);
    size_t n = (size_t)M * F;
    swiglu_forward_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(out, h13, M, F);
    PSL_LAUNCHED(ctx);
    return 0;
}

int psl_cuda_swiglu_backward(psl_cuda *ctx, float *dh13, const float *dout, const float *h13, int M,
                             int F) {
    PSL_CHECK(ctx, M > 0 && F > 0);
    size_t n = (size_t)M * F;
    swiglu_backward_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(dh13, dout, h13, M, F);
    PSL_LAUNCHED(ctx);
    return 0;
}

/* ---- cross-entropy ---- */

#define CE_THREADS 256

/* Reduces one value per thread of a CE_THREADS block: warp butterflies, then the
 * warps' results in warp order by every thread (fixed order). op: 0 max, 1 sum. */
__device__ static float block_reduce(float x, int op, float *shared) {
    for (int o = 16; o > 0; o >>= 1) {
        float y = __shfl_xor_sync(0xffffffffu, x, o);
        x = op ? x + y : fmaxf(x, y);
    }
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    __syncthreads(); /* shared may still be read from a previous reduction */
    if (lane == 0) shared[warp] = x;
    __syncthreads();
    float r = shared[0];
    for (int w = 1; w < CE_THREADS / 32; w++) r = op ? r + shared[w] : fmaxf(r, shared[w]);
    return r;
}

/* One block per row: softmax in place and the row's loss log(sum) - (x_t - max). */
__global__ void crossentropy_rows_kernel(float *probs, double *row_loss, const uint16_t *targets,
                                         int V) {
    __shared__ float shared[CE_THREADS / 32];
    size_t m = blockIdx.x;
    float *p = probs + m * V;
    float mx = -INFINITY;
    for (int v = threadIdx.x; v < V; v += CE_THREADS) mx = fmaxf(mx, p[v]);
    mx = block_reduce(mx, 0, shared);
    float lt = p[targets[m]] - mx; /* every thread reads it before anyone writes p */
    __syncthreads();
    float sum = 0.0f;
    for (int v = threadIdx.x; v < V; v += CE_THREADS) {
        float e = expf(p[v] - mx);
        p[v] = e;
        sum += e;
    }
    sum = block_reduce(sum, 1, shared);
    float inv = 1.0f / sum;
    for (int v = threadIdx.x; v < V; v += CE_THREADS) p[v] *= inv;
    if (threadIdx.x == 0) row_loss[m] = (double)logf(sum) - (double)lt;
}

/* The total in a fixed tree: each of CE_SUM_THREADS threads adds a strided subset of
 * the rows in order, then the threads fold pairwise. Reproducible (the shape depends
 * on M only), not the CPU's row order: a one-thread sum in row order was latency-bound
 * (a global load per row) and took milliseconds per micro-batch. */
#define CE_SUM_THREADS 1024
__global__ void sum_rows_kernel(double *total, const double *row_loss, int M) {
    __shared__ double s[CE_SUM_THREADS];
    double t = 0.0;
    for (int m = threadIdx.x; m < M; m += CE_SUM_THREADS) t += row_loss[m];
    s[threadIdx.x] = t;
    __syncthreads();
    for (int w = CE_SUM_THREADS / 2; w > 0; w >>= 1) {
        if ((int)threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) *total = s[0];
}

__global__ void crossentropy_backward_kernel(float *dlogits, const float *probs,
                                             const uint16_t *targets, int M, int V, float scale) {
    size_t n = (size_t)M * V;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        size_t m = k / V;
        int v = (int)(k % V);
        float d = scale * probs[k];
        if (v == targets[m]) d -= scale;
        dlogits[k] = d;
    }
}

int psl_cuda_crossentropy_forward(psl_cuda *ctx, float *probs, double *row_loss, double *total,
                                  const uint16_t *targets, int M, int V) {
    PSL_CHECK(ctx, M > 0 && V > 0);
    crossentropy_rows_kernel<<<M, CE_THREADS, 0, ctx->stream>>>(probs, row_loss, targets, V);
    PSL_LAUNCHED(ctx);
    sum_rows_kernel<<<1, CE_SUM_THREADS, 0, ctx->stream>>>(total, row_loss, M);
    PSL_LAUNCHED(ctx);
    return 0;
}

int psl_cuda_crossentropy_backward(psl_cuda *ctx, float *dlogits, const float *probs,
                                   const uint16_t *targets, int M, int V, float scale) {
    PSL_CHECK(ctx, M > 0 && V > 0);
    size_t n = (size_t)M * V;
    crossentropy_backward_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(dlogits, probs, targets,
                                                                            M, V, scale);
    PSL_LAUNCHED(ctx);
    return 0;
}

/* ---- token embedding ---- */

__global__ void embedding_forward_kernel(float *out, const uint16_t *inputs, const float *wte,
                                         int M, int C) {
    size_t n = (size_t)M * C;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < n;
         k += (size_t)gridDim.x * blockDim.x) {
        size_t m = k / C, c = k % C;
        out[k] = wte[(size_t)inputs[m] * C + c];
    }
}

/* The backward's index: a stable counting sort of the positions 0..M-1 by token,
 * in integers, in four steps over chunks of EMB_CHUNK positions:
 *   1. per chunk g, each position's rank among the earlier positions of its chunk
 *      with the same token, and cnt[g][v] = how many of the chunk's tokens are v;
 *   2. per token v, cnt[g][v] becomes the count in the chunks before g, and
 *      start[v] the total;
 *   3. start becomes the exclusive prefix sum over v (start[V] = M);
 *   4. pos[start[v] + cnt[g][v] + rank] = m: each token's positions in order.
 * Scratch: cnt [G][V], start [V+1], rank [M], pos [M] ints, G = ceil(M/EMB_CHUNK). */
#define EMB_CHUNK 1024

static size_t emb_chunks(int M) {
    return ((size_t)M + EMB_CHUNK - 1) / EMB_CHUNK;
}

size_t psl_cuda_embedding_scratch_bytes(int M, int V) {
    return (emb_chunks(M) * (size_t)V + (size_t)V + 1 + 2 * (size_t)M) * sizeof(int);
}

__global__ void emb_rank_kernel(int *cnt, int *rank, const uint16_t *inputs, int M, int V) {
    __shared__ int tok[EMB_CHUNK];
    int g = blockIdx.x, i = threadIdx.x;
    int m = g * EMB_CHUNK + i;
    int n = M - g * EMB_CHUNK < EMB_CHUNK ? M - g * EMB_CHUNK : EMB_CHUNK;
    if (i < n) tok[i] = inputs[m];
    __syncthreads();
    if (i >= n) return;
    int v = tok[i], before = 0, all = 0;
    for (int j = 0; j < n; j++) {
        int same = tok[j] == v;
        all += same;
        before += same & (j < i);
    }
    rank[m] = before;
    if (before == all - 1) cnt[(size_t)g * V + v] = all; /* the chunk's last v writes */
}

__global__ void emb_chunk_prefix_kernel(int *cnt, int *start, int G, int V) {
    int v = blockIdx.x * blockDim.x + threadIdx.x;
    if (v >= V) return;
    int run = 0;
    for (int g = 0; g < G; g++) {
        int c = cnt[(size_t)g * V + v];
        cnt[(size_t)g * V + v] = run;
        run += c;
    }
    start[v] = run;
}

/* Exclusive scan of start[0..V-1] into start[0..V], one block of 1024 threads,
 * 1024 entries at a time with a carry. */
__global__ void emb_scan_kernel(int *start, int V) {
    __shared__ int buf[1024];
    int carry = 0;
    for (int base = 0; base < V; base += 1024) {
        int i = base + threadIdx.x;
        int x = i < V ? start[i] : 0;
        buf[threadIdx.x] = x;
        __syncthreads();
        for (int o = 1; o < 1024; o <<= 1) { /* inclusive Hillis-Steele scan */
            int y = threadIdx.x >= (unsigned)o ? buf[threadIdx.x - o] : 0;
            __syncthreads();
            buf[threadIdx.x] += y;
            __syncthreads();
        }
        if (i < V) start[i] = carry + buf[threadIdx.x] - x;
        carry += buf[1023];
        __syncthreads();
    }
    if (threadIdx.x == 0) start[V] = carry;
}

__global__ void emb_place_kernel(int *pos, const int *cnt, const int *start, const int *rank,
                                 const uint16_t *inputs, int M, int V) {
    int m = blockIdx.x * EMB_CHUNK + threadIdx.x;
    if (m >= M) return;
    int v = inputs[m];
    pos[start[v] + cnt[(size_t)blockIdx.x * V + v] + rank[m]] = m;
}

/* One block per vocabulary row v: each thread owns columns and adds that row's
 * positions in increasing order, exactly the CPU's sequence of additions. */
__global__ void emb_accumulate_kernel(float *dwte, const float *dout, const int *pos,
                                      const int *start, int C) {
    int v = blockIdx.x, lo = start[v], hi = start[v + 1];
    if (lo == hi) return;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float acc = dwte[(size_t)v * C + c];
        for (int k = lo; k < hi; k++) acc += dout[(size_t)pos[k] * C + c];
        dwte[(size_t)v * C + c] = acc;
    }
}

int psl_cuda_embedding_forward(psl_cuda *ctx, float *out, const uint16_t *inputs, const float *wte,
                               int M, int C) {
    PSL_CHECK(ctx, M > 0 && C > 0);
    size_t n = (size_t)M * C;
    embedding_forward_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(out, inputs, wte, M, C);
    PSL_LAUNCHED(ctx);
    return 0;
}

int psl_cuda_embedding_backward(psl_cuda *ctx, float *dwte, const float *dout,
                                const uint16_t *inputs, int M, int C, int V, void *scratch) {
    PSL_CHECK(ctx, M > 0 && C > 0 && V > 0 && V <= 65536 && scratch);
    int G = (int)emb_chunks(M);
    int *cnt = (int *)scratch, *start = cnt + (size_t)G * V, *rank = start + V + 1, *pos = rank + M;
    PSL_CU(ctx, cudaMemsetAsync(cnt, 0, (size_t)G * V * sizeof(int), ctx->stream));
    emb_rank_kernel<<<G, EMB_CHUNK, 0, ctx->stream>>>(cnt, rank, inputs, M, V);
    PSL_LAUNCHED(ctx);
    emb_chunk_prefix_kernel<<<(V + 255) / 256, 256, 0, ctx->stream>>>(cnt, start, G, V);
    PSL_LAUNCHED(ctx);
    emb_scan_kernel<<<1, 1024, 0, ctx->stream>>>(start, V);
    PSL_LAUNCHED(ctx);
    emb_place_kernel<<<G, EMB_CHUNK, 0, ctx->stream>>>(pos, cnt, start, rank, inputs, M, V);
    PSL_LAUNCHED(ctx);
    int threads = C < 256 ? (C + 31) / 32 * 32 : 256;
    emb_accumulate_kernel<<<V, threads, 0, ctx->stream>>>(dwte, dout, pos, start, C);
    PSL_LAUNCHED(ctx);
    return 0;
}

/* ---- AdamW ---- */

/* The update is optimizer_core.h's, the CPU's own; the scalars come from the host. */
__global__ void adamw_kernel(float *p, const float *g, float *mk, float *vk, size_t n, adamw_coef c,
                             float decay) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        adamw_update(c, decay, g[i], p + i, mk + i, vk + i);
}

int psl_cuda_adamw_step(psl_cuda *ctx, float *params, const float *grads, float *m, float *v,
                        const param_layout *l, const adamw_hparams *h, int64_t t,
                        float grad_scale) {
    PSL_CHECK(ctx, t >= 1);
    const adamw_coef c = adamw_coef_at(h, t, grad_scale);
    for (int k = 0; k < PT_COUNT; k++) {
        size_t off = l->offset[k], n = l->size[k];
        if (!n) continue;
        float decay = param_tensor_decays((enum param_tensor)k) ? c.decay : 1.0f;
        adamw_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(params + off, grads + off, m + off,
                                                                v + off, n, c, decay);
        PSL_LAUNCHED(ctx);
    }
    return 0;
}

/* ---- residual connections and the gradient norm ---- */

__global__ void add_inplace_kernel(float *y, const float *x, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        y[i] += x[i];
}

int psl_cuda_add_inplace(psl_cuda *ctx, float *y, const float *x, size_t n) {
    if (!n) return 0;
    add_inplace_kernel<<<grid_for(n, 256), 256, 0, ctx->stream>>>(y, x, n);
    PSL_LAUNCHED(ctx);
    return 0;
}

/* Sum of squares in double in a fixed shape: SQ_BLOCKS blocks of SQ_THREADS threads
 * stride over x, each block folds its threads in a fixed tree, then one block folds the
 * partials the same way. The order depends on n only, so the result is reproducible
 * (not the CPU's chunked order: the norm only scales the clipping). */
#define SQ_BLOCKS  256
#define SQ_THREADS 256

__device__ static void block_fold(double *s) {
    for (int w = SQ_THREADS / 2; w > 0; w >>= 1) {
        if ((int)threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
        __syncthreads();
    }
}

__global__ void sum_squares_kernel(double *partial, const float *x, size_t n) {
    __shared__ double s[SQ_THREADS];
    double acc = 0.0;
    for (size_t i = blockIdx.x * (size_t)SQ_THREADS + threadIdx.x; i < n;
         i += (size_t)SQ_BLOCKS * SQ_THREADS)
        acc += (double)x[i] * (double)x[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    block_fold(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}

__global__ void sum_partials_kernel(double *out, const double *partial) {
    __shared__ double s[SQ_THREADS];
    s[threadIdx.x] = partial[threadIdx.x]; /* SQ_BLOCKS == SQ_THREADS */
    __syncthreads();
    block_fold(s);
    if (threadIdx.x == 0) *out = s[0];
}

size_t psl_cuda_sum_squares_scratch_bytes(void) {
    return (SQ_BLOCKS + 1) * sizeof(double);
}

int psl_cuda_sum_squares(psl_cuda *ctx, double *out, const float *x, size_t n, void *scratch) {
    double *partial = (double *)scratch, *dev_out = partial + SQ_BLOCKS;
    sum_squares_kernel<<<SQ_BLOCKS, SQ_THREADS, 0, ctx->stream>>>(partial, x, n);
    PSL_LAUNCHED(ctx);
    sum_partials_kernel<<<1, SQ_THREADS, 0, ctx->stream>>>(dev_out, partial);
    PSL_LAUNCHED(ctx);
    return psl_cuda_download(ctx, out, dev_out, sizeof *out);
}
