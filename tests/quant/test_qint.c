/* INTk, k = 1..16: symmetric absmax and asymmetric min-max grids, against references
 * written here; round trip, the half-step error bound, ties to even, granularities. */
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

static uint64_t rng_state = 0x243F6A8885A308D3ull;
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

enum { N = 4096 };

static void test_symmetric_all_bits(void **state) {
    (void)state;
    static float x[N], y[N], z[N];
    for (int k = 1; k <= 16; k++) {
        for (int i = 0; i < N; i++) x[i] = 3.0f * grand();
        char name[16], err[128];
        snprintf(name, sizeof name, "int%d", k);
        qspec q;
        assert_int_equal(qspec_parse(name, &q, err, sizeof err), 0);
        qstats st = {0};
        assert_int_equal(qspec_fake_quant(&q, x, y, 1, N, NULL, &st), 0);
        assert_int_equal(st.total, N);
        float amax = 0;
        double sabs = 0;
        for (int i = 0; i < N; i++) {
            amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
            sabs += fabs(x[i]);
        }
        /* absmax never clips; one bit clips beyond half a step past +-s, i.e. |x| > 2s */
        size_t beyond = 0;
        for (int i = 0; i < N; i++) beyond += k == 1 && fabsf(x[i]) > 2.0f * (float)(sabs / N);
        assert_int_equal(st.clipped, beyond);
        if (k == 1) {
            /* sign times mean|x|; error at most half the step 2s inside [-2s, 2s] */
            float s = (float)(sabs / N);
            for (int i = 0; i < N; i++) {
                assert_true(y[i] == (x[i] < 0 ? -s : s));
                if (fabsf(x[i]) <= s) assert_true(fabsf(x[i] - y[i]) <= s);
            }
        } else {
            int qmax = (1 << (k - 1)) - 1;
            float scale = amax / (float)qmax;
            for (int i = 0; i < N; i++) {
                float v = x[i] / scale;
                float want = nearbyintf(v);
                want = want > qmax ? qmax : (want < -qmax ? -qmax : want);
                assert_true(y[i] == want * scale);
                /* |x - q(x)| <= scale / 2 inside the range (float slack of a few ulps) */
                /* float slack: a few ulps of x (the product r * scale is rounded) */
                assert_true(fabsf(x[i] - y[i]) <= 0.5f * scale + 4e-7f * fabsf(x[i]));
            }
        }
        /* round trip: quantized values are fixed points */
        assert_int_equal(qspec_fake_quant(&q, y, z, 1, N, NULL, NULL), 0);
        for (int i = 0; i < N; i++) assert_true(z[i] == y[i]);
    }
}

