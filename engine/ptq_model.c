/* PTQ of a whole model: RTN of every matrix, or GPTQ with Hessians from calibration
 * activations. The calibration pass runs the blocks one at a time over all calibration
 * tokens (the model's own layer functions, in the order of model_pass.inc), so block l
 * sees the residual stream left by blocks < l, already quantized when sequential.
 *
 * Inside a block the four matrices are quantized in order (Wqkv, Wo, W13, W2), each
 * calibrated on inputs computed through the ones before it already quantized ("true
 * sequential" in GPTQ's code), which costs one block forward per block: one forward
 * of the calibration set per bit width in all. */
#include "ptq_internal.h"
#include "qat_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SITE_QKV, SITE_O, SITE_13, SITE_2, SITE_COUNT };

static const enum param_tensor site_tensor[SITE_COUNT] = {PT_WQKV, PT_WO, PT_W13, PT_W2};

static void site_shape(const model_shape *s, enum param_tensor t, size_t *rows, size_t *cols) {
    size_t C = (size_t)s->d_model, F = (size_t)s->ffn_hidden, V = (size_t)s->vocab;
    switch (t) {
    case PT_WQKV:
        *rows = 3 * C, *cols = C;
        break;
    case PT_WO:
        *rows = C, *cols = C;
        break;
    case PT_W13:
        *rows = 2 * F, *cols = C;
        break;
    case PT_W2:
        *rows = C, *cols = F;
        break;
    default:
        *rows = V, *cols = C;
        break; /* PT_WTE, PT_LM */
    }
}

static float *weight_of(model_f32 *m, enum param_tensor t, int l) {
    size_t rows, cols;
    site_shape(&m->shape, t, &rows, &cols);
    return m->params + m->layout.offset[t] + (size_t)l * rows * cols;
}

void ptq_hessians_free(ptq_hessians *hs) {
    free(hs->h);
    memset(hs, 0, sizeof *hs);
}

static double *hess_slot(const ptq_hessians *hs, int l, int site) {
    size_t d = (size_t)hs->d, f = (size_t)hs->f, per = 3 * d * d + f * f;
    if (l == hs->n_layer) return hs->h + (size_t)hs->n_layer * per; /* LM head */
    return hs->h + (size_t)l * per + (size_t)(site < SITE_2 ? site : 3) * d * d;
}

/* What the pass does with the input of each matrix. */
typedef struct pass_ctx {
    model_f32 *m;
    const ptq_model_opts *o;
    ptq_hessians *collect; /* collecting: accumulate here, quantize nothing */
    double *H;             /* sequential GPTQ: work Hessian (max(d, f)^2) */
    ptq_timing *t;
    char *err;
    size_t errlen;
} pass_ctx;

static int quantize_site(pass_ctx *p, enum param_tensor t, int l, double *H) {
    model_f32 *m = p->m;
    size_t rows, cols;
    site_shape(&m->shape, t, &rows, &cols);
    float *w = weight_of(m, t, l);
    if (p->o->method == PTQ_RTN || !H)
        return ptq_rtn_matrix(&p->o->spec, w, w, rows, cols, p->err, p->errlen);
    ptq_layer_info info;
    double t0 = ptq_now();
    int rc = ptq_gptq_matrix(&p->o->spec, w, rows, cols, H, &p->o->gptq, &info, p->err, p->errlen);
    if (p->t) {
        p->t->gptq_s += ptq_now() - t0;
        p->t->dead += info.dead;
        p->t->damp_retries += info.damp_retries;
    }
    if (rc) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s", p->err);
        snprintf(p->err, p->errlen, "%s of block %d: %s", param_tensor_name(t), l, sub);
    }
    return rc;
}

/* X [n][cols] is the input of matrix t of block l (l = n_layer: the LM head). */
static int on_input(pass_ctx *p, enum param_tensor t, int site, int l, const float *X, size_t n,
                    size_t cols) {
    double t0 = ptq_now();
    double scale = 2.0 / (double)n; /* H = 2 X^T X / tokens */
    double *H = p->collect ? hess_slot(p->collect, l, site) : p->H;
    if (!p->collect) memset(H, 0, cols * cols * sizeof *H);
    if (ptq_hessian_add(H, X, n, cols, scale)) {
        snprintf(p->err, p->errlen, "PTQ: out of memory for the Hessian of %s (%zu inputs)",
                 param_tensor_name(t), cols);
        return -1;
    }
    if (p->t) p->t->calib_s += ptq_now() - t0;
    return p->collect ? 0 : quantize_site(p, t, l, H);
}

