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
} ckpt_state;

int checkpoint_save(const char *path, const ckpt_state *st, const float *params, const float *m,
                    const float *v, char *err, size_t errlen);
/* Reads the header only. */
int checkpoint_peek(const char *path, ckpt_state *st, char *err, size_t errlen);
/* Reads a checkpoint of n_params parameters; m and v may be NULL to skip the
 * moments (the checksum is still verified). */
int checkpoint_load(const char *path, ckpt_state *st, uint64_t n_params, float *params, float *m,
                    float *v, char *err, size_t errlen);
#endif
