/* QuEST: the ALPHA table recomputed here by minimising the Gaussian MSE of the mid-rise
 * grid numerically; the Hadamard transform against an explicit Sylvester matrix; the
 * forward quantizer and the trust / clip masks against their formulas; the backward. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

static uint64_t rng_state = 0xB7E151628AED2A6Bull;
static double urand(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}
static float grand(void) {
    double u = urand() + 1e-12, v = urand();
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

/* E[(X - Q(X))^2] for X ~ N(0,1): composite Gauss-Legendre quadrature over the cells
 * of the quantizer (the integrand is smooth inside each cell), tails to +-12. */
static double gauss_mse(double a, int bits) {
    static const double gx[5] = {0.0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640,
                                 0.9061798459386640};
    static const double gw[5] = {0.5688888888888889, 0.4786286704993665, 0.4786286704993665,
                                 0.2369268850561891, 0.2369268850561891};
    int n = 1 << bits;
    double step = 2.0 * a / (n - 1), total = 0.0;
    /* cells: (-12, t_0), (t_0, t_1), ..., (t_{n-2}, 12), t_j = -a + (j + 0.5) step */
    for (int j = 0; j < n; j++) {
        double lo = j == 0 ? -12.0 : -a + (j - 0.5) * step;
        double hi = j == n - 1 ? 12.0 : -a + (j + 0.5) * step;
        double level = -a + j * step;
        int pieces = 64;
        double h = (hi - lo) / pieces;
        for (int p = 0; p < pieces; p++) {
            double c = lo + (p + 0.5) * h;
            for (int k = 0; k < 5; k++) {
                double x = c + 0.5 * h * gx[k];
                double d = x - level;
                total += 0.5 * h * gw[k] * d * d * exp(-0.5 * x * x);
            }
        }
    }
    return total / sqrt(2.0 * M_PI);
}

static void test_alpha_table(void **state) {
    (void)state;
    for (int b = 1; b <= QUEST_MAX_BITS; b++) {
        /* golden-section search, then refine on the derivative's sign */
        double lo = 0.3, hi = 6.0, g = (sqrt(5.0) - 1.0) / 2.0;
        for (int it = 0; it < 60; it++) {
            double c = hi - g * (hi - lo), d = lo + g * (hi - lo);
            if (gauss_mse(c, b) < gauss_mse(d, b))
                hi = d;
            else
                lo = c;
        }
        double a0 = 0.5 * (lo + hi);
        lo = a0 - 1e-3;
        hi = a0 + 1e-3;
        for (int it = 0; it < 40; it++) {
            double mid = 0.5 * (lo + hi), h = 1e-5;
            if (gauss_mse(mid + h, b) - gauss_mse(mid - h, b) > 0)
                hi = mid;
            else
                lo = mid;
        }
        double a = 0.5 * (lo + hi);
        if (fabs(a - quest_alpha(b)) > 1e-6)
            fail_msg("alpha[%d]: minimisation %.9f, table %.9f", b, a, quest_alpha(b));
        /* the paper's constants are close but not the optimum beyond b = 3 */
        assert_true(fabs(quest_alpha_paper(b) - a) < 0.04);
    }
    assert_true(fabs(quest_alpha(1) - sqrt(2.0 / M_PI)) < 1e-9);
    assert_true(fabs(quest_alpha(1) - 0.797885) < 1e-6 && fabs(quest_alpha(3) - 2.051068) < 1e-6);
}

static double sylvester(size_t i, size_t j, size_t n) {
    return (__builtin_popcountll(i & j) & 1 ? -1.0 : 1.0) / sqrt((double)n);
}

