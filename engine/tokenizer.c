/* Byte-level BPE: pre-tokenisation, training, the tokenizer file, encoding, decoding.
 * The rules are documented in tokenizer.h. */
#include "tokenizer.h"

#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokfile.h"

struct bpe {
    int vocab;
    int nmerges;
    uint16_t *left, *right; /* nmerges each: merge i makes id 256 + i */
    uint32_t *tok_off;      /* vocab + 1 offsets into tok_bytes */
    uint8_t *tok_bytes;
    /* Merge lookup, pair key -> rank, open addressing; rank -1 marks an empty slot. */
    uint32_t *mkey;
    int32_t *mrank;
    uint32_t mmask;
    uint64_t hash;
    int has_src;
    uint64_t src_bytes, src_fnv;
};

/* ---------------------------------------------------------------- pre-tokenisation */

enum { CL_LETTER, CL_DIGIT, CL_SPACE, CL_NUL, CL_PUNCT };

static inline int byte_class(uint8_t c) {
    if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return CL_LETTER;
    if (c >= '0' && c <= '9') return CL_DIGIT;
    if (c == ' ' || (c >= '\t' && c <= '\r')) return CL_SPACE;
    if (c == 0) return CL_NUL;
    return CL_PUNCT;
}

/* Letter, digit or punct: the classes a leading space attaches to. */
static inline int is_word_class(int cl) {
    return cl == CL_LETTER || cl == CL_DIGIT || cl == CL_PUNCT;
}

size_t bpe_piece_end(const uint8_t *text, size_t n, size_t i) {
    size_t limit = n - i > BPE_MAX_PIECE ? i + BPE_MAX_PIECE : n;
    int cl = byte_class(text[i]);
    if (cl == CL_NUL) return i + 1;
    if (cl == CL_SPACE) {
        int lead = text[i] == ' ' && i + 1 < limit && is_word_class(byte_class(text[i + 1]));
        if (!lead) {
            size_t j = i + 1;
            while (j < limit && byte_class(text[j]) == CL_SPACE) j++;
            if (j < n && j - i >= 2 && text[j - 1] == ' ' && is_word_class(byte_class(text[j])))
                j--;
            return j;
        }
        i++; /* the space leads the run that follows */
        cl = byte_class(text[i]);
    }
    size_t j = i + 1;
    if (cl == CL_DIGIT && limit - i > 3) limit = i + 3;
    while (j < limit && byte_class(text[j]) == cl) j++;
    return j;
}

/* ---------------------------------------------------------------- small helpers */

static inline uint32_t pair_key(uint32_t a, uint32_t b) {
    return a << 16 | b;
}

static inline uint32_t mix32(uint32_t k) {
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(h >> 32);
}

static uint64_t piece_hash(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, n);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    return h;
}

/* Merges every occurrence of (a, b) in s[0..len), left to right, into x; returns the new
 * length. Training and encoding share it so they segment identically. */
static inline int apply_merge(uint16_t *s, int len, uint16_t a, uint16_t b, uint16_t x) {
    int j = 0;
    for (int i = 0; i < len;) {
        if (i + 1 < len && s[i] == a && s[i + 1] == b) {
            s[j++] = x;
            i += 2;
        } else {
            s[j++] = s[i++];
        }
    }
    return j;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ---------------------------------------------------------------- vocabulary */

static int32_t merge_rank(const bpe *b, uint32_t key) {
    uint32_t i = mix32(key) & b->mmask;
    for (;;) {
        if (b->mrank[i] < 0) return -1;
        if (b->mkey[i] == key) return b->mrank[i];
        i = (i + 1) & b->mmask;
    }
}

void bpe_free(bpe *b) {
    if (!b) return;
    free(b->left);
    free(b->right);
    free(b->tok_off);
    free(b->tok_bytes);
    free(b->mkey);
    free(b->mrank);
    free(b);
}

/* Builds a tokenizer from its merge list (taking ownership of left/right). Returns the
 * index of the first bad merge in *bad (and -1), or 0. A merge is bad when it names an id
 * not yet defined or repeats an earlier pair. */
static int bpe_build(int vocab, uint16_t *left, uint16_t *right, bpe **out, int *bad,
                     const char **why) {
    *bad = -1;
    *why = "out of memory";
    bpe *b = calloc(1, sizeof *b);
    if (!b) {
        free(left);
        free(right);
        return -1;
    }
    b->vocab = vocab;
    b->nmerges = vocab - 256;
    b->left = left;
    b->right = right;
    uint32_t cap = 1;
    while (cap < 2u * (uint32_t)b->nmerges + 2) cap *= 2;
    b->mmask = cap - 1;
    b->mkey = malloc(cap * sizeof *b->mkey);
    b->mrank = malloc(cap * sizeof *b->mrank);
    b->tok_off = malloc(((size_t)vocab + 1) * sizeof *b->tok_off);
    if (!b->mkey || !b->mrank || !b->tok_off) goto fail;
    for (uint32_t i = 0; i < cap; i++) b->mrank[i] = -1;
    size_t total = 256;
    b->tok_off[0] = 0;
    for (int i = 0; i < 256; i++) b->tok_off[i + 1] = (uint32_t)i + 1;
    for (int m = 0; m < b->nmerges; m++) {
        if (left[m] >= 256 + m || right[m] >= 256 + m) {
            *bad = m;
            *why = "an id that is not yet defined";
            goto fail;
        }
        uint32_t key = pair_key(left[m], right[m]);
        uint32_t i = mix32(key) & b->mmask;
        while (b->mrank[i] >= 0) {
            if (b->mkey[i] == key) {
                *bad = m;
                *why = "a pair already merged earlier";
                goto fail;
            }
            i = (i + 1) & b->mmask;
        }
        b->mkey[i] = key;
        b->mrank[i] = m;
        size_t len = (b->tok_off[left[m] + 1] - b->tok_off[left[m]]) +
                     (b->tok_off[right[m] + 1] - b->tok_off[right[m]]);
        total += len;
        if (total > UINT32_MAX) goto fail;
        b->tok_off[256 + m + 1] = (uint32_t)total;
    }
    b->tok_bytes = malloc(total);
    if (!b->tok_bytes) goto fail;
    for (int i = 0; i < 256; i++) b->tok_bytes[i] = (uint8_t)i;
    for (int m = 0; m < b->nmerges; m++) {
        uint8_t *dst = b->tok_bytes + b->tok_off[256 + m];
        uint32_t ll = b->tok_off[left[m] + 1] - b->tok_off[left[m]];
        uint32_t rl = b->tok_off[right[m] + 1] - b->tok_off[right[m]];
        memcpy(dst, b->tok_bytes + b->tok_off[left[m]], ll);
        memcpy(dst + ll, b->tok_bytes + b->tok_off[right[m]], rl);
    }
    *out = b;
    return 0;
fail:
    bpe_free(b);
    return -1;
}

int bpe_vocab(const bpe *b) {
    return b->vocab;
}

void bpe_merge(const bpe *b, int i, uint16_t *left, uint16_t *right) {
    *left = b->left[i];
    *right = b->right[i];
}

const uint8_t *bpe_token_bytes(const bpe *b, int id, size_t *len) {
    *len = b->tok_off[id + 1] - b->tok_off[id];
    return b->tok_bytes + b->tok_off[id];
}

uint64_t bpe_hash(const bpe *b) {
    return b->hash;
}

int bpe_trained_on(const bpe *b, uint64_t *bytes, uint64_t *fnv) {
    *bytes = b->src_bytes;
    *fnv = b->src_fnv;
    return b->has_src;
}

/* ---------------------------------------------------------------- the file */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} strbuf;

