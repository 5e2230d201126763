#ifndef ENGINE_CONFIG_H
#define ENGINE_CONFIG_H

/* The knobs of one training run. Every knob has one name used everywhere: on the
 * `sweep train KEY=VALUE` command line, in Lua sweep configs, as an attribute of
 * /config in the run file, and in docs/knobs.md (generated from the table in
 * config.c by `sweep train --help-markdown`). */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

typedef struct train_config {
    /* model */
    int64_t d_model, n_layer, n_head, ctx, ffn_hidden, vocab, proj_norm;
    /* data */
    char data[512];
    int64_t eval_tokens;
    /* budget and batch */
    int64_t tokens;
    double tokens_per_param;
    int64_t batch, micro_batch;
    /* optimizer and schedule */
    double lr, lr_min_frac, warmup_frac, decay_frac;
    char schedule[16];
    int64_t schedule_tokens; /* tokens the warmup is laid out over (0: the run's own) */
    double beta1, beta2, eps, weight_decay, clip, init_std;
    /* quantization-aware training (engine/qat/qat.h, docs/formats.md) */
    char w_quant[64], w_gran[32], a_quant[64], a_gran[32], kv_quant[64], kv_gran[32];
    char q_quant[64], backward[16], g_quant[64];
    /* post-training quantization (engine/ptq/ptq.h, docs/ptq.md) */
    char ptq[32], ptq_bits[64], ptq_format[32], ptq_gran[16];
    int64_t ptq_group, ptq_calib, ptq_every, ptq_seq, ptq_embed;
    /* run control */
    int64_t seed, threads, eval_every, log_every, ckpt_every;
    char ckpt_keep[256];   /* steps whose checkpoint is kept (<run>.step<S>.ckpt) */
    char branch_from[512]; /* parent run file of a warmup-stable-decay branch */
    char device[16];       /* where the steps run: cpu, cuda (engine/backend.h) */
    char matmul[8];        /* GEMM arithmetic: fp32, tf32, bf16 (cuda only) */
    char gemm[16];         /* the CPU's GEMM: openblas, own (engine/cpu_gemm.h) */
    char gemm_path[8];     /* the own GEMM's kernel path: auto, ref, avx2, avx512 */
    char out[512];
    char name[256];
} train_config;

typedef enum { KNOB_INT, KNOB_REAL, KNOB_STR } knob_type;

typedef struct knob_def {
    const char *name;
    knob_type type;
    size_t offset; /* into train_config */
    size_t size;   /* for strings: buffer size */
    const char *default_value;
    double min, max;     /* inclusive range for numbers */
    const char *choices; /* for strings: "a|b|c" or NULL for free text */
    int identity;        /* part of the run's identity (its hash and name) */
    const char *help;
    /* Left out of the identity while at its default: knobs added after runs exist,
     * whose default keeps the old behaviour, so those runs keep their identity. */
    int omit_at_default;
    /* A granularity (qgran_parse's grammar), stored in one spelling per meaning: see
     * normalise_granularity in config.c. */
    int granularity;
} knob_def;

const knob_def *knob_table(size_t *count);
const knob_def *knob_find(const char *name);

void config_defaults(train_config *c);

/* Sets one knob from text. Errors name the knob and the expected form, and suggest
 * the closest knob name for an unknown one. */
int config_set(train_config *c, const char *name, const char *value, char *err, size_t errlen);

/* Parses "KEY=VALUE" (argument form). */
int config_set_arg(train_config *c, const char *arg, char *err, size_t errlen);

/* The one default list of P_post bit widths: the knob ptq_bits's, sweep ptq's and
 * ptq_request_default's. */
#define PTQ_DEFAULT_BITS "3,4,6,8"

/* Fills the knobs that depend on others or on the data, numbers only: vocab (from the
 * token file, passed in; a knob that disagrees is an error), ffn_hidden (and the shape
 * checked), tokens (from tokens_per_param * N), micro_batch, eval/checkpoint intervals.
 * A run is resolved by run_config_resolve (engine/run_config.h), which calls this and
 * then checks the knobs against each other and names the run. */
int config_resolve(train_config *c, int64_t data_vocab, char *err, size_t errlen);

/* The model's shape from the knobs (vocab and ffn_hidden as they stand: resolved after
 * config_resolve). The one place a shape is made from a configuration. */
model_shape config_model_shape(const train_config *c);

/* Canonical JSON of the identity knobs (sorted keys, shortest round-trip reals), the run's
 * identity; the run id is FNV-1a 64 of it. Returns the length, or -1 if buf is
 * too small. */
int config_canonical_json(const train_config *c, char *buf, size_t len);
uint64_t config_run_id(const train_config *c);

/* Writes the --help text (or Markdown table) listing every knob. */
void config_print_help(FILE *f, int markdown);

/* Value of a knob as text, for printing. */
void config_format_value(const train_config *c, const knob_def *k, char *buf, size_t len);

#endif
