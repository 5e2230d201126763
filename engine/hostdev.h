/* Functions compiled twice from one source: by the C compiler for the CPU engine and by
 * nvcc for the GPU kernels (engine/cuda). Where the CPU and the GPU must compute the same
 * bits (the quantizers of engine/quant, AdamW), the arithmetic lives once in a header of
 * PSL_HD functions that both sides include, so the two cannot drift apart
 * (docs/engine.md, "Host and device from one source").
 *
 * PSL_HD opens such a function's declaration: static and inline in C;
 * __host__ __device__ and forced inline under nvcc (the GPU kernels were written with
 * __forceinline__ element functions, and keep that). Keep these headers to what C11 and
 * CUDA C++ both accept: no designated initializers, compound literals or restrict. */
#ifndef PSL_HOSTDEV_H
#define PSL_HOSTDEV_H

#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define PSL_HD static __host__ __device__ __forceinline__
#else
#define PSL_HD static inline
#endif

/* Bit patterns of floats and doubles. memcpy is the portable C idiom (it compiles to a
 * register move); device code has an intrinsic for each. */
#ifdef __CUDA_ARCH__
#define PSL_BITCAST(NAME, FROM, TO, INTRINSIC)                                                     \
    PSL_HD TO NAME(FROM x) {                                                                       \
        return (TO)INTRINSIC(x);                                                                   \
    }
#else
#define PSL_BITCAST(NAME, FROM, TO, INTRINSIC)                                                     \
    PSL_HD TO NAME(FROM x) {                                                                       \
        TO y;                                                                                      \
        memcpy(&y, &x, sizeof y);                                                                  \
        return y;                                                                                  \
    }
#endif
PSL_BITCAST(psl_f2u, float, uint32_t, __float_as_uint)
PSL_BITCAST(psl_u2f, uint32_t, float, __uint_as_float)
PSL_BITCAST(psl_d2u, double, uint64_t, __double_as_longlong)
PSL_BITCAST(psl_u2d, uint64_t, double, __longlong_as_double)
#undef PSL_BITCAST

/* Leading zero bits of a nonzero 32-bit word. */
PSL_HD int psl_clz32(uint32_t u) {
#ifdef __CUDA_ARCH__
    return __clz((int)u);
#else
    return __builtin_clz(u);
#endif
}

#endif
