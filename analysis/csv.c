/* CSV reader: header-driven, RFC 4180 quoting, one point per row (docs/csv.md).
 * Written to be fed arbitrary bytes (fuzzed): every read is bounded by len. */
#include "input.h"
#include "read.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum col {
    C_N,
    C_D,
    C_LOSS,
    C_PW,
    C_PA,
    C_PKV,
    C_P,
    C_FORMAT,
    C_PPOST,
    C_METHOD,
    C_BASE,
    C_DELTA,
    C_G,
    C_SEED,
    C_RUNID,
    C_NAME,
    C_STATUS,
    C_COUNT
};
static const char *const col_names[C_COUNT] = {
    "N",      "D",         "loss",  "P_w", "P_a",  "P_kv",   "P",    "format", "P_post",
    "method", "base_loss", "delta", "G",   "seed", "run_id", "name", "status"};

typedef struct {
    char *buf; /* field text, NUL-separated */
    size_t len, cap;
    size_t *off; /* start of each field in buf */
    int *col;    /* 1-based column of each field */
    size_t n, fcap;
} record;

static int rec_putc(record *r, char c) {
    if (r->len == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        char *b = realloc(r->buf, cap);
        if (!b) return -1;
        r->buf = b;
        r->cap = cap;
    }
    r->buf[r->len++] = c;
    return 0;
}

static int rec_field(record *r, int col) {
    if (r->n == r->fcap) {
        size_t cap = r->fcap ? 2 * r->fcap : 32;
        size_t *o = realloc(r->off, cap * sizeof *o);
        if (!o) return -1;
        r->off = o;
        int *c = realloc(r->col, cap * sizeof *c);
        if (!c) return -1;
        r->col = c;
        r->fcap = cap;
    }
    r->off[r->n] = r->len;
    r->col[r->n] = col;
    r->n++;
    return 0;
}

static const char *rec_get(const record *r, size_t i) {
    return r->buf + r->off[i];
}

/* Reads the next non-empty, non-comment record starting at *pos. Returns 1 when a record
 * was read, 0 at end of input, -1 on a syntax error (msg and errcol filled). *start is
 * the line the record starts on; *line advances past it. */
static int next_record(const char *s, size_t len, size_t *pos, long *line, long *start, record *r,
                       long *errcol, char *msg, size_t msglen) {
    for (;;) {
        size_t p = *pos;
        if (p >= len) return 0;
        /* skip blank lines and # comments */
        if (s[p] == '\n' || s[p] == '\r' || s[p] == '#') {
            int comment = s[p] == '#';
            while (p < len && s[p] != '\n') {
                if (!comment && s[p] != '\r') break;
                p++;
            }
            if (p < len && s[p] == '\n') {
                *pos = p + 1;
                (*line)++;
                continue;
            }
            if (p >= len) {
                *pos = p;
                return 0;
            }
        }
        break;
    }
    r->len = 0;
    r->n = 0;
    *start = *line;
    size_t p = *pos;
    size_t line_start = p;
    for (;;) {
        int col = (int)(p - line_start) + 1;
        if (rec_field(r, col)) goto oom;
        if (p < len && s[p] == '"') {
            p++;
            for (;;) {
                if (p >= len) {
                    *errcol = col;
                    snprintf(msg, msglen, "quoted field is not closed before end of file");
                    return -1;
                }
                if (s[p] == '"') {
                    if (p + 1 < len && s[p + 1] == '"') {
                        if (rec_putc(r, '"')) goto oom;
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (s[p] == '\n') {
                    (*line)++;
                    line_start = p + 1;
                }
                if (s[p] == '\0') {
                    *errcol = (int)(p - line_start) + 1;
                    snprintf(msg, msglen, "NUL byte in field");
                    return -1;
                }
                if (rec_putc(r, s[p])) goto oom;
                p++;
            }
            while (p < len && (s[p] == ' ' || s[p] == '\t')) p++;
            if (p < len && s[p] != ',' && s[p] != '\n' && s[p] != '\r') {
                *errcol = (int)(p - line_start) + 1;
                snprintf(msg, msglen, "unexpected character '%c' after closing quote",
                         isprint((unsigned char)s[p]) ? s[p] : '?');
                return -1;
            }
        } else {
            while (p < len && s[p] != ',' && s[p] != '\n' && s[p] != '\r') {
                if (s[p] == '\0' || s[p] == '"') {
                    *errcol = (int)(p - line_start) + 1;
                    snprintf(msg, msglen,
                             s[p] ? "quote inside an unquoted field" : "NUL byte in field");
                    return -1;
                }
                if (rec_putc(r, s[p])) goto oom;
                p++;
            }
        }
        if (rec_putc(r, '\0')) goto oom;
        if (p < len && s[p] == ',') {
            p++;
            continue;
        }
        if (p < len && s[p] == '\r') p++;
        if (p < len && s[p] == '\n') {
            p++;
            (*line)++;
        }
        break;
    }
    *pos = p;
    return 1;
oom:
    *errcol = 0;
    snprintf(msg, msglen, "out of memory");
    return -1;
}

static void trim(char *s) {
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i])) i++;
    if (i) memmove(s, s + i, n - i + 1);
}

