#include "train.h"
#include "bigalloc.h"
#include "checkpoint.h"
#include "backend.h"
#include "cpu_gemm.h"
#include "evaluate.h"
#include "fsutil.h"
#include "model_f32.h"
#include "optimizer.h"
#include "provenance.h"
#include "ptq/ptq_knobs.h"
#include "qat/qat_model.h"
#include "rng.h"
#include "run_config.h"
#include "runlog.h"
#include "tokfile.h"
#include "clock.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int train_set_threads(int64_t threads) {
    int n = threads > 0 ? (int)threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
    return n;
}

void train_checkpoint_path(const char *run_file, char *out, size_t len) {
    size_t n = strlen(run_file);
    if (n > 3 && !strcmp(run_file + n - 3, ".h5")) n -= 3;
    snprintf(out, len, "%.*s.ckpt", (int)n, run_file);
}

void train_kept_checkpoint_path(const char *run_file, int64_t step, char *out, size_t len) {
    size_t n = strlen(run_file);
    if (n > 3 && !strcmp(run_file + n - 3, ".h5")) n -= 3;
    snprintf(out, len, "%.*s.step%lld.ckpt", (int)n, run_file, (long long)step);
}

/* The series of docs/run-file.md; the loss is column TRAIN_LOSS_COL of /train. */
#define TRAIN_COLUMNS  "step:i,tokens:i,loss:r,lr:r,grad_norm:r,wall:r"
#define EVAL_COLUMNS   "step:i,tokens:i,loss:r"
#define TRAIN_LOSS_COL 2

/* Everything one run holds while training. */
typedef struct trainer {
    train_config cfg;
    tokfile train_tok, val_tok;
    model m;       /* on the host: initialisation, checkpoints, PTQ (and the steps on the CPU) */
    cpu_gemm gemm; /* the GEMM m runs on (knobs gemm, gemm_path); outlives m */
    float *adam_m, *adam_v;
    /* Where the steps and evaluations run (device knob): run is &m on the CPU, else dev,
     * the same model on backend be, with the AdamW moments there too. Parameters and
     * moments go to the device after initialisation or resume and come back before
     * every checkpoint and PTQ. */
    backend be;
    model dev, *run;
    float *run_adam_m, *run_adam_v;
    size_t opt_bytes;
    uint16_t *inputs, *targets;
    int64_t total_steps, windows;
    runlog log;
    ckpt_state st;
    rng gen;
    qat_plan plan;
    /* the run as train_open resolves it */
    model_shape shape;
    char ckpt_path[600], id_hex[24];
    uint64_t run_id;
    int lock_fd, threads;
    /* the step loop (train_begin .. train_finish) */
    table *trn, *evl;
    double diverge_limit, t0, wall0, last_loss;
    int64_t steps_here, diverged_step;
    char status[16], reason[256], note[768];
} trainer;

/* Sequence g of the training stream: window g mod W of ctx+1 tokens (see docs/data.md). */
static void fill_batch(trainer *t, int64_t first_seq, int n) {
    int T = (int)t->cfg.ctx;
    for (int b = 0; b < n; b++) {
        int64_t w = (first_seq + b) % t->windows;
        const uint16_t *src = t->train_tok.tokens + w * T;
        memcpy(t->inputs + (size_t)b * T, src, (size_t)T * sizeof(uint16_t));
        memcpy(t->targets + (size_t)b * T, src + 1, (size_t)T * sizeof(uint16_t));
    }
}

static int64_t eval_sequences(const trainer *t) {
    return eval_sequence_count(&t->val_tok, (int)t->cfg.ctx, t->cfg.eval_tokens);
}

/* Mean validation loss (model_eval_loss) of the model as it trains, quantized where
 * training quantizes. The clip/mask statistics of /quant are left as they were: they
 * describe the training steps only. */
static double evaluate(trainer *t) {
    qstats kept[QAT_POINTS];
    model_qat_stats_get(t->run, kept);
    model_qat_quantize_weights(t->run);
    double loss = model_eval_loss(t->run, &t->val_tok, t->cfg.eval_tokens, (int)t->cfg.micro_batch,
                                  t->inputs, t->targets);
    model_qat_stats_set(t->run, kept);
    return loss;
}

/* The failure a device recorded, if any (the CPU never fails here). */
static int device_ok(const trainer *t, char *err, size_t errlen) {
    const model *r = t->run;
    const char *e = r && r->be.ops ? r->be.ops->error(r->be.ctx) : NULL;
    if (!e) return 0;
    snprintf(err, errlen, "%s", e);
    return -1;
}

/* device=cuda: the model, its fake-quantization buffers and the AdamW moments on the
 * GPU. Then the plan goes onto the model the steps run on (the host model keeps none). */
static int open_device(trainer *t, const model_shape *s, char *err, size_t errlen) {
    t->run = &t->m, t->run_adam_m = t->adam_m, t->run_adam_v = t->adam_v;
    if (!strcmp(t->cfg.device, "cpu")) return model_qat_attach(t->run, &t->plan, err, errlen);
    if (backend_cuda_create(&t->be, 0, err, errlen) ||
        backend_set_matmul(&t->be, t->cfg.matmul, err, errlen))
        return -1;
    if (qat_any(&t->plan) && !t->be.ops->fake_quant) {
        snprintf(err, errlen, "device=%s: this build's backend has no quantizers", t->cfg.device);
        return -1;
    }
    if (model_create_on_f32(&t->dev, s, (int)t->cfg.micro_batch, t->be, err, errlen)) return -1;
    t->run_adam_m = t->be.ops->alloc(t->be.ctx, t->opt_bytes);
    t->run_adam_v = t->be.ops->alloc(t->be.ctx, t->opt_bytes);
    t->run = &t->dev;
    if (!t->run_adam_m || !t->run_adam_v) {
        snprintf(err, errlen, "device=%s: out of memory for the optimizer state (%.1f MiB)",
                 t->cfg.device, 2.0 * (double)t->opt_bytes / 1048576.0);
        return -1;
    }
    return model_qat_attach(t->run, &t->plan, err, errlen);
}

