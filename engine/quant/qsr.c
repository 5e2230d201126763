/* Stochastic rounding for INT and FP grids: q = lo + step * [u < (v - lo) / step], done as
 * floor(v / step + u) * step in double with u in [0, 1) of 24 bits, which is exact since
 * |v / step| < 2^17. The random bits are a hash of (seed, matrix index), so the result
 * does not depend on threads or chunking. */
#include "quant/qcore.h"
#include "quant/qinternal.h"

/* The element functions are quant/qcore.h's, shared with the GPU (cuda/quant.cu). */

uint32_t qsr_hash(uint64_t seed, uint64_t index) {
    return qsr_hash_of(seed, index);
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
        uint8_t ok;
        y[i] = qint_elem_sr(x[i], p->scale, lo, hi, qsr_uniform(seed, base + i), &ok);
        if (pass) pass[i] = ok;
        clipped += !ok;
    }
    return clipped;
}

size_t qfp_round_array_sr(const qfp_format *f, const float *x, float *y, size_t n, float scale,
                          uint8_t *pass, uint64_t seed, uint64_t base) {
    size_t clipped = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t ok;
        y[i] = qfp_elem_sr(x[i], scale, f->maxval, f->clip, f->emin, f->m,
                           qsr_uniform(seed, base + i), &ok);
        if (pass) pass[i] = ok;
        clipped += !ok;
    }
    return clipped;
}
