/* Training on the GPU (device=cuda, engine/backend.h) against the CPU engine: the same
 * model code path with the CUDA kernel table under it. Checks, each able to fail:
 *   - gradients at initialisation, per tensor: |g_gpu - g_cpu| / |g_cpu| <= 1e-5 (L2
 *     norms), and the loss to 1e-6 relative (FP32 GEMMs in pedantic mode on the GPU:
 *     the sums differ in order only, ~sqrt(K) 6e-8 for K terms); the same with fake
 *     quantization (INT4 weights; QuEST W4A4), since the device quantizers give the CPU's
 *     bits (tests/cuda/test_cuda_quant.c); with INT4 on weights, activations and K/V
 *     together (and an INT8 output gradient with stochastic rounding) 1e-3, since the
 *     float noise can move a value across a rounding boundary, a whole step;
 *   - 200 steps of train_run on the fixture corpus, device=cpu and device=cuda from the
 *     same seed: unquantized, every logged training loss and the final validation loss
 *     agree to 1e-4 relative (the trajectories separate slowly from the float noise);
 *     with QAT the trajectories separate faster (a weight or activation that rounds the
 *     other way after the first step is a jump of one step, which training amplifies),
 *     so the first 10 steps, the means of 20-step windows and the validation loss are
 *     held to bounds 3.5x or more above what an H200 measured (numbers in main);
 *   - two GPU runs of one config give bit-identical /train, /eval (and /quant) and
 *     val_loss, and a GPU run stopped after 120 steps and resumed from its step-100
 *     checkpoint ends bit-identical to the uninterrupted one, for every config here
 *     (QAT with stochastic rounding included);
 *   - matmul=tf32 and bf16 (tensor cores): gradients at init within 1e-2 and 5e-2 of the
 *     CPU's FP32 (unit roundoff 2^-11 and 2^-8) and above 1e-5 and 1e-4, so the mode is
 *     on; a QuEST W4A4 run with BF16 GEMMs against the CPU's FP32 as the QAT runs;
 *   - the GPU run file records the device (gpu_model, gpu_cc, gpu_driver, CUDA driver,
 *     runtime and cuBLAS versions; printed), the CPU one "none" and 0.
 * Prints the measured differences. Exits 77 (CTest SKIP) without a CUDA device. */
#include "backend.h"
#include "config.h"
#include "fixture.h"
#include "kernels.h"
#include "model_f32.h"
#include "optimizer.h"
#include "qat/qat_model.h"
#include "rng.h"
#include "runlog.h"
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static char data_dir[256];

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static double rel_l2(const float *a, const float *b, size_t n) {
    double d = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)a[i] - (double)b[i];
        d += e * e;
        r += (double)b[i] * (double)b[i];
    }
    return r > 0 ? sqrt(d / r) : sqrt(d);
}

/* Sets the space-separated KEY=VALUE knobs of text on c. 0, or -1 (a CHECK failed). */
static int set_knobs(train_config *c, const char *text) {
    char err[512], buf[300], *save = NULL;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *k = strtok_r(buf, " ", &save); k; k = strtok_r(NULL, " ", &save))
        if (config_set_arg(c, k, err, sizeof err)) {
            CHECK(0, "%s: %s", k, err);
            return -1;
        }
    return 0;
}

/* The fake-quantization plan of the knobs in quant (space separated; "" for none). */
static int plan_of(const char *quant, qat_plan *p) {
    train_config c;
    char err[512];
    config_defaults(&c);
    if (set_knobs(&c, quant)) return -1;
    if (qat_plan_from_config(&c, p, err, sizeof err)) {
        CHECK(0, "%s: %s", quant, err);
        return -1;
    }
    return 0;
}

/* One forward and backward of the same batch from the same parameters on both sides,
 * with the fake quantization of quant (the weights quantized as a training step does,
 * the weight gradients mapped back). */
