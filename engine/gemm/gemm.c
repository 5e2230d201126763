/* The GEMM driver: path choice from cpuid, cache blocking, packing, edge tiles and the
 * split of C over threads. The micro-kernels compute; the order of every output
 * element's sum is fixed by gemm.h and does not depend on anything decided here.
 *
 * Loops (Goto's algorithm with the roles of A and B swapped, since the kernels put one
 * column of C per vector lane): for each block of mc rows of C; for each k block of
 * GEMM_KC, ascending; pack that A block (mc x kc, MR-row micro-panels); for each block
 * of nc columns, pack that B block (kc x nc, NR-column micro-panels, kept in L2); for
 * each MR-row micro-panel of A (kept in L1), for each NR-column micro-panel of B: the
 * micro-kernel. C holds the running block sums (what the k block's mode says); with
 * beta != 0 and several k blocks the original rows of C are saved first. */
#include "gemm.h"
#include "gemm_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const path_names[GEMM_PATH_COUNT] = {"auto", "ref", "avx2", "avx512"};

int gemm_path_supported(gemm_path path) {
    switch (path) {
    case GEMM_PATH_AUTO:
    case GEMM_PATH_REF:
        return 1;
#ifdef GEMM_HAVE_X86
    /* libgcc's (and compiler-rt's) cpu model checks that the OS saves the ymm/zmm state
     * (xgetbv) before it reports avx2 or avx512f. */
    case GEMM_PATH_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GEMM_PATH_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

gemm_path gemm_path_best(void) {
    if (gemm_path_supported(GEMM_PATH_AVX512)) return GEMM_PATH_AVX512;
    if (gemm_path_supported(GEMM_PATH_AVX2)) return GEMM_PATH_AVX2;
    return GEMM_PATH_REF;
}

const char *gemm_path_name(gemm_path path) {
    return (unsigned)path < GEMM_PATH_COUNT ? path_names[path] : "?";
}

int gemm_path_parse(const char *name, gemm_path *out) {
    for (int p = 0; p < GEMM_PATH_COUNT; p++)
        if (name && !strcmp(name, path_names[p])) {
            *out = (gemm_path)p;
            return 0;
        }
    return -1;
}

static const struct gemm_kernel *kernel_of(gemm_path path) {
    switch (path) {
#ifdef GEMM_HAVE_X86
    case GEMM_PATH_AVX2:
        return &gemm_kernel_avx2;
    case GEMM_PATH_AVX512:
        return &gemm_kernel_avx512;
#endif
    default:
        return &gemm_kernel_ref;
    }
}

static long cache_bytes(int name, long fallback) {
    long v = sysconf(name);
    return v > 0 ? v : fallback;
}

static int clamp_to_multiple(long v, int unit, int lo, int hi) {
    if (v > hi) v = hi;
    if (v < lo) v = lo;
    v -= v % unit;
    return v < unit ? unit : (int)v;
}

int gemm_ctx_init(gemm_ctx *ctx, gemm_path path, int threads) {
    int rc = 0;
    if (path == GEMM_PATH_AUTO) path = gemm_path_best();
    if ((unsigned)path >= GEMM_PATH_COUNT || !gemm_path_supported(path)) {
        path = GEMM_PATH_REF;
        rc = -1;
    }
    ctx->path = path;
    ctx->threads = threads < 1 ? 1 : threads;
    ctx->kernel = kernel_of(path);
    /* The B block (GEMM_KC x nc) fills half of L2; the A block (mc x GEMM_KC) a share of
     * L3 per thread. These change speed only, never bits. */
    long l2 = cache_bytes(_SC_LEVEL2_CACHE_SIZE, 512L << 10);
    long l3 = cache_bytes(_SC_LEVEL3_CACHE_SIZE, 8L << 20);
    long row = GEMM_KC * (long)sizeof(float);
    ctx->nc = clamp_to_multiple(l2 / 2 / row, ctx->kernel->nr, 64, 4096);
    ctx->mc = clamp_to_multiple(l3 / 2 / ctx->threads / row, ctx->kernel->mr, 96, 1536);
    return rc;
}

static int imin(int a, int b) {
    return a < b ? a : b;
}
static int round_up(int v, int unit) {
    return (v + unit - 1) / unit * unit;
}

/* A's rows [0, mcur) and k [0, kcur) of the block at a into MR-row panels (zero rows past
 * mcur): panel p holds, for each k, the MR values of rows p*MR .. p*MR + MR - 1. */
static void pack_a(float *restrict dst, const float *a, ptrdiff_t lda, gemm_trans ta, int mcur,
                   int kcur, int mr) {
    for (int ir = 0; ir < mcur; ir += mr, dst += (ptrdiff_t)mr * kcur) {
        int mv = imin(mr, mcur - ir);
        if (ta == GEMM_NOTRANS) {
            /* mv row streams read together, the panel written in order */
            const float *src = a + (ptrdiff_t)ir * lda;
            for (int p = 0; p < kcur; p++)
                for (int ii = 0; ii < mv; ii++)
                    dst[(ptrdiff_t)p * mr + ii] = src[(ptrdiff_t)ii * lda + p];
        } else {
            for (int p = 0; p < kcur; p++) {
                const float *src = a + (ptrdiff_t)p * lda + ir;
                for (int ii = 0; ii < mv; ii++) dst[(ptrdiff_t)p * mr + ii] = src[ii];
            }
        }
        if (mv < mr)
            for (int p = 0; p < kcur; p++)
                for (int ii = mv; ii < mr; ii++) dst[(ptrdiff_t)p * mr + ii] = 0.0f;
    }
}

/* B's k [0, kcur) and columns [0, ncur) of the block at b into NR-column panels (zero
 * columns past ncur): panel q holds, for each k, the NR values of columns q*NR ... */
static void pack_b(float *restrict dst, const float *b, ptrdiff_t ldb, gemm_trans tb, int kcur,
                   int ncur, int nr) {
    for (int jr = 0; jr < ncur; jr += nr, dst += (ptrdiff_t)nr * kcur) {
        int nv = imin(nr, ncur - jr);
        if (tb == GEMM_NOTRANS) {
            for (int p = 0; p < kcur; p++) {
                const float *src = b + (ptrdiff_t)p * ldb + jr;
                float *d = dst + (ptrdiff_t)p * nr;
                memcpy(d, src, (size_t)nv * sizeof(float));
                for (int jj = nv; jj < nr; jj++) d[jj] = 0.0f;
            }
        } else {
            for (int jj = 0; jj < nv; jj++) {
                const float *src = b + (ptrdiff_t)(jr + jj) * ldb;
                for (int p = 0; p < kcur; p++) dst[(ptrdiff_t)p * nr + jj] = src[p];
            }
            if (nv < nr)
                for (int p = 0; p < kcur; p++)
                    for (int jj = nv; jj < nr; jj++) dst[(ptrdiff_t)p * nr + jj] = 0.0f;
        }
    }
}

/* A partial tile (mv < MR or nv < NR): the kernel runs on a full tile in a local buffer
 * with the same operations, and only the valid part is copied back. */
static void edge_tile(const struct gemm_kernel *kern, int kcur, const float *ap, const float *bp,
                      float *c, ptrdiff_t ldc, const float *old, ptrdiff_t ldo, int mode,
                      float alpha, float beta, int mv, int nv) {
    enum { MAXTILE = 32 * 32 };
    float tile[MAXTILE], tile_old[MAXTILE];
    int nr = kern->nr;
    memset(tile, 0, sizeof tile);
    memset(tile_old, 0, sizeof tile_old);
    for (int i = 0; i < mv; i++) {
        memcpy(tile + i * nr, c + i * ldc, (size_t)nv * sizeof(float));
        if (mode == GEMM_LAST && beta != 0.0f)
            memcpy(tile_old + i * nr, old + i * ldo, (size_t)nv * sizeof(float));
    }
    /* ONLY reads C's own values as the old ones */
    const float *o = mode == GEMM_ONLY ? tile : tile_old;
    kern->ukr(kcur, ap, bp, tile, nr, o, nr, mode, alpha, beta);
    for (int i = 0; i < mv; i++) memcpy(c + i * ldc, tile + i * nr, (size_t)nv * sizeof(float));
}

/* One thread's part of the product: rows and columns already offset into A, B and C. */
static int gemm_serial(const gemm_ctx *ctx, gemm_trans ta, gemm_trans tb, int m, int n, int k,
                       float alpha, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                       float beta, float *c, ptrdiff_t ldc) {
    const struct gemm_kernel *kern = ctx->kernel;
    int mr = kern->mr, nr = kern->nr;
    int mc = imin(ctx->mc, round_up(m, mr)), nc = imin(ctx->nc, round_up(n, nr));
    int kcmax = imin(k, GEMM_KC), nblocks = (k + GEMM_KC - 1) / GEMM_KC;
    size_t abytes = (size_t)mc * kcmax * sizeof(float), bbytes = (size_t)nc * kcmax * sizeof(float);
    float *abuf = aligned_alloc(64, (abytes + 63) / 64 * 64);
    float *bbuf = aligned_alloc(64, (bbytes + 63) / 64 * 64);
    float *saved = NULL;
    if (beta != 0.0f && nblocks > 1) saved = malloc((size_t)mc * n * sizeof(float));
    int rc = 0;
    if (!abuf || !bbuf || (beta != 0.0f && nblocks > 1 && !saved)) {
        rc = -1;
        goto out;
    }
    for (int ic = 0; ic < m; ic += mc) {
        int mcur = imin(mc, m - ic);
        float *crow = c + (ptrdiff_t)ic * ldc;
        if (saved)
            for (int i = 0; i < mcur; i++)
                memcpy(saved + (ptrdiff_t)i * n, crow + (ptrdiff_t)i * ldc,
                       (size_t)n * sizeof(float));
        for (int blk = 0; blk < nblocks; blk++) {
            int pc = blk * GEMM_KC, kcur = imin(GEMM_KC, k - pc);
            int mode = nblocks == 1         ? GEMM_ONLY
                       : blk == 0           ? GEMM_STORE
                       : blk == nblocks - 1 ? GEMM_LAST
                                            : GEMM_ADD;
            const float *ablk =
                ta == GEMM_NOTRANS ? a + (ptrdiff_t)ic * lda + pc : a + (ptrdiff_t)pc * lda + ic;
            pack_a(abuf, ablk, lda, ta, mcur, kcur, mr);
            for (int jc = 0; jc < n; jc += nc) {
                int ncur = imin(nc, n - jc);
                const float *bblk = tb == GEMM_NOTRANS ? b + (ptrdiff_t)pc * ldb + jc
                                                       : b + (ptrdiff_t)jc * ldb + pc;
                pack_b(bbuf, bblk, ldb, tb, kcur, ncur, nr);
                for (int ir = 0; ir < mcur; ir += mr) {
                    const float *ap = abuf + (ptrdiff_t)ir * kcur;
                    int mv = imin(mr, mcur - ir);
                    for (int jr = 0; jr < ncur; jr += nr) {
                        const float *bp = bbuf + (ptrdiff_t)jr * kcur;
                        int nv = imin(nr, ncur - jr);
                        float *cp = crow + (ptrdiff_t)ir * ldc + jc + jr;
                        const float *op = saved ? saved + (ptrdiff_t)ir * n + jc + jr : cp;
                        ptrdiff_t ldo = saved ? n : ldc;
                        if (mv == mr && nv == nr)
                            kern->ukr(kcur, ap, bp, cp, ldc, op, ldo, mode, alpha, beta);
                        else
                            edge_tile(kern, kcur, ap, bp, cp, ldc, op, ldo, mode, alpha, beta, mv,
                                      nv);
                    }
                }
            }
        }
    }
out:
    free(abuf);
    free(bbuf);
    free(saved);
    return rc;
}

int gemm_sgemm(const gemm_ctx *ctx, gemm_trans ta, gemm_trans tb, int m, int n, int k, float alpha,
               const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    if (m < 0 || n < 0 || k < 0) return -1;
    if (m == 0 || n == 0) return 0;
    if (k == 0) { /* no k blocks: acc = 0 */
        float t = alpha * 0.0f;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float *cij = c + (ptrdiff_t)i * ldc + j;
                *cij = beta == 0.0f ? t : fmaf(beta, *cij, t);
            }
        return 0;
    }
    int mr = ctx->kernel->mr, nr = ctx->kernel->nr;
    int tiles_m = (m + mr - 1) / mr, tiles_n = (n + nr - 1) / nr;
    int split_n = tiles_n >= tiles_m; /* split the dimension with more tiles */
    int tiles = split_n ? tiles_n : tiles_m;
    int nt = ctx->threads < tiles ? ctx->threads : tiles;
    if (nt <= 1 || omp_in_parallel())
        return gemm_serial(ctx, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    int err = 0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(| : err)
    for (int t = 0; t < nt; t++) {
        /* tiles [t*tiles/nt, (t+1)*tiles/nt) of the split dimension */
        int lo = (int)((long)t * tiles / nt), hi = (int)((long)(t + 1) * tiles / nt);
        if (split_n) {
            int j0 = lo * nr, j1 = imin(hi * nr, n);
            const float *bt = tb == GEMM_NOTRANS ? b + j0 : b + (ptrdiff_t)j0 * ldb;
            err |=
                gemm_serial(ctx, ta, tb, m, j1 - j0, k, alpha, a, lda, bt, ldb, beta, c + j0, ldc);
        } else {
            int i0 = lo * mr, i1 = imin(hi * mr, m);
            const float *at = ta == GEMM_NOTRANS ? a + (ptrdiff_t)i0 * lda : a + i0;
            err |= gemm_serial(ctx, ta, tb, i1 - i0, n, k, alpha, at, lda, b, ldb, beta,
                               c + (ptrdiff_t)i0 * ldc, ldc);
        }
    }
    return err ? -1 : 0;
}
