#ifndef ENGINE_PTQ_INTERNAL_H
#define ENGINE_PTQ_INTERNAL_H
/* Shared by the ptq_*.c files only. */
#include "ptq/ptq.h"

/* The grid GPTQ rounds one weight onto: the scale rule of qspec_fake_quant (RTN) split
 * into "parameters of a segment" (computed once per row, group or MX block) and "round one
 * value with them", so GPTQ can fix a segment's scale and then round its columns one at a
 * time while earlier errors are propagated into the later ones. */
typedef struct ptq_grid {
    qspec q;
    qfp_format fmt; /* FP element (FP and MX) */
    size_t seg;     /* columns sharing one scale within a row (cols for row/tensor) */
    int tensor;     /* one scale for the whole matrix */
    int emax, shift;
} ptq_grid;

typedef struct ptq_cell {
    qint_params ip; /* INT and MXINT8 */
    float scale;    /* FP and MX */
} ptq_cell;

/* Returns -1 (with a message) for formats GPTQ does not round onto (NVFP4, INT1, QuEST). */
int ptq_grid_init(ptq_grid *g, const qspec *q, size_t cols, char *err, size_t errlen);
/* Parameters of a segment from its values (n of them, stride apart). */
ptq_cell ptq_grid_cell(const ptq_grid *g, const float *x, size_t n, size_t stride);
/* Parameters from statistics gathered elsewhere (amax = max |x|, lo/hi = min/max). */
ptq_cell ptq_grid_cell_stats(const ptq_grid *g, float amax, float lo, float hi);
float ptq_grid_round(const ptq_grid *g, const ptq_cell *c, float x);
#endif
