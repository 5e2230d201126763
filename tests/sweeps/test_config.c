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
#include <string.h>

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
    model_shape s = {384, 32, 2, 2, 32, model_default_ffn_hidden(32)};
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_order_and_count),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_zip_ladder_logspace),
        cmocka_unit_test(test_derived_fields),
        cmocka_unit_test(test_precision_constructors),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sandbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