/* Copies s without its surrounding white space into out (size bytes). 0, or the length
 * of the trimmed text when it does not fit (nothing is cut: the caller refuses the row). */
static size_t copy_trimmed(char *out, size_t size, const char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    if (n >= size) return n;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* 0 ok, 1 empty, -1 not a number */
static int parse_num(const char *s, double *v) {
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return 1;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s) return -1;
    while (isspace((unsigned char)*end)) end++;
    return *end ? -1 : 0;
}

/* A tiny open-addressing map from run key to run index. */
typedef struct {
    uint64_t *h;
    char **key;
    int *run;
    size_t cap, n;
} runmap;

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void runmap_free(runmap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->key[i]);
    free(m->h);
    free(m->key);
    free(m->run);
}

static int runmap_grow(runmap *m) {
    size_t cap = m->cap ? 2 * m->cap : 64;
    runmap n = {calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(char *)),
                calloc(cap, sizeof(int)), cap, m->n};
    if (!n.h || !n.key || !n.run) {
        free(n.h);
        free(n.key);
        free(n.run);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->key[i]) continue;
        size_t j = m->h[i] & (cap - 1);
        while (n.key[j]) j = (j + 1) & (cap - 1);
        n.h[j] = m->h[i];
        n.key[j] = m->key[i];
        n.run[j] = m->run[i];
    }
    free(m->h);
    free(m->key);
    free(m->run);
    *m = n;
    return 0;
}

/* Returns the run of key, adding it as run *next when new; -1 when out of memory. */
static int runmap_get(runmap *m, const char *key, int *next) {
    if (2 * (m->n + 1) > m->cap && runmap_grow(m)) return -1;
    uint64_t h = fnv(key);
    size_t j = h & (m->cap - 1);
    while (m->key[j]) {
        if (m->h[j] == h && !strcmp(m->key[j], key)) return m->run[j];
        j = (j + 1) & (m->cap - 1);
    }
    m->key[j] = strdup(key);
    if (!m->key[j]) return -1;
    m->h[j] = h;
    m->run[j] = (*next)++;
    m->n++;
    return m->run[j];
}

static int same_point(const psl_point *a, const psl_point *b) {
    return a->run == b->run && a->P_post == b->P_post && !strcmp(a->method, b->method);
}

/* What one file's rows share: where points go, the runs seen so far (rows of one run
 * share its index) and how each column is named in messages. */
typedef struct {
    const char *fname;
    const psl_read_opts *o;
    psl_data *d;
    psl_notes *notes;
    runmap map;
    size_t first_point;
    char label[C_COUNT][PSL_COLMAP_NAME + 48]; /* "column 'loss'", "key 'val_loss' (loss)" */
} rowctx;

/* Labels of the columns in messages: "column 'loss'", or with a map "column 'val_loss'
 * (loss)"; what is "column" or "key". */
static void set_labels(rowctx *c, const psl_colmap *map, const char *what) {
    for (int k = 0; k < C_COUNT; k++) {
        const char *src = map && *map->src[k] ? map->src[k] : NULL;
        if (src)
            snprintf(c->label[k], sizeof c->label[k], "%s '%s' (%s)", what, src, col_names[k]);
        else
            snprintf(c->label[k], sizeof c->label[k], "%s '%s'", what, col_names[k]);
    }
}

/* One row: val[c] the text of column c (NULL: absent), pos[c] its column for messages.
 * 1 when a point was added, 0 when the row is skipped (with a note), -1 when out of
 * memory (err says so). */
