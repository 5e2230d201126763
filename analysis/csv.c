/* CSV reader: header-driven, RFC 4180 quoting, one point per row (docs/csv.md).
 * Written to be fed arbitrary bytes (fuzzed): every read is bounded by len. */
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

long psl_csv_parse(const char *buf, size_t len, const char *fname, const psl_read_opts *o,
                   psl_data *d, psl_notes *notes, char *err, size_t errlen) {
    record r = {0};
    runmap map = {0};
    int idx[C_COUNT];
    for (int c = 0; c < C_COUNT; c++) idx[c] = -1;
    size_t pos = 0;
    long line = 1, errcol = 0, added = 0, ret = -1;
    size_t first_point = d->n;
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
        char name[64];
        snprintf(name, sizeof name, "%s", rec_get(&r, i));
        trim(name);
        int known = 0;
        for (int c = 0; c < C_COUNT; c++) {
            if (!strcmp(name, col_names[c])) {
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
            snprintf(err, errlen, "%s:%ld: header lacks required column(s) %s (see docs/csv.md)",
                     fname, hline, missing);
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
            if (idx[c] < 0) continue;
            int pr = parse_num(rec_get(&r, (size_t)idx[c]), &v[c]);
            if (pr < 0) {
                char shown[40];
                snprintf(shown, sizeof shown, "%s", rec_get(&r, (size_t)idx[c]));
                for (char *q = shown; *q; q++)
                    if (!isprint((unsigned char)*q)) *q = '?';
                psl_note(notes, "%s:%ld:%d: column '%s': expected a number, got '%s'; row skipped",
                         fname, rec_line, r.col[idx[c]], col_names[c], shown);
                bad = 1;
            } else if (pr > 0) {
                v[c] = NAN;
            }
        }
        if (bad) continue;
        const int positive[] = {C_N, C_D, C_PW, C_PA, C_PKV, C_P};
        for (size_t k = 0; k < sizeof positive / sizeof *positive && !bad; k++) {
            int c = positive[k];
            if (idx[c] < 0) continue;
            int required = c == C_N || c == C_D;
            if ((required && !isfinite(v[c])) || (isfinite(v[c]) && !(v[c] > 0)) || isinf(v[c])) {
                psl_note(notes,
                         "%s:%ld:%d: column '%s': expected a positive finite number; row "
                         "skipped",
                         fname, rec_line, r.col[idx[c]], col_names[c]);
                bad = 1;
            }
        }
        if (bad) continue;
        p.N = v[C_N];
        p.D = v[C_D];
        p.loss = v[C_LOSS];
        if (idx[C_P] >= 0 && isfinite(v[C_P])) p.P_w = p.P_a = p.P_kv = v[C_P];
        if (isfinite(v[C_PW])) p.P_w = v[C_PW];
        if (isfinite(v[C_PA])) p.P_a = v[C_PA];
        if (isfinite(v[C_PKV])) p.P_kv = v[C_PKV];
        if (isfinite(v[C_PPOST])) {
            if (!(v[C_PPOST] > 0)) {
                psl_note(notes,
                         "%s:%ld:%d: column 'P_post': expected positive bits (leave empty "
                         "for no PTQ); row skipped",
                         fname, rec_line, r.col[idx[C_PPOST]]);
                continue;
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
            if (idx[c] < 0) continue;
            size_t long_by = copy_trimmed(text[k].out, text[k].size, rec_get(&r, (size_t)idx[c]));
            if (long_by) {
                psl_note(notes,
                         "%s:%ld:%d: column '%s': value of %zu characters, at most %zu are "
                         "supported; row skipped",
                         fname, rec_line, r.col[idx[c]], col_names[c], long_by, text[k].size - 1);
                bad = 1;
            }
        }
        if (bad) continue;
        if (!*p.format) snprintf(p.format, sizeof p.format, "%s", p.P_w >= 16 ? "bf16" : "int");
        if (idx[C_STATUS] >= 0) {
            char st[32];
            snprintf(st, sizeof st, "%s", rec_get(&r, (size_t)idx[C_STATUS]));
            trim(st);
            if (!strcmp(st, "failed")) {
                psl_note(notes, "%s:%ld: run failed; row skipped", fname, rec_line);
                continue;
            }
            if (!strcmp(st, "diverged") && !(o && o->include_diverged)) {
                psl_note(notes, "%s:%ld: diverged run excluded (use --include-diverged)", fname,
                         rec_line);
                continue;
            }
        }
        if (!isfinite(p.loss) || !(p.loss > 0)) {
            psl_note(notes, "%s:%ld:%d: loss is %s; row skipped", fname, rec_line,
                     r.col[idx[C_LOSS]],
                     isnan(p.loss) ? "NaN or empty" : "not a positive finite number");
            continue;
        }
        char key[512];
        if (*p.run_id)
            snprintf(key, sizeof key, "id:%s", p.run_id);
        else
            snprintf(key, sizeof key, "%.17g|%.17g|%g|%g|%g|%s|%g|%.17g", p.N, p.D, p.P_w, p.P_a,
                     p.P_kv, p.format, p.G, isfinite(v[C_SEED]) ? v[C_SEED] : -1.0);
        int run = runmap_get(&map, key, &d->nruns);
        if (run < 0) {
            snprintf(err, errlen, "%s: out of memory", fname);
            goto out;
        }
        p.run = run;
        int dup = 0;
        for (size_t i = first_point; i < d->n && !dup; i++) {
            const psl_point *q = &d->pt[i];
            if (!same_point(q, &p)) continue;
            /* Rows without run_id that differ in loss are taken as repeated seeds. */
            if (*p.run_id || q->loss == p.loss) {
                psl_note(notes, "%s:%ld: duplicate of the run at %s (same %s); row skipped", fname,
                         rec_line, q->source, *p.run_id ? "run_id and P_post" : "values");
                dup = 1;
            }
        }
        if (dup) continue;
        if (!*p.run_id) {
            /* a row repeating a config with another loss is another seed: its own run */
            for (size_t i = first_point; i < d->n; i++)
                if (same_point(&d->pt[i], &p)) {
                    char k2[560];
                    snprintf(k2, sizeof k2, "%s|row%ld", key, rec_line);
                    p.run = runmap_get(&map, k2, &d->nruns);
                    break;
                }
            if (p.run < 0) {
                snprintf(err, errlen, "%s: out of memory", fname);
                goto out;
            }
        }
        if (psl_data_push(d, &p)) {
            snprintf(err, errlen, "%s: out of memory", fname);
            goto out;
        }
        added++;
    }
    ret = added;
out:
    free(r.buf);
    free(r.off);
    free(r.col);
    runmap_free(&map);
    return ret;
}

long psl_csv_read(const char *path, const psl_read_opts *o, psl_data *d, psl_notes *notes,
                  char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (n == cap) {
            char *b = realloc(buf, 2 * cap);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (!buf || ioerr) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path, ioerr ? "read error" : "out of memory");
        return -1;
    }
    long r = psl_csv_parse(buf, n, path, o, d, notes, err, errlen);
    free(buf);
    return r;
}
