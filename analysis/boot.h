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
    char why[800]; /* why not */
    size_t nfit;   /* points fitted on (summed over folds) */
    int folds;     /* folds evaluated */
    int warm;      /* of them, fits finished from the full-data optimum (their fit from the
                      start grid did not converge) */
    psl_quality q; /* on the held-out points, pooled */
    /* leave-largest-N-out: how many N values were held out, the smallest and largest */
    int nvals;
    double nlo, nhi;
} psl_heldout;

/* Leave-largest-N-out holds out the runs of the largest N and, when that is less than
 * this share of the points (N nearly unique per run, as in digitised published tables),
 * those of the next largest N too, while the held-out points stay within it. */
#define PSL_LNLO_SHARE 0.15

/* Fit on runs with N below the largest N values, predict those: the largest N, and the
 * next largest while the held-out points stay within PSL_LNLO_SHARE of all points and
 * two N are left to fit on. Each held-out fit starts
 * from the grid; one that does not converge there is started again from the full-data
 * optimum (m0, u0: the model set up on all n points and its fit; NULL: none), then
 * continued from where it stopped, and when none converges why names the parameter that
 * runs away. */
void psl_heldout_largest_n(const psl_law *law, const psl_point *const *pts, size_t n,
                           const psl_fit_opts *o, const psl_model *m0, const double *u0,
                           psl_heldout *out);

/* k-fold cross-validation by (N, D) cell: all points of a cell are held out together.
 * Cells are dealt to folds after a shuffle seeded by seed. Folds are fitted as in
 * psl_heldout_largest_n, with the same warm start. */
void psl_heldout_kfold(const psl_law *law, const psl_point *const *pts, size_t n, int k,
                       uint64_t seed, const psl_fit_opts *o, const psl_model *m0, const double *u0,
                       psl_heldout *out);

/* Whether the bootstrap pins parameter k down: 1 when its 95% interval, from at least 10
 * converged replicates, is not a single point (a parameter the fit never moves) and is
 * narrow: within a factor 10 for a positive parameter fitted in log space (and above 0),
 * a half-width at most |value| for the others (so the sign is known). 0 when not, -1
 * when there is no interval to judge by. */
int psl_boot_determined(const psl_boot *b, int log_space, int k, double value);

uint64_t psl_rng_next(uint64_t *state);

#endif
