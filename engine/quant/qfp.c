/* The one rounding routine of every FP ExMy format: nearest value, ties to even,
 * subnormals, saturation to the largest finite value, NaN kept.
 *
 * Three exact kernels, chosen once per format by qfp_format_init, all giving the
 * correctly rounded result (so they agree with each other bit for bit):
 *  - MAGIC (e <= 7): r = (a + C) - C in float32 with C = 2^(k + 23), k the exponent of
 *    the target ulp at a. The sum lies in [C, 2C) whose float32 ulp is 2^k, so the
 *    hardware's round-to-nearest-even does the rounding.
 *  - BITS (e == 8): the target shares float32's exponent range, so rounding the float32
 *    bit pattern at bit 23 - m (carry into the exponent) is exact, subnormals included.
 *  - WIDE (e >= 9): as MAGIC but in double, since C would overflow float32.
 * Ties go to the even code. For m >= 1 that is the even mantissa, which MAGIC and WIDE
 * give directly; for m = 0 it is the even biased exponent, fixed up in qfp_round_magic0
 * and qfp_round_wide (the float32 bit pattern has it already for BITS).
 * Saturation is applied before rounding: every |x| above maxval rounds to maxval anyway
 * (maxval is representable and rounding is monotone), and Inf becomes maxval.
 * The kernels themselves are in quant/qcore.h, shared with the GPU (cuda/quant.cu). */
#include "quant/qcore.h"
#include "quant/qinternal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

qfp_special qfp_default_special(int e, int m) {
    if (e == 4 && m == 3) return QFP_FN;
    if (e == 5 && m == 2) return QFP_IEEE;
    if (1 + e + m > 8 && e >= 2) return QFP_IEEE;
    return QFP_FINITE;
}

int qfp_format_init(qfp_format *f, int e, int m, qfp_special special, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    if (e < 1 || m < 0 || 1 + e + m > 16) {
        snprintf(err, errlen, "FP format E%dM%d: need e >= 1, m >= 0, 1 + e + m <= 16", e, m);
        return -1;
    }
    if (special == QFP_IEEE && e < 2) {
        snprintf(err, errlen, "FP format E%dM%d: IEEE Inf/NaN codes need e >= 2", e, m);
        return -1;
    }
    if (special == QFP_FN && m < 1) {
        snprintf(err, errlen, "FP format E%dM%d: the fn convention needs m >= 1", e, m);
        return -1;
    }
    if (special != QFP_IEEE && special != QFP_FN && special != QFP_FINITE) {
        snprintf(err, errlen, "FP format E%dM%d: unknown special-value convention", e, m);
        return -1;
    }
    f->e = e;
    f->m = m;
    f->special = special;
    f->bias = (1 << (e - 1)) - 1;
    f->emin = 1 - f->bias;
    int top = (1 << e) - 1; /* top biased exponent code */
    double maxv;
    if (special == QFP_IEEE) {
        f->emax = top - 1 - f->bias;
        maxv = ldexp(2.0 - ldexp(1.0, -m), f->emax);
    } else if (special == QFP_FN) {
        f->emax = top - f->bias;
        maxv = ldexp(2.0 - ldexp(1.0, 1 - m), f->emax);
    } else {
        f->emax = top - f->bias;
        maxv = ldexp(2.0 - ldexp(1.0, -m), f->emax);
    }
    /* Formats wider than float32's range: the largest value both can hold. */
    double capv = ldexp(2.0 - ldexp(1.0, -m), 127);
    int capped = maxv > capv;
    if (capped) maxv = capv;
    f->maxval = (float)maxv;
    int top_exp = capped ? 127 : f->emax;
    double half_ulp_top = ldexp(1.0, top_exp - m - 1);
    double clipv = maxv + half_ulp_top;
    f->clip = clipv > 3.4028234663852886e38 ? INFINITY : (float)clipv;
    f->min_normal = f->emin >= -149 ? (float)ldexp(1.0, f->emin) : 0.0f;
    f->min_sub = f->emin - m >= -149 ? (float)ldexp(1.0, f->emin - m) : 0.0f;
    f->path = e <= 7 ? QFP_PATH_MAGIC : (e == 8 ? QFP_PATH_BITS : QFP_PATH_WIDE);
    return 0;
}

float qfp_round(const qfp_format *f, float x) {
    return qfp_round_one(x, f->maxval, f->path, f->emin, f->m);
}

/* One exact kernel per path over a chunk; restrict lets GCC vectorise without alias
 * checks, which is why qfp_round_array stages results through a local chunk. */
#define QFP_CHUNK 512

/* SCALE: float (one scale, or none) or const float *restrict (one per element). */
#define QFP_KERNEL(NAME, SCALE, ROUND, LOAD, STORE)                                                \
    static size_t NAME(const qfp_format *f, const float *restrict x, float *restrict y,            \
                       uint8_t *restrict pass, size_t n, SCALE scale) {                            \
        const float maxv = f->maxval, clip = f->clip;                                              \
        const int emin = f->emin, m = f->m;                                                        \
        (void)emin;                                                                                \
        (void)m;                                                                                   \
        (void)scale;                                                                               \
        size_t clipped = 0;                                                                        \
        _Pragma("omp simd reduction(+ : clipped)") for (size_t i = 0; i < n; i++) {                \
            float v = LOAD;                                                                        \
            uint8_t p;                                                                             \
            float a = qfp_clamp_abs(v, maxv, clip, &p);                                            \
            float r = qfp_restore(ROUND, v);                                                       \
            y[i] = STORE;                                                                          \
            pass[i] = p;                                                                           \
            clipped += (size_t)(1 - p);                                                            \
        }                                                                                          \
        return clipped;                                                                            \
    }

