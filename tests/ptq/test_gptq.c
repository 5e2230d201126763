/* GPTQ on single matrices against independent references written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "ptq/ptq.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small deterministic helpers ---- */

static uint64_t rng_next(uint64_t *s) {
    *s += 0x9E3779B97F4A7C15ULL;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double uniform(uint64_t *s) {
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}
static double gauss(uint64_t *s) {
    double u = uniform(s) + 1e-300, v = uniform(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static qspec spec(const char *text) {
    qspec q;
    char err[256];
    int rc = qspec_parse(text, &q, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    return q;
}

/* H = 2 X^T X / n in double, the naive way. */
static double *hessian_ref(const float *X, size_t n, size_t cols) {
    double *H = calloc(cols * cols, sizeof *H);
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < cols; i++)
            for (size_t j = 0; j < cols; j++)
                H[i * cols + j] += 2.0 * X[t * cols + i] * X[t * cols + j] / (double)n;
    return H;
}

/* ||(W - Q) X^T||_F^2 in double. */
static double recon_err(const float *W, const float *Q, const float *X, size_t rows, size_t cols,
                        size_t n) {
    double s = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < n; t++) {
            double acc = 0;
            for (size_t c = 0; c < cols; c++)
                acc += ((double)W[r * cols + c] - Q[r * cols + c]) * X[t * cols + c];
            s += acc * acc;
        }
    return s;
}

static double norm_wx(const float *W, const float *X, size_t rows, size_t cols, size_t n) {
    float *Z = calloc(rows * cols, sizeof *Z);
    double s = recon_err(W, Z, X, rows, cols, n);
    free(Z);
    return s;
}

static void fill_gauss(float *x, size_t n, uint64_t *s, double sd) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(sd * gauss(s));
}

/* Correlated inputs: a few latent factors mixed into every column, plus a little noise and
 * per-column scales, as in the activations of a trained layer. */
static void fill_correlated(float *X, size_t n, size_t cols, uint64_t *s) {
    const size_t k = 6;
    double *A = malloc(k * cols * sizeof *A), *sc = malloc(cols * sizeof *sc);
    for (size_t i = 0; i < k * cols; i++) A[i] = gauss(s);
    for (size_t c = 0; c < cols; c++) sc[c] = 0.2 + 2.0 * uniform(s);
    for (size_t t = 0; t < n; t++) {
        double z[6];
        for (size_t j = 0; j < k; j++) z[j] = gauss(s);
        for (size_t c = 0; c < cols; c++) {
            double v = 0.05 * gauss(s);
            for (size_t j = 0; j < k; j++) v += z[j] * A[j * cols + c];
            X[t * cols + c] = (float)(sc[c] * v);
        }
    }
    free(A);
    free(sc);
}

static void gptq(const qspec *q, float *w, size_t rows, size_t cols, const double *H0, int block,
                 int act_order, ptq_layer_info *info) {
    double *H = malloc(cols * cols * sizeof *H);
    memcpy(H, H0, cols * cols * sizeof *H);
    ptq_gptq_opts o;
    ptq_gptq_opts_default(&o);
    o.block = block;
    o.act_order = act_order;
    char err[512];
    int rc = ptq_gptq_matrix(q, w, rows, cols, H, &o, info, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    free(H);
}

/* ---- tests ---- */

/* The Hessian accumulator against the naive double sum. */
static void test_hessian(void **state) {
    (void)state;
    uint64_t s = 1;
    size_t n = 1100, cols = 24;
    float *X = malloc(n * cols * sizeof *X);
    fill_gauss(X, n * cols, &s, 1.0);
    double *ref = hessian_ref(X, n, cols), *H = calloc(cols * cols, sizeof *H);
    ptq_hessian_add(H, X, n, cols, 2.0 / (double)n);
    for (size_t i = 0; i < cols * cols; i++) assert_true(fabs(H[i] - ref[i]) < 1e-5);
    free(X);
    free(ref);
    free(H);
}

/* With a diagonal Hessian no error propagates, so GPTQ must give RTN's result bit for
 * bit: the grids and scales of ptq_grid.c follow qspec_fake_quant exactly. */
static void test_diagonal_equals_rtn(void **state) {
    (void)state;
    const char *specs[] = {"int2:row",   "int3:row",    "int4:g16",    "uint4:g16", "uint3:row",
                           "int8:row",   "int4:tensor", "uint5:g24",   "e2m1:row",  "e2m1:g16",
                           "e3m2:row",   "e4m3:g32",    "e2m0:tensor", "mxfp4",     "mxfp6_e2m3",
                           "mxfp8_e4m3", "mxint8",      "int16:row"};
    const size_t rows = 12, cols = 80; /* 80: ragged last group (g24, g32) and MX block */
    uint64_t s = 7;
    float *W = malloc(rows * cols * sizeof *W), *R = malloc(rows * cols * sizeof *R);
    float *G = malloc(rows * cols * sizeof *G);
    double *H = calloc(cols * cols, sizeof *H);
    for (size_t i = 0; i < cols; i++) H[i * cols + i] = 0.1 + uniform(&s);
    for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) {
        qspec q = spec(specs[k]);
        fill_gauss(W, rows * cols, &s, 0.05);
        W[3] = 0.4f; /* an outlier sets one row's scale */
        char err[256];
        assert_int_equal(ptq_rtn_matrix(&q, W, R, rows, cols, err, sizeof err), 0);
        for (int ao = 0; ao < 2; ao++) {
            memcpy(G, W, rows * cols * sizeof *G);
            ptq_layer_info info;
            gptq(&q, G, rows, cols, H, 16, ao, &info);
            for (size_t i = 0; i < rows * cols; i++) {
                if (memcmp(&G[i], &R[i], sizeof(float)))
                    fail_msg("%s act_order=%d: entry %zu: gptq %.9g, rtn %.9g", specs[k], ao, i,
                             G[i], R[i]);
            }
        }
    }
    free(W);
    free(R);
    free(G);
    free(H);
}

/* Inverse of a small SPD matrix by Gauss-Jordan elimination (n <= 8). */
static void invert(const double *A, double *Ai, int n) {
    double M[8][16];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 2 * n; j++) M[i][j] = j < n ? A[i * n + j] : (j - n == i);
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(M[r][c]) > fabs(M[p][c])) p = r;
        for (int j = 0; j < 2 * n; j++) {
            double t = M[c][j];
            M[c][j] = M[p][j];
            M[p][j] = t;
        }
        double d = M[c][c];
        for (int j = 0; j < 2 * n; j++) M[c][j] /= d;
        for (int r = 0; r < n; r++)
            if (r != c) {
                double f = M[r][c];
                for (int j = 0; j < 2 * n; j++) M[r][j] -= f * M[c][j];
            }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) Ai[i * n + j] = M[i][j + n];
}

