/* Finding run files: every *.h5 below a directory, in a stable (sorted) order. */
#include "read.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char **p;
    size_t n, cap;
} pathlist;

static int push(pathlist *l, const char *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **q = realloc(l->p, cap * sizeof *q);
        if (!q) return -1;
        l->p = q;
        l->cap = cap;
    }
    l->p[l->n] = strdup(s);
    if (!l->p[l->n]) return -1;
    l->n++;
    return 0;
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static void walk(const char *dir, pathlist *out, psl_notes *notes, int depth) {
    if (depth > 64) return;
    DIR *dp = opendir(dir);
    if (!dp) {
        psl_note(notes, "%s: cannot open directory: %s", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        struct stat st;
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode))
            walk(path, out, notes, depth + 1);
        else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".h5"))
            push(out, path);
    }
    closedir(dp);
}

long psl_read_dir(const char *dir, const psl_read_opts *o, psl_data *d, psl_notes *notes, char *err,
                  size_t errlen) {
    struct stat st;
    if (stat(dir, &st)) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (S_ISREG(st.st_mode)) {
        char e[512];
        long r = ends_with(dir, ".csv") ? psl_csv_read(dir, o, d, notes, e, sizeof e)
                                        : psl_h5_read(dir, o, d, notes, e, sizeof e);
        if (r < 0) snprintf(err, errlen, "%s", e);
        return r;
    }
    pathlist l = {0};
    walk(dir, &l, notes, 0);
    qsort(l.p, l.n, sizeof *l.p, cmp);
    long total = 0;
    for (size_t i = 0; i < l.n; i++) {
        char e[512];
        long r = psl_h5_read(l.p[i], o, d, notes, e, sizeof e);
        if (r < 0)
            psl_note(notes, "%s; file skipped", e);
        else
            total += r;
        free(l.p[i]);
    }
    free(l.p);
    if (l.n == 0) psl_note(notes, "%s: no *.h5 run files found", dir);
    return total;
}
