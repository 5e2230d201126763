#pragma once
/* A run's configuration resolved: the step above the knob table (config.c parses,
 * defaults and derives numbers) and below the run's users (train_run, the sweep loader),
 * where the knobs are checked against each other and against what the QAT and PTQ
 * planners accept, and the run is named. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* config_resolve, then: matmul against device, the quantization plan (qat/qat.h), the PTQ
 * requests (ptq/ptq_knobs.h), the default name (run_name.h) and run file
 * (results/train/<name>.h5). Errors name the knob. */
int run_config_resolve(train_config *c, int64_t data_vocab, char *err, size_t errlen);

/* 1 when `step` is one of the comma-separated steps of the ckpt_keep knob `list`, 0 when
 * not, -1 (with err naming the knob) when the list is not one of positive integers. */
int run_ckpt_keep_has(const char *list, int64_t step, char *err, size_t errlen);
