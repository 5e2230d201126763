/* Test helpers: synthetic points drawn from a law, and noise. */
#ifndef PSL_TESTS_SYNTH_H
#define PSL_TESTS_SYNTH_H

#include <stdint.h>

#include "law.h"

/* Standard normal draw from a splitmix stream (Box-Muller). */
double synth_gauss(uint64_t *state);

/* A design of points for law: (N, D) grid times the precisions the law needs. Targets
 * are the law's prediction at internal parameters u times exp(sigma * gauss); every
 * 17th point becomes an outlier (target times exp(outlier)). Returns points added. */
size_t synth_points(psl_data *d, const psl_law *law, const double *u, double sigma, double outlier,
                    uint64_t seed);

#endif