static void sb_add(strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(strbuf *s, const char *fmt, ...) {
    if (s->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(s->p ? s->p + s->n : NULL, s->p ? s->cap - s->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            s->oom = 1;
            return;
        }
        if (s->p && s->n + (size_t)k < s->cap) {
            s->n += (size_t)k;
            return;
        }
        if (grow((void **)&s->p, &s->cap, s->n + (size_t)k + 1, 1) != 0) {
            s->oom = 1;
            return;
        }
    }
}

/* Deterministic text of the tokenizer; its FNV-1a 64 is the tokenizer's hash. */
static int bpe_serialize(const bpe *b, strbuf *s) {
    sb_add(s, "psl-bpe 1\nvocab %d\n", b->vocab);
    if (b->has_src)
        sb_add(s, "trained-on bytes %llu fnv1a64 %016llx\n", (unsigned long long)b->src_bytes,
               (unsigned long long)b->src_fnv);
    sb_add(s, "merges %d\n", b->nmerges);
    for (int m = 0; m < b->nmerges; m++) {
        sb_add(s, "%u %u\t# \"", b->left[m], b->right[m]);
        size_t len;
        const uint8_t *t = bpe_token_bytes(b, 256 + m, &len);
        for (size_t i = 0; i < len; i++) {
            uint8_t c = t[i];
            if (c == '"' || c == '\\')
                sb_add(s, "\\%c", c);
            else if (c == '\n')
                sb_add(s, "\\n");
            else if (c == '\t')
                sb_add(s, "\\t");
            else if (c >= 0x20 && c < 0x7f)
                sb_add(s, "%c", c);
            else
                sb_add(s, "\\x%02x", c);
        }
        sb_add(s, "\"\n");
    }
    return s->oom ? -1 : 0;
}

int bpe_save(const bpe *b, const char *path, char *err, size_t errlen) {
    strbuf s = {0};
    if (bpe_serialize(b, &s) != 0) {
        free(s.p);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = tok_write_file_atomic(path, s.p, s.n, NULL, 0, err, errlen);
    free(s.p);
    return rc;
}

typedef struct {
    const char *p, *end, *name;
    int line; /* number of the line last returned */
    char buf[256];
} lines;

/* Next line that is not blank or a comment, with any trailing comment and whitespace
 * removed; NULL at end of input. Lines longer than the buffer are cut (and then fail to
 * parse, with the start of the line in the message). */
static const char *next_line(lines *L) {
    while (L->p < L->end) {
        const char *nl = memchr(L->p, '\n', (size_t)(L->end - L->p));
        const char *e = nl ? nl : L->end;
        size_t len = (size_t)(e - L->p);
        if (len >= sizeof L->buf) len = sizeof L->buf - 1;
        memcpy(L->buf, L->p, len);
        L->buf[len] = 0;
        L->p = nl ? nl + 1 : L->end;
        L->line++;
        char *hash = strchr(L->buf, '#');
        if (hash) *hash = 0;
        len = strlen(L->buf);
        while (len > 0 &&
               (L->buf[len - 1] == ' ' || L->buf[len - 1] == '\t' || L->buf[len - 1] == '\r'))
            L->buf[--len] = 0;
        const char *q = L->buf;
        while (*q == ' ' || *q == '\t') q++;
        if (*q) return q;
    }
    return NULL;
}

/* Parses a decimal number <= max at *s, advancing past it; -1 if there is none. */
static int parse_u64(const char **s, uint64_t max, uint64_t *v) {
    const char *p = *s;
    if (*p < '0' || *p > '9') return -1;
    uint64_t x = 0;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (x > (max - d) / 10) return -1;
        x = x * 10 + d;
        p++;
    }
    *s = p;
    *v = x;
    return 0;
}

static int parse_hex64(const char **s, uint64_t *v) {
    const char *p = *s;
    uint64_t x = 0;
    int k = 0;
    for (; k < 16; k++, p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        x = x << 4 | (uint64_t)d;
    }
    if (k != 16) return -1;
    *s = p;
    *v = x;
    return 0;
}

/* Matches a literal word followed by spaces. */
static int expect_word(const char **s, const char *word) {
    size_t n = strlen(word);
    if (strncmp(*s, word, n) != 0) return -1;
    const char *p = *s + n;
    if (*p != ' ' && *p != '\t') return -1;
    while (*p == ' ' || *p == '\t') p++;
    *s = p;
    return 0;
}

static void skip_spaces(const char **s) {
    while (**s == ' ' || **s == '\t') (*s)++;
}

/* got is where parsing stopped inside the current line, or NULL at end of input; the
 * message quotes the whole line. */
static int parse_fail(lines *L, const char *got, char *err, size_t errlen, const char *what) {
    if (got)
        snprintf(err, errlen, "%s:%d: expected %s, got \"%.60s\"", L->name, L->line, what, L->buf);
    else
        snprintf(err, errlen, "%s:%d: expected %s, got end of file", L->name, L->line + 1, what);
    return -1;
}

int bpe_parse(const char *text, size_t n, const char *name, bpe **out, char *err, size_t errlen) {
    *out = NULL;
    lines L = {.p = text, .end = text + n, .name = name, .line = 0};
    const char *s = next_line(&L);
    if (!s || strcmp(s, "psl-bpe 1") != 0)
        return parse_fail(&L, s, err, errlen, "\"psl-bpe 1\" (a tokenizer file, version 1)");
    uint64_t vocab = 0, nm = 0, src_bytes = 0, src_fnv = 0;
    int has_src = 0;
    s = next_line(&L);
    if (!s || expect_word(&s, "vocab") != 0 || parse_u64(&s, BPE_MAX_VOCAB, &vocab) != 0 || *s ||
        vocab < BPE_MIN_VOCAB)
        return parse_fail(&L, s, err, errlen, "\"vocab V\" with V in 257..65536");
    s = next_line(&L);
    if (s && strncmp(s, "trained-on", 10) == 0) {
        if (expect_word(&s, "trained-on") != 0 || expect_word(&s, "bytes") != 0 ||
            parse_u64(&s, UINT64_MAX, &src_bytes) != 0 || (*s != ' ' && *s != '\t') ||
            (skip_spaces(&s), expect_word(&s, "fnv1a64")) != 0 || parse_hex64(&s, &src_fnv) != 0 ||
            *s)
            return parse_fail(&L, s, err, errlen,
                              "\"trained-on bytes B fnv1a64 H\" (H 16 hex digits)");
        has_src = 1;
        s = next_line(&L);
    }
    char what[192];
    snprintf(what, sizeof what, "\"merges %llu\" (vocab - 256)", (unsigned long long)vocab - 256);
    if (!s || expect_word(&s, "merges") != 0 || parse_u64(&s, BPE_MAX_VOCAB, &nm) != 0 || *s ||
        nm != vocab - 256)
        return parse_fail(&L, s, err, errlen, what);
    uint16_t *left = malloc(nm * sizeof *left);
    uint16_t *right = malloc(nm * sizeof *right);
    int *line_of = malloc(nm * sizeof *line_of);
    if (!left || !right || !line_of) {
        free(left);
        free(right);
        free(line_of);
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    for (uint64_t m = 0; m < nm; m++) {
        s = next_line(&L);
        uint64_t a, c;
        if (!s || parse_u64(&s, 255 + m, &a) != 0 || (*s != ' ' && *s != '\t') ||
            (skip_spaces(&s), parse_u64(&s, 255 + m, &c)) != 0 || *s) {
            snprintf(what, sizeof what,
                     "merge %llu of %llu: two ids \"L R\", each below %llu (ids defined so far)",
                     (unsigned long long)m + 1, (unsigned long long)nm,
                     (unsigned long long)(256 + m));
            free(left);
            free(right);
            free(line_of);
            return parse_fail(&L, s, err, errlen, what);
        }
        left[m] = (uint16_t)a;
        right[m] = (uint16_t)c;
        line_of[m] = L.line;
    }
    s = next_line(&L);
    if (s) {
        snprintf(what, sizeof what, "end of file after %llu merges", (unsigned long long)nm);
        free(left);
        free(right);
        free(line_of);
        return parse_fail(&L, s, err, errlen, what);
    }
    int bad;
    const char *why;
    bpe *b;
    if (bpe_build((int)vocab, left, right, &b, &bad, &why) != 0) {
        if (bad >= 0)
            snprintf(err, errlen, "%s:%d: merge %d names %s", name, line_of[bad], bad + 1, why);
        else
            snprintf(err, errlen, "%s: %s", name, why);
        free(line_of);
        return -1;
    }
    free(line_of);
    b->has_src = has_src;
    b->src_bytes = src_bytes;
    b->src_fnv = src_fnv;
    b->hash = tok_fnv1a64(text, n);
    *out = b;
    return 0;
}

int bpe_load(const char *path, bpe **out, char *err, size_t errlen) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open tokenizer: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (grow((void **)&buf, &cap, n + 65536, 1) != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            free(buf);
            fclose(f);
            return -1;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int rd_err = ferror(f);
    fclose(f);
    if (rd_err) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return -1;
    }
    int rc = bpe_parse(buf, n, path, out, err, errlen);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- training */

/* Unique pieces of the training text: each is a substring of the text (off, len). */
typedef struct {
    uint64_t *hash;
    uint64_t *off;
    uint32_t *len; /* 0 marks an empty slot */
    int64_t *count;
    size_t cap, used;
} piece_table;

static int pt_init(piece_table *t, size_t cap) {
    t->cap = cap;
    t->used = 0;
    t->hash = malloc(cap * sizeof *t->hash);
    t->off = malloc(cap * sizeof *t->off);
    t->len = calloc(cap, sizeof *t->len);
    t->count = malloc(cap * sizeof *t->count);
    return t->hash && t->off && t->len && t->count ? 0 : -1;
}

static void pt_free(piece_table *t) {
    free(t->hash);
    free(t->off);
    free(t->len);
    free(t->count);
}

static void pt_put(piece_table *t, const uint8_t *text, uint64_t off, uint32_t len, uint64_t h,
                   int64_t count) {
    size_t mask = t->cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        if (t->len[i] == 0) {
            t->hash[i] = h;
            t->off[i] = off;
            t->len[i] = len;
            t->count[i] = count;
            t->used++;
            return;
        }
        if (t->hash[i] == h && t->len[i] == len && memcmp(text + t->off[i], text + off, len) == 0) {
            t->count[i] += count;
            return;
        }
        i = (i + 1) & mask;
    }
}

static int pt_grow(piece_table *t, const uint8_t *text) {
    piece_table g;
    if (pt_init(&g, t->cap * 2) != 0) {
        pt_free(&g);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->len[i]) pt_put(&g, text, t->off[i], t->len[i], t->hash[i], t->count[i]);
    pt_free(t);
    *t = g;
    return 0;
}

typedef struct {
    uint32_t key;
    uint32_t epoch; /* merge step that last touched the count */
    int64_t count, snap;
    uint32_t *occ; /* words containing the pair (may hold stale entries) */
    uint32_t nocc, occ_cap;
} pair_rec;

typedef struct {
    int64_t count;
    uint32_t key;
} heap_ent;

typedef struct {
    /* words: unique pieces of length >= 2 as symbol sequences */
    uint16_t *sym;
    size_t *woff;
    uint8_t *wlen;
    int64_t *wcnt;
    uint32_t *wepoch;
    size_t nwords;
    /* pairs: key -> index in recs */
    pair_rec *recs;
    size_t nrecs, recs_cap;
    uint32_t *pkey;
    int32_t *pidx; /* -1 empty */
    size_t pcap;
    heap_ent *heap;
    size_t nheap, heap_cap;
    uint32_t *touched;
    size_t ntouched, touched_cap;
    uint32_t epoch;
} trainer;

static inline int heap_before(heap_ent a, heap_ent b) {
    return a.count > b.count || (a.count == b.count && a.key < b.key);
}

static void heap_down(heap_ent *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && heap_before(h[l], h[m])) m = l;
        if (r < n && heap_before(h[r], h[m])) m = r;
        if (m == i) return;
        heap_ent t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int heap_push(trainer *T, int64_t count, uint32_t key) {
    if (grow((void **)&T->heap, &T->heap_cap, T->nheap + 1, sizeof *T->heap) != 0) return -1;
    size_t i = T->nheap++;
    T->heap[i] = (heap_ent){count, key};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_before(T->heap[i], T->heap[p])) break;
        heap_ent t = T->heap[i];
        T->heap[i] = T->heap[p];
        T->heap[p] = t;
        i = p;
    }
    return 0;
}

