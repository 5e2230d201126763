/* The run-name scheme (run_name.h). The rules are those sweep run has always used, so
 * the names of committed results do not change. */
#include "run_name.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double round_sig(double x, int digits) {
    if (x == 0 || !isfinite(x)) return x;
    double e = floor(log10(fabs(x))) - digits + 1;
    return round(x / pow(10, e)) * pow(10, e);
}

static void human_count(char *buf, size_t len, double v) {
    static const char *suffix[] = {"", "k", "M", "G", "T", "P"};
    int i = 0;
    while (fabs(v) >= 1000 && i < 5) v /= 1000, i++;
    snprintf(buf, len, "%.3g%s", v, suffix[i]);
}

void run_name_append(char *buf, size_t len, const char *fmt, ...) {
    size_t at = strlen(buf);
    if (at >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + at, len - at, fmt, ap);
    va_end(ap);
}

void run_name_sanitize(char *s) {
    for (; *s; s++)
        if (!(((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')) ||
              *s == '.' || *s == '_' || *s == '-'))
            *s = '-';
}

/* Splits "int4" / "quest4" into family and bits; 0 when the name is not of that form. */
static int family_bits(const char *fmt, char *family, size_t len) {
    size_t n = 0;
    while (fmt[n] >= 'a' && fmt[n] <= 'z') n++;
    if (n == 0 || !fmt[n] || strspn(fmt + n, "0123456789") != strlen(fmt + n)) return 0;
    snprintf(family, len, "%.*s", (int)n, fmt);
    return atoi(fmt + n);
}

void run_precision_label(const train_config *c, char *buf, size_t len) {
    static const char *knob[] = {"w_quant", "a_quant", "kv_quant", "q_quant"};
    static const char *tag[] = {"w", "a", "kv", "q"};
    char fmt[4][64], fam[16] = "", f[16];
    int n_set = 0, compact = 1, all_same = 1;
    for (int i = 0; i < 4; i++) {
        const knob_def *k = knob_find(knob[i]);
        if (k)
            config_format_value(c, k, fmt[i], sizeof fmt[i]);
        else
            snprintf(fmt[i], sizeof fmt[i], "fp32");
        if (strcmp(fmt[i], "fp32")) {
            if (!family_bits(fmt[i], f, sizeof f) || (n_set && strcmp(f, fam))) compact = 0;
            snprintf(fam, sizeof fam, "%s", f);
            n_set++;
        }
        if (i < 3 && strcmp(fmt[i], fmt[0])) all_same = 0;
    }
    if (all_same && (!strcmp(fmt[3], "fp32") || !strcmp(fmt[3], fmt[0]))) {
        snprintf(buf, len, "%s", fmt[0]);
    } else {
        buf[0] = 0;
        for (int i = 0; i < 4; i++) {
            if (!strcmp(fmt[i], "fp32")) continue;
            if (compact)
                run_name_append(buf, len, "%s%d", tag[i], family_bits(fmt[i], f, sizeof f));
            else
                run_name_append(buf, len, "%s%s%s", buf[0] ? "-" : "", tag[i], fmt[i]);
        }
        if (compact && n_set) run_name_append(buf, len, "-%s", fam);
    }
    run_name_sanitize(buf);
}

void run_tokens_label(int64_t tokens, int64_t n_nonembed, char *buf, size_t len) {
    double ratio = n_nonembed > 0 ? (double)tokens / (double)n_nonembed : 0;
    double k = round_sig(ratio, 2);
    if (n_nonembed > 0 && k >= 1 && llround(k * (double)n_nonembed) == tokens) {
        snprintf(buf, len, "D%gN", k);
    } else {
        char h[24];
        human_count(h, sizeof h, (double)tokens);
        snprintf(buf, len, "D%s", h);
    }
}

void run_base_name(const train_config *c, int64_t n_nonembed, char *buf, size_t len) {
    char dpart[40], prec[64];
    run_tokens_label(c->tokens, n_nonembed, dpart, sizeof dpart);
    run_precision_label(c, prec, sizeof prec);
    /* "-pn" marks proj_norm = 1, "-og" gemm=own (knobs added later leave the names of
     * older runs as they were) */
    snprintf(buf, len, "d%lld-l%lld-h%lld%s%s_%s_%s_s%lld", (long long)c->d_model,
             (long long)c->n_layer, (long long)c->n_head, c->proj_norm ? "-pn" : "",
             strcmp(c->gemm, "own") ? "" : "-og", dpart, prec, (long long)c->seed);
    run_name_sanitize(buf);
}
