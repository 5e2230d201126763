#ifndef ENGINE_EVALUATE_H
#define ENGINE_EVALUATE_H
/* The one evaluation of a model on validation tokens, used by training (each eval and
 * /final val_loss) and by PTQ (base and quantized losses). PTQ's unquantized loss must
 * reproduce /final val_loss to the bit, so both go through this code: the same
 * sequences, batched by the same micro-batch, summed in the same order. */
#include "model_f32.h"
#include "tokfile.h"

#include <stdint.h>

/* Sequences of ctx tokens an evaluation reads: eval_tokens worth, at least one, at most
 * what the validation split holds ((n - 1) / ctx windows, targets shifted by one). */
int64_t eval_sequence_count(const tokfile *val, int ctx, int64_t eval_tokens);

/* Mean loss per token over the first eval_sequence_count() windows of val, micro_batch
 * sequences per forward (micro_batch <= m->max_batch). in and tg hold micro_batch * ctx
 * tokens each. The model runs as it is: under QAT the caller has refreshed the weights'
 * shadow copy, and activation quantization applies. */
double model_eval_loss(model_f32 *m, const tokfile *val, int64_t eval_tokens, int micro_batch,
                       uint16_t *in, uint16_t *tg);
#endif
