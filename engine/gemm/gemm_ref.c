/* The portable micro-kernel: plain C with fmaf, one output element per chain (the order
 * of gemm.h), for any CPU. Its 4 x 16 tile is small enough for the compiler to keep in
 * vector registers where it vectorises over j; it never reassociates (no -ffast-math,
 * and ISO C mode turns FMA contraction off), so the bits are those of the order. */
#include "gemm_internal.h"

#include <math.h>

enum { MR = 4, NR = 16 };

static void ukr_ref(int kc, const float *restrict a, const float *restrict b, float *c,
                    ptrdiff_t ldc, const float *old, ptrdiff_t ldo, int mode, float alpha,
                    float beta) {
    float s[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) s[i][j] = 0.0f;
    for (int p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) {
            float ai = a[i];
            for (int j = 0; j < NR; j++) s[i][j] = fmaf(ai, b[j], s[i][j]);
        }
        a += MR;
        b += NR;
    }
    for (int i = 0; i < MR; i++) {
        float *ci = c + i * ldc;
        const float *oi = old + i * ldo;
        for (int j = 0; j < NR; j++) {
            float t;
            switch (mode) {
            case GEMM_STORE:
                ci[j] = s[i][j];
                continue;
            case GEMM_ADD:
                ci[j] = ci[j] + s[i][j];
                continue;
            case GEMM_LAST:
                t = alpha * (ci[j] + s[i][j]);
                break;
            default:
                t = alpha * s[i][j];
                break;
            }
            ci[j] = beta == 0.0f ? t : fmaf(beta, oi[j], t);
        }
    }
}

const struct gemm_kernel gemm_kernel_ref = {"ref", MR, NR, ukr_ref};
