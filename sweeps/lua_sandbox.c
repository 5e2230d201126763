#include "lua_sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static lua_sandbox *sandbox_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static double clock_s(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts)) return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 0 while the load is in time, else the limit passed (sticky). The wall clock is cheap
 * to read (vDSO); the thread's CPU clock is a system call, read every 5 ms of wall time
 * at most (CPU time cannot grow faster than wall time in one thread). */
static int time_over(lua_sandbox *sb) {
    if (sb->time_up) return sb->time_up;
    double now = clock_s(CLOCK_MONOTONIC);
    if (now - sb->wall_start > sb->wall_limit) return sb->time_up = SANDBOX_LIMIT_WALL;
    if (now >= sb->next_cpu_check) {
        sb->next_cpu_check = now + 0.005;
        if (clock_s(CLOCK_THREAD_CPUTIME_ID) - sb->cpu_start > sb->cpu_limit)
            return sb->time_up = SANDBOX_LIMIT_CPU;
    }
    return 0;
}

/* The allocator enforces the memory limit, and (every MiB or 1024 allocations) the time
 * limits: once the time is up it refuses to grow anything, so even a C function that
 * never returns to the VM stops at its next allocation. Lua turns a refused allocation
 * into an ordinary "not enough memory" error that the call reports. */
static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lua_sandbox *sb = ud;
    if (!ptr) osize = 0; /* osize then codes the object type, not a size */
    if (nsize == 0) {
        free(ptr);
        sb->mem_used -= osize;
        return NULL;
    }
    if (nsize > osize) {
        if (sb->mem_used + (nsize - osize) > sb->mem_limit) {
            sb->limit_hit = SANDBOX_LIMIT_MEMORY;
            return NULL;
        }
        sb->alloc_bytes += nsize - osize;
        if (++sb->alloc_count >= 1024 || sb->alloc_bytes >= (1u << 20)) {
            sb->alloc_count = sb->alloc_bytes = 0;
            time_over(sb);
        }
        if (sb->time_up) {
            sb->limit_hit = sb->time_up;
            return NULL;
        }
    }
    void *p = realloc(ptr, nsize);
    if (p) sb->mem_used = sb->mem_used - osize + nsize;
    return p;
}

static void describe_limit(const lua_sandbox *sb, int which, char *buf, size_t len) {
    if (which == SANDBOX_LIMIT_MEMORY)
        snprintf(buf, len, "memory limit exceeded (%zu MiB): the config builds too much",
                 sb->mem_limit >> 20);
    else if (which == SANDBOX_LIMIT_INSTRUCTIONS)
        snprintf(buf, len, "instruction limit exceeded (%lld instructions; an endless loop?)",
                 sb->instruction_limit);
    else if (which == SANDBOX_LIMIT_WALL)
        snprintf(buf, len, "time limit exceeded (%g s of wall-clock time)", sb->wall_limit);
    else
        snprintf(buf, len, "time limit exceeded (%g s of CPU time)", sb->cpu_limit);
}

/* The line of the innermost frame of the config file (0: none on the stack). */
static int config_line(lua_State *L, const lua_sandbox *sb) {
    lua_Debug ar;
    if (!sb->source[0]) return 0;
    for (int level = 0; level < 200 && lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && !strcmp(ar.source, sb->source))
            return ar.currentline;
    return 0;
}

/* Raises the error of a limit, naming the config line that was running. */
static void limit_error(lua_State *L, lua_sandbox *sb, int which) {
    char what[160];
    sb->limit_hit = which;
    describe_limit(sb, which, what, sizeof what);
    int line = config_line(L, sb);
    if (line > 0)
        lua_pushfstring(L, "%s:%d: %s", sb->path, line, what);
    else
        lua_pushstring(L, what);
    lua_error(L);
}

enum { HOOK_EVERY = 1000 };

static void count_hook(lua_State *L, lua_Debug *ar) {
    lua_sandbox *sb = sandbox_of(L);
    sb->instructions += HOOK_EVERY;
    if (sb->instructions > sb->instruction_limit) limit_error(L, sb, SANDBOX_LIMIT_INSTRUCTIONS);
    if (time_over(sb)) limit_error(L, sb, sb->time_up);
    /* Where the config is, for a memory error (the allocator cannot ask). */
    if (sb->source[0] && lua_getinfo(L, "Sl", ar) && ar->currentline > 0 &&
        !strcmp(ar->source, sb->source))
        sb->last_line = ar->currentline;
}

void sandbox_charge(lua_State *L, long long cost) {
    lua_sandbox *sb = sandbox_of(L);
    if (cost > 0)
        sb->instructions =
            cost > LLONG_MAX - sb->instructions ? LLONG_MAX : sb->instructions + cost;
    if (sb->instructions > sb->instruction_limit) limit_error(L, sb, SANDBOX_LIMIT_INSTRUCTIONS);
    if (time_over(sb)) limit_error(L, sb, sb->time_up);
}

