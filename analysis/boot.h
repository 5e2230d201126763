/* Bootstrap over runs and held-out evaluation of one law. */
#ifndef PSL_ANALYSIS_BOOT_H
#define PSL_ANALYSIS_BOOT_H

#include <stdint.h>

#include "fit.h"

typedef struct {
    int B;                             /* replicates drawn */
    int ok;                            /* replicates whose fit converged */
    double lo[PSL_MAXP], hi[PSL_MAXP]; /* 95% percentile interval (shown values) */
    double se[PSL_MAXP];               /* standard deviation over replicates */
} psl_boot;

/* Resamples the runs of pr's points with replacement B times (all points of a drawn run
 * enter with its multiplicity), refits from uhat, and summarises the shown parameters.
 * Replicate b draws from its own stream seeded by (seed, b), so results do not depend on
 * the number of OpenMP threads. samples (optional, B * np) receives each replicate's
 * shown values (NAN when it did not converge). */
int psl_bootstrap(const psl_problem *pr, const psl_fit_opts *o, const double *uhat, int B,
                  uint64_t seed, psl_boot *out, double *samples);

typedef struct {
    int ok;        /* evaluated */
    char why[512]; /* why not */
    size_t nfit;   /* points fitted on (summed over folds) */
    int folds;     /* folds evaluated */
    psl_quality q; /* on the held-out points, pooled */
} psl_heldout;

/* Fit on runs with N below the largest N, predict the largest. */
void psl_heldout_largest_n(const psl_law *law, const psl_point *const *pts, size_t n,
                           const psl_fit_opts *o, psl_heldout *out);

/* k-fold cross-validation by (N, D) cell: all points of a cell are held out together.
 * Cells are dealt to folds after a shuffle seeded by seed. */
void psl_heldout_kfold(const psl_law *law, const psl_point *const *pts, size_t n, int k,
                       uint64_t seed, const psl_fit_opts *o, psl_heldout *out);

/* Whether the bootstrap pins parameter k down: 1 when its 95% interval, from at least 10
 * converged replicates, is not a single point (a parameter the fit never moves) and is
 * narrow: within a factor 10 for a positive parameter fitted in log space (and above 0),
 * a half-width at most |value| for the others (so the sign is known). 0 when not, -1
 * when there is no interval to judge by. */
int psl_boot_determined(const psl_boot *b, int log_space, int k, double value);

uint64_t psl_rng_next(uint64_t *state);

#endif
