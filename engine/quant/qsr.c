/* Stochastic rounding for INT and FP grids: q = lo + step * [u < (v - lo) / step], done as
 * floor(v / step + u) * step in double with u in [0, 1) of 24 bits, which is exact since
 * |v / step| < 2^17. The random bits are a hash of (seed, matrix index), so the result
 * does not depend on threads or chunking. */
#include "quant/qinternal.h"

#include <math.h>
#include <string.h>

/* A 64 -> 32 bit mix (splitmix64's finaliser); good enough to drive rounding. */
uint32_t qsr_hash(uint64_t seed, uint64_t index) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static inline double uniform(uint64_t seed, uint64_t index) {
    return (double)(qsr_hash(seed, index) >> 8) * (1.0 / 16777216.0);
}

size_t qint_quant_array_sr(const qint_params *p, const float *x, float *y, size_t n, uint8_t *pass,
                           uint64_t seed, uint64_t base) {
    if (!(p->scale > 0.0f) || p->onebit) {
        /* 1-bit sign quantization has no grid to dither on; keep it deterministic */
        return qint_quant_array(p, x, y, n, pass);
    }
    const double lo = (double)(p->qmin - p->zero), hi = (double)(p->qmax - p->zero);
    size_t clipped = 0;
    for (size_t i = 0; i < n; i++) {
        float xi = x[i];
        double v = (double)(xi / p->scale);
        uint8_t ok = !(v < lo - 0.5) && !(v > hi + 0.5);
        double c = v < lo ? lo : (v > hi ? hi : v);
        double r = floor(c + uniform(seed, base + i));
        r = r > hi ? hi : r;
        y[i] = xi != xi ? xi : (float)r * p->scale;
        if (pass) pass[i] = ok;
        clipped += !ok;
    }
    return clipped;
}

size_t qfp_round_array_sr(const qfp_format *f, const float *x, float *y, size_t n, float scale,
                          uint8_t *pass, uint64_t seed, uint64_t base) {
    size_t clipped = 0;
    for (size_t i = 0; i < n; i++) {
        float xi = x[i];
        float v = scale == 1.0f ? xi : xi / scale;
        float a = fabsf(v);
        uint8_t ok = !(a > f->clip);
        a = a < f->maxval ? a : f->maxval;
        float r = a;
        if (a > 0.0f) {
            int ea = ilogbf(a);
            int k = (ea > f->emin ? ea : f->emin) - f->m;
            double q = ldexp((double)a, -k); /* < 2^(m+1), exact */
            double fl = floor(q + uniform(seed, base + i));
            r = (float)ldexp(fl, k);
            r = r < f->maxval ? r : f->maxval;
        }
        r = copysignf(r, v);
        r = v != v ? v : r;
        y[i] = scale == 1.0f ? r : r * scale;
        if (pass) pass[i] = ok;
        clipped += !ok;
    }
    return clipped;
}
