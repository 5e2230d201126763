#include "stats.h"

#include <math.h>
#include <stdlib.h>

int psl_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double psl_quantile_sorted(const double *v, int n, double q) {
    if (n <= 0) return NAN;
    double h = (n - 1) * q;
    int i = (int)floor(h);
    if (i >= n - 1) return v[n - 1];
    return v[i] + (h - i) * (v[i + 1] - v[i]);
}

int psl_interval95(double *v, int n, int min_count, double *lo, double *hi) {
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) v[k++] = v[i];
    *lo = *hi = NAN;
    if (k < min_count || k == 0) return k;
    qsort(v, (size_t)k, sizeof *v, psl_cmp_double);
    *lo = psl_quantile_sorted(v, k, 0.025);
    *hi = psl_quantile_sorted(v, k, 0.975);
    return k;
}
