#include "data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Appends s to the string in buf (capacity cap), cutting it short when full. */
static void append(char *buf, size_t cap, const char *s) {
    size_t n = strlen(buf);
    while (*s && n + 1 < cap) buf[n++] = *s++;
    buf[n] = 0;
}

int psl_data_has_ptq_method(const psl_data *d, const char *method, char *list, size_t len) {
    enum { MAXM = 32 }; /* methods listed (a run set has a handful) */
    const char *names[MAXM];
    int nm = 0, found = 0;
    if (len) list[0] = 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!(p->P_post > 0)) continue;
        if (!strcmp(p->method, method)) found = 1;
        int k = 0;
        while (k < nm && strcmp(names[k], p->method)) k++;
        if (k < nm || nm == MAXM) continue;
        names[nm++] = p->method;
        if (!len) continue;
        if (list[0]) append(list, len, ", ");
        append(list, len, p->method[0] ? p->method : "unnamed");
    }
    return found;
}

void psl_data_keep_ptq_method(psl_data *d, const char *method, psl_notes *notes) {
    /* the methods present, with their point counts */
    enum { MAXM = 32 };
    char names[MAXM][sizeof d->pt->method];
    size_t count[MAXM] = {0};
    int nm = 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!(p->P_post > 0)) continue;
        int k = 0;
        while (k < nm && strcmp(names[k], p->method)) k++;
        if (k == nm && nm < MAXM) snprintf(names[nm++], sizeof names[0], "%s", p->method);
        if (k < nm) count[k]++;
    }
    if (nm == 0) return;
    char chosen[sizeof d->pt->method];
    if (method && strcmp(method, "auto")) {
        snprintf(chosen, sizeof chosen, "%s", method);
    } else {
        int best = 0;
        for (int k = 0; k < nm; k++) {
            if (!strcmp(names[k], "gptq")) {
                best = k;
                break;
            }
            if (count[k] > count[best]) best = k;
        }
        snprintf(chosen, sizeof chosen, "%s", names[best]);
    }
    if (nm == 1 && !strcmp(names[0], chosen)) return;
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (p->P_post > 0 && strcmp(p->method, chosen)) {
            dropped++;
            continue;
        }
        if (p->P_post > 0) kept++;
        d->pt[i - dropped] = *p;
    }
    d->n -= dropped;
    char others[256] = "", num[32];
    for (int k = 0; k < nm; k++) {
        if (!strcmp(names[k], chosen)) continue;
        snprintf(num, sizeof num, " (%zu)", count[k]);
        if (others[0]) append(others, sizeof others, ", ");
        append(others, sizeof others, names[k][0] ? names[k] : "unnamed");
        append(others, sizeof others, num);
    }
    psl_note(notes,
             "post-training quantization: fitting the %zu points of method %s; %zu points of "
             "other methods not used: %s (--ptq-method chooses)",
             kept, chosen, dropped, others);
}

int psl_format_unquantized(const char *fmt) {
    static const char *const names[] = {"",        "fp32",    "bf16",  "fp16", "tf32",
                                        "float32", "float16", "float", "none"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcasecmp(fmt, names[i])) return 1;
    return 0;
}

void psl_data_note_format_bits(const psl_data *d, psl_notes *notes) {
    enum { MAXF = 4 };
    size_t npt = 0, nf = 0;
    const psl_point *first[MAXF];
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!(p->P_w >= 16) || psl_format_unquantized(p->format)) continue;
        npt++;
        size_t k = 0;
        while (k < nf && (strcmp(first[k]->format, p->format) || first[k]->P_w != p->P_w)) k++;
        if (k == nf && nf < MAXF) first[nf++] = p;
    }
    if (!npt) return;
    char list[512];
    size_t k = 0;
    list[0] = 0;
    for (size_t j = 0; j < nf && k < sizeof list; j++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s'%s' at %g bits (%s)", j ? "; " : "",
                              first[j]->format, first[j]->P_w, first[j]->source);
    psl_note(notes,
             "%zu point%s name%s a quantized weight format with P_w >= 16 bits: %s%s; treated "
             "as unquantized (P_w >= 16 means unquantized, the format is not used): check the "
             "format or the bits",
             npt, npt == 1 ? "" : "s", npt == 1 ? "s" : "", list, nf == MAXF ? ", ..." : "");
}