/* Parameters and AdamW moments, host to device (after initialisation or resume). */
static int to_device(trainer *t, char *err, size_t errlen) {
    if (t->run == &t->m) return 0;
    const backend_ops *o = t->be.ops;
    o->upload(t->be.ctx, t->dev.params, t->m.params, t->opt_bytes);
    o->upload(t->be.ctx, t->run_adam_m, t->adam_m, t->opt_bytes);
    o->upload(t->be.ctx, t->run_adam_v, t->adam_v, t->opt_bytes);
    return device_ok(t, err, errlen);
}

/* And back, before a checkpoint or PTQ reads the host copies. */
static int to_host(trainer *t, char *err, size_t errlen) {
    if (t->run == &t->m) return 0;
    const backend_ops *o = t->be.ops;
    o->download(t->be.ctx, t->m.params, t->dev.params, t->opt_bytes);
    o->download(t->be.ctx, t->adam_m, t->run_adam_m, t->opt_bytes);
    o->download(t->be.ctx, t->adam_v, t->run_adam_v, t->opt_bytes);
    return device_ok(t, err, errlen);
}

static void trainer_free(trainer *t) {
    if (t->be.ops) {
        if (t->run_adam_m) t->be.ops->release(t->be.ctx, t->run_adam_m, t->opt_bytes);
        if (t->run_adam_v) t->be.ops->release(t->be.ctx, t->run_adam_v, t->opt_bytes);
        model_qat_detach(&t->dev);
        model_destroy_f32(&t->dev);
        backend_cuda_destroy(&t->be);
    }
    model_qat_detach(&t->m);
    model_destroy_f32(&t->m);
    big_free(t->adam_m, t->opt_bytes);
    big_free(t->adam_v, t->opt_bytes);
    free(t->inputs);
    free(t->targets);
    tokfile_close(&t->train_tok);
    tokfile_close(&t->val_tok);
    runlog_free(&t->log);
}

static void host_name(char *buf, size_t len) {
    if (gethostname(buf, len)) snprintf(buf, len, "unknown");
    buf[len - 1] = 0;
}

/* Root and /config attributes of a new run file. */
static void describe_run(trainer *t, const model_shape *s, int threads) {
    runlog *rl = &t->log;
    char json[8192], id[24], created[32], host[256];
    config_canonical_json(&t->cfg, json, sizeof json);
    snprintf(id, sizeof id, "%016llx", (unsigned long long)config_run_id(&t->cfg));
    time_t now = time(NULL);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    host_name(host, sizeof host);
    attr_set_int(&rl->root, "schema_version", RUNLOG_SCHEMA_VERSION);
    attr_set_str(&rl->root, "run_id", id);
    attr_set_str(&rl->root, "name", t->cfg.name);
    attr_set_str(&rl->root, "config", json);
    /* build, machine and data; t->st holds the data identity the checkpoint records */
    provenance_data data = {t->cfg.data, t->train_tok.tokenizer_hash, t->st.train_id, t->st.val_id};
    provenance_describe(&rl->root, &data, threads, &t->run->be);
    attr_set_str(&rl->root, "host", host);
    attr_set_str(&rl->root, "created", created);

    size_t nk;
    const knob_def *k = knob_table(&nk);
    for (size_t i = 0; i < nk; i++) {
        const char *p = (const char *)&t->cfg + k[i].offset;
        if (k[i].type == KNOB_INT)
            attr_set_int(&rl->config, k[i].name, *(const int64_t *)p);
        else if (k[i].type == KNOB_REAL)
            attr_set_real(&rl->config, k[i].name, *(const double *)p);
        else
            attr_set_str(&rl->config, k[i].name, p);
    }
    attr_set_int(&rl->config, "threads", threads);
    attr_set_int(&rl->config, "N", model_params_nonembedding(s));
    attr_set_int(&rl->config, "N_total", model_params_total(s));
    attr_set_int(&rl->config, "D", t->total_steps * t->cfg.batch * t->cfg.ctx);
    static const char *const pnames[3] = {"P_w", "P_a", "P_kv"};
    static const char *const fnames[3] = {"format_w", "format_a", "format_kv"};
    static const char *const snames[3] = {"spec_w", "spec_a", "spec_kv"};
    for (int i = 0; i < 3; i++) {
        char fmt[64];
        attr_set_real(&rl->config, pnames[i], qat_bits(&t->plan, i));
        qat_format_name(&t->plan, i, fmt, sizeof fmt);
        attr_set_str(&rl->config, fnames[i], fmt);
        /* the resolved spec, granularity and backward mask included */
        attr_set_str(&rl->config, snames[i],
                     t->plan.pt[i].enabled ? t->plan.pt[i].spec.name : "fp32");
    }
    /* The training quantizer's group size (0 unless grouped): Chen et al.'s law needs it. */
    const qspec *wq = &t->plan.pt[QAT_W].spec;
    attr_set_int(&rl->config, "group_size_w",
                 t->plan.pt[QAT_W].enabled && wq->granularity == QG_GROUP ? (int64_t)wq->group : 0);
    if (qat_any(&t->plan))
        runlog_table(
            rl, "/quant",
            "step:i,w_clipped:r,a_clipped:r,kv_clipped:r,w_masked:r,a_masked:r,kv_masked:r");
    attr_set_int(&rl->config, "train_tokens_unique", (int64_t)t->train_tok.n);
    /* what evaluate() really reads: a validation split smaller than eval_tokens shows */
    attr_set_int(&rl->config, "eval_tokens_used", eval_sequences(t) * t->cfg.ctx);
    attr_set_real(&rl->config, "flops_per_token", model_flops_per_token(s));
}

