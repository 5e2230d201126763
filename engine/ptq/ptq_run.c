/* PTQ of a run: its checkpoint's weights, calibration from its train.tok, evaluation on
 * the validation tokens it was evaluated on, rows in /ptq/<table> of its run file. */
#include "backend.h"
#include "checkpoint.h"
#include "config.h"
#include "cpu_gemm.h"
#include "evaluate.h"
#include "ptq/ptq_internal.h"
#include "qat/qat_model.h"
#include "runlog.h"
#include "tokfile.h"
#include "train.h"
#include "clock.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ptq_request_default(ptq_request *r) {
    memset(r, 0, sizeof *r);
    r->method = PTQ_GPTQ;
    for (const char *b = PTQ_DEFAULT_BITS; *b && r->nbits < PTQ_MAX_BITS; b += *b == ',') {
        char *end;
        r->bits[r->nbits++] = (int)strtol(b, &end, 10);
        b = end;
    }
    ptq_format_default(&r->fmt);
    r->calib = 128;
    r->sequential = 1;
    ptq_gptq_opts_default(&r->gptq);
}

typedef struct run_info {
    model_shape shape;
    char data[512];
    int64_t eval_tokens, micro_batch;
    char run_id[24];
    char gemm[16]; /* the GEMM the run trained on (knob gemm; files from before it: openblas) */
} run_info;

static int config_int(const runlog *rl, const char *file, const char *name, int64_t *v, char *err,
                      size_t errlen) {
    const attr *a = attr_get(&rl->config, name);
    if (!a || a->type != ATTR_INT) {
        snprintf(err, errlen, "%s: /config has no integer attribute %s (not a run file?)", file,
                 name);
        return -1;
    }
    *v = a->i;
    return 0;
}

static int read_run_info(const runlog *rl, const char *file, run_info *ri, char *err,
                         size_t errlen) {
    int64_t v[6];
    const char *names[] = {"vocab", "d_model", "n_layer", "n_head", "ctx", "ffn_hidden"};
    for (int i = 0; i < 6; i++)
        if (config_int(rl, file, names[i], &v[i], err, errlen)) return -1;
    ri->shape = (model_shape){(int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5], 0};
    /* a knob added later: run files from before it have none (and no such norms) */
    const attr *pn = attr_get(&rl->config, "proj_norm");
    if (pn && pn->type == ATTR_INT) ri->shape.proj_norm = (int)pn->i;
    if (config_int(rl, file, "eval_tokens", &ri->eval_tokens, err, errlen) ||
        config_int(rl, file, "micro_batch", &ri->micro_batch, err, errlen))
        return -1;
    const attr *d = attr_get(&rl->config, "data");
    const attr *id = attr_get(&rl->root, "run_id");
    if (!d || d->type != ATTR_STR || !id || id->type != ATTR_STR) {
        snprintf(err, errlen, "%s: missing /config data or root run_id", file);
        return -1;
    }
    snprintf(ri->data, sizeof ri->data, "%s", d->s);
    snprintf(ri->run_id, sizeof ri->run_id, "%s", id->s);
    const attr *g = attr_get(&rl->config, "gemm");
    snprintf(ri->gemm, sizeof ri->gemm, "%s", g && g->type == ATTR_STR ? g->s : "openblas");
    if (ri->micro_batch < 1) ri->micro_batch = 1;
    return model_shape_check(&ri->shape, err, errlen);
}

/* Calibration: nseq windows of ctx tokens spread evenly over the training stream (the
 * training distribution, never validation), deterministic. */
static uint16_t *calib_tokens(const tokfile *tr, int T, int *nseq) {
    int64_t windows = (int64_t)(tr->n - 1) / T;
    if (*nseq > windows) *nseq = (int)windows;
    uint16_t *c = malloc((size_t)*nseq * T * sizeof *c);
    if (!c) return NULL;
    for (int i = 0; i < *nseq; i++) {
        int64_t w = (int64_t)i * windows / *nseq;
        memcpy(c + (size_t)i * T, tr->tokens + w * T, (size_t)T * sizeof *c);
    }
    return c;
}

static const char *gran_attr(const qspec *q, const ptq_format *f, int64_t *group) {
    *group = 0;
    if (qspec_has_blocks(q)) {
        *group = q->block;
        return "block";
    }
    if (!strcmp(f->granularity, "group")) {
        *group = f->group;
        return "group";
    }
    return !strcmp(f->granularity, "tensor") ? "tensor" : "channel";
}

