/* OCP MX v1.0 block formats (32 elements sharing an E8M0 power-of-two scale) and NVFP4
 * (16 E2M1 elements, an E4M3 block scale and an FP32 per-granule scale). Elements are
 * rounded by the generic ExMy routine (or the INT grid for MXINT8), saturating. */
#include "quant/qcore.h"
#include "quant/qinternal.h"

#include <float.h>
#include <math.h>
#include <string.h>

float qpow2f(int k) {
    return qcore_pow2f(k);
}

int qmx_shared_exp(float amax, int emax_elem) {
    int e = isfinite(amax) ? ilogbf(amax) : 127 + emax_elem;
    e -= emax_elem;
    return e < -127 ? -127 : (e > 127 ? 127 : e);
}

/* Rows are processed in chunks whose length is a multiple of the block size: block
 * maxima first, then one scale per element, then one vector loop over the chunk. */
#define MX_CHUNK 512

/* MXINT8 elements: two's complement int8 times 2^-6, symmetric -127..127 (as the OCP
 * reference emulation clamps); the scale per element already includes the 2^-6. */
static size_t int8_kernel(const float *restrict x, float *restrict y, uint8_t *restrict pass,
                          size_t n, const float *restrict sc) {
    size_t clipped = 0;
#pragma omp simd reduction(+ : clipped)
    for (size_t i = 0; i < n; i++) {
        uint8_t ok;
        y[i] = qmx_int8_elem(x[i], sc[i], &ok);
        pass[i] = ok;
        clipped += (size_t)(1 - ok);
    }
    return clipped;
}

size_t qmx_quant_row(const qspec *q, const qfp_format *elem, const float *x, float *y, size_t n,
                     uint8_t *pass) {
    const size_t bs = (size_t)q->block, chunk = (MX_CHUNK / bs) * bs;
    float sc[MX_CHUNK], am[MX_CHUNK], buf[MX_CHUNK];
    uint8_t pbuf[MX_CHUNK];
    const int emax = q->e == 0 ? 0 : elem->emax, shift = q->e == 0 ? -6 : 0;
    size_t clipped = 0;
    for (size_t i0 = 0; i0 < n; i0 += chunk) {
        size_t len = n - i0 < chunk ? n - i0 : chunk;
        qblock_absmax(x + i0, len, bs, am);
        for (size_t b = 0, j = 0; j < len; b++, j += bs) {
            /* all-zero (or NaN) blocks: any scale keeps them; 1 avoids 0 / 0 */
            float s = am[b] > 0.0f ? qpow2f(qmx_shared_exp(am[b], emax) + shift) : 1.0f;
            size_t e = j + bs < len ? j + bs : len;
            for (size_t i = j; i < e; i++) sc[i] = s;
        }
        if (q->e == 0) {
            clipped += int8_kernel(x + i0, buf, pbuf, len, sc);
            memcpy(y + i0, buf, len * sizeof *buf);
            if (pass) memcpy(pass + i0, pbuf, len);
        } else {
            clipped += qfp_round_array_v(elem, x + i0, y + i0, len, sc, pass ? pass + i0 : NULL);
        }
    }
    return clipped;
}

float qnvfp4_tensor_scale(float tensor_amax) {
    return tensor_amax / (6.0f * 448.0f);
}

float qnvfp4_block_scale(float block_amax, float tensor_scale) {
    qfp_format e4m3;
    char err[8];
    qfp_format_init(&e4m3, 4, 3, QFP_FN, err, sizeof err);
    return qfp_round(&e4m3, block_amax / 6.0f / tensor_scale);
}

size_t qnvfp4_quant_seg(const qfp_format *e4m3, const qfp_format *e2m1, float ts, const float *x,
                        float *y, size_t n, uint8_t *pass) {
    float sc[MX_CHUNK], am[MX_CHUNK / 16];
    size_t clipped = 0;
    for (size_t i0 = 0; i0 < n; i0 += MX_CHUNK) {
        size_t len = n - i0 < MX_CHUNK ? n - i0 : MX_CHUNK;
        qblock_absmax(x + i0, len, 16, am);
        for (size_t b = 0, j = 0; j < len; b++, j += 16) {
            float sb = ts > 0.0f ? qfp_round(e4m3, am[b] / 6.0f / ts) : 0.0f;
            float s = sb * ts;
            /* A block too small for the E4M3 scale (or all zero) quantizes to signed zeros:
             * dividing by FLT_MAX sends every finite value to a zero element. */
            s = s > 0.0f ? s : FLT_MAX;
            size_t e = j + 16 < len ? j + 16 : len;
            for (size_t i = j; i < e; i++) sc[i] = s;
        }
        clipped += qfp_round_array_v(e2m1, x + i0, y + i0, len, sc, pass ? pass + i0 : NULL);
    }
    return clipped;
}
