#ifndef SWEEP_SLURM_H
#define SWEEP_SLURM_H
/* `sweep run --slurm`: one Slurm array job per sweep, one task per run not yet done.
 * Each task runs `sweep exec <dir>/sweep.lua --dir <dir> --index $SLURM_ARRAY_TASK_ID`,
 * so tasks follow the local rules (skip, resume, lock, conflict) and `sweep status`
 * reads their progress from the same files. */
#include "sweepdef.h"

typedef struct slurm_opts {
    const char *partition, *time; /* NULL: the cluster's defaults */
    int array_limit;              /* at most this many tasks at once (0: no limit) */
    int threads;                  /* --cpus-per-task */
    const char **sbatch_args;     /* extra #SBATCH lines, e.g. "--account=x" */
    int nsbatch_args;
} slurm_opts;

/* Writes the batch script for runs idx[0..n) of d (config_copy: the saved sweep.lua;
 * self: this program) and submits it; prints the job id. */
int slurm_submit(const sweep_def *d, const char *config_copy, const char *self, const size_t *idx,
                 size_t n, const slurm_opts *o, char *err, size_t errlen);

/* "0-3,5,7-9": the array spec of sorted indices. */
void slurm_array_spec(const size_t *idx, size_t n, char *buf, size_t len);
#endif
