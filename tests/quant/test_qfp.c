/* FP ExMy: every code of every format of 8 bits or fewer, decoded by a reference written
 * here from the bit layout, against the library's rounding, encoding and decoding; and
 * wider formats (FP16, BF16, E5M6, ...) against a reference rounding in double. */
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

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Same float bit for bit, or both NaN. */
static int same(float a, float b) {
    return (a != a && b != b) || bits_of(a) == bits_of(b);
}

/* ---- reference decoder: straight from the layout (sign | exponent | mantissa) ---- */
typedef struct ref_fmt {
    int e, m;
    qfp_special sp;
} ref_fmt;

/* Returns the value; *kind = 0 finite, 1 Inf, 2 NaN. */
static double ref_decode(const ref_fmt *f, uint32_t code, int *kind) {
    int bias = (1 << (f->e - 1)) - 1;
    uint32_t mant = code & ((1u << f->m) - 1u);
    uint32_t ex = (code >> f->m) & ((1u << f->e) - 1u);
    int neg = (code >> (f->e + f->m)) & 1u;
    uint32_t allones_e = (1u << f->e) - 1u, allones_m = (1u << f->m) - 1u;
    *kind = 0;
    if (f->sp == QFP_IEEE && ex == allones_e) {
        *kind = mant == 0 ? 1 : 2;
        return mant == 0 ? (neg ? -INFINITY : INFINITY) : NAN;
    }
    if (f->sp == QFP_FN && ex == allones_e && mant == allones_m) {
        *kind = 2;
        return NAN;
    }
    double frac = 0.0;
    for (int b = 0; b < f->m; b++)
        if (mant & (1u << b)) frac += pow(2.0, b - f->m);
    double v = ex == 0 ? frac * pow(2.0, 1 - bias) : (1.0 + frac) * pow(2.0, (int)ex - bias);
    return neg ? -v : v;
}

/* Sorted non-negative finite values and the code of each. */
typedef struct table {
    int count;
    double val[256];
    uint32_t code[256];
} table;

static void build_table(const ref_fmt *f, table *t) {
    t->count = 0;
    uint32_t ncodes = 1u << (f->e + f->m); /* positive half */
    for (uint32_t c = 0; c < ncodes; c++) {
        int kind;
        double v = ref_decode(f, c, &kind);
        if (kind != 0) continue;
        /* codes increase with value in the positive half, so the table is sorted */
        if (t->count) assert_true(v > t->val[t->count - 1]);
        t->val[t->count] = v;
        t->code[t->count] = c;
        t->count++;
    }
}

/* Reference rounding: nearest table value, ties to the even code, beyond max -> max. */
static double ref_round(const table *t, double x) {
    if (x != x) return x;
    double a = fabs(x);
    double maxv = t->val[t->count - 1], r;
    if (a >= maxv) {
        r = maxv;
    } else {
        int lo = 0, hi = t->count - 1; /* val[lo] <= a < val[hi] */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (t->val[mid] <= a)
                lo = mid;
            else
                hi = mid;
        }
        double dl = a - t->val[lo], dh = t->val[hi] - a;
        if (dl < dh)
            r = t->val[lo];
        else if (dh < dl)
            r = t->val[hi];
        else
            r = (t->code[lo] & 1u) ? t->val[hi] : t->val[lo];
    }
    return x < 0 || (x == 0 && signbit(x)) ? -r : r;
}