/* A 2 x 4 weight and a 4 x 4 Hessian: the error-propagation step against the Optimal
 * Brain Surgeon update written out directly. Column k is rounded with the inverse of H
 * restricted to the columns not yet quantized, F = {k..3}:
 *   delta w_F = -(w_k - q_k) / [H_F^-1]_kk * [H_F^-1]_k,F
 * GPTQ obtains the same numbers from one Cholesky factor of H^-1; here each H_F^-1 is
 * inverted afresh. Grid: INT3 symmetric per row, scale = amax(original row) / 3. */
static void test_obs_4x4(void **state) {
    (void)state;
    const double H0[16] = {4.0,  1.2, -0.6, 0.3, 1.2, 3.0,  0.9, -0.4,
                           -0.6, 0.9, 2.5,  0.7, 0.3, -0.4, 0.7, 1.8};
    const float W0[8] = {0.50f, -0.27f, 0.83f, 0.12f, -0.91f, 0.44f, 0.05f, -0.33f};
    double H[16];
    memcpy(H, H0, sizeof H);
    double mean = (H[0] + H[5] + H[10] + H[15]) / 4;
    for (int i = 0; i < 4; i++) H[i * 4 + i] += 0.01 * mean; /* GPTQ's dampening */

    float ref[8];
    for (int r = 0; r < 2; r++) {
        double w[4];
        for (int c = 0; c < 4; c++) w[c] = W0[r * 4 + c];
        double amax = 0;
        for (int c = 0; c < 4; c++) amax = fmax(amax, fabs(w[c]));
        float scale = (float)amax / 3.0f;
        for (int k = 0; k < 4; k++) {
            int nf = 4 - k;
            double HF[16], HFi[16];
            for (int i = 0; i < nf; i++)
                for (int j = 0; j < nf; j++) HF[i * nf + j] = H[(k + i) * 4 + (k + j)];
            invert(HF, HFi, nf);
            double qv = rint((float)w[k] / scale);
            qv = fmin(3, fmax(-3, qv)) * scale;
            double e = (w[k] - qv) / HFi[0];
            for (int j = 1; j < nf; j++) w[k + j] -= e * HFi[j];
            w[k] = qv;
        }
        for (int c = 0; c < 4; c++) ref[r * 4 + c] = (float)w[c];
    }
    /* The hand-checkable first step of row 0: column 0 rounds 0.50 to 2/3 * 0.83 = 0.5533.
     * Everything else follows from the formula above. */
    assert_true(fabs(ref[0] - 2.0 * 0.83 / 3.0) < 1e-6);

    qspec q = spec("int3:row");
    for (int block = 1; block <= 128; block *= 2) {
        float G[8];
        memcpy(G, W0, sizeof G);
        ptq_layer_info info;
        gptq(&q, G, 2, 4, H0, block, 0, &info);
        for (int i = 0; i < 8; i++)
            if (fabs(G[i] - ref[i]) > 1e-5)
                fail_msg("block %d entry %d: gptq %.7f, OBS %.7f", block, i, G[i], ref[i]);
    }
}

