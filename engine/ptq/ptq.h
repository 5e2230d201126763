#ifndef ENGINE_PTQ_H
#define ENGINE_PTQ_H
/* Post-training quantization (PTQ) of the weights of a trained run: round-to-nearest
 * (RTN) and GPTQ (Frantar et al. 2022), evaluated on the run's validation tokens and
 * logged as rows of /ptq/<table> in the run file. docs/ptq.md describes the methods,
 * options, defaults and the rows.
 *
 * Layers (one idea per file):
 *   ptq_spec.c   request + bits -> qspec (the number format of quant/quant.h), table name
 *   ptq_grid.c   the per-row / per-group grid GPTQ rounds onto, same rule as qspec RTN
 *   ptq_gptq.c   GPTQ on one weight matrix given its Hessian (LAPACK Cholesky)
 *   ptq_model.c  calibration pass over the blocks; RTN or sequential GPTQ of a model
 *   ptq_run.c    run file + checkpoint -> evaluated rows in the run file */
#include "model_f32.h"
#include "quant/quant.h"
#include "runlog.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ formats and names ---- */

#define PTQ_MAX_BITS 16

typedef enum { PTQ_RTN = 0, PTQ_GPTQ = 1 } ptq_method;

/* What to quantize and how, apart from the bit width. Text fields take the values of
 * the `sweep ptq` options (docs/ptq.md). */
typedef struct ptq_format {
    char format[32];      /* int | fp | mx | a qspec format name (e2m1, mxfp4, nvfp4, ...) */
    char granularity[16]; /* channel | group | tensor */
    int group;            /* columns per group (granularity group) */
    int symmetric;        /* INT: 1 absmax, 0 min-max with zero point */
} ptq_format;

void ptq_format_default(ptq_format *f);

/* The qspec for `bits` under f. For format=int: int<b> / uint<b>; fp: the ExMy of
 * ptq_fp_layout(bits); mx: mxfp4 / mxfp6_e2m3 / mxfp8_e4m3; a named format has its own
 * bits (bits must match, or be 0). Returns 0 or -1 with a message. */
int ptq_spec(const ptq_format *f, int bits, qspec *out, char *err, size_t errlen);
/* The element layout format=fp uses for b bits (3: e2m0, 4: e2m1, 5: e2m2, 6: e3m2,
 * 7: e4m2, 8: e4m3, 9..16: e5m(b-6)); returns -1 for other b. */
int ptq_fp_layout(int bits, int *e, int *m);
/* Table name under /ptq: the method alone ("gptq") for the paper's setting (int,
 * per channel, symmetric), else method_format[_granularity][_asym], e.g. "rtn_int_g128_asym". */
void ptq_table_name(ptq_method method, const ptq_format *f, char *out, size_t len);

/* ------------------------------------------------------------------ one matrix ---- */

/* RTN of a rows x cols weight (row = output channel, cols = reduction) into out. */
int ptq_rtn_matrix(const qspec *q, const float *w, float *out, size_t rows, size_t cols, char *err,
                   size_t errlen);

typedef struct ptq_gptq_opts {
    double damp;   /* lambda = damp * mean(diag H); 0.01 */
    int block;     /* columns per lazy-batch block; 128 (rounded to whole groups) */
    int act_order; /* process columns by decreasing H_ii */
} ptq_gptq_opts;

void ptq_gptq_opts_default(ptq_gptq_opts *o);

typedef struct ptq_layer_info {
    int dead;         /* inputs with H_ii = 0 (their weight columns set to 0) */
    int damp_retries; /* times the dampening was multiplied by 10 to factor H */
    double damp_used; /* lambda actually added */
    double sq_err;    /* GPTQ's own error estimate: sum of ((w - q) / U_ii)^2 / 2 */
} ptq_layer_info;

/* GPTQ of the rows x cols weight w (quantized in place) with H = 2 X^T X / n (cols x
 * cols, row-major, float64; H is overwritten). Section 4 of docs/science.md: dead
 * inputs, dampening, upper Cholesky factor of H^-1, column blocks with lazy batch
 * updates, optional act-order, scales by the RTN rule of q (ptq_grid.c). */
