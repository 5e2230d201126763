#ifndef SWEEP_RUNSTATE_H
#define SWEEP_RUNSTATE_H
/* What a run of a sweep looks like on disk (docs/sweeps.md), beside its run file
 * <dir>/<name>.h5 and checkpoint <name>.ckpt:
 *   <name>.state  one line "state pid host time [reason]", replaced atomically (rename);
 *   <name>.lock   held (flock) by the process training the run, released by the kernel
 *                 when that process dies, so a dead "running" run is seen as resumable;
 *   <name>.log    the output of the processes that trained it.
 * The run file decides: /final status done, diverged or failed is final; a run file of
 * another run_id is a conflict, never overwritten without --force. */
#include "sweepdef.h"

#include <stdint.h>

typedef enum {
    RS_PENDING, /* not started, or partly trained and not running (resumable) */
    RS_RUNNING,
    RS_DONE,
    RS_DIVERGED,
    RS_FAILED,
    RS_CONFLICT, /* the run file belongs to another configuration */
    RS_WAITING,  /* a branch not started whose parent has not kept its checkpoint yet */
    RS_COUNT
} run_state;

const char *run_state_name(run_state s);

enum { RUNSTATE_PTQ_MAX = 8, RUNSTATE_RATE_ROWS = 10 };
#define RUNSTATE_EMA_BETA 0.9

/* One /ptq table of a run file. */
typedef struct run_ptq {
    char table[48]; /* e.g. "gptq", "rtn_int_g128_asym" */
    int rows;       /* rows of the table */
    int nbits;      /* distinct bit widths of the rows at the table's last step (first 16) */
    int64_t step;   /* that step */
    double bits[16];
} run_ptq;

typedef struct run_status {
    run_state state;
    int started;           /* a run file or checkpoint exists */
    int interrupted;       /* the state file says running but nobody holds the lock */
    int64_t step, tokens;  /* last logged row of /train (0: none) */
    double loss, val_loss; /* last training loss; final validation loss (NaN: none) */
    double wall;           /* training seconds so far */
    char reason[256];
    char file_run_id[24]; /* run_id recorded in the run file, for conflicts */
    long pid;
    char host[64];
    /* For sweep status --json / --watch (docs/sweeps.md), from the run file: */
    int held;           /* a process holds the run's lock now */
    int has_final;      /* the run file has /final */
    size_t train_rows;  /* rows of /train */
    double smooth_loss; /* EMA of /train loss: m_k = b m_(k-1) + (1 - b) loss_k with
                         * b = RUNSTATE_EMA_BETA, over every row, divided by 1 - b^rows
                         * (the first row's loss after one row); NaN if a loss is not */

    double tok_per_s;  /* tokens / wall seconds between the last row of /train and the
                        * row RUNSTATE_RATE_ROWS before it (or the first); with one row,
                        * tokens / wall; NaN when unknown */
    double eval_loss;  /* loss of the last /eval row (NaN: none) */
    int64_t eval_step; /* its step (0: none) */
    int nptq;          /* /ptq tables in the file (at most RUNSTATE_PTQ_MAX described) */
    run_ptq ptq[RUNSTATE_PTQ_MAX];
} run_status;

/* Inspects a run's files. Never modifies anything. */
void runstate_read(const sweep_run *r, run_status *st);

/* Paths of a run's side files: suffix is "state", "lock", "log". */
void runstate_path(const sweep_run *r, const char *suffix, char *buf, size_t len);

/* Replaces <name>.state atomically with "state pid host time reason". */
int runstate_write(const sweep_run *r, const char *state, const char *reason, char *err,
                   size_t errlen);

/* Takes the run's lock without waiting: returns the descriptor (keep it open while
 * training), -2 if another process holds it, -1 on an error (err set). */
int runstate_lock(const sweep_run *r, char *err, size_t errlen);

/* mkdir -p. */
int make_dirs(const char *path, char *err, size_t errlen);

/* Writes len bytes to path atomically (temporary file, fsync, rename). */
int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);
#endif