/* One pass of the calibration tokens through the blocks; see the file comment. */
static int calib_pass(pass_ctx *p, const uint16_t *calib, int nseq, int head) {
    model_f32 *m = p->m;
    const model_shape *s = &m->shape;
    const int T = s->ctx, C = s->d_model, Hh = s->n_head, F = s->ffn_hidden;
    const int mb = m->max_batch;
    const size_t M = (size_t)nseq * T;
    float *X = malloc(M * C * sizeof *X), *A = malloc(M * C * sizeof *A);
    float *S = malloc(M * F * sizeof *S);
    int rc = -1;
    if (!X || !A || !S) {
        snprintf(p->err, p->errlen, "PTQ: out of memory for %d calibration sequences (%.0f MiB)",
                 nseq, (double)M * (2 * C + F) * 4 / 1048576.0);
        goto out;
    }
    activations_f32 *a = &m->act;
    const float *wte = m->params + m->layout.offset[PT_WTE];
    for (size_t i = 0; i < M; i++) memcpy(X + i * C, wte + (size_t)calib[i] * C, C * sizeof *X);

    for (int l = 0; l < s->n_layer; l++) {
        double tl = ptq_now();
        const float *g1 = m->params + m->layout.offset[PT_LN1] + (size_t)l * C;
        const float *g2 = m->params + m->layout.offset[PT_LN2] + (size_t)l * C;
        /* The weights are read after each quantization step, so later stages use them. */
#define CHUNKS       for (int b0 = 0, nb; b0 < nseq && (nb = nseq - b0 < mb ? nseq - b0 : mb); b0 += mb)
#define ROWS(buf, w) ((buf) + (size_t)b0 * T * (w))
/* Activation quantization of a run trained with it, per chunk of max_batch sequences as
 * in training and evaluation (a per-tensor scale is per micro-batch there too). */
#define QA(slot, x, cols)                                                                          \
    if (m->qat) qat_act_forward(m, l, slot, x, nb *T, cols)
        CHUNKS {
            rmsnorm_forward_f32(ROWS(A, C), a->ln1_rstd, ROWS(X, C), g1, nb * T, C);
            QA(0, ROWS(A, C), C);
        }
        if (on_input(p, PT_WQKV, SITE_QKV, l, A, M, C)) goto out;
        CHUNKS {
            linear_forward_f32(a->qkv, ROWS(A, C), weight_of(m, PT_WQKV, l), nb * T, C, 3 * C);
            rope_forward_f32(a->qkv, m->rope_cos, m->rope_sin, nb, T, C, Hh);
            if (m->qat) qat_qkv_forward(m, l, a->qkv, nb * T, C);
            attention_forward_f32(ROWS(A, C), a->att, a->qkv, nb, T, C, Hh, a->attn_scratch,
                                  m->nthreads);
            QA(1, ROWS(A, C), C);
        }
        if (on_input(p, PT_WO, SITE_O, l, A, M, C)) goto out;
        CHUNKS {
            float *mid = a->res_mid, *x = ROWS(X, C);
            linear_forward_f32(mid, ROWS(A, C), weight_of(m, PT_WO, l), nb * T, C, C);
            for (size_t i = 0; i < (size_t)nb * T * C; i++) x[i] = mid[i] + x[i];
            rmsnorm_forward_f32(ROWS(A, C), a->ln2_rstd, x, g2, nb * T, C);
            QA(2, ROWS(A, C), C);
        }
        if (on_input(p, PT_W13, SITE_13, l, A, M, C)) goto out;
        CHUNKS {
            linear_forward_f32(a->h13, ROWS(A, C), weight_of(m, PT_W13, l), nb * T, C, 2 * F);
            swiglu_forward_f32(ROWS(S, F), a->h13, nb * T, F);
            QA(3, ROWS(S, F), F);
        }
        if (on_input(p, PT_W2, SITE_2, l, S, M, F)) goto out;
        CHUNKS {
            float *out = a->res_mid, *x = ROWS(X, C);
            linear_forward_f32(out, ROWS(S, F), weight_of(m, PT_W2, l), nb * T, F, C);
            for (size_t i = 0; i < (size_t)nb * T * C; i++) x[i] = out[i] + x[i];
        }
        if (p->t && p->t->layer_s) p->t->layer_s[l] = ptq_now() - tl;
    }
    if (head) {
        const float *gf = m->params + m->layout.offset[PT_LNF];
        CHUNKS rmsnorm_forward_f32(ROWS(A, C), a->lnf_rstd, ROWS(X, C), gf, nb * T, C);
        if (on_input(p, PT_LM, 0, s->n_layer, A, M, C)) goto out;
    }
#undef CHUNKS
#undef ROWS
#undef QA
    rc = 0;
out:
    free(X);
    free(A);
    free(S);
    return rc;
}