static void test_hadamard(void **state) {
    (void)state;
    assert_int_equal(qhadamard_block(256), 128);
    assert_int_equal(qhadamard_block(128), 128);
    assert_int_equal(qhadamard_block(96), 32);
    assert_int_equal(qhadamard_block(100), 4);
    assert_int_equal(qhadamard_block(7), 1);
    assert_int_equal(qhadamard_block(384), 128);
    static float col[128 * 128];
    for (size_t n = 1; n <= 128; n *= 2) {
        /* columns H e_j: equal to the Sylvester matrix, orthonormal (H H^T = I) */
        for (size_t j = 0; j < n; j++) {
            float *c = col + j * n;
            memset(c, 0, n * sizeof *c);
            c[j] = 1.0f;
            qhadamard_fwht(c, n);
            for (size_t i = 0; i < n; i++) assert_true(fabs(c[i] - sylvester(i, j, n)) < 1e-7);
        }
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < n; k++) {
                double dot = 0;
                for (size_t i = 0; i < n; i++) dot += (double)col[j * n + i] * col[k * n + i];
                assert_true(fabs(dot - (j == k ? 1.0 : 0.0)) < 1e-6);
            }
        /* self-inverse on random data */
        float x[128], y[128];
        for (size_t i = 0; i < n; i++) x[i] = y[i] = grand();
        qhadamard_fwht(y, n);
        qhadamard_fwht(y, n);
        for (size_t i = 0; i < n; i++) assert_true(fabsf(y[i] - x[i]) <= 1e-6f * (1 + fabsf(x[i])));
    }
    /* block-diagonal rows: 3 x 384 = blocks of 128, each row and block independent */
    static float m[3 * 384], r[3 * 384];
    for (int i = 0; i < 3 * 384; i++) m[i] = r[i] = grand();
    qhadamard_rows(r, 3, 384);
    for (size_t row = 0; row < 3; row++)
        for (size_t blk = 0; blk < 3; blk++)
            for (size_t i = 0; i < 128; i++) {
                double s = 0;
                for (size_t j = 0; j < 128; j++)
                    s += sylvester(i, j, 128) * m[row * 384 + blk * 128 + j];
                assert_true(fabs(r[row * 384 + blk * 128 + i] - s) < 1e-5);
            }
    qhadamard_rows(r, 3, 384);
    for (int i = 0; i < 3 * 384; i++) assert_true(fabsf(r[i] - m[i]) < 1e-5f);
}

enum { R = 8, C = 256 };

static void test_forward_and_masks(void **state) {
    (void)state;
    static float x[R * C], xh[R * C], y[R * C], yo[R * C], t[R * C];
    static uint8_t pass[R * C];
    for (int i = 0; i < R * C; i++) x[i] = grand() * (i % 17 == 0 ? 4.0f : 1.0f);
    memcpy(xh, x, sizeof x);
    qhadamard_rows(xh, R, C);
    for (int b = 1; b <= QUEST_MAX_BITS; b++) {
        char spec[32], err[128];
        snprintf(spec, sizeof spec, "quest%d:rotated", b);
        qspec q;
        assert_int_equal(qspec_parse(spec, &q, err, sizeof err), 0);
        qstats st = {0};
        assert_int_equal(qspec_fake_quant(&q, x, y, R, C, pass, &st), 0);
        int n = 1 << b;
        size_t masked = 0, clipped = 0;
        for (size_t r = 0; r < R; r++) {
            const float *h = xh + r * C;
            double sigma = quest_rms(h, C);
            /* sigma is the RMS of the row (independent double sum) */
            double ss = 0;
            for (size_t i = 0; i < C; i++) ss += (double)h[i] * h[i];
            assert_true(fabs(sigma - sqrt(ss / C)) < 1e-12 * (1 + sigma));
            double s = quest_alpha(b) * sigma, step = 2 * s / (n - 1);
            float thr = (float)(quest_alpha(b) / (n - 1) * sigma);
            for (size_t i = 0; i < C; i++) {
                float qv = y[r * C + i];
                /* on the grid: (j + 0.5) * step - s ... i.e. level index is an integer */
                double j = (qv + s) / step;
                assert_true(fabs(j - nearbyint(j)) < 1e-4 && j > -1e-4 && j < n - 1 + 1e-4);
                /* nearest level to the clamped value */
                double c = h[i] < -s ? -s : (h[i] > s ? s : h[i]);
                assert_true(fabs(qv - c) <= 0.5 * step * (1 + 1e-5) + 1e-6);
                /* the trust mask is exactly the formula */
                int want = fabsf(qv - h[i]) <= thr;
                assert_int_equal(pass[r * C + i], want);
                masked += !want;
                clipped += fabs(h[i]) > (float)s;
            }
        }
        assert_int_equal(st.masked, masked);
        assert_int_equal(st.clipped, clipped);
        /* original basis: the rotated output rotated back, bit for bit */
        snprintf(spec, sizeof spec, "quest%d", b);
        qspec_parse(spec, &q, err, sizeof err);
        qspec_fake_quant(&q, x, yo, R, C, NULL, NULL);
        memcpy(t, y, sizeof y);
        qhadamard_rows(t, R, C);
        assert_memory_equal(t, yo, sizeof t);
        /* in place gives the same */
        memcpy(t, x, sizeof x);
        qspec_fake_quant(&q, t, t, R, C, NULL, NULL);
        assert_memory_equal(t, yo, sizeof t);
    }
    /* W1A1 clip mask: |xh| <= 1.30 * alpha(1) * sigma */
    qspec q;
    char err[128];
    assert_int_equal(qspec_parse("quest1:clipmask:rotated", &q, err, sizeof err), 0);
    qspec_fake_quant(&q, x, y, R, C, pass, NULL);
    for (size_t r = 0; r < R; r++) {
        double sigma = quest_rms(xh + r * C, C);
        float thr = (float)(1.30 * quest_alpha(1) * sigma);
        for (size_t i = 0; i < C; i++) {
            assert_int_equal(pass[r * C + i], fabsf(xh[r * C + i]) <= thr);
            /* one bit: +-alpha * sigma */
            assert_true(fabs(fabs(y[r * C + i]) - quest_alpha(1) * sigma) < 1e-5 * sigma);
        }
    }
    /* an explicit trust factor */
    assert_int_equal(qspec_parse("quest4:trust=0.05:rotated", &q, err, sizeof err), 0);
    qspec_fake_quant(&q, x, y, R, C, pass, NULL);
    for (size_t r = 0; r < R; r++) {
        float thr = (float)(0.05 * quest_rms(xh + r * C, C));
        for (size_t i = 0; i < C; i++)
            assert_int_equal(pass[r * C + i], fabsf(y[r * C + i] - xh[r * C + i]) <= thr);
    }
}

