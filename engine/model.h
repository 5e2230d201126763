#ifndef ENGINE_MODEL_H
#define ENGINE_MODEL_H

/* Shape and parameter layout of the decoder-only transformer (OLMo/Llama style):
 * token embedding, n_layer pre-norm blocks (RMSNorm, causal multi-head attention
 * with RoPE, RMSNorm, SwiGLU MLP), final RMSNorm, untied LM head, no biases.
 *
 * All parameters live in one contiguous buffer in the order of the tensor table
 * below; per-layer tensors are stacked over layers. Gradients and the two AdamW
 * moments use the same layout, so the optimizer and checkpoints are flat loops. */

#include <stddef.h>
#include <stdint.h>

typedef struct model_shape {
    int vocab;
    int d_model;
    int n_layer;
    int n_head;
    int ctx;
    int ffn_hidden; /* width of the SwiGLU hidden layer (gate and up each) */
    /* 1: an RMSNorm with its own gain before the inputs of Wo and W2, the two projections
     * whose inputs the pre-norm block leaves unnormalised (the knob proj_norm; see
     * docs/engine.md); 0 (the default): none, and no parameters for it. */
    int proj_norm;
} model_shape;

enum param_tensor {
    PT_WTE,  /* [vocab][d]        token embedding */
    PT_LN1,  /* [L][d]            attention pre-norm gain */
    PT_WQKV, /* [L][3d][d]        fused query/key/value projection */
    PT_WO,   /* [L][d][d]         attention output projection */
    PT_LN2,  /* [L][d]            MLP pre-norm gain */
    PT_W13,  /* [L][2f][d]        SwiGLU gate (rows 0..f-1) and up (rows f..2f-1) */
    PT_W2,   /* [L][d][f]         SwiGLU down projection */
    PT_LNF,  /* [d]               final norm gain */
    PT_LM,   /* [vocab][d]        LM head */
    /* proj_norm = 1 only (size 0 otherwise, so the layout before them is unchanged): */
    PT_LNO,  /* [L][d]            gain of the norm before Wo (attention output) */
    PT_LNW2, /* [L][f]            gain of the norm before W2 (SwiGLU output) */
    PT_COUNT
};

/* The stages of one block's forward (model_block_forward): stage k < BLOCK_OUT ends at
 * the input of the block's k-th linear layer, where the PTQ calibration pass observes
 * it; BLOCK_OUT ends at the block's output. */
enum block_stage { BLOCK_QKV, BLOCK_O, BLOCK_W13, BLOCK_W2, BLOCK_OUT, BLOCK_STAGES };

typedef struct param_layout {
    size_t offset[PT_COUNT];
    size_t size[PT_COUNT];
    size_t total;
} param_layout;

/* Default SwiGLU width: 8/3 d rounded up to a multiple of 32, so the MLP has
 * about the parameters of a 4d GELU MLP and GEMM shapes stay aligned. */
int model_default_ffn_hidden(int d_model);

/* Checks the shape; on error writes what is wrong into err and returns -1. */
int model_shape_check(const model_shape *s, char *err, size_t errlen);

void model_layout(const model_shape *s, param_layout *out);
/* Rows and columns of one block's matrix t (PT_WQKV, PT_WO, PT_W13, PT_W2; a weight
 * W[out][in]) or of the token embedding and LM head (PT_WTE, PT_LM: vocab x d_model). */
void model_matrix_shape(const model_shape *s, enum param_tensor t, size_t *rows, size_t *cols);

const char *param_tensor_name(enum param_tensor t);

/* Non-embedding parameters (what the scaling laws call N): everything except
 * the token embedding and the LM head. */
int64_t model_params_nonembedding(const model_shape *s);
int64_t model_params_total(const model_shape *s);

/* Training FLOPs per token: 6 N_matmul (forward + backward of every matrix,
 * LM head included) plus the attention score/value products, halved for the
 * causal mask. */
double model_flops_per_token(const model_shape *s);

/* Whether a parameter tensor gets weight decay (matrices do; gains do not). */
int param_tensor_decays(enum param_tensor t);

#endif
