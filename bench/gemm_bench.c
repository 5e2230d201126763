/* The engine's own GEMM (engine/gemm, docs/gemm.md) beside OpenBLAS on the model's GEMM
 * shapes, in one process: GFLOP/s per kernel path and thread count, median of several
 * repetitions, the ratio to cblas_sgemm on the same shape and the share of an FMA-loop
 * peak of the path's vector width. Prints a table; a benchmark, not a test.
 *
 * Shapes per model width d (ffn_hidden as the engine picks it, vocab V, M tokens): the
 * forward X W^T (NT), dX = dY W (NN) and dW += dY^T X (TN, beta 1) of qkv (3d x d),
 * the output projection (d x d), W13 (2F x d), W2 (d x F) and the LM head (V x d), and
 * attention's per-head products (ctx 256, head 64) run on one thread each.
 *
 * usage: gemm_bench [--threads 1,2] [--reps 5] [--tokens 4096] [--widths 128,256,512]
 *                   [--paths avx512,avx2] [--vocab 4096] [--detail] */
#include "gemm.h"
#include "model.h"
#include "procenv.h"

#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* FMA throughput with 12 independent accumulators per thread, at the vector width of a
 * path (compiled for it with a target attribute, run only where cpuid has it). */
#define PEAK_ITERS 2000000L
__attribute__((target("avx512f"))) static float peak_loop512(void) {
    __m512 acc[12], a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int k = 0; k < 12; k++) acc[k] = _mm512_set1_ps((float)k * 1e-3f);
    for (long it = 0; it < PEAK_ITERS; it++)
        for (int k = 0; k < 12; k++) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
    float s = 0;
    for (int k = 0; k < 12; k++) s += _mm512_reduce_add_ps(acc[k]);
    return s;
}
__attribute__((target("avx2,fma"))) static float peak_loop256(void) {
    __m256 acc[12], a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int k = 0; k < 12; k++) acc[k] = _mm256_set1_ps((float)k * 1e-3f);
    for (long it = 0; it < PEAK_ITERS; it++)
        for (int k = 0; k < 12; k++) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
    float t[8], s = 0;
    for (int k = 0; k < 12; k++) {
        _mm256_storeu_ps(t, acc[k]);
        for (int i = 0; i < 8; i++) s += t[i];
    }
    return s;
}
static double fma_peak(int lanes, int threads) {
    double rates[5];
    for (int r = 0; r < 5; r++) {
        float sink = 0;
        double t0 = now_s();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += lanes == 16 ? peak_loop512() : peak_loop256();
        rates[r] = (double)threads * PEAK_ITERS * 12 * lanes * 2 / (now_s() - t0) + 0 * sink;
    }
    return median(rates, 5);
}

typedef struct {
    char name[32];
    gemm_trans ta, tb;
    int m, n, k;
    float beta;
    int single; /* attention: one thread per product */
} shape;

/* median seconds of one product; path < 0: OpenBLAS */
static double time_one(const shape *s, int path, int threads, int reps, const float *a,
                       const float *b, float *c) {
    int lda = s->ta == GEMM_NOTRANS ? s->k : s->m, ldb = s->tb == GEMM_NOTRANS ? s->n : s->k;
    gemm_ctx ctx;
    if (path >= 0) gemm_ctx_init(&ctx, (gemm_path)path, threads);
    openblas_set_num_threads(threads);
    double t[64];
    if (reps > 63) reps = 63;
    for (int r = 0; r <= reps; r++) { /* r = 0 warms up */
        double t0 = now_s();
        if (path >= 0) {
            if (gemm_sgemm(&ctx, s->ta, s->tb, s->m, s->n, s->k, 1, a, lda, b, ldb, s->beta, c,
                           s->n)) {
                fprintf(stderr, "gemm_bench: out of memory\n");
                exit(1);
            }
        } else {
            cblas_sgemm(CblasRowMajor, s->ta == GEMM_NOTRANS ? CblasNoTrans : CblasTrans,
                        s->tb == GEMM_NOTRANS ? CblasNoTrans : CblasTrans, s->m, s->n, s->k, 1, a,
                        lda, b, ldb, s->beta, c, s->n);
        }
        if (r) t[r - 1] = now_s() - t0;
    }
    return median(t, reps);
}

