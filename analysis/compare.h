/* Each law against its simpler forms (psl_baselines, law.h) on the same points and the
 * same k-fold split by (N, D) cell: held-out R^2 and information criteria. See
 * docs/laws.md, "Baselines". A comparison, not a significance test. */
#ifndef PSL_ANALYSIS_COMPARE_H
#define PSL_ANALYSIS_COMPARE_H

#include "boot.h"

#define PSL_MAXBASE 6

/* Gaussian information criteria from log residuals (logpred - logy, as measured: for a
 * delta law with the noise floor), over the points where both are finite (*m gets their
 * count; may be NULL): with RSS their sum of squares,
 *   AIC = m log(RSS/m) + 2 k,   BIC = m log(RSS/m) + k log m,
 * -2 log L of a Gaussian with its variance at the maximum-likelihood value, less a
 * constant that is the same for every model scored on the same m points. NAN when m is 0
 * or RSS is 0. */
void psl_info_criteria(const double *logy, const double *logpred, size_t n, int k, double *aic,
                       double *bic, size_t *m);

typedef struct {
    const psl_law *base;
    int ok;        /* fitted and compared (else why says why not) */
    int converged; /* its fit converged; when not, it is compared where it stopped and why
                      says so (the comparison then favours the law slightly) */
    char why[256];
    int np;                  /* its parameters (0 when it could not be set up) */
    psl_quality q;           /* its fit on the law's points */
    size_t n_ic;             /* points the criteria are computed on: both predictions finite */
    double aic, bic;         /* of the baseline */
    double law_aic, law_bic; /* of the law, on the same n_ic points */
    psl_heldout kfold;       /* its k-fold check: the law's k, seed and points, so the folds */
    int by_aic;              /* judged by AIC alone (a k-fold result is missing) */
    int beaten;              /* 1: the law beats it, 0: it does not, -1: not judged */
} psl_cmp_row;

typedef struct {
    int n; /* baselines listed (those of the law's target, except the law itself) */
    psl_cmp_row row[PSL_MAXBASE];
    double aic, bic; /* of the law on its own points (psl_info_criteria) */
    int beats;       /* 1: beats every judged baseline; 0: some baseline is as good; -1: none
                        judged */
} psl_compare;

/* Compares law, fitted as pr (its model, points, log targets, noise floor) with log
 * predictions logpred (as measured) and k-fold result kf (NULL or not ok: none), with
 * every baseline of its target (except one of the same name). A baseline with as many
 * parameters as the law or more is listed, not compared. The others are fitted on the
 * same points with the same floor and, when heldout, cross-validated with the same k and
 * seed, hence the same folds. The law beats a baseline when its k-fold R^2 (log) is higher
 * and its AIC lower; without k-fold results on both, when its AIC is lower. o->delta_floor
 * must be the floor pr was fitted with (the k-fold fits take it from o). Returns 0, -1
 * when out of memory. */
int psl_compare_baselines(const psl_law *law, const psl_problem *pr, const double *logpred,
                          const psl_heldout *kf, int kfold, uint64_t seed, int heldout,
                          const psl_fit_opts *o, psl_compare *out);

/* psl_compare_baselines in two parts, so that laws fitted on the same points (the same
 * selection, targets and floor) share their baselines' fits and k-fold checks, and those
 * can run in parallel: one psl_base_fit per baseline psl_base_wanted by the law, in
 * catalogue order (at most PSL_MAXBASE), then psl_compare_judge. */
typedef struct {
    const psl_law *base;
    char why[256]; /* why it was not set up or not fitted, or that it stopped early */
    int np;        /* its parameters (0: not set up) */
    int ok;        /* fitted (a baseline not simpler than law_np is not) */
    int converged;
    int oom;
    double *blp;       /* its log predictions (as measured) on the points */
    psl_quality q;     /* its fit */
    psl_heldout kfold; /* its k-fold check (zero when not asked for) */
} psl_base_fit;

/* 1 when law is compared with baseline bl: the same target, another name. */
int psl_base_wanted(const psl_law *law, const psl_law *bl);
/* Sets up bl on pr's points and, when it has fewer parameters than law_np, fits it with
 * pr's targets, weights and floor and, when heldout, cross-validates it with k and seed. */
void psl_base_fit_run(const psl_law *bl, const psl_problem *pr, int kfold, uint64_t seed,
                      int heldout, const psl_fit_opts *o, int law_np, psl_base_fit *bf);
void psl_base_fit_free(psl_base_fit *bf);
/* The comparison of law (fitted as pr, predictions logpred, k-fold kf) from the fits of
 * its wanted baselines, fits[k] for the k-th; as psl_compare_baselines. Fits made for a
 * law with more parameters serve: a baseline not simpler than this law is listed as so. */
int psl_compare_judge(const psl_law *law, const psl_problem *pr, const double *logpred,
                      const psl_heldout *kf, const psl_base_fit *const *fits, psl_compare *out);

#endif
