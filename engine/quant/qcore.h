/* The element arithmetic of the quantizers, one source for the CPU (the .c files of quant/)
 * and the GPU (cuda/quant.cu): FP ExMy rounding (qfp.c), the INT and MXINT8 grids
 * (qint.c, qmx.c), stochastic rounding (qsr.c) and QuEST's grid (qquest.c). Both sides
 * call these PSL_HD functions per element, so the two give the same bits by
 * construction; what stays apart is only how each side walks the matrix (vector loops
 * over chunks on the CPU, threads on the GPU) and its reductions. docs/gpu.md,
 * "Quantizers on the device", says what else bit-identity needs (compiler flags,
 * reduction orders).
 *
 * Not part of the API: include it from quant/ and cuda/ only. */
#ifndef PSL_QUANT_QCORE_H
#define PSL_QUANT_QCORE_H

#include "hostdev.h"

#include <math.h>

/* 1.5 * 2^23: for |v| <= 2^22, (v + M) - M is v rounded to an integer, half to even, by
 * the hardware's round-to-nearest-even. */
#define QCORE_MAGIC 12582912.0f

/* ---------------------------------------------------------- x86 NaN semantics ---- */

/* The arithmetic whose NaN can reach an output. x86 SSE returns the first NaN operand
 * quieted (or the default NaN 0xFFC00000 for an invalid operation such as Inf/Inf or
 * 0*Inf); the GPU returns a canonical NaN from any arithmetic on a NaN. On the host these
 * are the plain operators (the CPU engine's results are x86's by definition); on the
 * device they rebuild x86's NaN, and cost nothing when the result is a number. */
PSL_HD float qx_quiet(float a) {
    return psl_u2f(psl_f2u(a) | 0x00400000u);
}
#ifdef __CUDA_ARCH__
PSL_HD float qx_nan_of(float a, float b) {
    if (a != a) return qx_quiet(a);
    if (b != b) return qx_quiet(b);
    return psl_u2f(0xffc00000u);
}
#define QX_OP(NAME, OP)                                                                            \
    PSL_HD float NAME(float a, float b) {                                                          \
        float r = a OP b;                                                                          \
        return r == r ? r : qx_nan_of(a, b);                                                       \
    }
#else
#define QX_OP(NAME, OP)                                                                            \
    PSL_HD float NAME(float a, float b) {                                                          \
        return a OP b;                                                                             \
    }
#endif
QX_OP(qx_div, /)
QX_OP(qx_mul, *)
QX_OP(qx_add, +)
QX_OP(qx_sub, -)
#undef QX_OP

/* 2^k as a float: 0 below the smallest subnormal, Inf above the largest finite. */
PSL_HD float qcore_pow2f(int k) {
    if (k < -149) return 0.0f;
    if (k > 127) return INFINITY;
    uint32_t u = k >= -126 ? (uint32_t)(k + 127) << 23 : 1u << (k + 149);
    return psl_u2f(u);
}

/* 2^k in double, exactly (|k| well inside double's normal range where it is used). */
PSL_HD double qcore_pow2d(int k) {
    return psl_u2d((uint64_t)(k + 1023) << 52);
}

/* ilogbf of a finite a > 0, subnormals included. */
PSL_HD int qcore_ilogb_pos(float a) {
    uint32_t u = psl_f2u(a);
    int e = (int)(u >> 23);
    return e ? e - 127 : -118 - psl_clz32(u);
}

/* ------------------------------------------------------------------- FP ExMy ---- */

/* The exact rounding kernels of qfp.c (its header comment says why each is exact); the
 * path is chosen once per format by qfp_format_init (qfp_format.path). Each works on
 * a = |x| already clamped to [0, maxval]; the caller restores the sign and NaN. Written
 * branch-free so that the CPU's loops over them vectorise. */
enum { QFP_PATH_MAGIC = 0, QFP_PATH_BITS = 1, QFP_PATH_WIDE = 2 };

/* MAGIC (e <= 7): r = (a + C) - C in float32, C = 2^(k + 23), k the exponent of the
 * target ulp at a. */
PSL_HD float qfp_round_magic(float a, int emin, int m) {
    int ea = (int)(psl_f2u(a) >> 23) - 127; /* float32 subnormals give -127 < emin */
    int k = (ea > emin ? ea : emin) - m;
    float c = psl_u2f((uint32_t)(k + 23 + 127) << 23);
    return (a + c) - c;
}

