/* qspec: the text form of a quantization choice ("int4:row", "mxfp4", "quest4") and its
 * canonical name. Grammar and defaults are in docs/formats.md. */
#include "quant/quant.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a whole decimal integer from s; -1 if s is not one. */
static long parse_uint(const char *s) {
    if (!*s) return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    long v = strtol(s, NULL, 10);
    return errno || v > 1000000000L ? -1 : v;
}

static int parse_real(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v >= 0.0)) return -1;
    *out = v;
    return 0;
}

/* "eXmY" -> e, m */
static int parse_exmy(const char *s, int *e, int *m) {
    if (s[0] != 'e') return -1;
    const char *mpos = strchr(s, 'm');
    if (!mpos) return -1;
    char eb[8];
    size_t el = (size_t)(mpos - s - 1);
    if (el == 0 || el >= sizeof eb) return -1;
    memcpy(eb, s + 1, el);
    eb[el] = 0;
    long ev = parse_uint(eb), mv = parse_uint(mpos + 1);
    if (ev < 0 || mv < 0 || ev > 64 || mv > 64) return -1;
    *e = (int)ev;
    *m = (int)mv;
    return 0;
}

static void set_defaults(qspec *q) {
    memset(q, 0, sizeof *q);
    q->symmetric = 1;
    q->clip_factor = QUEST_W1A1_CLIP;
}

int qspec_set_granularity(qspec *q, const char *text, char *err, size_t errlen) {
    if (strcmp(text, "tensor") == 0) {
        q->granularity = QG_TENSOR;
        q->group = 0;
    } else if (strcmp(text, "row") == 0 || strcmp(text, "channel") == 0 ||
               strcmp(text, "token") == 0) {
        q->granularity = QG_ROW;
        q->group = 0;
    } else if (text[0] == 'g' && parse_uint(text + 1) >= 1) {
        q->granularity = QG_GROUP;
        q->group = (size_t)parse_uint(text + 1);
    } else {
        snprintf(err, errlen, "granularity \"%s\": expected tensor, row or g<N> (N >= 1)", text);
        return -1;
    }
    return 0;
}

/* Format part of the spec, without modifiers. */
static int parse_format(const char *f, qspec *q, char *err, size_t errlen) {
    long v;
    int e, m;
    const qformat_traits *t = qformat_find(f);
    if (strcmp(f, "none") == 0) t = qformat_find("fp32");
    if (strcmp(f, "mxfp8") == 0) t = qformat_find("mxfp8_e4m3");
    if (strcmp(f, "mxfp4_e2m1") == 0) t = qformat_find("mxfp4");
    if (t && t->bits > 0) {
        q->kind = t->kind;
        q->bits = t->bits;
        q->e = t->e;
        q->m = t->m;
        q->special = t->special;
        q->scaled = t->scaled;
        q->block = t->block;
        return 0;
    }
    if (strncmp(f, "int", 3) == 0 || strncmp(f, "uint", 4) == 0) {
        int asym = f[0] == 'u';
        v = parse_uint(f + (asym ? 4 : 3));
        if (v < 1 || v > 16) {
            snprintf(err, errlen, "format \"%s\": expected %s<K> with K in 1..16", f,
                     asym ? "uint" : "int");
            return -1;
        }
        q->kind = QK_INT;
        q->bits = (int)v;
        q->symmetric = !asym;
        return 0;
    }
    if (strncmp(f, "quest", 5) == 0) {
        v = parse_uint(f + 5);
        if (v < 1 || v > QUEST_MAX_BITS) {
            snprintf(err, errlen, "format \"%s\": expected quest<B> with B in 1..%d", f,
                     QUEST_MAX_BITS);
            return -1;
        }
        q->kind = QK_QUEST;
        q->bits = (int)v;
        q->granularity = QG_ROW;
        return 0;
    }
    /* fpN_eXmY or eXmY */
    const char *em = f;
    long total = -1;
    if (strncmp(f, "fp", 2) == 0 && strchr(f, '_')) {
        char nb[8];
        const char *us = strchr(f, '_');
        size_t nl = (size_t)(us - f - 2);
        if (nl == 0 || nl >= sizeof nb) goto bad;
        memcpy(nb, f + 2, nl);
        nb[nl] = 0;
        total = parse_uint(nb);
        em = us + 1;
    }
    if (parse_exmy(em, &e, &m) == 0) {
        if (total >= 0 && total != 1 + e + m) {
            snprintf(err, errlen, "format \"%s\": fp%ld does not match 1 + %d + %d bits", f, total,
                     e, m);
            return -1;
        }
        q->kind = QK_FP;
        q->e = e;
        q->m = m;
        q->bits = 1 + e + m;
        q->special = qfp_default_special(e, m);
        q->scaled = 1;
        qfp_format tmp;
        return qfp_format_init(&tmp, e, m, q->special, err, errlen);
    }
bad:
    snprintf(err, errlen,
             "format \"%s\": expected fp32, bf16, fp16, int<K>, uint<K>, e<X>m<Y>, fp<N>_e<X>m<Y>, "
             "mxfp8_e4m3, mxfp8_e5m2, mxfp6_e3m2, mxfp6_e2m3, mxfp4, mxint8, nvfp4 or quest<B>",
             f);
    return -1;
}

