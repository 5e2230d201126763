/* Cutting documents into pieces at paragraph boundaries. */
#include "build.h"
#include "cbuf.h"

#include <string.h>

/* Where to end a unit of at most `max` bytes taken from s[0..n): returns the unit length;
 * *skip is the separator byte count dropped after it. */
static size_t cut_point(const char *s, size_t n, size_t max, size_t *skip) {
    *skip = 0;
    if (n <= max) return n;
    size_t lo = max / 2;
    for (size_t k = max; k > lo; k--)
        if (s[k] == '\n') {
            *skip = 1;
            return k;
        }
    for (size_t k = max; k > lo; k--)
        if (s[k] == ' ' && strchr(".!?", s[k - 1])) {
            *skip = 1;
            return k;
        }
    for (size_t k = max; k > lo; k--)
        if (s[k] == ' ') {
            *skip = 1;
            return k;
        }
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k ? k : max;
}

void corpus_chunk(const char *base, const struct span *par, size_t np, size_t max, piece_fn emit,
                  void *ctx) {
    struct cbuf cur = {0};
    for (size_t i = 0; i < np; i++) {
        const char *s = base + par[i].off;
        size_t n = par[i].len;
        while (n > 0) {
            size_t skip, u = cut_point(s, n, max, &skip);
            if (cur.n && cur.n + 2 + u > max) {
                emit(ctx, cur.p, cur.n);
                cur.n = 0;
            }
            if (cur.n) cbuf_add(&cur, "\n\n", 2);
            cbuf_add(&cur, s, u);
            if (u < n) { /* the rest of an oversized paragraph starts a new piece */
                emit(ctx, cur.p, cur.n);
                cur.n = 0;
            }
            s += u + skip;
            n -= u + skip;
        }
    }
    if (cur.n) emit(ctx, cur.p, cur.n);
    cbuf_free(&cur);
}
