#ifndef SWEEP_LUA_SANDBOX_H
#define SWEEP_LUA_SANDBOX_H
/* An embedded Lua 5.4 state for untrusted configs: only the base, string, table and
 * math libraries (no os, io, package, require, dofile, loadfile, no binary chunks, no
 * __gc finalizers), and limits on everything a load may spend:
 * - memory, through the allocator (what the loader builds in C is reserved against the
 *   same budget, sandbox_reserve);
 * - instructions, through a count hook; the C functions whose work is not bounded by
 *   their arguments' memory (pattern matching, plain find, string.rep, table shifts,
 *   sorts, concat) are the sandbox's own or wrapped, and charge their work to the same
 *   count (sandbox_charge);
 * - CPU and wall-clock time, checked in the hook, in those functions and in the
 *   allocator, so that a load ends even where no instruction is counted;
 * - print() output (a byte budget, then one "[print output truncated]" note).
 * xpcall's message handler runs after the error has unwound, with the limits on, and no
 * pcall/xpcall can swallow a limit. Every error a call reports names the config file
 * (path:line where a line is known, else path:). All of it lives in the struct, which
 * the state's allocator userdata points to: there is no global state. */
#include <lua.h>
#include <stddef.h>
#include <stdio.h>

/* Defaults of sandbox_open; the loader keeps them (docs/config.md, "Errors and limits"). */
#define SANDBOX_CPU_LIMIT_S  20.0
#define SANDBOX_WALL_LIMIT_S 60.0
enum { SANDBOX_PRINT_LIMIT = 64 << 10 };

enum {
    SANDBOX_LIMIT_MEMORY = 1,
    SANDBOX_LIMIT_INSTRUCTIONS = 2,
    SANDBOX_LIMIT_WALL = 3,
    SANDBOX_LIMIT_CPU = 4
};

typedef struct lua_sandbox {
    lua_State *L;
    size_t mem_used, mem_limit;
    long long instructions, instruction_limit;
    int limit_hit;                /* of the last call: SANDBOX_LIMIT_*, 0: none */
    int time_up;                  /* sticky for the load: SANDBOX_LIMIT_WALL or _CPU, 0: in time */
    double cpu_limit, wall_limit; /* seconds */
    double wall_start, cpu_start; /* the clocks when the limits were set */
    double next_cpu_check;        /* wall-clock time of the next CPU-clock read */
    size_t alloc_bytes, alloc_count; /* growth since the allocator last read the clock */
    size_t print_limit, print_used;  /* bytes */
    int print_cut;                   /* the truncation note was written */
    FILE *print_out;                 /* stderr unless changed */
    int last_line;                   /* config line the hook last saw (0: none) */
    char path[512];                  /* the config file ("" until it is loaded) */
    char source[514];                /* its chunk name, "@path" */
} lua_sandbox;

/* Opens the state with the default time and print limits; returns -1 with err set when
 * it cannot. */
int sandbox_open(lua_sandbox *sb, size_t mem_limit, long long instruction_limit, char *err,
                 size_t errlen);
void sandbox_close(lua_sandbox *sb);

/* Sets the CPU and wall-clock limits in seconds (<= 0: the default) and restarts both
 * clocks. */
void sandbox_set_time_limits(lua_sandbox *sb, double cpu_s, double wall_s);

/* Loads text (never binary) as chunk `chunkname` ("@path" names errors path:line, and
 * makes path the file every later error names) and leaves the function on the stack;
 * returns -1 with the error in err. */
int sandbox_load(lua_sandbox *sb, const char *text, size_t len, const char *chunkname, char *err,
                 size_t errlen);

/* lua_pcall with nargs/nresults; on error writes the message (with the limit that was
 * hit, if any, and the file) into err and returns -1, leaving nothing of the call on the
 * stack. */
int sandbox_call(lua_sandbox *sb, int nargs, int nresults, char *err, size_t errlen);

/* Seeds math.random from a 64-bit value (the loader uses a hash of the config text). */
int sandbox_seed_random(lua_sandbox *sb, unsigned long long seed, char *err, size_t errlen);

/* Counts `bytes` of memory the caller allocates outside Lua against the memory limit
 * (after a full collection when they do not fit at once); -1 when they do not fit. */
int sandbox_reserve(lua_sandbox *sb, size_t bytes);

/* For C code running inside a call on L's sandbox: adds `cost` to the instruction count
 * and checks the clocks; raises the limit's error (a Lua error, so it does not return)
 * when a limit is passed. cost 0 only checks the time. */
void sandbox_charge(lua_State *L, long long cost);

/* Bytes the memory limit still allows. */
size_t sandbox_room(lua_State *L);

/* string.find, match, gmatch, gsub and rep, implemented in sandbox_strlib.c with their
 * work charged: sets them in the table at the top of the stack. */
void sandbox_open_strlib(lua_State *L);
#endif
