/* INTk: symmetric absmax and asymmetric min-max integer grids, round half to even.
 * Rounding uses the float32 "magic number" 1.5 * 2^23: after clamping to the code range
 * (|v| <= 2^16), (v + M) - M is v rounded to an integer by the hardware's
 * round-to-nearest-even, exactly, and the loop vectorises. Clamping before rounding is
 * equivalent to clamping after, since the bounds are integers. */
#include "quant/qcore.h"
#include "quant/quant.h"

#include <math.h>
#include <string.h>

qint_params qint_params_sym(int bits, float amax, float mean_abs) {
    qint_params p = {0};
    if (bits == 1) {
        /* One bit has no zero level: sign times the MSE-optimal scale mean|x|. */
        p.onebit = 1;
        p.qmin = -1;
        p.qmax = 1;
        p.scale = mean_abs;
        return p;
    }
    p.qmax = (int32_t)((1u << (bits - 1)) - 1u);
    p.qmin = -p.qmax;
    p.scale = amax / (float)p.qmax;
    return p;
}

qint_params qint_params_asym(int bits, float lo, float hi) {
    qint_params p = {0};
    /* The range always holds 0 so that 0.0 is exactly representable. */
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
    p.qmin = 0;
    p.qmax = (int32_t)((1u << bits) - 1u);
    p.scale = (hi - lo) / (float)p.qmax;
    if (p.scale > 0.0f && isfinite(p.scale)) {
        float z = -lo / p.scale;
        z = z < (float)p.qmax ? z : (float)p.qmax;
        p.zero = (int32_t)((z + QCORE_MAGIC) - QCORE_MAGIC);
    }
    return p;
}

#define QINT_CHUNK 512

/* The elements are quant/qcore.h's, shared with the GPU (cuda/quant.cu). */
static size_t kernel_int(const qint_params *p, const float *restrict x, float *restrict y,
                         uint8_t *restrict pass, size_t n) {
    const float scale = p->scale;
    const float lo = (float)(p->qmin - p->zero), hi = (float)(p->qmax - p->zero);
    size_t clipped = 0;
#pragma omp simd reduction(+ : clipped)
    for (size_t i = 0; i < n; i++) {
        uint8_t ok;
        y[i] = qint_elem(x[i], scale, lo, hi, &ok);
        pass[i] = ok;
        clipped += (size_t)(1 - ok);
    }
    return clipped;
}

static size_t kernel_onebit(const qint_params *p, const float *restrict x, float *restrict y,
                            uint8_t *restrict pass, size_t n) {
    const float s = p->scale;
    size_t clipped = 0;
#pragma omp simd reduction(+ : clipped)
    for (size_t i = 0; i < n; i++) {
        uint8_t ok;
        y[i] = qint_elem_onebit(x[i], s, &ok);
        pass[i] = ok;
        clipped += (size_t)(1 - ok);
    }
    return clipped;
}

size_t qint_quant_array(const qint_params *p, const float *x, float *y, size_t n, uint8_t *pass) {
    if (!(p->scale > 0.0f)) {
        /* All-zero (or NaN-only) granule: every value is its own quantization. */
        if (y != x) memmove(y, x, n * sizeof *x);
        if (pass) memset(pass, 1, n);
        return 0;
    }
    float buf[QINT_CHUNK];
    uint8_t pbuf[QINT_CHUNK];
    size_t clipped = 0;
    for (size_t i0 = 0; i0 < n; i0 += QINT_CHUNK) {
        size_t len = n - i0 < QINT_CHUNK ? n - i0 : QINT_CHUNK;
        clipped += p->onebit ? kernel_onebit(p, x + i0, buf, pbuf, len)
                             : kernel_int(p, x + i0, buf, pbuf, len);
        memcpy(y + i0, buf, len * sizeof *buf);
        if (pass) memcpy(pass + i0, pbuf, len);
    }
    return clipped;
}

int32_t qint_encode(const qint_params *p, float x) {
    if (p->onebit) return x < 0.0f ? -1 : 1;
    if (!(p->scale > 0.0f) || x != x) return p->zero;
    float v = x / p->scale;
    float lo = (float)(p->qmin - p->zero), hi = (float)(p->qmax - p->zero);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int32_t)((v + QCORE_MAGIC) - QCORE_MAGIC) + p->zero;
}

float qint_decode(const qint_params *p, int32_t code) {
    return (float)(code - p->zero) * p->scale;
}