static void set_final(trainer *t, const model_shape *s, const char *status, const char *reason,
                      double val_loss, double train_loss, int64_t diverged_step) {
    runlog *rl = &t->log;
    rl->has_final = 1;
    attr_set_str(&rl->final, "status", status);
    attr_set_real(&rl->final, "val_loss", val_loss);
    attr_set_real(&rl->final, "train_loss", train_loss);
    attr_set_int(&rl->final, "steps", t->st.step);
    attr_set_int(&rl->final, "tokens", t->st.tokens);
    attr_set_real(&rl->final, "epochs", (double)t->st.tokens / (double)t->train_tok.n);
    attr_set_real(&rl->final, "flops", (double)t->st.tokens * model_flops_per_token(s));
    attr_set_real(&rl->final, "wall_s", t->st.wall);
    if (diverged_step >= 0) attr_set_int(&rl->final, "diverged_step", diverged_step);
    if (reason && reason[0]) attr_set_str(&rl->final, "reason", reason);
}

/* Fractions of clipped and masked entries per quantization point since the last
 * row (QuEST reports these; they tell whether a format saturates). */
static void log_quant_stats(trainer *t, int64_t step) {
    if (!t->run->qat) return;
    qstats st[QAT_POINTS];
    model_qat_stats_get(t->run, st);
    double row[7] = {(double)step};
    const enum qat_point_id ids[3] = {QAT_W, QAT_A, QAT_KV};
    for (int i = 0; i < 3; i++) {
        const qstats *c = &st[ids[i]];
        double n = c->total ? (double)c->total : NAN;
        row[1 + i] = (double)c->clipped / n;
        row[4 + i] = (double)c->masked / n;
    }
    memset(st, 0, sizeof st);
    model_qat_stats_set(t->run, st);
    table *q = runlog_find_table(&t->log, "/quant");
    if (q) table_append(q, row);
}

