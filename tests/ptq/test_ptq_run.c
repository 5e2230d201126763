/* PTQ of a trained tiny run, through ptq_run and through the `sweep ptq` command line
 * (cmd_ptq is compiled into this test, so it does not depend on sweep's dispatch table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../engine/fixture.h"
#include "checkpoint.h"
#include "config.h"
#include "fsutil.h"
#include "ptq/ptq.h"
#include "runlog.h"
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_ptq(int argc, char **argv);

static char dir[256], run_file[512];

/* A tiny model trained for 800 steps on the fixture corpus (as the engine tests do), one
 * thread: on this shared 2-core machine two threads of a model this small spend most of
 * their time waiting on each other. */
static int setup(void **state) {
    (void)state;
    train_set_threads(1);
    if (fixture_make_data(dir, sizeof dir)) return -1;
    train_config c;
    char err[512], arg[600];
    config_defaults(&c);
    const char *knobs[] = {"d_model=64",       "n_layer=2",      "n_head=2",      "ctx=32",
                           "batch=16",         "micro_batch=16", "tokens=409600", "eval_every=200",
                           "eval_tokens=8192", "threads=1",      "lr=0.02"};
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
        if (config_set_arg(&c, knobs[i], err, sizeof err)) return -1;
    /* PTQ_TEST_SEED=k trains the fixture from another initialisation: how the noise
     * bounds below were measured (a different CPU's kernels give a different model, much
     * as another seed does). */
    const char *seed = getenv("PTQ_TEST_SEED");
    snprintf(arg, sizeof arg, "seed=%s", seed ? seed : "0");
    if (config_set_arg(&c, arg, err, sizeof err)) return -1;
    snprintf(arg, sizeof arg, "data=%s", dir);
    if (config_set_arg(&c, arg, err, sizeof err)) return -1;
    snprintf(run_file, sizeof run_file, "%s/tiny.h5", dir);
    snprintf(arg, sizeof arg, "out=%s", run_file);
    if (config_set_arg(&c, arg, err, sizeof err)) return -1;
    train_hooks hooks = {0};
    train_result r;
    if (train_run(&c, &hooks, &r, err, sizeof err)) {
        fprintf(stderr, "train_run: %s\n", err);
        return -1;
    }
    return strcmp(r.status, "done") ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    fixture_remove_tree(dir);
    return 0;
}

