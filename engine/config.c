#include "config.h"
#include "model.h"
#include "tokfile.h"
#include "quant/quant.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(train_config, f)
#define SZ(f)  sizeof(((train_config *)0)->f)
#define INT(f, def, lo, hi, id, help)                                                              \
    { #f, KNOB_INT, OFF(f), 0, def, lo, hi, NULL, id, help, 0, 0 }
#define REALK(f, def, lo, hi, id, help)                                                            \
    { #f, KNOB_REAL, OFF(f), 0, def, lo, hi, NULL, id, help, 0, 0 }
#define STR(f, def, choices, id, help)                                                             \
    { #f, KNOB_STR, OFF(f), SZ(f), def, 0, 0, choices, id, help, 0, 0 }
#define GRAN(f, def, choices, id, help)                                                            \
    { #f, KNOB_STR, OFF(f), SZ(f), def, 0, 0, choices, id, help, 0, 1 }
/* A knob added after runs existed: see knob_def.omit_at_default. */
#define STR_LATER(f, def, choices, help)                                                           \
    { #f, KNOB_STR, OFF(f), SZ(f), def, 0, 0, choices, 1, help, 1, 0 }
#define INT_LATER(f, def, lo, hi, help)                                                            \
    { #f, KNOB_INT, OFF(f), 0, def, lo, hi, NULL, 1, help, 1, 0 }

/* Sorted by name: the canonical JSON and the help list follow this order. */
static const knob_def knobs[] = {
    GRAN(a_gran, "tensor", NULL, 1,
         "scale sharing of a_quant: tensor, token (one per row), group:N or gN (not QuEST/MX)"),
    STR(a_quant, "fp32", NULL, 1,
        "format of the input activations of the block linear layers (fp32: none; e.g. int8, e4m3, "
        "quest4)"),
    STR(backward, "auto", "auto|ste|clipped|trust", 1,
        "gradient through fake quantization (auto: trust mask for QuEST, straight-through "
        "otherwise)"),
    INT(batch, "32", 1, 1 << 20, 1, "sequences per optimizer step"),
    REALK(beta1, "0.9", 0, 0.999999, 1, "AdamW first-moment decay"),
    REALK(beta2, "0.95", 0, 0.999999999, 1, "AdamW second-moment decay"),
    STR(branch_from, "", NULL, 0,
        "parent run file of a wsd cooldown branch: start from the checkpoint it kept at this "
        "run's decay-start step (ckpt_keep), with its logged rows; bit-identical to training "
        "from scratch (docs/engine.md)"),
    INT(ckpt_every, "0", 0, 1e12, 0, "steps between checkpoints (0: at every evaluation)"),
    STR(ckpt_keep, "", NULL, 0,
        "steps (comma-separated) whose checkpoint is also kept as <run>.step<S>.ckpt, never "
        "overwritten: where cooldown branches start (branch_from)"),
    REALK(clip, "1.0", 0, 1e12, 1, "clip the global gradient norm to this (0: no clipping)"),
    INT(ctx, "256", 2, 65536, 1, "sequence length in tokens"),
    INT(d_model, "128", 2, 16384, 1, "model width"),
    STR(data, "data/corpus/prose", NULL, 1,
        "corpus directory holding train.tok and val.tok (see docs/data.md)"),
    REALK(decay_frac, "0.2", 0, 1, 1, "warmup-stable-decay: fraction of steps in the final decay"),
    STR_LATER(device, "cpu", "cpu|cuda",
              "where training runs: cpu, or cuda (the first visible GPU; fp32 GEMMs; every "
              "fake quantizer on the device; docs/gpu.md)"),
    REALK(eps, "1e-8", 0, 1, 1, "AdamW epsilon"),
    INT(eval_every, "0", 0, 1e12, 1, "steps between evaluations (0: ten per run)"),
    INT(eval_tokens, "65536", 1, 1e12, 1,
        "validation tokens per evaluation (first ones of val.tok)"),
    INT(ffn_hidden, "0", 0, 1 << 20, 1, "SwiGLU hidden width (0: 8/3 d_model rounded up to 32)"),
    STR_LATER(g_quant, "fp32", NULL,
              "format of the output gradient in the backward GEMMs of the block linear layers "
              "(fp32: none; e.g. int8, int8:sr, e5m2:sr; :sr = stochastic rounding)"),
    STR_LATER(gemm, "openblas", "openblas|own",
              "the CPU's GEMMs in training and evaluation: openblas (cblas_sgemm), or own "
              "(engine/gemm: one summation order, the same bits on every x86-64 CPU, kernel "
              "path and thread count; docs/gemm.md); device=cuda refuses own"),
    STR(gemm_path, "auto", "auto|ref|avx2|avx512", 0,
        "kernel path of gemm=own (auto: the widest this CPU has); every path gives the same "
        "bits, so it is not part of the run identity (forcing one: tests, benchmarks)"),
    REALK(init_std, "0.02", 0, 10, 1,
          "std of initial weights (output projections scaled by 1/sqrt(2 n_layer))"),
    GRAN(kv_gran, "tensor", NULL, 1,
         "scale sharing of kv_quant and q_quant: tensor, token, group:N or gN"),
    STR(kv_quant, "fp32", NULL, 1, "format of attention keys and values after RoPE (the KV cache)"),
    INT(log_every, "1", 1, 1e12, 0, "steps between rows of /train in the run file"),
    REALK(lr, "0.002", 0, 10, 1, "peak learning rate"),
    REALK(lr_min_frac, "0.1", 0, 1, 1, "final learning rate as a fraction of lr (cosine, wsd)"),
    STR_LATER(matmul, "fp32", "fp32|tf32|bf16",
              "arithmetic of the GEMMs: fp32; tf32 or bf16 = inputs rounded to TF32 or BF16 on "
              "the GPU's tensor cores, FP32 accumulation (device=cuda only; docs/gpu.md)"),
    INT(micro_batch, "0", 0, 1 << 20, 1,
        "sequences per forward/backward (0: largest divisor of batch with at most 4096 tokens; "
        "on cuda 65536)"),
    INT(n_head, "4", 1, 16384, 1, "attention heads (must divide d_model)"),
    INT(n_layer, "4", 1, 1024, 1, "transformer blocks"),
    STR(name, "", NULL, 0,
        "run name (empty: derived from the knobs, e.g. d128-l4-h4_D20N_fp32_s0)"),
    STR(out, "", NULL, 0, "run file path (empty: results/train/<name>.h5); checkpoint beside it"),
    INT_LATER(proj_norm, "0", 0, 1,
              "1: an RMSNorm with its own gain before the inputs of Wo and W2 (BitLinear's norm, "
              "as Kumar et al. App. A; a_quant sees the normalised input; cpu only; "
              "docs/engine.md)"),
    STR(ptq, "", NULL, 0,
        "post-training quantization at the end: rtn, gptq or rtn,gptq (empty: none)"),
    STR(ptq_bits, PTQ_DEFAULT_BITS, NULL, 0, "P_post bit widths of post-training quantization"),
    INT(ptq_calib, "128", 1, 1 << 20, 0, "GPTQ calibration sequences (from the training split)"),
    INT(ptq_embed, "0", 0, 1, 0,
        "post-training quantization also of the token embedding (RTN) and the LM head"),
    INT(ptq_every, "0", 0, 1e12, 0,
        "also quantize the weights every N steps during training (0: only at the end)"),
    STR(ptq_format, "int", NULL, 0,
        "post-training format: int, fp, mx or a format name (docs/ptq.md)"),
    GRAN(ptq_gran, "channel", "channel|group|tensor", 0,
         "post-training scale sharing (also row, group:N, gN: ptq_group=N)"),
    INT(ptq_group, "128", 1, 1 << 20, 0, "columns per group when ptq_gran=group"),
    INT(ptq_seq, "1", 0, 1, 0,
        "GPTQ: 1 calibrates block l on blocks < l already quantized (per bit width); 0 "
        "collects the Hessians once and reuses them for every bit width (docs/ptq.md)"),
    STR(q_quant, "fp32", NULL, 1, "format of attention queries after RoPE (fp32: none)"),
    STR(schedule, "cosine", "cosine|wsd|constant", 1, "learning-rate schedule after linear warmup"),
    INT_LATER(schedule_tokens, "0", 0, 1e15,
              "tokens whose steps the warmup (warmup_frac) is laid out over (0: the run's own "
              "D); wsd runs with equal schedule_tokens share their learning rate up to the "
              "shorter one's decay"),
    INT(seed, "0", 0, 1e15, 1, "seed of the initialisation"),
    INT(threads, "0", 0, 4096, 0,
        "threads (0: all cores); results are bit-identical for equal threads"),
    INT(tokens, "0", 0, 1e15, 1, "training tokens D (0: tokens_per_param * N)"),
    REALK(tokens_per_param, "20", 0, 1e9, 1, "D / N when tokens = 0"),
    INT(vocab, "0", 0, 65536, 1, "vocabulary size (0: from the token files)"),
    GRAN(w_gran, "channel", NULL, 1,
         "scale sharing of w_quant: tensor, channel (output row), group:N or gN (not QuEST/MX)"),
    STR(w_quant, "fp32", NULL, 1,
        "format of the block linear weights (fp32: none; bf16, int4, e2m1, mxfp4, nvfp4, quest4, "
        "...)"),
    REALK(warmup_frac, "0.1", 0, 1, 1,
          "fraction of steps with linear warmup (of schedule_tokens' steps when set)"),
    REALK(weight_decay, "0.1", 0, 10, 1, "AdamW decoupled weight decay (matrices only)"),
};

const knob_def *knob_table(size_t *count) {
    *count = sizeof knobs / sizeof *knobs;
    return knobs;
}

const knob_def *knob_find(const char *name) {
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
        if (!strcmp(knobs[i].name, name)) return &knobs[i];
    return NULL;
}

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (lb >= 64) return 99;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *closest_knob(const char *name) {
    const char *best = NULL;
    size_t best_d = 4;
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) {
        size_t d = edit_distance(name, knobs[i].name);
        if (d < best_d) best_d = d, best = knobs[i].name;
    }
    return best;
}

/* A granularity knob takes any spelling of qgran_parse and stores one per meaning, the
 * one committed run files hold (they are part of the run identity): a group as
 * "group:N" (ptq_gran: "group" with the width in ptq_group, as PTQ requests always
 * stored it); tensor as "tensor"; a row as written (channel, row or token: finished
 * runs hold w_gran "channel" and "row", a_gran "token", so the three stay three names
 * of one computation), except ptq_gran, whose only row spelling is "channel". Text
 * that is no granularity is stored as written, for the plan to refuse. */
static void normalise_granularity(train_config *c, const knob_def *k, const char *value, char *out,
                                  size_t outlen) {
    int ptq = !strcmp(k->name, "ptq_gran");
    qgran g;
    size_t group;
    char why[200];
    if (qgran_parse(value, ptq ? (size_t)c->ptq_group : 0, &g, &group, why, sizeof why)) {
        /* Kept as written: the QAT plan (or ptq_gran's choices) refuses it, naming the
         * knob, once the format it applies to is known. */
        snprintf(out, outlen, "%s", value);
        return;
    }
    if (g == QG_GROUP && ptq) {
        c->ptq_group = (int64_t)group;
        snprintf(out, outlen, "group");
    } else if (g == QG_GROUP) {
        snprintf(out, outlen, "group:%zu", group);
    } else if (g == QG_ROW && ptq) {
        snprintf(out, outlen, "channel");
    } else {
        snprintf(out, outlen, "%s", value);
    }
}

/* -1 with the message when v (parsed from value) is outside the knob's range. */
static int out_of_range(const knob_def *k, const char *value, double v, char *err, size_t errlen) {
    if (v < k->min || v > k->max) {
        snprintf(err, errlen, "knob %s: %s is out of range, expected %.15g..%.15g", k->name, value,
                 k->min, k->max);
        return -1;
    }
    return 0;
}

static int set_value(train_config *c, const knob_def *k, const char *value, char *err,
                     size_t errlen) {
    char *p = (char *)c + k->offset;
    char *end;
    switch (k->type) {
    case KNOB_INT: {
        errno = 0;
        double v = strtod(value, &end); /* accepts 1e6 and 16000000 alike */
        if (end == value || *end || errno || v != floor(v)) {
            snprintf(err, errlen, "knob %s: '%s' is not an integer", k->name, value);
            return -1;
        }
        if (out_of_range(k, value, v, err, errlen)) return -1;
        *(int64_t *)p = (int64_t)v;
        return 0;
    }
    case KNOB_REAL: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(v)) {
            snprintf(err, errlen, "knob %s: '%s' is not a finite number", k->name, value);
            return -1;
        }
        if (out_of_range(k, value, v, err, errlen)) return -1;
        *(double *)p = v;
        return 0;
    }
    case KNOB_STR: {
        char norm[64];
        if (k->granularity) {
            normalise_granularity(c, k, value, norm, sizeof norm);
            value = norm;
        }
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "knob %s: value longer than %zu characters", k->name,
                     k->size - 1);
            return -1;
        }
        if (k->choices) {
            const char *s = k->choices;
            size_t n = strlen(value);
            int ok = 0;
            while (*s) {
                size_t len = strcspn(s, "|");
                if (len == n && !strncmp(s, value, n)) ok = 1;
                s += len + (s[len] == '|');
            }
            if (!ok) {
                snprintf(err, errlen, "knob %s: '%s' is not one of %s", k->name, value, k->choices);
                return -1;
            }
        }
        strcpy(p, value);
        return 0;
    }
    }
    return -1;
}

void config_defaults(train_config *c) {
    memset(c, 0, sizeof *c);
    char err[256];
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
        set_value(c, &knobs[i], knobs[i].default_value, err, sizeof err);
}

int config_set(train_config *c, const char *name, const char *value, char *err, size_t errlen) {
    const knob_def *k = knob_find(name);
    if (!k) {
        const char *near = closest_knob(name);
        if (near)
            snprintf(err, errlen, "unknown knob '%s' (did you mean '%s'?)", name, near);
        else
            snprintf(err, errlen, "unknown knob '%s' ('sweep train --help' lists them)", name);
        return -1;
    }
    return set_value(c, k, value, err, errlen);
}

int config_set_arg(train_config *c, const char *arg, char *err, size_t errlen) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        snprintf(err, errlen, "argument '%s': expected KEY=VALUE", arg);
        return -1;
    }
    char name[64];
    size_t n = (size_t)(eq - arg);
    if (n >= sizeof name) {
        snprintf(err, errlen, "argument '%s': knob name too long", arg);
        return -1;
    }
    memcpy(name, arg, n);
    name[n] = 0;
    return config_set(c, name, eq + 1, err, errlen);
}

