/* The run ids of the committed results never change by accident. Every run file under
 * results/reference/ holds its resolved knobs (/config) and the run_id they hashed to when
 * it was made; the knob table of this build must give the same id for the same knobs.
 * A new knob that joins the run identity at its default, a renamed knob, a changed
 * canonical form or hash would re-key every finished run (sweep run would retrain them
 * and call the old files conflicts): this test fails first and names the file.
 * Each file must also be self-consistent: its run_id is the hash of the identity JSON it
 * stores (root attribute `config`). And a generated file name must be the run-name
 * scheme's (engine/run_name.h) for its /config.
 *
 * One known change is allowed, by name: the six runs of qat-evidence-d64 were made by an
 * engine (c9eb309, 2026-11-25) whose canonical JSON kept the knob table's order instead
 * of sorting the keys; sorting changed their ids. For them the stored JSON must hold the
 * same knobs with the same values as today's, in another order: nothing else may differ.
 * Usage: test_reference_ids DIR (default: the source tree's results/reference) */
#define _XOPEN_SOURCE 700
#include "config.h"
#include "model.h"
#include "run_name.h"
#include "runlog.h"
#include "tokfile.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int files, failures;

/* Made before the keys were sorted (see the top): relative to the reference directory. */
static const char *const unsorted_era[] = {
    "qat-evidence-d64/bf16.h5", "qat-evidence-d64/fp32.h5",   "qat-evidence-d64/int4-ste.h5",
    "qat-evidence-d64/int8.h5", "qat-evidence-d64/quest1.h5", "qat-evidence-d64/quest4.h5",
};
static const char *ref_dir;

static int in_unsorted_era(const char *path) {
    size_t n = strlen(ref_dir);
    if (strncmp(path, ref_dir, n)) return 0;
    const char *rel = path + n + (path[n] == '/');
    for (size_t i = 0; i < sizeof unsorted_era / sizeof *unsorted_era; i++)
        if (!strcmp(rel, unsorted_era[i])) return 1;
    return 0;
}

/* The "key":value members of a flat JSON object (values: numbers or strings without
 * nested objects), sorted: equal when two objects hold the same members in any order. */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}
static int members(char *json, char **out, int max) {
    int n = 0, in_str = 0;
    char *p = json, *start = NULL;
    if (*p != '{') return -1;
    for (p++; *p; p++) {
        if (!start) start = p;
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
        } else if (*p == ',' || *p == '}') {
            if (n == max) return -1;
            int end = *p == '}';
            *p = 0;
            out[n++] = start;
            start = NULL;
            if (end) break;
        }
    }
    qsort(out, (size_t)n, sizeof *out, cmp_str);
    return n;
}
static int same_members(const char *a, const char *b) {
    char *x = strdup(a), *y = strdup(b), *mx[256], *my[256];
    int nx = x ? members(x, mx, 256) : -1, ny = y ? members(y, my, 256) : -1;
    int same = nx >= 0 && nx == ny;
    for (int i = 0; same && i < nx; i++) same = !strcmp(mx[i], my[i]);
    free(x), free(y);
    return same;
}

/* A generated run name (every committed file whose name starts d<digit>; the others were
 * named by their configs) begins with what run_base_name makes of its /config: the one
 * scheme of sweep train and sweep run still gives the names committed results have. */
static int names_checked;
static void check_name(const char *path, const train_config *c) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (base[0] != 'd' || base[1] < '0' || base[1] > '9') return;
    model_shape s = config_model_shape(c);
    char want[256];
    run_base_name(c, model_params_nonembedding(&s), want, sizeof want);
    size_t n = strlen(want);
    names_checked++;
    if (strncmp(base, want, n) || (base[n] != '.' && base[n] != '_')) {
        fprintf(stderr, "FAIL %s: the run-name scheme now gives %s for its /config\n", path, want);
        failures++;
    }
}

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb, (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 3 || strcmp(path + n - 3, ".h5")) return 0;
    files++;
    runlog rl;
    char err[1024];
    train_config c;
    if (runlog_load(&rl, path, err, sizeof err)) {
        fprintf(stderr, "FAIL %s: %s\n", path, err);
        failures++;
        return 0;
    }
    const attr *id = attr_get(&rl.root, "run_id");
    if (!id || id->type != ATTR_STR) {
        fprintf(stderr, "FAIL %s: no run_id attribute\n", path);
        failures++;
    } else if (runlog_config(&rl, path, &c, err, sizeof err)) {
        fprintf(stderr, "FAIL %s: %s\n", path, err);
        failures++;
    } else {
        char now[24], stored[24], json[8192];
        snprintf(now, sizeof now, "%016llx", (unsigned long long)config_run_id(&c));
        config_canonical_json(&c, json, sizeof json);
        const attr *was = attr_get(&rl.root, "config");
        int have = was && was->type == ATTR_STR;
        snprintf(stored, sizeof stored, "%016llx",
                 have ? (unsigned long long)tok_fnv1a64(was->s, strlen(was->s)) : 0ULL);
        if (!have || strcmp(stored, id->s)) {
            fprintf(stderr, "FAIL %s: run_id %s is not the hash of its stored config (%s)\n", path,
                    id->s, stored);
            failures++;
        } else if (strcmp(now, id->s) && in_unsorted_era(path) && same_members(json, was->s)) {
            printf("  %s: made before the keys were sorted (same knobs and values)\n", path);
        } else if (strcmp(now, id->s)) {
            fprintf(stderr,
                    "FAIL %s: run_id %s in the file, %s from its /config now\n  identity "
                    "now:     %s\n  config in the file: %s\n",
                    path, id->s, now, json, was && was->type == ATTR_STR ? was->s : "(none)");
            failures++;
        }
        check_name(path, &c);
    }
    runlog_free(&rl);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : PSL_REFERENCE_DIR;
    ref_dir = dir;
    if (nftw(dir, visit, 16, FTW_PHYS)) {
        perror(dir);
        return 1;
    }
    printf("%d run files under %s (%d with generated names), %d failures\n", files, dir,
           names_checked, failures);
    if (files == 0) {
        fprintf(stderr, "no run files under %s\n", dir);
        return 1;
    }
    return failures != 0;
}