static int add_linear(shape *v, int n, const char *layer, int d, int M, int cout, int cin) {
    v[n] = (shape){"", GEMM_NOTRANS, GEMM_TRANS, M, cout, cin, 0, 0};
    snprintf(v[n++].name, sizeof v->name, "d%d %s fwd", d, layer);
    v[n] = (shape){"", GEMM_NOTRANS, GEMM_NOTRANS, M, cin, cout, 0, 0};
    snprintf(v[n++].name, sizeof v->name, "d%d %s dX", d, layer);
    v[n] = (shape){"", GEMM_TRANS, GEMM_NOTRANS, cout, cin, M, 1, 0};
    snprintf(v[n++].name, sizeof v->name, "d%d %s dW", d, layer);
    return n;
}

int main(int argc, char **argv) {
    procenv_reexec(argv);
    int reps = 5, M = 4096, vocab = 4096, detail = 0;
    const char *threads_s = "1,2", *widths_s = "128,256,512", *paths_s = "avx512,avx2";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--detail")) {
            detail = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gemm_bench: %s needs a value\n", argv[i]);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(argv[i - 1], "--threads"))
            threads_s = v;
        else if (!strcmp(argv[i - 1], "--reps"))
            reps = atoi(v);
        else if (!strcmp(argv[i - 1], "--tokens"))
            M = atoi(v);
        else if (!strcmp(argv[i - 1], "--vocab"))
            vocab = atoi(v);
        else if (!strcmp(argv[i - 1], "--widths"))
            widths_s = v;
        else if (!strcmp(argv[i - 1], "--paths"))
            paths_s = v;
        else {
            fprintf(stderr, "gemm_bench: unknown option %s\n", argv[i - 1]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    int paths[GEMM_PATH_COUNT], np = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", paths_s);
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        gemm_path g;
        if (gemm_path_parse(p, &g) || g == GEMM_PATH_AUTO || np == GEMM_PATH_COUNT) {
            fprintf(stderr, "gemm_bench: unknown path %s (ref, avx2, avx512)\n", p);
            return 2;
        }
        if (!gemm_path_supported(g))
            printf("# this CPU has no %s path: not measured\n", p);
        else
            paths[np++] = g;
    }
    shape shapes[256];
    int ns = 0, group_end[16], ng = 0, group_w[16];
    snprintf(buf, sizeof buf, "%s", widths_s);
    for (char *p = strtok(buf, ","); p && ng < 15; p = strtok(NULL, ",")) {
        int d = atoi(p), F = model_default_ffn_hidden(d);
        ns = add_linear(shapes, ns, "qkv", d, M, 3 * d, d);
        ns = add_linear(shapes, ns, "wo", d, M, d, d);
        ns = add_linear(shapes, ns, "w13", d, M, 2 * F, d);
        ns = add_linear(shapes, ns, "w2", d, M, d, F);
        ns = add_linear(shapes, ns, "lm", d, M, vocab, d);
        group_w[ng] = d;
        group_end[ng++] = ns;
    }
    /* attention, ctx 256, head 64 (the engine runs each on one thread) */
    shapes[ns++] = (shape){"attn q k^T", GEMM_NOTRANS, GEMM_TRANS, 256, 256, 64, 0, 1};
    shapes[ns++] = (shape){"attn p v", GEMM_NOTRANS, GEMM_NOTRANS, 256, 64, 256, 0, 1};
    shapes[ns++] = (shape){"attn ds^T q", GEMM_TRANS, GEMM_NOTRANS, 256, 64, 256, 0, 1};
    group_w[ng] = 0;
    group_end[ng++] = ns;

    size_t big = 0;
    for (int s = 0; s < ns; s++) {
        size_t x = (size_t)shapes[s].m * shapes[s].k, y = (size_t)shapes[s].k * shapes[s].n,
               z = (size_t)shapes[s].m * shapes[s].n;
        big = x > big ? x : big, big = y > big ? y : big, big = z > big ? z : big;
    }
    float *a = malloc(big * sizeof(float)), *b = malloc(big * sizeof(float)),
          *c = malloc(big * sizeof(float));
    if (!a || !b || !c) return 1;
    for (size_t i = 0; i < big; i++)
        a[i] = (float)(i % 7) * 0.1f - 0.3f, b[i] = (float)(i % 5) * 0.1f - 0.2f, c[i] = 0;

    int have512 = gemm_path_supported(GEMM_PATH_AVX512),
        have256 = gemm_path_supported(GEMM_PATH_AVX2);
    printf("# GEMM GFLOP/s, median of %d; M = %d tokens, vocab %d, kc = %d; OPENBLAS_CORETYPE=%s\n",
           reps, M, vocab, GEMM_KC, getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "");
    char tl[64];
    snprintf(tl, sizeof tl, "%s", threads_s);
    for (char *ts = strtok(tl, ","); ts; ts = strtok(NULL, ",")) {
        int threads = atoi(ts) < 1 ? 1 : atoi(ts);
        double pk512 = have512 ? fma_peak(16, threads) : 0,
               pk256 = have256 ? fma_peak(8, threads) : 0;
        printf("\n## %d thread%s: FMA peak %.1f GFLOP/s (zmm), %.1f (ymm)\n\n", threads,
               threads > 1 ? "s" : "", pk512 / 1e9, pk256 / 1e9);
        printf("| shape | m x n x k |");
        for (int p = 0; p < np; p++)
            printf(" %s | %s/OB | %s %%peak |", gemm_path_name(paths[p]), gemm_path_name(paths[p]),
                   gemm_path_name(paths[p]));
        printf(" OpenBLAS |\n|---|---|");
        for (int p = 0; p < np; p++) printf("---|---|---|");
        printf("---|\n");
        double flops_g = 0, secs_g[GEMM_PATH_COUNT + 1] = {0};
        int g = 0;
        for (int s = 0; s < ns; s++) {
            const shape *sh = &shapes[s];
            int th = sh->single ? 1 : threads;
            double fl = 2.0 * sh->m * sh->n * sh->k, rate[GEMM_PATH_COUNT];
            double tob = time_one(sh, -1, th, reps, a, b, c);
            for (int p = 0; p < np; p++) {
                double t = time_one(sh, paths[p], th, reps, a, b, c);
                rate[p] = fl / t;
                secs_g[p] += t;
            }
            secs_g[GEMM_PATH_COUNT] += tob;
            flops_g += fl;
            if (detail || sh->single) {
                printf("| %s%s | %dx%dx%d |", sh->name, sh->single ? " (1 thread)" : "", sh->m,
                       sh->n, sh->k);
                for (int p = 0; p < np; p++) {
                    double pk = (paths[p] == GEMM_PATH_AVX512 ? pk512 : pk256) / threads * th;
                    printf(" %.1f | %.2f | %.0f%% |", rate[p] / 1e9, rate[p] * tob / fl,
                           paths[p] == GEMM_PATH_REF ? 0 : 100 * rate[p] / pk);
                }
                printf(" %.1f |\n", fl / tob / 1e9);
            }
            if (s + 1 == group_end[g]) { /* FLOP-weighted over the group */
                if (group_w[g]) {
                    printf("| **d%d all (FLOP-weighted)** | |", group_w[g]);
                    for (int p = 0; p < np; p++) {
                        double r = flops_g / secs_g[p];
                        double pk = paths[p] == GEMM_PATH_AVX512 ? pk512 : pk256;
                        printf(" **%.1f** | **%.2f** | %.0f%% |", r / 1e9,
                               secs_g[GEMM_PATH_COUNT] / secs_g[p],
                               paths[p] == GEMM_PATH_REF ? 0 : 100 * r / pk);
                    }
                    printf(" %.1f |\n", flops_g / secs_g[GEMM_PATH_COUNT] / 1e9);
                }
                flops_g = 0;
                memset(secs_g, 0, sizeof secs_g);
                g++;
            }
            fflush(stdout);
        }
    }
    free(a), free(b), free(c);
    return 0;
}