/* GPTQ never does worse than RTN on the layer objective, and much better when the inputs
 * are correlated (the case GPTQ exists for); near exact at 16 bits. */
static void check_vs_rtn(int correlated, const char *text, double max_ratio) {
    const size_t rows = 48, cols = 96, n = 1536;
    uint64_t s = correlated ? 101 : 202;
    for (int trial = 0; trial < 3; trial++) {
        float *W = malloc(rows * cols * sizeof *W), *X = malloc(n * cols * sizeof *X);
        float *R = malloc(rows * cols * sizeof *R), *G = malloc(rows * cols * sizeof *G);
        fill_gauss(W, rows * cols, &s, 0.1);
        if (correlated)
            fill_correlated(X, n, cols, &s);
        else
            fill_gauss(X, n * cols, &s, 1.0);
        double *H = calloc(cols * cols, sizeof *H);
        ptq_hessian_add(H, X, n, cols, 2.0 / (double)n);
        qspec q = spec(text);
        char err[256];
        assert_int_equal(ptq_rtn_matrix(&q, W, R, rows, cols, err, sizeof err), 0);
        for (int ao = 0; ao < 2; ao++) {
            memcpy(G, W, rows * cols * sizeof *G);
            ptq_layer_info info;
            gptq(&q, G, rows, cols, H, 32, ao, &info);
            double er = recon_err(W, R, X, rows, cols, n), eg = recon_err(W, G, X, rows, cols, n);
            if (getenv("PTQ_TEST_VERBOSE"))
                fprintf(stderr, "%-10s %-10s act_order=%d trial %d: GPTQ/RTN %.4f\n", text,
                        correlated ? "correlated" : "random", ao, trial, eg / er);
            if (!(eg <= er * max_ratio))
                fail_msg("%s %s act_order=%d trial %d: GPTQ %.6g vs RTN %.6g (ratio %.4f, "
                         "allowed %.3f)",
                         text, correlated ? "correlated" : "random", ao, trial, eg, er, eg / er,
                         max_ratio);
        }
        free(W);
        free(X);
        free(R);
        free(G);
        free(H);
    }
}

static void test_random_inputs(void **state) {
    (void)state;
    const char *specs[] = {"int3:row", "int4:row", "uint4:g32", "e2m1:row", "mxfp4"};
    for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) check_vs_rtn(0, specs[k], 1.0);
}

static void test_correlated_inputs(void **state) {
    (void)state;
    const char *specs[] = {"int3:row", "int4:row", "uint4:g32", "e2m1:row", "mxfp4"};
    for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) check_vs_rtn(1, specs[k], 0.25);
}

