/* qspec: the text form of a quantization choice ("int4:row", "mxfp4", "quest4") and its
 * canonical name. Grammar and defaults are in docs/formats.md. */
#include "quant/qinternal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a whole decimal integer from s; -1 if s is not one. */
long qparse_uint(const char *s) {
    if (!*s) return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    long v = strtol(s, NULL, 10);
    return errno || v > 1000000000L ? -1 : v;
}

int qparse_real(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v >= 0.0)) return -1;
    *out = v;
    return 0;
}

static void set_defaults(qspec *q) {
    memset(q, 0, sizeof *q);
    q->symmetric = 1;
    q->clip_factor = QUEST_W1A1_CLIP;
}

int qgran_parse(const char *text, size_t default_group, qgran *g, size_t *group, char *err,
                size_t errlen) {
    long n = -1;
    if (!strcmp(text, "tensor")) {
        *g = QG_TENSOR, *group = 0;
        return 0;
    }
    if (!strcmp(text, "row") || !strcmp(text, "channel") || !strcmp(text, "token")) {
        *g = QG_ROW, *group = 0;
        return 0;
    }
    if (text[0] == 'g' && text[1] != 'r')
        n = qparse_uint(text + 1);
    else if (!strncmp(text, "group:", 6))
        n = qparse_uint(text + 6);
    else if (!strcmp(text, "group") && default_group >= 1)
        n = (long)default_group;
    if (n >= 1 && n <= QGRAN_MAX_GROUP) {
        *g = QG_GROUP, *group = (size_t)n;
        return 0;
    }
    if (err)
        snprintf(err, errlen,
                 "granularity \"%s\": expected tensor, row or g<N> (also channel and token "
                 "for row, group:N for g<N>; N = 1..%d)%s",
                 text, QGRAN_MAX_GROUP, default_group >= 1 ? " or group" : "");
    return -1;
}

int qspec_set_granularity(qspec *q, const char *text, char *err, size_t errlen) {
    return qgran_parse(text, 0, &q->granularity, &q->group, err, errlen);
}

int qis_granularity(const char *s) {
    qgran g;
    size_t n;
    return qgran_parse(s, 0, &g, &n, NULL, 0) == 0;
}

/* Format part of the spec, without modifiers: a named row of the table (or its alias),
 * else the first family that recognises the word. */
static int parse_format(const char *f, qspec *q, char *err, size_t errlen) {
    size_t count;
    const qformat_traits *table = qformat_table(&count);
    for (size_t i = 0; i < count; i++) {
        const qformat_traits *t = &table[i];
        if (t->bits == 0 || (strcmp(f, t->name) && (!t->alias || strcmp(f, t->alias)))) continue;
        q->kind = t->kind;
        q->bits = t->bits;
        q->e = t->e;
        q->m = t->m;
        q->special = t->special;
        q->scaled = t->scaled;
        q->block = t->block;
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        if (!table[i].parse) continue;
        int rc = table[i].parse(&table[i], f, q, err, errlen);
        if (rc <= 0) return rc;
    }
    char list[320];
    qformat_accepted(list, sizeof list);
    snprintf(err, errlen, "format \"%s\": expected %s", f, list);
    return -1;
}

/* Granularity (if the kind has one), then the kind's own modifiers. */
static int parse_modifier(const char *mod, qspec *q, char *err, size_t errlen) {
    const qkind_ops *k = qkind_ops_of(q->kind);
    if (qis_granularity(mod)) {
        if (k->granular && k->granular(q, mod, err, errlen)) return -1;
        return qspec_set_granularity(q, mod, err, errlen);
    }
    int rc = k->modifier ? k->modifier(q, mod, err, errlen) : 1;
    if (rc <= 0) return rc;
    snprintf(err, errlen, "modifier \"%s\" is not valid for this format (see docs/formats.md)",
             mod);
    return -1;
}

int qspec_parse(const char *text, qspec *out, char *err, size_t errlen) {
    char buf[128];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf) {
        snprintf(err, errlen, "quantization spec \"%s\": expected 1..%zu characters", text,
                 sizeof buf - 1);
        return -1;
    }
    for (size_t i = 0; i <= n; i++) buf[i] = (char)tolower((unsigned char)text[i]);
    qspec q;
    set_defaults(&q);
    char *save = NULL;
    char *tok = strtok_r(buf, ":", &save);
    char sub[512];
    if (!tok || parse_format(tok, &q, sub, sizeof sub)) {
        snprintf(err, errlen, "quantization spec \"%s\": %s", text, tok ? sub : "empty format");
        return -1;
    }
    while ((tok = strtok_r(NULL, ":", &save))) {
        if (parse_modifier(tok, &q, sub, sizeof sub)) {
            snprintf(err, errlen, "quantization spec \"%s\": %s", text, sub);
            return -1;
        }
    }
    qspec_name(&q);
    *out = q;
    return 0;
}

int qspec_check(const qspec *q, size_t rows, size_t cols, char *err, size_t errlen) {
    (void)rows;
    (void)cols;
    const char *why = NULL;
    const qkind_ops *k = qkind_ops_of(q->kind);
    if (!k) {
        why = "unknown kind";
    } else {
        if (q->granularity == QG_GROUP && q->group < 1) why = "group size must be >= 1";
        if (q->stochastic && !k->stochastic) why = "stochastic rounding is for INT and FP formats";
        const char *own = k->check ? k->check(q) : NULL;
        if (own) why = own;
    }
    if (why) {
        if (err) snprintf(err, errlen, "quantization spec \"%s\": %s", q->name, why);
        return -1;
    }
    return 0;
}

/* The kind's format word, its granularity if it has one, the kind's modifiers, ":sr". */
void qspec_name(qspec *q) {
    char b[96] = "";
    size_t n = sizeof q->name;
    const qkind_ops *k = qkind_ops_of(q->kind);
    if (k) {
        k->name(q, b, sizeof b);
        if (!k->granular || k->granular(q, NULL, NULL, 0) == 0) {
            char g[32];
            if (q->granularity == QG_GROUP)
                snprintf(g, sizeof g, ":g%zu", q->group);
            else
                snprintf(g, sizeof g, ":%s", q->granularity == QG_ROW ? "row" : "tensor");
            strncat(b, g, sizeof b - strlen(b) - 1);
        }
        if (k->suffix) k->suffix(q, b, sizeof b);
    }
    if (q->stochastic) strncat(b, ":sr", sizeof b - strlen(b) - 1);
    size_t len = strlen(b) < n - 1 ? strlen(b) : n - 1;
    memcpy(q->name, b, len);
    q->name[len] = 0;
}
