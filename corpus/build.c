/* The corpus build pipeline; see build.h. Documents are processed in list order, which
 * fixes which copy of a duplicated paragraph survives. */
#include "build.h"
#include "cbuf.h"
#include "clean.h"
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

uint64_t corpus_fnv1a64(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void corpus_opts_default(struct corpus_opts *o) {
    memset(o, 0, sizeof *o);
    o->tier = "custom";
    o->seed = 20241125;
    o->max_piece = 16384;
    o->dedup_min = 32;
    o->val_per_mille = 8;
}

/* The deduplication key of a paragraph: FNV-1a 64 of its words, so the same paragraph
 * wrapped at other line lengths or indented otherwise counts as a duplicate. */
static uint64_t paragraph_key(const char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    int space = 0, started = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == ' ' || c == '\n' || c == '\t') {
            space = started;
            continue;
        }
        if (space) {
            h ^= ' ';
            h *= 0x100000001b3ULL;
            space = 0;
        }
        h ^= c;
        h *= 0x100000001b3ULL;
        started = 1;
    }
    return h;
}

/* Open-addressing set of 64-bit paragraph hashes (0 marks an empty slot). */
struct hashset {
    uint64_t *slot;
    size_t cap, count;
};

static int hashset_insert(struct hashset *s, uint64_t h, int *was_new) {
    if (h == 0) h = 1;
    if (2 * (s->count + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1 << 16;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (!slot) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) {
                size_t j = s->slot[i] & (cap - 1);
                while (slot[j]) j = (j + 1) & (cap - 1);
                slot[j] = s->slot[i];
            }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    size_t j = h & (s->cap - 1);
    while (s->slot[j] && s->slot[j] != h) j = (j + 1) & (s->cap - 1);
    *was_new = s->slot[j] == 0;
    if (*was_new) {
        s->slot[j] = h;
        s->count++;
    }
    return 0;
}

/* Output pieces of one side (train or val): text back to back, spans into it. */
struct side {
    struct cbuf text;
    struct span *piece;
    size_t count, cap;
    int oom;
    struct source_stats *src; /* the source whose pieces are being added */
    int is_val;
};

static void side_emit(void *ctx, const char *p, size_t n) {
    struct side *s = ctx;
    if (s->count == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        struct span *g = realloc(s->piece, cap * sizeof *g);
        if (!g) {
            s->oom = 1;
            return;
        }
        s->piece = g;
        s->cap = cap;
    }
    s->piece[s->count].off = s->text.n;
    s->piece[s->count].len = n;
    s->count++;
    cbuf_add(&s->text, p, n);
    if (s->is_val) {
        s->src->val_bytes += n;
        s->src->val_pieces++;
    } else {
        s->src->train_bytes += n;
        s->src->train_pieces++;
    }
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int read_all(const char *path, struct cbuf *out, char *err, size_t errlen) {
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s", errno ? strerror(errno) : "cannot open");
        return -1;
    }
    char tmp[1 << 16];
    int r;
    while ((r = gzread(f, tmp, sizeof tmp)) > 0) cbuf_add(out, tmp, (size_t)r);
    int zerr = 0;
    const char *msg = r < 0 ? gzerror(f, &zerr) : NULL;
    if (r < 0) snprintf(err, errlen, "%s", zerr == Z_ERRNO ? strerror(errno) : msg);
    gzclose(f);
    if (!r && out->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return r < 0 ? -1 : 0;
}

/* Splits s[0..n) at the first TAB; returns the field and advances. */
static char *next_field(char **s) {
    char *f = *s;
    if (!f) return NULL;
    char *t = strchr(f, '\t');
    if (t) {
        *t = 0;
        *s = t + 1;
    } else {
        *s = NULL;
    }
    return f;
}

/* Copies a TSV field into a fixed-size manifest field, truncating long values. */
static void copy_field(char *dst, size_t cap, const char *src) {
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static struct source_stats *find_source(struct manifest *m, const char *name) {
    for (size_t i = 0; i < m->nsources; i++)
        if (strcmp(m->sources[i].name, name) == 0) return &m->sources[i];
    return NULL;
}

static struct source_stats *add_source(struct manifest *m, const char *name) {
    if (m->nsources == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 32;
        struct source_stats *g = realloc(m->sources, cap * sizeof *g);
        if (!g) return NULL;
        m->sources = g;
        m->cap = cap;
    }
    struct source_stats *s = &m->sources[m->nsources++];
    memset(s, 0, sizeof *s);
    copy_field(s->name, sizeof s->name, name);
    return s;
}

static int load_sources(const char *path, struct manifest *m, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[8192];
    size_t lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *s = line;
        char *fld[8];
        int k;
        for (k = 0; k < 8 && s; k++) fld[k] = next_field(&s);
        if (k != 8) {
            snprintf(err, errlen,
                     "%s:%zu: expected 8 TAB-separated fields (name registry package version "
                     "licence file bytes sha256), got %d",
                     path, lineno, k);
            fclose(f);
            return -1;
        }
        struct source_stats *src = find_source(m, fld[0]);
        if (!src && !(src = add_source(m, fld[0]))) {
            fclose(f);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        copy_field(src->registry, sizeof src->registry, fld[1]);
        copy_field(src->package, sizeof src->package, fld[2]);
        copy_field(src->version, sizeof src->version, fld[3]);
        copy_field(src->licence, sizeof src->licence, fld[4]);
        copy_field(src->file, sizeof src->file, fld[5]);
        src->bytes_download = strtoull(fld[6], NULL, 10);
        copy_field(src->sha256, sizeof src->sha256, fld[7]);
    }
    fclose(f);
    return 0;
}

struct doc_ctx {
    const struct corpus_opts *o;
    struct hashset seen;
    struct side train, val;
    struct cbuf raw, fixed, cleaned, norm;
    struct span *par;
    size_t npar, parcap;
};

/* Routes one document (or collection part) by its id and cuts it into pieces. */
static void place_doc(struct doc_ctx *c, struct source_stats *src, const char *id,
                      const struct span *par, size_t np) {
    if (np == 0) return;
    uint64_t h = corpus_fnv1a64(id, strlen(id));
    int val = h % 1000 < c->o->val_per_mille;
    struct side *s = val ? &c->val : &c->train;
    s->src = src;
    src->docs++;
    if (val) src->docs_val++;
    corpus_chunk(c->norm.p, par, np, c->o->max_piece, side_emit, s);
}

static int process_doc(struct doc_ctx *c, struct source_stats *src, enum corpus_format fmt,
                       const char *id, const char *path, char *err, size_t errlen) {
    char why[512];
    c->raw.n = c->fixed.n = c->cleaned.n = c->norm.n = 0;
    if (read_all(path, &c->raw, why, sizeof why)) {
        snprintf(err, errlen, "cannot read '%s' (document %s): %s", path, id, why);
        return -1;
    }
    src->files++;
    src->bytes_in += c->raw.n;
    /* clean the bytes as read (dictd offsets count them), then repair the encoding */
    if (corpus_clean(fmt, c->raw.p, c->raw.n, path, &c->cleaned, err, errlen)) return -1;
    corpus_utf8_repair(c->cleaned.p, c->cleaned.n, &c->fixed);
    corpus_normalize(c->fixed.p, c->fixed.n, &c->norm);
    if (c->fixed.oom || c->cleaned.oom || c->norm.oom) {
        snprintf(err, errlen, "out of memory while cleaning '%s'", path);
        return -1;
    }
    src->bytes_clean += c->norm.n;
    c->npar = 0;
    size_t i = 0;
    while (i < c->norm.n) {
        const char *p = c->norm.p + i;
        const char *e = memmem(p, c->norm.n - i, "\n\n", 2);
        size_t len = e ? (size_t)(e - p) : c->norm.n - i;
        src->paragraphs++;
        int keep = 1;
        if (len >= c->o->dedup_min) {
            int was_new;
            if (hashset_insert(&c->seen, paragraph_key(p, len), &was_new)) {
                snprintf(err, errlen, "out of memory in the paragraph set");
                return -1;
            }
            keep = was_new;
        }
        if (keep) {
            if (c->npar == c->parcap) {
                size_t cap = c->parcap ? 2 * c->parcap : 1024;
                struct span *g = realloc(c->par, cap * sizeof *g);
                if (!g) {
                    snprintf(err, errlen, "out of memory");
                    return -1;
                }
                c->par = g;
                c->parcap = cap;
            }
            c->par[c->npar].off = i;
            c->par[c->npar].len = len;
            c->npar++;
        } else {
            src->dup_paragraphs++;
            src->dup_bytes += len;
        }
        i += len + 2;
    }
    if (!corpus_format_is_collection(fmt)) {
        place_doc(c, src, id, c->par, c->npar);
    } else {
        /* parts of at most max_piece bytes, named id#1, id#2, ... */
        size_t start = 0, part = 0;
        while (start < c->npar) {
            size_t end = start, bytes = 0;
            while (end < c->npar &&
                   (end == start || bytes + 2 + c->par[end].len <= c->o->max_piece)) {
                bytes += (end > start ? 2 : 0) + c->par[end].len;
                end++;
            }
            char pid[1200];
            snprintf(pid, sizeof pid, "%s#%zu", id, ++part);
            place_doc(c, src, pid, c->par + start, end - start);
            start = end;
        }
    }
    if (c->train.oom || c->val.oom || c->train.text.oom || c->val.text.oom) {
        snprintf(err, errlen, "out of memory holding the output");
        return -1;
    }
    return 0;
}

static int write_pieces(const char *dir, const char *name, const struct side *s,
                        const size_t *order, uint64_t *hash, char *err, size_t errlen) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < s->count; i++) {
        const struct span *sp = &s->piece[order ? order[i] : i];
        fwrite(s->text.p + sp->off, 1, sp->len, f);
        fputc(0, f);
        for (size_t k = 0; k < sp->len; k++) {
            h ^= (unsigned char)s->text.p[sp->off + k];
            h *= 0x100000001b3ULL;
        }
        h ^= 0;
        h *= 0x100000001b3ULL;
    }
    int bad = ferror(f);
    if (fclose(f) || bad) {
        snprintf(err, errlen, "%s: write error", tmp);
        remove(tmp);
        return -1;
    }
    *hash = h;
    return 0;
}

static int commit_file(const char *dir, const char *name, char *err, size_t errlen) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (rename(tmp, path)) {
        snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int run_list(struct doc_ctx *c, struct manifest *m, char *err, size_t errlen) {
    const struct corpus_opts *o = c->o;
    FILE *f = fopen(o->list_path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open document list: %s", o->list_path, strerror(errno));
        return -1;
    }
    const char *slash = strrchr(o->list_path, '/');
    int dirlen = slash ? (int)(slash - o->list_path) : 0;
    char line[8192];
    size_t lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *s = line, *fld[4];
        int k;
        for (k = 0; k < 4 && s; k++) fld[k] = next_field(&s);
        if (k != 4 || s) {
            snprintf(err, errlen, "%s:%zu: expected 4 TAB-separated fields (source format id path)",
                     o->list_path, lineno);
            rc = -1;
            break;
        }
        enum corpus_format fmt;
        if (corpus_format_parse(fld[1], &fmt)) {
            snprintf(err, errlen, "%s:%zu: unknown format '%s'", o->list_path, lineno, fld[1]);
            rc = -1;
            break;
        }
        struct source_stats *src = find_source(m, fld[0]);
        if (!src) {
            if (o->sources_path) {
                snprintf(err, errlen, "%s:%zu: source '%s' is not in %s", o->list_path, lineno,
                         fld[0], o->sources_path);
                rc = -1;
                break;
            }
            if (!(src = add_source(m, fld[0]))) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
        }
        char path[4096];
        if (fld[3][0] == '/' || dirlen == 0)
            snprintf(path, sizeof path, "%s", fld[3]);
        else
            snprintf(path, sizeof path, "%.*s/%s", dirlen, o->list_path, fld[3]);
        if (process_doc(c, src, fmt, fld[2], path, err, errlen)) {
            rc = -1;
            break;
        }
    }
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "%s: read error", o->list_path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int corpus_build(const struct corpus_opts *o, char *err, size_t errlen) {
    struct manifest m = {0};
    struct doc_ctx c = {0};
    size_t *order = NULL;
    int rc = -1;
    c.o = o;
    c.val.is_val = 1;
    if (o->max_piece < 64) {
        snprintf(err, errlen, "max piece size %zu is too small (at least 64 bytes)", o->max_piece);
        return -1;
    }
    if (o->val_per_mille > 1000) {
        snprintf(err, errlen, "validation share %u per mille is more than 1000", o->val_per_mille);
        return -1;
    }
    if (o->sources_path && load_sources(o->sources_path, &m, err, errlen)) goto done;
    if (run_list(&c, &m, err, errlen)) goto done;
    order = malloc((c.train.count ? c.train.count : 1) * sizeof *order);
    if (!order) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < c.train.count; i++) order[i] = i;
    uint64_t st = o->seed;
    for (size_t i = c.train.count; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&st) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    m.tier = o->tier;
    m.seed = o->seed;
    m.max_piece = o->max_piece;
    m.dedup_min = o->dedup_min;
    m.val_per_mille = o->val_per_mille;
    m.missing = o->missing;
    m.nmissing = o->nmissing;
    m.train_pieces = c.train.count;
    m.val_pieces = c.val.count;
    m.train_bytes = c.train.text.n;
    m.val_bytes = c.val.text.n;
    if (write_pieces(o->out_dir, "train.txt", &c.train, order, &m.train_hash, err, errlen) ||
        write_pieces(o->out_dir, "val.txt", &c.val, NULL, &m.val_hash, err, errlen) ||
        manifest_write(o->out_dir, "manifest.json.tmp", &m, err, errlen))
        goto done;
    if (commit_file(o->out_dir, "train.txt", err, errlen) ||
        commit_file(o->out_dir, "val.txt", err, errlen) ||
        commit_file(o->out_dir, "manifest.json", err, errlen))
        goto done;
    rc = 0;
done:
    if (rc) {
        static const char *const tmps[] = {"train.txt.tmp", "val.txt.tmp", "manifest.json.tmp"};
        for (int t = 0; t < 3; t++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", o->out_dir, tmps[t]);
            remove(path);
        }
    }
    free(order);
    free(m.sources);
    free(c.seen.slot);
    free(c.train.piece);
    free(c.val.piece);
    cbuf_free(&c.train.text);
    cbuf_free(&c.val.text);
    cbuf_free(&c.raw);
    cbuf_free(&c.fixed);
    cbuf_free(&c.cleaned);
    cbuf_free(&c.norm);
    free(c.par);
    return rc;
}
