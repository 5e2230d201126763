/* OCP MX v1.0 block formats (32 elements sharing an E8M0 power-of-two scale) and NVFP4
 * (16 E2M1 elements, an E4M3 block scale and an FP32 per-granule scale). Elements are
 * rounded by the generic ExMy routine (or the INT grid for MXINT8), saturating. */
#include "quant/qinternal.h"

#include <math.h>
#include <string.h>

float qpow2f(int k) {
    if (k < -149) return 0.0f;
    if (k > 127) return INFINITY;
    uint32_t u = k >= -126 ? (uint32_t)(k + 127) << 23 : 1u << (k + 149);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

int qmx_shared_exp(float amax, int emax_elem) {
    int e = isfinite(amax) ? ilogbf(amax) : 127 + emax_elem;
    e -= emax_elem;
    return e < -127 ? -127 : (e > 127 ? 127 : e);
}

size_t qmx_quant_row(const qspec *q, const qfp_format *elem, const float *x, float *y, size_t n,
                     uint8_t *pass) {
    size_t clipped = 0, bs = (size_t)q->block;
    for (size_t i0 = 0; i0 < n; i0 += bs) {
        size_t len = n - i0 < bs ? n - i0 : bs;
        uint8_t *p = pass ? pass + i0 : NULL;
        float amax = qabsmax(x + i0, len);
        if (!(amax > 0.0f)) {
            /* All zeros (or NaN): kept as they are; the scale does not matter. */
            if (y != x) memmove(y + i0, x + i0, len * sizeof *x);
            if (p) memset(p, 1, len);
            continue;
        }
        if (q->e == 0) {
            /* MXINT8: two's complement int8 with an implicit 2^-6, symmetric -127..127
             * (as the OCP reference emulation clamps), emax_elem = 0. */
            int se = qmx_shared_exp(amax, 0);
            qint_params ip = {.scale = qpow2f(se - 6), .zero = 0, .qmin = -127, .qmax = 127};
            clipped += qint_quant_array(&ip, x + i0, y + i0, len, p);
        } else {
            int se = qmx_shared_exp(amax, elem->emax);
            clipped += qfp_round_array(elem, x + i0, y + i0, len, qpow2f(se), p);
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
    size_t clipped = 0;
    for (size_t i0 = 0; i0 < n; i0 += 16) {
        size_t len = n - i0 < 16 ? n - i0 : 16;
        uint8_t *p = pass ? pass + i0 : NULL;
        float bmax = qabsmax(x + i0, len);
        float sb = ts > 0.0f ? qfp_round(e4m3, bmax / 6.0f / ts) : 0.0f;
        float s = sb * ts;
        if (!(s > 0.0f)) {
            /* Block too small for the E4M3 scale (or all zero): it quantizes to signed
             * zeros; NaN stays NaN. */
            for (size_t i = 0; i < len; i++) {
                float v = x[i0 + i];
                y[i0 + i] = v != v ? v : copysignf(0.0f, v);
            }
            if (p) memset(p, 1, len);
            continue;
        }
        clipped += qfp_round_array(e2m1, x + i0, y + i0, len, s, p);
    }
    return clipped;
}
