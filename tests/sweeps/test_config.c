/* The config loader: helpers, expansion order, identity, names, derived fields, the
 * sandbox and its limits. No token files: data dirs fall back to a 384-token vocab. */
#include "sweepdef.h"
#include "model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const sweep_load_opts opts = {
    .results = "/tmp/psl-none", .fallback_vocab = 384, .instruction_limit = 20000000};

static int load(const char *text, sweep_def *d, char *err, size_t errlen) {
    return sweep_load_text("t.lua", text, strlen(text), &opts, d, err, errlen);
}

/* Loads text that must fail; the message must contain `want`. */
static void expect_error(const char *text, const char *want) {
    sweep_def d;
    char err[2048] = "";
    int rc = load(text, &d, err, sizeof err);
    if (rc == 0) sweep_free(&d);
    if (rc == 0 || !strstr(err, want))
        fail_msg("config:\n%s\nexpected an error with \"%s\", got rc %d: %s", text, want, rc, err);
}

static const char *tiny = "ctx = 32, batch = 8, d_model = 32, n_layer = 2, n_head = 2, ";

static void test_grid_order_and_count(void **state) {
    (void)state;
    char text[1024];
    snprintf(
        text, sizeof text,
        "return sweep{ %s tokens = 8192, runs = grid{ seed = {2, 1}, lr = {0.01, 0.001, 0.002} } }",
        tiny);
    sweep_def d;
    char err[1024];
    assert_int_equal(load(text, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 6);
    /* Equal N and D: sorted by name, so lr then seed in text order. */
    for (size_t i = 1; i < d.n; i++)
        assert_true(strcmp(d.runs[i - 1].cfg.name, d.runs[i].cfg.name) < 0);
    assert_string_equal(d.runs[0].cfg.name, "d32-l2-h2_D8.19k_fp32_s1_lr0.001");
    assert_string_equal(d.runs[5].cfg.name, "d32-l2-h2_D8.19k_fp32_s2_lr0.01");
    assert_string_equal(d.name, "t");
    assert_string_equal(d.runs[0].cfg.out, "/tmp/psl-none/t/d32-l2-h2_D8.19k_fp32_s1_lr0.001.h5");
    /* Identity is the engine's run id of the resolved config. */
    for (size_t i = 0; i < d.n; i++) assert_true(d.runs[i].id == config_run_id(&d.runs[i].cfg));
    sweep_free(&d);
}

static void test_deterministic(void **state) {
    (void)state;
    const char *text =
        "local xs = {} for i = 1, 4 do xs[i] = math.random(1, 1000) end\n"
        "return sweep{ ctx = 32, d_model = 32, n_head = 2, n_layer = 2, tokens = 4096,"
        " runs = grid{ seed = xs } }";
    sweep_def a, b;
    char err[1024];
    assert_int_equal(load(text, &a, err, sizeof err), 0);
    assert_int_equal(load(text, &b, err, sizeof err), 0);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.runs[i].cfg.name, b.runs[i].cfg.name);
        assert_true(a.runs[i].id == b.runs[i].id);
    }
    sweep_free(&a);
    sweep_free(&b);
}

