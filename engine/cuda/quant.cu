/* The fake quantizers of engine/quant on the device: qspec_fake_quant and
 * qspec_backward for every format kind (INT, FP ExMy, MX, NVFP4, QuEST), bit-identical
 * to the CPU (docs/gpu.md, "Quantizers on the device").
 *
 * How bit-identity is kept:
 *  - the element functions (FP rounding, INT and MXINT8 grids, stochastic rounding,
 *    QuEST's grid) are the CPU's own, from quant/qcore.h, compiled here for the device;
 *    the library is built with --fmad=false, IEEE division and square root and
 *    denormals kept, so each float and double operation rounds as the CPU's does;
 *  - NaN payloads: the GPU returns a canonical NaN from any arithmetic on a NaN, x86 SSE
 *    the first NaN operand quieted (or the default NaN 0xFFC00000 for an invalid
 *    operation such as Inf/Inf or 0*Inf). Operations whose NaN can reach an output go
 *    through qcore.h's qx_div/qx_mul/qx_add/qx_sub, which give the x86 result;
 *  - reductions: max and min are exact, so any order gives the CPU's result (NaN is
 *    ignored as the CPU ignores it; a min/max of signed zeros may differ in sign, which
 *    qint_params_asym erases). The double sums (mean |x| of INT1, the RMS of QuEST) are
 *    the CPU's 16 fixed lanes (one thread per lane, elements l, l + 16, ... in order) and
 *    the CPU's fold (8, 4, 2, 1); per-tensor sums add the per-row values in row order in
 *    one thread, as raw_add does;
 *  - the Hadamard transform does qhadamard_fwht's butterflies (a + b, a - b) stage by
 *    stage, h = 1, 2, ..., then one multiplication by the same float 1/sqrt(B).
 * No floating-point atomics; counts are integer atomics (order independent).
 *
 * Layout of the work: per-segment parameters (a scale, a zero point, QuEST's clip and
 * step) are computed once per granule into the caller's scratch, then one elementwise
 * pass applies them (one thread per element; one warp or half-warp per MX / NVFP4 block;
 * one warp per 128 consecutive values for QuEST, whose lanes hold 4 values each so that
 * every Hadamard block of up to 128 lies in one warp). */
#include "internal.h"
#include "quant/qcore.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define FULL_MASK 0xffffffffu
#define RED_G     1024 /* blocks of the per-tensor max/min reduction */
#define SEG_ALIGN 256

enum { MODE_AMAX = 0, MODE_MINMAX, MODE_SUMABS, MODE_RMS }; /* per-segment statistic */
enum { BW_PRE_HAD = 1, BW_MASK = 2, BW_POST_HAD = 4 };      /* had_kernel stages */

/* One granule's parameters: INT a = scale, z = zero point; FP a = scale; NVFP4
 * a = tensor scale; QuEST a = s, b = step, c = mask threshold, z = (sigma > 0). */
typedef struct qseg {
    float a, b, c;
    int32_t z;
} qseg;

/* What the element kernels need of a qfp_format. */
typedef struct qfpp {
    float maxval, clip;
    int emin, emax, m, path;
} qfpp;

/* Everything the kernels need of the qspec and the shape, passed by value. */
typedef struct qparams {
    int kind, bits, symmetric, stochastic, scaled, mode, tensor;
    uint64_t seed;
    int32_t qmax; /* INT: 2^(bits-1) - 1 symmetric, 2^bits - 1 asymmetric */
    qfpp fmt;     /* FP element, MX element, NVFP4 E2M1 */
    qfpp e4m3;    /* NVFP4 block scale */
    double alpha, levels, trust, clip_factor; /* QuEST */
    int mask, hb;
    float hs; /* 1/sqrt(hb) rounded to float, as qhadamard_fwht */
    int mx_emax, mx_shift, mx_int8;
    size_t rows, cols, g, nsr, bps, nbr; /* segment length and count per row; blocks */
} qparams;

/* ------------------------------------------------------ element functions ---- */

/* One element of QFP_KERNEL (scaled: x / scale, then r * scale) or of QFP_KERNEL_V. */
__device__ __forceinline__ float fp_elem(const qfpp &f, float x, float scale, bool scaled,
                                         uint8_t *ok) {
    float v = scaled ? qx_div(x, scale) : x;
    float a = qfp_clamp_abs(v, f.maxval, f.clip, ok);
    float r = qfp_restore(qfp_round_abs(a, f.path, f.emin, f.m), v);
    return scaled ? qx_mul(r, scale) : r;
}

/* --------------------------------------------------------- per-segment parameters ---- */

__device__ __forceinline__ qseg seg_from_amax(const qparams &P, float amax) {
    qseg s = {0.0f, 0.0f, 0.0f, 0};
    if (P.kind == QK_INT)
        s.a = amax / (float)P.qmax; /* qint_params_sym, bits > 1 */
    else if (P.kind == QK_FP)
        s.a = amax / P.fmt.maxval;
    else
        s.a = amax / (6.0f * 448.0f); /* qnvfp4_tensor_scale */
    return s;
}

__device__ __forceinline__ qseg seg_from_minmax(const qparams &P, float lo, float hi) {
    qseg s = {0.0f, 0.0f, 0.0f, 0};
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
    float qmax = (float)P.qmax;
    s.a = (hi - lo) / qmax;
    if (s.a > 0.0f && isfinite(s.a)) {
        float z = -lo / s.a;
        z = z < qmax ? z : qmax;
        s.z = (int32_t)((z + QCORE_MAGIC) - QCORE_MAGIC);
    }
    return s;
}