static void test_grads_at_init(const char *quant, const char *matmul, double tol, double floor) {
    char err[512];
    model_shape s = {512, 64, 2, 4, 64, 0, 0};
    s.ffn_hidden = model_default_ffn_hidden(s.d_model);
    const int B = 4, M = B * s.ctx;
    model_f32 cpu, gpu;
    backend be;
    if (model_create_f32(&cpu, &s, B, err, sizeof err) ||
        backend_cuda_create(&be, 0, err, sizeof err) ||
        backend_set_matmul(&be, matmul, err, sizeof err) ||
        model_create_on_f32(&gpu, &s, B, be, err, sizeof err)) {
        CHECK(0, "setup: %s", err);
        return;
    }
    qat_plan plan;
    if (plan_of(quant, &plan) || model_qat_attach(&cpu, &plan, err, sizeof err) ||
        model_qat_attach(&gpu, &plan, err, sizeof err)) {
        CHECK(0, "%s: %s", quant, err);
        return;
    }
    init_params(cpu.params, &s, &cpu.layout, 0.02, 7);
    size_t bytes = cpu.layout.total * sizeof(float);
    be.ops->upload(be.ctx, gpu.params, cpu.params, bytes);
    memset(cpu.grads, 0, bytes);
    be.ops->zero(be.ctx, gpu.grads, bytes);
    model_qat_quantize_weights(&cpu);
    model_qat_quantize_weights(&gpu);
    model_qat_set_step(&cpu, 1);
    model_qat_set_step(&gpu, 1);
    uint16_t *in = malloc((size_t)M * sizeof *in), *tg = malloc((size_t)M * sizeof *tg);
    rng g;
    rng_seed(&g, 11);
    for (int i = 0; i < M; i++) {
        in[i] = (uint16_t)(rng_next(&g) % (uint64_t)s.vocab);
        tg[i] = (uint16_t)(rng_next(&g) % (uint64_t)s.vocab);
    }
    float scale = 1.0f / (float)M;
    double lc = model_forward_f32(&cpu, in, tg, B), lg = model_forward_f32(&gpu, in, tg, B);
    model_backward_f32(&cpu, in, tg, B, scale);
    model_backward_f32(&gpu, in, tg, B, scale);
    model_qat_weight_backward(&cpu);
    model_qat_weight_backward(&gpu);
    float *gg = malloc(bytes);
    be.ops->download(be.ctx, gg, gpu.grads, bytes);
    const char *e = be.ops->error(be.ctx);
    CHECK(!e, "device: %s", e ? e : "");
    double lrel = fabs(lg - lc) / fabs(lc);
    double ltol = tol > 1e-5 ? tol : 1e-6;
    printf("grads at init (d64 l2 h4, ctx 64, B 4, %s, matmul=%s): loss cpu %.9f gpu %.9f rel "
           "%.2e\n",
           quant[0] ? quant : "fp32", matmul, lc / M, lg / M, lrel);
    CHECK(lrel <= ltol, "%s: loss at init: relative difference %.3e > %.0e", quant, lrel, ltol);
    for (int t = 0; t < PT_COUNT; t++) {
        size_t off = cpu.layout.offset[t], n = cpu.layout.size[t];
        if (n == 0) continue; /* the proj_norm gains (lno, lnw2) when proj_norm=0 */
        double r = rel_l2(gg + off, cpu.grads + off, n);
        printf("  %-5s %8zu values: relative L2 difference %.2e\n", param_tensor_name(t), n, r);
        CHECK(r <= tol, "%s %s: gradient of %s: relative difference %.3e > %.0e", quant, matmul,
              param_tensor_name(t), r, tol);
        /* a tensor-core mode that is really on moves every product well above FP32 noise */
        CHECK(r >= floor, "%s %s: gradient of %s: relative difference %.3e < %.0e", quant, matmul,
              param_tensor_name(t), r, floor);
    }
    model_qat_detach(&gpu);
    model_qat_detach(&cpu);
    free(gg);
    free(in);
    free(tg);
    model_destroy_f32(&gpu);
    backend_cuda_destroy(&be);
    model_destroy_f32(&cpu);
}

