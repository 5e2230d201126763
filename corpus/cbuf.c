#include "cbuf.h"

#include <stdlib.h>
#include <string.h>

void cbuf_add(struct cbuf *b, const void *s, size_t n) {
    if (b->oom || n == 0) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

void cbuf_addc(struct cbuf *b, char c) {
    cbuf_add(b, &c, 1);
}

void cbuf_adds(struct cbuf *b, const char *s) {
    cbuf_add(b, s, strlen(s));
}

void cbuf_free(struct cbuf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->oom = 0;
}

void cbuf_break(struct cbuf *b, int nl) {
    if (b->n == 0) return;
    int have = 0;
    while (have < nl && (size_t)have < b->n && b->p[b->n - 1 - have] == '\n') have++;
    for (; have < nl; have++) cbuf_addc(b, '\n');
}
