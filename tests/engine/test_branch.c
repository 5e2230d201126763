/* Warmup-stable-decay cooldown branches (docs/engine.md): schedule_tokens, kept
 * checkpoints (ckpt_keep) and branch_from. A branch started from its parent's kept
 * checkpoint is bit-identical to the same config trained from scratch; every refusal
 * names the knob and leaves the parent's files as they were. */
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
#include "optimizer.h"
#include "runlog.h"
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

static void set(train_config *c, const char *fmt, ...) {
    char arg[700], err[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(arg, sizeof arg, fmt, ap);
    va_end(ap);
    int rc = config_set_arg(c, arg, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

/* A tiny wsd run of `tokens` tokens (256 a step) laid out over the parent's 40 steps:
 * warmup 4 steps, decay over the last quarter of its own steps. */
static void wsd_config(train_config *c, const char *out, int tokens) {
    config_defaults(c);
    const char *knobs[] = {"d_model=32",      "n_layer=2",
                           "n_head=2",        "ctx=32",
                           "batch=8",         "micro_batch=4",
                           "eval_every=5",    "eval_tokens=2048",
                           "threads=2",       "lr=0.01",
                           "schedule=wsd",    "decay_frac=0.25",
                           "warmup_frac=0.1", "schedule_tokens=10240"};
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) set(c, "%s", knobs[i]);
    set(c, "tokens=%d", tokens);
    set(c, "data=%s", data_dir);
    set(c, "out=%s/%s", data_dir, out);
}

/* wsd_config of a branch of the run file parent. */
static void branch_config(train_config *c, const char *out, int tokens, const char *parent) {
    wsd_config(c, out, tokens);
    set(c, "branch_from=%s", parent);
}

static void run_ok(train_config *c, train_result *r, int64_t abort_after) {
    char err[1024];
    train_hooks hooks = {0};
    hooks.abort_after_steps = abort_after;
    int rc = train_run(c, &hooks, r, err, sizeof err);
    if (rc) fprintf(stderr, "train_run: %s\n", err);
    assert_int_equal(rc, 0);
}

/* train_run refuses c with a message containing each of the given strings; nothing is
 * written at c's out=. */
static void refused(train_config *c, const char *want1, const char *want2) {
    char err[1024];
    train_result r;
    int rc = train_run(c, NULL, &r, err, sizeof err);
    if (rc == 0) fprintf(stderr, "expected a refusal (%s)\n", want1);
    assert_int_equal(rc, -1);
    if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
        fprintf(stderr, "error '%s' lacks '%s' / '%s'\n", err, want1, want2 ? want2 : "");
    assert_non_null(strstr(err, want1));
    if (want2) assert_non_null(strstr(err, want2));
    struct stat sb;
    assert_int_not_equal(stat(c->out, &sb), 0);
}

/* The attribute, which must be there. */
static const attr *must(const attr_set *set, const char *name) {
    const attr *x = attr_get(set, name);
    if (!x) fprintf(stderr, "no attribute %s\n", name);
    assert_non_null(x);
    return x;
}

static void load_log(const char *path, runlog *rl) {
    char err[512];
    int rc = runlog_load(rl, path, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

/* Columns `cols` of two series, bit for bit, row by row (the first is the step). */
static void assert_same_columns(const runlog *a, const runlog *b, const char *path, const int *cols,
                                int ncols) {
    const table *ta = runlog_find_table(a, path), *tb = runlog_find_table(b, path);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_int_equal(ta->rows, tb->rows);
    for (size_t i = 0; i < ta->rows; i++)
        for (int j = 0; j < ncols; j++) {
            double x = table_get(ta, cols[j], i), y = table_get(tb, cols[j], i);
            assert_memory_equal(&x, &y, sizeof x);
        }
}

/* Parameters and both AdamW moments of two checkpoints, bit for bit. */
static void assert_same_weights(const char *ca, const char *cb) {
    char err[512];
    ckpt_state sa, sb;
    assert_int_equal(checkpoint_peek(ca, &sa, err, sizeof err), 0);
    assert_int_equal(checkpoint_peek(cb, &sb, err, sizeof err), 0);
    assert_int_equal(sa.n_params, sb.n_params);
    assert_int_equal(sa.step, sb.step);
    size_t n = (size_t)sa.n_params;
    float *p[2][3];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) assert_non_null(p[i][j] = malloc(n * sizeof(float)));
    assert_int_equal(checkpoint_load(ca, &sa, n, p[0][0], p[0][1], p[0][2], err, sizeof err), 0);
    assert_int_equal(checkpoint_load(cb, &sb, n, p[1][0], p[1][1], p[1][2], err, sizeof err), 0);
    for (int j = 0; j < 3; j++) assert_memory_equal(p[0][j], p[1][j], n * sizeof(float));
    assert_true(sa.run_id == sb.run_id && sa.next_seq == sb.next_seq);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) free(p[i][j]);
}

static void test_schedule_tokens(void **state) {
    (void)state;
    train_config c;
    config_defaults(&c);
    c.lr = 1.0, c.lr_min_frac = 0.1, c.warmup_frac = 0.1, c.decay_frac = 0.2;
    c.batch = 4, c.ctx = 10; /* 40 tokens a step */
    strcpy(c.schedule, "wsd");
    /* the run's own 100 steps: warmup 10, as before the knob */
    assert_int_equal(lr_warmup_steps(&c, 100), 10);
    assert_true(fabs(lr_at_step(&c, 5, 100) - 0.5) < 1e-12);
    /* laid out over 400 steps (16000 tokens): warmup 40 whatever the run's length */
    c.schedule_tokens = 16000;
    assert_int_equal(lr_warmup_steps(&c, 100), 40);
    assert_int_equal(lr_warmup_steps(&c, 400), 40);
    assert_int_equal(lr_decay_start(&c, 100), 80);
    /* a 100-step and a 400-step run agree at every step up to the shorter one's decay */
    for (int64_t s = 1; s <= 80; s++) {
        double a = lr_at_step(&c, s, 100), b = lr_at_step(&c, s, 400);
        assert_memory_equal(&a, &b, sizeof a);
    }
    assert_true(lr_at_step(&c, 81, 100) < 1.0);
    assert_true(fabs(lr_at_step(&c, 100, 100) - 0.1) < 1e-12);
    assert_true(fabs(lr_at_step(&c, 320, 400) - 1.0) < 1e-12);
    /* a run file's identity holds schedule_tokens only when it is set */
    char json[8192];
    c.schedule_tokens = 0;
    config_canonical_json(&c, json, sizeof json);
    assert_null(strstr(json, "schedule_tokens"));
    assert_null(strstr(json, "branch_from"));
    assert_null(strstr(json, "ckpt_keep"));
    c.schedule_tokens = 16000;
    config_canonical_json(&c, json, sizeof json);
    assert_non_null(strstr(json, "\"schedule_tokens\":16000"));
}

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static blob read_blob(const char *path) {
    blob b;
    b.p = fixture_read_file(path, &b.n);
    assert_non_null(b.p);
    return b;
}

static void assert_unchanged(const blob *b, const char *path) {
    blob now = read_blob(path);
    assert_int_equal(now.n, b->n);
    assert_memory_equal(now.p, b->p, b->n);
    free(now.p);
}

static void test_branch_equals_scratch(void **state) {
    (void)state;
    char path[600], err[1024];
    train_config parent, branch, scratch;
    train_result rp, rb, rs;
    /* the parent: 40 steps, decay from step 31 on, checkpoints kept at 15 and 30 */
    wsd_config(&parent, "parent.h5", 10240);
    set(&parent, "ckpt_keep=15,30");
    run_ok(&parent, &rp, 0);
    assert_string_equal(rp.status, "done");
    train_kept_checkpoint_path(parent.out, 15, path, sizeof path);
    ckpt_state kst;
    assert_int_equal(checkpoint_peek(path, &kst, err, sizeof err), 0);
    assert_int_equal(kst.step, 15);
    /* a branch of 20 steps: decay over the last 5, so it starts from the parent's step 15;
     * its own checkpoints every 2 steps, and killed after 3 of its steps (at step 18) */
    wsd_config(&branch, "branch.h5", 5120);
    set(&branch, "branch_from=%s", parent.out);
    set(&branch, "ckpt_every=2");
    run_ok(&branch, &rb, 3);
    assert_string_equal(rb.status, "aborted");
    assert_int_equal(rb.branched_at, 15);
    run_ok(&branch, &rb, 0);
    assert_string_equal(rb.status, "done");
    assert_int_equal(rb.resumed_from, 16); /* its own checkpoint */
    assert_int_equal(rb.steps, 20);
    /* the same config from scratch */
    wsd_config(&scratch, "scratch.h5", 5120);
    run_ok(&scratch, &rs, 0);
    assert_string_equal(rs.status, "done");

    runlog a, b, p;
    load_log(rb.run_file, &a);
    load_log(rs.run_file, &b);
    load_log(rp.run_file, &p);
    const int train_cols[] = {0, 1, 2, 3, 4}; /* step, tokens, loss, lr, grad_norm (not wall) */
    const int eval_cols[] = {0, 1, 2};
    assert_same_columns(&a, &b, "/train", train_cols, 5);
    assert_same_columns(&a, &b, "/eval", eval_cols, 3);
    assert_int_equal(runlog_find_table(&a, "/train")->rows, 20);
    assert_memory_equal(&rb.val_loss, &rs.val_loss, sizeof(double));
    const attr *fa = must(&a.final, "val_loss"), *fb = must(&b.final, "val_loss");
    assert_memory_equal(&fa->r, &fb->r, sizeof(double));
    fa = must(&a.final, "train_loss"), fb = must(&b.final, "train_loss");
    assert_memory_equal(&fa->r, &fb->r, sizeof(double));
    char ca[600], cb[600];
    train_checkpoint_path(rb.run_file, ca, sizeof ca);
    train_checkpoint_path(rs.run_file, cb, sizeof cb);
    assert_same_weights(ca, cb);
    /* one identity: the branch is the run it stands for; where it came from is recorded */
    assert_string_equal(must(&a.root, "run_id")->s, must(&b.root, "run_id")->s);
    assert_string_equal(must(&a.config, "branch_parent_run_id")->s, must(&p.root, "run_id")->s);
    assert_int_equal(must(&a.config, "branch_step")->i, 15);
    assert_null(attr_get(&b.config, "branch_step"));
    /* the parent and the scratch run share the learning rate and losses up to step 15 */
    const table *tp = runlog_find_table(&p, "/train"), *ts = runlog_find_table(&b, "/train");
    for (size_t i = 0; i < 15; i++)
        for (int c = 2; c <= 4; c++) {
            double x = table_get(tp, c, i), y = table_get(ts, c, i);
            assert_memory_equal(&x, &y, sizeof x);
        }
    assert_true(table_get(ts, 3, 16) < table_get(tp, 3, 16)); /* then the branch decays */
    runlog_free(&a), runlog_free(&b), runlog_free(&p);

    /* Refusals; none of them writes the branch's file or changes the parent's files. */
    char kept15[600], kept30[600], pckpt[600];
    train_kept_checkpoint_path(parent.out, 15, kept15, sizeof kept15);
    train_kept_checkpoint_path(parent.out, 30, kept30, sizeof kept30);
    train_checkpoint_path(parent.out, pckpt, sizeof pckpt);
    blob b_h5 = read_blob(parent.out), b_15 = read_blob(kept15), b_30 = read_blob(kept30),
         b_ck = read_blob(pckpt);
    train_config c;
    /* the parent missing */
    wsd_config(&c, "r1.h5", 5120);
    set(&c, "branch_from=%s/nope.h5", data_dir);
    refused(&c, "knob branch_from=", "nope.h5");
    /* no checkpoint kept at the branch's decay start: 30 steps, decay 8, from step 22 */
    branch_config(&c, "r2.h5", 7680, parent.out);
    refused(&c, "ckpt_keep=22", "parent.step22.ckpt");
    /* a knob of the stable phase differs */
    branch_config(&c, "r3.h5", 5120, parent.out);
    set(&c, "lr=0.02");
    refused(&c, "knob lr:", "parent.h5");
    branch_config(&c, "r4.h5", 5120, parent.out);
    set(&c, "eval_every=4");
    refused(&c, "knob eval_every:", NULL);
    /* its warmup laid out over its own 20 steps instead of the parent's 40 */
    branch_config(&c, "r5.h5", 5120, parent.out);
    set(&c, "schedule_tokens=0");
    refused(&c, "knob schedule_tokens:", "schedule_tokens=10240");
    /* another schedule */
    branch_config(&c, "r6.h5", 5120, parent.out);
    set(&c, "schedule=cosine");
    refused(&c, "schedule=wsd", NULL);
    /* longer than the parent's stable phase: 60 steps decaying from step 46 on */
    branch_config(&c, "r7.h5", 15360, parent.out);
    set(&c, "schedule_tokens=10240");
    refused(&c, "decays from step 31", NULL);
    /* another thread count */
    branch_config(&c, "r8.h5", 5120, parent.out);
    set(&c, "threads=1");
    refused(&c, "knob threads:", NULL);
    train_set_threads(2);
    /* its own file as the parent */
    wsd_config(&c, "r9.h5", 5120);
    set(&c, "branch_from=%s", c.out);
    refused(&c, "this run's own file", NULL);
    /* a kept checkpoint of another step under the name of step 22 */
    char fake[600];
    train_kept_checkpoint_path(parent.out, 22, fake, sizeof fake);
    FILE *f = fopen(fake, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b_30.p, 1, b_30.n, f), b_30.n);
    fclose(f);
    branch_config(&c, "r10.h5", 7680, parent.out);
    refused(&c, "is not the parent's checkpoint at step 22", "at step 30");
    unlink(fake);
    /* not a run file */
    wsd_config(&c, "r11.h5", 5120);
    set(&c, "branch_from=%s", kept15);
    refused(&c, "knob branch_from=", "cannot read the parent run");
    assert_unchanged(&b_h5, parent.out);
    assert_unchanged(&b_15, kept15);
    assert_unchanged(&b_30, kept30);
    assert_unchanged(&b_ck, pckpt);
    free(b_h5.p), free(b_15.p), free(b_30.p), free(b_ck.p);
    /* a ckpt_keep that is no list of steps */
    wsd_config(&c, "r12.h5", 5120);
    set(&c, "ckpt_keep=10,x");
    refused(&c, "knob ckpt_keep", NULL);
}

/* With fake quantization, stochastically rounded gradients (seeded by the step) and a
 * /quant table: the branch again equals the run from scratch, /quant rows included (the
 * branch point 15 is an evaluation step, where the counts start afresh). */
static void test_qat_branch_equals_scratch(void **state) {
    (void)state;
    train_config parent, branch, scratch;
    train_result rp, rb, rs;
    const char *qat[] = {"w_quant=int4", "a_quant=int8", "g_quant=int8:sr"};
    wsd_config(&parent, "qparent.h5", 10240);
    wsd_config(&branch, "qbranch.h5", 5120);
    wsd_config(&scratch, "qscratch.h5", 5120);
    for (int i = 0; i < 3; i++) set(&parent, "%s", qat[i]), set(&branch, "%s", qat[i]);
    for (int i = 0; i < 3; i++) set(&scratch, "%s", qat[i]);
    set(&parent, "ckpt_keep=15");
    set(&branch, "branch_from=%s", parent.out);
    run_ok(&parent, &rp, 0);
    run_ok(&branch, &rb, 0);
    run_ok(&scratch, &rs, 0);
    assert_int_equal(rb.branched_at, 15);
    runlog a, b;
    load_log(rb.run_file, &a);
    load_log(rs.run_file, &b);
    const int train_cols[] = {0, 1, 2, 3, 4}, eval_cols[] = {0, 1, 2},
              quant_cols[] = {0, 1, 2, 3, 4, 5, 6};
    assert_same_columns(&a, &b, "/train", train_cols, 5);
    assert_same_columns(&a, &b, "/eval", eval_cols, 3);
    assert_same_columns(&a, &b, "/quant", quant_cols, 7);
    assert_memory_equal(&rb.val_loss, &rs.val_loss, sizeof(double));
    char ca[600], cb[600];
    train_checkpoint_path(rb.run_file, ca, sizeof ca);
    train_checkpoint_path(rs.run_file, cb, sizeof cb);
    assert_same_weights(ca, cb);
    runlog_free(&a), runlog_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_tokens),
        cmocka_unit_test(test_branch_equals_scratch),
        cmocka_unit_test(test_qat_branch_equals_scratch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
