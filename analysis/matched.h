/* Compute-matched runs read off without a law (the test of Kumar et al. 2024 Sec. 4.3's
 * compute-optimal precision P* that needs no fit): runs trained at one tied precision P
 * (P_w = P_a = P_kv; unquantized runs count as 16 bits, the paper's BF16 baseline) are
 * grouped by their compute C = (P/16) 6 N D, to two significant digits (a run's D is
 * whole steps, so C is not exact); per budget and precision, the size with the lowest
 * final loss (the seeds of one (P, N) averaged) and whether it lies inside the sizes
 * tried, then the precisions ranked. Nothing is fitted: every number is in the run table
 * (scripts/pstar_table.py prints the same from run files). */
#ifndef PSL_ANALYSIS_MATCHED_H
#define PSL_ANALYSIS_MATCHED_H

#include "data.h"

#define PSL_MATCHED_MAXB 16 /* budgets */
#define PSL_MATCHED_MAXP 8  /* precisions per budget */
#define PSL_MATCHED_MAXN 16 /* sizes per precision */

enum { PSL_MATCHED_INSIDE, PSL_MATCHED_SMALLEST, PSL_MATCHED_LARGEST, PSL_MATCHED_ONE_SIZE };

typedef struct {
    double P;                      /* tied bits; 16 for unquantized */
    int nsizes;                    /* distinct N trained at this P in this budget */
    double N[PSL_MATCHED_MAXN];    /* those sizes, ascending */
    double loss[PSL_MATCHED_MAXN]; /* final loss at each (mean over its seeds) */
    double D[PSL_MATCHED_MAXN];    /* tokens at each (of its first run) */
    int seeds[PSL_MATCHED_MAXN];   /* runs averaged at each */
    int best;                      /* index of the lowest loss */
    int where;                     /* PSL_MATCHED_*: the best against the sizes tried */
} psl_matched_row;

typedef struct {
    double C;  /* the budget, two significant digits */
    int nruns; /* runs in it */
    int nrows; /* precisions, ranked by best loss (lowest first) */
    psl_matched_row row[PSL_MATCHED_MAXP];
} psl_matched_budget;

typedef struct {
    int nb;                                 /* budgets with 2 or more precisions */
    psl_matched_budget b[PSL_MATCHED_MAXB]; /* ascending C */
    int skipped;                            /* runs left out: more budgets, precisions or sizes
                                               than the limits above */
} psl_matched;

/* Fills out from the training points of d (PTQ points and runs whose parts differ in
 * precision are not compute-matched in this sense and are left out). Returns out->nb. */
int psl_matched_find(const psl_data *d, psl_matched *out);

/* "inside the sizes tried", "at the smallest size tried", ... */
const char *psl_matched_where(int where);

#endif