model_shape config_model_shape(const train_config *c) {
    model_shape s = {(int)c->vocab, (int)c->d_model,    (int)c->n_layer,  (int)c->n_head,
                     (int)c->ctx,   (int)c->ffn_hidden, (int)c->proj_norm};
    return s;
}

int config_resolve(train_config *c, int64_t data_vocab, char *err, size_t errlen) {
    if (c->vocab == 0) c->vocab = data_vocab;
    if (data_vocab > 0 && c->vocab != data_vocab) {
        snprintf(err, errlen, "knob vocab=%lld does not match the token files' vocabulary %lld",
                 (long long)c->vocab, (long long)data_vocab);
        return -1;
    }
    if (c->ffn_hidden == 0) c->ffn_hidden = model_default_ffn_hidden((int)c->d_model);
    model_shape s = config_model_shape(c);
    char why[200];
    if (model_shape_check(&s, why, sizeof why)) {
        snprintf(err, errlen, "bad model shape: %s", why);
        return -1;
    }
    const int64_t n_nonembed = model_params_nonembedding(&s);
    if (c->tokens == 0) {
        if (c->tokens_per_param <= 0) {
            snprintf(err, errlen, "knobs tokens and tokens_per_param are both 0: set one");
            return -1;
        }
        c->tokens = (int64_t)llround(c->tokens_per_param * (double)n_nonembed);
    }
    if (c->micro_batch == 0) {
        /* The CPU: 4096 tokens per forward keep the activations in cache-sized pieces. A
         * GPU wants large GEMMs and few launches: up to 65536 tokens, and logits of at
         * most 2^28 floats (1 GiB). */
        int gpu = strcmp(c->device, "cpu") != 0;
        int64_t max_tokens = gpu ? 65536 : 4096;
        c->micro_batch = 1;
        for (int64_t b = 1; b <= c->batch; b++)
            if (c->batch % b == 0 && b * c->ctx <= max_tokens &&
                (!gpu || b * c->ctx * c->vocab <= ((int64_t)1 << 28)))
                c->micro_batch = b;
    }
    if (c->batch % c->micro_batch != 0) {
        snprintf(err, errlen, "knob micro_batch=%lld: expected a divisor of batch=%lld",
                 (long long)c->micro_batch, (long long)c->batch);
        return -1;
    }
    int64_t per_step = c->batch * c->ctx;
    int64_t steps = (c->tokens + per_step - 1) / per_step;
    if (steps < 1) steps = 1;
    if (c->eval_every == 0) c->eval_every = steps / 10 > 0 ? steps / 10 : 1;
    if (c->ckpt_every == 0) c->ckpt_every = c->eval_every;
    return 0;
}

