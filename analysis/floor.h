/* The noise floor of delta_PTQ: below it a measured degradation is not resolved from 0.
 * Estimated once per data set, used by every delta law (censoring, docs/laws.md "Noise
 * floor"). */
#ifndef PSL_ANALYSIS_FLOOR_H
#define PSL_ANALYSIS_FLOOR_H

#include "data.h"

enum psl_floor_method {
    PSL_FLOOR_NONE,     /* no PTQ points, or nothing to estimate from and no delta <= 0 */
    PSL_FLOOR_SEEDS,    /* pooled spread of delta over repeated configurations */
    PSL_FLOOR_TOPBITS,  /* spread of delta at the highest P_post, when some are < 0 */
    PSL_FLOOR_NEGATIVE, /* the largest |delta| among deltas < 0 (a lower bound) */
};

/* The floor is PSL_FLOOR_SIGMAS noise standard deviations: a delta below it is within
 * about 2 sd of no degradation. */
#define PSL_FLOOR_SIGMAS 2.0

typedef struct {
    int method;      /* enum psl_floor_method */
    double sd;       /* the noise standard deviation of delta (NAN for NEGATIVE and NONE) */
    double floor;    /* PSL_FLOOR_SIGMAS * sd (or the NEGATIVE bound); 0: none */
    int ncells;      /* SEEDS: configurations with repeats; TOPBITS: 1 */
    size_t nused;    /* points the estimate used */
    double P_post;   /* TOPBITS: the PTQ bits used */
    size_t n_ptq;    /* PTQ points with a delta */
    size_t n_floor;  /* of them at or below the floor */
    size_t n_nonpos; /* of them with delta <= 0 */
} psl_floor;

/* Estimates the floor from the PTQ points of d (one PTQ method: psl_data_keep_ptq_method
 * first): from configurations (N, D, P_w, P_a, P_kv, G, format, P_post) measured in
 * more than one run when there are any, else from the sample sd of the deltas at the
 * highest P_post (3 points or more, one of them < 0: the noise reaches below zero
 * there), else from the deltas < 0. Deltas of exactly 0 (PTQ onto the training grid)
 * are not noise samples and are left out of the estimate (not of the fits). */
void psl_floor_estimate(const psl_data *d, psl_floor *out);

/* One line saying what the floor is and how it was found, for notes and reports. */
void psl_floor_describe(const psl_floor *f, char *buf, size_t len);

#endif
