/* Order statistics shared by the bootstrap (boot.c), the derived quantities (derived.c),
 * the findings (findings.c) and the report: one comparison and one quantile rule, so an
 * interval is computed the same way wherever it is printed. */
#ifndef PSL_ANALYSIS_STATS_H
#define PSL_ANALYSIS_STATS_H

/* qsort comparison of doubles, ascending (NaNs compare equal to everything: callers sort
 * finite values only). */
int psl_cmp_double(const void *a, const void *b);

/* Type-7 (linear interpolation) quantile q of the sorted v[0..n); NAN when n <= 0. */
double psl_quantile_sorted(const double *v, int n, double q);

/* The 95% percentile interval of the finite values of v[0..n): moves them to the front of
 * v, sorted, and returns their count k; *lo and *hi are the 2.5% and 97.5% quantiles, or
 * NAN when k < min_count. */
int psl_interval95(double *v, int n, int min_count, double *lo, double *hi);

#endif
