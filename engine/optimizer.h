#ifndef ENGINE_OPTIMIZER_H
#define ENGINE_OPTIMIZER_H
/* AdamW, learning-rate schedules, gradient norm, initialisation. */
#include "config.h"
#include "model.h"

#include <stddef.h>
#include <stdint.h>

typedef struct adamw_hparams {
    double lr, beta1, beta2, eps, weight_decay;
} adamw_hparams;

/* One AdamW step (PyTorch's order: decoupled decay p *= 1 - lr wd on decayed
 * tensors, then p -= lr m_hat / (sqrt(v_hat) + eps)). t is the 1-based step count;
 * grad_scale multiplies the gradients first (gradient clipping). */
void adamw_step(float *params, const float *grads, float *m, float *v, const param_layout *l,
                const adamw_hparams *h, int64_t t, float grad_scale);
/* The scalars of step t (optimizer_core.h), computed on the host for the CPU's and the
 * GPU's per-element update alike. */
struct adamw_coef adamw_coef_at(const adamw_hparams *h, int64_t t, float grad_scale);

/* Learning rate of 1-based step `step` of `total` steps: linear warmup over
 * warmup_frac of the steps (of schedule_tokens' steps when that knob is set), then
 * cosine to lr_min_frac * lr, or constant, or warmup-stable-decay (constant, then
 * linear decay to lr_min_frac * lr over the last decay_frac of the run's own steps). */
double lr_at_step(const train_config *c, int64_t step, int64_t total);
/* Steps of linear warmup of a run of `total` steps: ceil(warmup_frac x S), S = total, or
 * ceil(schedule_tokens / (batch ctx)) when schedule_tokens > 0. */
int64_t lr_warmup_steps(const train_config *c, int64_t total);
/* wsd: the last step at the stable learning rate (steps after it decay), total minus
 * ceil(decay_frac x total). */
int64_t lr_decay_start(const train_config *c, int64_t total);

/* L2 norm of n floats, summed in fixed-size chunks in a fixed order so that it
 * does not depend on the thread count. */
double global_norm(const float *x, size_t n);

/* N(0, std) matrices (output projections std / sqrt(2 n_layer)), unit gains;
 * filled serially from the seed so the result does not depend on threads. */
void init_params(float *params, const model_shape *s, const param_layout *l, double std,
                 uint64_t seed);
#endif
