/* Training throughput on a CUDA device (device=cuda): tokens/s and model FLOP/s of
 * one optimizer step (forward, backward, gradient norm, AdamW; the step train_run
 * takes) for the benchmark shapes, on random tokens. Prints a table; the PyTorch peer
 * on the same GPU is bench/torch_peer.py --device cuda (bench/gpu_compare.sh runs both
 * in one call). Medians of timed steps after warm-up steps.
 *
 * With --quant KNOBS (repeatable, e.g. --quant "w_quant=int4 a_quant=int4"), each shape
 * is timed unquantized and then with each such fake-quantization plan, as train_run
 * applies it (weights quantized once per step, gradients mapped back); the last column
 * is the step time over the unquantized step's, measured in the same call.
 *
 * usage: gpu_bench [--steps N] [--shapes 64x2:256,128x4:128,...] [--ctx T] [--vocab V]
 *                  [--quant KNOBS]... [--matmul fp32|tf32|bf16]
 *   a shape is D_MODELxN_LAYER:BATCH; heads = max(1, d/64), as bench/train_bench.c */
#include "backend.h"
#include "model_f32.h"
#include "config.h"
#include "optimizer.h"
#include "qat/qat_model.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Micro-batch as train_run resolves it on cuda (engine/config.c): the largest divisor
 * of batch with at most 65536 tokens and logits of at most 2^28 floats. */
static int micro_batch(int batch, int ctx, int vocab) {
    int mb = 1;
    for (int b = 1; b <= batch; b++)
        if (batch % b == 0 && (long)b * ctx <= 65536 && (long)b * ctx * vocab <= (1L << 28)) mb = b;
    return mb;
}

/* The plan of space-separated knobs (the training knobs of engine/config.c). */
static int plan_of(const char *knobs, qat_plan *p, char *err, size_t errlen) {
    train_config c;
    char buf[512], *save = NULL;
    config_defaults(&c);
    snprintf(buf, sizeof buf, "%s", knobs);
    for (char *k = strtok_r(buf, " ", &save); k; k = strtok_r(NULL, " ", &save))
        if (config_set_arg(&c, k, err, errlen)) return -1;
    return qat_plan_from_config(&c, p, err, errlen);
}