static heap_ent heap_pop(trainer *T) {
    heap_ent top = T->heap[0];
    T->heap[0] = T->heap[--T->nheap];
    heap_down(T->heap, T->nheap, 0);
    return top;
}

static int pair_table_grow(trainer *T) {
    size_t cap = T->pcap ? T->pcap * 2 : 1 << 16;
    uint32_t *k = malloc(cap * sizeof *k);
    int32_t *v = malloc(cap * sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < cap; i++) v[i] = -1;
    for (size_t r = 0; r < T->nrecs; r++) {
        size_t i = mix32(T->recs[r].key) & (cap - 1);
        while (v[i] >= 0) i = (i + 1) & (cap - 1);
        k[i] = T->recs[r].key;
        v[i] = (int32_t)r;
    }
    free(T->pkey);
    free(T->pidx);
    T->pkey = k;
    T->pidx = v;
    T->pcap = cap;
    return 0;
}

/* Index of the record for key, created (count 0) if new; -1 when out of memory. */
static int32_t pair_get(trainer *T, uint32_t key) {
    size_t i = mix32(key) & (T->pcap - 1);
    while (T->pidx[i] >= 0) {
        if (T->pkey[i] == key) return T->pidx[i];
        i = (i + 1) & (T->pcap - 1);
    }
    if (T->nrecs + 1 > T->pcap / 2) {
        if (pair_table_grow(T) != 0) return -1;
        return pair_get(T, key);
    }
    if (T->nrecs >= INT32_MAX ||
        grow((void **)&T->recs, &T->recs_cap, T->nrecs + 1, sizeof *T->recs) != 0)
        return -1;
    int32_t r = (int32_t)T->nrecs++;
    T->recs[r] = (pair_rec){.key = key};
    T->pkey[i] = key;
    T->pidx[i] = r;
    return r;
}