/* The settings a table's rows were made with, as group attributes. */
static void settings_attrs(attr_set *a, const ptq_request *req, const qspec *q,
                           int64_t calib_tokens) {
    int64_t g;
    attr_set_str(a, "method", req->method == PTQ_GPTQ ? "gptq" : "rtn");
    attr_set_str(a, "format", req->fmt.format);
    attr_set_str(a, "granularity", gran_attr(q, &req->fmt, &g));
    attr_set_int(a, "group_size", g);
    attr_set_int(a, "symmetric", qspec_has_symmetry(q) ? q->symmetric : 1);
    attr_set_int(a, "calib_tokens", req->method == PTQ_GPTQ ? calib_tokens : 0);
    attr_set_int(a, "embed_head", req->embed_head);
    if (req->method == PTQ_GPTQ) {
        attr_set_int(a, "act_order", req->gptq.act_order);
        attr_set_int(a, "sequential", req->sequential);
        attr_set_real(a, "damp", req->gptq.damp);
        attr_set_str(a, "calib_source", "train.tok");
    }
}

/* A run trained with fake quantization is PTQ'd as it was deployed: the starting weights
 * are its quantized weights Q_w(W) (what its /final val_loss was measured with), and its
 * activation and K/V quantization stay on for calibration and evaluation. Returns with
 * m->qat holding the activation/KV points only (or NULL). */
static int apply_training_quant(model_f32 *m, const runlog *rl, const char *file, char *err,
                                size_t errlen) {
    train_config c;
    qat_plan plan;
    char sub[600];
    if (runlog_config(rl, file, &c, err, errlen)) return -1;
    if (qat_plan_from_config(&c, &plan, sub, sizeof sub)) {
        snprintf(err, errlen, "%s: %s", file, sub);
        return -1;
    }
    if (!qat_any(&plan)) return 0;
    if (plan.pt[QAT_W].enabled) {
        qat_plan wonly = {0};
        wonly.pt[QAT_W] = plan.pt[QAT_W];
        if (model_qat_attach(m, &wonly, sub, sizeof sub)) goto fail;
        model_qat_quantize_weights(m);
        const enum param_tensor blocks[4] = {PT_WQKV, PT_WO, PT_W13, PT_W2};
        for (int i = 0; i < 4; i++) {
            float *dst = m->params + m->layout.offset[blocks[i]];
            memcpy(dst, qat_weight(m, blocks[i], 0), m->layout.size[blocks[i]] * sizeof *dst);
        }
        model_qat_detach(m);
    }
    plan.pt[QAT_W].enabled = 0;
    if (model_qat_attach(m, &plan, sub, sizeof sub)) goto fail;
    return 0;
fail:
    snprintf(err, errlen, "%s: training quantization: %s", file, sub);
    return -1;
}

/* Checks the request and resolves the spec of every bit width. */
static int check_request(const ptq_request *req, qspec *specs, char *err, size_t errlen) {
    if (req->nbits < 1 || req->nbits > PTQ_MAX_BITS) {
        snprintf(err, errlen, "PTQ: give 1..%d bit widths", PTQ_MAX_BITS);
        return -1;
    }
    for (int i = 0; i < req->nbits; i++) {
        char sub[400];
        if (ptq_spec(&req->fmt, req->bits[i], &specs[i], sub, sizeof sub)) {
            snprintf(err, errlen, "PTQ: %s", sub);
            return -1;
        }
        ptq_grid g;
        if (req->method == PTQ_GPTQ && ptq_grid_init(&g, &specs[i], 1024, sub, sizeof sub)) {
            snprintf(err, errlen, "PTQ: %s", sub);
            return -1;
        }
    }
    if (req->method == PTQ_GPTQ && req->calib < 1) {
        snprintf(err, errlen, "PTQ: calib=%d: GPTQ needs at least 1 calibration sequence",
                 req->calib);
        return -1;
    }
    return 0;
}

static int settings_conflict(const runlog *rl, const char *run_file, const ptq_request *req,
                             const qspec *spec0, int64_t calib_tokens, char *err, size_t errlen);

/* One evaluated row per bit width: rows[i] = {step, bits, val_loss, base_loss, delta}. */
typedef struct ptq_rows {
    qspec specs[PTQ_MAX_BITS];
    double v[PTQ_MAX_BITS][5];
    int64_t calib_tokens;
} ptq_rows;

