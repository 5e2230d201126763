/* GPTQ of a whole model: seconds per block and per bit width, for the sequential pass
 * (one calibration forward per bit width) and for Hessians collected once and reused.
 * Random weights (what is timed does not depend on them) and random calibration tokens.
 *
 * usage: ptq_bench [--threads T] [--calib N] [--d D] [--layers L] [--bits 3,4]
 *        defaults: 2 threads, 128 sequences, d_model 512, 8 layers, vocab 4096, ctx 256,
 *        bits 3,4,5,6 (the paper's INT3..INT6) */
#include "model_f32.h"
#include "optimizer.h"
#include "procenv.h"
#include "ptq/ptq.h"
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the process (all threads): on a shared machine wall time alone says
 * more about the other jobs than about this one. */
static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

int main(int argc, char **argv) {
    procenv_reexec(argv); /* the thread-pool settings `sweep` runs with */
    int threads = 2, calib = 128, d = 512, layers = 8, nbits = 4;
    int bits[16] = {3, 4, 5, 6};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--calib"))
            calib = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--d"))
            d = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--layers"))
            layers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bits")) {
            nbits = 0;
            for (char *s = argv[i + 1]; *s && nbits < 16; s += *s == ',')
                bits[nbits++] = (int)strtol(s, &s, 10);
        } else {
            fprintf(stderr, "ptq_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    train_set_threads(threads);
    model_shape s = {4096, d, layers, d / 64, 256, model_default_ffn_hidden(d), 0};
    model_f32 m;
    char err[512];
    if (model_create_f32(&m, &s, 8, err, sizeof err)) {
        fprintf(stderr, "ptq_bench: %s\n", err);
        return 1;
    }
    init_params(m.params, &s, &m.layout, 0.02, 1);
    float *orig = malloc(m.layout.total * sizeof *orig);
    uint16_t *tok = malloc((size_t)calib * s.ctx * sizeof *tok);
    double *layer_s = calloc((size_t)layers, sizeof *layer_s);
    if (!orig || !tok || !layer_s) return 1;
    memcpy(orig, m.params, m.layout.total * sizeof *orig);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < (size_t)calib * s.ctx; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        tok[i] = (uint16_t)(x % (uint64_t)s.vocab);
    }
    printf("GPTQ, d_model %d, %d layers, ffn %d, vocab %d, ctx %d, %d calibration sequences "
           "(%d tokens), %d threads\n",
           d, layers, s.ffn_hidden, s.vocab, s.ctx, calib, calib * s.ctx, threads);
    printf("matrices per block: Wqkv %dx%d, Wo %dx%d, W13 %dx%d, W2 %dx%d (int, per channel)\n\n",
           3 * d, d, d, d, 2 * s.ffn_hidden, d, d, s.ffn_hidden);

    ptq_model_opts o = {0};
    o.method = PTQ_GPTQ;
    o.sequential = 1;
    ptq_gptq_opts_default(&o.gptq);
    printf("sequential (one calibration forward per bit width)\n");
    printf("%5s %9s %9s %9s %9s %10s %s\n", "bits", "total_s", "cpu_s", "calib_s", "gptq_s",
           "s/block", "per block");
    double seq_all = 0, reuse_all = 0;
    for (int b = 0; b < nbits; b++) {
        char text[32];
        snprintf(text, sizeof text, "int%d:row", bits[b]);
        if (qspec_parse(text, &o.spec, err, sizeof err)) return 1;
        memcpy(m.params, orig, m.layout.total * sizeof *orig);
        ptq_timing t = {layer_s, 0, 0, 0, 0};
        double t0 = now_s(), c0 = cpu_s();
        if (ptq_quantize_model(&m, &o, tok, calib, NULL, &t, err, sizeof err)) {
            fprintf(stderr, "ptq_bench: %s\n", err);
            return 1;
        }
        double total = now_s() - t0;
        seq_all += total;
        printf("%5d %9.2f %9.2f %9.2f %9.2f %10.2f ", bits[b], total, cpu_s() - c0, t.calib_s,
               t.gptq_s, total / layers);
        for (int l = 0; l < layers; l++) printf("%s%.2f", l ? " " : "", layer_s[l]);
        printf("\n");
    }

    printf("\nHessians collected once (sequential=0), then GPTQ per bit width\n");
    memcpy(m.params, orig, m.layout.total * sizeof *orig);
    ptq_hessians hs;
    double t0 = now_s(), c0 = cpu_s();
    if (ptq_collect_hessians(&m, tok, calib, 0, &hs, err, sizeof err)) {
        fprintf(stderr, "ptq_bench: %s\n", err);
        return 1;
    }
    reuse_all = now_s() - t0;
    printf("collect: %.2f s, cpu %.2f s (%.0f MiB of Hessians)\n", reuse_all, cpu_s() - c0,
           (double)hs.total * 8 / 1048576.0);
    printf("%5s %9s %9s %9s %s\n", "bits", "total_s", "cpu_s", "s/block", "per block");
    for (int b = 0; b < nbits; b++) {
        char text[32];
        snprintf(text, sizeof text, "int%d:row", bits[b]);
        if (qspec_parse(text, &o.spec, err, sizeof err)) return 1;
        memcpy(m.params, orig, m.layout.total * sizeof *orig);
        ptq_timing t = {layer_s, 0, 0, 0, 0};
        t0 = now_s(), c0 = cpu_s();
        if (ptq_quantize_model(&m, &o, NULL, 0, &hs, &t, err, sizeof err)) {
            fprintf(stderr, "ptq_bench: %s\n", err);
            return 1;
        }
        double total = now_s() - t0;
        reuse_all += total;
        printf("%5d %9.2f %9.2f %9.2f ", bits[b], total, cpu_s() - c0, total / layers);
        for (int l = 0; l < layers; l++) printf("%s%.2f", l ? " " : "", layer_s[l]);
        printf("\n");
    }
    printf("\nall %d bit widths (GPTQ only, no evaluation): sequential %.2f s, Hessians reused "
           "%.2f s\n",
           nbits, seq_all, reuse_all);
    ptq_hessians_free(&hs);
    model_destroy_f32(&m);
    free(orig);
    free(tok);
    free(layer_s);
    return 0;
}