static int take_row(rowctx *rc, const char *const *val, const int *pos, long rec_line, char *err,
                    size_t errlen) {
    const char *fname = rc->fname;
    const psl_read_opts *o = rc->o;
    psl_data *d = rc->d;
    psl_notes *notes = rc->notes;
    const char(*label)[PSL_COLMAP_NAME + 48] = rc->label;
    psl_point p;
    psl_point_clear(&p);
    snprintf(p.source, sizeof p.source, "%s:%ld", fname, rec_line);
    double v[C_COUNT];
    int bad = 0;
    const int numeric[] = {C_N, C_D,     C_LOSS, C_PW,    C_PA, C_PKV,
                           C_P, C_PPOST, C_BASE, C_DELTA, C_G,  C_SEED};
    for (size_t k = 0; k < sizeof numeric / sizeof *numeric && !bad; k++) {
        int c = numeric[k];
        v[c] = NAN;
        if (!val[c]) continue;
        int pr = parse_num(val[c], &v[c]);
        if (pr < 0) {
            char shown[40];
            snprintf(shown, sizeof shown, "%s", val[c]);
            for (char *q = shown; *q; q++)
                if (!isprint((unsigned char)*q)) *q = '?';
            psl_note(notes, "%s:%ld:%d: %s: expected a number, got '%s'; row skipped", fname,
                     rec_line, pos[c], label[c], shown);
            bad = 1;
        } else if (pr > 0) {
            v[c] = NAN;
        }
    }
    if (bad) return 0;
    const int positive[] = {C_N, C_D, C_PW, C_PA, C_PKV, C_P};
    for (size_t k = 0; k < sizeof positive / sizeof *positive && !bad; k++) {
        int c = positive[k];
        if (!val[c]) continue;
        int required = c == C_N || c == C_D;
        if ((required && !isfinite(v[c])) || (isfinite(v[c]) && !(v[c] > 0)) || isinf(v[c])) {
            psl_note(notes, "%s:%ld:%d: %s: expected a positive finite number; row skipped", fname,
                     rec_line, pos[c], label[c]);
            bad = 1;
        }
    }
    if (bad) return 0;
    p.N = v[C_N];
    p.D = v[C_D];
    p.loss = v[C_LOSS];
    if (val[C_P] && isfinite(v[C_P])) p.P_w = p.P_a = p.P_kv = v[C_P];
    if (isfinite(v[C_PW])) p.P_w = v[C_PW];
    if (isfinite(v[C_PA])) p.P_a = v[C_PA];
    if (isfinite(v[C_PKV])) p.P_kv = v[C_PKV];
    if (isfinite(v[C_PPOST])) {
        if (!(v[C_PPOST] > 0)) {
            psl_note(notes,
                     "%s:%ld:%d: %s: expected positive bits (leave empty for no PTQ); "
                     "row skipped",
                     fname, rec_line, pos[C_PPOST], label[C_PPOST]);
            return 0;
        }
        p.P_post = v[C_PPOST];
    }
    if (isfinite(v[C_G])) p.G = v[C_G];
    p.base_loss = v[C_BASE];
    p.delta = v[C_DELTA];
    /* text fields are kept whole or the row is refused: a cut format, method or run
     * id could merge two that differ only past the cut */
    const struct {
        int c;
        char *out;
        size_t size;
    } text[] = {{C_FORMAT, p.format, sizeof p.format},
                {C_METHOD, p.method, sizeof p.method},
                {C_RUNID, p.run_id, sizeof p.run_id}};
    for (size_t k = 0; k < sizeof text / sizeof *text && !bad; k++) {
        int c = text[k].c;
        if (!val[c]) continue;
        size_t long_by = copy_trimmed(text[k].out, text[k].size, val[c]);
        if (long_by) {
            psl_note(notes,
                     "%s:%ld:%d: %s: value of %zu characters, at most %zu are "
                     "supported; row skipped",
                     fname, rec_line, pos[c], label[c], long_by, text[k].size - 1);
            bad = 1;
        }
    }
    if (bad) return 0;
    if (!*p.format) snprintf(p.format, sizeof p.format, "%s", p.P_w >= 16 ? "bf16" : "int");
    if (val[C_STATUS]) {
        char st[32];
        snprintf(st, sizeof st, "%s", val[C_STATUS]);
        trim(st);
        if (!strcmp(st, "failed")) {
            psl_note(notes, "%s:%ld: run failed; row skipped", fname, rec_line);
            return 0;
        }
        if (!strcmp(st, "diverged") && !(o && o->include_diverged)) {
            psl_note(notes, "%s:%ld: diverged run excluded (use --include-diverged)", fname,
                     rec_line);
            return 0;
        }
    }
    if (!isfinite(p.loss) || !(p.loss > 0)) {
        psl_note(notes, "%s:%ld:%d: loss is %s; row skipped", fname, rec_line, pos[C_LOSS],
                 isnan(p.loss) ? "NaN or empty" : "not a positive finite number");
        return 0;
    }
    char key[512];
    if (*p.run_id)
        snprintf(key, sizeof key, "id:%s", p.run_id);
    else
        snprintf(key, sizeof key, "%.17g|%.17g|%g|%g|%g|%s|%g|%.17g", p.N, p.D, p.P_w, p.P_a,
                 p.P_kv, p.format, p.G, isfinite(v[C_SEED]) ? v[C_SEED] : -1.0);
    int run = runmap_get(&rc->map, key, &d->nruns);
    if (run < 0) {
        snprintf(err, errlen, "%s: out of memory", fname);
        return -1;
    }
    p.run = run;
    int dup = 0;
    for (size_t i = rc->first_point; i < d->n && !dup; i++) {
        const psl_point *q = &d->pt[i];
        if (!same_point(q, &p)) continue;
        /* Rows without run_id that differ in loss are taken as repeated seeds. */
        if (*p.run_id || q->loss == p.loss) {
            psl_note(notes, "%s:%ld: duplicate of the run at %s (same %s); row skipped", fname,
                     rec_line, q->source, *p.run_id ? "run_id and P_post" : "values");
            dup = 1;
        }
    }
    if (dup) return 0;
    if (!*p.run_id) {
        /* a row repeating a config with another loss is another seed: its own run */
        for (size_t i = rc->first_point; i < d->n; i++)
            if (same_point(&d->pt[i], &p)) {
                char k2[560];
                snprintf(k2, sizeof k2, "%s|row%ld", key, rec_line);
                p.run = runmap_get(&rc->map, k2, &d->nruns);
                break;
            }
        if (p.run < 0) {
            snprintf(err, errlen, "%s: out of memory", fname);
            return -1;
        }
    }
    if (psl_data_push(d, &p)) {
        snprintf(err, errlen, "%s: out of memory", fname);
        return -1;
    }
    return 1;
}