/* The weights are params (at step) when given, else the checkpoint's. */
/* Where PTQ evaluates: a run trained on a GPU is evaluated on one, with the micro-batch it
 * trained with, so its unquantized loss reproduces /final val_loss to the bit (the GPU's
 * sums are not the CPU's) and the evaluations, most of PTQ's time, run at the GPU's
 * speed; the weights are quantized on the CPU, and a run trained with activation or K/V
 * quantization keeps those quantizers on for the evaluation, on the device. Without a usable GPU (a
 * CPU build, no device) it evaluates on the CPU: base and quantized losses then come from the same
 * arithmetic, so delta is as good, but base_loss differs from /final val_loss in the last
 * bits (docs/ptq.md). A CPU run evaluates on the CPU with the GEMM it trained on (gemm). */
typedef struct {
    backend be;
    model_f32 dev;
    int on_device;
} ptq_evaluator;

static void evaluator_open(ptq_evaluator *e, const runlog *rl, const char *run_file,
                           const model_f32 *m, const run_info *ri) {
    memset(e, 0, sizeof *e);
    train_config c;
    char err[512];
    if (runlog_config(rl, run_file, &c, err, sizeof err) || !strcmp(c.device, "cpu")) return;
    if (backend_cuda_create(&e->be, 0, err, sizeof err)) return;
    if (backend_set_matmul(&e->be, c.matmul, err, sizeof err) ||
        model_create_on_f32(&e->dev, &ri->shape, (int)ri->micro_batch, e->be, err, sizeof err) ||
        (m->qat && model_qat_attach(&e->dev, &m->qat->plan, err, sizeof err))) {
        model_destroy_f32(&e->dev);
        backend_cuda_destroy(&e->be);
        memset(e, 0, sizeof *e);
        return;
    }
    e->on_device = 1;
}

/* model_eval_loss of m's parameters, on the device when there is one; NAN when the
 * device failed (err set). */
static int evaluator_loss(ptq_evaluator *e, model_f32 *m, const tokfile *val, const run_info *ri,
                          uint16_t *in, uint16_t *tg, double *loss, char *err, size_t errlen) {
    model_f32 *run = e->on_device ? &e->dev : m;
    const backend_ops *o = run->be.ops;
    if (e->on_device)
        o->upload(e->be.ctx, e->dev.params, m->params, m->layout.total * sizeof *m->params);
    *loss = model_eval_loss(run, val, ri->eval_tokens, run->max_batch, in, tg);
    /* a device's failure, or on the CPU one of the own GEMM (cpu_gemm.h) */
    const char *fail = o->error(run->be.ctx);
    if (!fail) return 0;
    snprintf(err, errlen, "PTQ evaluation on %s: %s", o->name, fail);
    return -1;
}

static void evaluator_close(ptq_evaluator *e) {
    if (!e->on_device) return;
    model_qat_detach(&e->dev);
    model_destroy_f32(&e->dev);
    backend_cuda_destroy(&e->be);
    memset(e, 0, sizeof *e);
}