/* Adds d to a pair's count, remembering its count before this merge step. */
static int32_t pair_add(trainer *T, uint32_t key, int64_t d) {
    int32_t r = pair_get(T, key);
    if (r < 0) return -1;
    pair_rec *p = &T->recs[r];
    if (p->epoch != T->epoch) {
        p->epoch = T->epoch;
        p->snap = p->count;
        if (grow((void **)&T->touched, &T->touched_cap, T->ntouched + 1, sizeof *T->touched))
            return -1;
        T->touched[T->ntouched++] = (uint32_t)r;
    }
    p->count += d;
    return r;
}

static int occ_push(pair_rec *p, uint32_t w) {
    if (p->nocc > 0 && p->occ[p->nocc - 1] == w) return 0;
    if (p->nocc == p->occ_cap) {
        uint32_t c = p->occ_cap ? p->occ_cap * 2 : 4;
        uint32_t *q = realloc(p->occ, c * sizeof *q);
        if (!q) return -1;
        p->occ = q;
        p->occ_cap = c;
    }
    p->occ[p->nocc++] = w;
    return 0;
}

static void trainer_free(trainer *T) {
    free(T->sym);
    free(T->woff);
    free(T->wlen);
    free(T->wcnt);
    free(T->wepoch);
    for (size_t r = 0; r < T->nrecs; r++) free(T->recs[r].occ);
    free(T->recs);
    free(T->pkey);
    free(T->pidx);
    free(T->heap);
    free(T->touched);
}

