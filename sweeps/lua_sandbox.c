#include "lua_sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The allocator enforces the memory limit; Lua turns a refused allocation into an
 * ordinary "not enough memory" error that the call reports. */
static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lua_sandbox *sb = ud;
    if (!ptr) osize = 0; /* osize then codes the object type, not a size */
    if (nsize == 0) {
        free(ptr);
        sb->mem_used -= osize;
        return NULL;
    }
    if (nsize > osize && sb->mem_used + (nsize - osize) > sb->mem_limit) {
        sb->limit_hit = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p) sb->mem_used = sb->mem_used - osize + nsize;
    return p;
}

enum { HOOK_EVERY = 1000 };

static void count_hook(lua_State *L, lua_Debug *ar) {
    void *ud;
    lua_getallocf(L, &ud);
    lua_sandbox *sb = ud;
    sb->instructions += HOOK_EVERY;
    if (sb->instructions > sb->instruction_limit) {
        sb->limit_hit = 2;
        /* Name the line the config was executing when the budget ran out. */
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            luaL_error(L, "%s:%d: instruction limit exceeded (%I instructions; an endless loop?)",
                       ar->short_src, ar->currentline, (lua_Integer)sb->instruction_limit);
        luaL_error(L, "instruction limit exceeded (%I instructions; an endless loop?)",
                   (lua_Integer)sb->instruction_limit);
    }
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

/* pcall/xpcall that cannot swallow a limit: once a limit is hit, the error goes on up
 * to the loader, so `while true do pcall(loop) end` still stops. */
static int guarded_pcall(lua_State *L, int has_handler) {
    void *ud;
    lua_getallocf(L, &ud);
    lua_sandbox *sb = ud;
    luaL_checkany(L, 1);
    int base = 1;
    if (has_handler) {
        luaL_checktype(L, 2, LUA_TFUNCTION);
        lua_pushvalue(L, 1); /* stack: f h args... f */
        lua_copy(L, 2, 1);   /* h h args... f */
        lua_replace(L, 2);   /* h f args... */
        base = 2;
    }
    int rc = lua_pcall(L, lua_gettop(L) - base, LUA_MULTRET, has_handler ? 1 : 0);
    if (rc != LUA_OK && sb->limit_hit) return lua_error(L);
    lua_pushboolean(L, rc == LUA_OK);
    lua_insert(L, base);
    return lua_gettop(L) - base + 1;
}
static int safe_pcall(lua_State *L) {
    return guarded_pcall(L, 0);
}
static int safe_xpcall(lua_State *L) {
    return guarded_pcall(L, 1);
}

/* print() goes to stderr so that it never mixes with a command's table output. */
static int stderr_print(lua_State *L) {
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1) fputc('\t', stderr);
        fwrite(s, 1, len, stderr);
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

int sandbox_open(lua_sandbox *sb, size_t mem_limit, long long instruction_limit, char *err,
                 size_t errlen) {
    memset(sb, 0, sizeof *sb);
    sb->mem_limit = mem_limit;
    sb->instruction_limit = instruction_limit;
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
    lua_pushcfunction(L, safe_load);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, safe_pcall);
    lua_setglobal(L, "pcall");
    lua_pushcfunction(L, safe_xpcall);
    lua_setglobal(L, "xpcall");
    lua_pushcfunction(L, stderr_print);
    lua_setglobal(L, "print");
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    return 0;
}

void sandbox_close(lua_sandbox *sb) {
    if (sb->L) lua_close(sb->L);
    sb->L = NULL;
}

int sandbox_load(lua_sandbox *sb, const char *text, size_t len, const char *chunkname, char *err,
                 size_t errlen) {
    sb->limit_hit = 0;
    int rc = luaL_loadbufferx(sb->L, text, len, chunkname, "t");
    if (rc == LUA_OK) return 0;
    const char *msg = lua_tostring(sb->L, -1);
    if (rc == LUA_ERRMEM || sb->limit_hit == 1)
        snprintf(err, errlen, "%s: memory limit exceeded (%zu MiB)", chunkname + 1,
                 sb->mem_limit >> 20);
    else
        snprintf(err, errlen, "%s", msg ? msg : "cannot load the config");
    lua_pop(sb->L, 1);
    return -1;
}

int sandbox_call(lua_sandbox *sb, int nargs, int nresults, char *err, size_t errlen) {
    sb->limit_hit = 0;
    int rc = lua_pcall(sb->L, nargs, nresults, 0);
    if (rc == LUA_OK) return 0;
    const char *msg = lua_type(sb->L, -1) == LUA_TSTRING ? lua_tostring(sb->L, -1) : NULL;
    if (rc == LUA_ERRMEM || sb->limit_hit == 1)
        snprintf(err, errlen, "memory limit exceeded (%zu MiB): the config builds too much",
                 sb->mem_limit >> 20);
    else if (msg)
        snprintf(err, errlen, "%s", msg);
    else
        snprintf(err, errlen, "error object is a %s value", luaL_typename(sb->L, -1));
    lua_pop(sb->L, 1);
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
