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
 * give directly; for m = 0 it is the even biased exponent, fixed up in round_magic0 and
 * round_wide (the float32 bit pattern has it already for BITS).
 * Saturation is applied before rounding: every |x| above maxval rounds to maxval anyway
 * (maxval is representable and rounding is monotone), and Inf becomes maxval. */
#include "quant/qinternal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { PATH_MAGIC = 0, PATH_BITS = 1, PATH_WIDE = 2 };

static inline uint32_t f2u(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float u2f(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

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
    f->path = e <= 7 ? PATH_MAGIC : (e == 8 ? PATH_BITS : PATH_WIDE);
    return 0;
}

/* The kernels work on a = |x| already clamped to [0, maxval]; the sign and NaN are
 * restored by the caller. Written branch-free so loops over them vectorise. */
static inline float round_magic(float a, int emin, int m) {
    int ea = (int)(f2u(a) >> 23) - 127; /* float32 subnormals give -127 < emin */
    int k = (ea > emin ? ea : emin) - m;
    float c = u2f((uint32_t)(k + 23 + 127) << 23);
    return (a + c) - c;
}

/* m = 0: ties between 2^ea and 2^(ea+1) go to the even code, i.e. the even biased
 * exponent; MAGIC would always pick 2^(ea+1). The bias is odd for e >= 2, so the tie goes
 * down exactly when ea is odd (e = 1 has no such tie below its maximum). */
static inline float round_magic0(float a, int emin) {
    uint32_t u = f2u(a);
    int ea = (int)(u >> 23) - 127;
    float r = round_magic(a, emin, 0);
    int down = ((u & 0x7fffffu) == 0x400000u) & (ea >= emin) & (ea & 1);
    return down ? u2f(u & 0xff800000u) : r;
}

static inline float round_bits(float a, int m) {
    uint32_t s = 23u - (uint32_t)m;
    uint32_t u = f2u(a);
    u += ((1u << s) >> 1) - 1u + ((u >> s) & 1u);
    u &= ~((1u << s) - 1u);
    return u2f(u);
}

static inline float round_wide(float a, int emin, int m) {
    double d = a;
    uint64_t b;
    memcpy(&b, &d, 8);
    int ea = (int)(b >> 52) - 1023;
    int kmin = emin - m < -150 ? -150 : emin - m; /* finer than 2^-149 changes nothing */
    int k = ea - m > kmin ? ea - m : kmin;
    uint64_t cb = (uint64_t)(k + 52 + 1023) << 52;
    double c;
    memcpy(&c, &cb, 8);
    double r = (d + c) - c;
    /* m = 0 ties go to the even biased exponent, as in round_magic0 */
    if (m == 0 && (b & 0xFFFFFFFFFFFFFull) == 0x8000000000000ull && ea >= emin && (ea & 1)) {
        uint64_t db = b & 0xFFF0000000000000ull;
        memcpy(&r, &db, 8);
    }
    return (float)r;
}

float qfp_round(const qfp_format *f, float x) {
    if (x != x) return x;
    float a = fabsf(x);
    a = a < f->maxval ? a : f->maxval;
    float r;
    if (f->path == PATH_MAGIC)
        r = f->m == 0 ? round_magic0(a, f->emin) : round_magic(a, f->emin, f->m);
    else if (f->path == PATH_BITS)
        r = round_bits(a, f->m);
    else
        r = round_wide(a, f->emin, f->m);
    return u2f(f2u(r) | (f2u(x) & 0x80000000u));
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
            float a = fabsf(v);                                                                    \
            uint8_t p = !(a > clip);                                                               \
            a = a < maxv ? a : maxv;                                                               \
            float r = ROUND;                                                                       \
            r = u2f(f2u(r) | (f2u(v) & 0x80000000u));                                              \
            r = v != v ? v : r;                                                                    \
            y[i] = STORE;                                                                          \
            pass[i] = p;                                                                           \
            clipped += (size_t)(1 - p);                                                            \
        }                                                                                          \
        return clipped;                                                                            \
    }

/* Unscaled and scaled variants: the division is kept out of plain rounding. */
QFP_KERNEL(kernel_magic, float, round_magic(a, emin, m), x[i], r)
QFP_KERNEL(kernel_magic0, float, round_magic0(a, emin), x[i], r)
QFP_KERNEL(kernel_magic0_s, float, round_magic0(a, emin), x[i] / scale, r *scale)
QFP_KERNEL(kernel_bits, float, round_bits(a, m), x[i], r)
QFP_KERNEL(kernel_wide, float, round_wide(a, emin, m), x[i], r)
QFP_KERNEL(kernel_magic_s, float, round_magic(a, emin, m), x[i] / scale, r *scale)
QFP_KERNEL(kernel_bits_s, float, round_bits(a, m), x[i] / scale, r *scale)
QFP_KERNEL(kernel_wide_s, float, round_wide(a, emin, m), x[i] / scale, r *scale)

/* Per-element scales (block formats: one scale repeated over each block), so a whole row
 * runs through one vector loop instead of one short loop per block. */
#define QFP_KERNEL_V(NAME, ROUND)                                                                  \
    QFP_KERNEL(NAME, const float *restrict, ROUND, x[i] / scale[i], r * scale[i])

QFP_KERNEL_V(kernel_magic_v, round_magic(a, emin, m))
QFP_KERNEL_V(kernel_magic0_v, round_magic0(a, emin))
QFP_KERNEL_V(kernel_bits_v, round_bits(a, m))
QFP_KERNEL_V(kernel_wide_v, round_wide(a, emin, m))

/* The kernel of f's path (MAGIC with m = 0, MAGIC, BITS, WIDE), variant SFX: nothing
 * (unscaled), _s (one scale) or _v (a scale per element). */
#define PATH_KERNEL(f, SFX, ...)                                                                   \
    ((f)->path == PATH_MAGIC && (f)->m == 0 ? kernel_magic0##SFX(f, __VA_ARGS__)                   \
     : (f)->path == PATH_MAGIC              ? kernel_magic##SFX(f, __VA_ARGS__)                    \
     : (f)->path == PATH_BITS               ? kernel_bits##SFX(f, __VA_ARGS__)                     \
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
    uint32_t sign = (f2u(x) >> 31) << (f->e + f->m);
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
