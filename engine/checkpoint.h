#ifndef ENGINE_CHECKPOINT_H
#define ENGINE_CHECKPOINT_H
/* The full training state of a run, for resuming bit-identically and for
 * post-training quantization: a fixed header, then parameters, AdamW first and
 * second moments (float32, the layout of model.h), and an FNV-1a 64 checksum of
 * everything before it. Written atomically (temporary file, fsync, rename). */
#include <stddef.h>
#include <stdint.h>

typedef struct ckpt_state {
    uint64_t
        run_id; /* FNV-1a 64 of the run's canonical config: a checkpoint only resumes its own run */
    int64_t step;       /* optimizer steps done */
    int64_t tokens;     /* training tokens consumed */
    int64_t next_seq;   /* index of the next training sequence in the token stream */
    double wall;        /* training seconds so far */
    uint64_t rng_state; /* generator state (stochastic parts of training) */
    uint64_t n_params;
    /* Identity of the data the run was trained on (tokfile_identity of train.tok and
     * val.tok): a resume on other data is refused. 0 in a version 1 checkpoint, which
     * did not record it. */
    uint64_t train_id, val_id;
} ckpt_state;

/* Version 2 added train_id and val_id. Version 1 checkpoints still load (for resuming
 * and PTQ), with both 0. */
#define CKPT_VERSION 2

int checkpoint_save(const char *path, const ckpt_state *st, const float *params, const float *m,
                    const float *v, char *err, size_t errlen);
/* Every reader checks the header before it trusts it: magic, version, header size,
 * the file's size against n_params, and each field (step, tokens, next_seq >= 0, wall
 * finite and >= 0, n_params > 0); messages name the file and the field. Whether the
 * fields fit a run's config is for the caller (train_run checks them). */

/* Reads the header only (no checksum: the data is not read). */
int checkpoint_peek(const char *path, ckpt_state *st, char *err, size_t errlen);
/* Reads a checkpoint of n_params parameters; m and v may be NULL to skip the
 * moments (the checksum is still verified). */
int checkpoint_load(const char *path, ckpt_state *st, uint64_t n_params, float *params, float *m,
                    float *v, char *err, size_t errlen);
#endif