__device__ __forceinline__ qseg seg_from_sigma(const qparams &P, double sigma) {
    qseg s = {0.0f, 0.0f, 0.0f, 0};
    if (!(sigma > 0.0)) return s;
    const double sd = P.alpha * sigma;
    s.a = (float)sd;
    s.b = (float)(2.0 * sd / (P.levels - 1.0));
    double thr;
    if (P.mask == QM_TRUST) {
        double trust = P.trust > 0.0 ? P.trust : P.alpha / (P.levels - 1.0);
        thr = trust * sigma;
    } else if (P.mask == QM_CLIP) {
        thr = P.clip_factor * sd;
    } else {
        thr = sd;
    }
    s.c = (float)thr;
    s.z = 1;
    return s;
}

/* a / b, in 32 bits when both fit (a 64-bit division is a long subroutine) */
__device__ __forceinline__ size_t udiv(size_t a, size_t b) {
    return (a | b) >> 32 ? a / b : (size_t)((uint32_t)a / (uint32_t)b);
}

/* ------------------------------------------------------------------ block counts ---- */

/* Adds the block's clipped and masked counts (and total once) to st. Every thread of
 * the block calls it. */
__device__ void block_counts(qstats *st, unsigned long long clipped, unsigned long long masked,
                             unsigned long long total) {
    if (!st) return;
    __shared__ unsigned long long sc[32], sm[32];
    const int tid = threadIdx.x + threadIdx.y * blockDim.x;
    const int nthreads = blockDim.x * blockDim.y, lane = tid & 31, w = tid >> 5;
    for (int o = 16; o > 0; o >>= 1) {
        clipped += __shfl_down_sync(FULL_MASK, clipped, o);
        masked += __shfl_down_sync(FULL_MASK, masked, o);
    }
    if (lane == 0) {
        sc[w] = clipped;
        sm[w] = masked;
    }
    __syncthreads();
    if (tid == 0) {
        unsigned long long c = 0, m = 0;
        for (int k = 0; k < (nthreads + 31) / 32; k++) {
            c += sc[k];
            m += sm[k];
        }
        if (c) atomicAdd((unsigned long long *)&st->clipped, c);
        if (m) atomicAdd((unsigned long long *)&st->masked, m);
        if (total && blockIdx.x == 0 && blockIdx.y == 0)
            atomicAdd((unsigned long long *)&st->total, total);
    }
}

__global__ void add_total_kernel(qstats *st, unsigned long long n) {
    atomicAdd((unsigned long long *)&st->total, n);
}

/* ------------------------------------------------------------ statistics kernels ---- */

/* One group of 16 threads per segment: lane l takes elements l, l + 16, ... of the
 * segment in order, as the CPU's 16 lanes, then the CPU's fold. Groups are arranged
 * GX (segments of a row) x GY (rows) in a block of 256 threads. Writes the segment's
 * parameters, or for a per-tensor sum the row's raw sum to rowsum[row]. */
