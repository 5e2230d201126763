#pragma once
/* The engine's own single-precision GEMM: C = alpha op(A) op(B) + beta C, row-major,
 * with ONE accumulation order per output element on every kernel path and thread
 * count, so a product gives the same bits on every x86-64 CPU (docs/gemm.md).
 *
 * The order, for c[i][j] with K > 0 (a = op(A), b = op(B)):
 *     for each block [k0, k0 + GEMM_KC) of k, ascending (the last one shorter):
 *         s = +0; for k ascending: s = fmaf(a[i][k], b[k][j], s)     one fused chain
 *         acc = (first block) ? s : acc + s                          block sums in k order
 *     t = alpha * acc                                                (K == 0: t = alpha * 0)
 *     c[i][j] = (beta == 0) ? t : fmaf(beta, c[i][j], t)             C is not read when beta == 0
 * Every operation is a correctly rounded IEEE single operation, so the portable C
 * path (fmaf) and the vector paths (one output element per SIMD lane, vfmadd) agree bit
 * for bit; threads split only rows or columns of C, never k.
 *
 * Not covered: the flush-to-zero / denormals-are-zero modes (never set by the engine;
 * they would change subnormal results on every path alike) and NaN payloads. */
#include <stddef.h>

/* The k-block length. It decides the bits of every product: the same on all paths,
 * never derived from the machine. */
#define GEMM_KC 256

typedef enum {
    GEMM_PATH_AUTO = 0, /* the best path this CPU supports */
    GEMM_PATH_REF,      /* portable C (fmaf), any CPU */
    GEMM_PATH_AVX2,     /* AVX2 + FMA, 6x16 register tile */
    GEMM_PATH_AVX512,   /* AVX-512F, 12x32 register tile */
    GEMM_PATH_COUNT
} gemm_path;

typedef enum { GEMM_NOTRANS = 0, GEMM_TRANS = 1 } gemm_trans;

struct gemm_kernel; /* gemm_internal.h */

/* What one product runs with: made once by gemm_ctx_init, read-only afterwards (so one
 * context may be shared by any number of threads). */
typedef struct gemm_ctx {
    gemm_path path; /* resolved: never GEMM_PATH_AUTO */
    int threads;    /* OpenMP threads per product (1: the calling thread only) */
    int mc, nc;     /* rows of A and columns of B per packed block, from the cache sizes */
    const struct gemm_kernel *kernel;
} gemm_ctx;

/* Whether this CPU (cpuid, and the OS saving the vector state) and this build can run
 * the path. GEMM_PATH_REF and GEMM_PATH_AUTO always can. */
int gemm_path_supported(gemm_path path);
/* The widest supported path: AVX-512, else AVX2, else the portable one. */
gemm_path gemm_path_best(void);
/* "auto", "ref", "avx2", "avx512". */
const char *gemm_path_name(gemm_path path);
/* Inverse of gemm_path_name; 0 on success, -1 for an unknown name. */
int gemm_path_parse(const char *name, gemm_path *out);

/* Fills ctx for the path (AUTO: gemm_path_best()) and thread count (< 1: 1), with the
 * packing blocks sized from the CPU's L2 and L3 caches (sysconf). Returns 0, or -1 when
 * the path is not supported here (ctx is then the portable path's). */
int gemm_ctx_init(gemm_ctx *ctx, gemm_path path, int threads);

/* C = alpha op(A) op(B) + beta C; op(A) is m x k, op(B) k x n, C m x n, all row-major
 * with leading dimensions lda, ldb, ldc (A is m x k when ta is GEMM_NOTRANS, k x m when
 * GEMM_TRANS; likewise B). Called from inside a parallel region it runs on the calling
 * thread alone (OpenMP does not nest here); the bits are the same. Returns 0, or -1 when
 * the packing buffers cannot be allocated (C is then unspecified). */
int gemm_sgemm(const gemm_ctx *ctx, gemm_trans ta, gemm_trans tb, int m, int n, int k, float alpha,
               const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