static int compute_rows(const runlog *rl, const char *run_file, const float *params, int64_t step,
                        const ptq_request *req, ptq_rows *out, ptq_progress_fn progress, void *ctx,
                        char *err, size_t errlen) {
    run_info ri;
    tokfile tr = {0}, val = {0};
    model_f32 m = {0};
    cpu_gemm gemm; /* outlives m */
    float *orig = NULL;
    uint16_t *calib = NULL, *in = NULL, *tg = NULL;
    ptq_hessians hs = {0};
    int rc = -1;
    char path[1200], ckpt[1200];
    ckpt_state st = {0};
    ptq_evaluator ev = {0};

    if (read_run_info(rl, run_file, &ri, err, errlen)) return -1;
    if (!params) {
        if (req->checkpoint)
            snprintf(ckpt, sizeof ckpt, "%s", req->checkpoint);
        else
            train_checkpoint_path(run_file, ckpt, sizeof ckpt);
        if (checkpoint_peek(ckpt, &st, err, errlen)) return -1;
        char id[24];
        snprintf(id, sizeof id, "%016llx", (unsigned long long)st.run_id);
        if (strcmp(id, ri.run_id)) {
            snprintf(err, errlen, "%s belongs to run %s, but %s is run %s", ckpt, id, run_file,
                     ri.run_id);
            return -1;
        }
        step = st.step;
    }

    if (req->threads > 0) train_set_threads(req->threads); /* 0: leave the process as it is */
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", ri.data, k ? "val.tok" : "train.tok");
        char sub[1400];
        if (tokfile_open(path, k ? &val : &tr, sub, sizeof sub)) {
            snprintf(err, errlen, "%s (the data= of %s%s)", sub, run_file,
                     ri.data[0] == '/' ? "" : "; a relative path: run from where it was trained");
            goto out;
        }
    }
    if ((int64_t)tr.vocab != ri.shape.vocab || val.n < (uint64_t)ri.shape.ctx + 1 ||
        tr.n < (uint64_t)ri.shape.ctx + 1) {
        snprintf(err, errlen,
                 "%s: token files do not fit the run (vocab %u vs %d, or shorter than ctx=%d)",
                 ri.data, tr.vocab, ri.shape.vocab, ri.shape.ctx);
        goto out;
    }
    /* On the CPU, the run's own GEMM (gemm=own: any path, the same bits): the calibration
     * forward and every evaluation as training computed them, so base_loss is /final
     * val_loss bit for bit. GPTQ's Hessian products stay OpenBLAS's (ptq/gptq.c). */
    if (cpu_gemm_init(&gemm, ri.gemm, "auto", omp_get_max_threads(), err, errlen) ||
        model_create_on_f32(&m, &ri.shape, (int)ri.micro_batch, backend_cpu_gemm(&gemm), err,
                            errlen))
        goto out;
    if (params)
        memcpy(m.params, params, m.layout.total * sizeof *m.params);
    else if (checkpoint_load(ckpt, &st, m.layout.total, m.params, NULL, NULL, err, errlen))
        goto out;
    if (apply_training_quant(&m, rl, run_file, err, errlen)) goto out;
    orig = malloc(m.layout.total * sizeof *orig);
    in = malloc((size_t)m.max_batch * ri.shape.ctx * sizeof *in);
    tg = malloc((size_t)m.max_batch * ri.shape.ctx * sizeof *tg);
    int ncal = req->calib;
    if (req->method == PTQ_GPTQ) calib = calib_tokens(&tr, ri.shape.ctx, &ncal);
    if (!orig || !in || !tg || (req->method == PTQ_GPTQ && !calib)) {
        snprintf(err, errlen, "PTQ: out of memory");
        goto out;
    }
    memcpy(orig, m.params, m.layout.total * sizeof *orig);
    out->calib_tokens = req->method == PTQ_GPTQ ? (int64_t)ncal * ri.shape.ctx : 0;
    /* Refuse before the work, not after it (merge_rows checks again against the file). */
    if (settings_conflict(rl, run_file, req, &out->specs[0], out->calib_tokens, err, errlen))
        goto out;

    double t0 = now_s();
    evaluator_open(&ev, rl, run_file, &m, &ri);
    double base;
    if (evaluator_loss(&ev, &m, &val, &ri, in, tg, &base, err, errlen)) goto out;
    if (progress) {
        ptq_progress p = {0, 0, req->nbits, NAN, base, now_s() - t0, "base"};
        progress(&p, ctx);
    }
    ptq_model_opts mo = {req->method, out->specs[0], req->embed_head, req->sequential, req->gptq};
    if (req->method == PTQ_GPTQ && !req->sequential &&
        ptq_collect_hessians(&m, calib, ncal, req->embed_head, &hs, err, errlen))
        goto out;
    for (int i = 0; i < req->nbits; i++) {
        double b = out->specs[i].bits;
        memcpy(m.params, orig, m.layout.total * sizeof *orig);
        mo.spec = out->specs[i];
        if (progress) {
            ptq_progress p = {(int)b, i, req->nbits, NAN, base, now_s() - t0, "quantize"};
            progress(&p, ctx);
        }
        if (ptq_quantize_model(&m, &mo, calib, ncal, hs.h ? &hs : NULL, NULL, err, errlen))
            goto out;
        double v;
        if (evaluator_loss(&ev, &m, &val, &ri, in, tg, &v, err, errlen)) goto out;
        double *row = out->v[i];
        row[0] = (double)step, row[1] = b, row[2] = v, row[3] = base, row[4] = v - base;
        if (progress) {
            ptq_progress p = {(int)b, i + 1, req->nbits, v, base, now_s() - t0, "eval"};
            progress(&p, ctx);
        }
    }
    rc = 0;
out:
    evaluator_close(&ev);
    ptq_hessians_free(&hs);
    model_qat_detach(&m);
    model_destroy_f32(&m);
    tokfile_close(&tr);
    tokfile_close(&val);
    free(orig);
    free(calib);
    free(in);
    free(tg);
    return rc;
}

