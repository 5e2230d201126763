/* Finite-difference gradient checks in float64 of every layer and of the whole
 * model. The engine's layer code is compiled a second time with REAL = double
 * (model_f64.c), so these checks exercise the same source that trains in float.
 * Central differences with h = 1e-6 carry a rounding error of about
 * 1e-16 |f| / h ~ 1e-9 absolute for the O(10) losses used here, so each entry must
 * agree to 1e-6 relative (or 1e-8 absolute for entries below 1e-2), and each
 * tensor to 1e-6 in relative L2 norm: any wrong term in a backward pass produces
 * errors of the order of the gradient itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_f64.h"

#define H_STEP  1e-6
#define REL_TOL 1e-6

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) { /* test-local generator, in [-1, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}
static double *rand_vec(size_t n, double scale) {
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = urand() * scale;
    return v;
}

/* Compares analytic gradient g of a scalar function f at x against central
 * differences, for every coordinate. */
typedef double (*scalar_fn)(void *ctx);
static double check(const char *what, double *x, size_t n, const double *g, scalar_fn f,
                    void *ctx) {
    double worst = 0, diff2 = 0, norm2 = 0;
    for (size_t i = 0; i < n; i++) {
        double keep = x[i];
        x[i] = keep + H_STEP;
        double fp = f(ctx);
        x[i] = keep - H_STEP;
        double fm = f(ctx);
        x[i] = keep;
        double num = (fp - fm) / (2 * H_STEP);
        double err = fabs(num - g[i]) / fmax(1e-2, fmax(fabs(num), fabs(g[i])));
        diff2 += (num - g[i]) * (num - g[i]);
        norm2 += num * num;
        if (err > worst) worst = err;
        if (err > REL_TOL)
            fprintf(stderr, "%s[%zu]: analytic %.10g, numeric %.10g\n", what, i, g[i], num);
    }
    double rel_l2 = sqrt(diff2 / fmax(norm2, 1e-300));
    if (rel_l2 > 1e-6) {
        fprintf(stderr, "%s: relative L2 error %g\n", what, rel_l2);
        return 1;
    }
    return worst;
}

/* ---- RMSNorm: loss = sum(w * rmsnorm(x, g)) ---- */
typedef struct {
    int M, C;
    double *x, *g, *w, *out, *rstd;
} norm_ctx;
static double norm_loss(void *p) {
    norm_ctx *c = p;
    rmsnorm_forward_f64(c->out, c->rstd, c->x, c->g, c->M, c->C);
    double s = 0;
    for (int i = 0; i < c->M * c->C; i++) s += c->w[i] * c->out[i];
    return s;
}
static void test_rmsnorm(void **state) {
    (void)state;
    norm_ctx c = {.M = 5, .C = 7};
    size_t n = (size_t)c.M * c.C;
    c.x = rand_vec(n, 2), c.g = rand_vec(c.C, 1.5), c.w = rand_vec(n, 1);
    c.out = calloc(n, sizeof(double)), c.rstd = calloc(c.M, sizeof(double));
    double *dx = calloc(n, sizeof(double)), *dg = calloc(c.C, sizeof(double));
    norm_loss(&c);
    rmsnorm_backward_f64(dx, dg, c.w, c.x, c.g, c.rstd, c.M, c.C);
    assert_true(check("rmsnorm dx", c.x, n, dx, norm_loss, &c) < REL_TOL);
    assert_true(check("rmsnorm dgain", c.g, c.C, dg, norm_loss, &c) < REL_TOL);
    free(c.x), free(c.g), free(c.w), free(c.out), free(c.rstd), free(dx), free(dg);
}

/* ---- Linear ---- */
typedef struct {
    int M, I, O;
    double *x, *W, *w, *out;
} lin_ctx;
static double lin_loss(void *p) {
    lin_ctx *c = p;
    linear_forward_f64(NULL, c->out, c->x, c->W, c->M, c->I, c->O);
    double s = 0;
    for (int i = 0; i < c->M * c->O; i++) s += c->w[i] * c->out[i];
    return s;
}
static void test_linear(void **state) {
    (void)state;
    lin_ctx c = {.M = 6, .I = 5, .O = 4};
    c.x = rand_vec((size_t)c.M * c.I, 1), c.W = rand_vec((size_t)c.O * c.I, 1);
    c.w = rand_vec((size_t)c.M * c.O, 1), c.out = calloc((size_t)c.M * c.O, sizeof(double));
    double *dx = calloc((size_t)c.M * c.I, sizeof(double));
    double *dW = calloc((size_t)c.O * c.I, sizeof(double));
    lin_loss(&c);
    linear_backward_f64(NULL, dx, dW, c.w, c.x, c.W, c.M, c.I, c.O);
    assert_true(check("linear dx", c.x, (size_t)c.M * c.I, dx, lin_loss, &c) < REL_TOL);
    assert_true(check("linear dW", c.W, (size_t)c.O * c.I, dW, lin_loss, &c) < REL_TOL);
    free(c.x), free(c.W), free(c.w), free(c.out), free(dx), free(dW);
}