static int open_data(trainer *t, char *err, size_t errlen) {
    char path[1100];
    snprintf(path, sizeof path, "%s/train.tok", t->cfg.data);
    if (tokfile_open(path, &t->train_tok, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/val.tok", t->cfg.data);
    if (tokfile_open(path, &t->val_tok, err, errlen)) return -1;
    if (t->train_tok.vocab != t->val_tok.vocab ||
        t->train_tok.tokenizer_hash != t->val_tok.tokenizer_hash) {
        snprintf(err, errlen, "%s: train.tok and val.tok come from different tokenizers",
                 t->cfg.data);
        return -1;
    }
    if (t->val_tok.n < (uint64_t)t->cfg.ctx + 1 || t->train_tok.n < (uint64_t)t->cfg.ctx + 1) {
        snprintf(err, errlen, "%s: fewer tokens than one sequence of ctx=%lld + 1", t->cfg.data,
                 (long long)t->cfg.ctx);
        return -1;
    }
    return 0;
}

/* Post-training quantization of the weights in memory at `step`, for every method
 * and bit width the knobs ask for that the log does not hold yet; rows go into the
 * in-memory log, saved with it. */
static int ptq_in_log(trainer *t, const float *params, int64_t step, char *err, size_t errlen) {
    ptq_request reqs[2];
    int n;
    if (ptq_requests_from_config(&t->cfg, reqs, &n, err, errlen)) return -1;
    for (int i = 0; i < n; i++) {
        ptq_request_drop_done(&reqs[i], &t->log, step);
        if (reqs[i].nbits &&
            ptq_run_log(&t->log, t->cfg.out, params, step, &reqs[i], NULL, NULL, err, errlen))
            return -1;
    }
    return 0;
}

int train_ptq_finished(const train_config *c, int *did, char *err, size_t errlen) {
    ptq_request reqs[2];
    int n;
    *did = 0;
    if (ptq_requests_from_config(c, reqs, &n, err, errlen)) return -1;
    if (n == 0) return 0;
    runlog old;
    if (runlog_load(&old, c->out, err, errlen)) return -1;
    const attr *steps = old.has_final ? attr_get(&old.final, "steps") : NULL;
    int rc = 0;
    for (int i = 0; steps && steps->type == ATTR_INT && i < n && !rc; i++) {
        ptq_request_drop_done(&reqs[i], &old, steps->i);
        if (!reqs[i].nbits) continue;
        rc = ptq_run(c->out, &reqs[i], NULL, NULL, err, errlen);
        if (!rc) *did = 1;
    }
    runlog_free(&old);
    return rc ? -1 : 0;
}

/* The token files are mapped: one truncated in place would fault at the next read past
 * its new end. Checked before every step and evaluation (an fstat each), so a change
 * is reported with the file's name instead of a SIGBUS; what remains is a truncation
 * during one step. */
static int check_data(const trainer *t, int val, char *err, size_t errlen) {
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", t->cfg.data, val ? "val.tok" : "train.tok");
    return tokfile_check(val ? &t->val_tok : &t->train_tok, path, err, errlen);
}

/* A checkpoint's fields against this run: checkpoint_load checked each on its own
 * (signs, sizes, the checksum); these are what a checkpoint of this config holds
 * after st.step steps. */
static int check_resume_state(const trainer *t, const char *ckpt, uint64_t train_id,
                              uint64_t val_id, char *err, size_t errlen) {
    const ckpt_state *st = &t->st;
    int64_t seq = t->cfg.batch, tok = t->cfg.batch * t->cfg.ctx;
    if (st->step > t->total_steps || st->step > INT64_MAX / tok) {
        snprintf(err, errlen, "%s: checkpoint step %lld, but this run has %lld steps", ckpt,
                 (long long)st->step, (long long)t->total_steps);
        return -1;
    }
    if (st->tokens != st->step * tok || st->next_seq != st->step * seq) {
        snprintf(err, errlen,
                 "%s: checkpoint at step %lld says tokens %lld and next_seq %lld, expected %lld "
                 "and %lld (batch=%lld ctx=%lld)",
                 ckpt, (long long)st->step, (long long)st->tokens, (long long)st->next_seq,
                 (long long)(st->step * tok), (long long)(st->step * seq), (long long)t->cfg.batch,
                 (long long)t->cfg.ctx);
        return -1;
    }
    const char *which = st->train_id && st->train_id != train_id ? "train.tok"
                        : st->val_id && st->val_id != val_id     ? "val.tok"
                                                                 : NULL;
    if (which) {
        snprintf(err, errlen,
                 "%s/%s is not the data %s was trained on (its identity %016llx, the checkpoint "
                 "recorded %016llx): restore that data, or remove %s and the run file to train "
                 "the run again from the start",
                 t->cfg.data, which, ckpt,
                 (unsigned long long)(which[0] == 't' ? train_id : val_id),
                 (unsigned long long)(which[0] == 't' ? st->train_id : st->val_id), ckpt);
        return -1;
    }
    /* a version 1 checkpoint holds no identity: the run file's token count still tells */
    const attr *u = attr_get(&t->log.config, "train_tokens_unique");
    if (u && u->type == ATTR_INT && (uint64_t)u->i != t->train_tok.n) {
        snprintf(err, errlen,
                 "%s/train.tok holds %llu tokens, but %s was trained on %lld: not the same data",
                 t->cfg.data, (unsigned long long)t->train_tok.n, t->cfg.out, (long long)u->i);
        return -1;
    }
    return 0;
}

static int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* train_run in four parts: train_open (data, identity, lock, a run file already there),
 * train_begin (resume or initialise), train_step (one optimizer step) with
 * between_steps (log, evaluate, checkpoint, stop), and train_finish (final checkpoint,
 * evaluation, PTQ, /final). Each returns PART_OK to go on, PART_EARLY when train_run is
 * done without the remaining parts (res says how), PART_ERR with err set. */
enum { PART_ERR = -1, PART_OK = 0, PART_EARLY = 1 };

/* The data, the resolved config, the lock, and what an existing run file says: one of
 * another configuration is refused, a finished one is not redone (PART_EARLY with res
 * "skipped"; PTQ the knobs newly ask for is the caller's: train_ptq_finished). */
static int train_open(trainer *t, const train_hooks *hooks, train_result *res, char *err,
                      size_t errlen) {
    if (open_data(t, err, errlen)) return PART_ERR;
    if (run_config_resolve(&t->cfg, t->train_tok.vocab, err, errlen)) return PART_ERR;
    res->config = t->cfg;
    t->shape = config_model_shape(&t->cfg);
    t->total_steps = (t->cfg.tokens + t->cfg.batch * t->cfg.ctx - 1) / (t->cfg.batch * t->cfg.ctx);
    if (t->total_steps < 1) t->total_steps = 1;
    t->windows = (int64_t)(t->train_tok.n - 1) / t->cfg.ctx;
    snprintf(res->run_file, sizeof res->run_file, "%s", t->cfg.out);
    train_checkpoint_path(t->cfg.out, t->ckpt_path, sizeof t->ckpt_path);
    snprintf(res->checkpoint, sizeof res->checkpoint, "%s", t->ckpt_path);
    /* One writer per run file: another one's save would drop this one's rows (or the
     * reverse), and nothing is read or written before the lock is held. */
    if (!(hooks && hooks->run_file_locked) &&
        (t->lock_fd = run_file_lock(t->cfg.out, err, errlen)) < 0)
        return PART_ERR;
    t->run_id = config_run_id(&t->cfg);
    snprintf(t->id_hex, sizeof t->id_hex, "%016llx", (unsigned long long)t->run_id);
    if (!file_exists(t->cfg.out)) return PART_OK;

    runlog old;
    if (runlog_load(&old, t->cfg.out, err, errlen)) return PART_ERR;
    const attr *id = attr_get(&old.root, "run_id");
    int same = id && id->type == ATTR_STR && !strcmp(id->s, t->id_hex);
    const attr *status = old.has_final ? attr_get(&old.final, "status") : NULL;
    int rc = PART_OK;
    if (!same) {
        snprintf(err, errlen,
                 "%s exists and belongs to a different configuration (run_id %s, this run %s); "
                 "remove it or choose another out=",
                 t->cfg.out, id && id->type == ATTR_STR ? id->s : "?", t->id_hex);
        rc = PART_ERR;
    } else if (status && status->type == ATTR_STR &&
               (!strcmp(status->s, "done") || !strcmp(status->s, "diverged"))) {
        snprintf(res->status, sizeof res->status, "skipped");
        snprintf(res->reason, sizeof res->reason, "already %s", status->s);
        const attr *vl = attr_get(&old.final, "val_loss");
        res->val_loss = vl && vl->type == ATTR_REAL ? vl->r : NAN;
        rc = PART_EARLY;
    }
    runlog_free(&old);
    return rc;
}

/* Knobs in which a cooldown branch may differ from its parent: the budget and the decay
 * (steps after the branch point), where files go, checkpoints and PTQ (neither changes a
 * training step), the own GEMM's kernel path (every path gives the same bits). schedule_tokens is
 * compared by the warmup it gives, threads by the count the parent ran with. Every other knob must
 * be the parent's. */
static int branch_may_differ(const char *knob) {
    static const char *const free_knobs[] = {
        "branch_from",     "ckpt_every", "ckpt_keep", "decay_frac",
        "lr_min_frac",     "name",       "out",       "ptq",
        "ptq_bits",        "ptq_calib",  "ptq_embed", "ptq_every",
        "ptq_format",      "ptq_gran",   "ptq_group", "ptq_seq",
        "schedule_tokens", "threads",    "tokens",    "tokens_per_param",
        "gemm_path"};
    for (size_t i = 0; i < sizeof free_knobs / sizeof *free_knobs; i++)
        if (!strcmp(knob, free_knobs[i])) return 1;
    return 0;
}

/* The parent's training steps and warmup, from its resolved /config. */
static int64_t config_total_steps(const train_config *c) {
    int64_t per = c->batch * c->ctx, n = per > 0 ? (c->tokens + per - 1) / per : 0;
    return n < 1 ? 1 : n;
}

/* branch_from: this run starts from the checkpoint its parent kept at this run's decay
 * start S, with the parent's rows up to S, as if it had trained steps 1..S itself. The
 * parent (run file and checkpoints) is only read. Checks: the parent's knobs are this
 * run's except those of branch_may_differ, its warmup and thread count are this run's,
 * its own decay starts no earlier than S, and the kept checkpoint is its own at step S
 * on this run's data. Errors name the knob and the files. */
static int branch_begin(trainer *t, uint64_t train_id, uint64_t val_id, char *err, size_t errlen) {
    const char *pf = t->cfg.branch_from;
    int64_t S = lr_decay_start(&t->cfg, t->total_steps);
    struct stat a, b;
    if (S < 1) {
        snprintf(err, errlen,
                 "knob branch_from: decay_frac=%g decays all %lld steps of this run, so no step of "
                 "it is the parent's",
                 t->cfg.decay_frac, (long long)t->total_steps);
        return -1;
    }
    if (!strcmp(pf, t->cfg.out) || (stat(pf, &a) == 0 && stat(t->cfg.out, &b) == 0 &&
                                    a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
        snprintf(err, errlen, "knob branch_from=%s: that is this run's own file (out=)", pf);
        return -1;
    }
    runlog parent;
    train_config pc;
    char sub[600];
    runlog_init(&parent);
    if (runlog_load(&parent, pf, sub, sizeof sub)) {
        snprintf(err, errlen, "knob branch_from=%s: cannot read the parent run: %s", pf, sub);
        runlog_free(&parent);
        return -1;
    }
    int rc = -1;
    const attr *pid = attr_get(&parent.root, "run_id");
    const attr *pthreads = attr_get(&parent.config, "threads");
    if (!pid || pid->type != ATTR_STR) {
        snprintf(err, errlen, "knob branch_from=%s: the parent run file has no run_id", pf);
        goto out;
    }
    if (runlog_config(&parent, pf, &pc, sub, sizeof sub)) {
        snprintf(err, errlen, "knob branch_from: %s", sub);
        goto out;
    }
    size_t nk;
    const knob_def *k = knob_table(&nk);
    for (size_t i = 0; i < nk; i++) {
        if (branch_may_differ(k[i].name)) continue;
        char mine[600], theirs[600];
        config_format_value(&t->cfg, &k[i], mine, sizeof mine);
        config_format_value(&pc, &k[i], theirs, sizeof theirs);
        if (strcmp(mine, theirs)) {
            snprintf(err, errlen,
                     "knob %s: this run has %s=%s, its parent %s (branch_from) %s=%s; a branch "
                     "trains the parent's steps, so it must have the parent's value",
                     k[i].name, k[i].name, mine, pf, k[i].name, theirs);
            goto out;
        }
    }
    int64_t p_total = config_total_steps(&pc);
    int64_t warm = lr_warmup_steps(&t->cfg, t->total_steps), p_warm = lr_warmup_steps(&pc, p_total);
    if (warm != p_warm) {
        snprintf(err, errlen,
                 "knob schedule_tokens: this run warms up over %lld steps, its parent %s over "
                 "%lld: set schedule_tokens=%lld (the parent's schedule) here",
                 (long long)warm, pf, (long long)p_warm,
                 (long long)(pc.schedule_tokens > 0 ? pc.schedule_tokens : pc.tokens));
        goto out;
    }
    if (strcmp(t->cfg.device, "cpu") == 0 && pthreads && pthreads->type == ATTR_INT &&
        pthreads->i != t->threads) {
        snprintf(err, errlen,
                 "knob threads: the parent %s trained with %lld threads, this run has %d; other "
                 "thread counts give other bits, so a branch runs with the parent's",
                 pf, (long long)pthreads->i, t->threads);
        goto out;
    }
    int64_t p_start = lr_decay_start(&pc, p_total);
    if (p_start < S) {
        snprintf(err, errlen,
                 "knob branch_from=%s: this run's decay starts after step %lld, but the parent's "
                 "learning rate decays from step %lld on (of %lld): branch from a longer parent",
                 pf, (long long)S, (long long)p_start + 1, (long long)p_total);
        goto out;
    }
    if (t->cfg.ptq_every > 0 && t->cfg.ptq[0] && t->cfg.ptq_every <= S) {
        snprintf(err, errlen,
                 "knob ptq_every=%lld: a branch has no weights of the parent's steps before "
                 "step %lld to quantize; set ptq_every=0 or above %lld",
                 (long long)t->cfg.ptq_every, (long long)S, (long long)S);
        goto out;
    }
    char kept[640];
    train_kept_checkpoint_path(pf, S, kept, sizeof kept);
    if (!file_exists(kept)) {
        snprintf(
            err, errlen,
            "knob branch_from=%s: the parent kept no checkpoint at step %lld, where this run's "
            "decay starts (%s is missing): train the parent with ckpt_keep=%lld",
            pf, (long long)S, kept, (long long)S);
        goto out;
    }
    if (checkpoint_load(kept, &t->st, t->m.layout.total, t->m.params, t->adam_m, t->adam_v, sub,
                        sizeof sub)) {
        snprintf(err, errlen, "knob branch_from: %s", sub);
        goto out;
    }
    char hex[24];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)t->st.run_id);
    if (strcmp(hex, pid->s) || t->st.step != S) {
        snprintf(err, errlen,
                 "knob branch_from: %s is not the parent's checkpoint at step %lld (it holds run "
                 "%s at step %lld; the parent is run %s)",
                 kept, (long long)S, hex, (long long)t->st.step, pid->s);
        goto out;
    }
    if (check_resume_state(t, kept, train_id, val_id, err, errlen)) goto out;
    /* the parent's rows up to S: what this run would have logged itself */
    describe_run(t, &t->shape, t->threads);
    attr_set_str(&t->log.config, "branch_parent_run_id", pid->s);
    attr_set_int(&t->log.config, "branch_step", S);
    static const char *const series[3][2] = {
        {"/train", TRAIN_COLUMNS}, {"/eval", EVAL_COLUMNS}, {"/quant", NULL}};
    for (int i = 0; i < 3; i++) {
        const table *from = runlog_find_table(&parent, series[i][0]);
        table *to = series[i][1] ? runlog_table(&t->log, series[i][0], series[i][1])
                                 : runlog_find_table(&t->log, series[i][0]);
        if (!from || !to) continue;
        if (from->ncols != to->ncols) {
            snprintf(err, errlen, "knob branch_from: %s: %s has %d columns, expected %d", pf,
                     series[i][0], from->ncols, to->ncols);
            goto out;
        }
        for (size_t r = 0; r < from->rows && table_get(from, 0, r) <= (double)S; r++) {
            double row[TABLE_MAX_COLS];
            for (int c = 0; c < from->ncols; c++) row[c] = table_get(from, c, r);
            table_append(to, row);
        }
    }
    t->st.run_id = t->run_id, t->st.train_id = train_id, t->st.val_id = val_id;
    t->gen.state = t->st.rng_state;
    snprintf(t->note, sizeof t->note, "branched from %s (run %s) at step %lld", pf, pid->s,
             (long long)S);
    rc = runlog_save(&t->log, t->cfg.out, err, errlen);
out:
    runlog_free(&parent);
    return rc;
}

/* The model, optimizer state and device; then the checkpoint's state (resume) or a fresh
 * initialisation with the run file's header; the parameters go to the device. */
static int train_begin(trainer *t, train_result *res, char *err, size_t errlen) {
    const model_shape *s = &t->shape;
    /* The host model runs the CPU's steps on the knobs' GEMM (device=cuda refuses own). */
    if (cpu_gemm_init(&t->gemm, t->cfg.gemm, t->cfg.gemm_path, t->threads, err, errlen) ||
        model_create_on_f32(&t->m, s, (int)t->cfg.micro_batch, backend_cpu_gemm(&t->gemm), err,
                            errlen))
        return PART_ERR;
    if (qat_plan_from_config(&t->cfg, &t->plan, err, errlen)) return PART_ERR;
    t->opt_bytes = t->m.layout.total * sizeof(float);
    t->adam_m = big_alloc(t->opt_bytes);
    t->adam_v = big_alloc(t->opt_bytes);
    t->inputs = malloc((size_t)t->cfg.micro_batch * t->cfg.ctx * sizeof(uint16_t));
    t->targets = malloc((size_t)t->cfg.micro_batch * t->cfg.ctx * sizeof(uint16_t));
    if (!t->adam_m || !t->adam_v || !t->inputs || !t->targets) {
        snprintf(err, errlen, "out of memory for the optimizer state");
        return PART_ERR;
    }
    if (open_device(t, s, err, errlen)) return PART_ERR;
    res->buffer_bytes = t->m.block_bytes + 2 * t->opt_bytes;
    if (t->run->qat)
        for (size_t i = 0; i < sizeof t->run->qat->bytes / sizeof *t->run->qat->bytes; i++)
            res->buffer_bytes += t->run->qat->bytes[i];

    uint64_t train_id = tokfile_identity(&t->train_tok), val_id = tokfile_identity(&t->val_tok);
    const char *ckpt_path = t->ckpt_path;
    int resume = file_exists(ckpt_path);
    if (resume && !file_exists(t->cfg.out)) {
        /* A checkpoint without its run file (removed by hand): the file held the logged
         * series, which the checkpoint does not, so the run cannot go on from it. Training
         * is deterministic, so the run is trained again from the start, which gives the
         * same file; the checkpoint is replaced at the first save. One of another run is
         * never touched. */
        ckpt_state old;
        if (checkpoint_peek(ckpt_path, &old, err, errlen)) return PART_ERR;
        if (old.run_id != t->run_id) {
            snprintf(err, errlen,
                     "%s belongs to another run (run_id %016llx, expected %s) and its run file "
                     "%s is missing: move the checkpoint away",
                     ckpt_path, (unsigned long long)old.run_id, t->id_hex, t->cfg.out);
            return PART_ERR;
        }
        snprintf(t->note, sizeof t->note,
                 "%s was missing: trained from the start (its checkpoint at step %lld was not "
                 "used)",
                 t->cfg.out, (long long)old.step);
        resume = 0;
    }
    if (resume) {
        if (checkpoint_load(ckpt_path, &t->st, t->m.layout.total, t->m.params, t->adam_m, t->adam_v,
                            err, errlen))
            return PART_ERR;
        if (t->st.run_id != t->run_id) {
            snprintf(err, errlen, "%s belongs to another run (run_id %016llx, expected %s)",
                     ckpt_path, (unsigned long long)t->st.run_id, t->id_hex);
            return PART_ERR;
        }
        if (runlog_load(&t->log, t->cfg.out, err, errlen)) return PART_ERR;
        if (check_resume_state(t, ckpt_path, train_id, val_id, err, errlen)) {
            /* the run file is left as it was: the failure is the data's or the checkpoint's */
            runlog_free(&t->log);
            runlog_init(&t->log);
            return PART_ERR;
        }
        /* from here on the checkpoints record the data (a version 1 one did not) */
        t->st.train_id = train_id, t->st.val_id = val_id;
        for (size_t i = 0; i < t->log.ntables; i++)
            table_truncate_after(t->log.tables[i], t->st.step);
        runlog_clear_final(&t->log); /* e.g. "failed" from an earlier attempt */
        t->gen.state = t->st.rng_state;
        res->resumed_from = t->st.step;
    } else if (t->cfg.branch_from[0]) {
        if (branch_begin(t, train_id, val_id, err, errlen)) {
            /* nothing of this run is written before the checks pass */
            runlog_free(&t->log);
            runlog_init(&t->log);
            return PART_ERR;
        }
        res->branched_at = t->st.step;
    } else {
        init_params(t->m.params, s, &t->m.layout, t->cfg.init_std, (uint64_t)t->cfg.seed);
        t->st = (ckpt_state){.run_id = t->run_id,
                             .n_params = t->m.layout.total,
                             .train_id = train_id,
                             .val_id = val_id};
        rng_seed(&t->gen, (uint64_t)t->cfg.seed * 0x9E3779B97F4A7C15ULL + 1);
        describe_run(t, s, t->threads);
        if (runlog_save(&t->log, t->cfg.out, err, errlen)) return PART_ERR;
    }
    if (to_device(t, err, errlen)) return PART_ERR;
    t->trn = runlog_table(&t->log, "/train", TRAIN_COLUMNS);
    t->evl = runlog_table(&t->log, "/eval", EVAL_COLUMNS);
    /* Divergence: a non-finite loss or gradient, or a training loss 50% above that
     * of a uniform guess (ln vocab), which a healthy run never returns to. */
    t->diverge_limit = 1.5 * log((double)t->cfg.vocab);
    t->t0 = now_s(), t->wall0 = t->st.wall, t->last_loss = NAN;
    snprintf(t->status, sizeof t->status, "done");
    t->diverged_step = -1;
    return PART_OK;
}

/* One optimizer step: the gradient of one batch (accumulated over micro-batches), then
 * AdamW, unless the loss or gradient diverged (then the step's row is logged, the
 * weights are left as they were and t->status says "diverged"). */
static int train_step(trainer *t, train_progress *p, char *err, size_t errlen) {
    model *run = t->run;
    const backend_ops *dev = run->be.ops;
    int mb = (int)t->cfg.micro_batch, accum = (int)(t->cfg.batch / t->cfg.micro_batch);
    float loss_scale = (float)(1.0 / ((double)t->cfg.batch * t->cfg.ctx));
    int64_t step = t->st.step + 1;
    double lr = lr_at_step(&t->cfg, step, t->total_steps);
    dev->zero(run->be.ctx, run->grads, t->opt_bytes);
    model_qat_quantize_weights(run);
    model_qat_set_step(run, step);
    double loss_sum = 0;
    if (check_data(t, 0, err, errlen)) return PART_ERR;
    for (int a = 0; a < accum; a++) {
        fill_batch(t, t->st.next_seq, mb);
        t->st.next_seq += mb;
        loss_sum += model_forward_f32(run, t->inputs, t->targets, mb);
        model_backward_f32(run, t->inputs, t->targets, mb, loss_scale);
    }
    model_qat_weight_backward(run);
    double loss = loss_sum / ((double)t->cfg.batch * t->cfg.ctx);
    double gnorm = dev->global_norm(run->be.ctx, run->grads, t->m.layout.total);
    if (device_ok(t, err, errlen)) return PART_ERR;
    t->st.step = step;
    t->st.tokens += t->cfg.batch * t->cfg.ctx;
    t->st.wall = t->wall0 + (now_s() - t->t0);
    t->steps_here++;
    if (!isfinite(loss) || !isfinite(gnorm) || (step > 10 && loss > t->diverge_limit)) {
        snprintf(t->status, sizeof t->status, "diverged");
        t->diverged_step = step;
        snprintf(t->reason, sizeof t->reason,
                 "step %lld: loss %g, gradient norm %g (limit: finite, loss <= %.3f)",
                 (long long)step, loss, gnorm, t->diverge_limit);
        table_append(t->trn, (double[]){step, t->st.tokens, loss, lr, gnorm, t->st.wall});
        return PART_EARLY;
    }
    float clip = t->cfg.clip > 0 && gnorm > t->cfg.clip ? (float)(t->cfg.clip / gnorm) : 1.0f;
    adamw_hparams hp = {lr, t->cfg.beta1, t->cfg.beta2, t->cfg.eps, t->cfg.weight_decay};
    dev->adamw_step(run->be.ctx, run->params, run->grads, t->run_adam_m, t->run_adam_v,
                    &t->m.layout, &hp, step, clip);
    t->last_loss = loss;
    if (step % t->cfg.log_every == 0 || step == t->total_steps)
        table_append(t->trn, (double[]){step, t->st.tokens, loss, lr, gnorm, t->st.wall});
    *p = (train_progress){
        step,         t->total_steps,
        t->st.tokens, t->total_steps * t->cfg.batch * t->cfg.ctx,
        loss,         lr,
        gnorm,        (double)t->steps_here * t->cfg.batch * t->cfg.ctx / (now_s() - t->t0),
        t->st.wall,   NAN};
    return PART_OK;
}

/* After a step: the evaluation, progress, PTQ of intermediate weights and the checkpoint
 * when due; a stop request (checkpointed) or the test's abort end the run early. */
static int between_steps(trainer *t, const train_hooks *hooks, train_progress *p, train_result *res,
                         char *err, size_t errlen) {
    int64_t step = t->st.step;
    int last = step == t->total_steps;
    int stop = hooks && hooks->stop && *hooks->stop;
    if (step % t->cfg.eval_every == 0 && !last) {
        if (check_data(t, 1, err, errlen)) return PART_ERR;
        p->val_loss = evaluate(t);
        if (device_ok(t, err, errlen)) return PART_ERR;
        table_append(t->evl, (double[]){step, t->st.tokens, p->val_loss});
        log_quant_stats(t, step);
    }
    if (hooks && hooks->progress) hooks->progress(p, hooks->ctx);
    if (t->cfg.ptq_every > 0 && t->cfg.ptq[0] && step % t->cfg.ptq_every == 0 && !last) {
        double p0 = now_s();
        if (to_host(t, err, errlen) || ptq_in_log(t, t->m.params, step, err, errlen))
            return PART_ERR;
        t->t0 += now_s() - p0; /* PTQ time is not training time */
    }
    if (hooks && hooks->abort_after_steps && t->steps_here >= hooks->abort_after_steps) {
        snprintf(res->status, sizeof res->status, "aborted");
        return PART_EARLY;
    }
    /* A kept checkpoint (ckpt_keep), where branches start: the run file first, so that it
     * holds every row up to this step while the checkpoint exists. */
    int keep = run_ckpt_keep_has(t->cfg.ckpt_keep, step, err, errlen);
    if (keep < 0) return PART_ERR;
    if (keep) {
        char kept[640];
        train_kept_checkpoint_path(t->cfg.out, step, kept, sizeof kept);
        t->st.rng_state = t->gen.state;
        if (to_host(t, err, errlen) || runlog_save(&t->log, t->cfg.out, err, errlen) ||
            checkpoint_save(kept, &t->st, t->m.params, t->adam_m, t->adam_v, err, errlen))
            return PART_ERR;
    }
    if (last) return PART_OK; /* a stop asked at the last step finishes the run instead */
    /* The run file is saved before the checkpoint: after a crash between the two, the
     * resumed run truncates the log back to the checkpoint's step. */
    if (step % t->cfg.ckpt_every == 0 || stop) {
        t->st.rng_state = t->gen.state;
        if (to_host(t, err, errlen) || runlog_save(&t->log, t->cfg.out, err, errlen) ||
            checkpoint_save(t->ckpt_path, &t->st, t->m.params, t->adam_m, t->adam_v, err, errlen))
            return PART_ERR;
    }
    if (stop) {
        snprintf(res->status, sizeof res->status, "stopped");
        res->steps = t->st.step, res->tokens = t->st.tokens, res->wall = t->st.wall;
        return PART_EARLY;
    }
    return PART_OK;
}

/* A trained run: the final checkpoint, evaluation and PTQ; then (trained or diverged)
 * /final and the last save. */
static int train_finish(trainer *t, const train_hooks *hooks, train_result *res, char *err,
                        size_t errlen) {
    double val_loss = NAN;
    if (!strcmp(t->status, "done")) {
        /* The final checkpoint holds the trained weights for post-training quantization.
         * The log is saved first, with every training row: a run killed after this
         * checkpoint resumes at the last step with nothing left to train, so rows missing
         * from the file then would be missing for good. The final evaluation, PTQ and
         * /final follow; they are redone on such a resume (the same weights give the same
         * values). The last /quant row, like the others, covers the training steps since
         * the last evaluation; a run resumed here trained nothing and has that row already. */
        if (t->steps_here > 0) log_quant_stats(t, t->st.step);
        t->st.rng_state = t->gen.state;
        if (to_host(t, err, errlen) || runlog_save(&t->log, t->cfg.out, err, errlen) ||
            checkpoint_save(t->ckpt_path, &t->st, t->m.params, t->adam_m, t->adam_v, err, errlen))
            return PART_ERR;
        if (hooks && hooks->abort_after_final_checkpoint) {
            snprintf(res->status, sizeof res->status, "aborted");
            return PART_EARLY;
        }
        if (check_data(t, 1, err, errlen)) return PART_ERR;
        val_loss = evaluate(t);
        if (device_ok(t, err, errlen)) return PART_ERR;
        /* a run that failed after this point before (its final PTQ, say) saved this row */
        table_truncate_after(t->evl, t->st.step - 1);
        table_append(t->evl, (double[]){t->st.step, t->st.tokens, val_loss});
        double tok_s = t->steps_here
                           ? (double)t->steps_here * t->cfg.batch * t->cfg.ctx / (now_s() - t->t0)
                           : 0;
        train_progress p = {t->st.step, t->total_steps, t->st.tokens, t->st.tokens, t->last_loss, 0,
                            0,          tok_s,          t->st.wall,   val_loss};
        if (hooks && hooks->progress) hooks->progress(&p, hooks->ctx);
        if (t->cfg.ptq[0] && ptq_in_log(t, t->m.params, t->st.step, err, errlen)) return PART_ERR;
    }
    /* Mean training loss over the last evaluation interval, from the log itself so
     * that a resumed run reports the same value. */
    const table *trn = t->trn;
    double train_loss = 0;
    size_t from = trn->rows > (size_t)t->cfg.eval_every ? trn->rows - (size_t)t->cfg.eval_every : 0;
    for (size_t i = from; i < trn->rows; i++) train_loss += table_get(trn, TRAIN_LOSS_COL, i);
    train_loss = trn->rows > from ? train_loss / (double)(trn->rows - from) : NAN;
    set_final(t, &t->shape, t->status, t->reason, val_loss, train_loss, t->diverged_step);
    if (runlog_save(&t->log, t->cfg.out, err, errlen)) return PART_ERR;
    snprintf(res->status, sizeof res->status, "%s", t->status);
    /* (the length is tested so that a long note is cut, not warned about) */
    if (snprintf(res->reason, sizeof res->reason, "%s", t->reason[0] ? t->reason : t->note) >=
        (int)sizeof res->reason)
        res->reason[sizeof res->reason - 1] = 0;
    res->val_loss = val_loss, res->train_loss = train_loss;
    res->steps = t->st.step, res->tokens = t->st.tokens, res->wall = t->st.wall;
    return PART_OK;
}

int train_run(const train_config *cfg_in, const train_hooks *hooks, train_result *res, char *err,
              size_t errlen) {
    trainer t;
    memset(&t, 0, sizeof t);
    memset(res, 0, sizeof *res);
    runlog_init(&t.log);
    t.cfg = *cfg_in;
    t.lock_fd = -1;
    t.threads = train_set_threads(t.cfg.threads);

    int part = train_open(&t, hooks, res, err, errlen);
    if (part == PART_OK) part = train_begin(&t, res, err, errlen);
    while (part == PART_OK && t.st.step < t.total_steps) {
        train_progress p;
        part = train_step(&t, &p, err, errlen);
        if (part == PART_EARLY) {
            part = PART_OK; /* diverged: on to /final */
            break;
        }
        if (part == PART_OK) part = between_steps(&t, hooks, &p, res, err, errlen);
    }
    if (part == PART_OK) part = train_finish(&t, hooks, res, err, errlen);
    int rc = part == PART_ERR ? -1 : 0;
    if (rc && t.log.root.n) {
        /* Record the failure in the run file when there is one to record it in. */
        char e2[256];
        set_final(&t, &t.shape, "failed", err, NAN, NAN, -1);
        runlog_save(&t.log, t.cfg.out, e2, sizeof e2);
    }
    if (rc) snprintf(res->status, sizeof res->status, "failed");
    run_file_unlock(t.lock_fd, t.cfg.out);
    trainer_free(&t);
    return rc;
}