static int format_list(ref_fmt *out, int cap) {
    int n = 0;
    for (int bits = 2; bits <= 8; bits++)
        for (int e = 1; e <= bits - 1; e++) {
            int m = bits - 1 - e;
            qfp_special sps[3] = {QFP_IEEE, QFP_FN, QFP_FINITE};
            for (int s = 0; s < 3; s++) {
                if (sps[s] == QFP_IEEE && e < 2) continue;
                if (sps[s] == QFP_FN && m < 1) continue;
                if (n < cap) out[n++] = (ref_fmt){e, m, sps[s]};
            }
        }
    return n;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static double urand(void) {
    return (double)(rng() >> 11) / 9007199254740992.0;
}

static void test_every_code(void **state) {
    (void)state;
    ref_fmt fl[128];
    int nf = format_list(fl, 128);
    assert_int_equal(nf, 70);
    char err[128];
    for (int k = 0; k < nf; k++) {
        const ref_fmt *rf = &fl[k];
        qfp_format f;
        assert_int_equal(qfp_format_init(&f, rf->e, rf->m, rf->sp, err, sizeof err), 0);
        table t;
        build_table(rf, &t);
        assert_true((float)t.val[t.count - 1] == f.maxval);
        /* every code: decode matches the reference; finite values round to themselves and
         * encode back to their code */
        for (uint32_t c = 0; c < (2u << (rf->e + rf->m)); c++) {
            int kind;
            double v = ref_decode(rf, c, &kind);
            float d = qfp_decode(&f, c);
            if (kind == 2) {
                assert_true(d != d);
                uint32_t cc;
                int rc = qfp_encode(&f, d, &cc);
                assert_int_equal(rc, 0);
                int k2;
                ref_decode(rf, cc, &k2);
                assert_int_equal(k2, 2);
                continue;
            }
            if (kind == 1) {
                assert_true(isinf(d) && (d > 0) == (v > 0));
                /* quantization never produces Inf */
                assert_true(same(qfp_round(&f, d), v > 0 ? f.maxval : -f.maxval));
                continue;
            }
            assert_true(same(d, (float)v));
            if (!same(qfp_round(&f, (float)v), (float)v))
                fail_msg("E%dM%d sp%d code %u: %g", rf->e, rf->m, rf->sp, c, v);
            uint32_t cc;
            assert_int_equal(qfp_encode(&f, (float)v, &cc), 0);
            assert_int_equal(cc, c);
        }
        /* midpoints round to the even code; just off them to the nearer value */
        for (int i = 0; i + 1 < t.count; i++) {
            double lo = t.val[i], hi = t.val[i + 1], mid = 0.5 * (lo + hi);
            float fm = (float)mid;
            assert_true((double)fm == mid);
            double even = (t.code[i] & 1u) ? hi : lo;
            if (!same(qfp_round(&f, fm), (float)even))
                fail_msg("E%dM%d sp%d mid %a got %a want %a", rf->e, rf->m, rf->sp, mid,
                         qfp_round(&f, fm), even);
            assert_true(same(qfp_round(&f, -fm), (float)-even));
            assert_true(same(qfp_round(&f, nextafterf(fm, 0.0f)), (float)lo));
            assert_true(same(qfp_round(&f, nextafterf(fm, INFINITY)), (float)hi));
        }
        /* beyond max saturates; NaN stays NaN */
        float mx = f.maxval;
        float beyond[] = {mx * 1.0001f, mx * 1.5f, mx * 4.0f, 1e30f, 3.0e38f, INFINITY};
        for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
            assert_true(same(qfp_round(&f, beyond[i]), mx));
            assert_true(same(qfp_round(&f, -beyond[i]), -mx));
        }
        float nan = NAN;
        assert_true(isnan(qfp_round(&f, nan)));
        /* random inputs: scalar, array and scaled paths all equal the reference */
        enum { N = 20000 };
        static float xs[N], ys[N], zs[N];
        static uint8_t pass[N];
        double lmin = log2(t.val[1]) - 3, lmax = log2(mx) + 2;
        for (int i = 0; i < N; i++) {
            double mag = pow(2.0, lmin + (lmax - lmin) * urand());
            if (i % 50 == 0) mag = 0.0;
            if (i % 97 == 0) mag = t.val[rng() % (uint64_t)t.count];
            xs[i] = (float)(rng() & 1 ? -mag : mag);
        }
        xs[7] = NAN;
        xs[8] = -INFINITY;
        size_t clipped = qfp_round_array(&f, xs, ys, N, 1.0f, pass);
        size_t expect_clipped = 0;
        for (int i = 0; i < N; i++) {
            float want = (float)ref_round(&t, xs[i]);
            if (!same(ys[i], want) || !same(qfp_round(&f, xs[i]), want))
                fail_msg("E%dM%d sp%d x=%a got %a/%a want %a", rf->e, rf->m, rf->sp, xs[i], ys[i],
                         qfp_round(&f, xs[i]), want);
            expect_clipped += fabsf(xs[i]) > f.clip;
            assert_int_equal(pass[i], !(fabsf(xs[i]) > f.clip));
        }
        assert_int_equal(clipped, expect_clipped);
        /* scaled: y = s * round(x / s) */
        float s = 0.3f;
        qfp_round_array(&f, xs, zs, N, s, NULL);
        for (int i = 0; i < N; i++) {
            float want = (float)ref_round(&t, xs[i] / s) * s;
            assert_true(same(zs[i], want));
        }
        /* in place */
        memcpy(zs, xs, sizeof xs);
        qfp_round_array(&f, zs, zs, N, 1.0f, NULL);
        for (int i = 0; i < N; i++) assert_true(same(zs[i], ys[i]));
    }
}