/* ---- RoPE followed by attention (the backward of each is checked through the
 * composition, and RoPE alone below) ---- */
typedef struct {
    int B, T, C, H;
    double *qkv, *work, *att, *out, *w, *cos_t, *sin_t, *scratch;
    int rope_only;
} att_ctx;
static double att_loss(void *p) {
    att_ctx *c = p;
    size_t n = (size_t)c->B * c->T * 3 * c->C;
    memcpy(c->work, c->qkv, n * sizeof(double));
    rope_forward_f64(c->work, c->cos_t, c->sin_t, c->B, c->T, c->C, c->H);
    double s = 0;
    if (c->rope_only) {
        for (size_t i = 0; i < n; i++) s += c->w[i] * c->work[i];
        return s;
    }
    attention_forward_f64(NULL, c->out, c->att, c->work, c->B, c->T, c->C, c->H, c->scratch, 8);
    for (int i = 0; i < c->B * c->T * c->C; i++) s += c->w[i] * c->out[i];
    return s;
}
static void run_attention_check(int rope_only) {
    att_ctx c = {.B = 2, .T = 6, .C = 8, .H = 2, .rope_only = rope_only};
    size_t n = (size_t)c.B * c.T * 3 * c.C;
    int hd = c.C / c.H;
    c.qkv = rand_vec(n, 1), c.work = calloc(n, sizeof(double));
    c.att = calloc((size_t)c.B * c.H * c.T * c.T, sizeof(double));
    c.out = calloc((size_t)c.B * c.T * c.C, sizeof(double));
    c.w = rand_vec(rope_only ? n : (size_t)c.B * c.T * c.C, 1);
    c.cos_t = calloc((size_t)c.T * hd / 2, sizeof(double));
    c.sin_t = calloc((size_t)c.T * hd / 2, sizeof(double));
    c.scratch = calloc(attention_scratch_size_f64(c.T, c.C, c.H) * 8, sizeof(double));
    rope_tables_f64(c.cos_t, c.sin_t, c.T, hd);
    att_loss(&c);
    double *g = calloc(n, sizeof(double));
    if (rope_only) {
        memcpy(g, c.w, n * sizeof(double));
    } else {
        attention_backward_f64(NULL, g, c.w, c.att, c.work, c.B, c.T, c.C, c.H, c.scratch, 8);
    }
    rope_backward_f64(g, c.cos_t, c.sin_t, c.B, c.T, c.C, c.H);
    assert_true(check(rope_only ? "rope" : "attention", c.qkv, n, g, att_loss, &c) < REL_TOL);
    free(c.qkv), free(c.work), free(c.att), free(c.out), free(c.w), free(c.cos_t);
    free(c.sin_t), free(c.scratch), free(g);
}
static void test_rope(void **state) {
    (void)state;
    run_attention_check(1);
}
static void test_attention(void **state) {
    (void)state;
    run_attention_check(0);
}

/* Causality: changing a later position must not change an earlier output. */
static void test_attention_causal(void **state) {
    (void)state;
    int B = 1, T = 5, C = 4, H = 1;
    size_t n = (size_t)B * T * 3 * C;
    double *qkv = rand_vec(n, 1), *att = calloc((size_t)T * T, sizeof(double));
    double *o1 = calloc((size_t)T * C, sizeof(double)), *o2 = calloc((size_t)T * C, sizeof(double));
    double *scratch = calloc(attention_scratch_size_f64(T, C, H) * 8, sizeof(double));
    attention_forward_f64(NULL, o1, att, qkv, B, T, C, H, scratch, 8);
    for (int j = 0; j < 3 * C; j++) qkv[(T - 1) * 3 * C + j] += 3.0;
    attention_forward_f64(NULL, o2, att, qkv, B, T, C, H, scratch, 8);
    for (int i = 0; i < (T - 1) * C; i++) assert_true(o1[i] == o2[i]);
    assert_true(o1[(T - 1) * C] != o2[(T - 1) * C]);
    free(qkv), free(att), free(o1), free(o2), free(scratch);
}