/* The column of the header that feeds column c: its own name, or the map's. */
static const char *source_name(const psl_colmap *map, int c) {
    return map && *map->src[c] ? map->src[c] : col_names[c];
}

long psl_csv_parse_map(const char *buf, size_t len, const char *fname, const psl_read_opts *o,
                       const psl_colmap *cmap, psl_data *d, psl_notes *notes, char *err,
                       size_t errlen) {
    record r = {0};
    rowctx rc_ = {.fname = fname, .o = o, .d = d, .notes = notes, .first_point = d->n};
    set_labels(&rc_, cmap, "column");
    int idx[C_COUNT];
    for (int c = 0; c < C_COUNT; c++) idx[c] = -1;
    size_t pos = 0;
    long line = 1, errcol = 0, added = 0, ret = -1;
    char msg[256];
    long hline = 1;
    int rc = next_record(buf, len, &pos, &line, &hline, &r, &errcol, msg, sizeof msg);
    if (rc <= 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s: no header line (empty file)", fname);
        else
            snprintf(err, errlen, "%s:%ld:%ld: header: %s", fname, hline, errcol, msg);
        goto out;
    }
    size_t ncols = r.n;
    for (size_t i = 0; i < r.n; i++) {
        char *full = r.buf + r.off[i];
        trim(full);
        char name[64];
        snprintf(name, sizeof name, "%s", full);
        int known = 0;
        for (int c = 0; c < C_COUNT; c++) {
            if (!strcmp(full, source_name(cmap, c))) {
                if (idx[c] >= 0) {
                    snprintf(err, errlen, "%s:%ld:%d: column '%s' appears twice", fname, hline,
                             r.col[i], name);
                    goto out;
                }
                idx[c] = (int)i;
                known = 1;
            }
        }
        if (!known)
            psl_note(notes, "%s:%ld:%d: ignoring unknown column '%s'", fname, hline, r.col[i],
                     name);
    }
    /* every column the map names must be there */
    for (int c = 0; cmap && c < C_COUNT; c++)
        if (*cmap->src[c] && idx[c] < 0) {
            snprintf(err, errlen, "%s:%ld: --map %s=%s: the header has no column '%s'", fname,
                     hline, col_names[c], cmap->src[c], cmap->src[c]);
            goto out;
        }
    {
        const int required[] = {C_N, C_D, C_LOSS};
        char missing[128] = "";
        for (size_t k = 0; k < sizeof required / sizeof *required; k++)
            if (idx[required[k]] < 0) {
                size_t m = strlen(missing);
                snprintf(missing + m, sizeof missing - m, "%s%s", m ? ", " : "",
                         col_names[required[k]]);
            }
        if (*missing) {
            snprintf(err, errlen, "%s:%ld: header lacks required column(s) %s (see docs/csv.md%s)",
                     fname, hline, missing,
                     cmap ? "; --map names a column of the file for each" : "");
            goto out;
        }
        if (idx[C_P] >= 0 && (idx[C_PW] >= 0 || idx[C_PA] >= 0 || idx[C_PKV] >= 0)) {
            snprintf(err, errlen,
                     "%s:%ld: column P (tied precision) cannot be combined with P_w/P_a/P_kv",
                     fname, hline);
            goto out;
        }
    }
    for (;;) {
        long rec_line = line;
        rc = next_record(buf, len, &pos, &line, &rec_line, &r, &errcol, msg, sizeof msg);
        if (rc == 0) break;
        if (rc < 0) {
            /* The rest of the file cannot be split into records reliably. */
            psl_note(notes, "%s:%ld:%ld: %s; ignoring the rest of the file", fname, rec_line,
                     errcol, msg);
            break;
        }
        if (r.n != ncols) {
            psl_note(notes, "%s:%ld:%d: row has %zu fields, header has %zu; row skipped", fname,
                     rec_line, r.col[r.n - 1], r.n, ncols);
            continue;
        }
        const char *val[C_COUNT];
        int fpos[C_COUNT];
        for (int k = 0; k < C_COUNT; k++) {
            val[k] = idx[k] >= 0 ? rec_get(&r, (size_t)idx[k]) : NULL;
            fpos[k] = idx[k] >= 0 ? r.col[idx[k]] : 0;
        }
        int tr = take_row(&rc_, val, fpos, rec_line, err, errlen);
        if (tr < 0) goto out;
        added += tr;
    }
    ret = added;
out:
    free(r.buf);
    free(r.off);
    free(r.col);
    runmap_free(&rc_.map);
    return ret;
}

