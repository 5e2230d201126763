/* Training on the GPU (device=cuda, engine/backend.h) against the CPU engine: the same
 * model code path with the CUDA kernel table under it. Checks, each able to fail:
 *   - gradients at initialisation, per tensor: |g_gpu - g_cpu| / |g_cpu| <= 1e-5 (L2
 *     norms), and the loss to 1e-6 relative (FP32 GEMMs in pedantic mode on the GPU:
 *     the sums differ in order only, ~sqrt(K) 6e-8 for K terms);
 *   - 200 steps of train_run on the fixture corpus, device=cpu and device=cuda from the
 *     same seed: every logged training loss and the final validation loss agree to 1e-4
 *     relative (the trajectories separate slowly from the float noise above);
 *   - two GPU runs of one config give bit-identical /train, /eval and val_loss, and a
 *     GPU run stopped after 120 steps and resumed from its step-100 checkpoint ends
 *     bit-identical to the uninterrupted one;
 *   - a run that asks for fake quantization on the GPU is refused before training;
 *   - the GPU run file records the device (gpu_model, gpu_cc, gpu_driver, CUDA driver,
 *     runtime and cuBLAS versions; printed), the CPU one "none" and 0.
 * Prints the measured differences. Exits 77 (CTest SKIP) without a CUDA device. */
#include "backend.h"
#include "config.h"
#include "fixture.h"
#include "kernels.h"
#include "model_f32.h"
#include "optimizer.h"
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

/* One forward and backward of the same batch from the same parameters on both sides. */
static void test_grads_at_init(void) {
    char err[512];
    model_shape s = {512, 64, 2, 4, 64, 0};
    s.ffn_hidden = model_default_ffn_hidden(s.d_model);
    const int B = 4, M = B * s.ctx;
    model_f32 cpu, gpu;
    backend be;
    if (model_create_f32(&cpu, &s, B, err, sizeof err) ||
        backend_cuda_create(&be, 0, err, sizeof err) ||
        model_create_on_f32(&gpu, &s, B, be, err, sizeof err)) {
        CHECK(0, "setup: %s", err);
        return;
    }
    init_params(cpu.params, &s, &cpu.layout, 0.02, 7);
    size_t bytes = cpu.layout.total * sizeof(float);
    be.ops->upload(be.ctx, gpu.params, cpu.params, bytes);
    memset(cpu.grads, 0, bytes);
    be.ops->zero(be.ctx, gpu.grads, bytes);
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
    float *gg = malloc(bytes);
    be.ops->download(be.ctx, gg, gpu.grads, bytes);
    const char *e = be.ops->error(be.ctx);
    CHECK(!e, "device: %s", e ? e : "");
    double lrel = fabs(lg - lc) / fabs(lc);
    printf("grads at init (d64 l2 h4, ctx 64, B 4): loss cpu %.9f gpu %.9f rel %.2e\n", lc / M,
           lg / M, lrel);
    CHECK(lrel <= 1e-6, "loss at init: relative difference %.3e > 1e-6", lrel);
    for (int t = 0; t < PT_COUNT; t++) {
        size_t off = cpu.layout.offset[t], n = cpu.layout.size[t];
        double r = rel_l2(gg + off, cpu.grads + off, n);
        printf("  %-5s %8zu values: relative L2 difference %.2e\n", param_tensor_name(t), n, r);
        CHECK(r <= 1e-5, "gradient of %s: relative difference %.3e > 1e-5", param_tensor_name(t),
              r);
    }
    free(gg);
    free(in);
    free(tg);
    model_destroy_f32(&gpu);
    backend_cuda_destroy(&be);
    model_destroy_f32(&cpu);
}

static void make_config(train_config *c, const char *device, const char *out) {
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

static void test_train_against_cpu(void) {
    train_config cc, cg, cg2, cr;
    make_config(&cc, "cpu", "cpu.h5");
    make_config(&cg, "cuda", "gpu.h5");
    make_config(&cg2, "cuda", "gpu2.h5");
    make_config(&cr, "cuda", "resumed.h5");
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
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; la && lb && i < na && i < nb; i++) {
        double r = fabs(lb[i] - la[i]) / fabs(la[i]);
        if (r > worst) worst = r, at = i;
    }
    double vrel = fabs(rg.val_loss - rc.val_loss) / fabs(rc.val_loss);
    printf("200 steps (d64 l2 h2, ctx 64, batch 16): loss %.4f -> %.4f (cpu), worst relative "
           "difference %.2e at step %zu; val_loss cpu %.6f gpu %.6f rel %.2e\n",
           la ? la[0] : NAN, la && na ? la[na - 1] : NAN, worst, at + 1, rc.val_loss, rg.val_loss,
           vrel);
    CHECK(worst <= 1e-4, "training loss: relative difference %.3e > 1e-4 at step %zu", worst,
          at + 1);
    CHECK(vrel <= 1e-4, "val_loss: relative difference %.3e > 1e-4", vrel);
    CHECK(same_bits(&b, &b2, "/train") && same_bits(&b, &b2, "/eval") &&
              !memcmp(&rg.val_loss, &rg2.val_loss, sizeof rg.val_loss),
          "two GPU runs differ");
    CHECK(same_bits(&b, &br, "/train") && same_bits(&b, &br, "/eval") &&
              !memcmp(&rg.val_loss, &rr.val_loss, sizeof rg.val_loss),
          "the resumed GPU run differs from the uninterrupted one");
    printf("GPU repeat bit-identical: %s; resumed at step 100 bit-identical: %s\n",
           same_bits(&b, &b2, "/train") ? "yes" : "no",
           same_bits(&b, &br, "/train") ? "yes" : "no");
    runlog_free(&a);
    runlog_free(&b);
    runlog_free(&b2);
    runlog_free(&br);
}

static void test_fake_quant_refused(void) {
    train_config c;
    make_config(&c, "cuda", "qat.h5");
    char err[600];
    config_set_arg(&c, "w_quant=int4", err, sizeof err);
    train_hooks h = {0};
    train_result r;
    int rc = train_run(&c, &h, &r, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "CPU only"), "w_quant=int4 on cuda: rc %d, %s", rc, err);
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
    test_grads_at_init();
    test_train_against_cpu();
    test_fake_quant_refused();
    fixture_remove_tree(data_dir);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
