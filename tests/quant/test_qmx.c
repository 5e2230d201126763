/* MX blocks and NVFP4 on hand-made blocks: the shared-exponent rule of OCP MX v1.0,
 * element rounding and saturation, and NVFP4's two-level scale. Element references are
 * value tables written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "quant/quant.h"

/* Nearest of a sorted non-negative table (ties to the even index), saturating. */
static float nearest(const float *t, int n, float x) {
    float a = fabsf(x), r = t[n - 1];
    for (int i = 0; i + 1 < n; i++) {
        if (a <= t[i + 1]) {
            float dl = a - t[i], dh = t[i + 1] - a;
            r = dl < dh ? t[i] : (dh < dl ? t[i + 1] : ((i & 1) ? t[i + 1] : t[i]));
            break;
        }
    }
    return x < 0 ? -r : r;
}

static const float E2M1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};

static float quant1(const char *spec, const float *x, float *y, size_t n) {
    qspec q;
    char err[128];
    assert_int_equal(qspec_parse(spec, &q, err, sizeof err), 0);
    qstats st = {0};
    assert_int_equal(qspec_fake_quant(&q, x, y, 1, n, NULL, &st), 0);
    return (float)st.clipped;
}

static void test_shared_exponent(void **state) {
    (void)state;
    /* X = 2^(floor(log2 amax) - emax_elem), clamped to [-127, 127] */
    assert_int_equal(qmx_shared_exp(1.0f, 2), -2);
    assert_int_equal(qmx_shared_exp(6.0f, 2), 0);
    assert_int_equal(qmx_shared_exp(7.99f, 2), 0);
    assert_int_equal(qmx_shared_exp(8.0f, 2), 1);
    assert_int_equal(qmx_shared_exp(448.0f, 8), 0);
    assert_int_equal(qmx_shared_exp(500.0f, 8), 0);
    assert_int_equal(qmx_shared_exp(0.75f, 15), -16);
    assert_int_equal(qmx_shared_exp(ldexpf(1, -149), 8), -127); /* clamped */
    assert_int_equal(qmx_shared_exp(1e38f, 0), 126);
    assert_true(qpow2f(-127) == ldexpf(1, -127) && qpow2f(3) == 8.0f && qpow2f(-149) > 0);
}

static void test_mxfp4_block(void **state) {
    (void)state;
    /* amax 5 -> floor(log2 5) = 2, X = 2^(2-2) = 1: elements are plain E2M1 */
    float x[32], y[32];
    for (int i = 0; i < 32; i++) x[i] = -5.0f + 10.0f * (float)i / 31.0f;
    quant1("mxfp4", x, y, 32);
    for (int i = 0; i < 32; i++) assert_true(y[i] == nearest(E2M1, 8, x[i]));
    /* amax 7.5 -> X = 1, 7.5 saturates at 6 (clipped) */
    x[3] = 7.5f;
    assert_true(quant1("mxfp4", x, y, 32) == 1.0f);
    assert_true(y[3] == 6.0f);
    /* scale by 2^-10: same pattern scaled */
    float xs[32], ys[32];
    for (int i = 0; i < 32; i++) xs[i] = ldexpf(x[i], -10);
    quant1("mxfp4", xs, ys, 32);
    for (int i = 0; i < 32; i++) assert_true(ys[i] == ldexpf(y[i], -10));
    /* two blocks get independent scales; a tail block of 8 is its own block */
    float z[72], zy[72];
    for (int i = 0; i < 72; i++) z[i] = i < 32 ? 0.001f * (float)(i + 1) : (float)(i - 40);
    quant1("mxfp4", z, zy, 72);
    /* block 0: amax 0.032 -> floor(log2) = -5, X = 2^-7 */
    for (int i = 0; i < 32; i++)
        assert_true(zy[i] == ldexpf(nearest(E2M1, 8, ldexpf(z[i], 7)), -7));
    /* tail block 64..71: values 24..31, amax 31 -> X = 2^(4-2) = 4 */
    for (int i = 64; i < 72; i++) assert_true(zy[i] == 4.0f * nearest(E2M1, 8, z[i] / 4.0f));
    /* zeros and NaN survive */
    float w[32] = {0}, wy[32];
    w[5] = NAN;
    quant1("mxfp4", w, wy, 32);
    assert_true(isnan(wy[5]) && wy[0] == 0.0f);
}