long psl_csv_parse(const char *buf, size_t len, const char *fname, const psl_read_opts *o,
                   psl_data *d, psl_notes *notes, char *err, size_t errlen) {
    return psl_csv_parse_map(buf, len, fname, o, NULL, d, notes, err, errlen);
}

/* The whole of a file, NUL-terminated (*n its length). NULL with err set on failure. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (n + 1 >= cap) {
            char *b = realloc(buf, 2 * cap);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - 1 - n, f);
        n += k;
        if (k == 0) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (!buf || ioerr) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path, ioerr ? "read error" : "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

long psl_csv_read_map(const char *path, const psl_read_opts *o, const psl_colmap *map, psl_data *d,
                      psl_notes *notes, char *err, size_t errlen) {
    size_t n;
    char *buf = slurp(path, &n, err, errlen);
    if (!buf) return -1;
    long r = psl_csv_parse_map(buf, n, path, o, map, d, notes, err, errlen);
    free(buf);
    return r;
}

long psl_csv_read(const char *path, const psl_read_opts *o, psl_data *d, psl_notes *notes,
                  char *err, size_t errlen) {
    return psl_csv_read_map(path, o, NULL, d, notes, err, errlen);
}

_Static_assert(C_COUNT == PSL_NCOLS, "input.h's PSL_NCOLS is the number of columns");

int psl_colmap_parse(const char *spec, psl_colmap *m, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    const char *p = spec;
    if (!*p) {
        snprintf(err, errlen,
                 "--map: empty; expected COLUMN=NAME,... (e.g. N=params,loss=val_loss)");
        return -1;
    }
    while (*p) {
        const char *e = strchr(p, ','), *end = e ? e : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq) {
            snprintf(err, errlen, "--map: '%.*s' is not COLUMN=NAME", (int)(end - p), p);
            return -1;
        }
        size_t kl = (size_t)(eq - p), vl = (size_t)(end - eq - 1);
        int c = -1;
        for (int k = 0; k < C_COUNT; k++)
            if (strlen(col_names[k]) == kl && !strncmp(col_names[k], p, kl)) c = k;
        if (c < 0) {
            char list[256] = "";
            for (int k = 0; k < C_COUNT; k++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", k ? ", " : "", col_names[k]);
            }
            snprintf(err, errlen, "--map: '%.*s' is not a column of fitlaws (%s)", (int)kl, p,
                     list);
            return -1;
        }
        if (*m->src[c]) {
            snprintf(err, errlen, "--map: column %s is mapped twice", col_names[c]);
            return -1;
        }
        if (vl == 0 || vl >= PSL_COLMAP_NAME) {
            snprintf(err, errlen, "--map: %s=: the file's column name is %s", col_names[c],
                     vl ? "too long (at most 127 characters)" : "empty");
            return -1;
        }
        memcpy(m->src[c], eq + 1, vl);
        m->src[c][vl] = '\0';
        p = e ? e + 1 : end;
        if (e && !*p) {
            snprintf(err, errlen, "--map: trailing comma");
            return -1;
        }
    }
    return 0;
}

/* JSON Lines. A value is copied into rec's text (strings unescaped, numbers as written,
 * null as the empty field), so take_row reads it as it reads a CSV field. */

