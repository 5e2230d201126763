/* Readers: CSV columns, errors with file:line:column, duplicates, NaN losses; HDF5 run
 * files written by the schema helper, including corrupt, truncated, foreign-version,
 * unfinished, failed and diverged runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5write.h"
#include "input.h"
#include "laws.h"
#include "read.h"

static int has_note(const psl_notes *n, const char *a, const char *b) {
    for (size_t i = 0; i < n->n; i++)
        if (strstr(n->msg[i], a) && (!b || strstr(n->msg[i], b))) return 1;
    return 0;
}

static long parse(const char *text, psl_data *d, psl_notes *n, char *err, int div) {
    psl_read_opts o = {div};
    psl_data_init(d);
    psl_notes_init(n);
    return psl_csv_parse(text, strlen(text), "t.csv", &o, d, n, err, 512);
}

static void test_csv_basic(void **state) {
    (void)state;
    const char *t = "# a comment\n"
                    "N,D,P_w,format,P_post,method,loss,extra\r\n"
                    "1e7,2e8,16,bf16,,,3.5,x\r\n"
                    "1e7,2e8,16,bf16,4,gptq,3.6,x\n"
                    "\n"
                    "\"2e7\",4e8,4,\"in,t\",,,3.4,\"say \"\"hi\"\"\"\n";
    psl_data d;
    psl_notes n;
    char err[512];
    assert_int_equal(parse(t, &d, &n, err, 0), 3);
    assert_true(has_note(&n, "t.csv:2:", "unknown column 'extra'"));
    assert_true(d.pt[0].N == 1e7 && d.pt[0].D == 2e8 && d.pt[0].loss == 3.5);
    assert_true(d.pt[0].P_a == 16 && d.pt[0].P_kv == 16 && d.pt[0].P_post == 0);
    assert_true(d.pt[1].P_post == 4 && !strcmp(d.pt[1].method, "gptq"));
    assert_int_equal(d.pt[0].run, d.pt[1].run); /* same config: one run */
    assert_string_equal(d.pt[2].format, "in,t");
    assert_true(d.pt[2].P_w == 4);
    assert_string_equal(d.pt[2].source, "t.csv:6");
    psl_data_fill_deltas(&d);
    assert_true(fabs(d.pt[1].delta - 0.1) < 1e-12);
    psl_data_free(&d);
    psl_notes_free(&n);
    /* tied precision column */
    assert_int_equal(parse("N,D,P,loss\n1e7,1e8,4,3\n", &d, &n, err, 0), 1);
    assert_true(d.pt[0].P_w == 4 && d.pt[0].P_a == 4 && d.pt[0].P_kv == 4);
    psl_data_free(&d);
    psl_notes_free(&n);
}

static void test_csv_errors(void **state) {
    (void)state;
    psl_data d;
    psl_notes n;
    char err[512];
    assert_int_equal(parse("N,P_w,loss\n1,2,3\n", &d, &n, err, 0), -1);
    assert_non_null(strstr(err, "t.csv:1"));
    assert_non_null(strstr(err, "D"));
    psl_data_free(&d);
    psl_notes_free(&n);
    assert_int_equal(parse("", &d, &n, err, 0), -1);
    assert_non_null(strstr(err, "empty"));
    psl_data_free(&d);
    psl_notes_free(&n);
    assert_int_equal(parse("N,D,loss,N\n", &d, &n, err, 0), -1);
    assert_non_null(strstr(err, "twice"));
    psl_data_free(&d);
    psl_notes_free(&n);
    const char *t = "N,D,loss,status\n"
                    "1e7,1e8,abc,done\n"    /* 2: bad number, column 3 */
                    "1e7,1e8,nan,done\n"    /* 3: NaN loss */
                    "1e7,1e8,,done\n"       /* 4: empty loss */
                    "-1,1e8,3,done\n"       /* 5: negative N */
                    "1e7,1e8,3\n"           /* 6: too few fields */
                    "1e7,1e8,3,failed\n"    /* 7: failed run */
                    "1e7,2e8,3,diverged\n"  /* 8: diverged run */
                    "1e7,1e8,3.1,done\n"    /* 9: good */
                    "1e7,1e8,3.1,done\n"    /* 10: duplicate of 9 */
                    "1e7,1e8,3.2,done\n"    /* 11: another seed: kept */
                    "1e7,1e8,3.3,\"done\n"; /* 12: unterminated quote */
    assert_int_equal(parse(t, &d, &n, err, 0), 2);
    assert_true(has_note(&n, "t.csv:2:9:", "column 'loss': expected a number, got 'abc'"));
    assert_true(has_note(&n, "t.csv:3:", "NaN"));
    assert_true(has_note(&n, "t.csv:4:", "NaN or empty"));
    assert_true(has_note(&n, "t.csv:5:1:", "column 'N'"));
    assert_true(has_note(&n, "t.csv:6:", "3 fields, header has 4"));
    assert_true(has_note(&n, "t.csv:7:", "failed"));
    assert_true(has_note(&n, "t.csv:8:", "diverged run excluded"));
    assert_true(has_note(&n, "t.csv:10:", "duplicate of the run at t.csv:9"));
    assert_true(has_note(&n, "t.csv:12:", "quoted field is not closed"));
    assert_int_not_equal(d.pt[0].run, d.pt[1].run);
    psl_data_free(&d);
    psl_notes_free(&n);
    /* diverged rows kept on request */
    assert_int_equal(parse("N,D,loss,status\n1e7,1e8,3,diverged\n", &d, &n, err, 1), 1);
    psl_data_free(&d);
    psl_notes_free(&n);
    /* run_id column: same id and P_post twice is a duplicate even with another loss */
    assert_int_equal(parse("run_id,N,D,loss\na,1e7,1e8,3\na,1e7,1e8,3.2\n", &d, &n, err, 0), 1);
    assert_true(has_note(&n, "t.csv:3:", "run_id"));
    psl_data_free(&d);
    psl_notes_free(&n);
}

