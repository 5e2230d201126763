/* The Lua sandbox's limits (sweeps/lua_sandbox.h): time limits that hold where no
 * instruction is counted, the sandbox's own pattern functions (checked against Lua's on
 * fixed and random patterns), charged table functions, xpcall handlers and finalizers,
 * the print budget, and the file named in every load error. Each hostile case must end
 * within a few seconds; a hang fails the test through its CTest timeout. */
#include "lua_sandbox.h"
#include "sweepdef.h"

#include <lauxlib.h>
#include <lualib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The thread's CPU time: each case's bound is on the work done before the limit stops
 * it. Wall time is not: on a loaded machine (CI runs two tests at once beside other
 * jobs) 2e8 instructions took 10.3 s of wall time where they take 2 s alone. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs text as chunk "@t.lua" in sb; 0 or -1 with err set. */
static int run(lua_sandbox *sb, const char *text, char *err, size_t errlen) {
    if (sandbox_load(sb, text, strlen(text), "@t.lua", err, errlen)) return -1;
    return sandbox_call(sb, 0, 0, err, errlen);
}

/* text must fail in a fresh sandbox (instruction limit `instr`, time limits cpu/wall)
 * with an error containing want, within max_s seconds of CPU time. */
static void expect_stop(const char *text, long long instr, double cpu, double wall,
                        const char *want, double max_s) {
    lua_sandbox sb;
    char err[1024] = "";
    assert_int_equal(sandbox_open(&sb, (size_t)256 << 20, instr, err, sizeof err), 0);
    sandbox_set_time_limits(&sb, cpu, wall);
    double t0 = now_s();
    int rc = run(&sb, text, err, sizeof err);
    double dt = now_s() - t0;
    sandbox_close(&sb);
    if (rc == 0 || !strstr(err, want) || dt > max_s)
        fail_msg("%s\nexpected \"%s\" within %g s of CPU; got rc %d after %.2f s: %s", text, want,
                 max_s, rc, dt, err);
}

static void expect_ok(lua_sandbox *sb, const char *text) {
    char err[1024] = "";
    if (run(sb, text, err, sizeof err)) fail_msg("%.200s\nfailed: %s", text, err);
}

/* The sandbox's find/match/gmatch/gsub/rep against Lua's own (kept in package.loaded,
 * which the config cannot reach): the same results, and errors for the same patterns. */