__global__ void segstats_kernel(qparams P, const float *src, qseg *seg, double *rowsum,
                                int gx_bits) {
    const int lane = threadIdx.x & 15, gq = threadIdx.x >> 4;
    const int GX = 1 << gx_bits, GY = 16 >> gx_bits;
    const size_t nsr = P.tensor ? 1 : P.nsr;
    for (size_t jb = (size_t)blockIdx.x * GX; jb < nsr; jb += (size_t)gridDim.x * GX)
        for (size_t rb = (size_t)blockIdx.y * GY; rb < P.rows; rb += (size_t)gridDim.y * GY) {
            const size_t j = jb + (size_t)(gq & (GX - 1));
            const size_t r = rb + (size_t)(gq >> gx_bits);
            const bool live = r < P.rows && j < nsr;
            size_t c0 = 0, len = 0;
            if (live) {
                c0 = j * P.g;
                len = P.cols - c0 < P.g ? P.cols - c0 : P.g;
            }
            const float *x = src + r * P.cols + c0;
            if (P.mode == MODE_AMAX) {
                float m = 0.0f;
                for (size_t i = lane; i < len; i += 16) {
                    float a = fabsf(x[i]);
                    m = a > m ? a : m;
                }
                for (int o = 8; o > 0; o >>= 1) {
                    float t = __shfl_xor_sync(FULL_MASK, m, o, 16);
                    m = t > m ? t : m;
                }
                if (live && lane == 0) seg[r * nsr + j] = seg_from_amax(P, m);
            } else if (P.mode == MODE_MINMAX) {
                float lo = INFINITY, hi = -INFINITY;
                for (size_t i = lane; i < len; i += 16) {
                    float v = x[i];
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
                for (int o = 8; o > 0; o >>= 1) {
                    float tl = __shfl_xor_sync(FULL_MASK, lo, o, 16);
                    float th = __shfl_xor_sync(FULL_MASK, hi, o, 16);
                    lo = tl < lo ? tl : lo;
                    hi = th > hi ? th : hi;
                }
                if (live && lane == 0) seg[r * nsr + j] = seg_from_minmax(P, lo, hi);
            } else {
                double acc = 0.0;
                if (P.mode == MODE_SUMABS) {
                    for (size_t i = lane; i < len; i += 16) {
                        float a = fabsf(x[i]);
                        acc += a == a ? (double)a : 0.0;
                    }
                } else {
                    for (size_t i = lane; i < len; i += 16) acc += (double)x[i] * (double)x[i];
                }
                for (int w = 8; w >= 1; w >>= 1) {
                    double o = __shfl_down_sync(FULL_MASK, acc, w, 16);
                    if (lane < w) acc += o;
                }
                if (live && lane == 0) {
                    double raw;
                    if (P.mode == MODE_SUMABS) {
                        raw = acc;
                    } else {
                        double rms = sqrt(acc / (double)len); /* quest_rms */
                        raw = rms * rms * (double)len;        /* raw_of's sumsq */
                    }
                    if (P.tensor) {
                        rowsum[r] = raw;
                    } else if (P.mode == MODE_SUMABS) {
                        qseg s = {(float)(raw / (double)len), 0.0f, 0.0f, 0}; /* mean |x| */
                        seg[r * nsr + j] = s;
                    } else {
                        seg[r * nsr + j] = seg_from_sigma(P, sqrt(raw / (double)len));
                    }
                }
            }
        }
}

/* Per-tensor max |x| (or min and max) over n values: RED_G blocks stride over x, each
 * writes its partial to part (max and min are exact: the order does not matter). */
__global__ void flat_reduce_kernel(qparams P, const float *src, size_t n, float *part) {
    __shared__ float s1[32], s2[32];
    float m = 0.0f, lo = INFINITY, hi = -INFINITY;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float v = src[i];
        if (P.mode == MODE_AMAX) {
            float a = fabsf(v);
            m = a > m ? a : m;
        } else {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
    if (P.mode == MODE_AMAX) lo = m;
    for (int o = 16; o > 0; o >>= 1) {
        float tl = __shfl_xor_sync(FULL_MASK, lo, o);
        float th = __shfl_xor_sync(FULL_MASK, hi, o);
        if (P.mode == MODE_AMAX)
            lo = tl > lo ? tl : lo;
        else
            lo = tl < lo ? tl : lo;
        hi = th > hi ? th : hi;
    }
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    if (lane == 0) {
        s1[w] = lo;
        s2[w] = hi;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int k = 1; k < (int)(blockDim.x + 31) / 32; k++) {
            if (P.mode == MODE_AMAX)
                lo = s1[k] > lo ? s1[k] : lo;
            else
                lo = s1[k] < lo ? s1[k] : lo;
            hi = s2[k] > hi ? s2[k] : hi;
        }
        part[2 * blockIdx.x] = lo;
        part[2 * blockIdx.x + 1] = hi;
    }
}

/* One block: the tensor's parameters into seg[0], from the partial maxima or from the
 * rows' raw sums added in row order (raw_add), staged through shared memory. */
#define TP_THREADS 1024
#define TP_CHUNK   2048
__global__ void tensor_params_kernel(qparams P, const float *part, int nparts, const double *rowsum,
                                     qseg *seg) {
    if (P.mode == MODE_AMAX || P.mode == MODE_MINMAX) {
        __shared__ float s1[TP_THREADS], s2[TP_THREADS];
        const int t = threadIdx.x;
        float lo = P.mode == MODE_AMAX ? 0.0f : INFINITY, hi = -INFINITY;
        for (int k = t; k < nparts; k += TP_THREADS) {
            float a = part[2 * k], b = part[2 * k + 1];
            if (P.mode == MODE_AMAX)
                lo = a > lo ? a : lo;
            else
                lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
        }
        s1[t] = lo;
        s2[t] = hi;
        __syncthreads();
        for (int w = TP_THREADS / 2; w > 0; w >>= 1) {
            if (t < w) {
                float a = s1[t + w], b = s2[t + w];
                if (P.mode == MODE_AMAX)
                    s1[t] = a > s1[t] ? a : s1[t];
                else
                    s1[t] = a < s1[t] ? a : s1[t];
                s2[t] = b > s2[t] ? b : s2[t];
            }
            __syncthreads();
        }
        if (t == 0)
            seg[0] =
                P.mode == MODE_AMAX ? seg_from_amax(P, s1[0]) : seg_from_minmax(P, s1[0], s2[0]);
        return;
    }
    __shared__ double buf[TP_CHUNK];
    double acc = 0.0;
    for (size_t r0 = 0; r0 < P.rows; r0 += TP_CHUNK) {
        size_t len = P.rows - r0 < TP_CHUNK ? P.rows - r0 : TP_CHUNK;
        for (size_t k = threadIdx.x; k < len; k += TP_THREADS) buf[k] = rowsum[r0 + k];
        __syncthreads();
        if (threadIdx.x == 0) {
            size_t k = 0;
            if (r0 == 0) acc = buf[k++]; /* tot = rs[0], then raw_add in row order */
            for (; k < len; k++) acc += buf[k];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        const double n = (double)P.rows * (double)P.cols;
        if (P.mode == MODE_SUMABS) {
            qseg s = {(float)(acc / n), 0.0f, 0.0f, 0};
            seg[0] = s;
        } else {
            seg[0] = seg_from_sigma(P, sqrt(acc / n));
        }
    }
}

/* ------------------------------------------------------------ elementwise INT/FP ---- */

/* Threads (TX columns x TY rows); each keeps its column and strides over rows. */
__global__ void ew_kernel(qparams P, const float *x, float *y, uint8_t *pass, const qseg *seg,
                          qstats *st) {
    unsigned long long clipped = 0;
    const bool isint = P.kind == QK_INT, onebit = isint && P.symmetric && P.bits == 1;
    const int32_t qmin = P.symmetric ? -P.qmax : 0;
    for (size_t col = (size_t)blockIdx.x * blockDim.x + threadIdx.x; col < P.cols;
         col += (size_t)gridDim.x * blockDim.x) {
        const size_t cs = P.tensor ? 0 : udiv(col, P.g);
        for (size_t r = (size_t)blockIdx.y * blockDim.y + threadIdx.y; r < P.rows;
             r += (size_t)gridDim.y * blockDim.y) {
            const size_t i = r * P.cols + col;
            const float xv = x[i];
            float scale = 1.0f;
            int32_t zero = 0;
            if (seg) {
                const qseg s = seg[P.tensor ? 0 : r * P.nsr + cs];
                scale = s.a;
                zero = s.z;
            }
            uint8_t ok = 1;
            float out;
            if (isint) {
                if (!(scale > 0.0f))
                    out = xv; /* all-zero granule: kept */
                else if (onebit)
                    out = qint_elem_onebit(xv, scale, &ok);
                else if (P.stochastic)
                    out = qint_elem_sr(xv, scale, (double)(qmin - zero), (double)(P.qmax - zero),
                                       qsr_uniform(P.seed, i), &ok);
                else
                    out = qint_elem(xv, scale, (float)(qmin - zero), (float)(P.qmax - zero), &ok);
            } else {
                if (P.scaled && !(scale > 0.0f))
                    out = xv;
                else if (P.stochastic)
                    out = qfp_elem_sr(xv, scale, P.fmt.maxval, P.fmt.clip, P.fmt.emin, P.fmt.m,
                                      qsr_uniform(P.seed, i), &ok);
                else
                    out = fp_elem(P.fmt, xv, scale, scale != 1.0f, &ok);
            }
            y[i] = out;
            if (pass) pass[i] = ok;
            clipped += !ok;
        }
    }
    block_counts(st, clipped, clipped, P.rows * P.cols);
}

/* ----------------------------------------------------------------- MX and NVFP4 ---- */

__device__ __forceinline__ int mx_shared_exp(float amax, int emax_elem) {
    int e = isfinite(amax) ? qcore_ilogb_pos(amax) : 127 + emax_elem;
    e -= emax_elem;
    return e < -127 ? -127 : (e > 127 ? 127 : e);
}

/* Groups of W lanes, one per block of W (MX 32) or 16 (NVFP4) values; groups arranged
 * GX (blocks of a row) x GY (rows) in a block of 256 threads. */
template <int W>
__global__ void blk_kernel(qparams P, const float *x, float *y, uint8_t *pass, const qseg *seg,
                           qstats *st, int gx_bits) {
    const int lane = threadIdx.x & (W - 1), gq = threadIdx.x / W;
    const int GX = 1 << gx_bits, GY = (256 / W) >> gx_bits;
    const bool nv = P.kind == QK_NVFP4;
    unsigned long long clipped = 0;
    for (size_t bb = (size_t)blockIdx.x * GX; bb < P.nbr; bb += (size_t)gridDim.x * GX) {
        const size_t b = bb + (size_t)(gq & (GX - 1));
        size_t c0 = 0, segend = 0, sj = 0;
        if (b < P.nbr) {
            if (nv) {
                sj = udiv(b, P.bps);
                c0 = sj * P.g + (b - sj * P.bps) * 16;
                segend = sj * P.g + P.g < P.cols ? sj * P.g + P.g : P.cols;
            } else {
                c0 = b * W;
                segend = P.cols;
            }
        }
        const size_t len = c0 < segend ? (segend - c0 < (size_t)W ? segend - c0 : (size_t)W) : 0;
        for (size_t rb = (size_t)blockIdx.y * GY; rb < P.rows; rb += (size_t)gridDim.y * GY) {
            const size_t r = rb + (size_t)(gq >> gx_bits);
            const bool valid = r < P.rows && (size_t)lane < len;
            const size_t i = r * P.cols + c0 + lane;
            const float xv = valid ? x[i] : 0.0f;
            float a = fabsf(xv);
            a = a == a ? a : 0.0f; /* NaN ignored */
            for (int o = W / 2; o > 0; o >>= 1) {
                float t = __shfl_xor_sync(FULL_MASK, a, o, W);
                a = t > a ? t : a;
            }
            if (!valid) continue;
            float s;
            uint8_t ok = 1;
            float out;
            if (nv) {
                const float ts = seg[P.tensor ? 0 : r * P.nsr + sj].a;
                float sb = ts > 0.0f ? qfp_round_one(a / 6.0f / ts, P.e4m3.maxval, P.e4m3.path,
                                                     P.e4m3.emin, P.e4m3.m)
                                     : 0.0f;
                s = sb * ts;
                s = s > 0.0f ? s : FLT_MAX;
                out = fp_elem(P.fmt, xv, s, true, &ok);
            } else {
                s = a > 0.0f ? qcore_pow2f(mx_shared_exp(a, P.mx_emax) + P.mx_shift) : 1.0f;
                out = P.mx_int8 ? qmx_int8_elem(xv, s, &ok) : fp_elem(P.fmt, xv, s, true, &ok);
            }
            y[i] = out;
            if (pass) pass[i] = ok;
            clipped += !ok;
        }
    }
    block_counts(st, clipped, clipped, P.rows * P.cols);
}

/* MX with a block size other than 16 or 32 (hand-made specs): one thread per block. */
__global__ void mx_generic_kernel(qparams P, int bs, const float *x, float *y, uint8_t *pass,
                                  qstats *st) {
    unsigned long long clipped = 0;
    const size_t nb = P.rows * P.nbr;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < nb;
         k += (size_t)gridDim.x * blockDim.x) {
        const size_t r = udiv(k, P.nbr), c0 = (k - r * P.nbr) * (size_t)bs;
        const size_t len = P.cols - c0 < (size_t)bs ? P.cols - c0 : (size_t)bs;
        const size_t base = r * P.cols + c0;
        float am = 0.0f;
        for (size_t e = 0; e < len; e++) {
            float a = fabsf(x[base + e]);
            am = a > am ? a : am;
        }
        const float s = am > 0.0f ? qcore_pow2f(mx_shared_exp(am, P.mx_emax) + P.mx_shift) : 1.0f;
        for (size_t e = 0; e < len; e++) {
            uint8_t ok = 1;
            float xv = x[base + e];
            float out = P.mx_int8 ? qmx_int8_elem(xv, s, &ok) : fp_elem(P.fmt, xv, s, true, &ok);
            y[base + e] = out;
            if (pass) pass[base + e] = ok;
            clipped += !ok;
        }
    }
    block_counts(st, clipped, clipped, P.rows * P.cols);
}

/* ------------------------------------------------------------------ Hadamard ---- */

/* A warp holds 128 consecutive values, lane l the values l + 32 k (k = 0..3); every
 * Hadamard block (hb <= 128, hb divides the row and so the flat index) lies in one
 * warp. Stages h < 32 pair lanes (shuffles), h = 32 and 64 pair a lane's registers.
 * Each stage is qhadamard_fwht's lo = a + b, hi = a - b; then the one scaling. */
__device__ __forceinline__ void had_warp(float v[4], int lane, int hb, float hs) {
    if (hb < 2) return;
    for (int h = 1; h < hb && h < 32; h <<= 1)
        for (int k = 0; k < 4; k++) {
            float o = __shfl_xor_sync(FULL_MASK, v[k], h);
            v[k] = (lane & h) ? qx_sub(o, v[k]) : qx_add(v[k], o);
        }
    if (hb > 32)
        for (int k = 0; k < 4; k += 2) {
            float a = v[k], b = v[k + 1];
            v[k] = qx_add(a, b);
            v[k + 1] = qx_sub(a, b);
        }
    if (hb > 64)
        for (int k = 0; k < 2; k++) {
            float a = v[k], b = v[k + 2];
            v[k] = qx_add(a, b);
            v[k + 2] = qx_sub(a, b);
        }
    for (int k = 0; k < 4; k++) v[k] = qx_mul(v[k], hs);
}

/* y = [H] ([mask] ([H] x)) by the flags, over n values in place or not. */
__global__ void had_kernel(const float *x, float *y, size_t n, int hb, float hs,
                           const uint8_t *mask, int flags) {
    const int lane = threadIdx.x & 31;
    const size_t nw = (n + 127) / 128, wpb = blockDim.x / 32;
    for (size_t w = blockIdx.x * wpb + threadIdx.x / 32; w < nw; w += (size_t)gridDim.x * wpb) {
        const size_t base = w * 128 + lane;
        float v[4];
        for (int k = 0; k < 4; k++) {
            size_t i = base + 32 * (size_t)k;
            v[k] = i < n ? x[i] : 0.0f;
        }
        if (flags & BW_PRE_HAD) had_warp(v, lane, hb, hs);
        if (flags & BW_MASK)
            for (int k = 0; k < 4; k++) {
                size_t i = base + 32 * (size_t)k;
                v[k] = i < n && mask[i] ? v[k] : 0.0f;
            }
        if (flags & BW_POST_HAD) had_warp(v, lane, hb, hs);
        for (int k = 0; k < 4; k++) {
            size_t i = base + 32 * (size_t)k;
            if (i < n) y[i] = v[k];
        }
    }
}

/* The same transform with 16 lanes holding 128 consecutive values, lane l the values
 * l + 16 k (k = 0..7): stages h < 16 pair lanes, h = 16, 32, 64 pair registers. */
__device__ __forceinline__ void had16(float v[8], int lane, int hb, float hs) {
    if (hb < 2) return;
    for (int h = 1; h < hb && h < 16; h <<= 1)
#pragma unroll
        for (int k = 0; k < 8; k++) {
            float o = __shfl_xor_sync(FULL_MASK, v[k], h, 16);
            v[k] = (lane & h) ? qx_sub(o, v[k]) : qx_add(v[k], o);
        }
    if (hb > 16)
#pragma unroll
        for (int k = 0; k < 8; k += 2) {
            float a = v[k], b = v[k + 1];
            v[k] = qx_add(a, b);
            v[k + 1] = qx_sub(a, b);
        }
    if (hb > 32)
#pragma unroll
        for (int k = 0; k < 8; k++)
            if (!(k & 2)) {
                float a = v[k], b = v[k + 2];
                v[k] = qx_add(a, b);
                v[k + 2] = qx_sub(a, b);
            }
    if (hb > 64)
#pragma unroll
        for (int k = 0; k < 4; k++) {
            float a = v[k], b = v[k + 4];
            v[k] = qx_add(a, b);
            v[k + 4] = qx_sub(a, b);
        }
#pragma unroll
    for (int k = 0; k < 8; k++) v[k] = qx_mul(v[k], hs);
}

/* QuEST per row or per tensor: one group of 16 threads per row rotates the row into y
 * (128 values at a time) and sums the squares of the rotated values in the CPU's lanes
 * (lane l: elements l, l + 16, ... in order), then folds them as quest_rms; writes the
 * row's parameters, or its raw sum of squares for a per-tensor sigma. */
__global__ void quest_rotstats_kernel(qparams P, const float *x, float *y, qseg *seg,
                                      double *rowsum) {
    const int lane = threadIdx.x & 15, gq = threadIdx.x >> 4;
    for (size_t rb = (size_t)blockIdx.x * 16; rb < P.rows; rb += (size_t)gridDim.x * 16) {
        const size_t r = rb + (size_t)gq;
        const bool live = r < P.rows;
        const float *xr = x + r * P.cols;
        float *yr = y + r * P.cols;
        double acc = 0.0;
        for (size_t c0 = 0; c0 < P.cols; c0 += 128) {
            float v[8];
#pragma unroll
            for (int k = 0; k < 8; k++) {
                const size_t i = c0 + (size_t)lane + 16 * (size_t)k;
                v[k] = live && i < P.cols ? xr[i] : 0.0f;
            }
            had16(v, lane, P.hb, P.hs);
#pragma unroll
            for (int k = 0; k < 8; k++) {
                const size_t i = c0 + (size_t)lane + 16 * (size_t)k;
                if (live && i < P.cols) {
                    yr[i] = v[k];
                    acc += (double)v[k] * (double)v[k];
                }
            }
        }
        for (int w = 8; w >= 1; w >>= 1) {
            double o = __shfl_down_sync(FULL_MASK, acc, w, 16);
            if (lane < w) acc += o;
        }
        if (live && lane == 0) {
            const double len = (double)P.cols;
            double rms = sqrt(acc / len); /* quest_rms */
            double raw = rms * rms * len; /* raw_of's sumsq */
            if (P.tensor)
                rowsum[r] = raw;
            else
                seg[r] = seg_from_sigma(P, sqrt(raw / len));
        }
    }
}

/* QuEST on the rotated values in y, in place: the mid-rise grid, the mask, the counts;
 * then the rotation back when the output basis is the original one. */
__global__ void quest_kernel(qparams P, float *y, uint8_t *pass, const qseg *seg, qstats *st,
                             int back, int use_err) {
    const int lane = threadIdx.x & 31;
    const size_t n = P.rows * P.cols, nw = (n + 127) / 128, wpb = blockDim.x / 32;
    unsigned long long clipped = 0, masked = 0;
    for (size_t w = blockIdx.x * wpb + threadIdx.x / 32; w < nw; w += (size_t)gridDim.x * wpb) {
        const size_t base = w * 128 + lane;
        size_t r = udiv(base, P.cols), c = base - r * P.cols;
        float v[4];
        uint8_t ok[4];
        for (int k = 0; k < 4; k++) {
            const size_t i = base + 32 * (size_t)k;
            if (k) {
                c += 32;
                while (c >= P.cols) c -= P.cols, r++;
            }
            ok[k] = 1;
            v[k] = 0.0f;
            if (i >= n) continue;
            const float xv = y[i];
            const qseg s = seg[P.tensor ? 0 : (P.nsr == 1 ? r : r * P.nsr + udiv(c, P.g))];
            if (!s.z) {
                v[k] = xv; /* zero or NaN granule: kept, mask all ones */
                continue;
            }
            uint8_t cl;
            v[k] = qquest_elem(xv, s.a, s.b, s.c, use_err, &ok[k], &cl);
            clipped += cl;
            masked += !ok[k];
        }
        if (back) had_warp(v, lane, P.hb, P.hs);
        for (int k = 0; k < 4; k++) {
            const size_t i = base + 32 * (size_t)k;
            if (i < n) {
                y[i] = v[k];
                if (pass) pass[i] = ok[k];
            }
        }
    }
    block_counts(st, clipped, masked, n);
}

/* ---------------------------------------------------------------------- host ---- */

__global__ void mask_copy_kernel(const float *dy, float *dx, const uint8_t *mask, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        dx[i] = mask[i] ? dy[i] : 0.0f;
}

static unsigned grid_cap(size_t blocks, size_t cap) {
    if (blocks < 1) blocks = 1;
    return (unsigned)(blocks < cap ? blocks : cap);
}

static int pow2_bits_at_least(size_t v, int maxbits) {
    int b = 0;
    while (b < maxbits && ((size_t)1 << b) < v) b++;
    return b;
}

static size_t seg_len_of(const qspec *q, size_t cols) {
    return q->granularity == QG_GROUP && q->group < cols ? q->group : cols;
}

static int needs_stats(const qspec *q) {
    return q->kind == QK_INT || (q->kind == QK_FP && q->scaled) || q->kind == QK_NVFP4 ||
           q->kind == QK_QUEST;
}

static int stats_mode(const qspec *q) {
    if (q->kind == QK_INT && !q->symmetric) return MODE_MINMAX;
    if (q->kind == QK_INT && q->bits == 1) return MODE_SUMABS;
    if (q->kind == QK_QUEST) return MODE_RMS;
    return MODE_AMAX;
}

static size_t align_up(size_t v) {
    return (v + SEG_ALIGN - 1) / SEG_ALIGN * SEG_ALIGN;
}

/* Scratch layout: qseg[nseg] (aligned), then the tensor reduction's partials or row sums. */
static size_t seg_bytes(const qspec *q, size_t rows, size_t cols) {
    const size_t g = seg_len_of(q, cols), nsr = (cols + g - 1) / g;
    const size_t nseg = q->granularity == QG_TENSOR ? 1 : rows * nsr;
    return align_up(nseg * sizeof(qseg));
}

size_t psl_cuda_quant_scratch_bytes(const qspec *q, size_t rows, size_t cols) {
    if (!q || !needs_stats(q) || rows == 0 || cols == 0) return 0;
    size_t bytes = seg_bytes(q, rows, cols);
    if (q->granularity == QG_TENSOR) {
        int mode = stats_mode(q);
        bytes += mode == MODE_AMAX || mode == MODE_MINMAX ? 2 * RED_G * sizeof(float)
                                                          : rows * sizeof(double);
    }
    return bytes;
}

static qfpp fpp_of(const qfp_format *f) {
    qfpp p = {f->maxval, f->clip, f->emin, f->emax, f->m, f->path};
    return p;
}

int psl_cuda_fake_quant(psl_cuda *ctx, const qspec *q, const float *x, float *y, size_t rows,
                        size_t cols, uint8_t *pass, qstats *stats, void *scratch) {
    char err[256];
    PSL_CHECK(ctx, q != NULL);
    if (qspec_check(q, rows, cols, err, sizeof err)) return psl_cuda_fail(ctx, __func__, "%s", err);
    const size_t n = rows * cols;
    if (n == 0) return 0;
    PSL_CHECK(ctx, x != NULL && y != NULL);
    cudaStream_t sm = ctx->stream;

    qparams P;
    memset(&P, 0, sizeof P);
    P.kind = q->kind;
    P.bits = q->bits;
    P.symmetric = q->symmetric;
    P.stochastic = q->stochastic;
    P.scaled = q->scaled;
    P.seed = q->seed;
    P.rows = rows;
    P.cols = cols;
    P.tensor = q->granularity == QG_TENSOR;
    P.g = seg_len_of(q, cols);
    P.nsr = (cols + P.g - 1) / P.g;
    P.mode = stats_mode(q);
    if (q->kind == QK_INT)
        P.qmax =
            q->symmetric ? (int32_t)((1u << (q->bits - 1)) - 1u) : (int32_t)((1u << q->bits) - 1u);
    qfp_format f;
    memset(&f, 0, sizeof f);
    if (q->kind == QK_FP || (q->kind == QK_MX && q->e > 0)) {
        if (qfp_format_init(&f, q->e, q->m, q->special, err, sizeof err))
            return psl_cuda_fail(ctx, __func__, "%s", err);
        P.fmt = fpp_of(&f);
    }
    if (q->kind == QK_NVFP4) {
        qfp_format_init(&f, 2, 1, QFP_FINITE, err, sizeof err);
        P.fmt = fpp_of(&f);
        qfp_format_init(&f, 4, 3, QFP_FN, err, sizeof err);
        P.e4m3 = fpp_of(&f);
    }
    if (q->kind == QK_QUEST) {
        P.alpha = q->alpha;
        P.levels = (double)(1u << q->bits);
        P.trust = q->trust;
        P.clip_factor = q->clip_factor;
        P.mask = q->mask == QM_DEFAULT ? QM_TRUST : q->mask;
        P.hb = (int)qhadamard_block(cols);
        P.hs = (float)(1.0 / sqrt((double)P.hb));
    }
    if (q->kind == QK_NONE) {
        if (y != x) PSL_CU(ctx, cudaMemcpyAsync(y, x, n * sizeof *x, cudaMemcpyDeviceToDevice, sm));
        if (pass) PSL_CU(ctx, cudaMemsetAsync(pass, 1, n, sm));
        if (stats) {
            add_total_kernel<<<1, 1, 0, sm>>>(stats, (unsigned long long)n);
            PSL_LAUNCHED(ctx);
        }
        return 0;
    }

    if (q->kind == QK_MX) {
        const int bs = q->block;
        if (bs > 512) return psl_cuda_fail(ctx, __func__, "MX block %d: at most 512 supported", bs);
        P.mx_int8 = q->e == 0;
        P.mx_emax = q->e == 0 ? 0 : f.emax;
        P.mx_shift = q->e == 0 ? -6 : 0;
        P.nbr = (cols + (size_t)bs - 1) / (size_t)bs;
        if (bs == 32 || bs == 16) {
            const int W = bs, gpb = 256 / W, gxb = pow2_bits_at_least(P.nbr, gpb == 8 ? 3 : 4);
            const size_t GX = (size_t)1 << gxb, GY = (size_t)gpb / GX;
            dim3 grid(grid_cap((P.nbr + GX - 1) / GX, 65535), grid_cap((rows + GY - 1) / GY, 8192));
            if (W == 32)
                blk_kernel<32><<<grid, 256, 0, sm>>>(P, x, y, pass, NULL, stats, gxb);
            else
                blk_kernel<16><<<grid, 256, 0, sm>>>(P, x, y, pass, NULL, stats, gxb);
        } else {
            mx_generic_kernel<<<grid_cap((rows * P.nbr + 255) / 256, 4096), 256, 0, sm>>>(
                P, bs, x, y, pass, stats);
        }
        PSL_LAUNCHED(ctx);
        return 0;
    }

    const int quest = q->kind == QK_QUEST;
    qseg *seg = NULL;
    if (needs_stats(q)) {
        if (!scratch)
            return psl_cuda_fail(ctx, __func__, "%s needs %zu bytes of scratch, got NULL", q->name,
                                 psl_cuda_quant_scratch_bytes(q, rows, cols));
        seg = (qseg *)scratch;
    }
    char *aux = (char *)scratch + (seg ? seg_bytes(q, rows, cols) : 0);

    /* QuEST per row or tensor: rotate into y and take each row's RMS in one pass */
    const int quest_rows = quest && P.nsr == 1;
    if (quest_rows) {
        quest_rotstats_kernel<<<grid_cap((rows + 15) / 16, 65535), 256, 0, sm>>>(P, x, y, seg,
                                                                                 (double *)aux);
        PSL_LAUNCHED(ctx);
        if (P.tensor) {
            tensor_params_kernel<<<1, TP_THREADS, 0, sm>>>(P, NULL, 0, (const double *)aux, seg);
            PSL_LAUNCHED(ctx);
        }
    } else if (quest) {
        /* rotate into y; the statistics and the quantizer then work on y in place */
        had_kernel<<<grid_cap((n + 1023) / 1024, 8192), 256, 0, sm>>>(x, y, n, P.hb, P.hs, NULL,
                                                                      BW_PRE_HAD);
        PSL_LAUNCHED(ctx);
    }
    const float *src = quest ? y : x;

    if (seg && !quest_rows) {
        if (P.tensor && (P.mode == MODE_AMAX || P.mode == MODE_MINMAX)) {
            const unsigned nb = grid_cap((n + 2047) / 2048, RED_G);
            flat_reduce_kernel<<<nb, 256, 0, sm>>>(P, src, n, (float *)aux);
            PSL_LAUNCHED(ctx);
            tensor_params_kernel<<<1, TP_THREADS, 0, sm>>>(P, (const float *)aux, (int)nb, NULL,
                                                           seg);
            PSL_LAUNCHED(ctx);
        } else {
            const size_t nsr = P.tensor ? 1 : P.nsr;
            const int gxb = pow2_bits_at_least(nsr, 4);
            const size_t GX = (size_t)1 << gxb, GY = 16 / GX;
            dim3 grid(grid_cap((nsr + GX - 1) / GX, 65535), grid_cap((rows + GY - 1) / GY, 8192));
            segstats_kernel<<<grid, 256, 0, sm>>>(P, src, seg, (double *)aux, gxb);
            PSL_LAUNCHED(ctx);
            if (P.tensor) {
                tensor_params_kernel<<<1, TP_THREADS, 0, sm>>>(P, NULL, 0, (const double *)aux,
                                                               seg);
                PSL_LAUNCHED(ctx);
            }
        }
    }

    if (quest) {
        const int use_err = P.mask == QM_TRUST;
        quest_kernel<<<grid_cap((n + 1023) / 1024, 8192), 256, 0, sm>>>(
            P, y, pass, seg, stats, q->basis == QB_ORIGINAL && P.hb >= 2, use_err);
    } else if (q->kind == QK_NVFP4) {
        P.bps = (P.g + 15) / 16;
        P.nbr = P.nsr * P.bps;
        const int gxb = pow2_bits_at_least(P.nbr, 4);
        const size_t GX = (size_t)1 << gxb, GY = 16 / GX;
        dim3 grid(grid_cap((P.nbr + GX - 1) / GX, 65535), grid_cap((rows + GY - 1) / GY, 8192));
        blk_kernel<16><<<grid, 256, 0, sm>>>(P, x, y, pass, seg, stats, gxb);
    } else {
        const size_t tx = cols >= 256 ? 256 : (cols + 31) / 32 * 32, ty = 256 / tx;
        dim3 block((unsigned)tx, (unsigned)ty);
        size_t gx = (cols + tx - 1) / tx, gy = (rows + ty - 1) / ty, cap = 8192 / gx;
        dim3 grid(grid_cap(gx, 65535), grid_cap(gy, cap < 1 ? 1 : (cap > 65535 ? 65535 : cap)));
        ew_kernel<<<grid, block, 0, sm>>>(P, x, y, pass, seg, stats);
    }
    PSL_LAUNCHED(ctx);
    return 0;
}

int psl_cuda_quant_backward(psl_cuda *ctx, const qspec *q, const float *dy, float *dx, size_t rows,
                            size_t cols, const uint8_t *pass, int use_mask) {
    PSL_CHECK(ctx, q != NULL);
    const size_t n = rows * cols;
    if (n == 0) return 0;
    PSL_CHECK(ctx, dy != NULL && dx != NULL);
    cudaStream_t sm = ctx->stream;
    const int quest = q->kind == QK_QUEST, masking = use_mask && pass;
    const int hb = quest ? (int)qhadamard_block(cols) : 1;
    const float hs = (float)(1.0 / sqrt((double)hb));
    int flags = 0;
    if (quest && q->basis == QB_ORIGINAL)
        flags = masking ? BW_PRE_HAD | BW_MASK | BW_POST_HAD : 0; /* H H = I without the mask */
    else if (quest)
        flags = (masking ? BW_MASK : 0) | BW_POST_HAD;
    else
        flags = masking ? BW_MASK : 0;
    if (quest && hb < 2) flags &= BW_MASK;
    if (flags == 0) {
        if (dx != dy)
            PSL_CU(ctx, cudaMemcpyAsync(dx, dy, n * sizeof *dy, cudaMemcpyDeviceToDevice, sm));
        return 0;
    }
    if (flags == BW_MASK)
        mask_copy_kernel<<<grid_cap((n + 255) / 256, 8192), 256, 0, sm>>>(dy, dx, pass, n);
    else
        had_kernel<<<grid_cap((n + 1023) / 1024, 8192), 256, 0, sm>>>(dy, dx, n, hb, hs, pass,
                                                                      flags);
    PSL_LAUNCHED(ctx);
    return 0;
}