static void make_config(train_config *c, const char *device, const char *out, const char *quant) {
    char err[256], arg[600];
    config_defaults(c);
    const char *knobs[] = {"d_model=64",       "n_layer=2",     "n_head=2",      "ctx=64",
                           "batch=16",         "micro_batch=8", "tokens=204800", "eval_every=50",
                           "eval_tokens=4096", "threads=8",     "lr=0.003"};
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
        if (config_set_arg(c, knobs[i], err, sizeof err)) CHECK(0, "%s: %s", knobs[i], err);
    snprintf(arg, sizeof arg, "data=%s", data_dir);
    config_set_arg(c, arg, err, sizeof err);
    snprintf(arg, sizeof arg, "device=%s", device);
    if (config_set_arg(c, arg, err, sizeof err)) CHECK(0, "%s: %s", arg, err);
    snprintf(arg, sizeof arg, "out=%s/%s", data_dir, out);
    config_set_arg(c, arg, err, sizeof err);
    set_knobs(c, quant);
}

static int run(train_config *c, int64_t abort_after, train_result *r) {
    char err[600];
    train_hooks h = {0};
    h.abort_after_steps = abort_after;
    int rc = train_run(c, &h, r, err, sizeof err);
    if (rc) CHECK(0, "train_run %s: %s", c->out, err);
    return rc;
}

/* The loss column of table path, or NULL; *n rows. */
static const double *series(const runlog *rl, const char *path, size_t *n) {
    const table *t = runlog_find_table(rl, path);
    *n = t ? t->rows : 0;
    return t ? (const double *)t->col[2] : NULL;
}

static int load(const char *path, runlog *rl) {
    char err[512];
    if (runlog_load(rl, path, err, sizeof err)) {
        CHECK(0, "%s", err);
        return -1;
    }
    return 0;
}

static int same_bits(const runlog *a, const runlog *b, const char *path) {
    size_t na, nb;
    const double *x = series(a, path, &na), *y = series(b, path, &nb);
    return x && y && na == nb && !memcmp(x, y, na * sizeof *x);
}

/* The GPU attributes of the run files' roots (docs/run-file.md, provenance): the
 * device's on the GPU run, printed; "none" and 0 on the CPU run. */
static void check_gpu_provenance(const runlog *cpu, const runlog *gpu) {
    static const char *const strs[] = {"gpu_model", "gpu_cc", "gpu_driver"};
    static const char *const ints[] = {"cuda_driver", "cuda_runtime", "cublas_version"};
    printf("GPU provenance:");
    for (int i = 0; i < 3; i++) {
        const attr *g = attr_get(&gpu->root, strs[i]), *c = attr_get(&cpu->root, strs[i]);
        CHECK(g && g->type == ATTR_STR && g->s[0] && strcmp(g->s, "none"), "GPU run %s: %s",
              strs[i], g && g->type == ATTR_STR ? g->s : "(missing)");
        CHECK(c && c->type == ATTR_STR && !strcmp(c->s, "none"), "CPU run %s: %s", strs[i],
              c && c->type == ATTR_STR ? c->s : "(missing)");
        printf(" %s=%s", strs[i], g && g->type == ATTR_STR ? g->s : "?");
    }
    for (int i = 0; i < 3; i++) {
        const attr *g = attr_get(&gpu->root, ints[i]), *c = attr_get(&cpu->root, ints[i]);
        CHECK(g && g->type == ATTR_INT && g->i > 0, "GPU run %s: %lld", ints[i],
              g && g->type == ATTR_INT ? (long long)g->i : -1LL);
        CHECK(c && c->type == ATTR_INT && c->i == 0, "CPU run %s: %lld", ints[i],
              c && c->type == ATTR_INT ? (long long)c->i : -1LL);
        printf(" %s=%lld", ints[i], g && g->type == ATTR_INT ? (long long)g->i : -1LL);
    }
    int major, minor;
    const attr *cc = attr_get(&gpu->root, "gpu_cc");
    CHECK(cc && cc->type == ATTR_STR && sscanf(cc->s, "%d.%d", &major, &minor) == 2 && major >= 1,
          "gpu_cc is not major.minor");
    printf("\n");
}