static void load(runlog *rl) {
    char err[512];
    int rc = runlog_load(rl, run_file, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

static double delta_at(const table *t, double bits) {
    for (size_t i = 0; i < t->rows; i++)
        if (table_get(t, 1, i) == bits) return table_get(t, 4, i);
    fail_msg("%s: no row for %g bits", t->path, bits);
    return NAN;
}

static void run_ptq(ptq_method method, const char *granularity, int embed_head) {
    ptq_request req;
    ptq_request_default(&req);
    req.method = method;
    int bits[] = {3, 4, 6, 8};
    memcpy(req.bits, bits, sizeof bits);
    req.nbits = 4;
    req.calib = 64;
    req.threads = 1;
    req.embed_head = embed_head;
    snprintf(req.fmt.granularity, sizeof req.fmt.granularity, "%s", granularity);
    char err[1024];
    int rc = ptq_run(run_file, &req, NULL, NULL, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

typedef struct deltas {
    double d3, d4, d6, d8;
} deltas;

static deltas deltas_of(const runlog *rl, const char *name) {
    const table *t = runlog_find_table(rl, name);
    assert_non_null(t);
    assert_int_equal(t->rows, 4);
    deltas d = {delta_at(t, 3), delta_at(t, 4), delta_at(t, 6), delta_at(t, 8)};
    if (getenv("PTQ_TEST_VERBOSE"))
        fprintf(stderr, "%-22s delta 3:%+.5f 4:%+.5f 6:%+.5f 8:%+.5f\n", name, d.d3, d.d4, d.d6,
                d.d8);
    return d;
}

/* The rows of a table agree with the run: base_loss is the run's own final validation
 * loss bit for bit, delta = val_loss - base_loss, step = the final step. */
static void check_rows(const runlog *rl, const char *name, int64_t calib_tokens) {
    const table *t = runlog_find_table(rl, name);
    const attr *vl = attr_get(&rl->final, "val_loss");
    assert_non_null(vl);
    for (size_t i = 0; i < t->rows; i++) {
        assert_true(table_get(t, 3, i) == vl->r);
        assert_true(fabs(table_get(t, 2, i) - table_get(t, 3, i) - table_get(t, 4, i)) < 1e-12);
        assert_true(table_get(t, 0, i) == (double)attr_get(&rl->final, "steps")->i);
    }
    assert_int_equal(attr_get(&t->attrs, "calib_tokens")->i, calib_tokens);
}

/* The noise floor of delta_PTQ on this model. A quantization error dw changes the loss by
 * g.dw + dw'H dw / 2; the first term has either sign and shrinks like the step (2^-b), the
 * second like its square, so where the step is small the delta of a 64-wide model is a
 * coin toss of either sign. The trained model itself differs between machines (another
 * OpenBLAS kernel rounds the GEMMs differently, and 800 steps amplify that much as another
 * seed does), so an effect is asserted only where it stands above the floor on every
 * model measured: seeds 0-3 (PTQ_TEST_SEED) x OpenBLAS kernels default, Haswell,
 * SkylakeX, Zen and Sandybridge (OPENBLAS_CORETYPE) on an AMD EPYC, 20 models. There the
 * largest |delta| at 8 bits (any table below) or at 6 bits (per channel, or GPTQ per
 * tensor) was 0.0024; NOISE is 1.25 times that. */
#define NOISE 0.003

/* A lower bit width never costs less than a higher one by more than the noise. */
static void assert_not_reversed(const char *name, deltas d) {
    if (!(d.d3 > d.d4 - NOISE && d.d4 > d.d6 - NOISE && d.d6 > d.d8 - NOISE))
        fail_msg("%s: delta falls with the bits beyond the noise %g: 8:%g 6:%g 4:%g 3:%g", name,
                 NOISE, d.d8, d.d6, d.d4, d.d3);
}

/* delta_PTQ grows as the bits fall, where the steps stand above the noise, and stays
 * within it at 8 bits. One scale per tensor, embedding and LM head included, where the
 * effect is largest. Measured over the 20 models (see NOISE): GPTQ 3 bits 0.038-0.109,
 * 4 bits 0.0025-0.018, 6 bits -0.0019..+0.0024; RTN 3 bits 0.70-1.14, 4 bits 0.10-0.23,
 * 6 bits 0.0034-0.0099. So: 3 > 4 everywhere, 4 > 6 for RTN (GPTQ's 4 bits reach the floor
 * on one model), GPTQ below RTN at 3 and 4 bits, each by more than NOISE. */
static void test_delta_grows_as_bits_fall(void **state) {
    (void)state;
    run_ptq(PTQ_GPTQ, "tensor", 1);
    run_ptq(PTQ_RTN, "tensor", 1);
    runlog rl;
    load(&rl);
    const char *names[] = {"/ptq/gptq_int_tensor", "/ptq/rtn_int_tensor"};
    for (int k = 0; k < 2; k++) {
        deltas d = deltas_of(&rl, names[k]);
        assert_not_reversed(names[k], d);
        if (!(d.d3 > d.d4 + NOISE))
            fail_msg("%s: delta at 3 bits %g not above 4 bits' %g by %g", names[k], d.d3, d.d4,
                     NOISE);
        if (!(fabs(d.d8) < NOISE))
            fail_msg("%s: |delta| at 8 bits %g >= %g", names[k], d.d8, NOISE);
        check_rows(&rl, names[k], k == 0 ? 64 * 32 : 0);
    }
    deltas g = deltas_of(&rl, names[0]), r = deltas_of(&rl, names[1]);
    if (!(r.d4 > r.d6 + NOISE))
        fail_msg("RTN: delta at 4 bits %g not above 6 bits' %g by %g", r.d4, r.d6, NOISE);
    if (!(g.d3 < r.d3 - NOISE && g.d4 < r.d4 - NOISE))
        fail_msg("GPTQ deltas (3: %g, 4: %g) not below RTN's (%g, %g) by %g", g.d3, g.d4, r.d3,
                 r.d4, NOISE);
    runlog_free(&rl);
}

/* The paper's setting (INT, per channel, blocks only), measured over the 20 models: RTN
 * 3 bits 0.012-0.042, 4 bits -0.0003..+0.0067; GPTQ 3 bits 0.0010-0.026, 4 bits
 * -0.0025..+0.0036; 6 and 8 bits within +-0.0016. So 4 bits per channel sit at the floor
 * of a model this small; what stands above it: RTN's 3 bits above its 4 bits, GPTQ below
 * RTN at 3 bits (by 0.011 or more), and 6 and 8 bits within the noise. */
static void test_paper_setting(void **state) {
    (void)state;
    run_ptq(PTQ_GPTQ, "channel", 0);
    run_ptq(PTQ_RTN, "channel", 0);
    runlog rl;
    load(&rl);
    deltas g = deltas_of(&rl, "/ptq/gptq"), r = deltas_of(&rl, "/ptq/rtn");
    assert_not_reversed("/ptq/gptq", g);
    assert_not_reversed("/ptq/rtn", r);
    if (!(r.d3 > r.d4 + NOISE && r.d3 > 3 * NOISE))
        fail_msg("RTN deltas 3: %g, 4: %g (expected 3 > %g and 3 > 4 + %g)", r.d3, r.d4, 3 * NOISE,
                 NOISE);
    if (!(g.d3 < r.d3 - NOISE))
        fail_msg("GPTQ delta at 3 bits %g not below RTN's %g by %g", g.d3, r.d3, NOISE);
    const deltas *both[] = {&g, &r};
    for (int k = 0; k < 2; k++)
        if (!(fabs(both[k]->d6) < NOISE && fabs(both[k]->d8) < NOISE))
            fail_msg("delta at 6/8 bits beyond %g: %g, %g", NOISE, both[k]->d6, both[k]->d8);
    check_rows(&rl, "/ptq/gptq", 64 * 32);
    check_rows(&rl, "/ptq/rtn", 0);
    runlog_free(&rl);
}

static int cli(const char *a1, const char *a2, const char *a3, const char *a4) {
    char *argv[8] = {"ptq", run_file, "threads=1", "calib=64"};
    int argc = 4;
    const char *extra[] = {a1, a2, a3, a4};
    for (int i = 0; i < 4; i++)
        if (extra[i]) argv[argc++] = (char *)extra[i];
    return cmd_ptq(argc, argv);
}

static void assert_same_table(const table *a, const table *b) {
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->ncols, b->ncols);
    assert_int_equal(a->rows, b->rows);
    for (int c = 0; c < a->ncols; c++) assert_memory_equal(a->col[c], b->col[c], a->rows * 8);
    assert_int_equal(a->attrs.n, b->attrs.n);
    for (size_t i = 0; i < a->attrs.n; i++) {
        const attr *x = &a->attrs.items[i], *y = attr_get(&b->attrs, x->name);
        assert_non_null(y);
        assert_int_equal(x->type, y->type);
        if (x->type == ATTR_STR)
            assert_string_equal(x->s, y->s);
        else
            assert_memory_equal(x->type == ATTR_INT ? (void *)&x->i : (void *)&x->r,
                                y->type == ATTR_INT ? (void *)&y->i : (void *)&y->r, 8);
    }
}

static void assert_same_attrs(const attr_set *a, const attr_set *b) {
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const attr *x = &a->items[i], *y = attr_get(b, x->name);
        assert_non_null(y);
        assert_int_equal(x->type, y->type);
        if (x->type == ATTR_STR)
            assert_string_equal(x->s, y->s);
        else if (x->type == ATTR_INT)
            assert_true(x->i == y->i);
        else
            assert_memory_equal(&x->r, &y->r, 8);
    }
}

/* `sweep ptq` twice: the same rows; /train, /eval, /final as training left them; a new
 * bit width adds rows without touching the others. */
static void test_cli_idempotent(void **state) {
    (void)state;
    runlog before, once, twice;
    load(&before);
    assert_int_equal(cli("method=gptq", "bits=4,5", "granularity=group", "group=32"), 0);
    load(&once);
    assert_int_equal(cli("method=gptq", "bits=4,5", "granularity=group", "group=32"), 0);
    load(&twice);
    const char *tname = "/ptq/gptq_int_g32";
    assert_int_equal(runlog_find_table(&once, tname)->rows, 2);
    assert_same_table(runlog_find_table(&once, tname), runlog_find_table(&twice, tname));
    const char *fixed[] = {"/train", "/eval", "/ptq/gptq", "/ptq/rtn"};
    for (int i = 0; i < 4; i++)
        assert_same_table(runlog_find_table(&before, fixed[i]),
                          runlog_find_table(&twice, fixed[i]));
    assert_same_attrs(&before.final, &twice.final);
    assert_same_attrs(&before.config, &twice.config);
    assert_same_attrs(&before.root, &twice.root);

    assert_int_equal(cli("method=gptq", "bits=6", "granularity=group", "group=32"), 0);
    runlog third;
    load(&third);
    const table *t = runlog_find_table(&third, tname);
    assert_int_equal(t->rows, 3);
    assert_true(table_get(t, 1, 0) == 4 && table_get(t, 1, 1) == 5 && table_get(t, 1, 2) == 6);
    for (size_t i = 0; i < 2; i++)
        for (int c = 0; c < t->ncols; c++)
            assert_true(table_get(t, c, i) == table_get(runlog_find_table(&once, tname), c, i));
    runlog_free(&before);
    runlog_free(&once);
    runlog_free(&twice);
    runlog_free(&third);
}

static int has_bits(const runlog *rl, const char *path, double bits);

/* The run knobs' names (ptq, ptq_bits, ptq_gran=group:N, ...) make the same request as
 * the old spellings: the rows test_cli_idempotent wrote come out bit for bit again, and
 * ptq=rtn,gptq writes both tables in one call. */
static void test_cli_knob_names(void **state) {
    (void)state;
    runlog before, after;
    load(&before);
    assert_int_equal(cli("ptq=gptq", "ptq_bits=4,5,6", "ptq_gran=group:32", NULL), 0);
    load(&after);
    const char *tname = "/ptq/gptq_int_g32";
    assert_same_table(runlog_find_table(&before, tname), runlog_find_table(&after, tname));
    runlog_free(&after);
    assert_int_equal(cli("ptq=rtn,gptq", "ptq_bits=7", "ptq_gran=group:8", NULL), 0);
    load(&after);
    assert_true(has_bits(&after, "/ptq/rtn_int_g8", 7) && has_bits(&after, "/ptq/gptq_int_g8", 7));
    assert_same_table(runlog_find_table(&before, tname), runlog_find_table(&after, tname));
    runlog_free(&before);
    runlog_free(&after);
    /* usage errors (2) and a request the engine cannot do (1), before the file is opened */
    assert_int_equal(cli("ptq_gran=group:0", NULL, NULL, NULL), 2);
    assert_int_equal(cli("ptq_gran=group:x", NULL, NULL, NULL), 2);
    assert_int_equal(cli("ptq=awq", NULL, NULL, NULL), 2);
    assert_int_equal(cli("ptq=", NULL, NULL, NULL), 2);
    assert_int_equal(cli("ptq_bits=0", NULL, NULL, NULL), 2);
    assert_int_equal(cli("ptq_format=nvfp4", "ptq_bits=4", NULL, NULL), 1);
    assert_int_equal(cli("ptq=rtn", "ptq_format=nvfp4", "ptq_bits=4", "checkpoint=/nonexistent"),
                     1);
}

static int has_bits(const runlog *rl, const char *path, double bits) {
    const table *t = runlog_find_table(rl, path);
    for (size_t i = 0; t && i < t->rows; i++)
        if (table_get(t, 1, i) == bits) return 1;
    return 0;
}

/* While another writer holds the run's lock, `sweep ptq` refuses (exit 3) and leaves the
 * file alone; once it is released the same request goes through. */
static void test_cli_refuses_while_locked(void **state) {
    (void)state;
    char err[512];
    runlog before, after;
    load(&before);
    int lock = run_file_lock(run_file, err, sizeof err);
    assert_true(lock >= 0);
    assert_int_equal(cli("method=rtn", "bits=7", NULL, NULL), 3);
    load(&after);
    assert_false(has_bits(&after, "/ptq/rtn", 7));
    assert_same_attrs(&before.final, &after.final);
    close(lock);
    assert_int_equal(cli("method=rtn", "bits=7", NULL, NULL), 0);
    runlog again;
    load(&again);
    assert_true(has_bits(&again, "/ptq/rtn", 7));
    runlog_free(&before);
    runlog_free(&after);
    runlog_free(&again);
}

/* Other settings for the same table are refused unless replace=1 drops the old rows. */
static void test_settings_mismatch(void **state) {
    (void)state;
    assert_int_equal(cli("method=gptq", "bits=4", "calib=8", NULL), 1);
    assert_int_equal(cli("method=gptq", "bits=4", "calib=8", "replace=1"), 0);
    runlog rl;
    load(&rl);
    const table *t = runlog_find_table(&rl, "/ptq/gptq");
    assert_int_equal(t->rows, 1);
    assert_int_equal(attr_get(&t->attrs, "calib_tokens")->i, 8 * 32);
    runlog_free(&rl);
}

/* Command-line and file errors exit non-zero without touching the file. */
static void test_errors(void **state) {
    (void)state;
    char *help[] = {"ptq", "--help"};
    assert_int_equal(cmd_ptq(2, help), 0);
    assert_int_equal(cli("bits=3,x", NULL, NULL, NULL), 2);
    assert_int_equal(cli("method=awq", NULL, NULL, NULL), 2);
    assert_int_equal(cli("granularity=block", NULL, NULL, NULL), 2);
    assert_int_equal(cli("colour=blue", NULL, NULL, NULL), 2);
    assert_int_equal(cli("format=nvfp4", "bits=4", NULL, NULL), 1); /* GPTQ cannot */
    assert_int_equal(cli("format=mx", "bits=5", "method=rtn", NULL), 1);
    assert_int_equal(cli("checkpoint=/nonexistent/x.ckpt", NULL, NULL, NULL), 1);
    char *none[] = {"ptq", "/nonexistent/run.h5", "bits=4"};
    assert_int_equal(cmd_ptq(3, none), 1);

    ptq_request req;
    ptq_request_default(&req);
    char err[1024];
    assert_int_equal(ptq_run("/nonexistent/run.h5", &req, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/run.h5"));
    req.checkpoint = "/nonexistent/x.ckpt";
    assert_int_equal(ptq_run(run_file, &req, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.ckpt"));

    /* A run whose data directory is gone: the message names the token file and the run. */
    runlog rl;
    load(&rl);
    attr_set_str(&rl.config, "data", "/nonexistent/data");
    char moved[600], ckpt[600];
    snprintf(moved, sizeof moved, "%s/moved.h5", dir);
    assert_int_equal(runlog_save(&rl, moved, err, sizeof err), 0);
    runlog_free(&rl);
    train_checkpoint_path(run_file, ckpt, sizeof ckpt);
    req.checkpoint = ckpt;
    assert_int_equal(ptq_run(moved, &req, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/data/train.tok"));
    assert_non_null(strstr(err, moved));
}

/* RTN of FP and MX formats, and the embedding/head option, end to end. */
static void test_formats_end_to_end(void **state) {
    (void)state;
    assert_int_equal(cli("method=rtn", "format=mx", "bits=4,8", NULL), 0);
    assert_int_equal(cli("method=rtn", "format=fp", "bits=3,8", NULL), 0);
    assert_int_equal(cli("method=gptq", "format=fp", "bits=4", "embed_head=1"), 0);
    assert_int_equal(cli("method=gptq", "format=fp", "bits=4", "sequential=0"), 1); /* settings */
    runlog rl;
    load(&rl);
    const table *mx = runlog_find_table(&rl, "/ptq/rtn_mx"),
                *fp = runlog_find_table(&rl, "/ptq/rtn_fp");
    assert_non_null(mx);
    assert_non_null(fp);
    assert_string_equal(attr_get(&mx->attrs, "granularity")->s, "block");
    assert_int_equal(attr_get(&mx->attrs, "group_size")->i, 32);
    /* Over the 20 models of NOISE: mxfp4 0.0024-0.011, 8 bits within +-0.0016; FP per
     * channel at 3 bits (E1M1) 0.0071-0.032, 3 bits above 8 bits by 0.0065 or more (at 4
     * bits, E2M1, it sits at the floor: -0.0006..+0.0066). */
    double mx4 = delta_at(mx, 4), mx8 = delta_at(mx, 8), fp3 = delta_at(fp, 3),
           fp8 = delta_at(fp, 8);
    if (getenv("PTQ_TEST_VERBOSE"))
        fprintf(stderr, "formats delta mx 4:%+.5f 8:%+.5f fp 3:%+.5f 8:%+.5f\n", mx4, mx8, fp3,
                fp8);
    if (!(fabs(mx8) < NOISE && fabs(fp8) < NOISE))
        fail_msg("|delta| at 8 bits beyond %g: mx %g, fp %g", NOISE, mx8, fp8);
    if (!(mx4 > mx8 - NOISE && mx4 < 0.05))
        fail_msg("mxfp4 delta %g (8 bits %g): expected within [8 bits - %g, 0.05]", mx4, mx8,
                 NOISE);
    if (!(fp3 > fp8 + NOISE))
        fail_msg("FP delta at 3 bits %g not above 8 bits' %g by %g", fp3, fp8, NOISE);
    assert_int_equal(attr_get(&runlog_find_table(&rl, "/ptq/gptq_fp")->attrs, "embed_head")->i, 1);
    runlog_free(&rl);
}

/* In memory (what the training loop calls on intermediate weights): rows go to the log it
 * is given, keyed by the step it is told, and the file on disk is not touched. */
static void test_run_log_in_memory(void **state) {
    (void)state;
    runlog rl, disk;
    load(&rl);
    ckpt_state st;
    char err[1024], ckpt[600];
    train_checkpoint_path(run_file, ckpt, sizeof ckpt);
    assert_int_equal(checkpoint_peek(ckpt, &st, err, sizeof err), 0);
    float *params = malloc(st.n_params * sizeof *params);
    assert_int_equal(checkpoint_load(ckpt, &st, st.n_params, params, NULL, NULL, err, sizeof err),
                     0);
    ptq_request req;
    ptq_request_default(&req);
    req.method = PTQ_RTN;
    req.bits[0] = 4;
    req.nbits = 1;
    req.threads = 1;
    snprintf(req.fmt.granularity, sizeof req.fmt.granularity, "group");
    req.fmt.group = 16;
    int rc = ptq_run_log(&rl, run_file, params, 7, &req, NULL, NULL, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    const table *t = runlog_find_table(&rl, "/ptq/rtn_int_g16");
    assert_non_null(t);
    assert_int_equal(t->rows, 1);
    assert_true(table_get(t, 0, 0) == 7);
    assert_true(table_get(t, 3, 0) == attr_get(&rl.final, "val_loss")->r);
    load(&disk);
    assert_null(runlog_find_table(&disk, "/ptq/rtn_int_g16"));
    runlog_free(&disk);
    runlog_free(&rl);
    free(params);
}

/* A run trained with INT4 weights and INT8 activations is post-quantized as deployed:
 * from its INT4 weights, activations still quantized. Its base loss is its /final
 * val_loss; PTQ to its own format (INT4 per channel) changes nothing, so delta is 0 (the
 * paper's delta = 0 at P_post = P_w). 3 bits cost -0.0024..+0.0071 nats over the models
 * of NOISE, little next to the 0.012-0.042 (RTN) of the FP32 test model above (trained 4x
 * longer): the "robustification" of Kumar et al. Fig. 7. Bounds: |d8| < NOISE,
 * |d3| < 0.02. */
static void test_quantized_training_run(void **state) {
    (void)state;
    train_config c;
    char err[1024], arg[700], qrun[600];
    config_defaults(&c);
    const char *knobs[] = {"d_model=64",       "n_layer=2",      "n_head=2",      "ctx=32",
                           "batch=16",         "micro_batch=16", "tokens=102400", "eval_every=100",
                           "eval_tokens=4096", "threads=1",      "lr=0.02",       "w_quant=int4",
                           "a_quant=int8"};
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
        assert_int_equal(config_set_arg(&c, knobs[i], err, sizeof err), 0);
    snprintf(arg, sizeof arg, "data=%s", dir);
    assert_int_equal(config_set_arg(&c, arg, err, sizeof err), 0);
    snprintf(qrun, sizeof qrun, "%s/qat.h5", dir);
    snprintf(arg, sizeof arg, "out=%s", qrun);
    assert_int_equal(config_set_arg(&c, arg, err, sizeof err), 0);
    train_hooks hooks = {0};
    train_result r;
    int rc = train_run(&c, &hooks, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train_run: %s\n", err);
    assert_int_equal(rc, 0);
    for (int k = 0; k < 2; k++) {
        ptq_request req;
        ptq_request_default(&req);
        req.method = k ? PTQ_RTN : PTQ_GPTQ;
        int bits[] = {3, 4, 8};
        memcpy(req.bits, bits, sizeof bits);
        req.nbits = 3;
        req.calib = 32;
        req.threads = 1;
        rc = ptq_run(qrun, &req, NULL, NULL, err, sizeof err);
        if (rc) fprintf(stderr, "%s\n", err);
        assert_int_equal(rc, 0);
    }
    runlog rl;
    assert_int_equal(runlog_load(&rl, qrun, err, sizeof err), 0);
    /* the training's own tables survive the PTQ requests' rewrites of the file */
    const table *quant = runlog_find_table(&rl, "/quant");
    assert_non_null(quant);
    assert_true(quant->rows > 0);
    const char *names[] = {"/ptq/gptq", "/ptq/rtn"};
    for (int k = 0; k < 2; k++) {
        const table *t = runlog_find_table(&rl, names[k]);
        assert_non_null(t);
        for (size_t i = 0; i < t->rows; i++)
            assert_true(table_get(t, 3, i) == attr_get(&rl.final, "val_loss")->r);
        double d3 = delta_at(t, 3), d4 = delta_at(t, 4), d8 = delta_at(t, 8);
        if (getenv("PTQ_TEST_VERBOSE"))
            fprintf(stderr, "QAT %s delta 3:%+.5f 4:%+.5f 8:%+.5f\n", names[k], d3, d4, d8);
        /* RTN to the training format reproduces the training's weights bit for bit; GPTQ
         * did on 19 of the 20 models of NOISE and moved the loss by 6.4e-8 on the other
         * (seed 0, Sandybridge kernels), float rounding far below any quantization effect. */
        if (!(k ? d4 == 0.0 : fabs(d4) < 1e-6))
            fail_msg("%s: delta at the training format int4 is %g, expected %s", names[k], d4,
                     k ? "0" : "|d| < 1e-6");
        /* measured: 3 bits -0.0024..+0.0071, 8 bits within +-0.0002 */
        if (!(fabs(d8) < NOISE && fabs(d3) < 0.02))
            fail_msg("%s: delta at 8 bits %g (expected |d| < %g), at 3 bits %g (< 0.02)", names[k],
                     d8, NOISE, d3);
    }
    runlog_free(&rl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta_grows_as_bits_fall),
        cmocka_unit_test(test_paper_setting),
        cmocka_unit_test(test_cli_idempotent),
        cmocka_unit_test(test_cli_refuses_while_locked),
        cmocka_unit_test(test_settings_mismatch),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_formats_end_to_end),
        cmocka_unit_test(test_run_log_in_memory),
        cmocka_unit_test(test_quantized_training_run),
        /* last: it adds rows the tests above check are absent */
        cmocka_unit_test(test_cli_knob_names),

    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