static void test_mxfp8_mxfp6_mxint8(void **state) {
    (void)state;
    float x[32], y[32];
    char err[64];
    /* MXFP8 E4M3: amax 500 -> X = 2^(8-8) = 1, 500 saturates at 448 */
    for (int i = 0; i < 32; i++) x[i] = (float)i * 3.3f;
    x[0] = 500.0f;
    assert_true(quant1("mxfp8_e4m3", x, y, 32) == 1.0f);
    qfp_format f;
    qfp_format_init(&f, 4, 3, QFP_FN, err, sizeof err);
    assert_true(y[0] == 448.0f);
    for (int i = 1; i < 32; i++) assert_true(y[i] == qfp_round(&f, x[i]));
    /* MXFP8 E5M2: amax 1 -> X = 2^-15 */
    for (int i = 0; i < 32; i++) x[i] = (float)(i + 1) / 32.0f;
    quant1("mxfp8_e5m2", x, y, 32);
    qfp_format_init(&f, 5, 2, QFP_IEEE, err, sizeof err);
    for (int i = 0; i < 32; i++) assert_true(y[i] == ldexpf(qfp_round(&f, ldexpf(x[i], 15)), -15));
    /* MXFP6 E3M2 (emax 4) and E2M3 (emax 2) */
    quant1("mxfp6_e3m2", x, y, 32);
    qfp_format_init(&f, 3, 2, QFP_FINITE, err, sizeof err);
    for (int i = 0; i < 32; i++) assert_true(y[i] == ldexpf(qfp_round(&f, ldexpf(x[i], 4)), -4));
    quant1("mxfp6_e2m3", x, y, 32);
    qfp_format_init(&f, 2, 3, QFP_FINITE, err, sizeof err);
    for (int i = 0; i < 32; i++) assert_true(y[i] == ldexpf(qfp_round(&f, ldexpf(x[i], 2)), -2));
    /* MXINT8: amax 1.5 -> X = 1, elements k/64 with k in -127..127 */
    for (int i = 0; i < 32; i++) x[i] = -1.5f + 3.0f * (float)i / 31.0f;
    quant1("mxint8", x, y, 32);
    for (int i = 0; i < 32; i++) {
        float k = nearbyintf(x[i] * 64.0f);
        assert_true(y[i] == k / 64.0f);
    }
    /* amax 1.999 -> X = 1, saturates at 127/64 */
    x[0] = 1.999f;
    quant1("mxint8", x, y, 32);
    assert_true(y[0] == 127.0f / 64.0f);
}

static void test_nvfp4(void **state) {
    (void)state;
    char err[64];
    qfp_format e4m3;
    qfp_format_init(&e4m3, 4, 3, QFP_FN, err, sizeof err);
    /* tensor amax 2688 = 6 * 448: tensor scale exactly 1 */
    float x[32], y[32];
    for (int i = 0; i < 32; i++) x[i] = 0;
    x[0] = 2688.0f;
    for (int i = 16; i < 32; i++) x[i] = -5.0f + 10.0f * (float)(i - 16) / 15.0f;
    assert_true(qnvfp4_tensor_scale(2688.0f) == 1.0f);
    quant1("nvfp4", x, y, 32);
    /* block 0: amax 2688 -> block scale E4M3(448) = 448; 2688/448 = 6 exactly */
    assert_true(y[0] == 2688.0f);
    /* block 1: amax 5 -> E4M3(5/6) = 0.8125; elements E2M1(x / 0.8125) * 0.8125 */
    float sb = qfp_round(&e4m3, 5.0f / 6.0f);
    assert_true(sb == 0.8125f);
    assert_true(qnvfp4_block_scale(5.0f, 1.0f) == sb);
    for (int i = 16; i < 32; i++) assert_true(y[i] == nearest(E2M1, 8, x[i] / sb) * sb);
    assert_true(y[31] == 6.0f * 0.8125f); /* 5 / 0.8125 = 6.15 saturates at 6 */
    /* a second level: tensor amax 1 -> s_t = 1/2688, block of amax 0.25 */
    float z[16], zy[16];
    for (int i = 0; i < 16; i++) z[i] = 0.25f * (float)(i - 7) / 8.0f;
    z[15] = 1.0f;
    quant1("nvfp4", z, zy, 16);
    float st = 1.0f / 2688.0f;
    float sb2 = qfp_round(&e4m3, 1.0f / 6.0f / st);
    for (int i = 0; i < 16; i++)
        assert_true(zy[i] == nearest(E2M1, 8, z[i] / (sb2 * st)) * (sb2 * st));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_exponent),
        cmocka_unit_test(test_mxfp4_block),
        cmocka_unit_test(test_mxfp8_mxfp6_mxint8),
        cmocka_unit_test(test_nvfp4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