static void test_asymmetric_all_bits(void **state) {
    (void)state;
    static float x[N], y[N], z[N];
    for (int k = 1; k <= 16; k++) {
        for (int i = 0; i < N; i++) x[i] = 0.5f + grand(); /* skewed */
        char name[16], err[128];
        snprintf(name, sizeof name, "uint%d", k);
        qspec q;
        assert_int_equal(qspec_parse(name, &q, err, sizeof err), 0);
        assert_int_equal(qspec_fake_quant(&q, x, y, 1, N, NULL, NULL), 0);
        float lo = 0, hi = 0;
        for (int i = 0; i < N; i++) {
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
        int qmax = (1 << k) - 1;
        float scale = (hi - lo) / (float)qmax;
        int zero = (int)nearbyintf(-lo / scale);
        for (int i = 0; i < N; i++) {
            float c = nearbyintf(x[i] / scale) + (float)zero;
            c = c < 0 ? 0 : (c > qmax ? qmax : c);
            float want = (c - (float)zero) * scale;
            assert_true(y[i] == want);
            assert_true(fabsf(x[i] - y[i]) <= 0.5f * scale + 4e-7f * (fabsf(x[i]) + fabsf(lo)));
        }
        /* 0 is exactly representable */
        float zin = 0.0f, zout;
        qint_params p = qint_params_asym(k, lo, hi);
        qint_quant_array(&p, &zin, &zout, 1, NULL);
        assert_true(zout == 0.0f);
        assert_int_equal(qint_encode(&p, 0.0f), p.zero);
        assert_true(qint_decode(&p, qint_encode(&p, x[5])) == y[5]);
        /* round trip with the same grid */
        assert_int_equal(qint_quant_array(&p, y, z, N, NULL), 0);
        for (int i = 0; i < N; i++) assert_true(z[i] == y[i]);
    }
}

static void test_ties_and_clamp(void **state) {
    (void)state;
    /* int4 with amax 7: scale exactly 1, so halves are exact ties */
    float x[] = {7, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, 6.5f, -7};
    float want[] = {7, 2, 4, -2, -0.0f, 0, 2, 6, -7};
    float y[9];
    qint_params p = qint_params_sym(4, 7.0f, 0);
    assert_true(p.scale == 1.0f && p.qmax == 7 && p.qmin == -7);
    uint8_t pass[9];
    assert_int_equal(qint_quant_array(&p, x, y, 9, pass), 0);
    for (int i = 0; i < 9; i++) assert_true(y[i] == want[i]);
    /* outside the range: clamped, counted, mask 0 beyond half a step */
    float o[] = {7.4f, 7.6f, -9.0f, NAN};
    float oy[4];
    uint8_t op[4];
    assert_int_equal(qint_quant_array(&p, o, oy, 4, op), 2);
    assert_true(oy[0] == 7 && oy[1] == 7 && oy[2] == -7 && isnan(oy[3]));
    assert_true(op[0] == 1 && op[1] == 0 && op[2] == 0);
    /* encode / decode */
    assert_int_equal(qint_encode(&p, 2.5f), 2);
    assert_int_equal(qint_encode(&p, -100.0f), -7);
    assert_true(qint_decode(&p, -3) == -3.0f);
    /* all-zero input stays zero */
    float zx[4] = {0}, zy[4] = {1, 1, 1, 1};
    qspec q;
    char err[64];
    qspec_parse("int8", &q, err, sizeof err);
    qspec_fake_quant(&q, zx, zy, 1, 4, NULL, NULL);
    for (int i = 0; i < 4; i++) assert_true(zy[i] == 0.0f);
}

/* The same data through tensor, row and group granularity against per-segment
 * references built from the single-segment quantizer. */
static void test_granularity(void **state) {
    (void)state;
    enum { R = 6, C = 96 };
    static float x[R * C], y[R * C], ref[R * C];
    for (int i = 0; i < R * C; i++) x[i] = grand() * (float)(1 + i / C); /* rows differ */
    const char *specs[] = {"int4:tensor", "int4:row", "int4:g32", "uint3:g40",
                           "e2m1:row",    "e4m3:g16", "nvfp4:row"};
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        qspec q, one;
        char err[128];
        assert_int_equal(qspec_parse(specs[s], &q, err, sizeof err), 0);
        one = q;
        one.granularity = QG_TENSOR;
        size_t g = q.granularity == QG_GROUP ? q.group : (q.granularity == QG_ROW ? C : R * C);
        /* reference: each segment quantized alone as a whole tensor */
        for (size_t r = 0; r < R; r++)
            for (size_t c0 = 0; c0 < C; c0 += (g < C ? g : C)) {
                size_t len = g >= C ? C : (C - c0 < g ? C - c0 : g);
                if (q.granularity == QG_TENSOR) {
                    if (r == 0 && c0 == 0) qspec_fake_quant(&one, x, ref, R, C, NULL, NULL);
                    continue;
                }
                qspec_fake_quant(&one, x + r * C + c0, ref + r * C + c0, 1, len, NULL, NULL);
            }
        assert_int_equal(qspec_fake_quant(&q, x, y, R, C, NULL, NULL), 0);
        for (int i = 0; i < R * C; i++)
            if (y[i] != ref[i]) fail_msg("%s: entry %d: %g vs %g", specs[s], i, y[i], ref[i]);
        /* per-row scales really differ from per-tensor ones */
        if (q.granularity != QG_TENSOR) {
            qspec_fake_quant(&one, x, ref, R, C, NULL, NULL);
            int diff = 0;
            for (int i = 0; i < R * C; i++) diff += y[i] != ref[i];
            assert_true(diff > 0);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symmetric_all_bits),
        cmocka_unit_test(test_asymmetric_all_bits),
        cmocka_unit_test(test_ties_and_clamp),
        cmocka_unit_test(test_granularity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
