/* The AdamW update of one parameter, one source for the CPU (optimizer.c) and the GPU
 * (cuda/layers.cu), so that the two cannot drift apart: the step's scalars are computed
 * once on the host (adamw_coef_at, optimizer.c) and both sides apply the same PSL_HD
 * function per element, in the same order (the GPU is built with --fmad=false and the
 * CPU in ISO C mode, so neither contracts a * b + c into an FMA). */
#ifndef ENGINE_OPTIMIZER_CORE_H
#define ENGINE_OPTIMIZER_CORE_H

#include "hostdev.h"

#include <math.h>

/* One step's scalars, float as the update uses them. */
typedef struct adamw_coef {
    float b1, b2, one_b1, one_b2; /* beta and 1 - beta (the latter rounded from double) */
    float lr, eps;
    float c1, c2;     /* bias corrections 1 / (1 - beta^t) */
    float decay;      /* 1 - lr wd: the factor of a decayed tensor (others: 1) */
    float grad_scale; /* multiplies the gradient first (gradient clipping) */
} adamw_coef;

/* PyTorch's order: decoupled decay, then p -= lr m_hat / (sqrt(v_hat) + eps). decay is
 * c.decay for a decayed tensor, else 1. */
PSL_HD void adamw_update(adamw_coef c, float decay, float g, float *p, float *m, float *v) {
    float gi = g * c.grad_scale;
    float mi = c.b1 * *m + c.one_b1 * gi;
    float vi = c.b2 * *v + c.one_b2 * gi * gi;
    *m = mi;
    *v = vi;
    float mhat = mi * c.c1, vhat = vi * c.c2;
    *p = *p * decay - c.lr * mhat / (sqrtf(vhat) + c.eps);
}

#endif