static int parse_modifier(const char *mod, qspec *q, char *err, size_t errlen) {
    int fp = q->kind == QK_FP, quest = q->kind == QK_QUEST;
    if (strcmp(mod, "tensor") == 0 || strcmp(mod, "row") == 0 || strcmp(mod, "channel") == 0 ||
        strcmp(mod, "token") == 0 || (mod[0] == 'g' && parse_uint(mod + 1) >= 1)) {
        if (q->kind == QK_MX || q->kind == QK_NONE) {
            snprintf(err, errlen, "modifier \"%s\": %s has no granularity to set", mod,
                     q->kind == QK_MX ? "an MX format (fixed blocks of 32)" : "fp32");
            return -1;
        }
        if (q->kind == QK_FP && !q->scaled) {
            snprintf(err, errlen, "modifier \"%s\": unscaled FP has no scale; add :scale first",
                     mod);
            return -1;
        }
        return qspec_set_granularity(q, mod, err, errlen);
    }
    if (fp && (strcmp(mod, "scale") == 0 || strcmp(mod, "noscale") == 0)) {
        q->scaled = mod[0] == 's';
        if (!q->scaled) q->granularity = QG_TENSOR, q->group = 0;
        return 0;
    }
    if ((fp || q->kind == QK_INT) && strcmp(mod, "sr") == 0) {
        q->stochastic = 1;
        return 0;
    }
    if (fp && (strcmp(mod, "ieee") == 0 || strcmp(mod, "fn") == 0 || strcmp(mod, "finite") == 0)) {
        q->special = mod[0] == 'i' ? QFP_IEEE : (mod[1] == 'n' ? QFP_FN : QFP_FINITE);
        qfp_format tmp;
        return qfp_format_init(&tmp, q->e, q->m, q->special, err, errlen);
    }
    if (strcmp(mod, "rangemask") == 0 && q->kind != QK_NONE) {
        q->mask = QM_RANGE;
        return 0;
    }
    if (quest && strcmp(mod, "trustmask") == 0) {
        q->mask = QM_TRUST;
        return 0;
    }
    if (quest && strcmp(mod, "clipmask") == 0) {
        q->mask = QM_CLIP;
        return 0;
    }
    if (quest && strncmp(mod, "trust=", 6) == 0) {
        if (parse_real(mod + 6, &q->trust) || !(q->trust > 0.0)) {
            snprintf(err, errlen, "modifier \"%s\": expected trust=<positive number>", mod);
            return -1;
        }
        q->mask = QM_TRUST;
        return 0;
    }
    if (quest && strncmp(mod, "clip=", 5) == 0) {
        if (parse_real(mod + 5, &q->clip_factor) || !(q->clip_factor > 0.0)) {
            snprintf(err, errlen, "modifier \"%s\": expected clip=<positive number>", mod);
            return -1;
        }
        q->mask = QM_CLIP;
        return 0;
    }
    if (quest && strncmp(mod, "alpha=", 6) == 0) {
        if (strcmp(mod + 6, "paper") == 0) {
            q->alpha_paper = 1;
            q->alpha = quest_alpha_paper(q->bits);
        } else if (strcmp(mod + 6, "exact") == 0) {
            q->alpha_paper = 0;
            q->alpha = quest_alpha(q->bits);
        } else if (parse_real(mod + 6, &q->alpha) || !(q->alpha > 0.0)) {
            snprintf(err, errlen, "modifier \"%s\": expected alpha=paper, exact or a number", mod);
            return -1;
        }
        return 0;
    }
    if (quest && (strcmp(mod, "rotated") == 0 || strcmp(mod, "original") == 0)) {
        q->basis = mod[0] == 'r' ? QB_ROTATED : QB_ORIGINAL;
        return 0;
    }
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
    char sub[200];
    if (!tok || parse_format(tok, &q, sub, sizeof sub)) {
        snprintf(err, errlen, "quantization spec \"%s\": %s", text, tok ? sub : "empty format");
        return -1;
    }
    if (q.kind == QK_QUEST && q.alpha == 0.0) q.alpha = quest_alpha(q.bits);
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
    if (q->kind == QK_INT && (q->bits < 1 || q->bits > 16)) why = "INT bits must be 1..16";
    if (q->kind == QK_QUEST && (q->bits < 1 || q->bits > QUEST_MAX_BITS))
        why = "QuEST bits must be 1..8";
    if (q->kind == QK_QUEST && !(q->alpha > 0.0)) why = "QuEST alpha must be > 0";
    if (q->kind == QK_MX && q->block < 1) why = "MX block must be >= 1";
    if (q->granularity == QG_GROUP && q->group < 1) why = "group size must be >= 1";
    if (q->stochastic && q->kind != QK_INT && q->kind != QK_FP)
        why = "stochastic rounding is for INT and FP formats";
    if (q->kind == QK_FP || (q->kind == QK_MX && q->e > 0)) {
        qfp_format f;
        char sub[128];
        if (qfp_format_init(&f, q->e, q->m, q->special, sub, sizeof sub)) why = "bad FP layout";
    }
    if ((unsigned)q->kind > QK_QUEST) why = "unknown kind";
    if (why) {
        if (err) snprintf(err, errlen, "quantization spec \"%s\": %s", q->name, why);
        return -1;
    }
    return 0;
}