static size_t skip_ws(const char *s, size_t p, size_t end) {
    while (p < end && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r')) p++;
    return p;
}

/* Appends the UTF-8 encoding of code point u. */
static int put_utf8(record *r, unsigned u) {
    if (u < 0x80) return rec_putc(r, (char)u);
    if (u < 0x800)
        return rec_putc(r, (char)(0xc0 | (u >> 6))) || rec_putc(r, (char)(0x80 | (u & 0x3f)));
    return rec_putc(r, (char)(0xe0 | (u >> 12))) || rec_putc(r, (char)(0x80 | ((u >> 6) & 0x3f))) ||
           rec_putc(r, (char)(0x80 | (u & 0x3f)));
}

/* A JSON string at s[*p] == '"' into r (NUL-terminated); *p past it. 0, -1 (msg). */
static int json_string(const char *s, size_t *p, size_t end, record *r, char *msg, size_t ml) {
    size_t q = *p + 1;
    for (;;) {
        if (q >= end) {
            snprintf(msg, ml, "string is not closed before the end of the line");
            return -1;
        }
        unsigned char ch = (unsigned char)s[q];
        if (ch == '"') break;
        if (ch < 0x20) {
            snprintf(msg, ml, "control character in a string");
            return -1;
        }
        if (ch != '\\') {
            if (rec_putc(r, (char)ch)) goto oom;
            q++;
            continue;
        }
        if (q + 1 >= end) {
            snprintf(msg, ml, "string is not closed before the end of the line");
            return -1;
        }
        char e = s[q + 1];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *k = strchr(from, e);
        if (e && k) {
            if (rec_putc(r, to[k - from])) goto oom;
            q += 2;
        } else if (e == 'u') {
            unsigned u = 0;
            for (int i = 0; i < 4; i++) {
                char h = q + 2 + (size_t)i < end ? s[q + 2 + (size_t)i] : 0;
                int v = h >= '0' && h <= '9'   ? h - '0'
                        : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                               : -1;
                if (v < 0) {
                    snprintf(msg, ml, "\\u needs four hexadecimal digits");
                    return -1;
                }
                u = 16 * u + (unsigned)v;
            }
            if (u == 0 || (u >= 0xd800 && u <= 0xdfff)) u = '?'; /* no NUL; surrogates as ? */
            if (put_utf8(r, u)) goto oom;
            q += 6;
        } else {
            snprintf(msg, ml, "unknown escape '\\%c' in a string",
                     isprint((unsigned char)e) ? e : '?');
            return -1;
        }
    }
    if (rec_putc(r, '\0')) goto oom;
    *p = q + 1;
    return 0;
oom:
    snprintf(msg, ml, "out of memory");
    return -1;
}

/* Skips a nested array or object at s[*p] (strings inside respected). 0, -1 (msg). */
static int json_skip_nested(const char *s, size_t *p, size_t end, char *msg, size_t ml) {
    int depth = 0;
    size_t q = *p;
    while (q < end) {
        char ch = s[q];
        if (ch == '"') {
            q++;
            while (q < end && s[q] != '"') q += s[q] == '\\' ? 2 : 1;
            if (q >= end) break;
        } else if (ch == '[' || ch == '{') {
            depth++;
        } else if (ch == ']' || ch == '}') {
            if (--depth == 0) {
                *p = q + 1;
                return 0;
            }
        }
        q++;
    }
    snprintf(msg, ml, "array or object is not closed before the end of the line");
    return -1;
}

/* One line s[b, e) holding an object: its values of fitlaws' columns into val/pos (text
 * in r). 1 ok, 0 not an object (msg, *col), -1 out of memory. */
static int json_object(const char *s, size_t b, size_t e, const psl_colmap *map, record *r,
                       const char **val, int *pos, size_t *vals, char unknown[][64], int *nunk,
                       char *msg, size_t ml, long *col) {
    size_t p = skip_ws(s, b, e);
    r->len = 0;
    r->n = 0;
    for (int c = 0; c < C_COUNT; c++) vals[c] = SIZE_MAX, pos[c] = 0, val[c] = NULL;
    if (p >= e || s[p] != '{') {
        *col = (long)(p - b) + 1;
        snprintf(msg, ml, "expected a JSON object '{...}'");
        return 0;
    }
    p = skip_ws(s, p + 1, e);
    if (p < e && s[p] == '}') {
        p++;
        goto tail;
    }
    for (;;) {
        if (p >= e || s[p] != '"') {
            *col = (long)(p - b) + 1;
            snprintf(msg, ml, "expected a key in double quotes");
            return 0;
        }
        size_t kstart = r->len, kp = p;
        if (json_string(s, &p, e, r, msg, ml)) {
            *col = (long)(kp - b) + 1;
            return strstr(msg, "out of memory") ? -1 : 0;
        }
        const char *key = r->buf + kstart;
        int c = -1;
        for (int k = 0; k < C_COUNT; k++)
            if (!strcmp(key, source_name(map, k))) c = k; /* the last match; keys are unique */
        if (c >= 0 && vals[c] != SIZE_MAX) {
            *col = (long)(kp - b) + 1;
            snprintf(msg, ml, "key '%.80s' appears twice", key);
            return 0;
        }
        if (c < 0 && *nunk < 16) {
            int seen = 0;
            for (int k = 0; k < *nunk && !seen; k++) seen = !strncmp(unknown[k], key, 63);
            if (!seen) snprintf(unknown[(*nunk)++], 64, "%s", key);
        }
        char keyshown[96];
        snprintf(keyshown, sizeof keyshown, "%.80s", key);
        r->len = kstart; /* the key's text is not kept */
        p = skip_ws(s, p, e);
        if (p >= e || s[p] != ':') {
            *col = (long)(p - b) + 1;
            snprintf(msg, ml, "expected ':' after key '%s'", keyshown);
            return 0;
        }
        p = skip_ws(s, p + 1, e);
        size_t vp = p, vstart = r->len;
        if (p >= e) {
            *col = (long)(p - b) + 1;
            snprintf(msg, ml, "key '%s' has no value", keyshown);
            return 0;
        }
        if (s[p] == '"') {
            if (json_string(s, &p, e, r, msg, ml)) {
                *col = (long)(vp - b) + 1;
                return strstr(msg, "out of memory") ? -1 : 0;
            }
        } else if (s[p] == '[' || s[p] == '{') {
            if (json_skip_nested(s, &p, e, msg, ml)) {
                *col = (long)(vp - b) + 1;
                return 0;
            }
            if (c >= 0) {
                *col = (long)(vp - b) + 1;
                snprintf(msg, ml, "key '%s': expected a number, a string or null, got %s", keyshown,
                         s[vp] == '[' ? "an array" : "an object");
                return 0;
            }
            if (rec_putc(r, '\0')) return -1;
        } else {
            /* a number, true, false or null: the token as written (null: empty) */
            size_t q = p;
            while (q < e && s[q] != ',' && s[q] != '}' && s[q] != ' ' && s[q] != '\t' &&
                   s[q] != '\r')
                q++;
            if (q == p) {
                *col = (long)(vp - b) + 1;
                snprintf(msg, ml, "key '%s' has no value", keyshown);
                return 0;
            }
            int isnull = q - p == 4 && !strncmp(s + p, "null", 4);
            for (size_t i = p; i < q && !isnull; i++)
                if (s[i] == '\0' || s[i] == '"') {
                    *col = (long)(i - b) + 1;
                    snprintf(msg, ml, "key '%s': malformed value", keyshown);
                    return 0;
                } else if (rec_putc(r, s[i])) {
                    return -1;
                }
            if (rec_putc(r, '\0')) return -1;
            p = q;
        }
        if (c >= 0) {
            vals[c] = vstart;
            pos[c] = (int)(vp - b) + 1;
        }
        p = skip_ws(s, p, e);
        if (p < e && s[p] == ',') {
            p = skip_ws(s, p + 1, e);
            continue;
        }
        if (p < e && s[p] == '}') {
            p++;
            break;
        }
        *col = (long)(p - b) + 1;
        snprintf(msg, ml, "expected ',' or '}' after the value of key '%s'", keyshown);
        return 0;
    }
tail:
    p = skip_ws(s, p, e);
    if (p < e) {
        *col = (long)(p - b) + 1;
        snprintf(msg, ml, "text after the object (one object per line)");
        return 0;
    }
    for (int c = 0; c < C_COUNT; c++)
        if (vals[c] != SIZE_MAX) val[c] = r->buf + vals[c];
    return 1;
}

long psl_jsonl_parse(const char *buf, size_t len, const char *fname, const psl_read_opts *o,
                     const psl_colmap *map, psl_data *d, psl_notes *notes, char *err,
                     size_t errlen) {
    record r = {0};
    rowctx rc_ = {.fname = fname, .o = o, .d = d, .notes = notes, .first_point = d->n};
    set_labels(&rc_, map, "key");
    char unknown[16][64];
    int nunk = 0, noted = 0;
    long added = 0, ret = -1, lines = 0;
    size_t p = 0;
    for (long line = 1; p < len; line++) {
        size_t e = p;
        while (e < len && buf[e] != '\n') e++;
        size_t b = skip_ws(buf, p, e);
        p = e < len ? e + 1 : e;
        if (b >= e || buf[b] == '#') continue;
        lines++;
        const char *val[C_COUNT];
        int pos[C_COUNT];
        size_t vals[C_COUNT];
        char msg[256];
        long col = 0;
        int ok =
            json_object(buf, b, e, map, &r, val, pos, vals, unknown, &nunk, msg, sizeof msg, &col);
        if (ok < 0) {
            snprintf(err, errlen, "%s: out of memory", fname);
            goto out;
        }
        /* keys seen for the first time in this line that fitlaws does not use */
        for (; noted < nunk; noted++)
            psl_note(notes, "%s:%ld: ignoring unknown key '%s'", fname, line, unknown[noted]);
        if (!ok) {
            psl_note(notes, "%s:%ld:%ld: %s; line skipped", fname, line, col, msg);
            continue;
        }
        const int required[] = {C_N, C_D, C_LOSS};
        int miss = 0;
        for (size_t k = 0; k < 3 && !miss; k++)
            if (!val[required[k]]) {
                psl_note(notes, "%s:%ld: no %s (required); line skipped", fname, line,
                         rc_.label[required[k]]);
                miss = 1;
            }
        if (!miss && val[C_P] && (val[C_PW] || val[C_PA] || val[C_PKV])) {
            psl_note(notes,
                     "%s:%ld: key P (tied precision) cannot be combined with P_w/P_a/P_kv; "
                     "line skipped",
                     fname, line);
            miss = 1;
        }
        if (miss) continue;
        int tr = take_row(&rc_, val, pos, line, err, errlen);
        if (tr < 0) goto out;
        added += tr;
    }
    if (lines == 0) {
        snprintf(err, errlen, "%s: no JSON objects (empty file)", fname);
        goto out;
    }
    ret = added;
out:
    free(r.buf);
    free(r.off);
    free(r.col);
    runmap_free(&rc_.map);
    return ret;
}

long psl_jsonl_read(const char *path, const psl_read_opts *o, const psl_colmap *map, psl_data *d,
                    psl_notes *notes, char *err, size_t errlen) {
    size_t n;
    char *buf = slurp(path, &n, err, errlen);
    if (!buf) return -1;
    long r = psl_jsonl_parse(buf, n, path, o, map, d, notes, err, errlen);
    free(buf);
    return r;
}
