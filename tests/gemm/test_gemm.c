/* The engine's GEMM (engine/gemm): every kernel path this CPU has, at 1, 2 and 3
 * threads, equals bit for bit (memcmp) a naive product with the order of gemm.h, on
 * shapes that are not multiples of the tiles, the model's shapes, every transpose, and
 * alpha/beta cases; against a float64 product it stays within the error bound of that
 * order. Paths the CPU lacks are skipped with a note. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static float urand(void) { /* [-1, 1) with 24 random bits */
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (float)((int32_t)(rng_state >> 40) - (1 << 23)) / (float)(1 << 23);
}
static float *rand_matrix(size_t n) {
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = urand();
    return v;
}

/* op(X)[r][c] of a row-major X with leading dimension ld */
static float at(const float *x, int ld, gemm_trans t, int r, int c) {
    return t == GEMM_NOTRANS ? x[(size_t)r * ld + c] : x[(size_t)c * ld + r];
}

/* The order of gemm.h, written out: op(A) copied to rows (m x k) and op(B) to columns
 * (n x k) so every chain reads contiguous memory; 8 columns at a time (8 independent
 * chains, each exactly the order). */
static void ref_gemm(gemm_trans ta, gemm_trans tb, int m, int n, int k, float alpha, const float *a,
                     int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    float *ar = malloc(((size_t)m * k + 1) * sizeof(float));
    float *bc = malloc(((size_t)n * k + 1) * sizeof(float));
    assert_true(ar && bc);
    for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++) ar[(size_t)i * k + p] = at(a, lda, ta, i, p);
    for (int j = 0; j < n; j++)
        for (int p = 0; p < k; p++) bc[(size_t)j * k + p] = at(b, ldb, tb, p, j);
    for (int i = 0; i < m; i++) {
        const float *ai = ar + (size_t)i * k;
        for (int j0 = 0; j0 < n; j0 += 8) {
            int nj = n - j0 < 8 ? n - j0 : 8;
            float acc[8] = {0};
            for (int k0 = 0; k0 < k; k0 += GEMM_KC) {
                int k1 = k0 + GEMM_KC < k ? k0 + GEMM_KC : k;
                float s[8] = {0};
                for (int p = k0; p < k1; p++)
                    for (int jj = 0; jj < nj; jj++)
                        s[jj] = fmaf(ai[p], bc[(size_t)(j0 + jj) * k + p], s[jj]);
                for (int jj = 0; jj < nj; jj++) acc[jj] = k0 == 0 ? s[jj] : acc[jj] + s[jj];
            }
            for (int jj = 0; jj < nj; jj++) {
                float *cij = c + (size_t)i * ldc + j0 + jj;
                float t = alpha * acc[jj];
                *cij = beta == 0.0f ? t : fmaf(beta, *cij, t);
            }
        }
    }
    free(ar);
    free(bc);
}

static const gemm_path all_paths[] = {GEMM_PATH_REF, GEMM_PATH_AVX2, GEMM_PATH_AVX512};

/* Prints once per path that this CPU cannot run. */
static int path_runs(gemm_path p) {
    static int noted[GEMM_PATH_COUNT];
    if (gemm_path_supported(p)) return 1;
    if (!noted[p]) {
        printf("note: this CPU has no %s path: its cases are skipped\n", gemm_path_name(p));
        noted[p] = 1;
    }
    return 0;
}

typedef struct {
    int m, n, k;
    gemm_trans ta, tb;
    int pad; /* extra leading-dimension columns on A, B and C */
    float alpha, beta;
} gemm_case;

/* Runs the case on every path and thread count 1..3 and compares each C with the
 * reference bit for bit. Returns the number of (path, threads) runs compared. */