int ptq_collect_hessians(model_f32 *m, const uint16_t *calib, int nseq, int head, ptq_hessians *out,
                         char *err, size_t errlen) {
    const model_shape *s = &m->shape;
    memset(out, 0, sizeof *out);
    out->n_layer = s->n_layer, out->d = s->d_model, out->f = s->ffn_hidden, out->head = head;
    size_t d = (size_t)s->d_model, f = (size_t)s->ffn_hidden;
    out->total = (size_t)s->n_layer * (3 * d * d + f * f) + (head ? d * d : 0);
    out->h = calloc(out->total, sizeof *out->h);
    out->tokens = (int64_t)nseq * s->ctx;
    if (!out->h) {
        snprintf(err, errlen, "PTQ: out of memory for the Hessians (%.0f MiB)",
                 (double)out->total * 8 / 1048576.0);
        return -1;
    }
    ptq_model_opts none = {0};
    pass_ctx p = {m, &none, out, NULL, NULL, err, errlen};
    int rc = calib_pass(&p, calib, nseq, head);
    if (rc) ptq_hessians_free(out);
    return rc;
}

/* RTN of every matrix in scope (the embedding is always RTN: a lookup has no inputs to
 * calibrate on; GPTQ would see an identity Hessian and give the same answer). */
static int rtn_rest(pass_ctx *p, int blocks) {
    model_f32 *m = p->m;
    if (blocks)
        for (int l = 0; l < m->shape.n_layer; l++)
            for (int k = 0; k < SITE_COUNT; k++)
                if (quantize_site(p, site_tensor[k], l, NULL)) return -1;
    if (p->o->embed_head) {
        if (quantize_site(p, PT_WTE, 0, NULL)) return -1;
        if (blocks && quantize_site(p, PT_LM, 0, NULL)) return -1;
    }
    return 0;
}

int ptq_quantize_model(model_f32 *m, const ptq_model_opts *o, const uint16_t *calib, int nseq,
                       const ptq_hessians *hs, ptq_timing *t, char *err, size_t errlen) {
    pass_ctx p = {m, o, NULL, NULL, t, err, errlen};
    if (o->method == PTQ_RTN) return rtn_rest(&p, 1);
    if (hs) {
        /* Hessians collected once from the unquantized model, reused. */
        const model_shape *s = &m->shape;
        size_t d = (size_t)s->d_model, f = (size_t)s->ffn_hidden, big = d > f ? d : f;
        double *H = malloc(big * big * sizeof *H);
        if (!H) {
            snprintf(err, errlen, "PTQ: out of memory for a Hessian");
            return -1;
        }
        int rc = 0;
        for (int l = 0; l < s->n_layer && !rc; l++) {
            double tl = ptq_now();
            for (int k = 0; k < SITE_COUNT && !rc; k++) {
                size_t n = k == SITE_2 ? f : d;
                memcpy(H, hess_slot(hs, l, k), n * n * sizeof *H);
                rc = quantize_site(&p, site_tensor[k], l, H);
            }
            if (t && t->layer_s) t->layer_s[l] = ptq_now() - tl;
        }
        if (!rc && o->embed_head) {
            if (!hs->head) {
                snprintf(err, errlen, "PTQ: the LM head's Hessian was not collected");
                rc = -1;
            } else {
                memcpy(H, hess_slot(hs, s->n_layer, 0), d * d * sizeof *H);
                rc = quantize_site(&p, PT_LM, 0, H);
            }
        }
        free(H);
        if (!rc && o->embed_head) rc = quantize_site(&p, PT_WTE, 0, NULL);
        return rc;
    }
    if (!calib || nseq < 1) {
        snprintf(err, errlen, "GPTQ needs calibration sequences");
        return -1;
    }
    size_t d = (size_t)m->shape.d_model, f = (size_t)m->shape.ffn_hidden, big = d > f ? d : f;
    p.H = malloc(big * big * sizeof *p.H);
    if (!p.H) {
        snprintf(err, errlen, "PTQ: out of memory for a Hessian");
        return -1;
    }
    /* The embedding is quantized first, so the blocks are calibrated on what they will see. */
    int rc = o->embed_head ? quantize_site(&p, PT_WTE, 0, NULL) : 0;
    if (!rc) rc = calib_pass(&p, calib, nseq, o->embed_head);
    free(p.H);
    return rc;
}
