/* Quantities derived from fitted laws: compute-optimal precision, D_crit, N_eff/N. */
#ifndef PSL_ANALYSIS_DERIVED_H
#define PSL_ANALYSIS_DERIVED_H

#include "analyze.h"

#define PSL_DCRIT_MAX 64

typedef struct {
    /* P* for tied precision P_w = P_a = P_kv = P with N, D, P free: argmax f(P)/P */
    int have_pstar;
    char pstar_law[32];
    double pstar;
    /* D_crit from the PTQ law and the tied Chinchilla fit, per (N, P_post) */
    int ndcrit;
    double dcrit_N[PSL_DCRIT_MAX], dcrit_P[PSL_DCRIT_MAX], dcrit[PSL_DCRIT_MAX];
    char why_pstar[256], why_dcrit[256];
} psl_derived;

/* Finds the fitted result of a law by name; NULL when absent or not fitted. */
const psl_law_result *psl_result_find(const psl_law_result *res, int n, const char *name);

/* log of N_eff/N for tied precision P under a fitted N_eff law (joint, with or without
 * offsets); parts mask chooses which factors (1 w, 2 a, 4 kv). */
double psl_neff_log_ratio(const psl_law_result *r, double P, unsigned parts);

/* Loss of the N_eff law at (N, D, tied P). */
double psl_neff_loss(const psl_law_result *r, double N, double D, double P);

/* P minimising the loss at fixed N and compute C = (6/16) N D P (D follows from P). */
double psl_pstar_fixed_n(const psl_law_result *r, double N, double C);

void psl_derive(const psl_law_result *res, int n, const psl_data *d, psl_derived *out);

#endif
