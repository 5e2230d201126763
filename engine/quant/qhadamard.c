/* Block-diagonal Walsh-Hadamard transform (QuEST's rotation). Sylvester ordering,
 * normalised by 1/sqrt(n) so the transform is orthogonal and symmetric, hence its own
 * inverse. Each output is a fixed sequence of additions, so results do not depend on
 * vectorisation. */
#include "quant/quant.h"

#include <math.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

size_t qhadamard_block(size_t cols) {
    size_t b = 1;
    while (b < 128 && cols % (2 * b) == 0) b *= 2;
    return b;
}

static void butterfly(float *restrict lo, float *restrict hi, size_t h) {
#pragma omp simd
    for (size_t j = 0; j < h; j++) {
        float a = lo[j], b = hi[j];
        lo[j] = a + b;
        hi[j] = a - b;
    }
}

/* Stages h = 1, 2, 4 on 8 consecutive values, written out so the compiler keeps them in
 * registers; same additions as the generic loop. */
static void fwht8(float *x) {
    float a0 = x[0] + x[1], a1 = x[0] - x[1], a2 = x[2] + x[3], a3 = x[2] - x[3];
    float a4 = x[4] + x[5], a5 = x[4] - x[5], a6 = x[6] + x[7], a7 = x[6] - x[7];
    float b0 = a0 + a2, b2 = a0 - a2, b1 = a1 + a3, b3 = a1 - a3;
    float b4 = a4 + a6, b6 = a4 - a6, b5 = a5 + a7, b7 = a5 - a7;
    x[0] = b0 + b4;
    x[4] = b0 - b4;
    x[1] = b1 + b5;
    x[5] = b1 - b5;
    x[2] = b2 + b6;
    x[6] = b2 - b6;
    x[3] = b3 + b7;
    x[7] = b3 - b7;
}

#ifdef __AVX512F__
/* Stages h = 1, 2, 4, 8 inside one 16-float register: t is v with each pair (j, j + h)
 * swapped; low lanes get v + t = a + b, high lanes t - v = a - b, the same additions as
 * the portable path, so results are bit-identical. */
static inline __m512 stage(__m512 v, __m512 t, __mmask16 hi) {
    return _mm512_mask_sub_ps(_mm512_add_ps(v, t), hi, t, v);
}
/* A whole block of nr * 16 floats in registers: in-register stages, then the stages
 * between registers (the same a + b, a - b pairs), then the 1/sqrt(n) scale. */
static inline __attribute__((always_inline)) void fwht_regs(float *x, int nr, float scale) {
    __m512 r[8];
    for (int k = 0; k < nr; k++) {
        __m512 v = _mm512_loadu_ps(x + 16 * k);
        v = stage(v, _mm512_permute_ps(v, 0xB1), 0xAAAA);
        v = stage(v, _mm512_permute_ps(v, 0x4E), 0xCCCC);
        v = stage(v, _mm512_shuffle_f32x4(v, v, 0xB1), 0xF0F0);
        r[k] = stage(v, _mm512_shuffle_f32x4(v, v, 0x4E), 0xFF00);
    }
    for (int h = 1; h < nr; h *= 2)
        for (int i = 0; i < nr; i += 2 * h)
            for (int j = i; j < i + h; j++) {
                __m512 a = r[j], b = r[j + h];
                r[j] = _mm512_add_ps(a, b);
                r[j + h] = _mm512_sub_ps(a, b);
            }
    const __m512 s = _mm512_set1_ps(scale);
    for (int k = 0; k < nr; k++) _mm512_storeu_ps(x + 16 * k, _mm512_mul_ps(r[k], s));
}

static void fwht16_all(float *x, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        v = stage(v, _mm512_permute_ps(v, 0xB1), 0xAAAA);
        v = stage(v, _mm512_permute_ps(v, 0x4E), 0xCCCC);
        v = stage(v, _mm512_shuffle_f32x4(v, v, 0xB1), 0xF0F0);
        v = stage(v, _mm512_shuffle_f32x4(v, v, 0x4E), 0xFF00);
        _mm512_storeu_ps(x + i, v);
    }
}
#endif

void qhadamard_fwht(float *x, size_t n) {
    if (n < 2) return;
    size_t h = 1;
#ifdef __AVX512F__
    const float sc = (float)(1.0 / sqrt((double)n));
    switch (n) {
    case 16:
        fwht_regs(x, 1, sc);
        return;
    case 32:
        fwht_regs(x, 2, sc);
        return;
    case 64:
        fwht_regs(x, 4, sc);
        return;
    case 128:
        fwht_regs(x, 8, sc);
        return;
    default:
        break;
    }
    if (n >= 16) {
        fwht16_all(x, n);
        h = 16;
    }
#endif
    if (h == 1 && n >= 8) {
        for (size_t i = 0; i < n; i += 8) fwht8(x + i);
        h = 8;
    }
    for (; h < n; h *= 2)
        for (size_t i = 0; i < n; i += 2 * h) butterfly(x + i, x + i + h, h);
    const float s = (float)(1.0 / sqrt((double)n));
#pragma omp simd
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

void qhadamard_rows(float *x, size_t rows, size_t cols) {
    size_t b = qhadamard_block(cols);
    if (b < 2) return;
#pragma omp parallel for schedule(static) if (rows * cols >= 65536)
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c += b) qhadamard_fwht(x + r * cols + c, b);
}
