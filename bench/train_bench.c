/* Training throughput of the engine: tokens/s and model-FLOPs utilisation for the
 * benchmark shapes, beside the rate OpenBLAS reaches on the same GEMM shapes and
 * an FMA-loop estimate of the machine's FP32 peak. Prints a table.
 *
 * With --quant, also the step time with fake quantization (W4A4KV4 INT per
 * channel / per tensor, and QuEST W4A4) as a ratio to the FP32 step, measured in
 * the same process.
 *
 * With --gemm, also the step with the engine's own GEMM (gemm=own, docs/gemm.md; the path
 * AUTO picks, or --gemm-path) beside OpenBLAS's: --repeats rounds of OpenBLAS then own in
 * one process, each round the median of --steps steps; tokens/s of both are the medians
 * over the rounds, and own/openblas is the median of the rounds' ratios.
 *
 * usage: train_bench [--steps N] [--threads T] [--shapes 128x4,256x6,512x8]
 *                    [--batch B] [--ctx T] [--vocab V] [--quant]
 *                    [--gemm] [--gemm-path auto|ref|avx2|avx512] [--repeats R] */
#include "cpu_gemm.h"
#include "model_f32.h"
#include "optimizer.h"
#include "procenv.h"
#include "qat/qat_model.h"
#include "train.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
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
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* FP32 FMA throughput: 12 independent vector accumulators per thread keep the FMA
 * pipes busy (latency 4 x 2 ports, plus slack); GCC vector types map to the widest
 * unit -march=native allows (zmm with AVX-512). */
typedef float vfloat __attribute__((vector_size(64)));
static double fma_peak(int threads) {
    double rates[5];
    for (int r = 0; r < 5; r++) {
        const long iters = 4000000;
        float sink = 0;
        double t0 = now_s();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        {
            vfloat acc[12], a, b;
            for (int i = 0; i < 16; i++) a[i] = 0.999999f, b[i] = 1e-7f;
            for (int k = 0; k < 12; k++)
                for (int i = 0; i < 16; i++) acc[k][i] = (float)(k + i) * 1e-3f;
            for (long it = 0; it < iters; it++)
                for (int k = 0; k < 12; k++) acc[k] = acc[k] * a + b;
            for (int k = 0; k < 12; k++)
                for (int i = 0; i < 16; i++) sink += acc[k][i];
        }
        double dt = now_s() - t0;
        rates[r] = (double)threads * iters * 12 * 16 * 2 / dt + 0 * sink;
    }
    return median(rates, 5);
}

/* OpenBLAS on the model's forward and backward GEMM shapes, FLOP-weighted. */
static double gemm_rate(const model_shape *s, int B) {
    int M = B * s->ctx, C = s->d_model, F = s->ffn_hidden, V = s->vocab;
    int shapes[][3] = {{M, 3 * C, C}, {M, C, C}, {M, 2 * F, C}, {M, C, F}, {M, V, C}};
    double flops = 0, secs = 0;
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        int m = shapes[k][0], n = shapes[k][1], kk = shapes[k][2];
        size_t big = (size_t)m * (n > kk ? n : kk);
        float *a = calloc(big, sizeof(float)), *b = calloc((size_t)n * kk, sizeof(float));
        float *c = calloc(big, sizeof(float));
        for (size_t i = 0; i < big; i++) a[i] = (float)(i % 7) * 0.1f;
        for (size_t i = 0; i < (size_t)n * kk; i++) b[i] = (float)(i % 5) * 0.1f;
        double times[5];
        for (int r = 0; r < 5; r++) {
            double t0 = now_s();
            /* forward, input-gradient and weight-gradient products */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, kk, 1, a, kk, b, kk, 0, c,
                        n);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, kk, n, 1, c, n, b, kk, 0, a,
                        kk);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, kk, m, 1, c, n, a, kk, 1, b,
                        kk);
            times[r] = now_s() - t0;
        }
        flops += 6.0 * m * n * kk;
        secs += median(times, 5);
        free(a), free(b), free(c);
    }
    return flops / secs;
}

/* Median seconds of one optimizer step (forward, backward, AdamW) with the given
 * quantization plan (NULL: FP32). */