/* Times one shape with one plan; the median step in seconds, or -1. */
static double bench_shape(backend be, int d, int L, int batch, int ctx, int vocab, int steps,
                          const char *quant) {
    char err[512];
    model_shape s = {vocab, d, L, d / 64 > 0 ? d / 64 : 1, ctx, 0, 0};
    s.ffn_hidden = model_default_ffn_hidden(d);
    int mb = micro_batch(batch, ctx, vocab), accum = batch / mb;
    model_f32 m;
    qat_plan plan;
    if (model_create_on_f32(&m, &s, mb, be, err, sizeof err) ||
        plan_of(quant, &plan, err, sizeof err) || model_qat_attach(&m, &plan, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    const backend_ops *o = be.ops;
    size_t n = m.layout.total, bytes = n * sizeof(float);
    float *host = malloc(bytes), *am = o->alloc(be.ctx, bytes), *av = o->alloc(be.ctx, bytes);
    size_t ntok = (size_t)batch * ctx;
    uint16_t *in = malloc(ntok * sizeof *in), *tg = malloc(ntok * sizeof *tg);
    if (!host || !am || !av || !in || !tg) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    init_params(host, &s, &m.layout, 0.02, 1);
    o->upload(be.ctx, m.params, host, bytes);
    o->zero(be.ctx, am, bytes);
    o->zero(be.ctx, av, bytes);
    rng g;
    rng_seed(&g, 2);
    for (size_t i = 0; i < ntok; i++) {
        in[i] = (uint16_t)(rng_next(&g) % (uint64_t)vocab);
        tg[i] = (uint16_t)(rng_next(&g) % (uint64_t)vocab);
    }
    adamw_hparams hp = {1e-3, 0.9, 0.95, 1e-8, 0.1};
    float scale = 1.0f / (float)ntok;
    int warm = 3, total = warm + steps;
    double *t = malloc((size_t)total * sizeof *t), loss = 0;
    for (int k = 0; k < total; k++) {
        double t0 = now_s();
        o->zero(be.ctx, m.grads, bytes);
        model_qat_quantize_weights(&m);
        model_qat_set_step(&m, k + 1);
        for (int a = 0; a < accum; a++) {
            const uint16_t *ia = in + (size_t)a * mb * ctx, *ta = tg + (size_t)a * mb * ctx;
            loss = model_forward_f32(&m, ia, ta, mb); /* waits for the loss, as training */
            model_backward_f32(&m, ia, ta, mb, scale);
        }
        model_qat_weight_backward(&m);
        double gn = o->global_norm(be.ctx, m.grads, n); /* waits */
        o->adamw_step(be.ctx, m.params, m.grads, am, av, &m.layout, &hp, k + 1,
                      gn > 1 ? (float)(1 / gn) : 1.0f);
        double last; /* waits for the step's last kernel: */
        o->download(be.ctx, &last, m.act.row_loss, sizeof last); /* the next step reads it */
        t[k] = now_s() - t0;
    }
    const char *e = o->error(be.ctx);
    if (e) {
        fprintf(stderr, "%s\n", e);
        return -1;
    }
    qsort(t + warm, (size_t)steps, sizeof *t, cmp_double);
    double med = t[warm + steps / 2], tps = (double)ntok / med;
    double fpt = model_flops_per_token(&s);
    printf("d%-4d L%-2d %6d %5d %9lld %9.3f %12.0f %9.2f   %.4f  %s", d, L, batch, mb,
           (long long)model_params_nonembedding(&s), med * 1e3, tps, tps * fpt / 1e12,
           loss / ((double)mb * ctx), quant[0] ? quant : "none");
    free(t);
    free(host);
    free(in);
    free(tg);
    o->release(be.ctx, am, bytes);
    o->release(be.ctx, av, bytes);
    model_qat_detach(&m);
    model_destroy_f32(&m);
    return med;
}

int main(int argc, char **argv) {
    const char *shapes = "64x2:256,128x4:128,256x6:64,512x8:64";
    int steps = 20, ctx = 256, vocab = 4096, nq = 1;
    const char *matmul = "fp32";
    const char *quants[16] = {""};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc)
            shapes = argv[++i];
        else if (!strcmp(argv[i], "--ctx") && i + 1 < argc)
            ctx = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--vocab") && i + 1 < argc)
            vocab = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--matmul") && i + 1 < argc)
            matmul = argv[++i];
        else if (!strcmp(argv[i], "--quant") && i + 1 < argc && nq < 16)
            quants[nq++] = argv[++i];
        else {
            fprintf(stderr, "usage: gpu_bench [--steps N] [--shapes DxL:B,...] [--ctx T] "
                            "[--vocab V] [--quant KNOBS]... [--matmul M]\n");
            return 2;
        }
    }
    char err[512], desc[256];
    backend be;
    if (backend_cuda_create(&be, 0, err, sizeof err) ||
        backend_set_matmul(&be, matmul, err, sizeof err)) {
        fprintf(stderr, "gpu_bench: %s\n", err);
        return 1;
    }
    backend_cuda_describe(&be, desc, sizeof desc);
    printf("# %s; ctx %d, vocab %d, matmul=%s (fp32: cuBLAS pedantic), median of %d steps\n", desc,
           ctx, vocab, matmul, steps);
    printf("# shape   batch micro         N   step_ms     tokens/s   TFLOP/s   loss    quant "
           "(step time / unquantized)\n");
    int rc = 0;
    for (const char *p = shapes; *p;) {
        int d, L, b, used;
        if (sscanf(p, "%dx%d:%d%n", &d, &L, &b, &used) != 3) {
            fprintf(stderr, "gpu_bench: bad shape at '%s' (expected DxL:BATCH)\n", p);
            return 2;
        }
        double base = 0;
        for (int q = 0; q < nq; q++) {
            double t = bench_shape(be, d, L, b, ctx, vocab, steps, quants[q]);
            if (t < 0) {
                rc = 1;
                printf("\n");
                continue;
            }
            if (q == 0) base = t;
            printf(q > 0 && base > 0 ? " (%.2fx)\n" : "\n", t / base);
        }
        p += used;
        if (*p == ',') p++;
    }
    backend_cuda_destroy(&be);
    return rc;
}
