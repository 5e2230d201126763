/* ns per element of qspec_fake_quant for each format on a 2048 x 256 matrix (the
 * activation of the 256-wide benchmark model at 2048 tokens), 1 and 2 threads, median (and
 * minimum) of repeats. Usage: quant_bench [repeats]  (default 21). */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quant/quant.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 21;
    if (reps < 1) reps = 1;
    const size_t rows = 2048, cols = 256, n = rows * cols;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    uint8_t *mask = malloc(n);
    double *t = malloc((size_t)reps * sizeof *t);
    if (!x || !y || !mask || !t) return 1;
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double u = ((double)(s >> 11) + 0.5) / 9007199254740992.0;
        x[i] = (float)((u - 0.5) * 4.0 * (1.0 + (double)(i % 7)));
    }
    const char *specs[] = {
        "fp32",       "bf16",           "fp16",           "int8",     "int4",       "int4:row",
        "uint4:row",  "int4:g128",      "int2",           "int1:row", "e4m3",       "e5m2",
        "e3m2",       "e2m3",           "e2m1",           "e5m6",     "mxfp8_e4m3", "mxfp8_e5m2",
        "mxfp6_e3m2", "mxfp6_e2m3",     "mxfp4",          "mxint8",   "nvfp4",      "quest8",
        "quest4",     "quest4:rotated", "quest1:clipmask"};
    printf("# qspec_fake_quant, %zu x %zu floats, ns per element over %d repeats, mask written\n",
           rows, cols, reps);
    /* The minimum is printed beside the median: on a shared machine a busy second core
     * delays the OpenMP worker by a scheduler slice and inflates the 2-thread median. */
    printf("%-20s %12s %12s %12s %12s\n", "format", "1thr median", "1thr min", "2thr median",
           "2thr min");
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        qspec q;
        char err[160];
        if (qspec_parse(specs[k], &q, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double med[2], mn[2];
        for (int th = 1; th <= 2; th++) {
            omp_set_num_threads(th);
            qspec_fake_quant(&q, x, y, rows, cols, mask, NULL); /* warm up */
            for (int r = 0; r < reps; r++) {
                double t0 = now();
                qspec_fake_quant(&q, x, y, rows, cols, mask, NULL);
                t[r] = now() - t0;
            }
            qsort(t, (size_t)reps, sizeof *t, cmp);
            med[th - 1] = t[reps / 2] * 1e9 / (double)n;
            mn[th - 1] = t[0] * 1e9 / (double)n;
        }
        printf("%-20s %12.3f %12.3f %12.3f %12.3f\n", q.name, med[0], mn[0], med[1], mn[1]);
    }
    free(x);
    free(y);
    free(mask);
    free(t);
    return 0;
}