static char tmpdir[64];

static void path(char *out, const char *name) {
    sprintf(out, "%s/%s", tmpdir, name);
}

static void test_h5(void **state) {
    (void)state;
    strcpy(tmpdir, "/tmp/psl_test_read_XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    char p[256], sub[256];
    path(sub, "sub");
    mkdir(sub, 0777);
    /* a good run with PTQ rows, one of an intermediate checkpoint */
    h5run r = h5run_default("00000000000000a1", 1000000, 20000000, 16);
    r.nptq = 3;
    r.ptq_bits[0] = 4, r.ptq_loss[0] = 3.6;
    r.ptq_bits[1] = 3, r.ptq_loss[1] = 3.9;
    r.ptq_bits[2] = 4, r.ptq_loss[2] = 3.7, r.ptq_step[2] = 50;
    path(p, "sub/good.h5");
    assert_int_equal(h5run_write(p, &r), 0);
    /* the same run copied elsewhere */
    path(p, "copy.h5");
    assert_int_equal(h5run_write(p, &r), 0);
    h5run q = h5run_default("00000000000000a2", 2000000, 40000000, 4);
    q.status = NULL;
    path(p, "running.h5");
    assert_int_equal(h5run_write(p, &q), 0);
    q.run_id = "00000000000000a3";
    q.status = "failed";
    path(p, "failed.h5");
    assert_int_equal(h5run_write(p, &q), 0);
    q.run_id = "00000000000000a4";
    q.status = "diverged";
    path(p, "diverged.h5");
    assert_int_equal(h5run_write(p, &q), 0);
    q.run_id = "00000000000000a5";
    q.status = "done";
    q.schema_version = 2;
    path(p, "v2.h5");
    assert_int_equal(h5run_write(p, &q), 0);
    /* truncated: a good file cut in half */
    q.schema_version = 1;
    q.run_id = "00000000000000a6";
    path(p, "trunc.h5");
    assert_int_equal(h5run_write(p, &q), 0);
    struct stat st;
    stat(p, &st);
    assert_int_equal(truncate(p, st.st_size / 2), 0);
    path(p, "garbage.h5");
    FILE *f = fopen(p, "w");
    fputs("this is not hdf5", f);
    fclose(f);

    psl_read_opts o = {0};
    psl_data d;
    psl_notes n;
    psl_data_init(&d);
    psl_notes_init(&n);
    char err[512];
    long k = psl_read_dir(tmpdir, &o, &d, &n, err, sizeof err);
    /* copy.h5 sorts first, so sub/good.h5 is the duplicate */
    assert_int_equal(k, 3);
    assert_int_equal(d.nruns, 1);
    assert_true(d.pt[0].N == 1e6 && d.pt[0].D == 2e7 && d.pt[0].loss == 3.5);
    assert_true(d.pt[1].P_post == 4 && fabs(d.pt[1].delta - 0.1) < 1e-12);
    assert_string_equal(d.pt[1].method, "gptq");
    assert_true(has_note(&n, "good.h5", "duplicate run"));
    assert_true(has_note(&n, "copy.h5", "intermediate checkpoints"));
    assert_true(has_note(&n, "running.h5", "no /final"));
    assert_true(has_note(&n, "failed.h5", "failed run skipped (out of memory)"));
    assert_true(has_note(&n, "diverged.h5", "diverged run"));
    assert_true(has_note(&n, "v2.h5", "schema_version 2"));
    assert_true(has_note(&n, "trunc.h5", "not a readable HDF5 file"));
    assert_true(has_note(&n, "garbage.h5", "not a readable HDF5 file"));
    psl_data_free(&d);
    psl_notes_free(&n);
    /* diverged runs with a NaN loss stay out even when included */
    psl_data_init(&d);
    psl_notes_init(&n);
    o.include_diverged = 1;
    path(p, "diverged.h5");
    assert_int_equal(psl_h5_read(p, &o, &d, &n, err, sizeof err), 0);
    assert_true(has_note(&n, "diverged.h5", "val_loss is nan"));
    psl_data_free(&d);
    psl_notes_free(&n);
    /* a missing directory */
    psl_data_init(&d);
    psl_notes_init(&n);
    assert_int_equal(psl_read_dir("/nonexistent/psl", &o, &d, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/psl"));
    psl_data_free(&d);
    psl_notes_free(&n);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    assert_int_equal(system(cmd), 0);
}

/* PTQ points of one method are kept: gptq when present (auto), or the one asked for. */
static void test_keep_ptq_method(void **state) {
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        psl_data d;
        psl_notes notes;
        psl_data_init(&d);
        psl_notes_init(&notes);
        const char *methods[] = {"", "rtn", "gptq", "rtn", "gptq", "rtn"};
        for (int i = 0; i < 6; i++) {
            psl_point p;
            psl_point_clear(&p);
            p.N = 1e6, p.D = 2e7, p.P_w = p.P_a = p.P_kv = 32, p.loss = 4 + 0.1 * i;
            p.P_post = i ? 4 : 0;
            snprintf(p.method, sizeof p.method, "%s", methods[i]);
            assert_int_equal(psl_data_push(&d, &p), 0);
        }
        const char *ask = variant == 0 ? "auto" : variant == 1 ? "rtn" : NULL;
        psl_data_keep_ptq_method(&d, ask, &notes);
        const char *want = variant == 1 ? "rtn" : "gptq";
        size_t ptq = 0;
        for (size_t i = 0; i < d.n; i++)
            if (d.pt[i].P_post > 0) {
                assert_string_equal(d.pt[i].method, want);
                ptq++;
            }
        assert_int_equal(ptq, variant == 1 ? 3 : 2);
        assert_true(d.n == ptq + 1); /* the unquantized point stays */
        assert_int_equal(notes.n, 1);
        assert_non_null(strstr(notes.msg[0], want));
        psl_notes_free(&notes);
        psl_data_free(&d);
    }
}

/* PTQ table names as the engine writes them (ptq_table_name) are kept whole: two that
 * shared their first 15 characters (gptq_int_tensor, gptq_int_tensor_asym) were merged
 * into one method when the name had 16 bytes. */
static void test_ptq_method_long_names(void **state) {
    (void)state;
    psl_data d;
    psl_notes notes;
    psl_data_init(&d);
    psl_notes_init(&notes);
    const char *methods[] = {"gptq_int_tensor", "gptq_int_tensor_asym", "gptq_int_tensor_asym",
                             "rtn_mxfp8_e4m3_g128_asym_long_name"};
    for (int i = 0; i < 4; i++) {
        psl_point p;
        psl_point_clear(&p);
        p.N = 1e6, p.D = 2e7, p.P_w = p.P_a = p.P_kv = 32, p.loss = 4 + 0.1 * i, p.P_post = 4;
        snprintf(p.method, sizeof p.method, "%s", methods[i]);
        assert_string_equal(p.method, methods[i]);
        assert_int_equal(psl_data_push(&d, &p), 0);
    }
    psl_data_keep_ptq_method(&d, "gptq_int_tensor", &notes);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.pt[0].method, "gptq_int_tensor");
    psl_notes_free(&notes);
    psl_data_free(&d);
}

/* Text fields are kept whole or refused (data.h): formats of 25 and 63 characters, and two
 * that share their first 30, stay whole and distinct through the CSV reader and the
 * per-format eff law (keys and labels); a 64-character format, a 70-character method and
 * a 200-character run_id are refused with the file, line, column and the limit. (The
 * format field had 24 bytes: "gptq_int_tensor_asym_g128" came out cut at 23.) */
static void test_long_text_fields(void **state) {
    (void)state;
    char f63[64], f63b[64], f64[65], m70[71], id200[201], t[2048];
    memset(f63, 'x', 63), f63[63] = 0;
    memcpy(f63b, f63, 64), f63b[62] = 'y';
    memset(f64, 'z', 64), f64[64] = 0;
    memset(m70, 'm', 70), m70[70] = 0;
    memset(id200, 'r', 200), id200[200] = 0;
    snprintf(t, sizeof t,
             "N,D,P_w,format,P_post,method,run_id,loss\n"
             "1e7,1e8,16,bf16,,,a,3.5\n"                           /* 2 */
             "1e7,1e8,4,gptq_int_tensor_asym_g128,,,b,3.7\n"       /* 3 */
             "1e7,1e8,4,gptq_int_tensor_asym_g128_other,,,c,3.8\n" /* 4 */
             "2e7,2e8,4,%s,,,d,3.6\n"                              /* 5 */
             "2e7,2e8,4,%s,,,e,3.65\n"                             /* 6 */
             "2e7,2e8,4,%s,,,f,3.6\n"                              /* 7: format too long */
             "2e7,2e8,16,bf16,4,%s,a,3.6\n"                        /* 8: method too long */
             "2e7,2e8,16,bf16,,,%s,3.6\n"                          /* 9: run_id too long */
             "2e7,2e8,16,bf16,,, %s ,3.3\n",                       /* 10: 63 + spaces: whole */
             f63, f63b, f64, m70, id200, f63);
    psl_data d;
    psl_notes n;
    char err[512];
    assert_int_equal(parse(t, &d, &n, err, 0), 6);
    assert_string_equal(d.pt[1].format, "gptq_int_tensor_asym_g128");
    assert_string_equal(d.pt[2].format, "gptq_int_tensor_asym_g128_other");
    assert_string_equal(d.pt[3].format, f63);
    assert_string_equal(d.pt[4].format, f63b);
    assert_string_equal(d.pt[5].run_id, f63);
    assert_true(has_note(&n, "t.csv:7:", "column 'format': value of 64 characters, at most 63"));
    assert_true(has_note(&n, "t.csv:8:", "column 'method': value of 70 characters, at most 63"));
    assert_true(has_note(&n, "t.csv:9:", "column 'run_id': value of 200 characters, at most 127"));
    /* the per-format eff law: four keys, each label whole and distinct */
    const psl_law *law = psl_law_find("quest_eff");
    assert_non_null(law);
    const psl_point **pts;
    size_t np = psl_law_select(law, &d, 0, &pts);
    psl_model m;
    char why[512];
    /* (these few runs do not identify the law; its keys are laid out first) */
    psl_model_setup(&m, law, pts, np, why, sizeof why);
    assert_int_equal(m.nkeys, 4);
    const char *want[] = {"gptq_int_tensor_asym_g128", "gptq_int_tensor_asym_g128_other", f63,
                          f63b};
    for (int k = 0; k < 4; k++) {
        char lab[PSL_PNAME_MAX];
        snprintf(lab, sizeof lab, "eff(%s w4a16kv16)", want[k]);
        assert_string_equal(m.key_fmt[k], want[k]);
        assert_string_equal(m.pname[m.key0 + k], lab);
    }
    for (size_t i = 0; i < np; i++) assert_true(psl_eff_key(&m, pts[i]) >= -1);
    free(pts);
    psl_data_free(&d);
    psl_notes_free(&n);
}

/* The points of two readers are the same: values, text fields, runs. */
static void same_points(const psl_data *a, const psl_data *b) {
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nruns, b->nruns);
    for (size_t i = 0; i < a->n; i++) {
        const psl_point *p = &a->pt[i], *q = &b->pt[i];
        assert_true(p->N == q->N && p->D == q->D && p->loss == q->loss && p->P_w == q->P_w &&
                    p->P_a == q->P_a && p->P_kv == q->P_kv && p->P_post == q->P_post &&
                    p->run == q->run);
        assert_true(p->G == q->G || (isnan(p->G) && isnan(q->G)));
        assert_string_equal(p->format, q->format);
        assert_string_equal(p->method, q->method);
        assert_string_equal(p->run_id, q->run_id);
    }
}

