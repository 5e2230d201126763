/* The config loader over deterministically mutated configs (what the libFuzzer target
 * does, with any compiler, so CI with gcc runs it too, under ASan/UBSan in the
 * sanitizer build): every input must load or fail with a message, never crash.
 * Seeds: the shipped configs, the bad-config corpus, and a few inline configs.
 * Usage: test_mutate CONFIGS_DIR BAD_DIR [MUTANTS_PER_SEED] */
#include "sweepdef.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *inline_seeds[] = {
    "return sweep{ name = \"m\", ctx = 32, d_model = 32, n_layer = 2, n_head = 2,\n"
    "  runs = grid{ model = ladder{ {d=32, l=2, h=2}, {d=64, l=2, h=4} },\n"
    "    p = { bf16(), int{w=4, a=8, kv=4}, quest{w=4, a=4} }, seed = {0, 1} },\n"
    "  tokens = function(r) return 20 * r.N end }\n",
    "return sweep{ runs = zip{ lr = logspace(1e-3, 1e-2, 3), seed = linspace(0, 2, 3) } }\n",
    "return concat(grid{ lr = {0.01} }, { {seed = 3} })\n",
};

/* Tokens spliced into configs: Lua syntax and the helpers' vocabulary. */
static const char *pieces[] = {"{",
                               "}",
                               "(",
                               ")",
                               "=",
                               ",",
                               "\"",
                               "'",
                               "[[",
                               "]]",
                               "--",
                               "function(r) return r.N end",
                               "nil",
                               "true",
                               "0",
                               "-1",
                               "1e309",
                               "grid{",
                               "zip{",
                               "ladder{",
                               "int{w=",
                               "sweep{",
                               "...",
                               "..",
                               "#",
                               "r.",
                               "math.huge",
                               "end",
                               "while true do end",
                               "\n",
                               "string.rep('x', 1e7)",
                               "\\0",
                               "\xff",
                               "runs =",
                               "d_model ="};

static uint64_t next(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* One mutation of src into dst (cap bytes); returns the new length. */
static size_t mutate(const char *src, size_t n, char *dst, size_t cap, uint64_t *rng) {
    size_t len = n < cap ? n : cap;
    memcpy(dst, src, len);
    int edits = 1 + (int)(next(rng) % 4);
    for (int e = 0; e < edits; e++) {
        size_t at = len ? next(rng) % (len + 1) : 0;
        switch (next(rng) % 5) {
        case 0: /* flip a byte */
            if (at < len) dst[at] = (char)(next(rng) & 0xff);
            break;
        case 1: { /* delete a range */
            size_t k = at < len ? 1 + next(rng) % (len - at) % 16 : 0;
            memmove(dst + at, dst + at + k, len - at - k);
            len -= k;
            break;
        }
        case 2: { /* insert a piece */
            const char *p = pieces[next(rng) % (sizeof pieces / sizeof *pieces)];
            size_t k = strlen(p);
            if (len + k > cap) break;
            memmove(dst + at + k, dst + at, len - at);
            memcpy(dst + at, p, k);
            len += k;
            break;
        }
        case 3: { /* duplicate a range */
            size_t k = at < len ? 1 + next(rng) % (len - at) % 64 : 0;
            if (len + k > cap) break;
            memmove(dst + at + k, dst + at, len - at);
            len += k;
            break;
        }
        default: /* truncate */
            len = at;
        }
    }
    return len;
}

static int run_seed(const char *name, const char *text, size_t n, int mutants, int *loaded) {
    enum { CAP = 1 << 16 };
    static char buf[CAP];
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ n;
    for (const char *p = name; *p; p++) rng = rng * 31 + (unsigned char)*p;
    if (!rng) rng = 1;
    sweep_load_opts o = {.results = "/tmp/psl-mutate",
                         .fallback_vocab = 384,
                         .mem_limit = (size_t)32 << 20,
                         .instruction_limit = 1000000,
                         .max_runs = 2000};
    for (int i = 0; i < mutants; i++) {
        size_t len = mutate(text, n, buf, CAP, &rng);
        sweep_def d;
        char err[1024];
        err[0] = 0;
        if (sweep_load_text(name, buf, len, &o, &d, err, sizeof err) == 0) {
            (*loaded)++;
            if (d.n == 0) {
                fprintf(stderr, "%s mutant %d: loaded with no runs\n", name, i);
                sweep_free(&d);
                return -1;
            }
            sweep_free(&d);
        } else if (!err[0]) {
            fprintf(stderr, "%s mutant %d: failed without a message\n", name, i);
            return -1;
        }
    }
    return 0;
}

static int run_dir(const char *dir, int mutants, int *seeds, int *loaded) {
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "cannot open %s\n", dir);
        return -1;
    }
    struct dirent *e;
    char *names[256];
    int count = 0;
    while ((e = readdir(dp)) && count < 256) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".lua")) names[count++] = strdup(e->d_name);
    }
    closedir(dp);
    /* readdir order is not fixed: sort for determinism. */
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char *t = names[i];
                names[i] = names[j], names[j] = t;
            }
    int rc = 0;
    for (int i = 0; i < count; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        char text[1 << 16];
        size_t n = f ? fread(text, 1, sizeof text, f) : 0;
        if (f) fclose(f);
        if (rc == 0 && run_seed(names[i], text, n, mutants, loaded)) rc = -1;
        (*seeds)++;
        free(names[i]);
    }
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_mutate CONFIGS_DIR BAD_DIR [MUTANTS_PER_SEED]\n");
        return 2;
    }
    int mutants = argc > 3 ? atoi(argv[3]) : 60, seeds = 0, loaded = 0;
    for (size_t i = 0; i < sizeof inline_seeds / sizeof *inline_seeds; i++, seeds++)
        if (run_seed("inline.lua", inline_seeds[i], strlen(inline_seeds[i]), mutants, &loaded))
            return 1;
    if (run_dir(argv[1], mutants, &seeds, &loaded) || run_dir(argv[2], mutants, &seeds, &loaded))
        return 1;
    printf("%d seeds x %d mutants: %d loaded, the rest rejected with a message\n", seeds, mutants,
           loaded);
    return 0;
}