/* Unscaled and scaled variants: the division is kept out of plain rounding. */
QFP_KERNEL(kernel_magic, float, qfp_round_magic(a, emin, m), x[i], r)
QFP_KERNEL(kernel_magic0, float, qfp_round_magic0(a, emin), x[i], r)
QFP_KERNEL(kernel_magic0_s, float, qfp_round_magic0(a, emin), x[i] / scale, r *scale)
QFP_KERNEL(kernel_bits, float, qfp_round_bits(a, m), x[i], r)
QFP_KERNEL(kernel_wide, float, qfp_round_wide(a, emin, m), x[i], r)
QFP_KERNEL(kernel_magic_s, float, qfp_round_magic(a, emin, m), x[i] / scale, r *scale)
QFP_KERNEL(kernel_bits_s, float, qfp_round_bits(a, m), x[i] / scale, r *scale)
QFP_KERNEL(kernel_wide_s, float, qfp_round_wide(a, emin, m), x[i] / scale, r *scale)

/* Per-element scales (block formats: one scale repeated over each block), so a whole row
 * runs through one vector loop instead of one short loop per block. */
#define QFP_KERNEL_V(NAME, ROUND)                                                                  \
    QFP_KERNEL(NAME, const float *restrict, ROUND, x[i] / scale[i], r * scale[i])

QFP_KERNEL_V(kernel_magic_v, qfp_round_magic(a, emin, m))
QFP_KERNEL_V(kernel_magic0_v, qfp_round_magic0(a, emin))
QFP_KERNEL_V(kernel_bits_v, qfp_round_bits(a, m))
QFP_KERNEL_V(kernel_wide_v, qfp_round_wide(a, emin, m))

/* The kernel of f's path (MAGIC with m = 0, MAGIC, BITS, WIDE), variant SFX: nothing
 * (unscaled), _s (one scale) or _v (a scale per element). */
#define PATH_KERNEL(f, SFX, ...)                                                                   \
    ((f)->path == QFP_PATH_MAGIC && (f)->m == 0 ? kernel_magic0##SFX(f, __VA_ARGS__)               \
     : (f)->path == QFP_PATH_MAGIC              ? kernel_magic##SFX(f, __VA_ARGS__)                \
     : (f)->path == QFP_PATH_BITS               ? kernel_bits##SFX(f, __VA_ARGS__)                 \
                                                : kernel_wide##SFX(f, __VA_ARGS__))

/* x through the kernels of f's path a chunk at a time: one scale, or one per element (sc). */
static size_t round_chunks(const qfp_format *f, const float *x, float *y, size_t n, float scale,
                           const float *sc, uint8_t *pass) {
    float buf[QFP_CHUNK];
    uint8_t pbuf[QFP_CHUNK];
    size_t clipped = 0;
    for (size_t i0 = 0; i0 < n; i0 += QFP_CHUNK) {
        size_t len = n - i0 < QFP_CHUNK ? n - i0 : QFP_CHUNK;
        const float *xs = x + i0;
        if (sc)
            clipped += PATH_KERNEL(f, _v, xs, buf, pbuf, len, sc + i0);
        else if (scale == 1.0f)
            clipped += PATH_KERNEL(f, , xs, buf, pbuf, len, scale);
        else
            clipped += PATH_KERNEL(f, _s, xs, buf, pbuf, len, scale);
        memcpy(y + i0, buf, len * sizeof *buf);
        if (pass) memcpy(pass + i0, pbuf, len);
    }
    return clipped;
}

size_t qfp_round_array_v(const qfp_format *f, const float *x, float *y, size_t n, const float *sc,
                         uint8_t *pass) {
    return round_chunks(f, x, y, n, 1.0f, sc, pass);
}

size_t qfp_round_array(const qfp_format *f, const float *x, float *y, size_t n, float scale,
                       uint8_t *pass) {
    return round_chunks(f, x, y, n, scale, NULL, pass);
}

int qfp_encode(const qfp_format *f, float x, uint32_t *code) {
    uint32_t sign = (psl_f2u(x) >> 31) << (f->e + f->m);
    uint32_t top = (1u << f->e) - 1u;
    uint32_t mmask = (1u << f->m) - 1u;
    if (x != x) {
        if (f->special == QFP_FN) {
            *code = sign | (top << f->m) | mmask;
            return 0;
        }
        if (f->special == QFP_IEEE && f->m >= 1) {
            *code = sign | (top << f->m) | (1u << (f->m - 1));
            return 0;
        }
        *code = 0;
        return -1;
    }
    double r = fabs((double)qfp_round(f, x));
    if (r == 0.0) {
        *code = sign;
        return 0;
    }
    int ea = ilogb(r);
    uint32_t E, M;
    if (ea < f->emin) {
        E = 0;
        M = (uint32_t)ldexp(r, f->m - f->emin);
    } else {
        E = (uint32_t)(ea + f->bias);
        M = (uint32_t)(ldexp(r, f->m - ea) - ldexp(1.0, f->m));
    }
    *code = sign | (E << f->m) | M;
    return 0;
}

float qfp_decode(const qfp_format *f, uint32_t code) {
    uint32_t top = (1u << f->e) - 1u;
    uint32_t mmask = (1u << f->m) - 1u;
    uint32_t E = (code >> f->m) & top, M = code & mmask;
    double s = (code >> (f->e + f->m)) & 1u ? -1.0 : 1.0;
    if (f->special == QFP_IEEE && E == top) return (float)(M == 0 ? s * INFINITY : NAN);
    if (f->special == QFP_FN && E == top && M == mmask) return s < 0 ? -NAN : NAN;
    double v = E == 0 ? ldexp((double)M, f->emin - f->m)
                      : ldexp((double)(M + (1u << f->m)), (int)E - f->bias - f->m);
    return (float)(s * v);
}
