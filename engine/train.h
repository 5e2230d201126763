#ifndef ENGINE_TRAIN_H
#define ENGINE_TRAIN_H
/* One training run, from resolved knobs to a finished run file: data, model,
 * AdamW, schedule, evaluation, checkpoints, divergence detection, resume. */
#include "config.h"

#include <signal.h>
#include <stdint.h>

typedef struct train_progress {
    int64_t step, total_steps, tokens, total_tokens;
    double loss, lr, grad_norm;
    double tokens_per_s; /* over the steps of this process */
    double elapsed;      /* training seconds, summed over resumes */
    double val_loss;     /* NaN unless this step evaluated */
} train_progress;

typedef void (*train_progress_fn)(const train_progress *p, void *ctx);

typedef struct train_result {
    char status[16]; /* done | diverged | failed | stopped | skipped */
    char reason[256];
    double val_loss, train_loss, wall;
    int64_t steps, tokens, resumed_from;
    int64_t branched_at; /* branch_from: the parent's step this run started from (else 0) */
    size_t buffer_bytes; /* model, gradients, optimizer state and activations */
    char run_file[512], checkpoint[600];
    train_config config; /* the knobs as resolved against the data (when they were) */
} train_result;

typedef struct train_hooks {
    train_progress_fn progress; /* may be NULL */
    void *ctx;
    volatile sig_atomic_t *stop; /* when set, the run checkpoints and returns "stopped" */
    /* Test hook: stop (as if killed, without a final checkpoint) after this many
     * steps of this process; 0 = never. */
    int64_t abort_after_steps;
    /* The caller holds the run's lock already (run_file_lock in engine/fsutil.h, as
     * `sweep exec` does); otherwise train_run takes it and fails when another process
     * holds it. */
    int run_file_locked;
    /* Test hook: stop (as if killed) right after the final checkpoint, before the final
     * evaluation and the run file's /final. */
    int abort_after_final_checkpoint;
} train_hooks;

/* Trains the run described by cfg (resolved here against the data). Resumes from
 * the checkpoint beside the run file when there is one. Returns 0 when the run
 * ended (done, diverged), was stopped or was already done (res->status says
 * which), -1 on an error (message in err; the run file says "failed" when it
 * could be written). */
int train_run(const train_config *cfg, const train_hooks *hooks, train_result *res, char *err,
              size_t errlen);

/* Adds to a finished run's file the PTQ its knobs ask for that the file does not hold
 * yet (a sweep that added ptq knobs after the run was trained): for the callers of
 * train_run when it says "skipped" with reason "already done", cfg being res->config.
 * The caller holds the run's lock (run_file_lock). *did: whether any rows were added. */
int train_ptq_finished(const train_config *cfg, int *did, char *err, size_t errlen);

/* The checkpoint path of a run file: its name with ".h5" replaced by ".ckpt". */
void train_checkpoint_path(const char *run_file, char *out, size_t len);
/* The checkpoint a run keeps at `step` (ckpt_keep): ".h5" replaced by ".step<step>.ckpt". */
void train_kept_checkpoint_path(const char *run_file, int64_t step, char *out, size_t len);

/* Sets the OpenMP and OpenBLAS thread counts (0: all cores); returns the count. */
int train_set_threads(int64_t threads);
#endif