static void test_zip_ladder_logspace(void **state) {
    (void)state;
    const char *text = "return sweep{ ctx = 32, runs = grid{\n"
                       "  model = ladder{ d = {32, 64}, l = {1, 2}, head_dim = 16 },\n"
                       "  pair = zip{ lr = logspace(0.001, 0.1, 3), seed = {7, 8, 9} },\n"
                       "  tokens = 4096 } }";
    sweep_def d;
    char err[1024];
    assert_int_equal(load(text, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 6);
    /* Sorted by N: the three d32 runs first. */
    assert_int_equal(d.runs[0].cfg.d_model, 32);
    assert_int_equal(d.runs[0].cfg.n_head, 2);
    assert_int_equal(d.runs[3].cfg.n_layer, 2);
    assert_int_equal(d.runs[3].cfg.n_head, 4);
    int seen[3] = {0};
    for (size_t i = 0; i < 3; i++) {
        int s = (int)d.runs[i].cfg.seed - 7;
        assert_true(s >= 0 && s < 3);
        seen[s] = 1;
        double want = s == 0 ? 0.001 : s == 1 ? 0.01 : 0.1;
        assert_true(d.runs[i].cfg.lr == want);
    }
    assert_true(seen[0] && seen[1] && seen[2]);
    sweep_free(&d);
}

static void test_derived_fields(void **state) {
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "return sweep{ %s runs = grid{ tokens = { function(r) return 10 * r.N end,"
             " function(r) return 40 * r.N end } },"
             " eval_every = function(r) return r.tokens // (r.batch * r.ctx) // 2 end }",
             tiny);
    sweep_def d;
    char err[1024];
    assert_int_equal(load(text, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 2);
    model_shape s = {384, 32, 2, 2, 32, model_default_ffn_hidden(32), 0};
    int64_t N = model_params_nonembedding(&s);
    assert_int_equal(d.runs[0].N, N);
    assert_int_equal(d.runs[0].cfg.tokens, 10 * N);
    assert_int_equal(d.runs[1].cfg.tokens, 40 * N);
    /* Derived fields see the resolved values of the others. */
    assert_int_equal(d.runs[1].cfg.eval_every, 40 * N / (8 * 32) / 2);
    assert_string_equal(d.runs[0].cfg.name, "d32-l2-h2_D10N_fp32_s0_eval_every523");
    sweep_free(&d);
}

static void test_precision_constructors(void **state) {
    (void)state;
    if (!knob_find("w_quant") || !knob_find("kv_quant")) skip();
    char text[1024];
    snprintf(text, sizeof text,
             "return sweep{ %s tokens = 4096, runs = grid{ p = { bf16(), int{w=4, a=8, kv=4},"
             " quest{w=4, a=4}, fp{w=\"e2m1\", a=\"e4m3\"} } } }",
             tiny);
    sweep_def d;
    char err[1024];
    assert_int_equal(load(text, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 4);
    const char *want[] = {"bf16", "w4a4-quest", "w4a8kv4-int", "we2m1-ae4m3"};
    char v[64];
    for (size_t i = 0; i < 4; i++) assert_string_equal(d.runs[i].precision, want[i]);
    config_format_value(&d.runs[2].cfg, knob_find("a_quant"), v, sizeof v);
    assert_string_equal(v, "int8");
    config_format_value(&d.runs[2].cfg, knob_find("kv_quant"), v, sizeof v);
    assert_string_equal(v, "int4");
    config_format_value(&d.runs[1].cfg, knob_find("kv_quant"), v, sizeof v);
    assert_string_equal(v, "fp32");
    sweep_free(&d);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("return sweep{ d_modle = 64 }",
                 "t.lua:1: unknown knob 'd_modle' (did you mean 'd_model'?)");
    expect_error("return sweep{\n d_model = \"big\" }", "t.lua:2: knob d_model: expected a number");
    expect_error("return sweep{ schedule = 3 }", "expected text");
    expect_error("return sweep{ lr = true }", "knob lr: expected a number, got a boolean");
    expect_error("return sweep{ d_model = 64, n_head = 3 }",
                 "n_head=3: expected a divisor of d_model=64");
    expect_error("return sweep{ runs = grid{ lr = {0.001, 30} } }", "knob lr: 30 is out of range");
    expect_error("return sweep{ batch = 1.5 }", "knob batch: '1.5' is not an integer");
    expect_error("return sweep{ runs = { int{w=17} } }",
                 "t.lua:1: int{w=17}: no int format of 17 bits");
    expect_error("return sweep{ out = \"x.h5\" }", "knob out is chosen by sweep run");
    expect_error("return sweep{ lr = {1, 2} }", "field 'lr' is a list");
    expect_error("return sweep{ runs = { {lr = 0.01}, {lr = 0.01} } }",
                 "two runs are the same run");
    expect_error("return sweep{ tokens = function(r) return r.N .. {} end }",
                 "derived field 'tokens'");
    expect_error("return sweep{ tokens = function(r) return -1 end }",
                 "knob tokens: -1 is out of range");
    expect_error("return sweep{ runs = zip{ lr = {1, 2}, seed = {1} } }", "expected equal lengths");
    expect_error("return sweep{ runs = grid{ lr = {} } }", "'lr' is empty");
    expect_error("return 42", "the config must return a table");
    expect_error("return sweep{ name = \"a b\" }", "use letters, digits");
    expect_error("return sweep{ name = \"a b\" }", "t.lua: sweep{name=...}: sweep name \"a b\"");
    expect_error("return sweep{ runs = {} }", "sweep{runs=...}: expected a list of runs");
    expect_error("local t = nil\nreturn t.x", "t.lua:2: attempt to index a nil value");
    expect_error("return {", "t.lua:1: unexpected symbol near <eof>");
}

static void test_sandbox(void **state) {
    (void)state;
    expect_error("os.execute('touch /tmp/psl-pwned')", "global 'os'");
    expect_error("io.open('/etc/passwd')", "global 'io'");
    expect_error("require('os')", "global 'require'");
    expect_error("dofile('/etc/passwd')", "global 'dofile'");
    expect_error("loadfile('/etc/passwd')", "global 'loadfile'");
    expect_error("local f = load('\\27Lua')\nreturn f()", "attempt to call a nil value");
    expect_error("return string.dump(print)", "field 'dump'");
    expect_error("return debug.getinfo(1)", "global 'debug'");
    expect_error("return package.loaded", "global 'package'");
    expect_error("while true do end", "instruction limit exceeded");
    expect_error("while true do pcall(function() while true do end end) end",
                 "instruction limit exceeded");
    expect_error("local s = 'x' for i = 1, 40 do s = s .. s end", "memory limit exceeded");
    expect_error("local v = {} for i = 1, 100 do v[i] = i end\n"
                 "return sweep{ runs = grid{ a = v, b = v, c = v } }",
                 "t.lua:2: grid{...} makes 1000000 runs");
    /* Text chunks through load() are fine and stay in the sandbox. */
    sweep_def d;
    char err[1024];
    assert_int_equal(load("local f = load('return 32')\nreturn sweep{ d_model = f(), n_head = 2,"
                          " n_layer = 1, ctx = 16, tokens = 1000 }",
                          &d, err, sizeof err),
                     0);
    assert_int_equal(d.runs[0].cfg.d_model, 32);
    sweep_free(&d);
}

static void test_name_rule(void **state) {
    (void)state;
    char why[512];
    const char *good[] = {"demo",      "d32-l2-h2_D20N_fp32_s0", "a.b", "x=1+y", "_x", "A9",
                          "x.h5.tmp.1"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (sweep_check_name(good[i], strlen(good[i]), why, sizeof why))
            fail_msg("'%s' refused: %s", good[i], why);
    struct {
        const char *name, *why;
    } bad[] = {{"", "is empty"},
               {"../x", "holds '/' at position 3"},
               {"a/b", "holds '/'"},
               {"..", "starts with '.'"},
               {".x", "starts with '.'"},
               {"-x", "starts with '-'"},
               {"a..b", "holds '..'"},
               {"*", "holds '*'"},
               {"a b", "holds ' '"},
               {"a\nb", "control character 0x0a at position 2"},
               {"x\x7f", "control character 0x7f"},
               {"caf\xc3\xa9", "the byte 0xc3 at position 4"},
               {"a'b", "holds '''"},
               {"a\\b", "holds '\\'"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = sweep_check_name(bad[i].name, strlen(bad[i].name), why, sizeof why);
        if (rc == 0 || !strstr(why, bad[i].why) || !strstr(why, "use letters, digits"))
            fail_msg("'%s': expected \"%s\", got rc %d: %s", bad[i].name, bad[i].why, rc, why);
    }
    assert_int_not_equal(sweep_check_name("a\0b", 3, why, sizeof why), 0); /* a NUL inside */
    char name[SWEEP_NAME_MAX + 2];
    memset(name, 'x', sizeof name);
    assert_int_equal(sweep_check_name(name, SWEEP_NAME_MAX, why, sizeof why), 0);
    assert_int_not_equal(sweep_check_name(name, SWEEP_NAME_MAX + 1, why, sizeof why), 0);
    assert_non_null(strstr(why, "is 201 characters; the limit is 200"));
    char q[64];
    sweep_quote_name("a\"\\\n\xff", 5, q, sizeof q);
    assert_string_equal(q, "\"a\\\"\\\\\\x0a\\xff\"");
}

#define TINY "ctx = 16, batch = 4, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024"

static void test_hostile_names(void **state) {
    (void)state;
    char text[1024];
    expect_error("return sweep{ " TINY ", runs = { {name = \"../../X\"} } }",
                 "t.lua:1: run 1, field 'name': run name \"../../X\": holds '/'");
    expect_error("return sweep{ " TINY ", runs = { {seed = 1}, {name = \"*\"} } }",
                 "run 2, field 'name': run name \"*\": holds '*'");
    expect_error("return sweep{ " TINY ",\n runs = { {name = function(r) return '..' end} } }",
                 "run 1, derived field 'name' (set at t.lua:2): run name \"..\"");
    expect_error("local s = sweep{ " TINY " }\ns.name = 'x\\nrm -rf /'\nreturn s",
                 "t.lua: sweep name \"x\\x0arm -rf /\": holds the control character 0x0a");
    expect_error("local s = sweep{ " TINY " }\n"
                 "return setmetatable({name = '../up', runs = s.runs}, getmetatable(s))",
                 "sweep name \"../up\": holds '/'");
    expect_error("error = function() end\nreturn sweep{ " TINY ", name = 'a/b' }",
                 "sweep name \"a/b\": holds '/'");
    expect_error("string.match = function() return true end\n"
                 "string.find = function() return 1 end\n"
                 "return sweep{ " TINY ", name = 'a b' }",
                 "sweep name \"a b\": holds ' '");
    expect_error("local s = sweep{ " TINY " }\ns.name = 5\nreturn s",
                 "sweep name: expected a string, got a number");
    /* Metamethods of returned tables are never called: raw contents only. */
    expect_error("local s = sweep{ " TINY " }\n"
                 "s.runs = setmetatable({}, {__len = function() return 2^50 end,\n"
                 "  __index = function(_, i) return {name = '../y' .. i} end})\nreturn s",
                 "the sweep has no runs");
    snprintf(text, sizeof text, "return sweep{ " TINY ", runs = { {name = '%0*d'} } }", 201, 0);
    expect_error(text, "run name \"000");
    expect_error(text, "is 201 characters; the limit is 200");
    /* Generated names: checked after naming, with the run's fields in the message. */
    expect_error("return sweep{ " TINY
                 ", runs = grid{ data = { ('a'):rep(190), ('b'):rep(190) } } }",
                 "run #0 in plan order (d_model=32, n_layer=1, n_head=2, tokens=1024, seed=0, "
                 "fp32): generated run name \"d32-l1-h2_D1.02k_fp32_s0_data-aaaa");
    /* Two runs named alike get "_<6 hex>": the limit holds after that suffix too. */
    snprintf(text, sizeof text,
             "return sweep{ " TINY ", runs = { {name = '%0*d'}, {name = '%0*d', seed = 1} } }", 195,
             0, 195, 0);
    expect_error(text, "is 202 characters; the limit is 200");
}

static void test_names_unique_folding_case(void **state) {
    (void)state;
    const char *text = "return sweep{ " TINY ", runs = { {name = 'Run'}, {name = 'run', seed = 1},"
                       " {name = 'other', seed = 2} } }";
    sweep_def d;
    char err[1024];
    assert_int_equal(load(text, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 3);
    int suffixed = 0;
    char taken[256] = "";
    for (size_t i = 0; i < d.n; i++) {
        const char *n = d.runs[i].cfg.name;
        if (!strcmp(n, "other")) continue;
        char want[32];
        snprintf(want, sizeof want, "_%.6s", d.runs[i].id_hex);
        assert_true(!strncasecmp(n, "run_", 4) && !strcmp(n + 3, want));
        snprintf(taken, sizeof taken, "%s", n);
        suffixed++;
    }
    assert_int_equal(suffixed, 2);
    sweep_free(&d);
    /* A third run named like one of those after its suffix (in another case) is refused. */
    char forged[1024];
    for (char *p = taken; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    snprintf(forged, sizeof forged,
             "return sweep{ " TINY ", runs = { {name = 'Run'}, {name = 'run', seed = 1},"
             " {name = '%s', seed = 2} } }",
             taken);
    expect_error(forged, "two runs are both named");
}

/* sweep_json escapes every string it writes, whatever the names hold (the loader
 * refuses such names; this checks the writer alone). */
static void test_sweep_json_escaping(void **state) {
    (void)state;
    sweep_def d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "q\"b\\s\n\x01\x7f\xc3");
    sweep_run run;
    memset(&run, 0, sizeof run);
    config_defaults(&run.cfg);
    snprintf(run.cfg.name, sizeof run.cfg.name, "r\"\\\t");
    snprintf(run.cfg.data, sizeof run.cfg.data, "da\"ta\\\x02\xe9");
    snprintf(run.id_hex, sizeof run.id_hex, "0123456789abcdef");
    d.runs = &run;
    d.n = 1;
    char *json = sweep_json(&d);
    assert_non_null(json);
    assert_non_null(strstr(json, "{\"name\": \"q\\\"b\\\\s\\u000a\\u0001\\u007f\\u00c3\", "));
    assert_non_null(
        strstr(json, "\"name\": \"r\\\"\\\\\\u0009\", \"run_id\": \"0123456789abcdef\""));
    assert_non_null(strstr(json, "\"data\":\"da\\\"ta\\\\\\u0002\\u00e9\""));
    for (const char *p = json; *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\n') || (unsigned char)*p >= 0x7f)
            fail_msg("raw byte 0x%02x at %td in %s", (unsigned char)*p, p - json, json);
    free(json);
}

/* cooldown{}: per model one wsd parent at the largest D keeping the shorter runs' decay
 * starts, and those runs as its branches, with one schedule_tokens and eval_every. */
static void test_cooldown(void **state) {
    (void)state;
    const char *text =
        "return sweep{ ctx = 32, batch = 8, runs = cooldown{\n"
        "  model = ladder{ {d = 32, l = 2, h = 2}, {d = 48, l = 1, h = 2} },\n"
        "  precision = int{w = 4}, tokens = {7680, 5120, 10240}, decay_frac = 0.2 } }";
    sweep_def d;
    char err[2048];
    assert_int_equal(load(text, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 6);
    size_t parents = 0;
    for (size_t i = 0; i < d.n; i++) {
        const sweep_run *r = &d.runs[i];
        assert_string_equal(r->cfg.schedule, "wsd");
        assert_int_equal(r->cfg.schedule_tokens, 10240);
        assert_int_equal(r->cfg.eval_every, 4); /* 40 steps of the parent / 10 */
        assert_string_equal(r->cfg.w_quant, "int4");
        assert_true(r->cfg.decay_frac == 0.2);
        if (r->cfg.tokens == 10240) {
            parents++;
            assert_string_equal(r->cfg.ckpt_keep, "16,24"); /* 20 - 4, 30 - 6 */
            assert_string_equal(r->cfg.branch_from, "");
            assert_int_equal(r->parent, -1);
            assert_int_equal(r->branch_step, 0);
            assert_true(!strncmp(r->label, "cooldown", 8));
            continue;
        }
        assert_true(r->cfg.tokens == 5120 || r->cfg.tokens == 7680);
        assert_int_equal(r->branch_step, r->cfg.tokens == 5120 ? 16 : 24);
        assert_string_equal(r->cfg.ckpt_keep, "");
        assert_true(r->parent >= 0);
        const sweep_run *p = &d.runs[r->parent];
        assert_int_equal(p->cfg.tokens, 10240);
        assert_int_equal(p->cfg.d_model, r->cfg.d_model);
        assert_string_equal(r->cfg.branch_from, p->cfg.out);
        char kept[700];
        sweep_kept_checkpoint(r, kept, sizeof kept);
        char want[700];
        snprintf(want, sizeof want, "%.*s.step%lld.ckpt", (int)(strlen(p->cfg.out) - 3), p->cfg.out,
                 (long long)r->branch_step);
        assert_string_equal(kept, want);
    }
    assert_int_equal(parents, 2);
    sweep_free(&d);
    /* a given eval_every is kept; by name and by @label by hand */
    assert_int_equal(load("return sweep{ ctx = 32, batch = 8, runs = cooldown{ d_model = 32, "
                          "n_layer = 2, n_head = 2, eval_every = 8, tokens = {5120, 10240} } }",
                          &d, err, sizeof err),
                     0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.runs[0].cfg.eval_every, 8);
    assert_int_equal(d.runs[1].cfg.eval_every, 8);
    assert_string_equal(d.runs[1].cfg.ckpt_keep, "16");
    assert_int_equal(d.runs[0].parent, 1);
    sweep_free(&d);
    const char *by_name =
        "return sweep{ ctx = 32, batch = 8, d_model = 32, n_layer = 2, n_head = 2, "
        "schedule = 'wsd', schedule_tokens = 10240, eval_every = 8, runs = {"
        "{ tokens = 10240, ckpt_keep = '16' }, { tokens = 5120, branch_from = "
        "'d32-l2-h2_D10.2k_fp32_s0.h5' }, { tokens = 7680, branch_from = 'elsewhere/p.h5' } } }";
    assert_int_equal(load(by_name, &d, err, sizeof err), 0);
    assert_int_equal(d.runs[0].parent, 2);
    assert_int_equal(d.runs[1].parent, -1); /* outside the sweep: a path */
    assert_string_equal(d.runs[1].cfg.branch_from, "elsewhere/p.h5");
    assert_int_equal(d.runs[1].branch_step, 24);
    sweep_free(&d);
    /* mistakes */
    expect_error("return sweep{ runs = cooldown{ d_model = 32, tokens = {5120} } }",
                 "at least two token counts");
    expect_error("return sweep{ runs = cooldown{ schedule = 'cosine', tokens = {5120, 10240} } }",
                 "branches need schedule = \"wsd\"");
    expect_error("return sweep{ runs = cooldown{ ckpt_keep = '3', tokens = {5120, 10240} } }",
                 "'ckpt_keep' is set by cooldown{} itself");
    expect_error("return sweep{ ctx = 32, batch = 8, runs = grid{ seed = {0, 1}, "
                 "c = cooldown{ tokens = {5120, 10240} } } }",
                 "is on two runs");
    expect_error("return sweep{ ctx = 32, batch = 8, d_model = 32, n_layer = 2, n_head = 2, "
                 "schedule = 'wsd', runs = {"
                 "{ tokens = 10240, ckpt_keep = '16' }, { tokens = 7680, branch_from = "
                 "'d32-l2-h2_D10.2k_fp32_s0' } } }",
                 "add 24 to that run's ckpt_keep");
    expect_error(
        "return sweep{ schedule = 'wsd', runs = { { tokens = 7680, branch_from = '@x' } } }",
        "no run of the sweep has label = \"x\"");
    expect_error("return sweep{ schedule = 'wsd', runs = { { tokens = 7680, label = 'a', "
                 "branch_from = '@a' } } }",
                 "names the run itself");
    expect_error("return sweep{ schedule = 'wsd', decay_frac = 1, runs = cooldown{ "
                 "tokens = {5120, 10240} } }",
                 "all of them decaying");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_order_and_count),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_zip_ladder_logspace),
        cmocka_unit_test(test_derived_fields),
        cmocka_unit_test(test_precision_constructors),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sandbox),
        cmocka_unit_test(test_name_rule),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_names_unique_folding_case),
        cmocka_unit_test(test_sweep_json_escaping),
        cmocka_unit_test(test_cooldown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
