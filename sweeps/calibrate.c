#include "calibrate.h"

#include "model_f32.h"
#include "qat/qat_model.h"
#include "train.h"
#include "clock.h"

#include <stdlib.h>

/* One training pass over a micro-batch, with the quantization steps when quantized. */
static void pass(model_f32 *m, const uint16_t *in, const uint16_t *tg, int mb, int qat) {
    if (qat) model_qat_quantize_weights(m);
    model_forward_f32(m, in, tg, mb);
    model_backward_f32(m, in, tg, mb, 1.0f);
    if (qat) model_qat_weight_backward(m);
}

double calibrate_tokens_per_s(const train_config *c, int threads, double budget_s) {
    model_shape s = config_model_shape(c);
    int mb = (int)c->micro_batch;
    train_set_threads(threads);
    model_f32 m;
    char err[256];
    if (model_create_f32(&m, &s, mb, err, sizeof err)) return -1;
    /* Quantized training costs its fake quantization too: time it with the run's plan. */
    qat_plan plan;
    int qat = qat_plan_from_config(c, &plan, err, sizeof err) == 0 && qat_any(&plan);
    if (qat && model_qat_attach(&m, &plan, err, sizeof err)) {
        model_destroy_f32(&m);
        return -1;
    }
    size_t n = (size_t)mb * (size_t)c->ctx;
    uint16_t *in = malloc(n * sizeof *in), *tg = malloc(n * sizeof *tg);
    double rate = -1;
    if (in && tg) {
        uint64_t x = 0x9E3779B97F4A7C15ULL;
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            in[i] = (uint16_t)((x >> 33) % (uint64_t)c->vocab);
            tg[i] = (uint16_t)((x >> 17) % (uint64_t)c->vocab);
        }
        for (size_t i = 0; i < m.layout.total; i++)
            m.params[i] = 0.02f * (float)((i * 2654435761u) % 1000) / 1000.0f;
        /* One pass to warm caches and thread pools, then as many as fit the budget. */
        double t0 = now_s();
        pass(&m, in, tg, mb, qat);
        double first = now_s() - t0;
        if (first > budget_s) budget_s = 0; /* a big model: one pass is the measurement */
        /* The fastest of several passes: the machine is shared, and a pass that lost its
         * core to another process says nothing about the model. */
        double best = first, t0_all = now_s();
        for (int reps = 0; reps < 50 && now_s() - t0_all < budget_s; reps++) {
            double t1 = now_s();
            pass(&m, in, tg, mb, qat);
            double dt = now_s() - t1;
            if (dt < best) best = dt;
        }
        double t = best;
        /* The optimizer step and gradient zeroing add a pass over the parameters per
         * step; small next to the passes, folded in as a few percent. */
        rate = (double)n / (t * 1.03);
    }
    free(in);
    free(tg);
    if (qat) model_qat_detach(&m);
    model_destroy_f32(&m);
    return rate;
}