/* Cuts text into parts of about target bytes, each ending just after a NUL (or at the
 * end). A NUL is a piece boundary whatever precedes it, so parts pre-tokenise exactly as
 * the whole text does. *bounds gets *nparts + 1 offsets. */
static int split_at_nul(const uint8_t *text, size_t n, size_t target, size_t **bounds,
                        size_t *nparts) {
    size_t cap = 0, k = 0, *b = NULL;
    if (grow((void **)&b, &cap, 1, sizeof *b) != 0) return -1;
    b[k++] = 0;
    for (size_t s = 0; s < n;) {
        size_t e = n;
        if (n - s > target) {
            const uint8_t *z = memchr(text + s + target, 0, n - s - target);
            if (z) e = (size_t)(z - text) + 1;
        }
        if (grow((void **)&b, &cap, k + 1, sizeof *b) != 0) {
            free(b);
            return -1;
        }
        b[k++] = e;
        s = e;
    }
    *bounds = b;
    *nparts = k - 1;
    return 0;
}

static int count_range(piece_table *t, const uint8_t *text, size_t s, size_t e) {
    for (size_t i = s; i < e;) {
        size_t j = bpe_piece_end(text, e, i);
        if (j - i >= 2) {
            if (t->used + 1 > t->cap / 2 && pt_grow(t, text) != 0) return -1;
            pt_put(t, text, i, (uint32_t)(j - i), piece_hash(text + i, j - i), 1);
        }
        i = j;
    }
    return 0;
}

/* Counts the pieces of text (parts in parallel, one table per thread, then summed) and
 * turns those of length >= 2 into words. The order of the words depends on the thread
 * count; the merges do not, since each step's choice depends only on pair counts. */
