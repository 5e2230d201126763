/* Everything fitlaws computes for one law: selection, identifiability, the fit, its
 * quality, bootstrap intervals and the two held-out checks. */
#ifndef PSL_ANALYSIS_ANALYZE_H
#define PSL_ANALYSIS_ANALYZE_H

#include "compare.h"

typedef struct {
    int bootstrap; /* replicates (0 = none) */
    uint64_t seed; /* bootstrap and fold seed */
    int kfold;     /* folds of the (N, D)-cell cross-validation */
    int heldout;   /* run the held-out checks */
    int baselines; /* compare each law with its simpler forms, the baselines (compare.h) */
    psl_fit_opts fit;
} psl_analysis_opts;

void psl_analysis_opts_default(psl_analysis_opts *o);

enum psl_law_status { PSL_LAW_FITTED, PSL_LAW_REFUSED, PSL_LAW_FAILED };

typedef struct {
    const psl_law *law;
    int status;    /* enum psl_law_status */
    char why[512]; /* refusal or failure reason */
    psl_model m;
    size_t n;  /* points fitted */
    int nruns; /* runs they come from */
    /* delta laws: the noise floor fitted with (0: none), and how many of the n points sit
     * at or below it (censored) and have delta <= 0 */
    double floor;
    size_t n_floor, n_nonpos;
    const psl_point **pts;
    double *logy, *logpred;
    psl_fit fit;
    psl_quality q;
    psl_boot boot;
    double *boot_u; /* boot.B x m.np internal parameters of each replicate (NAN row when it
                       did not converge), for the intervals of derived quantities */
    psl_heldout lnlo, kfold;
    psl_compare cmp; /* against its simpler forms (compare.h); beats -1 when not compared */
} psl_law_result;

/* Runs the whole analysis of law on d. Returns 0 even when the law is refused (status
 * says so); -1 only when out of memory. */
int psl_analyze_law(const psl_law *law, const psl_data *d, const psl_analysis_opts *o,
                    psl_law_result *r);
/* psl_analyze_law for each of laws[0..nl) into res[0..nl), in parallel (OpenMP): the
 * laws' fits, bootstrap replicates, held-out folds and baseline fits are tasks of one
 * team, and laws fitted on the same points share their baselines' fits. The results are
 * those of psl_analyze_law law by law, for any number of threads. Returns -1 when out of
 * memory, else 0. */
int psl_analyze_laws(const psl_law *const *laws, int nl, const psl_data *d,
                     const psl_analysis_opts *o, psl_law_result *res);
void psl_law_result_free(psl_law_result *r);

/* Whether the bootstrap determines parameter k of a fitted law (psl_boot_determined). */
int psl_param_determined(const psl_law_result *r, int k);

/* The law's verdict: 1 when the bootstrap determines every parameter, 0 when it leaves
 * some undetermined (the fit is then no finding: a flat objective has many optima) or
 * when the fit did not converge (no optimum: the objective falls away along some
 * direction), -1 without a bootstrap or for a law not identifiable. *ndet (may be NULL)
 * gets the count determined. */
int psl_law_determined(const psl_law_result *r, int *ndet);

#endif
