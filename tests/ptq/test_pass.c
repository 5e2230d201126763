/* The calibration pass of ptq_model.c runs the blocks itself, one at a time over all
 * calibration tokens. Its Hessians must be those of the inputs the model's own forward
 * (model_pass.inc) gives each layer: this catches any drift between the two passes, with
 * and without activation/KV fake quantization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "config.h"
#include "optimizer.h"
#include "ptq/ptq.h"
#include "qat/qat_model.h"
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* H_ref += 2 X^T X / n in double. */
static void add_ref(double *H, const float *X, size_t rows, size_t cols, size_t n) {
    for (size_t t = 0; t < rows; t++)
        for (size_t i = 0; i < cols; i++)
            for (size_t j = 0; j < cols; j++)
                H[i * cols + j] += 2.0 * X[t * cols + i] * X[t * cols + j] / (double)n;
}

static void compare(const double *H, const double *ref, size_t cols, const char *what) {
    double num = 0, den = 0;
    for (size_t i = 0; i < cols * cols; i++) {
        num += (H[i] - ref[i]) * (H[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    double rel = sqrt(num / den);
    if (!(rel < 1e-5))
        fail_msg("%s: Hessian differs from the forward's by %.3g (relative)", what, rel);
}

static void check(const char *a_quant, const char *kv_quant, int proj_norm) {
    model_shape s = {300, 32, 2, 2, 16, model_default_ffn_hidden(32), proj_norm};
    const int mb = 3, nseq = 6, T = s.ctx, C = s.d_model, F = s.ffn_hidden, L = s.n_layer;
    model_f32 m;
    char err[512];
    assert_int_equal(model_create_f32(&m, &s, mb, err, sizeof err), 0);
    init_params(m.params, &s, &m.layout, 0.2, 3);
    if (a_quant || kv_quant) {
        train_config c;
        config_defaults(&c);
        if (a_quant) assert_int_equal(config_set(&c, "a_quant", a_quant, err, sizeof err), 0);
        if (kv_quant) assert_int_equal(config_set(&c, "kv_quant", kv_quant, err, sizeof err), 0);
        qat_plan plan;
        assert_int_equal(qat_plan_from_config(&c, &plan, err, sizeof err), 0);
        assert_int_equal(model_qat_attach(&m, &plan, err, sizeof err), 0);
    }
    uint16_t tok[6 * 16];
    uint64_t x = 12345;
    for (size_t i = 0; i < sizeof tok / sizeof *tok; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        tok[i] = (uint16_t)((x >> 33) % (uint64_t)s.vocab);
    }
    ptq_hessians hs;
    assert_int_equal(ptq_collect_hessians(&m, tok, nseq, 1, &hs, err, sizeof err), 0);

    /* The same tokens through model_forward, chunk by chunk as the pass does. */
    size_t per = 3 * (size_t)C * C + (size_t)F * F, n = (size_t)nseq * T;
    double *ref = calloc((size_t)L * per + (size_t)C * C, sizeof *ref);
    const size_t MAX = (size_t)mb * T;
    for (int b0 = 0; b0 < nseq; b0 += mb) {
        model_forward_f32(&m, tok + (size_t)b0 * T, NULL, mb);
        for (int l = 0; l < L; l++) {
            double *h = ref + (size_t)l * per;
            add_ref(h, m.act.ln1 + l * MAX * C, MAX, C, n);
            add_ref(h + C * C, m.act.atty + l * MAX * C, MAX, C, n);
            add_ref(h + 2 * C * C, m.act.ln2 + l * MAX * C, MAX, C, n);
            add_ref(h + 3 * C * C, m.act.swi + l * MAX * F, MAX, F, n);
        }
        add_ref(ref + (size_t)L * per, m.act.lnf, MAX, C, n);
    }
    const char *names[4] = {"Wqkv", "Wo", "W13", "W2"};
    for (int l = 0; l < L; l++)
        for (int k = 0; k < 4; k++) {
            size_t off = (size_t)l * per + (size_t)k * C * C, cols = k == 3 ? (size_t)F : (size_t)C;
            char what[96];
            snprintf(what, sizeof what, "%s%s%s%s block %d %s", a_quant ? "a=" : "",
                     a_quant ? a_quant : "", kv_quant ? " kv" : "", proj_norm ? " pn" : "", l,
                     names[k]);
            compare(hs.h + off, ref + off, cols, what);
        }
    compare(hs.h + (size_t)L * per, ref + (size_t)L * per, C, "LM head");
    free(ref);
    ptq_hessians_free(&hs);
    model_qat_detach(&m);
    model_destroy_f32(&m);
}

static void test_pass_matches_forward(void **state) {
    (void)state;
    check(NULL, NULL, 0);
}

static void test_pass_matches_quantized_forward(void **state) {
    (void)state;
    check("int4", "int4", 0);
}

/* proj_norm: Wo and W2 see the normalised attention and SwiGLU outputs (what the forward
 * saves in atty and swi), in the pass as in the forward. */
static void test_pass_matches_forward_proj_norm(void **state) {
    (void)state;
    check(NULL, NULL, 1);
    check("int4", "int4", 1);
}

int main(void) {
    train_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_matches_forward),
        cmocka_unit_test(test_pass_matches_quantized_forward),
        cmocka_unit_test(test_pass_matches_forward_proj_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