/* MAGIC with m = 0: ties between 2^ea and 2^(ea+1) go to the even code, i.e. the even
 * biased exponent; MAGIC would always pick 2^(ea+1). The bias is odd for e >= 2, so the
 * tie goes down exactly when ea is odd (e = 1 has no such tie below its maximum). */
PSL_HD float qfp_round_magic0(float a, int emin) {
    uint32_t u = psl_f2u(a);
    int ea = (int)(u >> 23) - 127;
    float r = qfp_round_magic(a, emin, 0);
    int down = ((u & 0x7fffffu) == 0x400000u) & (ea >= emin) & (ea & 1);
    return down ? psl_u2f(u & 0xff800000u) : r;
}

/* BITS (e == 8): round the float32 bit pattern at bit 23 - m, carrying into the
 * exponent. */
PSL_HD float qfp_round_bits(float a, int m) {
    uint32_t s = 23u - (uint32_t)m;
    uint32_t u = psl_f2u(a);
    u += ((1u << s) >> 1) - 1u + ((u >> s) & 1u);
    u &= ~((1u << s) - 1u);
    return psl_u2f(u);
}

/* WIDE (e >= 9): MAGIC in double, since C would overflow float32. */
PSL_HD float qfp_round_wide(float a, int emin, int m) {
    double d = a;
    uint64_t b = psl_d2u(d);
    int ea = (int)(b >> 52) - 1023;
    int kmin = emin - m < -150 ? -150 : emin - m; /* finer than 2^-149 changes nothing */
    int k = ea - m > kmin ? ea - m : kmin;
    double c = psl_u2d((uint64_t)(k + 52 + 1023) << 52);
    double r = (d + c) - c;
    /* m = 0 ties go to the even biased exponent, as in qfp_round_magic0 */
    if (m == 0 && (b & 0xFFFFFFFFFFFFFull) == 0x8000000000000ull && ea >= emin && (ea & 1))
        r = psl_u2d(b & 0xFFF0000000000000ull);
    return (float)r;
}

/* The kernel of a path, chosen per call (the CPU's loops pick theirs before the loop). */
PSL_HD float qfp_round_abs(float a, int path, int emin, int m) {
    if (path == QFP_PATH_MAGIC)
        return m == 0 ? qfp_round_magic0(a, emin) : qfp_round_magic(a, emin, m);
    if (path == QFP_PATH_BITS) return qfp_round_bits(a, m);
    return qfp_round_wide(a, emin, m);
}

/* The kernels' input: |v| saturated to maxv (Inf and NaN give maxv; qfp_restore puts a
 * NaN back), and *ok = 1 where |v| is inside the clip range. */
PSL_HD float qfp_clamp_abs(float v, float maxv, float clip, uint8_t *ok) {
    float a = fabsf(v);
    *ok = !(a > clip);
    return a < maxv ? a : maxv;
}

/* The kernels' output r = round(|v|) with the sign of v; v itself when it is NaN. */
PSL_HD float qfp_restore(float r, float v) {
    r = psl_u2f(psl_f2u(r) | (psl_f2u(v) & 0x80000000u));
    return v != v ? v : r;
}

/* qfp_round: nearest value, ties to even, saturating; NaN returned unchanged. */
PSL_HD float qfp_round_one(float x, float maxv, int path, int emin, int m) {
    if (x != x) return x;
    float a = fabsf(x);
    a = a < maxv ? a : maxv;
    return qfp_restore(qfp_round_abs(a, path, emin, m), x);
}

/* ------------------------------------------------------------------- INT grids ---- */

/* One element of the INT grid with levels lo..hi (integers, zero point applied):
 * x / scale clamped, rounded half to even, times scale; *ok = 1 inside half a step of the
 * range. Clamping before rounding equals clamping after, since the bounds are integers. */
PSL_HD float qint_elem(float x, float scale, float lo, float hi, uint8_t *ok) {
    const float lo_in = lo - 0.5f, hi_in = hi + 0.5f;
    float v = qx_div(x, scale);
    *ok = (uint8_t)(!(v < lo_in) & !(v > hi_in));
    float c = v < lo ? lo : v;
    c = c > hi ? hi : c;
    float r = (c + QCORE_MAGIC) - QCORE_MAGIC;
    r = qx_mul(r, scale);
    return v != v ? v : r;
}

