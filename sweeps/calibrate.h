#ifndef SWEEP_CALIBRATE_H
#define SWEEP_CALIBRATE_H
/* How fast this machine trains a model shape: times forward and backward passes of one
 * micro-batch on random tokens (no data needed), for `sweep plan`'s time estimates. */
#include "config.h"

/* Training tokens per second of the shape of c (resolved) with `threads` threads, or a
 * negative value when the model cannot be built. Spends about budget_s seconds. */
double calibrate_tokens_per_s(const train_config *c, int threads, double budget_s);
#endif