static int check_case(const gemm_case *g) {
    int ar = g->ta == GEMM_NOTRANS ? g->m : g->k, ac = g->ta == GEMM_NOTRANS ? g->k : g->m;
    int br = g->tb == GEMM_NOTRANS ? g->k : g->n, bcols = g->tb == GEMM_NOTRANS ? g->n : g->k;
    int lda = ac + g->pad, ldb = bcols + g->pad, ldc = g->n + g->pad;
    float *a = rand_matrix((size_t)ar * lda + 1), *b = rand_matrix((size_t)br * ldb + 1);
    size_t csz = (size_t)g->m * ldc + 1;
    float *c0 = rand_matrix(csz), *want = malloc(csz * sizeof(float)),
          *got = malloc(csz * sizeof(float));
    assert_true(want && got);
    if (g->beta == 0.0f) /* C must not be read: NaN there must not show */
        for (size_t i = 0; i < csz; i += 3) c0[i] = NAN;
    memcpy(want, c0, csz * sizeof(float));
    ref_gemm(g->ta, g->tb, g->m, g->n, g->k, g->alpha, a, lda, b, ldb, g->beta, want, ldc);
    int runs = 0;
    for (size_t pi = 0; pi < sizeof all_paths / sizeof *all_paths; pi++) {
        if (!path_runs(all_paths[pi])) continue;
        for (int th = 1; th <= 3; th++) {
            gemm_ctx ctx;
            assert_int_equal(gemm_ctx_init(&ctx, all_paths[pi], th), 0);
            assert_int_equal(ctx.path, all_paths[pi]);
            memcpy(got, c0, csz * sizeof(float));
            assert_int_equal(gemm_sgemm(&ctx, g->ta, g->tb, g->m, g->n, g->k, g->alpha, a, lda, b,
                                        ldb, g->beta, got, ldc),
                             0);
            if (memcmp(got, want, csz * sizeof(float))) {
                size_t i;
                for (i = 0; i < csz; i++)
                    if (memcmp(got + i, want + i, sizeof(float))) break;
                fail_msg("%s, %d threads, %dx%dx%d ta=%d tb=%d pad=%d alpha=%g beta=%g: "
                         "C[%zu] = %a, the order gives %a",
                         gemm_path_name(all_paths[pi]), th, g->m, g->n, g->k, g->ta, g->tb, g->pad,
                         (double)g->alpha, (double)g->beta, i, (double)got[i], (double)want[i]);
            }
            runs++;
        }
    }
    free(a), free(b), free(c0), free(want), free(got);
    return runs;
}

/* Small and odd shapes, every transpose, alpha/beta cases, padded leading dimensions. */
static void test_odd_shapes(void **state) {
    (void)state;
    static const int shapes[][3] = {{1, 1, 1},    {17, 33, 65},  {3, 1, 1000},   {1, 37, 300},
                                    {13, 7, 256}, {13, 7, 257},  {100, 70, 513}, {64, 64, 0},
                                    {25, 49, 31}, {12, 32, 512}, {7, 129, 3}};
    static const float ab[][2] = {{1, 0}, {0.5f, 1}, {-1.25f, 0.75f}, {1, 1}, {0, 2}};
    int runs = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 4; t++)
            for (size_t x = 0; x < sizeof ab / sizeof *ab; x++) {
                gemm_case g = {
                    shapes[s][0],         shapes[s][1], shapes[s][2], (gemm_trans)(t & 1),
                    (gemm_trans)(t >> 1), (int)(s % 3), ab[x][0],     ab[x][1]};
                runs += check_case(&g);
            }
    printf("odd shapes: %d (path, threads) runs bit-identical to the order\n", runs);
}

/* The products of a training step (engine/layers/linear.inc and attention.inc): forward
 * X W^T, dX = dY W, dW += dY^T X, the LM head, attention's per-head products on
 * strided views of qkv. Under ASan the token count is 1024 instead of 4096. */
static void test_model_shapes(void **state) {
    (void)state;
    int M = SANITIZED ? 1024 : 4096, C = 128, V = 4096, T = 256, hd = 64;
    gemm_case cases[] = {
        {M, 3 * C, C, GEMM_NOTRANS, GEMM_TRANS, 0, 1, 0},            /* qkv forward */
        {M, C, 3 * C, GEMM_NOTRANS, GEMM_NOTRANS, 0, 1, 0},          /* its dX */
        {3 * C, C, M, GEMM_TRANS, GEMM_NOTRANS, 0, 1, 1},            /* its dW, accumulated */
        {M, V, C, GEMM_NOTRANS, GEMM_TRANS, 0, 1, 0},                /* LM head */
        {V, C, M, GEMM_TRANS, GEMM_NOTRANS, 0, 1, 1},                /* LM head dW */
        {T, T, hd, GEMM_NOTRANS, GEMM_TRANS, 3 * C - hd, 0.125f, 0}, /* q k^T, scaled */
        {T, hd, T, GEMM_NOTRANS, GEMM_NOTRANS, 0, 1, 0},             /* p v */
        {T, hd, T, GEMM_TRANS, GEMM_NOTRANS, 0, 1, 0},               /* ds^T q */
    };
    int runs = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) runs += check_case(&cases[i]);
    printf("model shapes (M=%d): %d (path, threads) runs bit-identical to the order\n", M, runs);
}

