/* NaN-ignoring reductions in a fixed lane order: max and min are exact, so only the sum
 * depends on order; it is accumulated in double over 16 fixed lanes, then a fixed tree. */
#include "quant/qinternal.h"

#include <math.h>

#define LANES 16

float qabsmax(const float *x, size_t n) {
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
#pragma omp simd
        for (size_t l = 0; l < LANES; l++) {
            float a = fabsf(x[i + l]);
            acc[l] = a > acc[l] ? a : acc[l];
        }
    float m = 0.0f;
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        m = a > m ? a : m;
    }
    for (size_t l = 0; l < LANES; l++) m = acc[l] > m ? acc[l] : m;
    return m;
}

void qminmax(const float *x, size_t n, float *lo, float *hi) {
    float mn[LANES], mx[LANES];
    for (size_t l = 0; l < LANES; l++) {
        mn[l] = INFINITY;
        mx[l] = -INFINITY;
    }
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
#pragma omp simd
        for (size_t l = 0; l < LANES; l++) {
            float v = x[i + l];
            mn[l] = v < mn[l] ? v : mn[l];
            mx[l] = v > mx[l] ? v : mx[l];
        }
    float a = INFINITY, b = -INFINITY;
    for (; i < n; i++) {
        a = x[i] < a ? x[i] : a;
        b = x[i] > b ? x[i] : b;
    }
    for (size_t l = 0; l < LANES; l++) {
        a = mn[l] < a ? mn[l] : a;
        b = mx[l] > b ? mx[l] : b;
    }
    *lo = a;
    *hi = b;
}

double qsumabs(const float *x, size_t n) {
    double acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
#pragma omp simd
        for (size_t l = 0; l < LANES; l++) {
            float a = fabsf(x[i + l]);
            acc[l] += a == a ? (double)a : 0.0;
        }
    for (size_t l = 0; i < n; i++, l++) {
        float a = fabsf(x[i]);
        acc[l] += a == a ? (double)a : 0.0;
    }
    for (size_t w = LANES / 2; w >= 1; w /= 2)
        for (size_t l = 0; l < w; l++) acc[l] += acc[l + w];
    return acc[0];
}

#ifdef __AVX512F__
#include <immintrin.h>
#endif

/* Max is exact, so the AVX-512 path and the portable loop agree bit for bit. max_ps(a, b)
 * returns b when a is NaN, which is what ignores NaN here. */
void qblock_absmax(const float *x, size_t n, size_t bs, float *amax) {
    size_t b = 0, i0 = 0;
#ifdef __AVX512F__
    const __m512 zero = _mm512_setzero_ps();
    const __m512i absmask = _mm512_set1_epi32(0x7fffffff);
    if (bs == 16 || bs == 32) {
        for (; i0 + bs <= n; i0 += bs, b++) {
            __m512 a = _mm512_castsi512_ps(
                _mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(x + i0)), absmask));
            __m512 m = _mm512_max_ps(a, zero);
            if (bs == 32) {
                __m512 a2 = _mm512_castsi512_ps(
                    _mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(x + i0 + 16)), absmask));
                m = _mm512_max_ps(a2, m);
            }
            amax[b] = _mm512_reduce_max_ps(m);
        }
    }
#endif
    for (; i0 < n; i0 += bs, b++) {
        size_t len = n - i0 < bs ? n - i0 : bs;
        float m = 0.0f;
        for (size_t i = 0; i < len; i++) {
            float a = fabsf(x[i0 + i]);
            m = a > m ? a : m;
        }
        amax[b] = m;
    }
}