/* --map: a table with its own column names reads as the same table with fitlaws' names;
 * messages name the file's column and fitlaws' one; a mapped column the header lacks
 * makes the file unusable; bad mappings are refused with the reason. */
static void test_csv_map(void **state) {
    (void)state;
    const char *plain = "N,D,P_w,format,P_post,method,loss\n"
                        "1e7,2e8,16,bf16,,,3.5\n"
                        "1e7,2e8,16,bf16,4,gptq,3.6\n"
                        "2e7,4e8,4,int,,,3.4\n";
    const char *own = "params,tokens,wbits,format,ptq_bits,method,val_loss,loss\n"
                      "1e7,2e8,16,bf16,,,3.5,9\n"
                      "1e7,2e8,16,bf16,4,gptq,3.6,9\n"
                      "2e7,4e8,4,int,,,3.4,9\n"
                      "2e7,4e8,4,int,,,x,9\n";
    psl_colmap map;
    char err[512];
    assert_int_equal(psl_colmap_parse("N=params,D=tokens,P_w=wbits,P_post=ptq_bits,loss=val_loss",
                                      &map, err, sizeof err),
                     0);
    psl_data a, b;
    psl_notes na, nb;
    assert_int_equal(parse(plain, &a, &na, err, 0), 3);
    psl_data_init(&b);
    psl_notes_init(&nb);
    assert_int_equal(psl_csv_parse_map(own, strlen(own), "t.csv", NULL, &map, &b, &nb, err, 512),
                     3);
    same_points(&a, &b);
    /* the file's own 'loss' column is not fitlaws' loss under this map */
    assert_true(has_note(&nb, "t.csv:1:", "ignoring unknown column 'loss'"));
    assert_true(has_note(&nb, "t.csv:5:", "column 'val_loss' (loss): expected a number, got 'x'"));
    psl_data_free(&b);
    psl_notes_free(&nb);
    /* a mapped column that is not there */
    psl_colmap m2;
    assert_int_equal(psl_colmap_parse("loss=valid_loss", &m2, err, sizeof err), 0);
    psl_data_init(&b);
    psl_notes_init(&nb);
    assert_int_equal(psl_csv_parse_map(plain, strlen(plain), "t.csv", NULL, &m2, &b, &nb, err, 512),
                     -1);
    assert_non_null(strstr(err, "t.csv:1: --map loss=valid_loss: the header has no column"));
    psl_data_free(&b);
    psl_notes_free(&nb);
    /* mappings that are refused */
    const char *badmaps[][2] = {{"loss", "is not COLUMN=NAME"},
                                {"Loss=x", "'Loss' is not a column of fitlaws (N, D, loss"},
                                {"N=a,N=b", "column N is mapped twice"},
                                {"N=", "column name is empty"},
                                {"N=a,", "trailing comma"},
                                {"", "empty"}};
    for (size_t k = 0; k < sizeof badmaps / sizeof *badmaps; k++) {
        assert_int_equal(psl_colmap_parse(badmaps[k][0], &m2, err, sizeof err), -1);
        if (!strstr(err, badmaps[k][1])) fail_msg("--map '%s': %s", badmaps[k][0], err);
    }
    psl_data_free(&a);
    psl_notes_free(&na);
}

