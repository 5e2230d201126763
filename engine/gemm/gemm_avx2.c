/* The AVX2 + FMA micro-kernel: a 6 x 16 tile of C in 12 ymm registers, one output
 * element per lane (vectorised over j, never over k), each lane one vfmadd chain over
 * the k block: the order of gemm.h, bit for bit the portable kernel's. Compiled with
 * -mavx2 -mfma -mno-avx512f for this file alone (engine/CMakeLists.txt) and run only
 * where cpuid says so (gemm_path_supported). */
#include "gemm_internal.h"

#ifdef GEMM_HAVE_X86
#include <immintrin.h>

enum { MR = 6, NR = 16 };

static void ukr_avx2(int kc, const float *restrict a, const float *restrict b, float *c,
                     ptrdiff_t ldc, const float *old, ptrdiff_t ldo, int mode, float alpha,
                     float beta) {
    __m256 s[MR][2];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) s[i][0] = s[i][1] = _mm256_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            s[i][0] = _mm256_fmadd_ps(ai, b0, s[i][0]);
            s[i][1] = _mm256_fmadd_ps(ai, b1, s[i][1]);
        }
        a += MR;
        b += NR;
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
        float *ci = c + i * ldc;
        const float *oi = old + i * ldo;
        for (int h = 0; h < 2; h++) {
            __m256 t;
            switch (mode) {
            case GEMM_STORE:
                _mm256_storeu_ps(ci + 8 * h, s[i][h]);
                continue;
            case GEMM_ADD:
                _mm256_storeu_ps(ci + 8 * h, _mm256_add_ps(_mm256_loadu_ps(ci + 8 * h), s[i][h]));
                continue;
            case GEMM_LAST:
                t = _mm256_mul_ps(va, _mm256_add_ps(_mm256_loadu_ps(ci + 8 * h), s[i][h]));
                break;
            default:
                t = _mm256_mul_ps(va, s[i][h]);
                break;
            }
            if (beta != 0.0f) t = _mm256_fmadd_ps(vb, _mm256_loadu_ps(oi + 8 * h), t);
            _mm256_storeu_ps(ci + 8 * h, t);
        }
    }
}

const struct gemm_kernel gemm_kernel_avx2 = {"avx2", MR, NR, ukr_avx2};
#else
typedef int gemm_avx2_unused; /* not an x86-64 build: no AVX2 path */
#endif
