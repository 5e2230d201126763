/* Pieces shared between the quant/ files; not part of the public API. */
#ifndef PSL_QUANT_INTERNAL_H
#define PSL_QUANT_INTERNAL_H

#include "quant/quant.h"

/* Reductions over n floats ignoring NaN, in a fixed lane order so that they vectorise
 * and give the same result either way. Empty or all-NaN input: amax 0, lo +Inf, hi -Inf. */
float qabsmax(const float *x, size_t n);
void qminmax(const float *x, size_t n, float *lo, float *hi);
double qsumabs(const float *x, size_t n);

/* qfp_round_array with one scale per element: y = sc * round(x / sc). */
size_t qfp_round_array_v(const qfp_format *f, const float *x, float *y, size_t n, const float *sc,
                         uint8_t *pass);
/* Largest |x| of each block of bs consecutive values (the last may be shorter), NaN
 * ignored, written to amax[n / bs rounded up]. */
void qblock_absmax(const float *x, size_t n, size_t bs, float *amax);

/* One row of an MX format: blocks of q->block along the row (a shorter last block when
 * n is not a multiple). elem is the element format (unused for MXINT8). */
size_t qmx_quant_row(const qspec *q, const qfp_format *elem, const float *x, float *y, size_t n,
                     uint8_t *pass);
/* One granule segment of NVFP4 with tensor scale ts, blocks of 16 from its start. */
size_t qnvfp4_quant_seg(const qfp_format *e4m3, const qfp_format *e2m1, float ts, const float *x,
                        float *y, size_t n, uint8_t *pass);

/* Stochastic-rounding segments; base is the row-major index of x[0] in the matrix. */
size_t qint_quant_array_sr(const qint_params *p, const float *x, float *y, size_t n, uint8_t *pass,
                           uint64_t seed, uint64_t base);
size_t qfp_round_array_sr(const qfp_format *f, const float *x, float *y, size_t n, float scale,
                          uint8_t *pass, uint64_t seed, uint64_t base);

#endif