static const char *differential =
    "local new, old = string, orig\n"
    "local function pack(...) return { n = select('#', ...), ... } end\n"
    "local function same(a, b)\n"
    "  if a[1] ~= b[1] then return false end\n"
    "  if not a[1] then return true end\n" /* both failed: messages may differ */
    "  if a.n ~= b.n then return false end\n"
    "  for i = 1, a.n do if a[i] ~= b[i] then return false end end\n"
    "  return true\n"
    "end\n"
    "local function all(f, ...)\n"
    "  local ok, it = pcall(f, ...)\n"
    "  if not ok then return { false, n = 1 } end\n"
    "  local out = { true, n = 1 }\n"
    "  for _ = 1, 100 do\n"
    "    local r = pack(pcall(it))\n"
    "    if not r[1] then return { false, n = 1 } end\n"
    "    if r[2] == nil then break end\n"
    "    for i = 2, r.n do out.n = out.n + 1; out[out.n] = r[i] end\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "local checked = 0\n"
    "local function check(what, a, b, s, p, ...)\n"
    "  checked = checked + 1\n"
    "  if not same(a, b) then\n"
    "    local function show(r) local t = {} for i = 1, r.n do t[i] = tostring(r[i]) end\n"
    "      return table.concat(t, ',') end\n"
    "    error(string.format('%s(%q, %q, %s): sandbox %s, Lua %s', what, s, p,\n"
    "      table.concat({tostring(... or '')}, ','), show(a), show(b)), 0)\n"
    "  end\n"
    "end\n"
    "local repl_t = { a = 'A', hello = false, x = 1 }\n"
    "local function repl_f(x, y) if x == 'b' then return nil end return '<' .. tostring(x) ..\n"
    "  tostring(y) .. '>' end\n"
    "local function one(s, p)\n"
    "  for _, init in ipairs({ 1, 2, -1, -3, 0, 50, -100 }) do\n"
    "    check('find', pack(pcall(new.find, s, p, init)), pack(pcall(old.find, s, p, init)), s, p, "
    "init)\n"
    "    check('find plain', pack(pcall(new.find, s, p, init, true)),\n"
    "      pack(pcall(old.find, s, p, init, true)), s, p, init)\n"
    "    check('match', pack(pcall(new.match, s, p, init)), pack(pcall(old.match, s, p, init)), s, "
    "p, init)\n"
    "    check('gmatch', all(new.gmatch, s, p, init), all(old.gmatch, s, p, init), s, p, init)\n"
    "  end\n"
    "  for _, r in ipairs({ '<%0>', '%1%1', '%%', '', 'x', repl_t, repl_f, '%2', '%a' }) do\n"
    "    for _, n in ipairs({ 100, 1, 0 }) do\n"
    "      check('gsub', pack(pcall(new.gsub, s, p, r, n)), pack(pcall(old.gsub, s, p, r, n)), s, "
    "p, n)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local subjects = { '', 'a', 'b', 'hello world', '  key = value  ', 'aaab', 'abab',\n"
    "  '(foo(bar))baz', 'THE (quick) fox', 'x=1, y=22, z=333', 'abc\\0def', '[]]%-^$',\n"
    "  'caf\\195\\169', 'hello hello', '\\n\\t x' }\n"
    "local patterns = { '', 'a', '^a', 'a$', '^$', '$', '.', '%a+', '%d+', '(%w+)=(%w+)',\n"
    "  '()a()', '%s*', '[%w_]+', '[^%s]+', '[]]', '[^]]', '[a-c]+', '%bxy', '%b()', '%f[%w]%w+',\n"
    "  '%f[%W]', '(a*(.)%w(%s*))', 'a-b', 'a?a', '(%w+) %1', '%%', '[%]]', 'x*$', '.-$',\n"
    "  '(h)(e)(l)(l)(o)', '%S+', '[%a-]', '[-a]', '^(%s*)(.-)(%s*)$', '[a-]', '%x+', '[%d%s]+',\n"
    "  'a*', 'a+', 'a-', '.-', '(a)%1', '%0', '^', '%^', 'l+', '[^l]+', '\\0', '[\\0-\\1]', '%z',\n"
    "  '[a', '%', '(', '%1', '(()', '%b', '%ba', '%f', '%fa', 'a)', '(a', '[%', '[^', '%g+%p',\n"
    "  '%u%l*', '%c', '[]', '[^]', '()', '(()())', '%f[%z]' }\n"
    "for _, s in ipairs(subjects) do for _, p in ipairs(patterns) do one(s, p) end end\n"
    "local atoms = { 'a', 'b', '.', '%a', '%s', '%d', '[ab]', '[^a]', '%b()', '%f[a]', '(', ')',\n"
    "  '()', '%1', '*', '+', '-', '?', '^', '$', ' ', '%', '[', ']', '%w', '=' }\n"
    "local chars = { 'a', 'b', ' ', '(', ')', '1', '=', 'A' }\n"
    "math.randomseed(12345)\n"
    "for _ = 1, 1500 do\n"
    "  local p, s = {}, {}\n"
    "  for i = 1, math.random(0, 6) do p[i] = atoms[math.random(#atoms)] end\n"
    "  for i = 1, math.random(0, 10) do s[i] = chars[math.random(#chars)] end\n"
    "  one(table.concat(s), table.concat(p))\n"
    "end\n"
    "for _, a in ipairs({ { 'ab', 3, ',' }, { 'x', 0 }, { 'x', -1 }, { '', 5 }, { 'ab', 1, '-' },\n"
    "  { '', 3, '.' }, { 'abc', 4 } }) do\n"
    "  check('rep', pack(pcall(new.rep, a[1], a[2], a[3])), pack(pcall(old.rep, a[1], a[2], "
    "a[3])),\n"
    "    a[1], tostring(a[2]))\n"
    "end\n"
    "assert(checked > 100000, checked)\n";