static long parse_jsonl(const char *text, const psl_colmap *map, psl_data *d, psl_notes *n,
                        char *err) {
    psl_data_init(d);
    psl_notes_init(n);
    return psl_jsonl_parse(text, strlen(text), "t.jsonl", NULL, map, d, n, err, 512);
}

/* JSON Lines: the same runs as a CSV give the same points (null is an empty field,
 * strings are unescaped); each bad line is skipped with file:line:column and what is
 * wrong, and the others are used. */
static void test_jsonl(void **state) {
    (void)state;
    const char *csv = "N,D,P_w,format,P_post,method,loss,run_id\n"
                      "1e7,2e8,16,bf16,,,3.5,a\n"
                      "1e7,2e8,16,bf16,4,gptq,3.6,a\n"
                      "2e7,4e8,4,\"int \xc3\xa9\",,,3.4,b\n";
    const char *js =
        "# runs\n"
        "{\"N\": 1e7, \"D\": 2e8, \"P_w\": 16, \"format\": \"bf16\", \"P_post\": null, "
        "\"loss\": 3.5, \"run_id\": \"a\", \"extra\": [1, {\"x\": \"]\"}]}\n"
        "\n"
        "{\"run_id\":\"a\",\"N\":1e7,\"D\":2e8,\"P_w\":16,\"format\":\"bf16\","
        "\"P_post\":4,\"method\":\"gptq\",\"loss\":3.6}\r\n"
        "  {\"N\": \"2e7\", \"D\": 4e8, \"P_w\": 4, \"format\": \"int \\u00e9\", "
        "\"loss\": 3.4, \"run_id\": \"b\"}  \n";
    psl_data a, b;
    psl_notes na, nb;
    char err[512];
    assert_int_equal(parse(csv, &a, &na, err, 0), 3);
    assert_int_equal(parse_jsonl(js, NULL, &b, &nb, err), 3);
    same_points(&a, &b);
    assert_string_equal(b.pt[2].format, "int \xc3\xa9");
    assert_string_equal(b.pt[0].source, "t.jsonl:2");
    assert_true(has_note(&nb, "t.jsonl:2:", "ignoring unknown key 'extra'"));
    psl_data_free(&b);
    psl_notes_free(&nb);
    /* with a map, keys are the tool's own */
    psl_colmap map;
    assert_int_equal(psl_colmap_parse("N=params,D=tokens,loss=val_loss", &map, err, sizeof err), 0);
    assert_int_equal(parse_jsonl("{\"params\": 1e7, \"tokens\": 2e8, \"val_loss\": 3.5}\n"
                                 "{\"params\": 1e7, \"tokens\": 2e8, \"val_loss\": \"n/a\"}\n",
                                 &map, &b, &nb, err),
                     1);
    assert_true(b.pt[0].N == 1e7 && b.pt[0].D == 2e8 && b.pt[0].loss == 3.5);
    assert_true(has_note(&nb, "t.jsonl:2:44:", "key 'val_loss' (loss): expected a number"));
    psl_data_free(&b);
    psl_notes_free(&nb);
    /* bad lines */
    const char *bad = "{\"N\": 1e7, \"D\": 2e8, \"loss\": 3.5}\n"                     /* 1: good */
                      "[1, 2]\n"                                                      /* 2 */
                      "{\"N\": 1e7, \"D\": 2e8}\n"                                    /* 3 */
                      "{\"N\": 1e7, \"D\": 2e8, \"loss\": [3.5]}\n"                   /* 4 */
                      "{\"N\": 1e7, \"N\": 2e7, \"D\": 2e8, \"loss\": 3}\n"           /* 5 */
                      "{\"N\": 1e7, \"D\": 2e8, \"loss\": 3.5} x\n"                   /* 6 */
                      "{\"N\": 1e7, \"D\": 2e8, \"format\": \"int\n"                  /* 7 */
                      "{\"N\": 1e7 \"D\": 2e8}\n"                                     /* 8 */
                      "{\"N\": -1, \"D\": 2e8, \"loss\": 3}\n"                        /* 9 */
                      "{\"N\": 1e7, \"D\": 2e8, \"P\": 4, \"P_w\": 4, \"loss\": 3}\n" /* 10 */
                      "{\"N\": 1e7, \"D\": 2e8, \"loss\": 3.6, \"status\": \"failed\"}\n"; /* 11 */
    assert_int_equal(parse_jsonl(bad, NULL, &b, &nb, err), 1);
    assert_true(has_note(&nb, "t.jsonl:2:1:", "expected a JSON object"));
    assert_true(has_note(&nb, "t.jsonl:3:", "no key 'loss' (required)"));
    assert_true(has_note(&nb, "t.jsonl:4:30:",
                         "key 'loss': expected a number, a string or null, "
                         "got an array"));
    assert_true(has_note(&nb, "t.jsonl:5:12:", "key 'N' appears twice"));
    assert_true(has_note(&nb, "t.jsonl:6:35:", "text after the object"));
    assert_true(has_note(&nb, "t.jsonl:7:32:", "string is not closed"));
    assert_true(has_note(&nb, "t.jsonl:8:11:", "expected ',' or '}' after the value of key 'N'"));
    assert_true(has_note(&nb, "t.jsonl:9:7:", "key 'N': expected a positive finite number"));
    assert_true(has_note(&nb, "t.jsonl:10:", "P (tied precision) cannot be combined"));
    assert_true(has_note(&nb, "t.jsonl:11:", "run failed"));
    psl_data_free(&b);
    psl_notes_free(&nb);
    assert_int_equal(parse_jsonl("# nothing\n\n", NULL, &b, &nb, err), -1);
    assert_non_null(strstr(err, "t.jsonl: no JSON objects"));
    psl_data_free(&b);
    psl_notes_free(&nb);
    psl_data_free(&a);
    psl_notes_free(&na);
}

