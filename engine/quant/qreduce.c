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
