#include "data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void psl_data_init(psl_data *d) {
    memset(d, 0, sizeof *d);
}

void psl_data_free(psl_data *d) {
    free(d->pt);
    memset(d, 0, sizeof *d);
}

int psl_data_push(psl_data *d, const psl_point *p) {
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        psl_point *q = realloc(d->pt, cap * sizeof *q);
        if (!q) return -1;
        d->pt = q;
        d->cap = cap;
    }
    d->pt[d->n] = *p;
    d->pt[d->n].lnN = log(p->N);
    d->pt[d->n].lnD = log(p->D);
    d->n++;
    return 0;
}

void psl_point_clear(psl_point *p) {
    memset(p, 0, sizeof *p);
    p->loss = p->base_loss = p->delta = NAN;
    p->P_w = p->P_a = p->P_kv = 16;
}

int psl_point_high_precision(const psl_point *p) {
    return p->P_w >= 16 && p->P_a >= 16 && p->P_kv >= 16;
}

void psl_notes_init(psl_notes *n) {
    memset(n, 0, sizeof *n);
}

void psl_notes_free(psl_notes *n) {
    for (size_t i = 0; i < n->n; i++) free(n->msg[i]);
    free(n->msg);
    memset(n, 0, sizeof *n);
}

void psl_note(psl_notes *n, const char *fmt, ...) {
    if (!n) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n->n == n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 16;
        char **m = realloc(n->msg, cap * sizeof *m);
        if (!m) return;
        n->msg = m;
        n->cap = cap;
    }
    char *s = strdup(buf);
    if (s) n->msg[n->n++] = s;
}

void psl_data_fill_deltas(psl_data *d) {
    for (size_t i = 0; i < d->n; i++) {
        psl_point *p = &d->pt[i];
        if (p->P_post <= 0 || isfinite(p->delta)) continue;
        if (!isfinite(p->base_loss)) {
            for (size_t j = 0; j < d->n; j++) {
                const psl_point *q = &d->pt[j];
                if (q->run == p->run && q->P_post <= 0 && isfinite(q->loss)) {
                    p->base_loss = q->loss;
                    break;
                }
            }
        }
        if (isfinite(p->base_loss)) p->delta = p->loss - p->base_loss;
    }
}