/* ---- SwiGLU ---- */
typedef struct {
    int M, F;
    double *h, *w, *out;
} swi_ctx;
static double swi_loss(void *p) {
    swi_ctx *c = p;
    swiglu_forward_f64(c->out, c->h, c->M, c->F);
    double s = 0;
    for (int i = 0; i < c->M * c->F; i++) s += c->w[i] * c->out[i];
    return s;
}
static void test_swiglu(void **state) {
    (void)state;
    swi_ctx c = {.M = 4, .F = 6};
    c.h = rand_vec((size_t)c.M * 2 * c.F, 3), c.w = rand_vec((size_t)c.M * c.F, 1);
    c.out = calloc((size_t)c.M * c.F, sizeof(double));
    double *dh = calloc((size_t)c.M * 2 * c.F, sizeof(double));
    swi_loss(&c);
    swiglu_backward_f64(dh, c.w, c.h, c.M, c.F);
    assert_true(check("swiglu", c.h, (size_t)c.M * 2 * c.F, dh, swi_loss, &c) < REL_TOL);
    free(c.h), free(c.w), free(c.out), free(dh);
}

/* ---- Cross-entropy ---- */
typedef struct {
    int M, V;
    double *logits, *probs;
    uint16_t *t;
} ce_ctx;
static double ce_loss(void *p) {
    ce_ctx *c = p;
    memcpy(c->probs, c->logits, (size_t)c->M * c->V * sizeof(double));
    return crossentropy_forward_f64(c->probs, c->t, c->M, c->V);
}
static void test_crossentropy(void **state) {
    (void)state;
    ce_ctx c = {.M = 4, .V = 9};
    uint16_t t[4] = {0, 8, 3, 3};
    c.t = t;
    c.logits = rand_vec((size_t)c.M * c.V, 4), c.probs = calloc((size_t)c.M * c.V, sizeof(double));
    double loss = ce_loss(&c);
    /* independent value: -sum log softmax */
    double ref = 0;
    for (int m = 0; m < c.M; m++) {
        double z = 0;
        for (int v = 0; v < c.V; v++) z += exp(c.logits[m * c.V + v]);
        ref -= c.logits[m * c.V + t[m]] - log(z);
    }
    assert_true(fabs(loss - ref) < 1e-12 * fabs(ref));
    double *g = calloc((size_t)c.M * c.V, sizeof(double));
    crossentropy_backward_f64(g, c.probs, t, c.M, c.V, 1.0);
    assert_true(check("crossentropy", c.logits, (size_t)c.M * c.V, g, ce_loss, &c) < REL_TOL);
    free(c.logits), free(c.probs), free(g);
}

/* ---- Whole model on a tiny shape ---- */
typedef struct {
    model_f64 m;
    uint16_t in[10], tg[10];
} full_ctx;
static double full_loss(void *p) {
    full_ctx *c = p;
    return model_forward_f64(&c->m, c->in, c->tg, 2) * 0.1;
}
/* The whole model's gradient, every tensor in full; proj_norm adds the norms before Wo
 * and W2 (their gains, and the gradients through them into every tensor before). */
static void run_full_model(int proj_norm) {
    full_ctx c;
    model_shape s = {.vocab = 11,
                     .d_model = 8,
                     .n_layer = 2,
                     .n_head = 2,
                     .ctx = 5,
                     .ffn_hidden = 12,
                     .proj_norm = proj_norm};
    char err[256];
    assert_int_equal(model_create_f64(&c.m, &s, 2, err, sizeof err), 0);
    for (size_t i = 0; i < c.m.layout.total; i++) c.m.params[i] = urand() * 0.5;
    for (int i = 0; i < 10; i++) c.in[i] = (uint16_t)(i * 7 % 11), c.tg[i] = (uint16_t)(i * 5 % 11);
    full_loss(&c);
    memset(c.m.grads, 0, c.m.layout.total * sizeof(double));
    model_backward_f64(&c.m, c.in, c.tg, 2, 0.1);
    for (int t = 0; t < PT_COUNT; t++) {
        double *x = c.m.params + c.m.layout.offset[t];
        double *g = c.m.grads + c.m.layout.offset[t];
        /* a forward call overwrites probabilities only, so the backward state is not
         * needed again; each tensor is checked in full */
        double worst = check(param_tensor_name(t), x, c.m.layout.size[t], g, full_loss, &c);
        if (worst >= REL_TOL)
            fprintf(stderr, "tensor %s: worst rel err %g\n", param_tensor_name(t), worst);
        assert_true(worst < REL_TOL);
        if (t == PT_LNO || t == PT_LNW2) /* present exactly when the knob is on */
            assert_int_equal(c.m.layout.size[t] > 0, proj_norm);
    }
    model_destroy_f64(&c.m);
}
static void test_full_model(void **state) {
    (void)state;
    run_full_model(0);
}
static void test_full_model_proj_norm(void **state) {
    (void)state;
    run_full_model(1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmsnorm),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_rope),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_attention_causal),
        cmocka_unit_test(test_swiglu),
        cmocka_unit_test(test_crossentropy),
        cmocka_unit_test(test_full_model),
        cmocka_unit_test(test_full_model_proj_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