/* Against float64: |c - c64| <= (kc + blocks + 2) u sum_k |a b| (u = 2^-24) + tiny,
 * the forward error bound of one fused chain per block plus the block additions and
 * alpha/beta. */
static void test_float64(void **state) {
    (void)state;
    static const int shapes[][3] = {{33, 45, 4096}, {64, 64, 700}, {5, 3, 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = rand_matrix((size_t)m * k), *b = rand_matrix((size_t)k * n);
        float *c = rand_matrix((size_t)m * n);
        double *c64 = malloc((size_t)m * n * sizeof(double)),
               *mag = malloc((size_t)m * n * sizeof(double));
        assert_true(c64 && mag);
        float alpha = 0.75f, beta = -0.5f;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double acc = 0, ab = 0;
                for (int p = 0; p < k; p++) {
                    double x = (double)a[(size_t)i * k + p] * b[(size_t)p * n + j];
                    acc += x, ab += fabs(x);
                }
                double cij = c[(size_t)i * n + j];
                c64[(size_t)i * n + j] = alpha * acc + beta * cij;
                mag[(size_t)i * n + j] = fabs(alpha) * ab + fabs(beta * cij);
            }
        gemm_ctx ctx;
        gemm_ctx_init(&ctx, GEMM_PATH_AUTO, 2);
        assert_int_equal(
            gemm_sgemm(&ctx, GEMM_NOTRANS, GEMM_NOTRANS, m, n, k, alpha, a, k, b, n, beta, c, n),
            0);
        int blocks = (k + GEMM_KC - 1) / GEMM_KC, kc = k < GEMM_KC ? k : GEMM_KC;
        double worst = 0;
        for (size_t i = 0; i < (size_t)m * n; i++) {
            double bound = (kc + blocks + 2) * 0x1p-24 * mag[i] + 1e-30;
            double r = fabs(c[i] - c64[i]) / bound;
            if (r > worst) worst = r;
        }
        printf("float64 %dx%dx%d: worst error %.3g of the bound\n", m, n, k, worst);
        assert_true(worst <= 1.0);
        free(a), free(b), free(c), free(c64), free(mag);
    }
}

/* Each path is forced by its argument; AUTO resolves to the best supported path; an
 * unsupported path is refused (and the context falls back to the portable one). */
static void test_paths(void **state) {
    (void)state;
    gemm_ctx ctx;
    assert_int_equal(gemm_ctx_init(&ctx, GEMM_PATH_AUTO, 0), 0);
    assert_int_equal(ctx.path, gemm_path_best());
    assert_int_equal(ctx.threads, 1);
    printf("this CPU: best path %s; blocks mc=%d nc=%d, kc=%d\n", gemm_path_name(ctx.path), ctx.mc,
           ctx.nc, GEMM_KC);
    for (int p = 0; p < GEMM_PATH_COUNT; p++) {
        gemm_path back;
        assert_int_equal(gemm_path_parse(gemm_path_name((gemm_path)p), &back), 0);
        assert_int_equal(back, p);
        int rc = gemm_ctx_init(&ctx, (gemm_path)p, 2);
        if (gemm_path_supported((gemm_path)p)) {
            assert_int_equal(rc, 0);
            assert_true(p == GEMM_PATH_AUTO || ctx.path == (gemm_path)p);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(ctx.path, GEMM_PATH_REF);
        }
    }
    gemm_path back;
    assert_int_equal(gemm_path_parse("sse9", &back), -1);
    assert_int_equal(gemm_path_parse(NULL, &back), -1);
    assert_true(gemm_path_supported(GEMM_PATH_REF));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_odd_shapes),
        cmocka_unit_test(test_model_shapes),
        cmocka_unit_test(test_float64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