/* 200 steps on the CPU and on the GPU, a second GPU run, and a GPU run stopped at step
 * 120 and resumed from its step-100 checkpoint; tag names the files. */
/* Checks: the training loss of every one of the first `early` steps within tol_step,
 * the means of 20-step windows over all 200 within tol_window, the final validation
 * loss within tol_val (all relative). */
static void test_train_against_cpu(const char *tag, const char *quant, const char *matmul,
                                   double tol_step, int early, double tol_window, double tol_val) {
    train_config cc, cg, cg2, cr;
    char f[4][64], gknobs[300];
    const char *kind[4] = {"cpu", "gpu", "gpu2", "resumed"};
    for (int i = 0; i < 4; i++) snprintf(f[i], sizeof f[i], "%s_%s.h5", tag, kind[i]);
    snprintf(gknobs, sizeof gknobs, "%s matmul=%s", quant, matmul); /* the CPU: fp32 */
    make_config(&cc, "cpu", f[0], quant);
    make_config(&cg, "cuda", f[1], gknobs);
    make_config(&cg2, "cuda", f[2], gknobs);
    make_config(&cr, "cuda", f[3], gknobs);
    train_result rc, rg, rg2, rr;
    if (run(&cc, 0, &rc) || run(&cg, 0, &rg) || run(&cg2, 0, &rg2)) return;
    CHECK(!strcmp(rg.status, "done") && rg.steps == 200, "GPU run: %s after %lld steps", rg.status,
          (long long)rg.steps);
    if (run(&cr, 120, &rr)) return;
    CHECK(!strcmp(rr.status, "aborted"), "stopped run: %s", rr.status);
    if (run(&cr, 0, &rr)) return;
    CHECK(rr.resumed_from == 100, "resumed from step %lld, expected 100",
          (long long)rr.resumed_from);
    runlog a, b, b2, br;
    if (load(rc.run_file, &a) || load(rg.run_file, &b) || load(rg2.run_file, &b2) ||
        load(rr.run_file, &br))
        return;
    check_gpu_provenance(&a, &b);
    size_t na, nb;
    const double *la = series(&a, "/train", &na), *lb = series(&b, "/train", &nb);
    CHECK(la && lb && na == nb && na == 200, "training rows: cpu %zu gpu %zu", na, nb);
    double worst = 0, worst_early = 0, worst_win = 0;
    size_t at = 0, first_off = 0;
    for (size_t i = 0; la && lb && i < na && i < nb; i++) {
        double r = fabs(lb[i] - la[i]) / fabs(la[i]);
        if (r > worst) worst = r, at = i;
        if ((int)i < early && r > worst_early) worst_early = r;
        if (r > 1e-4 && !first_off) first_off = i + 1;
    }
    for (size_t w = 0; la && lb && w + 20 <= na && w + 20 <= nb; w += 20) {
        double sa = 0, sb = 0;
        for (size_t i = w; i < w + 20; i++) sa += la[i], sb += lb[i];
        double r = fabs(sb - sa) / fabs(sa);
        if (r > worst_win) worst_win = r;
    }
    double vrel = fabs(rg.val_loss - rc.val_loss) / fabs(rc.val_loss);
    printf("200 steps (d64 l2 h2, ctx 64, batch 16, %s, gpu matmul=%s): loss %.4f -> %.4f "
           "(cpu); relative differences: first above 1e-4 at step %zu, worst %.2e at step %zu, "
           "first %d steps %.2e, 20-step means %.2e, val_loss %.2e (cpu %.6f gpu %.6f); %.1f s "
           "cpu, %.1f s gpu\n",
           quant[0] ? quant : "fp32", matmul, la ? la[0] : NAN, la && na ? la[na - 1] : NAN,
           first_off, worst, at + 1, early, worst_early, worst_win, vrel, rc.val_loss, rg.val_loss,
           rc.wall, rg.wall);
    CHECK(worst_early <= tol_step,
          "%s: training loss of the first %d steps: relative difference "
          "%.3e > %.0e",
          tag, early, worst_early, tol_step);
    CHECK(worst_win <= tol_window,
          "%s: 20-step mean training loss: relative difference %.3e > "
          "%.0e",
          tag, worst_win, tol_window);
    CHECK(vrel <= tol_val, "%s: val_loss: relative difference %.3e > %.0e", tag, vrel, tol_val);
    if (quant[0]) {
        size_t qa, qb;
        series(&a, "/quant", &qa), series(&b, "/quant", &qb);
        CHECK(qa > 0 && qa == qb, "%s: /quant rows cpu %zu gpu %zu", tag, qa, qb);
    }
    CHECK(same_bits(&b, &b2, "/train") && same_bits(&b, &b2, "/eval") &&
              (!quant[0] || same_bits(&b, &b2, "/quant")) &&
              !memcmp(&rg.val_loss, &rg2.val_loss, sizeof rg.val_loss),
          "%s: two GPU runs differ", tag);
    CHECK(same_bits(&b, &br, "/train") && same_bits(&b, &br, "/eval") &&
              (!quant[0] || same_bits(&b, &br, "/quant")) &&
              !memcmp(&rg.val_loss, &rr.val_loss, sizeof rg.val_loss),
          "%s: the resumed GPU run differs from the uninterrupted one", tag);
    printf("GPU repeat bit-identical: %s; resumed at step 100 bit-identical: %s\n",
           same_bits(&b, &b2, "/train") ? "yes" : "no",
           same_bits(&b, &br, "/train") ? "yes" : "no");
    runlog_free(&a);
    runlog_free(&b);
    runlog_free(&b2);
    runlog_free(&br);
}

