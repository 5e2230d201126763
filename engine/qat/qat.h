#ifndef ENGINE_QAT_H
#define ENGINE_QAT_H
/* Quantization-aware training: where the float model applies fake quantization.
 *
 * Points (each with its own format, granularity and backward):
 *   w  - the weight of every linear layer inside the blocks (Wqkv, Wo, W13, W2),
 *        quantized once per optimizer step into a shadow copy the passes use;
 *   a  - the input activation of each of those layers (ln1, attention output, ln2,
 *        SwiGLU output), quantized in place in the forward;
 *   kv - keys and values after RoPE (the "KV cache"); q - queries (optional);
 *   g  - the output gradient dY entering both backward GEMMs of each of those layers
 *        (dX = dY W, dW = dY^T X), as Sun et al. and Quartet study; stochastic
 *        rounding with ":sr". Off by default: gradients stay FP32.
 * The token embedding, LM head, norms, softmax and residual stream stay in FP32,
 * as in Kumar et al. and QuEST.
 *
 * Backward: "ste" passes gradients straight through; "clipped" zeroes them where the
 * value was saturated; "trust" is QuEST's trust mask; "auto" is trust for QuEST
 * formats and ste otherwise. Weight gradients are computed against the quantized
 * weights and mapped back once per step (qat_weight_backward). */
#include "config.h"
#include "quant/quant.h"

#include <stddef.h>
#include <stdint.h>

enum qat_point_id { QAT_W, QAT_A, QAT_KV, QAT_Q, QAT_G, QAT_POINTS };

typedef struct qat_point {
    int enabled;
    qspec spec;
    int use_mask; /* backward multiplies by the pass mask */
    qstats stats; /* entries quantized / clipped / masked since the last reset */
} qat_point;

typedef struct qat_plan {
    qat_point pt[QAT_POINTS];
} qat_plan;

/* Builds the plan from the knobs w_quant, w_gran, a_quant, a_gran, kv_quant, kv_gran,
 * q_quant, g_quant, backward. Errors name the knob. */
int qat_plan_from_config(const train_config *c, qat_plan *p, char *err, size_t errlen);

/* Bits of a point as the laws count them: 32 when not quantized. */
double qat_bits(const qat_plan *p, enum qat_point_id id);
/* Format family name for the run file (fp32, bf16, int, uint, e2m1, mxfp4, nvfp4, quest...). */
void qat_format_name(const qat_plan *p, enum qat_point_id id, char *buf, size_t len);
int qat_any(const qat_plan *p);

#endif
