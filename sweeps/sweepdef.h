#ifndef SWEEP_SWEEPDEF_H
#define SWEEP_SWEEPDEF_H
/* A sweep config (Lua, docs/config.md) expanded into its runs: each one a resolved
 * train_config with an identity (config_run_id) and a readable, unique name. The list
 * is sorted (N, then D, then name), so an index names the same run every time. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

/* The rule for sweep and run names, which become directory and file names under
 * --results: 1 to SWEEP_NAME_MAX bytes of letters, digits and '.', '_', '+', '=', '-';
 * not '.' or '-' first; no "..". Checked when a sweep is loaded, on the final names (after
 * "_<run id>" is added to names that collide). The limit leaves room within a file name's
 * 255 bytes for every suffix the harness appends (".ckpt.replaced-<time>" is the longest,
 * 25 bytes; ".state.tmp.<pid>"). */
enum { SWEEP_NAME_MAX = 200 };

typedef struct sweep_run {
    train_config cfg; /* resolved; out = <results>/<sweep>/<name>.h5 */
    uint64_t id;
    char id_hex[17];
    int64_t N;
    double flops_per_token, flops; /* flops = tokens * flops_per_token */
    int64_t train_tokens;          /* tokens in the data's train split (0: unknown) */
    char precision[64];            /* e.g. "fp32", "bf16", "w4a8kv4-int" */
    char where[160];               /* file:line of the helper call that made the run */
    int named;                     /* the config set (or derived) its name */
    /* Cooldown branches (docs/sweeps.md): a run whose branch_from names another run of
     * the sweep (its name, name.h5, or "@LABEL" of a run with label = "LABEL") has
     * cfg.branch_from set to that run's file and parent = its index; -1 for a run that
     * is no branch or whose parent is a file outside the sweep. branch_step is the step
     * a branch starts from (its decay start, lr_decay_start), 0 for no branch. */
    long parent;
    int64_t branch_step;
    char label[64]; /* the run's label field (not a knob), "" if none */
} sweep_run;

typedef struct sweep_def {
    char name[SWEEP_NAME_MAX + 1];
    char description[256];
    char path[512];
    char dir[640]; /* <results>/<name> */
    sweep_run *runs;
    size_t n;
    char *source; /* the config text */
    size_t source_len;
    int data_missing; /* some data dir had no token files; fallback_vocab was used */
} sweep_def;

typedef struct sweep_load_opts {
    const char *results;         /* parent of the sweep's directory; NULL: "results" */
    const char *dir;             /* the sweep's directory itself (overrides results) */
    int64_t fallback_vocab;      /* vocab when <data>/train.tok is missing; 0: error */
    size_t mem_limit;            /* bytes; 0: 256 MiB */
    long long instruction_limit; /* 0: 200 million */
    long max_runs;               /* 0: 100000 */
} sweep_load_opts;

int sweep_load_file(const char *path, const sweep_load_opts *o, sweep_def *out, char *err,
                    size_t errlen);
/* As sweep_load_file, from text already read; path names the chunk in errors. */
int sweep_load_text(const char *path, const char *text, size_t len, const sweep_load_opts *o,
                    sweep_def *out, char *err, size_t errlen);
void sweep_free(sweep_def *d);

/* JSON of the whole expanded sweep: name, and per run its name, run_id and canonical
 * config; every string escaped (control characters and bytes outside ASCII as \u00XX).
 * Returns a malloc'd string or NULL. */
char *sweep_json(const sweep_def *d);

/* 0 when name[0..len) follows the rule; else -1 with why saying what is wrong and what
 * is expected ("holds '/' at position 3; use letters, digits, ..."). */
int sweep_check_name(const char *name, size_t len, char *why, size_t whylen);

/* name[0..len) for a one-line message: in double quotes, '"' and '\\' escaped, bytes
 * outside printable ASCII as \xNN, cut after 80 bytes ("..."). */
void sweep_quote_name(const char *name, size_t len, char *buf, size_t buflen);

/* --only PATTERN: a glob (fnmatch) when it has *?[, else a substring; NULL matches all. */
int sweep_name_matches(const char *pattern, const char *name);

/* The checkpoint a branch needs: <parent without .h5>.step<S>.ckpt (train.c's name). */
void sweep_kept_checkpoint(const sweep_run *r, char *buf, size_t len);

/* Index of the run called name, or -1. */
long sweep_find(const sweep_def *d, const char *name);
#endif