int main(void) {
    if (psl_cuda_device_count() < 1) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    if (fixture_make_data(data_dir, sizeof data_dir)) {
        fprintf(stderr, "fixture data: failed (PSL_FIXTURE_DIR?)\n");
        return 1;
    }
    /* The bounds and why: the file's header. */
    test_grads_at_init("", "fp32", 1e-5, 0);
    test_grads_at_init("w_quant=int4", "fp32", 1e-5, 0);
    test_grads_at_init("w_quant=quest4 a_quant=quest4", "fp32", 1e-5, 0);
    test_grads_at_init("w_quant=int4 a_quant=int4 kv_quant=int4 g_quant=int8:sr", "fp32", 1e-3, 0);
    test_grads_at_init("", "tf32", 1e-2, 1e-5);
    test_grads_at_init("", "bf16", 5e-2, 1e-4);
    test_train_against_cpu("fp32", "", "fp32", 1e-4, 200, 1e-4, 1e-4);
    /* QAT, measured on an H200 (tests/cuda/h200_train.txt), first 10 steps / 20-step means /
     * val_loss: int4w 6.9e-9 / 4.5e-4 / 1.1e-3, quest 5.0e-5 / 1.4e-2 / 3.4e-3, w4a4kv4
     * 2.1e-4 / 1.1e-2 / 1.5e-3 */
    test_train_against_cpu("int4w", "w_quant=int4", "fp32", 1e-4, 10, 5e-2, 2e-2);
    test_train_against_cpu("quest", "w_quant=quest4 a_quant=quest4", "fp32", 5e-4, 10, 5e-2, 2e-2);
    test_train_against_cpu("w4a4kv4", "w_quant=int4 a_quant=int4 kv_quant=int4 g_quant=int8:sr",
                           "fp32", 1e-3, 10, 5e-2, 2e-2);
    /* BF16 tensor-core GEMMs against the CPU's FP32 (measured 6.9e-5 / 2.3e-2 / 1.0e-4);
     * repeat and resume stay bit-identical */
    test_train_against_cpu("bf16mm", "w_quant=quest4 a_quant=quest4", "bf16", 3e-2, 10, 8e-2, 3e-2);
    fixture_remove_tree(data_dir);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