static int count_words(trainer *T, const uint8_t *text, size_t n, int threads) {
    size_t *bounds, nparts;
    size_t target = n / ((size_t)threads * 8);
    if (target < ((size_t)1 << 16)) target = (size_t)1 << 16;
    if (split_at_nul(text, n, target, &bounds, &nparts) != 0) return -1;
    if ((size_t)threads > nparts) threads = nparts ? (int)nparts : 1;
    piece_table *tabs = calloc((size_t)threads, sizeof *tabs);
    if (!tabs) {
        free(bounds);
        return -1;
    }
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        piece_table *t = &tabs[omp_get_thread_num()];
        int ok = pt_init(t, 1 << 12) == 0;
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < nparts; p++)
            if (ok) ok = count_range(t, text, bounds[p], bounds[p + 1]) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
    }
    free(bounds);
    piece_table *t = &tabs[0];
    for (int k = 1; k < threads && !failed; k++) {
        piece_table *o = &tabs[k];
        for (size_t i = 0; i < o->cap && !failed; i++) {
            if (!o->len[i]) continue;
            if (t->used + 1 > t->cap / 2 && pt_grow(t, text) != 0)
                failed = 1;
            else
                pt_put(t, text, o->off[i], o->len[i], o->hash[i], o->count[i]);
        }
    }
    for (int k = 1; k < threads; k++) pt_free(&tabs[k]);
    if (failed) {
        pt_free(t);
        free(tabs);
        return -1;
    }
    size_t nsym = 0;
    for (size_t i = 0; i < t->cap; i++) nsym += t->len[i];
    T->nwords = t->used;
    T->sym = malloc((nsym + 1) * sizeof *T->sym);
    T->woff = malloc((t->used + 1) * sizeof *T->woff);
    T->wlen = malloc(t->used + 1);
    T->wcnt = malloc((t->used + 1) * sizeof *T->wcnt);
    T->wepoch = calloc(t->used + 1, sizeof *T->wepoch);
    int rc = T->sym && T->woff && T->wlen && T->wcnt && T->wepoch ? 0 : -1;
    size_t w = 0, o = 0;
    for (size_t i = 0; i < t->cap && rc == 0; i++) {
        if (!t->len[i]) continue;
        T->woff[w] = o;
        T->wlen[w] = (uint8_t)t->len[i];
        T->wcnt[w] = t->count[i];
        for (uint32_t k = 0; k < t->len[i]; k++) T->sym[o + k] = text[t->off[i] + k];
        o += t->len[i];
        w++;
    }
    pt_free(t);
    free(tabs);
    return rc;
}

static int init_pairs(trainer *T) {
    if (pair_table_grow(T) != 0) return -1;
    for (size_t w = 0; w < T->nwords; w++) {
        const uint16_t *s = T->sym + T->woff[w];
        for (int i = 0; i + 1 < T->wlen[w]; i++) {
            int32_t r = pair_get(T, pair_key(s[i], s[i + 1]));
            if (r < 0) return -1;
            T->recs[r].count += T->wcnt[w];
            if (occ_push(&T->recs[r], (uint32_t)w) != 0) return -1;
        }
    }
    T->heap = malloc((T->nrecs + 1) * sizeof *T->heap);
    if (!T->heap) return -1;
    T->heap_cap = T->nrecs + 1;
    for (size_t r = 0; r < T->nrecs; r++)
        T->heap[T->nheap++] = (heap_ent){T->recs[r].count, T->recs[r].key};
    for (size_t i = T->nheap / 2; i-- > 0;) heap_down(T->heap, T->nheap, i);
    return 0;
}

/* Merges (a, b) into x in every word that holds it, updating pair counts. */
static int merge_step(trainer *T, int32_t r, uint16_t a, uint16_t b, uint16_t x) {
    T->epoch++;
    T->ntouched = 0;
    /* The pair can never reappear (a and b are never recreated), so its list is taken. */
    uint32_t *occ = T->recs[r].occ;
    uint32_t nocc = T->recs[r].nocc;
    T->recs[r].occ = NULL;
    T->recs[r].nocc = T->recs[r].occ_cap = 0;
    int rc = 0;
    for (uint32_t k = 0; k < nocc && rc == 0; k++) {
        uint32_t w = occ[k];
        if (T->wepoch[w] == T->epoch) continue;
        T->wepoch[w] = T->epoch;
        uint16_t *s = T->sym + T->woff[w];
        int len = T->wlen[w], has = 0;
        for (int i = 0; i + 1 < len && !has; i++) has = s[i] == a && s[i + 1] == b;
        if (!has) continue;
        int64_t c = T->wcnt[w];
        for (int i = 0; i + 1 < len; i++)
            if (pair_add(T, pair_key(s[i], s[i + 1]), -c) < 0) rc = -1;
        len = apply_merge(s, len, a, b, x);
        T->wlen[w] = (uint8_t)len;
        for (int i = 0; i + 1 < len; i++) {
            int32_t q = pair_add(T, pair_key(s[i], s[i + 1]), c);
            if (q < 0)
                rc = -1;
            else if ((s[i] == x || s[i + 1] == x) && occ_push(&T->recs[q], w) != 0)
                rc = -1;
        }
    }
    free(occ);
    for (size_t k = 0; k < T->ntouched && rc == 0; k++) {
        pair_rec *p = &T->recs[T->touched[k]];
        if (p->count > p->snap && heap_push(T, p->count, p->key) != 0) rc = -1;
    }
    return rc;
}

int bpe_train(const uint8_t *text, size_t n, int vocab, bpe **out, char *err, size_t errlen) {
    return bpe_train_threads(text, n, vocab, 0, out, err, errlen);
}