static void test_named_formats(void **state) {
    (void)state;
    char err[128];
    qfp_format f;
    assert_int_equal(qfp_format_init(&f, 4, 3, QFP_FN, err, sizeof err), 0);
    assert_true(f.maxval == 448.0f && f.min_sub == ldexpf(1, -9) && f.bias == 7);
    assert_true(isnan(qfp_decode(&f, 0x7F)) && isnan(qfp_decode(&f, 0xFF)));
    assert_true(qfp_decode(&f, 0x7E) == 448.0f && qfp_decode(&f, 0x78) == 256.0f);
    assert_int_equal(qfp_format_init(&f, 5, 2, QFP_IEEE, err, sizeof err), 0);
    assert_true(f.maxval == 57344.0f && f.min_sub == ldexpf(1, -16) && f.bias == 15);
    assert_true(isinf(qfp_decode(&f, 0x7C)) && isnan(qfp_decode(&f, 0x7D)));
    assert_int_equal(qfp_format_init(&f, 3, 2, QFP_FINITE, err, sizeof err), 0);
    assert_true(f.maxval == 28.0f && f.min_sub == 0.0625f);
    assert_int_equal(qfp_format_init(&f, 2, 3, QFP_FINITE, err, sizeof err), 0);
    assert_true(f.maxval == 7.5f && f.min_sub == 0.125f);
    assert_int_equal(qfp_format_init(&f, 2, 1, QFP_FINITE, err, sizeof err), 0);
    const float e2m1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (uint32_t c = 0; c < 8; c++) {
        assert_true(qfp_decode(&f, c) == e2m1[c]);
        assert_true(qfp_decode(&f, c | 8u) == -e2m1[c]);
    }
    /* defaults follow OCP where it defines the format */
    assert_int_equal(qfp_default_special(4, 3), QFP_FN);
    assert_int_equal(qfp_default_special(5, 2), QFP_IEEE);
    assert_int_equal(qfp_default_special(2, 1), QFP_FINITE);
    assert_int_equal(qfp_default_special(8, 7), QFP_IEEE);
    /* invalid layouts */
    assert_int_equal(qfp_format_init(&f, 0, 3, QFP_FINITE, err, sizeof err), -1);
    assert_int_equal(qfp_format_init(&f, 8, 8, QFP_IEEE, err, sizeof err), -1);
    assert_non_null(strstr(err, "1 + e + m <= 16"));
    assert_int_equal(qfp_format_init(&f, 1, 2, QFP_IEEE, err, sizeof err), -1);
    assert_int_equal(qfp_format_init(&f, 3, 0, QFP_FN, err, sizeof err), -1);
}

/* Reference for any width: RNE to the grid of ulp 2^(max(floor(log2|x|), emin) - m) in
 * long double arithmetic, then saturation. */
static float ref_round_wide(int e, int m, double maxv, float x) {
    if (x != x) return x;
    long double a = fabsl((long double)x);
    int bias = (1 << (e - 1)) - 1, emin = 1 - bias;
    long double r = 0;
    if (a > 0) {
        int ex = ilogbl(a);
        int k = (ex > emin ? ex : emin) - m;
        long double q = ldexpl(a, -k);
        long double fl = floorl(q), d = q - fl;
        /* ties go to the even code: the even mantissa, or for m = 0 in the normal range
         * the even biased exponent */
        int odd = m == 0 && ex >= emin ? ((ex + bias) & 1) : fmodl(fl, 2.0L) != 0.0L;
        if (d > 0.5L || (d == 0.5L && odd)) fl += 1.0L;
        r = ldexpl(fl, k);
    }
    if (r > maxv) r = maxv;
    float y = (float)r;
    return signbit(x) ? -y : y;
}

static void test_wide_formats(void **state) {
    (void)state;
    char err[128];
    int cases = 0;
    for (int bits = 9; bits <= 16; bits++)
        for (int e = 1; e <= bits - 1; e++) {
            int m = bits - 1 - e;
            qfp_special sp = qfp_default_special(e, m);
            qfp_format f;
            assert_int_equal(qfp_format_init(&f, e, m, sp, err, sizeof err), 0);
            enum { N = 4000 };
            static float xs[N], ys[N];
            for (int i = 0; i < N; i++) {
                /* magnitudes over float32's whole range, subnormals included */
                double l = -152.0 + 280.0 * urand(); /* finite floats only */
                float v = (float)ldexp(1.0 + urand(), (int)floor(l));
                xs[i] = rng() & 1 ? -v : v;
            }
            qfp_round_array(&f, xs, ys, N, 1.0f, NULL);
            for (int i = 0; i < N; i++) {
                float want = ref_round_wide(e, m, f.maxval, xs[i]);
                if (!same(ys[i], want) || !same(qfp_round(&f, xs[i]), want))
                    fail_msg("E%dM%d x=%a got %a want %a", e, m, xs[i], ys[i], want);
            }
            cases++;
        }
    assert_int_equal(cases, 92);
    /* BF16 and FP16 specifics */
    qfp_format bf, hf;
    qfp_format_init(&bf, 8, 7, QFP_IEEE, err, sizeof err);
    qfp_format_init(&hf, 5, 10, QFP_IEEE, err, sizeof err);
    assert_true(hf.maxval == 65504.0f && hf.min_sub == ldexpf(1, -24));
    assert_true(qfp_round(&bf, 1.00390625f) == 1.0f);      /* tie 1 + 2^-8 -> even 1 */
    assert_true(qfp_round(&bf, 1.01171875f) == 1.015625f); /* tie 1 + 3*2^-8 -> even */
    assert_true(qfp_round(&bf, INFINITY) == bf.maxval);
    assert_true(qfp_round(&hf, 65520.0f) == 65504.0f);
    assert_true(qfp_round(&hf, ldexpf(1, -25)) == 0.0f); /* tie with 0 -> 0 */
    assert_true(qfp_round(&hf, ldexpf(3, -26)) == ldexpf(1, -24));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_formats),
        cmocka_unit_test(test_every_code),
        cmocka_unit_test(test_wide_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
