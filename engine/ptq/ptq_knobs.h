#ifndef ENGINE_PTQ_KNOBS_H
#define ENGINE_PTQ_KNOBS_H
/* The post-training quantization a run asks for through its knobs (ptq, ptq_bits,
 * ptq_format, ptq_gran, ptq_group, ptq_calib, ptq_seq,
 * ptq_embed), as requests for engine/ptq/ptq.h. */
#include "config.h"
#include "ptq/ptq.h"

/* Fills reqs[0..*n) (at most 2: rtn, gptq). Errors name the knob: -1 when a knob's text
 * does not parse, PTQ_KNOBS_UNSUPPORTED when the knobs are well formed but name a PTQ the
 * engine cannot do (mx at 5 bits; GPTQ onto NVFP4). */
#define PTQ_KNOBS_UNSUPPORTED (-2)
int ptq_requests_from_config(const train_config *c, ptq_request reqs[2], int *n, char *err,
                             size_t errlen);

/* Drops from req the bit widths whose rows at `step` are already in rl, made with the
 * same embed_head and sequential settings (otherwise drops none). */
void ptq_request_drop_done(ptq_request *req, const runlog *rl, int64_t step);
#endif
