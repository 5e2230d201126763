/* Parallel loops of fitlaws as OpenMP tasks. fitlaws runs the laws as tasks of one team
 * (psl_analyze_laws), and each law's bootstrap replicates and folds as tasks of the same
 * team, so two threads stay busy to the end; called outside a parallel region (a test, a
 * single law) the loop opens one of its own. Each iteration must write only its own
 * outputs: then the results are the same for any number of threads and any order. */
#ifndef PSL_ANALYSIS_PAR_H
#define PSL_ANALYSIS_PAR_H

#include <omp.h>
#include <stddef.h>

/* Runs body for b = 0, ..., n - 1 in at most 32 tasks (consecutive b in each) and returns
 * when all are done. At most 32: libgomp runs a taskloop's tasks one after another on the
 * encountering thread when they would make more than 64 per thread queued. */
#define PSL_PARALLEL_TASKLOOP(n, body)                                                             \
    do {                                                                                           \
        if (omp_in_parallel()) {                                                                   \
            _Pragma("omp taskloop num_tasks(32)") for (size_t b = 0; b < (size_t)(n); b++) body;   \
        } else {                                                                                   \
            _Pragma("omp parallel") _Pragma("omp single")                                          \
                _Pragma("omp taskloop num_tasks(32)") for (size_t b = 0; b < (size_t)(n); b++)     \
                    body;                                                                          \
        }                                                                                          \
    } while (0)

#endif