static void test_patterns_agree_with_lua(void **state) {
    (void)state;
    lua_sandbox sb;
    char err[2048] = "";
    assert_int_equal(sandbox_open(&sb, (size_t)256 << 20, 4000000000LL, err, sizeof err), 0);
    lua_getfield(sb.L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(sb.L, -1, LUA_STRLIBNAME);
    lua_setglobal(sb.L, "orig");
    lua_pop(sb.L, 1);
    expect_ok(&sb, differential);
    sandbox_close(&sb);
}

static void test_pattern_work_is_counted(void **state) {
    (void)state;
    /* Exponential backtracking within one call: 0.5 s here, ages with Lua's matcher. */
    expect_stop("return ('a'):rep(30):find(('a*'):rep(30) .. 'b')", 200000000, 0, 0,
                "t.lua:1: instruction limit exceeded", 10);
    expect_stop("local s = ('a'):rep(1 << 22) local p = ('a'):rep(1 << 10) .. 'b'\n"
                "for _ = 1, 1e6 do s:find(p, 1, true) end",
                200000000, 0, 0, "t.lua:2: instruction limit exceeded", 10);
    expect_stop("local s = (' '):rep(1 << 16) .. 'x'\nreturn s:gsub('%s*$', '')", 200000000, 0, 0,
                "t.lua:2: instruction limit exceeded", 10);
    /* Nothing repeated: no loop at all. */
    lua_sandbox sb;
    char err[512];
    assert_int_equal(sandbox_open(&sb, (size_t)256 << 20, 1000000, err, sizeof err), 0);
    expect_ok(&sb, "assert(string.rep('', 1e15) == '' and string.rep('', 1e15, '') == '')");
    expect_ok(&sb, "assert(not pcall(string.rep, 'x', 1 << 40))");
    sandbox_close(&sb);
}

static void test_table_functions_are_charged(void **state) {
    (void)state;
    expect_stop("local t = {} for i = 1, 1e5 do t[i] = i end\n"
                "for i = 1, 1e8 do table.insert(t, 1, i) table.remove(t, 1) end",
                200000000, 0, 0, "t.lua:2: instruction limit exceeded", 10);
    expect_stop("local t = setmetatable({}, {__len = function() return 2^50 end,\n"
                "  __index = rawlen, __newindex = rawequal})\n"
                "table.move(t, 1, #t, 2)",
                200000000, 0, 0, "t.lua:3: instruction limit exceeded", 10);
    expect_stop("local t = setmetatable({}, {__index = rawlen})\n"
                "return table.concat(t, '', 1, 2^52)",
                200000000, 0, 0, "t.lua:2: instruction limit exceeded", 10);
    /* Appends, sorts and concats of ordinary sizes are far from the limit. */
    lua_sandbox sb;
    char err[512];
    assert_int_equal(sandbox_open(&sb, (size_t)256 << 20, 200000000, err, sizeof err), 0);
    expect_ok(&sb, "local t = {} for i = 1, 1e6 do table.insert(t, 1000000 - i) end\n"
                   "table.sort(t) assert(t[1] == 0) assert(table.concat(t, ',', 1, 3) == '0,1,2')\n"
                   "for _ = 1, 1e5 do table.remove(t) end assert(#t == 9e5)\n"
                   "assert(select('#', table.unpack(t, 1, 100)) == 100)\n"
                   "local ok, e = pcall(table.insert, t, 1, 2, 3)\n"
                   "assert(not ok and e:find('wrong number of arguments'), e)");
    sandbox_close(&sb);
}

static void test_time_limits(void **state) {
    (void)state;
    const long long no_count = 1000000000000000LL;
    /* The hook checks the clocks. */
    expect_stop("while true do end", no_count, 0.3, 30,
                "t.lua:1: time limit exceeded (0.3 s of CPU", 3);
    expect_stop("while true do end", no_count, 30, 0.3,
                "t.lua:1: time limit exceeded (0.3 s of wall-clock", 3);
    /* One C call that never returns to the VM (concat over a C __index): stopped by the
     * allocator, which refuses to grow anything once the time is up. */
    expect_stop("local t = setmetatable({}, {__index = rawlen})\n"
                "return table.concat(t, '', 1, 2^40)",
                no_count, 0.3, 30, "time limit exceeded (0.3 s of CPU", 3);
    /* pcall cannot swallow the time limit. */
    expect_stop("while true do pcall(function() while true do end end) end", no_count, 0.3, 30,
                "time limit exceeded", 3);
    /* The default is generous. */
    lua_sandbox sb;
    char err[512];
    assert_int_equal(sandbox_open(&sb, (size_t)256 << 20, 1000, err, sizeof err), 0);
    assert_true(sb.cpu_limit == SANDBOX_CPU_LIMIT_S && sb.wall_limit == SANDBOX_WALL_LIMIT_S);
    assert_true(SANDBOX_CPU_LIMIT_S >= 10 && SANDBOX_WALL_LIMIT_S >= SANDBOX_CPU_LIMIT_S);
    sandbox_close(&sb);
}

static void test_xpcall_handlers_and_finalizers(void **state) {
    (void)state;
    /* Lua would run this handler with the hooks off: it would never stop. */
    expect_stop("xpcall(function() while true do end end, function() while true do end end)",
                200000000, 0, 0, "t.lua:1: instruction limit exceeded", 10);
    expect_stop("xpcall(error, function() while true do end end, 'x')", 200000000, 0, 0,
                "t.lua:1: instruction limit exceeded", 10);
    expect_stop("setmetatable({}, {__gc = function() while true do end end})", 200000000, 0, 0,
                "t.lua:1: setmetatable: __gc (finalizers) is not available", 3);
    expect_stop("setmetatable({}, {__gc = false})", 200000000, 0, 0, "__gc", 3);
    lua_sandbox sb;
    char err[512];
    assert_int_equal(sandbox_open(&sb, (size_t)256 << 20, 200000000, err, sizeof err), 0);
    expect_ok(&sb, "local ok, m = xpcall(error, function(e) return 'h:' .. e end, 'x', 0)\n"
                   "assert(ok == false and m == 'h:x', m)\n"
                   "local r = table.pack(xpcall(function(a, b) return a + b, 7 end, print, 1, 2))\n"
                   "assert(r.n == 3 and r[1] == true and r[2] == 3 and r[3] == 7)\n"
                   "local ok2, m2 = xpcall(error, function() error('again', 0) end, 'x')\n"
                   "assert(ok2 == false and m2 == 'again', m2)\n"
                   "assert(not pcall(xpcall, print))\n"
                   "local t = setmetatable({}, {__index = function() return 5 end})\n"
                   "assert(t.x == 5 and getmetatable(t).__index)\n"
                   "local p = setmetatable({}, {__metatable = 'no'})\n"
                   "assert(not pcall(setmetatable, p, {}))\n"
                   /* A __gc added after setmetatable never makes a finalizer (Lua's rule). */
                   "local mt = {} for i = 1, 1000 do setmetatable({}, mt) end\n"
                   "mt.__gc = function() while true do end end");
    sandbox_close(&sb); /* lua_close would hang on a finalizer */
}

static void test_print_budget(void **state) {
    (void)state;
    lua_sandbox sb;
    char err[512];
    assert_int_equal(sandbox_open(&sb, (size_t)256 << 20, 200000000, err, sizeof err), 0);
    FILE *f = tmpfile();
    assert_non_null(f);
    sb.print_out = f;
    expect_ok(&sb, "print('first', 1, nil, true)");
    expect_ok(&sb, "local line = ('x'):rep(100) for i = 1, 1e5 do print(line, i) end");
    expect_ok(&sb, "print('after the budget')");
    long size = ftell(f);
    rewind(f);
    char *all = calloc(1, (size_t)size + 1);
    assert_non_null(all);
    assert_int_equal(fread(all, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    assert_true(size <= SANDBOX_PRINT_LIMIT + 64 && size >= SANDBOX_PRINT_LIMIT);
    assert_memory_equal(all, "first\t1\tnil\ttrue\n", 17);
    const char *note = "[print output truncated]";
    char *at = strstr(all, note);
    assert_non_null(at);
    assert_null(strstr(at + 1, note));
    assert_string_equal(at + strlen(note), "\n");
    assert_null(strstr(all, "after the budget"));
    free(all);
    sandbox_close(&sb);
}

/* Every load error names the file: path:line where a line is known, else path:. */
static void expect_load_error(const char *path, const char *text, size_t len, const char *want) {
    static const sweep_load_opts opts = {.results = "/tmp/psl-none",
                                         .fallback_vocab = 384,
                                         .instruction_limit = 20000000,
                                         .mem_limit = (size_t)32 << 20};
    sweep_def d;
    char err[2048] = "";
    int rc = sweep_load_text(path, text, len, &opts, &d, err, sizeof err);
    if (rc == 0) sweep_free(&d);
    if (rc == 0 || strncmp(err, want, strlen(want)))
        fail_msg("%.200s\nexpected an error starting \"%s\", got rc %d: %s", text, want, rc, err);
}

static void test_errors_name_the_file(void **state) {
    (void)state;
    const char *p = "cfgs/x.lua";
    struct {
        const char *text, *want;
    } cases[] = {
        {"error('boom', 0)", "cfgs/x.lua:1: boom"},
        {"\nerror('boom', 2)", "cfgs/x.lua:2: boom"},
        {"error({})", "cfgs/x.lua:1: error object is a table value"},
        {"error()", "cfgs/x.lua:1: error object is a nil value"},
        {"error(setmetatable({}, {__tostring = function() error('t') end}))",
         "cfgs/x.lua:1: error object is a table value"},
        {"print(setmetatable({}, {__tostring = function() error('t', 0) end}))", "cfgs/x.lua:1: t"},
        {"local function f() return string.gsub('x', 'x', f) end\nf()",
         "cfgs/x.lua:1: C stack overflow"},
        {"assert(load('\\27Lua'))", "cfgs/x.lua:1: attempt to load a binary chunk"},
        {"\x1bLua\x54\0\x19\x93\r\n\x1a\n", "cfgs/x.lua: attempt to load a binary chunk"},
        {"\n\nwhile true do end", "cfgs/x.lua:3: instruction limit exceeded"},
        {"local s = 'x' for i = 1, 40 do s = s .. s end", "cfgs/x.lua: memory limit exceeded"},
        {"load('error(1)')()", "cfgs/x.lua:1: error object is a number value"},
        {"return 5", "cfgs/x.lua: the config must return a table"},
        {"return sweep{ runs = grid{ seed = {1, 2} }, lr = function() error('d', 0) end }",
         "run 1, derived field 'lr' (set at cfgs/x.lua:1): cfgs/x.lua:1: d"},
        {"x = = 1", "cfgs/x.lua:1: unexpected symbol"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = strlen(cases[i].text);
        if (cases[i].text[0] == 27) len = 12;
        expect_load_error(p, cases[i].text, len, cases[i].want);
    }
    /* Nested too deep for the parser: no line is known. */
    char deep[1200] = "return ";
    for (int i = 0; i < 300; i++) strcat(deep, "{");
    expect_load_error(p, deep, strlen(deep), "cfgs/x.lua: C stack overflow");
    /* A path longer than Lua's short names (60 bytes) is given in full. */
    const char *longp =
        "some/very/long/directory/name/that/goes/on/and/on/and/on/configs/sweep.lua";
    char want[200];
    snprintf(want, sizeof want, "%s:2: attempt to call a nil value", longp);
    expect_load_error(longp, "\nundefined_function()", 21, want);
    snprintf(want, sizeof want, "%s:1: unexpected symbol", longp);
    expect_load_error(longp, "x = = 1", 7, want);
}

static void test_loader_c_memory_is_counted(void **state) {
    (void)state;
    /* 4000 runs are some 9 MiB of C structures: over a 8 MiB limit. */
    static const sweep_load_opts opts = {
        .results = "/tmp/psl-none", .fallback_vocab = 384, .mem_limit = (size_t)8 << 20};
    const char *text = "local r = {} for i = 1, 4000 do r[i] = {seed = i} end return {runs = r}";
    sweep_def d;
    char err[1024] = "";
    int rc = sweep_load_text("m.lua", text, strlen(text), &opts, &d, err, sizeof err);
    if (rc == 0) sweep_free(&d);
    if (rc == 0 || !strstr(err, "m.lua:1: memory limit exceeded (8 MiB): 4000 runs take"))
        fail_msg("got rc %d: %s", rc, err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patterns_agree_with_lua),
        cmocka_unit_test(test_pattern_work_is_counted),
        cmocka_unit_test(test_table_functions_are_charged),
        cmocka_unit_test(test_time_limits),
        cmocka_unit_test(test_xpcall_handlers_and_finalizers),
        cmocka_unit_test(test_print_budget),
        cmocka_unit_test(test_errors_name_the_file),
        cmocka_unit_test(test_loader_c_memory_is_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