size_t sandbox_room(lua_State *L) {
    lua_sandbox *sb = sandbox_of(L);
    return sb->mem_used < sb->mem_limit ? sb->mem_limit - sb->mem_used : 0;
}

int sandbox_reserve(lua_sandbox *sb, size_t bytes) {
    if (bytes > sb->mem_limit - sb->mem_used) lua_gc(sb->L, LUA_GCCOLLECT);
    if (sb->mem_used > sb->mem_limit || bytes > sb->mem_limit - sb->mem_used) {
        sb->limit_hit = SANDBOX_LIMIT_MEMORY;
        return -1;
    }
    sb->mem_used += bytes;
    return 0;
}

/* load() for text chunks only, as a string: binary chunks could break the VM. */
static int safe_load(lua_State *L) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    int has_env = !lua_isnone(L, 4);
    if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 4);
        if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    }
    return 1;
}

static int limit_passed(const lua_sandbox *sb) {
    return sb->limit_hit || sb->time_up;
}

/* pcall that cannot swallow a limit: once a limit is hit, the error goes on up to the
 * loader, so `while true do pcall(loop) end` still stops. */
static int safe_pcall(lua_State *L) {
    lua_sandbox *sb = sandbox_of(L);
    luaL_checkany(L, 1);
    int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (rc != LUA_OK && limit_passed(sb)) return lua_error(L);
    lua_pushboolean(L, rc == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* xpcall(f, h, ...): Lua would run h at the point of the error, and for an error raised
 * by the count hook that is with the hooks off (so a handler that loops hangs the load).
 * Here h runs after the error has unwound, as an ordinary call under every limit; it
 * sees the same error value (the config has no debug library, so nothing is lost). */
static int safe_xpcall(lua_State *L) {
    lua_sandbox *sb = sandbox_of(L);
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++) lua_pushvalue(L, i);
    int rc = lua_pcall(L, n - 2, LUA_MULTRET, 0);
    if (rc == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    if (limit_passed(sb)) return lua_error(L);
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK && limit_passed(sb)) return lua_error(L);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* setmetatable without finalizers: Lua runs __gc with the hooks off (and at lua_close
 * for anything left), so a finalizer that loops would hang every load. Only tables get
 * metatables here (no debug.setmetatable), and a table is marked for finalization only
 * when setmetatable sees __gc, so refusing that here disables finalizers for good. */
static int safe_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int gc = lua_rawget(L, 2);
        lua_pop(L, 1);
        if (gc != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc (finalizers) is not available in a sweep "
                                 "config");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* The table functions whose work grows with a length or range they read (and that can
 * loop over C metamethods without returning to the VM) charge that work first, then run
 * the library's own function (upvalue 1). */
enum { TAB_INSERT, TAB_REMOVE, TAB_MOVE, TAB_SORT, TAB_CONCAT, TAB_UNPACK };

static long long span(lua_Integer from, lua_Integer to) {
    if (to < from) return 0;
    lua_Unsigned n = (lua_Unsigned)to - (lua_Unsigned)from;
    return n >= (lua_Unsigned)(LLONG_MAX / 4) ? LLONG_MAX / 4 : (long long)n + 1;
}

/* Argument idx as an integer (floats with integral values and numeric strings too),
 * dflt when absent or not a number. */
static lua_Integer opt_int(lua_State *L, int idx, lua_Integer dflt) {
    int ok = 0;
    lua_Integer v = lua_isnoneornil(L, idx) ? 0 : lua_tointegerx(L, idx, &ok);
    return ok ? v : dflt;
}

static int charged_table_fn(lua_State *L) {
    int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
    int n = lua_gettop(L);
    long long cost = 1;
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_Integer len = 0;
        if (kind == TAB_SORT || kind == TAB_CONCAT || kind == TAB_UNPACK ||
            (kind == TAB_INSERT && n >= 3) || (kind == TAB_REMOVE && n >= 2))
            len = luaL_len(L, 1);
        if (kind == TAB_INSERT && n >= 3) cost += span(opt_int(L, 2, len), len);
        if (kind == TAB_REMOVE && n >= 2) cost += span(opt_int(L, 2, len), len);
        if (kind == TAB_MOVE) cost += span(opt_int(L, 2, 1), opt_int(L, 3, 0));
        if (kind == TAB_CONCAT) cost += span(opt_int(L, 3, 1), opt_int(L, 4, len));
        if (kind == TAB_UNPACK) cost += span(opt_int(L, 2, 1), opt_int(L, 3, len));
        if (kind == TAB_SORT) {
            long long m = len > 1 ? (long long)len : 1, lg = 1;
            while (lg < 62 && (1LL << lg) < m) lg++;
            cost += m > LLONG_MAX / lg ? LLONG_MAX / 2 : m * lg;
        }
    }
    sandbox_charge(L, cost);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* print() goes to stderr (or print_out) so that it never mixes with a command's table
 * output, up to print_limit bytes per load; then one note, and nothing more. */
static void print_bytes(lua_sandbox *sb, const char *s, size_t len) {
    if (sb->print_cut) return;
    size_t room = sb->print_limit - sb->print_used;
    if (len > room) {
        fwrite(s, 1, room, sb->print_out);
        fprintf(sb->print_out, "\n[print output truncated]\n");
        sb->print_used = sb->print_limit;
        sb->print_cut = 1;
        return;
    }
    fwrite(s, 1, len, sb->print_out);
    sb->print_used += len;
}

static int capped_print(lua_State *L) {
    lua_sandbox *sb = sandbox_of(L);
    int n = lua_gettop(L);
    for (int i = 1; i <= n && !sb->print_cut; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        sandbox_charge(L, (long long)(len / 16));
        if (i > 1) print_bytes(sb, "\t", 1);
        print_bytes(sb, s, len);
        lua_pop(L, 1);
    }
    print_bytes(sb, "\n", 1);
    return 0;
}

/* Replaces global library `name` by a copy (the original stays in package.loaded, where
 * error messages of the library's own functions find their names) and leaves the copy on
 * the stack. */
static void copy_library(lua_State *L, const char *name) {
    lua_getglobal(L, name);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_remove(L, -2);
    lua_pushvalue(L, -1);
    lua_setglobal(L, name);
}

void sandbox_set_time_limits(lua_sandbox *sb, double cpu_s, double wall_s) {
    sb->cpu_limit = cpu_s > 0 ? cpu_s : SANDBOX_CPU_LIMIT_S;
    sb->wall_limit = wall_s > 0 ? wall_s : SANDBOX_WALL_LIMIT_S;
    sb->wall_start = clock_s(CLOCK_MONOTONIC);
    sb->cpu_start = clock_s(CLOCK_THREAD_CPUTIME_ID);
    sb->next_cpu_check = sb->wall_start;
    sb->time_up = 0;
}

int sandbox_open(lua_sandbox *sb, size_t mem_limit, long long instruction_limit, char *err,
                 size_t errlen) {
    memset(sb, 0, sizeof *sb);
    sb->mem_limit = mem_limit;
    sb->instruction_limit = instruction_limit;
    sb->print_limit = SANDBOX_PRINT_LIMIT;
    sb->print_out = stderr;
    sandbox_set_time_limits(sb, 0, 0);
    sb->L = lua_newstate(limited_alloc, sb);
    if (!sb->L) {
        snprintf(err, errlen, "cannot create the Lua state");
        return -1;
    }
    lua_State *L = sb->L;
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
                                    {LUA_STRLIBNAME, luaopen_string},
                                    {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_MATHLIBNAME, luaopen_math}};
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    static const char *removed[] = {"dofile", "loadfile", "collectgarbage"};
    for (size_t i = 0; i < sizeof removed / sizeof *removed; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    static const luaL_Reg base[] = {{"load", safe_load},
                                    {"pcall", safe_pcall},
                                    {"xpcall", safe_xpcall},
                                    {"setmetatable", safe_setmetatable},
                                    {"print", capped_print}};
    for (size_t i = 0; i < sizeof base / sizeof *base; i++) {
        lua_pushcfunction(L, base[i].func);
        lua_setglobal(L, base[i].name);
    }

    /* string: the copy has the sandbox's pattern functions and rep, no dump, and is what
     * strings index (s:find(...)). */
    copy_library(L, LUA_STRLIBNAME);
    sandbox_open_strlib(L);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 3);

    copy_library(L, LUA_TABLIBNAME);
    static const struct {
        const char *name;
        int kind;
    } charged[] = {{"insert", TAB_INSERT}, {"remove", TAB_REMOVE}, {"move", TAB_MOVE},
                   {"sort", TAB_SORT},     {"concat", TAB_CONCAT}, {"unpack", TAB_UNPACK}};
    for (size_t i = 0; i < sizeof charged / sizeof *charged; i++) {
        lua_getfield(L, -1, charged[i].name);
        lua_pushinteger(L, charged[i].kind);
        lua_pushcclosure(L, charged_table_fn, 2);
        lua_setfield(L, -2, charged[i].name);
    }
    lua_pop(L, 1);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    return 0;
}

void sandbox_close(lua_sandbox *sb) {
    if (sb->L) lua_close(sb->L);
    sb->L = NULL;
}

/* Where msg goes on after Lua's short form of the config's name ("..." and the path's
 * tail, for paths over 59 bytes), or NULL when it does not start with it. */
static const char *after_short_name(const lua_sandbox *sb, const char *msg) {
    size_t n = strlen(sb->path);
    if (!n || strncmp(msg, "...", 3)) return NULL;
    const char *colon = strchr(msg + 3, ':');
    size_t k = colon ? (size_t)(colon - msg - 3) : 0;
    return k > 0 && k < n && !strncmp(msg + 3, sb->path + n - k, k) ? colon : NULL;
}

/* Whether msg already starts with the config's name and a ':'. */
static int names_file(const lua_sandbox *sb, const char *msg) {
    size_t n = strlen(sb->path);
    return !n || (!strncmp(msg, sb->path, n) && msg[n] == ':');
}

/* Message handler of sandbox_call: at the point of the error, puts the config line in
 * front of a message that lacks it (error("x", 0), error{}, "C stack overflow", errors
 * raised by C functions called from C) and names non-string error values, without
 * calling their __tostring (which could fail or loop). */
static int locate_error(lua_State *L) {
    lua_sandbox *sb = sandbox_of(L);
    int line = config_line(L, sb);
    if (lua_type(L, 1) == LUA_TSTRING) {
        const char *msg = lua_tostring(L, 1), *rest = after_short_name(sb, msg);
        if (rest)
            lua_pushfstring(L, "%s%s", sb->path, rest);
        else if (line > 0 && !names_file(sb, msg))
            lua_pushfstring(L, "%s:%d: %s", sb->path, line, msg);
        return 1;
    }
    if (line > 0)
        lua_pushfstring(L, "%s:%d: error object is a %s value", sb->path, line,
                        luaL_typename(L, 1));
    else
        lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
    return 1;
}

/* err = "path: msg" unless msg already names the file. */
static void name_the_file(const lua_sandbox *sb, const char *msg, int line, char *err,
                          size_t errlen) {
    const char *rest = after_short_name(sb, msg);
    if (rest)
        snprintf(err, errlen, "%s%s", sb->path, rest);
    else if (names_file(sb, msg))
        snprintf(err, errlen, "%s", msg);
    else if (line > 0)
        snprintf(err, errlen, "%s:%d: %s", sb->path, line, msg);
    else
        snprintf(err, errlen, "%s: %s", sb->path, msg);
}

int sandbox_load(lua_sandbox *sb, const char *text, size_t len, const char *chunkname, char *err,
                 size_t errlen) {
    sb->limit_hit = 0;
    if (chunkname[0] == '@') {
        snprintf(sb->path, sizeof sb->path, "%s", chunkname + 1);
        snprintf(sb->source, sizeof sb->source, "%s", chunkname);
    }
    int rc = luaL_loadbufferx(sb->L, text, len, chunkname, "t");
    if (rc == LUA_OK) return 0;
    const char *msg = lua_type(sb->L, -1) == LUA_TSTRING ? lua_tostring(sb->L, -1) : NULL;
    char what[256];
    if (rc == LUA_ERRMEM || sb->limit_hit) {
        describe_limit(sb, sb->time_up ? sb->time_up : SANDBOX_LIMIT_MEMORY, what, sizeof what);
        msg = what;
    } else if (msg && !strcmp(msg, "C stack overflow")) {
        msg = "C stack overflow (the config nests too deep)";
    }
    name_the_file(sb, msg ? msg : "cannot load the config", 0, err, errlen);
    lua_pop(sb->L, 1);
    return -1;
}

int sandbox_call(lua_sandbox *sb, int nargs, int nresults, char *err, size_t errlen) {
    lua_State *L = sb->L;
    sb->limit_hit = 0;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, locate_error);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (rc == LUA_OK) {
        sb->last_line = 0;
        return 0;
    }
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    char what[256];
    int line = 0;
    if (rc == LUA_ERRMEM || sb->limit_hit == SANDBOX_LIMIT_MEMORY ||
        (sb->time_up && (!msg || !strstr(msg, "time limit exceeded")))) {
        /* The allocator refused: the message is Lua's "not enough memory". */
        describe_limit(sb, sb->time_up ? sb->time_up : SANDBOX_LIMIT_MEMORY, what, sizeof what);
        msg = what;
        line = sb->last_line;
    } else if (!msg) {
        snprintf(what, sizeof what, "error object is a %s value", luaL_typename(L, -1));
        msg = what;
    }
    if (sb->path[0])
        name_the_file(sb, msg, line, err, errlen);
    else
        snprintf(err, errlen, "%s", msg);
    sb->last_line = 0;
    lua_pop(L, 1);
    return -1;
}

int sandbox_seed_random(lua_sandbox *sb, unsigned long long seed, char *err, size_t errlen) {
    lua_State *L = sb->L;
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "randomseed");
    lua_remove(L, -2);
    lua_pushinteger(L, (lua_Integer)(seed & 0x7fffffffffffffffULL));
    return sandbox_call(sb, 1, 0, err, errlen);
}
