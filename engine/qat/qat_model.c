#include "qat/qat_model.h"
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The four block matrices: the weights that the w point quantizes. */
static const int block_matrices[4] = {PT_WQKV, PT_WO, PT_W13, PT_W2};

/* Matrix k of the 4 n_layer block matrices (matrix by matrix, layers inner): its shape and
 * its offset in the parameters. */
static size_t block_weight(const model *m, int k, size_t *rows, size_t *cols) {
    int t = block_matrices[k / m->shape.n_layer];
    model_matrix_shape(&m->shape, t, rows, cols);
    return m->layout.offset[t] + (size_t)(k % m->shape.n_layer) * *rows * *cols;
}

void model_qat_detach(model *m) {
    qat_state *q = m->qat;
    if (!q) return;
    const backend_ops *o = m->be.ops;
    void *bufs[7] = {q->wq, q->wmask, q->amask, q->kvmask, q->gather, q->gbuf, q->stats};
    for (int i = 0; i < 7; i++)
        if (bufs[i]) o->release(m->be.ctx, bufs[i], q->bytes[i]);
    free(q);
    m->qat = NULL;
}

static int check_point(const qat_point *p, const char *what, size_t rows, size_t cols, char *err,
                       size_t errlen) {
    char why[200];
    if (!p->enabled || qspec_check(&p->spec, rows, cols, why, sizeof why) == 0) return 0;
    snprintf(err, errlen, "%s (%s) on a %zu x %zu matrix: %s", what, p->spec.name, rows, cols, why);
    return -1;
}

int model_qat_attach(model *m, const qat_plan *plan, char *err, size_t errlen) {
    model_qat_detach(m);
    if (!plan || !qat_any(plan)) return 0;
    size_t L = (size_t)m->shape.n_layer, C = (size_t)m->shape.d_model;
    size_t F = (size_t)m->shape.ffn_hidden, R = (size_t)m->max_batch * m->shape.ctx;
    const qat_point *w = &plan->pt[QAT_W], *a = &plan->pt[QAT_A];
    const qat_point *kv = &plan->pt[QAT_KV], *qp = &plan->pt[QAT_Q], *g = &plan->pt[QAT_G];
    for (int i = 0; i < 4; i++) {
        size_t rows, cols;
        model_matrix_shape(&m->shape, block_matrices[i], &rows, &cols);
        if (check_point(w, "w_quant", rows, cols, err, errlen)) return -1;
    }
    if (check_point(a, "a_quant", R, C, err, errlen) ||
        check_point(a, "a_quant", R, F, err, errlen) ||
        check_point(kv, "kv_quant", R, C, err, errlen) ||
        check_point(qp, "q_quant", R, C, err, errlen))
        return -1;
    qat_state *q = calloc(1, sizeof *q);
    if (!q) goto oom;
    m->qat = q;
    q->plan = *plan;
    q->max_rows = R;
    q->bytes[0] = w->enabled ? m->layout.total * sizeof(float) : 0;
    q->bytes[1] = w->enabled && w->use_mask ? m->layout.total : 0;
    q->bytes[2] = a->enabled && a->use_mask ? L * R * (3 * C + F) : 0;
    q->bytes[3] =
        (kv->enabled && kv->use_mask) || (qp->enabled && qp->use_mask) ? L * R * 3 * C : 0;
    q->bytes[4] = kv->enabled || qp->enabled ? R * C * sizeof(float) : 0;
    q->bytes[5] = g->enabled ? R * (3 * C > 2 * F ? 3 * C : 2 * F) * sizeof(float) : 0;
    q->bytes[6] = QAT_POINTS * sizeof(qstats);
    void **bufs[7] = {(void **)&q->wq,     (void **)&q->wmask,  (void **)&q->amask,
                      (void **)&q->kvmask, (void **)&q->gather, (void **)&q->gbuf,
                      (void **)&q->stats};
    const backend_ops *o = m->be.ops;
    for (int i = 0; i < 7; i++)
        if (q->bytes[i] && !(*bufs[i] = o->alloc(m->be.ctx, q->bytes[i]))) goto oom;
    o->zero(m->be.ctx, q->stats, q->bytes[6]);
    return 0;
oom:
    model_qat_detach(m);
    snprintf(err, errlen, "out of memory%s%s for the quantization buffers",
             m->be.ops != &backend_cpu_ops ? " on " : "",
             m->be.ops != &backend_cpu_ops ? m->be.ops->name : "");
    return -1;
}

const float *qat_weight(const model *m, int tensor, size_t offset) {
    const qat_state *q = m->qat;
    const float *base = q->wq ? q->wq : m->params;
    return base + m->layout.offset[tensor] + offset;
}

void model_qat_quantize_weights(model *m) {
    qat_state *q = m->qat;
    if (!q || !q->wq) return;
    qat_point *w = &q->plan.pt[QAT_W];
    for (int k = 0; k < 4 * m->shape.n_layer; k++) {
        size_t rows, cols, off = block_weight(m, k, &rows, &cols);
        m->be.ops->fake_quant(m->be.ctx, &w->spec, m->params + off, q->wq + off, rows, cols,
                              q->wmask ? q->wmask + off : NULL, q->stats + QAT_W);
    }
}