int bpe_train_threads(const uint8_t *text, size_t n, int vocab, int threads, bpe **out, char *err,
                      size_t errlen) {
    *out = NULL;
    if (threads <= 0) threads = omp_get_max_threads();
    if (vocab < BPE_MIN_VOCAB || vocab > BPE_MAX_VOCAB) {
        snprintf(err, errlen, "vocab %d out of range, expected %d..%d", vocab, BPE_MIN_VOCAB,
                 BPE_MAX_VOCAB);
        return -1;
    }
    int nm = vocab - 256;
    uint16_t *left = malloc((size_t)nm * sizeof *left);
    uint16_t *right = malloc((size_t)nm * sizeof *right);
    trainer T = {0};
    if (!left || !right || count_words(&T, text, n, threads) != 0 || init_pairs(&T) != 0) goto oom;
    int m = 0;
    while (m < nm) {
        if (T.nheap == 0) {
            snprintf(err, errlen,
                     "training text too small: only %d merges possible, vocab %d needs %d", m,
                     vocab, nm);
            goto fail;
        }
        heap_ent top = heap_pop(&T);
        int32_t r = pair_get(&T, top.key);
        if (r < 0) goto oom;
        if (T.recs[r].count != top.count) {
            /* Stale entry: keep the invariant that every live pair has an entry at least
             * as large as its count. */
            if (T.recs[r].count > 0 && heap_push(&T, T.recs[r].count, top.key) != 0) goto oom;
            continue;
        }
        if (top.count <= 0) continue;
        uint16_t a = (uint16_t)(top.key >> 16), b = (uint16_t)(top.key & 0xffff);
        left[m] = a;
        right[m] = b;
        if (merge_step(&T, r, a, b, (uint16_t)(256 + m)) != 0) goto oom;
        m++;
    }
    trainer_free(&T);
    int bad;
    const char *why;
    bpe *bp;
    if (bpe_build(vocab, left, right, &bp, &bad, &why) != 0) {
        snprintf(err, errlen, "building the trained tokenizer failed: %s", why);
        return -1;
    }
    bp->has_src = 1;
    bp->src_bytes = n;
    bp->src_fnv = tok_fnv1a64(text, n);
    strbuf s = {0};
    if (bpe_serialize(bp, &s) != 0) {
        free(s.p);
        bpe_free(bp);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bp->hash = tok_fnv1a64(s.p, s.n);
    free(s.p);
    *out = bp;
    return 0;
oom:
    snprintf(err, errlen, "out of memory while training the tokenizer");
fail:
    trainer_free(&T);
    free(left);
    free(right);
    return -1;
}

/* ---------------------------------------------------------------- encoding */

/* Segments one piece by applying the lowest-ranked merge present until none applies. */
static int encode_piece(const bpe *b, const uint8_t *p, int len, uint16_t *out) {
    for (int i = 0; i < len; i++) out[i] = p[i];
    while (len >= 2) {
        int32_t best = INT32_MAX;
        for (int i = 0; i + 1 < len; i++) {
            int32_t r = merge_rank(b, pair_key(out[i], out[i + 1]));
            if (r >= 0 && r < best) best = r;
        }
        if (best == INT32_MAX) break;
        len = apply_merge(out, len, b->left[best], b->right[best], (uint16_t)(256 + best));
    }
    return len;
}

/* Per-thread cache, piece bytes -> ids, since most pieces repeat. Cleared when full. */
typedef struct {
    uint64_t *hash;
    uint32_t *koff, *ioff;
    uint8_t *klen, *nids; /* klen 0 marks an empty slot */
    size_t cap, used;
    uint8_t *keys;
    size_t nkeys, keys_cap;
    uint16_t *ids;
    size_t nids_used, ids_cap;
} piece_cache;

/* At most 1M cached pieces (2M slots) per thread, about 100 MB; a test build lowers it to
 * exercise the clearing. */
#ifndef BPE_CACHE_MAX_SLOTS
#define BPE_CACHE_MAX_SLOTS ((size_t)1 << 21)
#endif

static void cache_free(piece_cache *c) {
    free(c->hash);
    free(c->koff);
    free(c->ioff);
    free(c->klen);
    free(c->nids);
    free(c->keys);
    free(c->ids);
    memset(c, 0, sizeof *c);
}

static int cache_alloc(piece_cache *c, size_t cap) {
    c->cap = cap;
    c->used = 0;
    c->hash = malloc(cap * sizeof *c->hash);
    c->koff = malloc(cap * sizeof *c->koff);
    c->ioff = malloc(cap * sizeof *c->ioff);
    c->klen = calloc(cap, 1);
    c->nids = malloc(cap);
    return c->hash && c->koff && c->ioff && c->klen && c->nids ? 0 : -1;
}

static void cache_insert_slot(piece_cache *c, uint64_t h, uint32_t koff, uint8_t klen,
                              uint32_t ioff, uint8_t nids) {
    size_t i = (size_t)h & (c->cap - 1);
    while (c->klen[i]) i = (i + 1) & (c->cap - 1);
    c->hash[i] = h;
    c->koff[i] = koff;
    c->klen[i] = klen;
    c->ioff[i] = ioff;
    c->nids[i] = nids;
    c->used++;
}

/* Makes room for one more entry: doubles the table, or empties it at the size limit. */
static int cache_reserve(piece_cache *c) {
    if (c->used + 1 <= c->cap / 2 && c->nkeys + BPE_MAX_PIECE <= UINT32_MAX / 2) return 0;
    if (c->cap >= BPE_CACHE_MAX_SLOTS || c->nkeys + BPE_MAX_PIECE > UINT32_MAX / 2) {
        memset(c->klen, 0, c->cap);
        c->used = 0;
        c->nkeys = 0;
        c->nids_used = 0;
        return 0;
    }
    piece_cache g = *c;
    if (cache_alloc(&g, c->cap * 2) != 0) {
        free(g.hash);
        free(g.koff);
        free(g.ioff);
        free(g.klen);
        free(g.nids);
        return -1;
    }
    for (size_t i = 0; i < c->cap; i++)
        if (c->klen[i])
            cache_insert_slot(&g, c->hash[i], c->koff[i], c->klen[i], c->ioff[i], c->nids[i]);
    free(c->hash);
    free(c->koff);
    free(c->ioff);
    free(c->klen);
    free(c->nids);
    *c = g;
    return 0;
}

/* Appends the ids of piece p to out; returns how many, or -1 when out of memory. */
static int encode_cached(const bpe *b, piece_cache *c, const uint8_t *p, int len, uint16_t *out) {
    if (len == 1) {
        out[0] = p[0];
        return 1;
    }
    uint64_t h = piece_hash(p, (size_t)len);
    size_t i = (size_t)h & (c->cap - 1);
    while (c->klen[i]) {
        if (c->hash[i] == h && c->klen[i] == len && memcmp(c->keys + c->koff[i], p, len) == 0) {
            memcpy(out, c->ids + c->ioff[i], c->nids[i] * sizeof *out);
            return c->nids[i];
        }
        i = (i + 1) & (c->cap - 1);
    }
    int k = encode_piece(b, p, len, out);
    if (cache_reserve(c) != 0 ||
        grow((void **)&c->keys, &c->keys_cap, c->nkeys + (size_t)len, 1) != 0 ||
        grow((void **)&c->ids, &c->ids_cap, c->nids_used + (size_t)k, sizeof *c->ids) != 0)
        return -1;
    memcpy(c->keys + c->nkeys, p, (size_t)len);
    memcpy(c->ids + c->nids_used, out, (size_t)k * sizeof *out);
    cache_insert_slot(c, h, (uint32_t)c->nkeys, (uint8_t)len, (uint32_t)c->nids_used, (uint8_t)k);
    c->nkeys += (size_t)len;
    c->nids_used += (size_t)k;
    return k;
}

/* Encodes one part; *out is malloc'd and holds *nout ids. */
static int encode_part(const bpe *b, piece_cache *c, const uint8_t *text, size_t n, uint16_t **out,
                       size_t *nout) {
    uint16_t *o = malloc((n ? n : 1) * sizeof *o);
    if (!o) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t e = bpe_piece_end(text, n, i);
        int got = encode_cached(b, c, text + i, (int)(e - i), o + k);
        if (got < 0) {
            free(o);
            return -1;
        }
        k += (size_t)got;
        i = e;
    }
    uint16_t *shrunk = realloc(o, (k ? k : 1) * sizeof *o);
    *out = shrunk ? shrunk : o;
    *nout = k;
    return 0;
}