static void test_backward(void **state) {
    (void)state;
    static float x[R * C], y[R * C], dy[R * C], dx[R * C], t[R * C];
    static uint8_t pass[R * C];
    for (int i = 0; i < R * C; i++) {
        x[i] = grand();
        dy[i] = grand();
    }
    qspec q;
    char err[128];
    /* original basis: dx = H (mask * H dy) */
    qspec_parse("quest2", &q, err, sizeof err);
    qspec_fake_quant(&q, x, y, R, C, pass, NULL);
    qspec_backward(&q, dy, dx, R, C, pass, 1);
    for (size_t r = 0; r < R; r++)
        for (size_t blk = 0; blk < C; blk += 128)
            for (size_t i = 0; i < 128; i++) {
                double s = 0;
                for (size_t k = 0; k < 128; k++) {
                    double hk = 0;
                    for (size_t j = 0; j < 128; j++)
                        hk += sylvester(k, j, 128) * dy[r * C + blk + j];
                    s += sylvester(i, k, 128) * (pass[r * C + blk + k] ? hk : 0.0);
                }
                assert_true(fabs(dx[r * C + blk + i] - s) < 1e-5);
            }
    /* no mask: identity in the original basis */
    qspec_backward(&q, dy, dx, R, C, pass, 0);
    assert_memory_equal(dx, dy, sizeof dx);
    /* rotated basis: dx = H (mask * dy) */
    qspec_parse("quest2:rotated", &q, err, sizeof err);
    qspec_fake_quant(&q, x, y, R, C, pass, NULL);
    qspec_backward(&q, dy, dx, R, C, pass, 1);
    for (int i = 0; i < R * C; i++) t[i] = pass[i] ? dy[i] : 0.0f;
    qhadamard_rows(t, R, C);
    assert_memory_equal(dx, t, sizeof t);
    /* plain formats: clipped STE */
    qspec_parse("int4", &q, err, sizeof err);
    memset(pass, 1, sizeof pass);
    pass[3] = 0;
    qspec_backward(&q, dy, dx, R, C, pass, 1);
    for (int i = 0; i < R * C; i++) assert_true(dx[i] == (i == 3 ? 0.0f : dy[i]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alpha_table),
        cmocka_unit_test(test_hadamard),
        cmocka_unit_test(test_forward_and_masks),
        cmocka_unit_test(test_backward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
