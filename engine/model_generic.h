/* Declarations of the transformer pass, generic over the scalar type.
 * Included by model_f32.h (float, what training uses) and model_f64.h (double,
 * what the finite-difference gradient checks use), each defining REAL and SFX.
 * No include guard on purpose. */
#include "backend.h"

/* Activations saved by the forward pass for the backward pass, for up to
 * max_batch sequences of ctx tokens (M = max_batch * ctx rows). */
typedef struct SFX(activations) {
    REAL *res;      /* [L+1][M][d]   residual stream entering each block, and the output */
    REAL *ln1;      /* [L][M][d]     normalised input of attention */
    REAL *ln1_rstd; /* [L][M] */
    REAL *qkv;      /* [L][M][3d]    q and k after RoPE, v */
    REAL *att;      /* [L][B][H][T][T] softmax probabilities (upper triangle unused) */
    REAL *atty;     /* [L][M][d]     input of the output projection Wo */
    REAL *res_mid;  /* [L][M][d]     residual after attention */
    REAL *ln2;      /* [L][M][d] */
    REAL *ln2_rstd; /* [L][M] */
    REAL *h13;      /* [L][M][2f]    gate and up pre-activations */
    REAL *swi;      /* [L][M][f]     input of W2: silu(gate) * up */
    /* proj_norm = 1 only (empty otherwise): the attention and SwiGLU outputs before the
     * norms whose outputs atty and swi then are, and the norms' 1/rms. */
    REAL *atty_raw;     /* [L][M][d] */
    REAL *atty_rstd;    /* [L][M] */
    REAL *swi_raw;      /* [L][M][f] */
    REAL *swi_rstd;     /* [L][M] */
    REAL *lnf;          /* [M][d] */
    REAL *lnf_rstd;     /* [M] */
    REAL *logits;       /* [M][V]        logits, replaced by probabilities in the forward */
    double *row_loss;   /* [M]         per-token loss, summed in a fixed order */
    REAL *scratch;      /* backward work space: gradients of one block's activations */
    REAL *attn_scratch; /* [nthreads][attention_scratch_size] */
    size_t total;
} SFX(activations);

typedef struct SFX(model) {
    model_shape shape;
    param_layout layout;
    int max_batch;
    int nthreads; /* OpenMP threads the kernels may use (fixed at creation) */
    REAL *params; /* [layout.total] */
    REAL *grads;  /* [layout.total] */
    SFX(activations) act;
    REAL *rope_cos; /* [ctx][head_dim/2] */
    REAL *rope_sin;
    struct qat_state *qat; /* quantization-aware training (float model only; NULL: none) */
    REAL *block;           /* one allocation behind params, grads, activations, rope tables */
    size_t block_bytes;
    backend be; /* where the block lives and the layers run (float model; the double one: CPU) */
} SFX(model);

/* The buffers of one block's forward over `rows` = B * ctx rows, by stage:
 * BLOCK_QKV writes ln1 (and ln1_rstd) from x; BLOCK_O qkv, att and atty from ln1;
 * BLOCK_W13 mid = x + atty Wo^T, then ln2 (and ln2_rstd); BLOCK_W2 h13 and swi from ln2;
 * BLOCK_OUT out = mid + swi W2^T. Each stage reads only what the stages before it wrote
 * (and x, up to BLOCK_W13), so buffers a stage no longer needs may be reused: ln1, atty
 * and ln2 may share one, and out may be x. atty and swi are always the inputs of Wo and
 * W2; with proj_norm, BLOCK_O writes the attention output to atty_raw and its norm
 * (atty_rstd) to atty, and BLOCK_W2 the SwiGLU output to swi_raw and its norm (swi_rstd)
 * to swi; the forward needs these four within their stage only (the backward reads the
 * saved ones; unused without proj_norm). */
