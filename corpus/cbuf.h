/* Growable byte buffer used by every corpus stage.
 *
 * Allocation failure is sticky: the buffer sets `oom` and ignores later appends, so
 * long cleaning loops need one check at the end instead of one per append. */
#ifndef CORPUS_CBUF_H
#define CORPUS_CBUF_H

#include <stddef.h>

struct cbuf {
    char *p;
    size_t n;
    size_t cap;
    int oom;
};

void cbuf_add(struct cbuf *b, const void *s, size_t n);
void cbuf_addc(struct cbuf *b, char c);
void cbuf_adds(struct cbuf *b, const char *s);
void cbuf_free(struct cbuf *b);
/* Ends the current line/paragraph with exactly `nl` newlines (1 or 2), unless the buffer
 * is empty or already ends with at least that many. Cleaners use it for block breaks. */
void cbuf_break(struct cbuf *b, int nl);

#endif
