#include "optimizer.h"
#include "optimizer_core.h"
#include "rng.h"

#include <math.h>
#include <string.h>

adamw_coef adamw_coef_at(const adamw_hparams *h, int64_t t, float grad_scale) {
    adamw_coef c;
    c.b1 = (float)h->beta1;
    c.b2 = (float)h->beta2;
    /* 1 - beta in double: in float, 1 - 0.999f is off by 1.3e-5 relative. */
    c.one_b1 = (float)(1.0 - h->beta1);
    c.one_b2 = (float)(1.0 - h->beta2);
    c.lr = (float)h->lr;
    c.eps = (float)h->eps;
    c.c1 = (float)(1.0 / (1.0 - pow(h->beta1, (double)t)));
    c.c2 = (float)(1.0 / (1.0 - pow(h->beta2, (double)t)));
    c.decay = 1.0f - c.lr * (float)h->weight_decay;
    c.grad_scale = grad_scale;
    return c;
}

void adamw_step(float *params, const float *grads, float *m, float *v, const param_layout *l,
                const adamw_hparams *h, int64_t t, float grad_scale) {
    const adamw_coef c = adamw_coef_at(h, t, grad_scale);
    for (int k = 0; k < PT_COUNT; k++) {
        size_t off = l->offset[k], n = l->size[k];
        float decay = param_tensor_decays(k) ? c.decay : 1.0f;
        float *p = params + off, *mk = m + off, *vk = v + off;
        const float *g = grads + off;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) adamw_update(c, decay, g[i], p + i, mk + i, vk + i);
    }
}

int64_t lr_warmup_steps(const train_config *c, int64_t total) {
    int64_t over = total, per_step = c->batch * c->ctx;
    if (c->schedule_tokens > 0 && per_step > 0) {
        over = (c->schedule_tokens + per_step - 1) / per_step;
        if (over < 1) over = 1;
    }
    return (int64_t)ceil(c->warmup_frac * (double)over);
}

int64_t lr_decay_start(const train_config *c, int64_t total) {
    return total - (int64_t)ceil(c->decay_frac * (double)total);
}

double lr_at_step(const train_config *c, int64_t step, int64_t total) {
    double peak = c->lr, floor_lr = c->lr * c->lr_min_frac;
    int64_t warm = lr_warmup_steps(c, total);
    if (step <= warm) return peak * (double)step / (double)warm;
    if (!strcmp(c->schedule, "constant")) return peak;
    if (!strcmp(c->schedule, "wsd")) {
        int64_t start = lr_decay_start(c, total), decay = total - start;
        if (step <= start || decay == 0) return peak;
        double f = (double)(step - start) / (double)decay;
        return peak + (floor_lr - peak) * f;
    }
    double f = total > warm ? (double)(step - warm) / (double)(total - warm) : 1.0;
    return floor_lr + 0.5 * (peak - floor_lr) * (1.0 + cos(3.141592653589793 * f));
}

double global_norm(const float *x, size_t n) {
    enum { CHUNK = 1 << 16 };
    size_t chunks = (n + CHUNK - 1) / CHUNK;
    double total = 0;
    /* Partial sums per chunk in parallel, then added in chunk order. */
    double partial[256];
    for (size_t base = 0; base < chunks; base += 256) {
        size_t count = chunks - base < 256 ? chunks - base : 256;
#pragma omp parallel for schedule(static)
        for (size_t c = 0; c < count; c++) {
            size_t lo = (base + c) * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
            double s = 0;
            for (size_t i = lo; i < hi; i++) s += (double)x[i] * x[i];
            partial[c] = s;
        }
        for (size_t c = 0; c < count; c++) total += partial[c];
    }
    return sqrt(total);
}

void init_params(float *params, const model_shape *s, const param_layout *l, double std,
                 uint64_t seed) {
    rng r;
    rng_seed(&r, seed);
    double out_std = std / sqrt(2.0 * s->n_layer);
    for (int k = 0; k < PT_COUNT; k++) {
        float *p = params + l->offset[k];
        size_t n = l->size[k];
        if (!param_tensor_decays(k)) {
            for (size_t i = 0; i < n; i++) p[i] = 1.0f;
            continue;
        }
        double sd = (k == PT_WO || k == PT_W2) ? out_std : std;
        for (size_t i = 0; i < n; i++) p[i] = (float)(sd * rng_normal(&r));
    }
}
