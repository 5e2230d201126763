/* dictd databases: the .index beside the .dict(.dz) gives each entry's offset and
 * length (dictd base64). Entries are emitted once each, in file order, without the
 * "00-database-*" information entries (licence and format boilerplate). */
#include "clean.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct entry {
    unsigned long off, len;
};

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int parse_b64(const char *s, size_t n, unsigned long *v) {
    unsigned long x = 0;
    if (n == 0 || n > 10) return -1;
    for (size_t i = 0; i < n; i++) {
        int d = b64val(s[i]);
        if (d < 0) return -1;
        x = x * 64 + (unsigned long)d;
    }
    *v = x;
    return 0;
}

/* Copies one entry without its source-tag lines (gcide's "[1913 Webster]", "[PJC]"):
 * repeated on every sense, they are boilerplate. */
static void put_entry(const char *p, size_t n, struct cbuf *out) {
    const char *end = p + n;
    while (p < end) {
        size_t len = corpus_line_len(p, end);
        size_t a = 0, b = len;
        while (a < b && (p[a] == ' ' || p[a] == '\t')) a++;
        while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t')) b--;
        int tag = b - a >= 3 && b - a <= 40 && p[a] == '[' && p[b - 1] == ']' &&
                  !memchr(p + a + 1, '[', b - a - 2);
        if (!tag) {
            cbuf_add(out, p, len);
            cbuf_addc(out, '\n');
        }
        p += len + 1;
    }
}

static int cmp_entry(const void *a, const void *b) {
    const struct entry *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

int clean_dictd(const char *in, size_t n, const char *path, struct cbuf *out, char *err,
                size_t errlen) {
    char ipath[4096];
    size_t pl = strlen(path);
    if (pl > 3 && strcmp(path + pl - 3, ".dz") == 0) pl -= 3;
    if (pl > 5 && strncmp(path + pl - 5, ".dict", 5) == 0) pl -= 5;
    snprintf(ipath, sizeof ipath, "%.*s.index", (int)pl, path);
    gzFile f = gzopen(ipath, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open dictd index: %s", ipath, strerror(errno));
        return -1;
    }
    struct cbuf idx = {0};
    char tmp[65536];
    int r;
    while ((r = gzread(f, tmp, sizeof tmp)) > 0) cbuf_add(&idx, tmp, (size_t)r);
    gzclose(f);
    if (r < 0 || idx.oom) {
        snprintf(err, errlen, "%s: read error", ipath);
        cbuf_free(&idx);
        return -1;
    }
    size_t cap = 1024, count = 0;
    struct entry *ent = malloc(cap * sizeof *ent);
    const char *p = idx.p, *end = idx.p + idx.n;
    size_t lineno = 0;
    while (ent && p < end) {
        size_t len = corpus_line_len(p, end);
        lineno++;
        const char *t1 = memchr(p, '\t', len);
        const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(p + len - t1 - 1)) : NULL;
        if (!t2) {
            if (len) {
                snprintf(err, errlen, "%s:%zu: expected 'headword<TAB>offset<TAB>length'", ipath,
                         lineno);
                free(ent);
                cbuf_free(&idx);
                return -1;
            }
            p += len + 1;
            continue;
        }
        const char *t3 = memchr(t2 + 1, '\t', (size_t)(p + len - t2 - 1));
        size_t l3 = (size_t)((t3 ? t3 : p + len) - t2 - 1);
        struct entry e;
        if (parse_b64(t1 + 1, (size_t)(t2 - t1 - 1), &e.off) || parse_b64(t2 + 1, l3, &e.len)) {
            snprintf(err, errlen, "%s:%zu: bad base64 offset or length", ipath, lineno);
            free(ent);
            cbuf_free(&idx);
            return -1;
        }
        int info = (t1 - p >= 11 && memcmp(p, "00-database", 11) == 0) ||
                   (t1 - p >= 10 && memcmp(p, "00database", 10) == 0);
        if (!info && e.off + e.len <= n) {
            if (count == cap) {
                struct entry *g = realloc(ent, 2 * cap * sizeof *ent);
                if (!g) {
                    free(ent);
                    ent = NULL;
                    break;
                }
                ent = g;
                cap *= 2;
            }
            ent[count++] = e;
        }
        p += len + 1;
    }
    cbuf_free(&idx);
    if (!ent) {
        snprintf(err, errlen, "%s: out of memory", ipath);
        return -1;
    }
    qsort(ent, count, sizeof *ent, cmp_entry);
    for (size_t i = 0; i < count; i++) {
        if (i && ent[i].off == ent[i - 1].off) continue;
        put_entry(in + ent[i].off, ent[i].len, out);
        cbuf_adds(out, "\n\n");
    }
    free(ent);
    return 0;
}