static double step_time(model *m, const qat_plan *plan, int batch, int steps, const uint16_t *in,
                        const uint16_t *tg) {
    const model_shape *s = &m->shape;
    char err[256];
    if (model_qat_attach(m, plan, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return NAN;
    }
    float *mo = calloc(m->layout.total, sizeof(float)),
          *vo = calloc(m->layout.total, sizeof(float));
    adamw_hparams hp = {1e-3, 0.9, 0.95, 1e-8, 0.1};
    double times[64];
    int n = steps < 64 ? steps : 64;
    for (int st = 0; st <= n; st++) { /* step 0 warms up */
        double t0 = now_s();
        memset(m->grads, 0, m->layout.total * sizeof(float));
        model_qat_quantize_weights(m);
        model_forward_f32(m, in, tg, batch);
        model_backward_f32(m, in, tg, batch, 1.0f / (batch * s->ctx));
        model_qat_weight_backward(m);
        adamw_step(m->params, m->grads, mo, vo, &m->layout, &hp, st + 1, 1.0f);
        if (st) times[st - 1] = now_s() - t0;
    }
    free(mo), free(vo);
    model_qat_detach(m);
    return median(times, n);
}

/* --gemm: the same step on the own GEMM, in rounds alternating with OpenBLAS (the model
 * m); prints the path, both rates and the ratio. */
static int own_columns(model *m, int threads, const char *own_path, int batch, int steps,
                       int repeats, const uint16_t *in, const uint16_t *tg) {
    const model_shape *s = &m->shape;
    cpu_gemm g;
    model mo;
    char err[256];
    if (cpu_gemm_init(&g, "own", own_path, threads, err, sizeof err) ||
        model_create_on_f32(&mo, s, batch, backend_cpu_gemm(&g), err, sizeof err)) {
        fprintf(stderr, "train_bench: %s\n", err);
        return -1;
    }
    memcpy(mo.params, m->params, m->layout.total * sizeof(float));
    double tb[64], to[64], ratio[64];
    for (int r = 0; r < repeats; r++) {
        tb[r] = step_time(m, NULL, batch, steps, in, tg);
        to[r] = step_time(&mo, NULL, batch, steps, in, tg);
        ratio[r] = tb[r] / to[r];
    }
    double tokens = (double)batch * s->ctx;
    printf("  %8s %11.0f %11.0f %8.3fx", gemm_path_name(g.ctx.path), tokens / median(tb, repeats),
           tokens / median(to, repeats), median(ratio, repeats));
    model_destroy_f32(&mo);
    return 0;
}

static void plan_of(qat_plan *p, const char *w, const char *a, const char *kv) {
    train_config c;
    char err[256];
    config_defaults(&c);
    config_set(&c, "w_quant", w, err, sizeof err);
    config_set(&c, "a_quant", a, err, sizeof err);
    config_set(&c, "kv_quant", kv, err, sizeof err);
    qat_plan_from_config(&c, p, err, sizeof err);
}

int main(int argc, char **argv) {
    procenv_reexec(argv); /* the thread-pool settings `sweep` runs with */
    int steps = 5, batch = 8, ctx = 256, vocab = 4096, quant = 0, own = 0, repeats = 5;
    const char *shapes = "128x4,256x6,512x8", *thread_list = "1,2", *own_path = "auto";
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--quant") || !strcmp(argv[i], "--gemm")) {
            *(argv[i][2] == 'q' ? &quant : &own) = 1;
            i--;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "train_bench: %s needs a value\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--steps"))
            steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            thread_list = argv[i + 1];
        else if (!strcmp(argv[i], "--shapes"))
            shapes = argv[i + 1];
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ctx"))
            ctx = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--vocab"))
            vocab = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--gemm-path"))
            own_path = argv[i + 1];
        else if (!strcmp(argv[i], "--repeats"))
            repeats = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "train_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    printf("# engine training throughput: batch %d x ctx %d, vocab %d, median of %d steps\n", batch,
           ctx, vocab, steps);
    if (repeats < 1 || repeats > 64) repeats = 5;
    if (own) printf("# gemm=own: %d rounds of openblas then own, medians\n", repeats);
    printf("%-8s %-7s %10s %12s %12s %12s %8s %10s%s%s\n", "d_model", "threads", "tok/s", "GFLOP/s",
           "GEMM GF/s", "peak GF/s", "MFU", "vs GEMM",
           quant ? "  W4A4KV4-int/fp32  W4A4-quest/fp32" : "",
           own ? "  own-path  blas-tok/s   own-tok/s  own/blas" : "");
    char tl[64];
    snprintf(tl, sizeof tl, "%s", thread_list);
    for (char *ts = strtok(tl, ","); ts; ts = strtok(NULL, ",")) {
        int threads = train_set_threads(atoi(ts));
        double peak = fma_peak(threads);
        const char *p = shapes;
        while (*p) {
            int d = 0, L = 0;
            if (sscanf(p, "%dx%d", &d, &L) != 2) break;
            model_shape s = {vocab, d, L, d / 64 > 0 ? d / 64 : 1, ctx, model_default_ffn_hidden(d),
                             0};
            model m;
            char err[256];
            if (model_create_f32(&m, &s, batch, err, sizeof err)) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            init_params(m.params, &s, &m.layout, 0.02, 1);
            uint16_t *in = malloc((size_t)batch * ctx * 2), *tg = malloc((size_t)batch * ctx * 2);
            for (int i = 0; i < batch * ctx; i++)
                in[i] = (uint16_t)(i * 31 % vocab), tg[i] = (uint16_t)(i * 17 % vocab);
            double dt = step_time(&m, NULL, batch, steps, in, tg);
            double tps = batch * ctx / dt, flops = tps * model_flops_per_token(&s);
            double gemm = gemm_rate(&s, batch);
            printf("%-8d %-7d %10.0f %12.1f %12.1f %12.1f %7.1f%% %9.1f%%", d, threads, tps,
                   flops / 1e9, gemm / 1e9, peak / 1e9, 100 * flops / peak, 100 * flops / gemm);
            if (quant) {
                qat_plan pi, pq;
                plan_of(&pi, "int4", "int4", "int4");
                plan_of(&pq, "quest4", "quest4", "fp32");
                double ti = step_time(&m, &pi, batch, steps, in, tg);
                double tq = step_time(&m, &pq, batch, steps, in, tg);
                double t2 = step_time(&m, NULL, batch, steps, in, tg); /* FP32 again, for drift */
                double base = 0.5 * (dt + t2);
                printf("  %16.2fx %16.2fx", ti / base, tq / base);
            }
            if (own && own_columns(&m, threads, own_path, batch, steps, repeats, in, tg)) return 1;
            printf("\n");
            fflush(stdout);
            free(in), free(tg);
            model_destroy_f32(&m);
            p = strchr(p, ',');
            if (!p) break;
            p++;
        }
    }
    return 0;
}