typedef struct SFX(block_bufs) {
    const REAL *x;
    REAL *ln1, *ln1_rstd, *qkv, *att, *atty, *mid, *ln2, *ln2_rstd, *h13, *swi, *out;
    REAL *atty_raw, *atty_rstd, *swi_raw, *swi_rstd;
} SFX(block_bufs);

/* Allocates everything once (training never allocates per step). Returns -1 and
 * a message in err on a bad shape or out of memory. Parameters are zero until
 * model_init_params or a checkpoint fills them. On the CPU. */
int SFX(model_create)(SFX(model) * m, const model_shape *s, int max_batch, char *err,
                      size_t errlen);
void SFX(model_destroy)(SFX(model) * m);

/* Forward pass over B sequences (B <= max_batch) of ctx tokens. With targets,
 * returns the summed cross-entropy (nats) over the B*ctx tokens and leaves the
 * softmax probabilities in act.logits for the backward; without (NULL), returns 0
 * and leaves the logits. */
double SFX(model_forward)(SFX(model) * m, const uint16_t *inputs, const uint16_t *targets, int B);

/* Backward pass of the last forward (same inputs/targets/B), adding
 * loss_scale * d(summed loss)/d(params) into m->grads. */
void SFX(model_backward)(SFX(model) * m, const uint16_t *inputs, const uint16_t *targets, int B,
                         REAL loss_scale);

/* Runs stages first..last (enum block_stage) of block l over B sequences, with the
 * model's weights (the quantized shadow under QAT) and its activation fake quantization,
 * exactly as model_forward does. */
void SFX(model_block_forward)(SFX(model) * m, int l, const SFX(block_bufs) * b, int B, int first,
                              int last);

/* Individual layers, exposed for the per-layer gradient checks. Shapes in the
 * comments of layers/ *.inc. The layers with matrix products take the GEMM first: the
 * CPU backend's context (engine/cpu_gemm.h; NULL: OpenBLAS). The double model always
 * calls cblas_dgemm and ignores it. */
struct cpu_gemm;
void SFX(rmsnorm_forward)(REAL *out, REAL *rstd, const REAL *inp, const REAL *gain, int M, int C);
void SFX(rmsnorm_backward)(REAL *dinp, REAL *dgain, const REAL *dout, const REAL *inp,
                           const REAL *gain, const REAL *rstd, int M, int C);
void SFX(linear_forward)(struct cpu_gemm *gemm, REAL *out, const REAL *inp, const REAL *w, int M,
                         int Cin, int Cout);
void SFX(linear_backward)(struct cpu_gemm *gemm, REAL *dinp, REAL *dw, const REAL *dout,
                          const REAL *inp, const REAL *w, int M, int Cin, int Cout);
void SFX(rope_tables)(REAL *cos_t, REAL *sin_t, int T, int head_dim);
void SFX(rope_forward)(REAL *qkv, const REAL *cos_t, const REAL *sin_t, int B, int T, int C, int H);
void SFX(rope_backward)(REAL *dqkv, const REAL *cos_t, const REAL *sin_t, int B, int T, int C,
                        int H);
void SFX(attention_forward)(struct cpu_gemm *gemm, REAL *out, REAL *att, const REAL *qkv, int B,
                            int T, int C, int H, REAL *scratch, int nthreads);
void SFX(attention_backward)(struct cpu_gemm *gemm, REAL *dqkv, const REAL *dout, const REAL *att,
                             const REAL *qkv, int B, int T, int C, int H, REAL *scratch,
                             int nthreads);
size_t SFX(attention_scratch_size)(int T, int C, int H);
void SFX(swiglu_forward)(REAL *out, const REAL *h13, int M, int F);
void SFX(swiglu_backward)(REAL *dh13, const REAL *dout, const REAL *h13, int M, int F);
double SFX(crossentropy_forward)(REAL *probs, const uint16_t *targets, int M, int V);
void SFX(crossentropy_backward)(REAL *dlogits, const REAL *probs, const uint16_t *targets, int M,
                                int V, REAL scale);
