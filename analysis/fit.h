/* Fitting one law: the Huber objective on log targets, a grid of starts polished with
 * GSL's BFGS2, and fit-quality statistics. See docs/laws.md for the choices. */
#ifndef PSL_ANALYSIS_FIT_H
#define PSL_ANALYSIS_FIT_H

#include "law.h"

typedef struct {
    double huber_delta; /* 1e-3, as Hoffmann et al. */
    int polish;         /* BFGS runs from this many best grid points */
    int max_grid;       /* larger start grids are sampled down to this many points */
    int max_iter;       /* BFGS iterations per start (and per restart) */
    int restarts;       /* BFGS restarts from the last point when not yet converged */
    int scout_iter;     /* iterations each kept start gets before the best three go on */
    double gtol;        /* convergence: |grad| <= gtol * huber_delta * sum of weights */
    double boot_gtol;   /* the same for bootstrap replicates (started at the optimum) */
    double delta_floor; /* noise floor of delta_PTQ for delta laws (floor.h); 0: none */
} psl_fit_opts;

void psl_fit_opts_default(psl_fit_opts *o);

typedef struct {
    double u[PSL_MAXP]; /* internal parameters (log of the positive ones) */
    double obj;         /* sum of weighted Huber terms */
    double gnorm;       /* gradient norm at u */
    int converged;      /* gradient test passed (or no progress possible at a tiny gradient) */
    int iters;          /* BFGS iterations of the kept start */
    int starts;         /* grid points evaluated */
    char msg[160];      /* why it did not converge */
} psl_fit;

/* A fitting problem: the model, its points, their log targets and weights (NULL = 1), and
 * for a delta law the noise floor its predictions are raised to (0: none). A bootstrap
 * replicate leaves out the points of weight 0 (they add nothing to any sum of the fit);
 * n_all is then the count before, which the fit's n >= p check uses (0: n). */
typedef struct {
    const psl_model *m;
    const psl_point *const *pts;
    const double *logy;
    const double *w;
    size_t n;
    double delta;
    double floor;
    size_t n_all;
} psl_problem;

/* The smoothness of the floor: a prediction p is measured as (p^K + floor^K)^(1/K). */
#define PSL_FLOOR_K 4.0

/* log of what a delta law's prediction exp(lp) is measured as, given the noise floor f:
 * log((exp(K lp) + f^K)^(1/K)), a smooth max of the prediction and the floor (-INFINITY
 * for lp is the floor itself). *dlp (may be NULL) gets d/dlp. lp itself when f <= 0.
 * Targets at or below the floor are set to it (psl_log_targets), so such a point costs
 * nothing while the law predicts less than the floor: a censored point. See docs/laws.md
 * "Noise floor". */
double psl_floor_lp(double lp, double dfloor, double *dlp);

/* The log prediction of point i of pr as measured (psl_floor_lp); grad (may be NULL)
 * gets d/du. prep from psl_prepare or NULL. */
double psl_problem_lp(const psl_problem *pr, const double *u, const psl_prep *prep, size_t i,
                      double *grad);
/* The same with lfloor = log(pr->floor) given (ignored without a floor), for loops over
 * the points. */
double psl_problem_lp_at(const psl_problem *pr, const double *u, const psl_prep *prep,
                         double lfloor, size_t i, double *grad);

/* sum_i w_i huber_delta(lp_i(u) - logy_i), lp from psl_problem_lp; grad (may be NULL)
 * gets d/du. */
double psl_objective(const psl_problem *pr, const double *u, double *grad);

/* The first degradation constant C_x of m whose shown value at u is not finite, or -1: a
 * fit stopping there (C_x -> infinity: objective flat, gradient 0) is not converged. */
int psl_fit_infinite_param(const psl_model *m, const double *u);

/* One BFGS2 run from u0. Returns 0 when converged. */
int psl_fit_from(const psl_problem *pr, const psl_fit_opts *o, const double *u0, psl_fit *out);

/* BFGS2 from u0, then IRLS from where it stopped if it did not converge. */
int psl_fit_polish(const psl_problem *pr, const psl_fit_opts *o, const double *u0, psl_fit *out);

/* The same objective minimised by IRLS with the Levenberg-Marquardt step of GSL's
 * multifit_nlinear (irls.c): fast from a nearby start. Returns 0 when converged. */
int psl_fit_irls(const psl_problem *pr, const psl_fit_opts *o, const double *u0, psl_fit *out);

/* Grid of starts, best few polished, best kept. Returns 0 when the kept fit converged. */
int psl_fit_grid(const psl_problem *pr, const psl_fit_opts *o, psl_fit *out);

/* Fills logy (n values) with the log targets of pts for the model's law; for a delta law
 * a target at or below dfloor (> 0) is the floor (a censored point). */
void psl_log_targets(const psl_law *law, const psl_point *const *pts, size_t n, double dfloor,
                     double *logy);

typedef struct {
    size_t n;
    double r2_log, rmse_log; /* on log targets */
    double r2_lin, rmse_lin; /* on targets */
} psl_quality;

/* Quality of predictions pred (log space) against logy. Points with non-finite
 * predictions are left out (n says how many were used). */
void psl_quality_eval(const double *logy, const double *logpred, size_t n, psl_quality *q);

#endif