/* -1 (with a message) when the table the request writes to holds rows made with other
 * settings and the request does not ask to replace them. */
static int settings_conflict(const runlog *rl, const char *run_file, const ptq_request *req,
                             const qspec *spec0, int64_t calib_tokens, char *err, size_t errlen) {
    char name[96], tpath[128], which[64];
    ptq_table_name(req->method, &req->fmt, name, sizeof name);
    snprintf(tpath, sizeof tpath, "/ptq/%s", name);
    const table *t = runlog_find_table(rl, tpath);
    if (!t || !t->rows || req->replace) return 0;
    attr_set want = {0};
    settings_attrs(&want, req, spec0, calib_tokens);
    int same = attr_set_includes(&t->attrs, &want, which, sizeof which);
    attr_set_free(&want);
    if (same) return 0;
    snprintf(err, errlen,
             "%s: %s holds rows made with another %s; use the same settings, or drop those rows "
             "with `sweep ptq RUN.h5 replace=1 ...`",
             run_file, tpath, which);
    return -1;
}

/* Rows of the same (step, bits) are replaced; rows made with other settings are refused
 * unless req->replace drops them. */
static int merge_rows(runlog *rl, const char *run_file, const ptq_request *req, const ptq_rows *r,
                      char *err, size_t errlen) {
    char name[96], tpath[128];
    ptq_table_name(req->method, &req->fmt, name, sizeof name);
    snprintf(tpath, sizeof tpath, "/ptq/%s", name);
    if (settings_conflict(rl, run_file, req, &r->specs[0], r->calib_tokens, err, errlen)) return -1;
    attr_set want = {0};
    settings_attrs(&want, req, &r->specs[0], r->calib_tokens);
    table *t = runlog_find_table(rl, tpath);
    char which[64];
    if (t && t->rows && !attr_set_includes(&t->attrs, &want, which, sizeof which)) t->rows = 0;
    if (!t) t = runlog_table(rl, tpath, "step:i,bits:r,val_loss:r,base_loss:r,delta:r");
    if (!t || t->ncols != 5) {
        snprintf(err, errlen, "%s: %s has unexpected columns", run_file, tpath);
        attr_set_free(&want);
        return -1;
    }
    for (size_t k = 0; k < want.n; k++) attr_set_put(&t->attrs, &want.items[k]);
    attr_set_free(&want);
    for (int i = 0; i < req->nbits; i++) {
        table_drop_rows(t, (int64_t)r->v[i][0], r->v[i][1]);
        if (table_append(t, r->v[i])) {
            snprintf(err, errlen, "PTQ: out of memory");
            return -1;
        }
    }
    /* rows sorted by (step, bits): re-running a request gives the same table bytes */
    table_sort_by_first_two(t);
    return 0;
}

int ptq_run(const char *run_file, const ptq_request *req, ptq_progress_fn progress, void *ctx,
            char *err, size_t errlen) {
    ptq_rows *r = calloc(1, sizeof *r);
    runlog rl;
    if (!r) {
        snprintf(err, errlen, "PTQ: out of memory");
        return -1;
    }
    int rc = check_request(req, r->specs, err, errlen);
    if (!rc) rc = runlog_load(&rl, run_file, err, errlen);
    if (rc) {
        free(r);
        return -1;
    }
    rc = compute_rows(&rl, run_file, NULL, 0, req, r, progress, ctx, err, errlen);
    runlog_free(&rl);
    /* Merge into the file as it is now (another PTQ may have written meanwhile). */
    if (!rc) rc = runlog_load(&rl, run_file, err, errlen);
    if (!rc) {
        rc = merge_rows(&rl, run_file, req, r, err, errlen);
        if (!rc) rc = runlog_save(&rl, run_file, err, errlen);
        runlog_free(&rl);
    }
    free(r);
    return rc;
}

int ptq_run_log(runlog *rl, const char *run_file, const float *params, int64_t step,
                const ptq_request *req, ptq_progress_fn progress, void *ctx, char *err,
                size_t errlen) {
    ptq_rows *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "PTQ: out of memory");
        return -1;
    }
    int rc = check_request(req, r->specs, err, errlen);
    if (!rc) rc = compute_rows(rl, run_file, params, step, req, r, progress, ctx, err, errlen);
    if (!rc) rc = merge_rows(rl, run_file, req, r, err, errlen);
    free(r);
    return rc;
}
