/* The tokenizer file (format in tokenizer.h): writing, parsing, loading. */
#include "tokenizer_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokfile.h"

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
int bpe_serialize(const bpe *b, strbuf *s) {
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
