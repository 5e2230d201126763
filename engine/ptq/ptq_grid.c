/* Per-segment grids for GPTQ, by the same rule as qspec_fake_quant so that GPTQ and RTN
 * differ only in how the weights are rounded, never in their scales (a test checks that
 * GPTQ with a diagonal Hessian reproduces RTN bit for bit). */
#include "ptq/ptq_internal.h"

#include <math.h>
#include <stdio.h>

int ptq_grid_init(ptq_grid *g, const qspec *q, size_t cols, char *err, size_t errlen) {
    g->q = *q;
    g->tensor = 0;
    g->seg = cols;
    g->emax = g->shift = 0;
    char sub[128];
    if (q->kind == QK_INT) {
        if (q->bits < 2) {
            snprintf(err, errlen, "%s: GPTQ needs INT with at least 2 bits", q->name);
            return -1;
        }
    } else if (q->kind == QK_FP) {
        if (!q->scaled) {
            snprintf(err, errlen, "%s: GPTQ needs a scaled FP format", q->name);
            return -1;
        }
        if (qfp_format_init(&g->fmt, q->e, q->m, q->special, sub, sizeof sub)) {
            snprintf(err, errlen, "%s: %s", q->name, sub);
            return -1;
        }
    } else if (q->kind == QK_MX) {
        if (q->e > 0 && qfp_format_init(&g->fmt, q->e, q->m, q->special, sub, sizeof sub)) {
            snprintf(err, errlen, "%s: %s", q->name, sub);
            return -1;
        }
        g->emax = q->e == 0 ? 0 : g->fmt.emax;
        g->shift = q->e == 0 ? -6 : 0;
    } else {
        snprintf(err, errlen, "%s: GPTQ supports INT, scaled FP and MX formats (use method=rtn)",
                 q->name);
        return -1;
    }
    /* the segments that share a scale: fixed blocks (MX), else the spec's granularity */
    if (qspec_fixed_blocks(q))
        g->seg = (size_t)q->block;
    else if (q->granularity == QG_TENSOR)
        g->tensor = 1;
    else if (q->granularity == QG_GROUP && q->group < cols)
        g->seg = q->group;
    return 0;
}

ptq_cell ptq_grid_cell_stats(const ptq_grid *g, float amax, float lo, float hi) {
    ptq_cell c = {0};
    const qspec *q = &g->q;
    if (q->kind == QK_INT) {
        c.ip =
            q->symmetric ? qint_params_sym(q->bits, amax, 0.0f) : qint_params_asym(q->bits, lo, hi);
    } else if (q->kind == QK_FP) {
        c.scale = amax / g->fmt.maxval;
    } else { /* MX */
        float s = amax > 0.0f ? qpow2f(qmx_shared_exp(amax, g->emax) + g->shift) : 1.0f;
        c.scale = s;
        if (q->e == 0) c.ip = (qint_params){.scale = s, .zero = 0, .qmin = -127, .qmax = 127};
    }
    return c;
}

ptq_cell ptq_grid_cell(const ptq_grid *g, const float *x, size_t n, size_t stride) {
    float amax = 0.0f, lo = 0.0f, hi = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float v = x[i * stride];
        if (v != v) continue;
        float a = fabsf(v);
        amax = a > amax ? a : amax;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    return ptq_grid_cell_stats(g, amax, lo, hi);
}

float ptq_grid_round(const ptq_grid *g, const ptq_cell *c, float x) {
    float y = x;
    const qspec *q = &g->q;
    if (q->kind == QK_INT || (q->kind == QK_MX && q->e == 0)) {
        qint_quant_array(&c->ip, &x, &y, 1, NULL);
    } else if (q->kind == QK_FP) {
        if (c->scale > 0.0f) qfp_round_array(&g->fmt, &x, &y, 1, c->scale, NULL);
    } else {
        qfp_round_array(&g->fmt, &x, &y, 1, c->scale, NULL);
    }
    return y;
}
