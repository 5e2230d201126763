/* PTQ of a whole model: RTN of every matrix, or GPTQ with Hessians from calibration
 * activations. The calibration pass runs the blocks one at a time over all calibration
 * tokens (through model_block_forward, the block training runs), so block l sees the
 * residual stream left by blocks < l, already quantized when sequential.
 *
 * Inside a block the four matrices are quantized in order (Wqkv, Wo, W13, W2), each
 * calibrated on inputs computed through the ones before it already quantized ("true
 * sequential" in GPTQ's code), which costs one block forward per block: one forward
 * of the calibration set per bit width in all. */
#include "ptq/ptq_internal.h"
#include "qat/qat_model.h"
#include "clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SITE_QKV, SITE_O, SITE_13, SITE_2, SITE_COUNT };

static const enum param_tensor site_tensor[SITE_COUNT] = {PT_WQKV, PT_WO, PT_W13, PT_W2};

static float *weight_of(model_f32 *m, enum param_tensor t, int l) {
    size_t rows, cols;
    model_matrix_shape(&m->shape, t, &rows, &cols);
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
    model_matrix_shape(&m->shape, t, &rows, &cols);
    float *w = weight_of(m, t, l);
    if (p->o->method == PTQ_RTN || !H)
        return ptq_rtn_matrix(&p->o->spec, w, w, rows, cols, p->err, p->errlen);
    ptq_layer_info info;
    double t0 = now_s();
    int rc = ptq_gptq_matrix(&p->o->spec, w, rows, cols, H, &p->o->gptq, &info, p->err, p->errlen);
    if (p->t) {
        p->t->gptq_s += now_s() - t0;
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
    double t0 = now_s();
    double scale = 2.0 / (double)n; /* H = 2 X^T X / tokens */
    double *H = p->collect ? hess_slot(p->collect, l, site) : p->H;
    if (!p->collect) memset(H, 0, cols * cols * sizeof *H);
    if (ptq_hessian_add(H, X, n, cols, scale)) {
        snprintf(p->err, p->errlen, "PTQ: out of memory for the Hessian of %s (%zu inputs)",
                 param_tensor_name(t), cols);
        return -1;
    }
    if (p->t) p->t->calib_s += now_s() - t0;
    return p->collect ? 0 : quantize_site(p, t, l, H);
}

/* Block l's buffers for the chunk of nb sequences at sequence b0 of the calibration
 * set: X the residual stream, Xmid the mid-block residual and S the SwiGLU outputs of
 * every calibration token (what the observed inputs are and what later stages read);
 * ln1, atty and ln2 share A, which holds each stage's observed input in turn; per-chunk
 * work space (qkv, attention weights, rstd, h13, and with proj_norm the attention and
 * SwiGLU outputs before their norms) from the model's activations. With proj_norm, A
 * and S hold the normalised inputs of Wo and W2, what those matrices see. */
static block_bufs_f32 chunk_bufs(model_f32 *m, int b0, float *X, float *Xmid, float *A, float *S) {
    const model_shape *s = &m->shape;
    size_t rowsC = (size_t)b0 * s->ctx * s->d_model, rowsF = (size_t)b0 * s->ctx * s->ffn_hidden;
    activations_f32 *a = &m->act;
    block_bufs_f32 b = {
        .x = X + rowsC,
        .ln1 = A + rowsC,
        .ln1_rstd = a->ln1_rstd,
        .qkv = a->qkv,
        .att = a->att,
        .atty = A + rowsC,
        .mid = Xmid + rowsC,
        .ln2 = A + rowsC,
        .ln2_rstd = a->ln2_rstd,
        .h13 = a->h13,
        .swi = S + rowsF,
        .out = X + rowsC,
        .atty_raw = a->atty_raw,
        .atty_rstd = a->atty_rstd,
        .swi_raw = a->swi_raw,
        .swi_rstd = a->swi_rstd,
    };
    return b;
}

/* One pass of the calibration tokens through the blocks; see the file comment. Each
 * block runs stage by stage (model_block_forward, the code training runs) over all
 * chunks of max_batch sequences, as training and evaluation batch them (a per-tensor
 * activation scale is per micro-batch there too); after stage k the input of the
 * block's k-th matrix is complete for every token and on_input sees it. The weights
 * are read at each stage, so later stages use those quantized before them. */
static int calib_pass(pass_ctx *p, const uint16_t *calib, int nseq, int head) {
    model_f32 *m = p->m;
    const model_shape *s = &m->shape;
    const int T = s->ctx, C = s->d_model, F = s->ffn_hidden, mb = m->max_batch;
    const size_t M = (size_t)nseq * T;
    float *X = malloc(M * C * sizeof *X), *Xmid = malloc(M * C * sizeof *Xmid);
    float *A = malloc(M * C * sizeof *A), *S = malloc(M * F * sizeof *S);
    int rc = -1;
    if (!X || !Xmid || !A || !S) {
        snprintf(p->err, p->errlen, "PTQ: out of memory for %d calibration sequences (%.0f MiB)",
                 nseq, (double)M * (3 * C + F) * 4 / 1048576.0);
        goto out;
    }
    const float *wte = m->params + m->layout.offset[PT_WTE];
    for (size_t i = 0; i < M; i++) memcpy(X + i * C, wte + (size_t)calib[i] * C, C * sizeof *X);
    for (int l = 0; l < s->n_layer; l++) {
        double tl = now_s();
        for (int stage = BLOCK_QKV; stage <= BLOCK_OUT; stage++) {
            for (int b0 = 0; b0 < nseq; b0 += mb) {
                block_bufs_f32 b = chunk_bufs(m, b0, X, Xmid, A, S);
                model_block_forward_f32(m, l, &b, nseq - b0 < mb ? nseq - b0 : mb, stage, stage);
            }
            if (stage == BLOCK_OUT) break;
            int k = stage; /* stage k ends at the input of site k (enum block_stage) */
            if (on_input(p, site_tensor[k], k, l, k == SITE_2 ? S : A, M, k == SITE_2 ? F : C))
                goto out;
        }
        if (p->t && p->t->layer_s) p->t->layer_s[l] = now_s() - tl;
    }
    if (head) {
        const float *gf = m->params + m->layout.offset[PT_LNF];
        for (int b0 = 0; b0 < nseq; b0 += mb) {
            size_t r = (size_t)b0 * T;
            int nb = nseq - b0 < mb ? nseq - b0 : mb;
            rmsnorm_forward_f32(A + r * C, m->act.lnf_rstd, X + r * C, gf, nb * T, C);
        }
        if (on_input(p, PT_LM, 0, s->n_layer, A, M, C)) goto out;
    }
    rc = 0;
out:
    free(X);
    free(Xmid);
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
            double tl = now_s();
            for (int k = 0; k < SITE_COUNT && !rc; k++) {
                size_t n = k == SITE_2 ? f : d;
                memcpy(H, hess_slot(hs, l, k), n * n * sizeof *H);
                rc = quantize_site(&p, site_tensor[k], l, H);
            }
            if (t && t->layer_s) t->layer_s[l] = now_s() - tl;
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