static void test_16_bits_near_exact(void **state) {
    (void)state;
    const size_t rows = 32, cols = 64, n = 512;
    uint64_t s = 9;
    float *W = malloc(rows * cols * sizeof *W), *X = malloc(n * cols * sizeof *X);
    float *G = malloc(rows * cols * sizeof *G);
    fill_gauss(W, rows * cols, &s, 0.1);
    fill_correlated(X, n, cols, &s);
    double *H = calloc(cols * cols, sizeof *H);
    ptq_hessian_add(H, X, n, cols, 2.0 / (double)n);
    memcpy(G, W, rows * cols * sizeof *G);
    qspec q = spec("int16:row");
    ptq_layer_info info;
    gptq(&q, G, rows, cols, H, 128, 0, &info);
    double rel = sqrt(recon_err(W, G, X, rows, cols, n) / norm_wx(W, X, rows, cols, n));
    if (!(rel < 1e-4)) fail_msg("16-bit relative reconstruction error %.3g (expected < 1e-4)", rel);
    free(W);
    free(X);
    free(G);
    free(H);
}

/* Inputs that are always zero, and a Hessian of rank far below its size (fewer tokens
 * than columns, duplicated columns): finite results, dead columns zero, no worse than RTN. */
static void test_dead_and_singular(void **state) {
    (void)state;
    const size_t rows = 16, cols = 64, n = 20;
    uint64_t s = 13;
    float *W = malloc(rows * cols * sizeof *W), *X = malloc(n * cols * sizeof *X);
    float *G = malloc(rows * cols * sizeof *G), *R = malloc(rows * cols * sizeof *R);
    fill_gauss(W, rows * cols, &s, 0.1);
    fill_gauss(X, n * cols, &s, 1.0);
    for (size_t t = 0; t < n; t++) {
        X[t * cols + 5] = 0.0f;
        X[t * cols + 40] = 0.0f;
        X[t * cols + 7] = X[t * cols + 6]; /* duplicated input */
    }
    double *H = calloc(cols * cols, sizeof *H);
    ptq_hessian_add(H, X, n, cols, 2.0 / (double)n);
    const char *specs[] = {"int4:row", "uint3:g16", "e2m1:row"};
    for (size_t k = 0; k < 3; k++) {
        qspec q = spec(specs[k]);
        for (int ao = 0; ao < 2; ao++) {
            memcpy(G, W, rows * cols * sizeof *G);
            ptq_layer_info info;
            gptq(&q, G, rows, cols, H, 16, ao, &info);
            assert_int_equal(info.dead, 2);
            for (size_t i = 0; i < rows * cols; i++) assert_true(isfinite(G[i]));
            for (size_t r = 0; r < rows; r++) {
                assert_true(G[r * cols + 5] == 0.0f);
                assert_true(G[r * cols + 40] == 0.0f);
            }
            char err[256];
            assert_int_equal(ptq_rtn_matrix(&q, W, R, rows, cols, err, sizeof err), 0);
            assert_true(recon_err(W, G, X, rows, cols, n) <= recon_err(W, R, X, rows, cols, n));
        }
    }
    /* All inputs dead: the layer sees nothing, every weight becomes 0. */
    double *Z = calloc(cols * cols, sizeof *Z);
    qspec q = spec("int4:row");
    memcpy(G, W, rows * cols * sizeof *G);
    ptq_layer_info info;
    gptq(&q, G, rows, cols, Z, 128, 0, &info);
    assert_int_equal(info.dead, (int)cols);
    for (size_t i = 0; i < rows * cols; i++) assert_true(G[i] == 0.0f);
    free(Z);
    free(W);
    free(X);
    free(G);
    free(R);
    free(H);
}

/* A dead input does not change the scales: they come from the original weights, as RTN's
 * do, so with a diagonal Hessian the live columns are RTN's bit for bit. */
static void test_dead_keeps_rtn_scales(void **state) {
    (void)state;
    const size_t rows = 6, cols = 40;
    uint64_t s = 21;
    float W[240], R[240], G[240];
    fill_gauss(W, rows * cols, &s, 0.1);
    for (size_t r = 0; r < rows; r++) W[r * cols + 5] = 0.9f; /* the dead column holds amax */
    double *H = calloc(cols * cols, sizeof *H);
    for (size_t i = 0; i < cols; i++) H[i * cols + i] = i == 5 ? 0.0 : 1.0 + (double)i;
    const char *specs[] = {"int4:row", "uint3:g16", "e2m1:tensor"};
    for (size_t k = 0; k < 3; k++) {
        qspec q = spec(specs[k]);
        char err[256];
        assert_int_equal(ptq_rtn_matrix(&q, W, R, rows, cols, err, sizeof err), 0);
        for (int ao = 0; ao < 2; ao++) {
            memcpy(G, W, sizeof G);
            ptq_layer_info info;
            gptq(&q, G, rows, cols, H, 128, ao, &info);
            assert_int_equal(info.dead, 1);
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++) {
                    float want = c == 5 ? 0.0f : R[r * cols + c];
                    if (memcmp(&G[r * cols + c], &want, sizeof want))
                        fail_msg("%s act_order=%d (%zu, %zu): %.9g, expected %.9g", specs[k], ao, r,
                                 c, G[r * cols + c], want);
                }
        }
    }
    free(H);
}

