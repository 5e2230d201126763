/* The AVX-512F micro-kernel: a 12 x 32 tile of C in 24 zmm registers, one output
 * element per lane (vectorised over j, never over k), each lane one vfmadd chain over
 * the k block: the order of gemm.h, bit for bit the portable kernel's. Compiled with
 * -mavx512f for this file alone (engine/CMakeLists.txt) and run only where cpuid says
 * so (gemm_path_supported). */
#include "gemm_internal.h"

#ifdef GEMM_HAVE_X86
#include <immintrin.h>

enum { MR = 12, NR = 32 };

static void ukr_avx512(int kc, const float *restrict a, const float *restrict b, float *c,
                       ptrdiff_t ldc, const float *old, ptrdiff_t ldo, int mode, float alpha,
                       float beta) {
    __m512 s[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) s[i][0] = s[i][1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            s[i][0] = _mm512_fmadd_ps(ai, b0, s[i][0]);
            s[i][1] = _mm512_fmadd_ps(ai, b1, s[i][1]);
        }
        a += MR;
        b += NR;
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
        float *ci = c + i * ldc;
        const float *oi = old + i * ldo;
        for (int h = 0; h < 2; h++) {
            __m512 t;
            switch (mode) {
            case GEMM_STORE:
                _mm512_storeu_ps(ci + 16 * h, s[i][h]);
                continue;
            case GEMM_ADD:
                _mm512_storeu_ps(ci + 16 * h, _mm512_add_ps(_mm512_loadu_ps(ci + 16 * h), s[i][h]));
                continue;
            case GEMM_LAST:
                t = _mm512_mul_ps(va, _mm512_add_ps(_mm512_loadu_ps(ci + 16 * h), s[i][h]));
                break;
            default:
                t = _mm512_mul_ps(va, s[i][h]);
                break;
            }
            if (beta != 0.0f) t = _mm512_fmadd_ps(vb, _mm512_loadu_ps(oi + 16 * h), t);
            _mm512_storeu_ps(ci + 16 * h, t);
        }
    }
}

const struct gemm_kernel gemm_kernel_avx512 = {"avx512", MR, NR, ukr_avx512};
#else
typedef int gemm_avx512_unused; /* not an x86-64 build: no AVX-512 path */
#endif