int ptq_gptq_matrix(const qspec *q, float *w, size_t rows, size_t cols, double *H,
                    const ptq_gptq_opts *o, ptq_layer_info *info, char *err, size_t errlen);

/* H += scale * X^T X for X [n][cols] (float; accumulated in float64 by blocks of rows).
 * Returns -1 when out of memory (H unchanged). */
int ptq_hessian_add(double *H, const float *X, size_t n, size_t cols, double scale);

/* ---------------------------------------------------------------- whole model ---- */

typedef struct ptq_model_opts {
    ptq_method method;
    qspec spec;
    int embed_head; /* also quantize the token embedding (RTN) and LM head (RTN/GPTQ) */
    int sequential; /* GPTQ: block l calibrated with blocks < l already quantized */
    ptq_gptq_opts gptq;
} ptq_model_opts;

/* Hessians of every quantized matrix of a model (4 per block + LM head), collected once
 * from the unquantized model when sequential = 0 and reused for every bit width. */
typedef struct ptq_hessians {
    int n_layer, d, f, head; /* head: the LM head's Hessian is present */
    double *h;               /* [L][4] matrices (d*d, d*d, d*d, f*f) then d*d for the head */
    size_t total;
    int64_t tokens;
} ptq_hessians;

void ptq_hessians_free(ptq_hessians *hs);
int ptq_collect_hessians(model_f32 *m, const uint16_t *calib, int nseq, int head, ptq_hessians *out,
                         char *err, size_t errlen);

typedef struct ptq_timing {
    double *layer_s;        /* [n_layer] seconds per block (calibration + GPTQ), may be NULL */
    double calib_s;         /* forward and Hessian work */
    double gptq_s;          /* GPTQ proper (factorisations and column loops) */
    int dead, damp_retries; /* summed over matrices */
} ptq_timing;

/* Quantizes m->params in place (m holds a copy of the trained weights). GPTQ needs
 * calibration sequences (nseq x (ctx+1) tokens, inputs are the first ctx of each) or
 * precomputed Hessians hs (then calib may be NULL). */
int ptq_quantize_model(model_f32 *m, const ptq_model_opts *o, const uint16_t *calib, int nseq,
                       const ptq_hessians *hs, ptq_timing *t, char *err, size_t errlen);

/* ------------------------------------------------------------------- run files ---- */

typedef struct ptq_request {
    ptq_method method;
    int bits[PTQ_MAX_BITS];
    int nbits;
    ptq_format fmt;
    int calib;   /* calibration sequences of ctx tokens from train.tok; 128 */
    int threads; /* > 0: sets the process's OpenMP and OpenBLAS threads; 0: leaves them */
    int embed_head;
    int sequential; /* 1 */
    ptq_gptq_opts gptq;
    const char *checkpoint; /* NULL: <run>.ckpt beside the run file */
    int replace;            /* drop rows made with other settings instead of refusing */
} ptq_request;

void ptq_request_default(ptq_request *r);

typedef struct ptq_progress {
    int bits;         /* 0 while evaluating the unquantized weights */
    int index, count; /* bits done so far, bits requested */
    double val_loss, base_loss, seconds;
    const char *stage; /* "base", "quantize", "eval" */
} ptq_progress;

typedef void (*ptq_progress_fn)(const ptq_progress *p, void *ctx);

/* Quantizes the weights of the checkpoint of run_file for every requested bit width,
 * evaluates each copy on the run's validation tokens and writes one row per bit width
 * to /ptq/<table> (ptq_table_name) atomically. Rows of the same step and bits are
 * replaced; nothing else in the file changes. The checkpoint is only read. */
int ptq_run(const char *run_file, const ptq_request *req, ptq_progress_fn progress, void *ctx,
            char *err, size_t errlen);

/* The same on a run log held in memory (the training loop's own), without saving it:
 * quantizes params (the weights at `step`; NULL: the checkpoint, as ptq_run) and merges
 * the rows into rl's /ptq/<table>. run_file names the run in messages and locates the
 * checkpoint; the data and shapes come from rl's /config. */
int ptq_run_log(runlog *rl, const char *run_file, const float *params, int64_t step,
                const ptq_request *req, ptq_progress_fn progress, void *ctx, char *err,
                size_t errlen);

#endif
