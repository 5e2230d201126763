#pragma once
/* Between the GEMM driver (gemm.c) and its micro-kernels (gemm_ref.c, gemm_avx2.c,
 * gemm_avx512.c). */
#include <stddef.h>

/* What a micro-kernel does with its block sums s (one k block of the tile):
 *   GEMM_STORE  c = s                              first of several k blocks
 *   GEMM_ADD    c = c + s                          a middle block
 *   GEMM_LAST   t = alpha * (c + s)                the last of several blocks
 *   GEMM_ONLY   t = alpha * s                      the only block
 * and for LAST and ONLY: c = beta == 0 ? t : fmaf(beta, old, t), where old is C's value
 * before the product (a saved copy for LAST, c itself for ONLY; not read when beta is
 * 0). */
enum { GEMM_STORE = 0, GEMM_ADD, GEMM_LAST, GEMM_ONLY };

/* One MR x NR tile: s[i][j] = fused chain over kc steps of a[p*MR + i] * b[p*NR + j]
 * (a: the packed A micro-panel, MR values per k; b: the packed B micro-panel, NR values
 * per k, 64-byte aligned), then the mode's epilogue on c (row stride ldc) with old (row
 * stride ldo). kc >= 1. */
typedef void (*gemm_ukr_fn)(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                            const float *old, ptrdiff_t ldo, int mode, float alpha, float beta);

struct gemm_kernel {
    const char *name;
    int mr, nr; /* register tile; nr * 4 bytes is a multiple of 64 */
    gemm_ukr_fn ukr;
};

extern const struct gemm_kernel gemm_kernel_ref;
#if defined(__x86_64__) || defined(_M_X64)
#define GEMM_HAVE_X86 1
extern const struct gemm_kernel gemm_kernel_avx2;
extern const struct gemm_kernel gemm_kernel_avx512;
#endif