void config_format_value(const train_config *c, const knob_def *k, char *buf, size_t len) {
    if (!buf || len == 0) return;
    const char *p = (const char *)c + k->offset;
    switch (k->type) {
    case KNOB_INT:
        snprintf(buf, len, "%lld", (long long)*(const int64_t *)p);
        break;
    case KNOB_REAL: {
        /* Shortest form that reads back to the same double. */
        double v = *(const double *)p;
        for (int digits = 6; digits <= 17; digits++) {
            snprintf(buf, len, "%.*g", digits, v);
            if (strtod(buf, NULL) == v) break;
        }
        break;
    }
    case KNOB_STR:
        snprintf(buf, len, "%s", p);
        break;
    }
}

/* Appends s as a JSON string. */
static size_t json_string(char *buf, size_t len, size_t at, const char *s) {
    at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char tmp[8];
        if (ch == '"' || ch == '\\')
            snprintf(tmp, sizeof tmp, "\\%c", ch);
        else if (ch < 0x20)
            snprintf(tmp, sizeof tmp, "\\u%04x", ch);
        else
            snprintf(tmp, sizeof tmp, "%c", ch);
        at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, "%s", tmp);
    }
    return at + (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, "\"");
}

int config_canonical_json(const train_config *c, char *buf, size_t len) {
    size_t at = 0;
    int first = 1;
    train_config defaults;
    config_defaults(&defaults);
    at += (size_t)snprintf(buf, len, "{");
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) {
        const knob_def *k = &knobs[i];
        if (!k->identity) continue;
        char val[600];
        config_format_value(c, k, val, sizeof val);
        if (k->omit_at_default) {
            char def[600];
            config_format_value(&defaults, k, def, sizeof def);
            if (!strcmp(val, def)) continue;
        }
        at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, "%s",
                               first ? "" : ",");
        first = 0;
        at = json_string(buf, len, at, k->name);
        at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, ":");
        if (k->type == KNOB_STR)
            at = json_string(buf, len, at, val);
        else
            at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, "%s", val);
    }
    at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, "}");
    return at < len ? (int)at : -1;
}