void model_qat_weight_backward(model *m) {
    qat_state *q = m->qat;
    if (!q || !q->wq || !q->plan.pt[QAT_W].use_mask) return;
    const qat_point *w = &q->plan.pt[QAT_W];
    for (int k = 0; k < 4 * m->shape.n_layer; k++) {
        size_t rows, cols, off = block_weight(m, k, &rows, &cols);
        m->be.ops->quant_backward(m->be.ctx, &w->spec, m->grads + off, m->grads + off, rows, cols,
                                  q->wmask + off, 1);
    }
}

static uint8_t *act_mask(qat_state *q, const model *m, int layer, int slot) {
    if (!q->amask) return NULL;
    size_t C = (size_t)m->shape.d_model, F = (size_t)m->shape.ffn_hidden, R = q->max_rows;
    return q->amask + (size_t)layer * R * (3 * C + F) + (size_t)slot * R * C;
}

void qat_act_forward(model *m, int layer, int slot, float *x, int rows, int cols) {
    qat_state *q = m->qat;
    qat_point *a = &q->plan.pt[QAT_A];
    if (!a->enabled) return;
    m->be.ops->fake_quant(m->be.ctx, &a->spec, x, x, (size_t)rows, (size_t)cols,
                          act_mask(q, m, layer, slot), q->stats + QAT_A);
}

void qat_act_backward(model *m, int layer, int slot, float *dx, int rows, int cols) {
    qat_state *q = m->qat;
    const qat_point *a = &q->plan.pt[QAT_A];
    if (!a->enabled || !a->use_mask) return;
    m->be.ops->quant_backward(m->be.ctx, &a->spec, dx, dx, (size_t)rows, (size_t)cols,
                              act_mask(q, m, layer, slot), a->use_mask);
}

/* The q, k and v parts of qkv rows are strided (row stride 3C): copied to a
 * contiguous matrix, quantized (or back-propagated), and copied back. */
static void strided(const model *m, float *base, int rows, int C, float *buf, int to_buf) {
    size_t n = (size_t)C, rs = 3 * n;
    if (to_buf)
        m->be.ops->copy_rows(m->be.ctx, buf, n, base, rs, (size_t)rows, n);
    else
        m->be.ops->copy_rows(m->be.ctx, base, rs, buf, n, (size_t)rows, n);
}

static uint8_t *kv_mask(qat_state *q, int layer, int part, int C) {
    return q->kvmask ? q->kvmask + ((size_t)layer * 3 + (size_t)part) * q->max_rows * C : NULL;
}

void qat_qkv_forward(model *m, int layer, float *qkv, int rows, int C) {
    qat_state *q = m->qat;
    for (int part = 0; part < 3; part++) {
        qat_point *p = &q->plan.pt[part == 0 ? QAT_Q : QAT_KV];
        if (!p->enabled) continue;
        strided(m, qkv + (size_t)part * C, rows, C, q->gather, 1);
        m->be.ops->fake_quant(m->be.ctx, &p->spec, q->gather, q->gather, (size_t)rows, (size_t)C,
                              p->use_mask ? kv_mask(q, layer, part, C) : NULL,
                              q->stats + (part == 0 ? QAT_Q : QAT_KV));
        strided(m, qkv + (size_t)part * C, rows, C, q->gather, 0);
    }
}

void qat_qkv_backward(model *m, int layer, float *dqkv, int rows, int C) {
    qat_state *q = m->qat;
    for (int part = 0; part < 3; part++) {
        const qat_point *p = &q->plan.pt[part == 0 ? QAT_Q : QAT_KV];
        if (!p->enabled || !p->use_mask) continue;
        strided(m, dqkv + (size_t)part * C, rows, C, q->gather, 1);
        m->be.ops->quant_backward(m->be.ctx, &p->spec, q->gather, q->gather, (size_t)rows,
                                  (size_t)C, kv_mask(q, layer, part, C), p->use_mask);
        strided(m, dqkv + (size_t)part * C, rows, C, q->gather, 0);
    }
}

void model_qat_set_step(model *m, int64_t step) {
    if (!m->qat) return;
    m->qat->sr_step = (uint64_t)step;
    m->qat->sr_calls = 0;
}

const float *qat_grad(model *m, const float *dout, int rows, int cols) {
    qat_state *q = m->qat;
    qat_point *g = &q->plan.pt[QAT_G];
    if (!g->enabled) return dout;
    qspec spec = g->spec;
    spec.seed = q->sr_step * 0x9E3779B97F4A7C15ULL + ++q->sr_calls;
    m->be.ops->fake_quant(m->be.ctx, &spec, dout, q->gbuf, (size_t)rows, (size_t)cols, NULL,
                          q->stats + QAT_G);
    return q->gbuf;
}

void model_qat_stats_get(const model *m, qstats out[QAT_POINTS]) {
    memset(out, 0, QAT_POINTS * sizeof *out);
    if (m->qat) m->be.ops->download(m->be.ctx, out, m->qat->stats, m->qat->bytes[6]);
}

void model_qat_stats_set(model *m, const qstats in[QAT_POINTS]) {
    if (m->qat) m->be.ops->upload(m->be.ctx, m->qat->stats, in, m->qat->bytes[6]);
}
