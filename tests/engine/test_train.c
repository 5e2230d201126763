/* Training loop: initial loss, overfitting, determinism, checkpoint resume,
 * divergence, knob errors, run-file round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "fixture.h"
#include "fsutil.h"
#include "model_f32.h"
#include "optimizer.h"
#include "run_config.h"
#include "runlog.h"
#include "tokfile.h"
#include "train.h"

static char data_dir[256];

static int setup(void **state) {
    (void)state;
    train_set_threads(2);
    return fixture_make_data(data_dir, sizeof data_dir);
}
static int teardown(void **state) {
    (void)state;
    fixture_remove_tree(data_dir);
    return 0;
}

/* A tiny run: 40 steps of 8 sequences of 32 tokens, accumulated over 2 micro-batches. */
static void tiny_config(train_config *c, const char *out) {
    char err[256], arg[600];
    config_defaults(c);
    const char *knobs[] = {"d_model=32",       "n_layer=2",     "n_head=2",     "ctx=32",
                           "batch=8",          "micro_batch=4", "tokens=10240", "eval_every=10",
                           "eval_tokens=2048", "threads=2",     "lr=0.01"};
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
        assert_int_equal(config_set_arg(c, knobs[i], err, sizeof err), 0);
    snprintf(arg, sizeof arg, "data=%s", data_dir);
    assert_int_equal(config_set_arg(c, arg, err, sizeof err), 0);
    snprintf(arg, sizeof arg, "out=%s/%s", data_dir, out);
    assert_int_equal(config_set_arg(c, arg, err, sizeof err), 0);
}

