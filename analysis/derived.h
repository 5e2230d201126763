/* Quantities derived from fitted laws: compute-optimal precision, compute-optimal N and D,
 * D_crit, N_eff/N; each with a bootstrap interval (the same replicate of every law it
 * uses) and a flag when it lies beyond the runs the laws were fitted on. See
 * docs/laws.md, "Derived quantities". */
#ifndef PSL_ANALYSIS_DERIVED_H
#define PSL_ANALYSIS_DERIVED_H

#include "analyze.h"

#define PSL_DCRIT_MAX 64

/* One derived value: the estimate from the fitted laws, its 95% percentile interval over
 * the bootstrap replicates that converged and gave a finite value (nrep of them; 0: no
 * interval), and where it lies against the range [lo_run, hi_run] the runs cover in the
 * same quantity: extrap is 0 inside, -1 below, 1 above, and factor says how far (value /
 * hi_run above, lo_run / value below). */
typedef struct {
    double v, lo, hi;
    int nrep;
    int extrap;
    double factor, lo_run, hi_run;
} psl_dq;

typedef struct {
    /* P* for tied precision P_w = P_a = P_kv = P with N, D, P free: argmax f(P)/P; the
     * range is the quantized (< 16 bit) precisions trained */
    int have_pstar;
    char pstar_law[32];
    psl_dq pstar;
    /* compute-optimal N and D (C = 6 N D) from chinchilla_tied at the compute of the
     * largest high-precision run */
    int have_copt;
    double copt_C;
    psl_dq copt_N, copt_D;
    /* D_crit from the PTQ law and the tied Chinchilla fit, per (N, P_post); the range is
     * the D trained */
    int ndcrit;
    double dcrit_N[PSL_DCRIT_MAX], dcrit_P[PSL_DCRIT_MAX];
    psl_dq dcrit[PSL_DCRIT_MAX];
    int dcrit_p_extrap[PSL_DCRIT_MAX]; /* P_post outside the PTQ bits fitted */
    /* whether the laws each quantity comes from are determined (psl_law_determined) */
    int pstar_det, copt_det, dcrit_det;
    char why_pstar[256], why_copt[256], why_dcrit[256];
} psl_derived;

/* Finds the fitted result of a law by name; NULL when absent or not fitted. */
const psl_law_result *psl_result_find(const psl_law_result *res, int n, const char *name);

/* log of N_eff/N for tied precision P under a fitted N_eff law (joint, with or without
 * offsets) at its fitted parameters; parts mask chooses which factors (1 w, 2 a, 4 kv). */
double psl_neff_log_ratio(const psl_law_result *r, double P, unsigned parts);
/* The same at internal parameters u of r's model (a bootstrap replicate). */
double psl_neff_log_ratio_u(const psl_law_result *r, const double *u, double P, unsigned parts);

/* Loss of the N_eff law at (N, D, tied P). */
double psl_neff_loss(const psl_law_result *r, double N, double D, double P);

/* P minimising the loss at fixed N and compute C = (6/16) N D P (D follows from P). */
double psl_pstar_fixed_n(const psl_law_result *r, double N, double C);

/* The argmax of f(P)/P over 1..32 bits (0.001-bit grid) at parameters u of r. */
double psl_pstar_u(const psl_law_result *r, const double *u);

void psl_derive(const psl_law_result *res, int n, const psl_data *d, psl_derived *out);

/* "within the runs", or how far beyond them, for reports. */
void psl_dq_where(const psl_dq *q, const char *what, char *buf, size_t len);

#endif
