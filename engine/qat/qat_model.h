#ifndef ENGINE_QAT_MODEL_H
#define ENGINE_QAT_MODEL_H
/* The float model's fake-quantization state and the hooks model_pass.inc calls. Every
 * buffer lives in the model's backend memory and every quantizer call goes through its
 * table (engine/backend.h), so the same code quantizes on the CPU and on a GPU. */
#include "model_f32.h"
#include "qat/qat.h"

typedef struct qat_state {
    qat_plan plan;
    size_t max_rows;  /* max_batch * ctx */
    float *wq;        /* quantized shadow of the parameters (block matrices only used) */
    uint8_t *wmask;   /* weight pass masks, parameter layout (when the backward masks) */
    uint8_t *amask;   /* [L][max_rows * (3 d + f)] activation pass masks */
    uint8_t *kvmask;  /* [L][max_rows * 3 d] pass masks of q (if quantized), k, v */
    float *gather;    /* [max_rows * d] contiguous copy of a strided q/k/v part */
    float *gbuf;      /* [max_rows * max(3d, 2f)] quantized copy of an output gradient */
    qstats *stats;    /* [QAT_POINTS] counts since the last reset, backend memory */
    uint64_t sr_step; /* stochastic-rounding seeds derive from (step, call) */
    uint64_t sr_calls;
    size_t bytes[7];
} qat_state;

/* Attaches a plan to a model (allocating shadow weights and masks), or detaches
 * with plan NULL. Checks every point against the model's shapes. */
int model_qat_attach(model *m, const qat_plan *plan, char *err, size_t errlen);
void model_qat_detach(model *m);
/* Refreshes the quantized weights from the parameters: once per optimizer step,
 * before the forward passes, and before evaluating. */
void model_qat_quantize_weights(model *m);
/* Maps the accumulated gradients of the quantized weights back to the parameters
 * (mask / rotation); once per step, after the last backward pass. */
void model_qat_weight_backward(model *m);

/* The clip/mask counts of every point since the last set (a device waits for them),
 * and setting them (to zero, or back to what get returned). */
void model_qat_stats_get(const model *m, qstats out[QAT_POINTS]);
void model_qat_stats_set(model *m, const qstats in[QAT_POINTS]);

/* Sets the step the stochastic-rounding seeds of the gradient quantizer derive
 * from, so a resumed run draws the same random numbers. */
void model_qat_set_step(model *m, int64_t step);

/* Hooks used by model_pass.inc. slot: 0 ln1, 1 attention output, 2 ln2, 3 SwiGLU output. */
const float *qat_weight(const model *m, int tensor, size_t offset);
void qat_act_forward(model *m, int layer, int slot, float *x, int rows, int cols);
void qat_act_backward(model *m, int layer, int slot, float *dx, int rows, int cols);
void qat_qkv_forward(model *m, int layer, float *qkv, int rows, int C);
void qat_qkv_backward(model *m, int layer, float *dqkv, int rows, int C);
/* The output gradient the backward GEMMs use: a quantized copy, or dout itself. */
const float *qat_grad(model *m, const float *dout, int rows, int cols);
#endif
