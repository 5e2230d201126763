/* Training throughput of the engine: tokens/s and model-FLOPs utilisation for the
 * benchmark shapes, beside the rate OpenBLAS reaches on the same GEMM shapes and
 * an FMA-loop estimate of the machine's FP32 peak. Prints a table.
 *
 * usage: train_bench [--steps N] [--threads T] [--shapes 128x4,256x6,512x8]
 *                    [--batch B] [--ctx T] [--vocab V] */
#include "model_f32.h"
#include "optimizer.h"
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

/* FP32 FMA throughput per thread: 16 independent accumulator vectors keep the FMA
 * pipes busy; the compiler vectorises the inner loop to the widest unit. */
static double fma_peak(int threads) {
    double rates[5];
    for (int r = 0; r < 5; r++) {
        double t0 = now_s();
        const long iters = 20000000;
        float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        {
            float acc[16][16];
            for (int i = 0; i < 16; i++)
                for (int j = 0; j < 16; j++) acc[i][j] = (float)(i + j) * 1e-3f;
            const float a = 0.999999f, b = 1e-7f;
            for (long it = 0; it < iters / 16; it++)
                for (int i = 0; i < 16; i++)
                    for (int j = 0; j < 16; j++) acc[i][j] = acc[i][j] * a + b;
            for (int i = 0; i < 16; i++)
                for (int j = 0; j < 16; j++) sink += acc[i][j];
        }
        double dt = now_s() - t0;
        rates[r] = (double)threads * (iters / 16) * 256 * 2 / dt + 0 * sink;
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
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, kk, 1, a, kk, b, kk, 0, c, n);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, kk, n, 1, c, n, b, kk, 0, a, kk);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, kk, m, 1, c, n, a, kk, 1, b, kk);
            times[r] = now_s() - t0;
        }
        flops += 6.0 * m * n * kk;
        secs += median(times, 5);
        free(a), free(b), free(c);
    }
    return flops / secs;
}

int main(int argc, char **argv) {
    int steps = 5, batch = 8, ctx = 256, vocab = 4096;
    const char *shapes = "128x4,256x6,512x8", *thread_list = "1,2";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) thread_list = argv[i + 1];
        else if (!strcmp(argv[i], "--shapes")) shapes = argv[i + 1];
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ctx")) ctx = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--vocab")) vocab = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "train_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    printf("# engine training throughput: batch %d x ctx %d, vocab %d, median of %d steps\n",
           batch, ctx, vocab, steps);
    printf("%-8s %-7s %10s %12s %12s %12s %8s %10s\n", "d_model", "threads", "tok/s", "GFLOP/s",
           "GEMM GF/s", "peak GF/s", "MFU", "vs GEMM");
    char tl[64];
    snprintf(tl, sizeof tl, "%s", thread_list);
    for (char *ts = strtok(tl, ","); ts; ts = strtok(NULL, ",")) {
        int threads = train_set_threads(atoi(ts));
        double peak = fma_peak(threads);
        const char *p = shapes;
        while (*p) {
            int d = 0, L = 0;
            if (sscanf(p, "%dx%d", &d, &L) != 2) break;
            model_shape s = {vocab, d, L, d / 64 > 0 ? d / 64 : 1, ctx, model_default_ffn_hidden(d)};
            model m;
            char err[256];
            if (model_create_f32(&m, &s, batch, err, sizeof err)) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            init_params(m.params, &s, &m.layout, 0.02, 1);
            float *mo = calloc(m.layout.total, sizeof(float)), *vo = calloc(m.layout.total, sizeof(float));
            uint16_t *in = malloc((size_t)batch * ctx * 2), *tg = malloc((size_t)batch * ctx * 2);
            for (int i = 0; i < batch * ctx; i++) in[i] = (uint16_t)(i * 31 % vocab), tg[i] = (uint16_t)(i * 17 % vocab);
            adamw_hparams hp = {1e-3, 0.9, 0.95, 1e-8, 0.1};
            double times[64];
            int n = steps < 64 ? steps : 64;
            for (int st = 0; st <= n; st++) { /* step 0 warms up */
                double t0 = now_s();
                memset(m.grads, 0, m.layout.total * sizeof(float));
                model_forward_f32(&m, in, tg, batch);
                model_backward_f32(&m, in, tg, batch, 1.0f / (batch * ctx));
                adamw_step(m.params, m.grads, mo, vo, &m.layout, &hp, st + 1, 1.0f);
                if (st) times[st - 1] = now_s() - t0;
            }
            double dt = median(times, n);
            double tps = batch * ctx / dt, flops = tps * model_flops_per_token(&s);
            double gemm = gemm_rate(&s, batch);
            printf("%-8d %-7d %10.0f %12.1f %12.1f %12.1f %7.1f%% %9.1f%%\n", d, threads, tps,
                   flops / 1e9, gemm / 1e9, peak / 1e9, 100 * flops / peak, 100 * flops / gemm);
            fflush(stdout);
            free(mo), free(vo), free(in), free(tg);
            model_destroy_f32(&m);
            p = strchr(p, ',');
            if (!p) break;
            p++;
        }
    }
    return 0;
}
