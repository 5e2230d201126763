#include "model.h"

#include <stdio.h>

int model_default_ffn_hidden(int d_model) {
    int f = (8 * d_model + 2) / 3;
    return (f + 31) / 32 * 32;
}

/* -1 with "name=v: expected lo..hi" and the note when v is outside lo..hi. */
static int outside(const char *name, int v, int lo, int hi, const char *note, char *err,
                   size_t errlen) {
    if (v >= lo && v <= hi) return 0;
    snprintf(err, errlen, "%s=%d: expected %d..%d%s", name, v, lo, hi, note);
    return -1;
}

int model_shape_check(const model_shape *s, char *err, size_t errlen) {
    if (outside("d_model", s->d_model, 2, 16384, "", err, errlen) ||
        outside("n_layer", s->n_layer, 1, 1024, "", err, errlen))
        return -1;
    if (s->n_head < 1 || s->d_model % s->n_head != 0) {
        snprintf(err, errlen, "n_head=%d: expected a divisor of d_model=%d", s->n_head, s->d_model);
        return -1;
    }
    if ((s->d_model / s->n_head) % 2 != 0) {
        snprintf(err, errlen,
                 "head size d_model/n_head=%d: expected an even number (RoPE rotates pairs)",
                 s->d_model / s->n_head);
        return -1;
    }
    if (outside("ctx", s->ctx, 2, 65536, "", err, errlen) ||
        outside("vocab", s->vocab, 2, 65536, " (tokens are uint16)", err, errlen) ||
        outside("ffn_hidden", s->ffn_hidden, 1, 1 << 20, "", err, errlen) ||
        outside("proj_norm", s->proj_norm, 0, 1, "", err, errlen))
        return -1;
    return 0;
}

void model_layout(const model_shape *s, param_layout *out) {
    size_t V = (size_t)s->vocab, C = (size_t)s->d_model, L = (size_t)s->n_layer;
    size_t F = (size_t)s->ffn_hidden;
    out->size[PT_WTE] = V * C;
    out->size[PT_LN1] = L * C;
    out->size[PT_WQKV] = L * 3 * C * C;
    out->size[PT_WO] = L * C * C;
    out->size[PT_LN2] = L * C;
    out->size[PT_W13] = L * 2 * F * C;
    out->size[PT_W2] = L * C * F;
    out->size[PT_LNF] = C;
    out->size[PT_LM] = V * C;
    out->size[PT_LNO] = s->proj_norm ? L * C : 0;
    out->size[PT_LNW2] = s->proj_norm ? L * F : 0;
    size_t off = 0;
    for (int t = 0; t < PT_COUNT; t++) {
        out->offset[t] = off;
        off += out->size[t];
    }
    out->total = off;
}

void model_matrix_shape(const model_shape *s, enum param_tensor t, size_t *rows, size_t *cols) {
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

const char *param_tensor_name(enum param_tensor t) {
    static const char *const names[PT_COUNT] = {"wte", "ln1", "wqkv", "wo",  "ln2", "w13",
                                                "w2",  "lnf", "lm",   "lno", "lnw2"};
    return (t >= 0 && t < PT_COUNT) ? names[t] : "?";
}

int64_t model_params_total(const model_shape *s) {
    param_layout l;
    model_layout(s, &l);
    return (int64_t)l.total;
}

int64_t model_params_nonembedding(const model_shape *s) {
    param_layout l;
    model_layout(s, &l);
    return (int64_t)(l.total - l.size[PT_WTE] - l.size[PT_LM]);
}

double model_flops_per_token(const model_shape *s) {
    double C = s->d_model, L = s->n_layer, F = s->ffn_hidden, V = s->vocab, T = s->ctx;
    double matmul_params = L * (4 * C * C + 3 * C * F) + V * C;
    /* QK^T and AV: 2 products of 2*T*C FLOPs per token per layer forward, causal
     * halves them, backward doubles twice: 3x forward. */
    double attention = 3.0 * L * 2.0 * (2.0 * T * C) / 2.0;
    return 6.0 * matmul_params + attention;
}

int param_tensor_decays(enum param_tensor t) {
    return !(t == PT_LN1 || t == PT_LN2 || t == PT_LNF || t == PT_LNO || t == PT_LNW2);
}