/* Two symbolic links from a results directory to itself used to make the walk
 * exponential (a hang): each directory is read once, by device and inode. */
static void test_dir_link_loop(void **state) {
    (void)state;
    char dir[64] = "/tmp/psl_test_loop_XXXXXX", p[256], cmd[160];
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/sub", dir);
    assert_int_equal(mkdir(p, 0777), 0);
    h5run r = h5run_default("00000000000000b1", 1000000, 20000000, 16);
    snprintf(p, sizeof p, "%s/sub/run.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    snprintf(p, sizeof p, "%s/sub/a", dir);
    assert_int_equal(symlink("..", p), 0);
    snprintf(p, sizeof p, "%s/sub/b", dir);
    assert_int_equal(symlink("..", p), 0);
    snprintf(p, sizeof p, "%s/self", dir);
    assert_int_equal(symlink(".", p), 0);
    psl_read_opts o = {0};
    psl_data d;
    psl_notes n;
    psl_data_init(&d);
    psl_notes_init(&n);
    char err[512];
    assert_int_equal(psl_read_dir(dir, &o, &d, &n, err, sizeof err), 1);
    assert_int_equal(d.nruns, 1);
    assert_true(has_note(&n, "/sub/a", "already read"));
    psl_data_free(&d);
    psl_notes_free(&n);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Writes attribute name of obj as an array of 3 strings (fixed length when flen > 0). */
/* Reads the run files under dir, HDF5's own error printing off (the files are meant to be
 * bad); at least one must be read. */
static void read_dir_quietly(const char *dir, psl_data *d, psl_notes *n) {
    psl_read_opts o = {0};
    char err[512];
    psl_data_init(d);
    psl_notes_init(n);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    assert_true(psl_read_dir(dir, &o, d, n, err, sizeof err) >= 1);
}

static void put_string_array(const char *file, const char *obj, const char *name, size_t flen) {
    hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0)
        H5Adelete_by_name(f, obj, name, H5P_DEFAULT);
    hsize_t three = 3;
    hid_t sp = H5Screate_simple(1, &three, NULL), t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, flen ? flen : H5T_VARIABLE);
    hid_t a = H5Acreate_by_name(f, obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    static const char *v[3] = {"done", "done", "done"};
    static const char fx[3][300] = {"done", "done", "done"};
    assert_true(H5Awrite(a, t, flen ? (const void *)fx : (const void *)v) >= 0);
    H5Aclose(a);
    H5Tclose(t);
    H5Sclose(sp);
    H5Fclose(f);
}

/* An array attribute where a string is expected was read into one string (a stack
 * overflow for fixed-length strings, a smashed pointer for variable-length ones): the
 * file is refused by name and a directory read goes on with the other files. */
static void test_array_string_attribute(void **state) {
    (void)state;
    char dir[64] = "/tmp/psl_test_attr_XXXXXX", p[256], cmd[160];
    assert_non_null(mkdtemp(dir));
    h5run r = h5run_default("00000000000000c1", 1000000, 20000000, 16);
    snprintf(p, sizeof p, "%s/a_good.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    const char *names[][2] = {{"/final", "status"}, {"/", "run_id"}, {"/config", "format_w"}};
    for (int i = 0; i < 3; i++)
        for (int fixed = 0; fixed < 2; fixed++) {
            static char ids[6][20];
            snprintf(ids[i * 2 + fixed], sizeof ids[0], "00000000000000d%d", i * 2 + fixed);
            r.run_id = ids[i * 2 + fixed];
            snprintf(p, sizeof p, "%s/bad%d%d.h5", dir, i, fixed);
            assert_int_equal(h5run_write(p, &r), 0);
            put_string_array(p, names[i][0], names[i][1], fixed ? 300 : 0);
        }
    psl_data d;
    psl_notes n;
    read_dir_quietly(dir, &d, &n);
    assert_int_equal(d.nruns, 1);
    assert_true(has_note(&n, "bad00.h5", "status"));
    assert_true(has_note(&n, "bad01.h5", "status"));
    assert_true(has_note(&n, "bad10.h5", "run_id"));
    assert_true(has_note(&n, "bad11.h5", "run_id"));
    assert_true(has_note(&n, "bad20.h5", "format_w"));
    assert_true(has_note(&n, "bad21.h5", "format_w"));
    psl_data_free(&d);
    psl_notes_free(&n);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Text fields of a run file are kept whole or refused, never cut silently (they were cut
 * at their buffers: a format_w, run_id or /ptq table name past 63 or 127 characters came
 * out shortened, and two runs could then share a format key or a method): a format_w of
 * 64 characters, a run_id of 200, a /ptq table name of 70 and a status of 40 refuse the
 * file with the field and the limit; 63 and 127 characters are read whole; a free-text
 * /final reason over its buffer is kept with "..." at the cut. */
static void test_long_h5_fields(void **state) {
    (void)state;
    char dir[64] = "/tmp/psl_test_long_XXXXXX", p[256], cmd[160];
    assert_non_null(mkdtemp(dir));
    char f63[64], f64[65], id127[128], id200[201], m70[71], st40[41], why[700];
    memset(f63, 'f', 63), f63[63] = 0;
    memset(f64, 'g', 64), f64[64] = 0;
    memset(id127, 'a', 127), id127[127] = 0;
    memset(id200, 'b', 200), id200[200] = 0;
    memset(m70, 'm', 70), m70[70] = 0;
    memset(st40, 'd', 40), st40[40] = 0;
    memset(why, 'w', 699), why[699] = 0;
    h5run r = h5run_default(id127, 1000000, 20000000, 4);
    r.format_w = f63;
    r.nptq = 1, r.ptq_bits[0] = 3, r.ptq_loss[0] = 3.9;
    snprintf(p, sizeof p, "%s/a_whole.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    r = h5run_default("00000000000000e1", 1000000, 20000000, 4);
    r.format_w = f64;
    snprintf(p, sizeof p, "%s/b_format.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    r = h5run_default(id200, 1000000, 20000000, 16);
    snprintf(p, sizeof p, "%s/c_runid.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    r = h5run_default("00000000000000e3", 1000000, 20000000, 16);
    r.nptq = 1, r.ptq_bits[0] = 3, r.ptq_loss[0] = 3.9;
    snprintf(p, sizeof p, "%s/d_method.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    char to[80];
    snprintf(to, sizeof to, "/ptq/%s", m70);
    assert_true(H5Lmove(f, "/ptq/gptq", f, to, H5P_DEFAULT, H5P_DEFAULT) >= 0);
    H5Fclose(f);
    r = h5run_default("00000000000000e4", 1000000, 20000000, 16);
    r.status = st40;
    snprintf(p, sizeof p, "%s/e_status.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    /* a failed run whose reason is longer than the reader keeps */
    r = h5run_default("00000000000000e5", 1000000, 20000000, 16);
    r.status = "failed";
    snprintf(p, sizeof p, "%s/f_reason.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    H5Adelete_by_name(f, "/final", "reason", H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t a =
        H5Acreate_by_name(f, "/final", "reason", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *wp = why;
    assert_true(H5Awrite(a, t, &wp) >= 0);
    H5Aclose(a), H5Sclose(sp), H5Tclose(t), H5Fclose(f);

    psl_data d;
    psl_notes n;
    read_dir_quietly(dir, &d, &n);
    assert_int_equal(d.nruns, 1);
    assert_int_equal(d.n, 2); /* the run and its PTQ point */
    for (size_t i = 0; i < d.n; i++) {
        assert_string_equal(d.pt[i].run_id, id127);
        assert_string_equal(d.pt[i].format, f63);
    }
    assert_true(has_note(&n, "b_format.h5", "format_w is longer than 63 characters"));
    assert_true(has_note(&n, "c_runid.h5", "run_id is longer than 127 characters"));
    assert_true(has_note(&n, "d_method.h5", "table name of 70 characters, at most 63"));
    assert_true(has_note(&n, "e_status.h5", "is not done, diverged or failed"));
    assert_true(has_note(&n, "f_reason.h5", "failed run skipped (wwww"));
    assert_true(has_note(&n, "f_reason.h5", "www...)"));
    psl_data_free(&d);
    psl_notes_free(&n);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* psl_h5_read_curve: the /train and /eval tables of a run file (the schema helper writes
 * three rows each: tokens 1000, 2000, 3000, loss 5, 4.5, 4); a file without them has 0
 * rows; a missing file is an error naming it. */
static void test_h5_curve(void **state) {
    (void)state;
    char dir[64] = "/tmp/psl_test_curve_XXXXXX", p[256], cmd[160], err[512];
    assert_non_null(mkdtemp(dir));
    h5run r = h5run_default("00000000000000e1", 1000000, 20000000, 16);
    snprintf(p, sizeof p, "%s/run.h5", dir);
    assert_int_equal(h5run_write(p, &r), 0);
    psl_curve c;
    assert_int_equal(psl_h5_read_curve(p, &c, err, sizeof err), 0);
    assert_int_equal(c.ntrain, 3);
    assert_int_equal(c.neval, 3);
    for (int k = 0; k < 3; k++) {
        assert_true(c.train_tokens[k] == 1000.0 * (k + 1));
        assert_true(c.eval_tokens[k] == 1000.0 * (k + 1));
        assert_true(c.train_loss[k] == 5 - 0.5 * k);
        assert_true(c.eval_loss[k] == 5 - 0.5 * k);
    }
    psl_curve_free(&c);
    /* without the tables: 0 rows, no error */
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "/train", H5P_DEFAULT) >= 0);
    assert_true(H5Ldelete(f, "/eval/loss", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    assert_int_equal(psl_h5_read_curve(p, &c, err, sizeof err), -1); /* /eval without loss */
    assert_non_null(strstr(err, "run.h5: /eval/loss is missing"));
    assert_null(c.eval_tokens);
    f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(f, "/eval", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    assert_int_equal(psl_h5_read_curve(p, &c, err, sizeof err), 0);
    assert_int_equal(c.ntrain, 0);
    assert_int_equal(c.neval, 0);
    psl_curve_free(&c);
    snprintf(p, sizeof p, "%s/none.h5", dir);
    assert_int_equal(psl_h5_read_curve(p, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "none.h5: not a readable HDF5 file"));
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h5_curve),
        cmocka_unit_test(test_csv_basic),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_h5),
        cmocka_unit_test(test_keep_ptq_method),
        cmocka_unit_test(test_ptq_method_long_names),
        cmocka_unit_test(test_long_text_fields),
        cmocka_unit_test(test_csv_map),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_dir_link_loop),
        cmocka_unit_test(test_array_string_attribute),
        cmocka_unit_test(test_long_h5_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
