/* The expanded sweep as JSON (sweep_json, sweepdef.h). */
#include "sweepdef.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text buffer; after a failed allocation every append is a no-op. */
typedef struct strbuf {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

static int sb_room(strbuf *b, size_t more) {
    if (b->oom) return -1;
    if (b->len + more < b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (b->len + more >= cap) cap *= 2;
    char *grown = realloc(b->p, cap);
    if (!grown) {
        b->oom = 1;
        return -1;
    }
    b->p = grown, b->cap = cap;
    return 0;
}

static void sb_put(strbuf *b, const char *s, size_t n) {
    if (sb_room(b, n + 1)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

/* JSON text, with every byte that is not printable ASCII as \u00XX (so the file is
 * ASCII and valid whatever a string holds). */
static void sb_json_text(strbuf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch < 0x20 || ch >= 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            sb_put(b, esc, 6);
        } else {
            sb_put(b, (const char *)&s[i], 1);
        }
    }
}

/* s as a JSON string: quotes and backslashes escaped, the rest as sb_json_text. */
static void sb_json_string(strbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_put(b, "\\", 1);
        sb_json_text(b, s, 1);
    }
    sb_put(b, "\"", 1);
}

char *sweep_json(const sweep_def *d) {
    strbuf b = {0};
    char *canon = NULL, num[32];
    size_t canon_cap = 8192;
    sb_put(&b, "{\"name\": ", 9);
    sb_json_string(&b, d->name);
    sb_put(&b, ", \"runs\": [\n", 12);
    for (size_t i = 0; i < d->n && !b.oom; i++) {
        int n = -1;
        while (n < 0 && canon_cap <= ((size_t)1 << 26)) {
            char *grown = realloc(canon, canon_cap);
            if (!grown) break;
            canon = grown;
            n = config_canonical_json(&d->runs[i].cfg, canon, canon_cap);
            if (n < 0) canon_cap *= 2;
        }
        if (n < 0) {
            b.oom = 1;
            break;
        }
        int w = snprintf(num, sizeof num, "%zu", i);
        sb_put(&b, "  {\"index\": ", 12);
        sb_put(&b, num, (size_t)w);
        sb_put(&b, ", \"name\": ", 10);
        sb_json_string(&b, d->runs[i].cfg.name);
        sb_put(&b, ", \"run_id\": ", 12);
        sb_json_string(&b, d->runs[i].id_hex);
        sb_put(&b, ", \"config\": ", 12);
        /* The engine's canonical JSON (its run id is hashed from these bytes) escapes
         * quotes, backslashes and control characters; bytes outside ASCII stand only in
         * its strings, where \u00XX keeps the file valid JSON whatever they are. */
        sb_json_text(&b, canon, (size_t)n);
        sb_put(&b, i + 1 < d->n ? "},\n" : "}\n", i + 1 < d->n ? 3 : 2);
    }
    sb_put(&b, "]}\n", 3);
    free(canon);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
