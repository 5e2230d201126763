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

/* Directories already walked, by (device, inode): a symbolic link back to a directory
 * above (or two links to one directory) would otherwise be walked again and again. */
typedef struct {
    struct {
        dev_t dev;
        ino_t ino;
    } * d;
    size_t n, cap;
} dirset;

/* 1 if (dev, ino) was seen, 0 if it is new (and now recorded), -1 out of memory. */
static int seen(dirset *s, const struct stat *st) {
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i].dev == st->st_dev && s->d[i].ino == st->st_ino) return 1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        void *q = realloc(s->d, cap * sizeof *s->d);
        if (!q) return -1;
        s->d = q, s->cap = cap;
    }
    s->d[s->n].dev = st->st_dev, s->d[s->n].ino = st->st_ino;
    s->n++;
    return 0;
}

static void walk(const char *dir, pathlist *out, dirset *dirs, psl_notes *notes, int depth) {
    if (depth > 64) {
        psl_note(notes, "%s: more than 64 directories deep; not read", dir);
        return;
    }
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
        if (S_ISDIR(st.st_mode)) {
            int s = seen(dirs, &st);
            if (s == 0)
                walk(path, out, dirs, notes, depth + 1);
            else if (s > 0)
                psl_note(notes, "%s: a directory already read (a link loop?); skipped", path);
        } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".h5")) {
            push(out, path);
        }
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
    dirset dirs = {0};
    seen(&dirs, &st);
    walk(dir, &l, &dirs, notes, 0);
    free(dirs.d);
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