/* One bit: sign times the scale s; *ok = 1 within 2 s. */
PSL_HD float qint_elem_onebit(float v, float s, uint8_t *ok) {
    const float lim = 2.0f * s;
    *ok = !(fabsf(v) > lim);
    float r = v < 0.0f ? -s : s;
    return v != v ? v : r;
}

/* MXINT8: int8 times 2^-6, symmetric -127..127; sc already includes the 2^-6. */
PSL_HD float qmx_int8_elem(float x, float sc, uint8_t *ok) {
    float v = qx_div(x, sc);
    *ok = (uint8_t)(!(v < -127.5f) & !(v > 127.5f));
    float c = v < -127.0f ? -127.0f : v;
    c = c > 127.0f ? 127.0f : c;
    float r = qx_mul((c + QCORE_MAGIC) - QCORE_MAGIC, sc);
    return v != v ? v : r;
}

/* --------------------------------------------------------- stochastic rounding ---- */

/* A 64 -> 32 bit mix of (seed, matrix index) (splitmix64's finaliser): the random bits
 * of element index, the same whatever the threads or chunks. */
PSL_HD uint32_t qsr_hash_of(uint64_t seed, uint64_t index) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* u in [0, 1) of 24 bits. */
PSL_HD double qsr_uniform(uint64_t seed, uint64_t index) {
    return (double)(qsr_hash_of(seed, index) >> 8) * (1.0 / 16777216.0);
}

/* INT with stochastic rounding: floor(c + u) in double, c = x / scale clamped to lo..hi,
 * exact since |c| < 2^17. A NaN quotient (Inf / Inf) is carried as x86 carries it
 * through double and back: the quotient itself. */
PSL_HD float qint_elem_sr(float xi, float scale, double lo, double hi, double u, uint8_t *ok) {
    float vf = qx_div(xi, scale);
    double v = (double)vf;
    *ok = !(v < lo - 0.5) && !(v > hi + 0.5);
    double c = v < lo ? lo : (v > hi ? hi : v);
    double r = floor(c + u);
    r = r > hi ? hi : r;
    if (xi != xi) return xi;
    if (vf != vf) return qx_quiet(vf);
    return qx_mul((float)r, scale);
}

/* FP with stochastic rounding: q = |v| in units of the target ulp 2^k at |v| (exact, and
 * < 2^(m+1)), floor(q + u) 2^k, saturated; scale == 1 divides and multiplies by
 * nothing. k >= -149 - m and 2^k, 2^-k are normal doubles, so every product is exact. */
PSL_HD float qfp_elem_sr(float xi, float scale, float maxv, float clip, int emin, int m, double u,
                         uint8_t *ok) {
    float v = scale == 1.0f ? xi : qx_div(xi, scale);
    float a = qfp_clamp_abs(v, maxv, clip, ok);
    float r = a;
    if (a > 0.0f) {
        int ea = qcore_ilogb_pos(a);
        int k = (ea > emin ? ea : emin) - m;
        double q = (double)a * qcore_pow2d(-k);
        double fl = floor(q + u);
        r = (float)(fl * qcore_pow2d(k));
        r = r < maxv ? r : maxv;
    }
    r = copysignf(r, v);
    r = v != v ? v : r;
    return scale == 1.0f ? r : qx_mul(r, scale);
}

/* ------------------------------------------------------------------------ QuEST ---- */

/* One rotated value v on the mid-rise grid of step `step` over [-s, s]; *clipped = 1
 * where |v| > s; *ok = the trust mask (use_err: |q - v| <= thr) or the clip/range mask
 * (|v| <= thr). */
PSL_HD float qquest_elem(float v, float s, float step, float thr, int use_err, uint8_t *ok,
                         uint8_t *clipped) {
    float c = v < -s ? -s : v;
    c = c > s ? s : c;
    float t = qx_add(qx_div(c, step), 0.5f);
    float r = qx_sub(qx_add(t, QCORE_MAGIC), QCORE_MAGIC);
    float qv = qx_mul(qx_sub(r, 0.5f), step);
    *clipped = fabsf(v) > s;
    float d = use_err ? fabsf(qv - v) : fabsf(v);
    *ok = (uint8_t)(d <= thr);
    return v != v ? v : qv;
}

#endif