#define PART_BYTES ((size_t)1 << 20)

int bpe_encode(const bpe *b, const uint8_t *text, size_t n, int threads, uint16_t **out,
               size_t *nout, char *err, size_t errlen) {
    *out = NULL;
    *nout = 0;
    /* Parts end just after a NUL, so encoding them separately gives the single-pass
     * result. */
    size_t nparts, *bounds = NULL;
    if (split_at_nul(text, n, PART_BYTES, &bounds, &nparts) != 0) goto oom;
    uint16_t **parts = calloc(nparts ? nparts : 1, sizeof *parts);
    size_t *counts = calloc(nparts ? nparts : 1, sizeof *counts);
    if (!parts || !counts) {
        free(parts);
        free(counts);
        goto oom;
    }
    if (threads <= 0) threads = omp_get_max_threads();
    if ((size_t)threads > nparts) threads = nparts ? (int)nparts : 1;
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        piece_cache c = {0};
        int ok = cache_alloc(&c, 1 << 12) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < nparts; p++) {
            if (!ok) continue;
            if (encode_part(b, &c, text + bounds[p], bounds[p + 1] - bounds[p], &parts[p],
                            &counts[p]) != 0) {
                ok = 0;
#pragma omp atomic write
                failed = 1;
            }
        }
        cache_free(&c);
    }
    size_t total = 0;
    for (size_t p = 0; p < nparts; p++) total += counts[p];
    uint16_t *o = failed ? NULL : malloc((total ? total : 1) * sizeof *o);
    if (o) {
        size_t k = 0;
        for (size_t p = 0; p < nparts; p++) {
            memcpy(o + k, parts[p], counts[p] * sizeof *o);
            k += counts[p];
        }
    }
    for (size_t p = 0; p < nparts; p++) free(parts[p]);
    free(parts);
    free(counts);
    free(bounds);
    if (!o) {
        snprintf(err, errlen, "out of memory while encoding %zu bytes", n);
        return -1;
    }
    *out = o;
    *nout = total;
    return 0;
oom:
    free(bounds);
    snprintf(err, errlen, "out of memory while encoding %zu bytes", n);
    return -1;
}

int bpe_decode(const bpe *b, const uint16_t *ids, size_t n, uint8_t **out, size_t *nout, char *err,
               size_t errlen) {
    *out = NULL;
    *nout = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= b->vocab) {
            snprintf(err, errlen, "token %zu is id %u, expected < vocab %d", i, ids[i], b->vocab);
            return -1;
        }
        total += b->tok_off[ids[i] + 1] - b->tok_off[ids[i]];
    }
    uint8_t *o = malloc(total ? total : 1);
    if (!o) {
        snprintf(err, errlen, "out of memory decoding %zu tokens", n);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t len = b->tok_off[ids[i] + 1] - b->tok_off[ids[i]];
        memcpy(o + k, b->tok_bytes + b->tok_off[ids[i]], len);
        k += len;
    }
    *out = o;
    *nout = total;
    return 0;
}