static void load_log(const char *path, runlog *rl) {
    char err[512];
    int rc = runlog_load(rl, path, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

static void test_initial_loss(void **state) {
    (void)state;
    tokfile tf;
    char err[256], path[300];
    snprintf(path, sizeof path, "%s/train.tok", data_dir);
    assert_int_equal(tokfile_open(path, &tf, err, sizeof err), 0);
    model_shape s = {(int)tf.vocab, 64, 2, 4, 64, model_default_ffn_hidden(64), 0};
    model m;
    assert_int_equal(model_create_f32(&m, &s, 4, err, sizeof err), 0);
    init_params(m.params, &s, &m.layout, 0.02, 1);
    double loss = model_forward_f32(&m, tf.tokens, tf.tokens + 1, 1);
    /* consecutive windows of the stream as 4 sequences */
    double mean = loss / 64;
    assert_true(fabs(mean - log((double)tf.vocab)) < 0.05);
    model_destroy_f32(&m);
    tokfile_close(&tf);
}

/* 16 tokens memorised by a small model: the loss must approach zero. */
static void test_overfit_tiny_batch(void **state) {
    (void)state;
    model_shape s = {40, 32, 2, 2, 16, 64, 0};
    model m;
    char err[256];
    assert_int_equal(model_create_f32(&m, &s, 2, err, sizeof err), 0);
    init_params(m.params, &s, &m.layout, 0.02, 7);
    uint16_t in[32], tg[32];
    for (int i = 0; i < 32; i++)
        in[i] = (uint16_t)((i * 13 + 5) % 40), tg[i] = (uint16_t)((i * 7 + 3) % 40);
    float *mo = calloc(m.layout.total, sizeof(float)), *vo = calloc(m.layout.total, sizeof(float));
    adamw_hparams hp = {3e-3, 0.9, 0.95, 1e-8, 0.0};
    double loss = 0;
    for (int step = 1; step <= 300; step++) {
        memset(m.grads, 0, m.layout.total * sizeof(float));
        loss = model_forward_f32(&m, in, tg, 2) / 32;
        model_backward_f32(&m, in, tg, 2, 1.0f / 32);
        adamw_step(m.params, m.grads, mo, vo, &m.layout, &hp, step, 1.0f);
    }
    assert_true(loss < 0.05);
    free(mo), free(vo);
    model_destroy_f32(&m);
}

/* Two AdamW steps on three parameters (two in a decayed matrix, one gain), against
 * the update written out in double precision. */
static void test_adamw_by_hand(void **state) {
    (void)state;
    param_layout l;
    memset(&l, 0, sizeof l);
    l.size[PT_LN1] = 1, l.size[PT_WQKV] = 2;
    l.offset[PT_WQKV] = 1;
    for (int k = PT_WO; k < PT_COUNT; k++) l.offset[k] = 3;
    l.total = 3;
    float p[3] = {0.5f, 1.0f, -2.0f}, m[3] = {0}, v[3] = {0};
    const float g1[3] = {2.0f, 0.1f, -0.3f}, g2[3] = {-1.0f, 0.2f, 0.4f};
    adamw_hparams h = {0.1, 0.9, 0.999, 1e-8, 0.1};
    double ref[3] = {0.5, 1.0, -2.0}, rm[3] = {0}, rv[3] = {0};
    const float *gs[2] = {g1, g2};
    for (int t = 1; t <= 2; t++) {
        adamw_step(p, gs[t - 1], m, v, &l, &h, t, 0.5f);
        for (int i = 0; i < 3; i++) {
            double g = 0.5 * gs[t - 1][i];
            rm[i] = 0.9 * rm[i] + 0.1 * g;
            rv[i] = 0.999 * rv[i] + 0.001 * g * g;
            double mh = rm[i] / (1 - pow(0.9, t)), vh = rv[i] / (1 - pow(0.999, t));
            double decay = i == 0 ? 1.0 : 1.0 - 0.1 * 0.1; /* index 0 is the gain */
            ref[i] = ref[i] * decay - 0.1 * mh / (sqrt(vh) + 1e-8);
        }
    }
    /* The gain by hand: step 1 moves it by lr sign(g) to 0.4, then m = 0.04, v = 0.001249. */
    for (int i = 0; i < 3; i++) assert_true(fabs(p[i] - ref[i]) < 2e-7 * fabs(ref[i]) + 1e-7);
    assert_true(fabs(ref[0] - (0.4 - 0.1 * (0.04 / 0.19) / sqrt(0.001249 / 0.001999))) < 1e-8);
}

static void test_schedules(void **state) {
    (void)state;
    train_config c;
    config_defaults(&c);
    c.lr = 1.0, c.lr_min_frac = 0.1, c.warmup_frac = 0.1;
    assert_true(fabs(lr_at_step(&c, 5, 100) - 0.5) < 1e-12);
    assert_true(fabs(lr_at_step(&c, 10, 100) - 1.0) < 1e-12);
    assert_true(fabs(lr_at_step(&c, 100, 100) - 0.1) < 1e-12);
    assert_true(fabs(lr_at_step(&c, 55, 100) - 0.55) < 1e-12); /* cosine midpoint */
    strcpy(c.schedule, "wsd");
    c.decay_frac = 0.2;
    assert_true(fabs(lr_at_step(&c, 80, 100) - 1.0) < 1e-12);
    assert_true(fabs(lr_at_step(&c, 90, 100) - 0.55) < 1e-12);
    assert_true(fabs(lr_at_step(&c, 100, 100) - 0.1) < 1e-12);
    strcpy(c.schedule, "constant");
    assert_true(fabs(lr_at_step(&c, 100, 100) - 1.0) < 1e-12);
}

static void run_ok(train_config *c, train_result *r, int64_t abort_after) {
    char err[512];
    train_hooks hooks = {0};
    hooks.abort_after_steps = abort_after;
    int rc = train_run(c, &hooks, r, err, sizeof err);
    if (rc) fprintf(stderr, "train_run: %s\n", err);
    assert_int_equal(rc, 0);
}

static void assert_same_series(const runlog *a, const runlog *b, const char *path) {
    const table *ta = runlog_find_table(a, path), *tb = runlog_find_table(b, path);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_int_equal(ta->rows, tb->rows);
    for (size_t i = 0; i < ta->rows; i++) {
        assert_true(table_get(ta, 0, i) == table_get(tb, 0, i));
        if (i) assert_true(table_get(ta, 0, i) > table_get(ta, 0, i - 1)); /* no duplicate steps */
        int loss_col = 2;                                                  /* step, tokens, loss */
        assert_memory_equal(&((double *)ta->col[loss_col])[i], &((double *)tb->col[loss_col])[i],
                            sizeof(double));
    }
}

static void test_loss_falls_and_determinism(void **state) {
    (void)state;
    train_config c1, c2;
    tiny_config(&c1, "det1.h5");
    tiny_config(&c2, "det2.h5");
    train_result r1, r2;
    run_ok(&c1, &r1, 0);
    run_ok(&c2, &r2, 0);
    assert_string_equal(r1.status, "done");
    assert_int_equal(r1.steps, 40);
    runlog a, b;
    load_log(r1.run_file, &a);
    load_log(r2.run_file, &b);
    assert_same_series(&a, &b, "/train");
    assert_same_series(&a, &b, "/eval");
    assert_memory_equal(&r1.val_loss, &r2.val_loss, sizeof(double));
    const table *tr = runlog_find_table(&a, "/train");
    double first = table_get(tr, 2, 0), last = table_get(tr, 2, tr->rows - 1);
    assert_true(last < first - 1.0); /* the loss falls by more than a nat in 40 steps */
    const attr *st = attr_get(&a.final, "status");
    assert_non_null(st);
    assert_string_equal(st->s, "done");
    /* Running it again finds it done and does nothing. */
    train_result r3;
    run_ok(&c1, &r3, 0);
    assert_string_equal(r3.status, "skipped");
    runlog_free(&a), runlog_free(&b);
}

/* Killed after 25 steps (last checkpoint at step 20), then started again: the
 * whole log and the final loss equal those of a run that never stopped. */
static void test_resume_is_bit_identical(void **state) {
    (void)state;
    train_config full, cut;
    tiny_config(&full, "full.h5");
    tiny_config(&cut, "cut.h5");
    train_result rf, rc1, rc2;
    run_ok(&full, &rf, 0);
    run_ok(&cut, &rc1, 25);
    assert_string_equal(rc1.status, "aborted");
    runlog partial;
    load_log(rc1.run_file, &partial);
    assert_false(partial.has_final);
    runlog_free(&partial);
    run_ok(&cut, &rc2, 0);
    assert_string_equal(rc2.status, "done");
    assert_int_equal(rc2.resumed_from, 20);
    runlog a, b;
    load_log(rf.run_file, &a);
    load_log(rc2.run_file, &b);
    assert_same_series(&a, &b, "/train");
    assert_same_series(&a, &b, "/eval");
    assert_memory_equal(&rf.val_loss, &rc2.val_loss, sizeof(double));
    runlog_free(&a), runlog_free(&b);
}

/* Killed right after the final checkpoint: the resumed run has nothing left to train,
 * so the file must already hold every training row (and one /quant row per evaluation,
 * not two at the end). */
static void test_resume_after_final_checkpoint(void **state) {
    (void)state;
    train_config full, cut;
    char err[256];
    tiny_config(&full, "endfull.h5");
    tiny_config(&cut, "endcut.h5");
    assert_int_equal(config_set_arg(&full, "w_quant=int4", err, sizeof err), 0);
    assert_int_equal(config_set_arg(&cut, "w_quant=int4", err, sizeof err), 0);
    train_result rf, rc1, rc2;
    run_ok(&full, &rf, 0);
    train_hooks hooks = {0};
    hooks.abort_after_final_checkpoint = 1;
    assert_int_equal(train_run(&cut, &hooks, &rc1, err, sizeof err), 0);
    assert_string_equal(rc1.status, "aborted");
    run_ok(&cut, &rc2, 0);
    assert_string_equal(rc2.status, "done");
    assert_int_equal(rc2.resumed_from, rf.steps);
    runlog a, b;
    load_log(rf.run_file, &a);
    load_log(rc2.run_file, &b);
    assert_same_series(&a, &b, "/train");
    assert_same_series(&a, &b, "/eval");
    assert_same_series(&a, &b, "/quant");
    assert_memory_equal(&rf.val_loss, &rc2.val_loss, sizeof(double));
    assert_memory_equal(&rf.train_loss, &rc2.train_loss, sizeof(double));
    runlog_free(&a), runlog_free(&b);
}

/* proj_norm=1 (norms before Wo and W2) with activation quantization after them: the loss
 * falls, N counts the two gains per block, PTQ (RTN and GPTQ, calibrated through the norms)
 * runs at the end, and a run killed after 25 steps resumes bit-identically. */
static void test_proj_norm_trains_and_resumes(void **state) {
    (void)state;
    train_config full, cut;
    char err[512];
    const char *knobs[] = {"proj_norm=1", "a_quant=int8", "ptq=rtn,gptq", "ptq_bits=4",
                           "ptq_calib=8"};
    tiny_config(&full, "pnfull.h5");
    tiny_config(&cut, "pncut.h5");
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) {
        assert_int_equal(config_set_arg(&full, knobs[i], err, sizeof err), 0);
        assert_int_equal(config_set_arg(&cut, knobs[i], err, sizeof err), 0);
    }
    train_result rf, rc1, rc2;
    run_ok(&full, &rf, 0);
    assert_string_equal(rf.status, "done");
    assert_non_null(strstr(rf.config.name, "-pn_"));
    run_ok(&cut, &rc1, 25);
    assert_string_equal(rc1.status, "aborted");
    run_ok(&cut, &rc2, 0);
    assert_string_equal(rc2.status, "done");
    assert_int_equal(rc2.resumed_from, 20);
    runlog a, b;
    load_log(rf.run_file, &a);
    load_log(rc2.run_file, &b);
    assert_same_series(&a, &b, "/train");
    assert_same_series(&a, &b, "/eval");
    assert_memory_equal(&rf.val_loss, &rc2.val_loss, sizeof(double));
    const table *tr = runlog_find_table(&a, "/train");
    assert_true(table_get(tr, 2, tr->rows - 1) < table_get(tr, 2, 0) - 1.0);
    assert_non_null(runlog_find_table(&a, "/ptq/rtn"));
    assert_non_null(runlog_find_table(&a, "/ptq/gptq"));
    assert_int_equal(attr_get(&a.config, "proj_norm")->i, 1);
    /* N: the knob-off model's plus one gain of d_model and one of ffn_hidden per block */
    train_config off = rf.config;
    off.proj_norm = 0;
    model_shape s = config_model_shape(&off);
    assert_int_equal(attr_get(&a.config, "N")->i,
                     model_params_nonembedding(&s) + s.n_layer * (s.d_model + s.ffn_hidden));
    runlog_free(&a), runlog_free(&b);
}

/* A second writer of the same run file is refused before it reads or writes anything. */
static void test_run_file_lock(void **state) {
    (void)state;
    train_config c;
    char err[512];
    tiny_config(&c, "locked.h5");
    int lock = run_file_lock(c.out, err, sizeof err);
    assert_true(lock >= 0);
    train_hooks hooks = {0};
    train_result r;
    assert_int_equal(train_run(&c, &hooks, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "being written by another process"));
    struct stat sb;
    assert_int_not_equal(stat(c.out, &sb), 0); /* nothing written */
    close(lock);
    run_ok(&c, &r, 0);
    assert_string_equal(r.status, "done");
}

/* The final PTQ fails after the final evaluation was logged (GPTQ cannot round onto
 * NVFP4): the run file says "failed"; run again with a PTQ that works, it holds one final
 * /eval row, as a run that never failed. */
static void test_resume_after_failed_final_ptq(void **state) {
    (void)state;
    train_config ref, c;
    char err[512];
    tiny_config(&ref, "ptqref.h5");
    tiny_config(&c, "ptqfail.h5");
    train_result rr, r1, r2;
    run_ok(&ref, &rr, 0);
    const char *bad[] = {"ptq=gptq", "ptq_format=nvfp4", "ptq_bits=4", "ptq_calib=4"};
    for (int i = 0; i < 4; i++) assert_int_equal(config_set_arg(&c, bad[i], err, sizeof err), 0);
    train_hooks hooks = {0};
    assert_int_equal(train_run(&c, &hooks, &r1, err, sizeof err), -1);
    assert_int_equal(config_set_arg(&c, "ptq_format=int", err, sizeof err), 0);
    run_ok(&c, &r2, 0);
    assert_string_equal(r2.status, "done");
    runlog a, b;
    load_log(rr.run_file, &a);
    load_log(r2.run_file, &b);
    assert_same_series(&a, &b, "/train");
    assert_same_series(&a, &b, "/eval");
    assert_non_null(runlog_find_table(&b, "/ptq/gptq"));
    runlog_free(&a), runlog_free(&b);
}

static void test_divergence_is_recorded(void **state) {
    (void)state;
    train_config c;
    tiny_config(&c, "diverge.h5");
    char err[256];
    assert_int_equal(config_set_arg(&c, "lr=10", err, sizeof err), 0);
    assert_int_equal(config_set_arg(&c, "clip=0", err, sizeof err), 0);
    assert_int_equal(config_set_arg(&c, "warmup_frac=0", err, sizeof err), 0);
    train_result r;
    run_ok(&c, &r, 0);
    assert_string_equal(r.status, "diverged");
    runlog a;
    load_log(r.run_file, &a);
    assert_string_equal(attr_get(&a.final, "status")->s, "diverged");
    assert_non_null(attr_get(&a.final, "diverged_step"));
    runlog_free(&a);
}

static void test_knob_errors(void **state) {
    (void)state;
    size_t nk;
    const knob_def *k = knob_table(&nk);
    for (size_t i = 1; i < nk; i++) /* the canonical JSON relies on the table order */
        assert_true(strcmp(k[i - 1].name, k[i].name) < 0);
    train_config c;
    config_defaults(&c);
    char err[256];
    assert_int_equal(config_set_arg(&c, "d_modle=64", err, sizeof err), -1);
    assert_non_null(strstr(err, "did you mean 'd_model'"));
    assert_int_equal(config_set_arg(&c, "n_layer=2.5", err, sizeof err), -1);
    assert_non_null(strstr(err, "n_layer"));
    assert_int_equal(config_set_arg(&c, "lr=-1", err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(config_set_arg(&c, "schedule=linear", err, sizeof err), -1);
    assert_non_null(strstr(err, "cosine|wsd|constant"));
    assert_int_equal(config_set_arg(&c, "novalue", err, sizeof err), -1);
    assert_non_null(strstr(err, "KEY=VALUE"));
    /* a knob added later is out of the identity at its default, in it otherwise */
    char json[8192];
    uint64_t id0 = config_run_id(&c);
    assert_true(config_canonical_json(&c, json, sizeof json) > 0);
    assert_null(strstr(json, "g_quant"));
    assert_int_equal(config_set_arg(&c, "g_quant=int8", err, sizeof err), 0);
    assert_true(config_canonical_json(&c, json, sizeof json) > 0);
    assert_non_null(strstr(json, "\"g_quant\":\"int8\""));
    assert_true(config_run_id(&c) != id0);
    /* proj_norm likewise; the CUDA backend does not implement it and says so */
    config_defaults(&c);
    id0 = config_run_id(&c);
    assert_true(config_canonical_json(&c, json, sizeof json) > 0);
    assert_null(strstr(json, "proj_norm"));
    assert_int_equal(config_set_arg(&c, "proj_norm=2", err, sizeof err), -1);
    assert_int_equal(config_set_arg(&c, "proj_norm=1", err, sizeof err), 0);
    assert_true(config_canonical_json(&c, json, sizeof json) > 0);
    assert_non_null(strstr(json, "\"proj_norm\":1"));
    assert_true(config_run_id(&c) != id0);
    assert_int_equal(config_set_arg(&c, "device=cuda", err, sizeof err), 0);
    assert_int_equal(run_config_resolve(&c, 384, err, sizeof err), -1);
    assert_non_null(strstr(err, "proj_norm=1"));
    assert_non_null(strstr(err, "device=cuda"));
    assert_int_equal(config_set_arg(&c, "n_head=3", err, sizeof err), 0);
    assert_int_equal(config_resolve(&c, 384, err, sizeof err), -1);
    assert_non_null(strstr(err, "n_head=3"));
}

/* A run file of another configuration at the same path is never overwritten. */
static void test_foreign_run_file_is_kept(void **state) {
    (void)state;
    train_config a, b;
    tiny_config(&a, "shared.h5");
    tiny_config(&b, "shared.h5");
    char err[512];
    assert_int_equal(config_set_arg(&b, "seed=5", err, sizeof err), 0);
    train_result r;
    run_ok(&a, &r, 0);
    train_hooks hooks = {0};
    assert_int_equal(train_run(&b, &hooks, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "different configuration"));
    runlog l;
    load_log(r.run_file, &l);
    assert_string_equal(attr_get(&l.final, "status")->s, "done");
    runlog_free(&l);
}

static void test_corrupt_checkpoint_is_refused(void **state) {
    (void)state;
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/bad.ckpt", data_dir);
    float p[4] = {1, 2, 3, 4}, m[4] = {0}, v[4] = {0};
    ckpt_state st = {.run_id = 9, .step = 3, .n_params = 4};
    assert_int_equal(checkpoint_save(path, &st, p, m, v, err, sizeof err), 0);
    ckpt_state back;
    float q[4], mq[4], vq[4];
    assert_int_equal(checkpoint_load(path, &back, 4, q, mq, vq, err, sizeof err), 0);
    assert_memory_equal(p, q, sizeof p);
    FILE *f = fopen(path, "r+b");
    fseek(f, -12, SEEK_END);
    fputc('x', f);
    fclose(f);
    assert_int_equal(checkpoint_load(path, &back, 4, q, mq, vq, err, sizeof err), -1);
    assert_non_null(strstr(err, "checksum"));
    assert_int_equal(checkpoint_load(path, &back, 5, q, mq, vq, err, sizeof err), -1);
}

/* A progress hook that truncates <ctx>/train.tok to its header at step 5. */
static void truncate_at_step_5(const train_progress *p, void *ctx) {
    if (p->step != 5) return;
    char path[700];
    snprintf(path, sizeof path, "%s/train.tok", (const char *)ctx);
    assert_int_equal(truncate(path, 64), 0);
}

/* A copy of the fixture data in its own directory, so a test can damage it. */
static void copy_data(const char *name, char *dir, size_t len) {
    char cmd[4000];
    snprintf(dir, len, "%s/%s", data_dir, name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s' && cp '%s/train.tok' '%s/val.tok' '%s/'",
             dir, dir, data_dir, data_dir, dir);
    assert_int_equal(system(cmd), 0);
}

static void use_data(train_config *c, const char *dir) {
    char arg[1200], err[256];
    snprintf(arg, sizeof arg, "data=%s", dir);
    assert_int_equal(config_set_arg(c, arg, err, sizeof err), 0);
}

/* Checkpoint headers with a matching checksum used to be trusted: a negative next_seq
 * read before the token map (a segfault), a step past the total ended the run "done"
 * early. Every field is checked against the run's config. */
static void test_crafted_checkpoint_fields(void **state) {
    (void)state;
    train_config c;
    tiny_config(&c, "crafted.h5");
    train_result r;
    run_ok(&c, &r, 25); /* checkpoint at step 20 */
    char ckpt[600], err[512];
    train_checkpoint_path(c.out, ckpt, sizeof ckpt);
    ckpt_state st, good;
    assert_int_equal(checkpoint_peek(ckpt, &good, err, sizeof err), 0);
    size_t n = good.n_params;
    float *p = malloc(n * sizeof *p), *m = malloc(n * sizeof *m), *v = malloc(n * sizeof *v);
    assert_int_equal(checkpoint_load(ckpt, &st, n, p, m, v, err, sizeof err), 0);
    const char *want[] = {"next_seq", "step", "step", "tokens", "wall"};
    for (int k = 0; k < 5; k++) {
        st = good;
        if (k == 0) st.next_seq = -5; /* refused by the reader */
        if (k == 1) st.step = 1000, st.tokens = 1000 * 8 * 32, st.next_seq = 8000; /* > 40 */
        if (k == 2) st.step = -1;
        if (k == 3) st.tokens += 1; /* not step * batch * ctx */
        if (k == 4) st.wall = NAN;
        assert_int_equal(checkpoint_save(ckpt, &st, p, m, v, err, sizeof err), 0);
        train_hooks hooks = {0};
        train_result rr;
        assert_int_equal(train_run(&c, &hooks, &rr, err, sizeof err), -1);
        assert_non_null(strstr(err, want[k]));
        assert_non_null(strstr(err, ckpt));
    }
    /* the genuine checkpoint still resumes */
    assert_int_equal(checkpoint_save(ckpt, &good, p, m, v, err, sizeof err), 0);
    run_ok(&c, &r, 0);
    assert_string_equal(r.status, "done");
    assert_int_equal(r.resumed_from, 20);
    assert_int_equal(r.steps, 40);
    free(p), free(m), free(v);
}

/* A stopped run resumed on other data of the same vocabulary (and size) used to end
 * "done" without a word: the checkpoint records the data's identity. */
static void test_resume_on_other_data_is_refused(void **state) {
    (void)state;
    char dir[600], path[700], err[512];
    copy_data("otherdata", dir, sizeof dir);
    train_config c;
    tiny_config(&c, "otherdata.h5");
    use_data(&c, dir);
    train_result r;
    run_ok(&c, &r, 25);
    /* the same tokens in reverse order: same vocab, same size, other data */
    snprintf(path, sizeof path, "%s/train.tok", dir);
    tokfile tf;
    assert_int_equal(tokfile_open(path, &tf, err, sizeof err), 0);
    uint16_t *rev = malloc(tf.n * sizeof *rev);
    for (uint64_t i = 0; i < tf.n; i++) rev[i] = tf.tokens[tf.n - 1 - i];
    uint64_t n = tf.n, hash = tf.tokenizer_hash;
    uint32_t vocab = tf.vocab;
    tokfile_close(&tf);
    assert_int_equal(tokfile_write(path, rev, n, vocab, hash, err, sizeof err), 0);
    train_hooks hooks = {0};
    assert_int_equal(train_run(&c, &hooks, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "train.tok is not the data"));
    /* the original data back: it resumes */
    for (uint64_t i = 0; i < n / 2; i++) {
        uint16_t x = rev[i];
        rev[i] = rev[n - 1 - i], rev[n - 1 - i] = x;
    }
    assert_int_equal(tokfile_write(path, rev, n, vocab, hash, err, sizeof err), 0);
    run_ok(&c, &r, 0);
    assert_string_equal(r.status, "done");
    assert_int_equal(r.resumed_from, 20);
    free(rev);
}

/* A run file removed by hand with its checkpoint left used to fail on every retry ("not
 * a readable HDF5 file"): the run is trained again from the start (deterministic, so the
 * same file) and says so. */
static void test_missing_run_file_with_checkpoint(void **state) {
    (void)state;
    train_config full, cut;
    tiny_config(&full, "orphanref.h5");
    tiny_config(&cut, "orphan.h5");
    train_result rf, r1, r2;
    run_ok(&full, &rf, 0);
    run_ok(&cut, &r1, 25);
    assert_int_equal(unlink(cut.out), 0);
    run_ok(&cut, &r2, 0);
    assert_string_equal(r2.status, "done");
    assert_int_equal(r2.resumed_from, 0);
    assert_non_null(strstr(r2.reason, "was missing"));
    runlog a, b;
    load_log(rf.run_file, &a);
    load_log(r2.run_file, &b);
    assert_same_series(&a, &b, "/train");
    assert_same_series(&a, &b, "/eval");
    assert_memory_equal(&rf.val_loss, &r2.val_loss, sizeof(double));
    runlog_free(&a), runlog_free(&b);
}

/* A FIFO as train.tok used to block the run for good; a token file truncated under a
 * running run was a SIGBUS ("crashed", no reason). */
static void test_token_file_fifo_and_truncation(void **state) {
    (void)state;
    char dir[600], path[700], err[512];
    copy_data("fifodata", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/train.tok", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkfifo(path, 0644), 0);
    train_config c;
    tiny_config(&c, "fifo.h5");
    use_data(&c, dir);
    train_hooks hooks = {0};
    train_result r;
    alarm(10); /* a hang fails the test instead of blocking it */
    assert_int_equal(train_run(&c, &hooks, &r, err, sizeof err), -1);
    alarm(0);
    assert_non_null(strstr(err, "not a regular file"));
    assert_non_null(strstr(err, path));
    copy_data("truncdata", dir, sizeof dir);
    tiny_config(&c, "trunc.h5");
    use_data(&c, dir);
    hooks.progress = truncate_at_step_5;
    hooks.ctx = dir;
    assert_int_equal(train_run(&c, &hooks, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "changed size"));
    assert_non_null(strstr(err, "train.tok"));
    runlog l;
    load_log(c.out, &l); /* the failure is in the run file */
    assert_string_equal(attr_get(&l.final, "status")->s, "failed");
    runlog_free(&l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_loss),
        cmocka_unit_test(test_overfit_tiny_batch),
        cmocka_unit_test(test_adamw_by_hand),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_loss_falls_and_determinism),
        cmocka_unit_test(test_resume_is_bit_identical),
        cmocka_unit_test(test_resume_after_final_checkpoint),
        cmocka_unit_test(test_proj_norm_trains_and_resumes),
        cmocka_unit_test(test_run_file_lock),
        cmocka_unit_test(test_resume_after_failed_final_ptq),
        cmocka_unit_test(test_divergence_is_recorded),
        cmocka_unit_test(test_knob_errors),
        cmocka_unit_test(test_foreign_run_file_is_kept),
        cmocka_unit_test(test_corrupt_checkpoint_is_refused),
        cmocka_unit_test(test_crafted_checkpoint_fields),
        cmocka_unit_test(test_resume_on_other_data_is_refused),
        cmocka_unit_test(test_missing_run_file_with_checkpoint),
        cmocka_unit_test(test_token_file_fifo_and_truncation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
