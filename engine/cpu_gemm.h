#ifndef ENGINE_CPU_GEMM_H
#define ENGINE_CPU_GEMM_H
/* Which single-precision GEMM the CPU's float layers call: the knobs gemm and gemm_path
 * (docs/gemm.md, "In training"). A cpu_gemm is the CPU backend's context (engine/backend.h);
 * the layers of model_f32.c receive it as their first argument and pass it to their
 * products (NULL, the plain backend_cpu(): OpenBLAS). Made once by its owner (the trainer)
 * before the model, and outlives it; the kernel context in it is read-only after
 * cpu_gemm_init, so any number of threads share it. */
#include "backend.h"
#include "gemm.h"

#include <stdatomic.h>
#include <stddef.h>

typedef struct cpu_gemm {
    int own;      /* 0: OpenBLAS cblas_sgemm; 1: the engine's gemm_sgemm with ctx */
    gemm_ctx ctx; /* own only: the kernel path (resolved) and threads per product */
    /* Set by a product of the engine's GEMM that could not allocate its packing buffers
     * (its output is then unspecified): the backend's error() reports it at the end of
     * the step, as a device reports its failures. */
    atomic_int failed;
} cpu_gemm;

/* From the knob values: which = gemm, "openblas" or "own"; path_name = gemm_path, "auto",
 * "ref", "avx2" or "avx512" (not auto only with own); threads per product (the run's
 * thread count). Returns 0, or -1 with a message naming the knob (an unknown value, a
 * path this CPU or build lacks). */
int cpu_gemm_init(cpu_gemm *g, const char *which, const char *path_name, int threads, char *err,
                  size_t errlen);

/* The CPU backend running its GEMMs on g (NULL: OpenBLAS, as backend_cpu()). */
backend backend_cpu_gemm(cpu_gemm *g);

/* What a backend's GEMMs are, for the run file's provenance: *gemm "openblas" or "own"
 * on the CPU (device NULL: the plain CPU backend), "cublas" on a device; *path the
 * kernel path that ran ("ref", "avx2", "avx512") for own, else "none". */
void backend_gemm_describe(const backend *device, const char **gemm, const char **path);
#endif