uint64_t config_run_id(const train_config *c) {
    char buf[8192];
    int n = config_canonical_json(c, buf, sizeof buf);
    return tok_fnv1a64(buf, n > 0 ? (size_t)n : 0);
}

void config_print_help(FILE *f, int markdown) {
    if (markdown) {
        fprintf(f,
                "| knob | type | default | range / choices | meaning |\n|---|---|---|---|---|\n");
    }
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) {
        const knob_def *k = &knobs[i];
        const char *type = k->type == KNOB_INT ? "int" : k->type == KNOB_REAL ? "real" : "text";
        char range[64] = "";
        if (k->type != KNOB_STR)
            snprintf(range, sizeof range, "%.15g..%.15g", k->min, k->max);
        else if (k->choices)
            snprintf(range, sizeof range, "%s", k->choices);
        if (markdown) {
            char esc[64];
            size_t j = 0;
            for (const char *s = range; *s && j + 2 < sizeof esc; s++) {
                if (*s == '|') esc[j++] = '\\';
                esc[j++] = *s;
            }
            esc[j] = 0;
            fprintf(f, "| `%s` | %s | `%s` | %s | %s |\n", k->name, type, k->default_value, esc,
                    k->help);
        } else {
            fprintf(f, "  %-17s %-5s default %-18s %s\n", k->name, type,
                    k->default_value[0] ? k->default_value : "\"\"", k->help);
        }
    }
}
