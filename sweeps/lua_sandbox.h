#ifndef SWEEP_LUA_SANDBOX_H
#define SWEEP_LUA_SANDBOX_H
/* An embedded Lua 5.4 state for untrusted configs: only the base, string, table and
 * math libraries (no os, io, package, require, dofile, loadfile, no binary chunks),
 * a memory limit through the allocator, an instruction limit through a count hook,
 * and math.random seeded from the config text. The limits live in the state's
 * allocator userdata, so there is no global state. */
#include <lua.h>
#include <stddef.h>

typedef struct lua_sandbox {
    lua_State *L;
    size_t mem_used, mem_limit;
    long long instructions, instruction_limit;
    int limit_hit; /* 1: memory, 2: instructions */
} lua_sandbox;

/* Opens the state; returns -1 with err set when it cannot. */
int sandbox_open(lua_sandbox *sb, size_t mem_limit, long long instruction_limit, char *err,
                 size_t errlen);
void sandbox_close(lua_sandbox *sb);

/* Loads text (never binary) as chunk `chunkname` ("@path" names errors path:line) and
 * leaves the function on the stack; returns -1 with the syntax error in err. */
int sandbox_load(lua_sandbox *sb, const char *text, size_t len, const char *chunkname, char *err,
                 size_t errlen);

/* lua_pcall with nargs/nresults; on error writes the message (with the limit that was
 * hit, if any) into err and returns -1, leaving nothing of the call on the stack. */
int sandbox_call(lua_sandbox *sb, int nargs, int nresults, char *err, size_t errlen);

/* Seeds math.random from a 64-bit value (the loader uses a hash of the config text). */
int sandbox_seed_random(lua_sandbox *sb, unsigned long long seed, char *err, size_t errlen);
#endif