/* A Hessian with NaN (a diverged model's activations) is an error, not NaN weights. */
static void test_nonfinite_hessian(void **state) {
    (void)state;
    const size_t rows = 4, cols = 8;
    double H[64] = {0};
    for (int i = 0; i < 8; i++) H[i * 8 + i] = 1.0;
    H[9] = NAN;
    float W[32];
    for (int i = 0; i < 32; i++) W[i] = (float)i / 32.0f;
    qspec q = spec("int4:row");
    ptq_gptq_opts o;
    ptq_gptq_opts_default(&o);
    char err[512];
    assert_int_equal(ptq_gptq_matrix(&q, W, rows, cols, H, &o, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "positive definite"));
}

/* Formats GPTQ cannot round onto are refused with a message. */
static void test_unsupported_formats(void **state) {
    (void)state;
    double H[4] = {1, 0, 0, 1};
    float W[4] = {1, 2, 3, 4};
    ptq_gptq_opts o;
    ptq_gptq_opts_default(&o);
    char err[512];
    qspec q = spec("nvfp4");
    assert_int_equal(ptq_gptq_matrix(&q, W, 2, 2, H, &o, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "method=rtn"));
}

/* Request options to specs and table names. */
static void test_spec_names(void **state) {
    (void)state;
    ptq_format f;
    ptq_format_default(&f);
    qspec q;
    char err[256], name[96];
    assert_int_equal(ptq_spec(&f, 4, &q, err, sizeof err), 0);
    assert_string_equal(q.name, "int4:row");
    ptq_table_name(PTQ_GPTQ, &f, name, sizeof name);
    assert_string_equal(name, "gptq");
    snprintf(f.granularity, sizeof f.granularity, "group");
    f.group = 64;
    f.symmetric = 0;
    assert_int_equal(ptq_spec(&f, 3, &q, err, sizeof err), 0);
    assert_string_equal(q.name, "uint3:g64");
    ptq_table_name(PTQ_RTN, &f, name, sizeof name);
    assert_string_equal(name, "rtn_int_g64_asym");
    ptq_format_default(&f);
    snprintf(f.format, sizeof f.format, "fp");
    assert_int_equal(ptq_spec(&f, 4, &q, err, sizeof err), 0);
    assert_string_equal(q.name, "e2m1:row");
    snprintf(f.format, sizeof f.format, "mx");
    assert_int_equal(ptq_spec(&f, 4, &q, err, sizeof err), 0);
    assert_string_equal(q.name, "mxfp4");
    assert_int_equal(ptq_spec(&f, 5, &q, err, sizeof err), -1);
    assert_non_null(strstr(err, "format=mx"));
    snprintf(f.format, sizeof f.format, "e2m1");
    assert_int_equal(ptq_spec(&f, 6, &q, err, sizeof err), -1);
    assert_non_null(strstr(err, "has 4 bits"));
    snprintf(f.format, sizeof f.format, "quest4");
    assert_int_equal(ptq_spec(&f, 4, &q, err, sizeof err), -1);
    snprintf(f.format, sizeof f.format, "int");
    assert_int_equal(ptq_spec(&f, 1, &q, err, sizeof err), -1);
    assert_non_null(strstr(err, "2..16"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hessian),           cmocka_unit_test(test_diagonal_equals_rtn),
        cmocka_unit_test(test_obs_4x4),           cmocka_unit_test(test_random_inputs),
        cmocka_unit_test(test_correlated_inputs), cmocka_unit_test(test_16_bits_near_exact),
        cmocka_unit_test(test_dead_and_singular), cmocka_unit_test(test_dead_keeps_rtn_scales),
        cmocka_unit_test(test_nonfinite_hessian), cmocka_unit_test(test_unsupported_formats),
        cmocka_unit_test(test_spec_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