void qspec_name(qspec *q) {
    char b[96] = "";
    size_t n = sizeof q->name;
    switch (q->kind) {
    case QK_NONE:
        snprintf(b, sizeof b, "fp32");
        break;
    case QK_INT:
        snprintf(b, sizeof b, "%sint%d", q->symmetric ? "" : "u", q->bits);
        break;
    case QK_FP:
        if (q->e == 8 && q->m == 7 && !q->scaled && q->special == QFP_IEEE)
            snprintf(b, sizeof b, "bf16");
        else if (q->e == 5 && q->m == 10 && !q->scaled && q->special == QFP_IEEE)
            snprintf(b, sizeof b, "fp16");
        else {
            snprintf(b, sizeof b, "e%dm%d", q->e, q->m);
            if (!q->scaled) strncat(b, ":noscale", sizeof b - strlen(b) - 1);
            if (q->special != qfp_default_special(q->e, q->m))
                strncat(b,
                        q->special == QFP_IEEE ? ":ieee"
                                               : (q->special == QFP_FN ? ":fn" : ":finite"),
                        sizeof b - strlen(b) - 1);
        }
        break;
    case QK_MX:
        if (q->e == 0)
            snprintf(b, sizeof b, "mxint8");
        else if (q->bits == 4)
            snprintf(b, sizeof b, "mxfp4");
        else
            snprintf(b, sizeof b, "mxfp%d_e%dm%d", q->bits, q->e, q->m);
        break;
    case QK_NVFP4:
        snprintf(b, sizeof b, "nvfp4");
        break;
    case QK_QUEST:
        snprintf(b, sizeof b, "quest%d", q->bits);
        break;
    }
    int gran = q->kind == QK_INT || q->kind == QK_NVFP4 || q->kind == QK_QUEST ||
               (q->kind == QK_FP && q->scaled);
    if (gran) {
        char g[32];
        if (q->granularity == QG_GROUP)
            snprintf(g, sizeof g, ":g%zu", q->group);
        else
            snprintf(g, sizeof g, ":%s", q->granularity == QG_ROW ? "row" : "tensor");
        strncat(b, g, sizeof b - strlen(b) - 1);
    }
    if (q->kind == QK_QUEST) {
        char o[64];
        if (q->mask == QM_CLIP) {
            snprintf(o, sizeof o, ":clip=%g", q->clip_factor);
            strncat(b, o, sizeof b - strlen(b) - 1);
        } else if (q->mask == QM_RANGE) {
            strncat(b, ":rangemask", sizeof b - strlen(b) - 1);
        } else if (q->trust > 0.0) {
            snprintf(o, sizeof o, ":trust=%g", q->trust);
            strncat(b, o, sizeof b - strlen(b) - 1);
        }
        if (q->alpha_paper)
            strncat(b, ":alpha=paper", sizeof b - strlen(b) - 1);
        else if (q->alpha != quest_alpha(q->bits)) {
            snprintf(o, sizeof o, ":alpha=%g", q->alpha);
            strncat(b, o, sizeof b - strlen(b) - 1);
        }
        if (q->basis == QB_ROTATED) strncat(b, ":rotated", sizeof b - strlen(b) - 1);
    } else if (q->mask == QM_RANGE) {
        strncat(b, ":rangemask", sizeof b - strlen(b) - 1);
    }
    if (q->stochastic) strncat(b, ":sr", sizeof b - strlen(b) - 1);
    size_t len = strlen(b) < n - 1 ? strlen(b) : n - 1;
    memcpy(q->name, b, len);
    q->name[len] = 0;
}
