/* From the options of a PTQ request and one bit width to the qspec of quant/quant.h,
 * and the name of the run-file table the rows go to. */
#include "ptq/ptq.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void ptq_format_default(ptq_format *f) {
    memset(f, 0, sizeof *f);
    snprintf(f->format, sizeof f->format, "int");
    snprintf(f->granularity, sizeof f->granularity, "channel");
    f->group = 128;
    f->symmetric = 1;
}

int ptq_fp_layout(int bits, int *e, int *m) {
    /* Few exponent bits at low widths (weights have a narrow range once scaled per
     * channel); OCP's E2M1 at 4 and E4M3 at 8; E5 from 9 bits on. */
    static const int E[] = {0, 0, 0, 2, 2, 2, 3, 4, 4};
    static const int Mm[] = {0, 0, 0, 0, 1, 2, 2, 2, 3};
    if (bits >= 3 && bits <= 8) {
        *e = E[bits], *m = Mm[bits];
        return 0;
    }
    if (bits >= 9 && bits <= 16) {
        *e = 5, *m = bits - 6;
        return 0;
    }
    return -1;
}

/* The request's granularity as format text (":row", ":tensor", ":g128"), through the one
 * granularity grammar (quant.h qgran_parse), whose message names the accepted forms. */
static int gran_suffix(const ptq_format *f, qgran *g, char *buf, size_t len, char *err,
                       size_t errlen) {
    size_t group;
    char why[200];
    if (qgran_parse(f->granularity, f->group >= 1 ? (size_t)f->group : 0, g, &group, why,
                    sizeof why)) {
        snprintf(err, errlen, "PTQ %s", why);
        return -1;
    }
    if (*g == QG_GROUP)
        snprintf(buf, len, ":g%zu", group);
    else
        snprintf(buf, len, ":%s", *g == QG_ROW ? "row" : "tensor");
    return 0;
}

int ptq_spec(const ptq_format *f, int bits, qspec *out, char *err, size_t errlen) {
    char text[96], gs[24];
    int named = 0;
    qgran g;
    if (gran_suffix(f, &g, gs, sizeof gs, err, errlen)) return -1;
    if (!strcasecmp(f->format, "int")) {
        if (bits < 2 || bits > 16) {
            snprintf(err, errlen, "bits=%d: format=int takes 2..16 bits", bits);
            return -1;
        }
        snprintf(text, sizeof text, "%sint%d%s", f->symmetric ? "" : "u", bits, gs);
    } else if (!strcasecmp(f->format, "fp")) {
        int e, m;
        if (ptq_fp_layout(bits, &e, &m)) {
            snprintf(err, errlen, "bits=%d: format=fp takes 3..16 bits", bits);
            return -1;
        }
        snprintf(text, sizeof text, "e%dm%d%s", e, m, gs);
    } else if (!strcasecmp(f->format, "mx")) {
        const char *name = bits == 4   ? "mxfp4"
                           : bits == 6 ? "mxfp6_e2m3"
                           : bits == 8 ? "mxfp8_e4m3"
                                       : NULL;
        if (!name) {
            snprintf(err, errlen,
                     "bits=%d: format=mx takes 4 (mxfp4), 6 (mxfp6_e2m3) or 8 (mxfp8_e4m3)", bits);
            return -1;
        }
        snprintf(text, sizeof text, "%s", name);
    } else {
        named = 1;
        snprintf(text, sizeof text, "%s", f->format);
    }
    char sub[256];
    if (qspec_parse(text, out, sub, sizeof sub)) {
        snprintf(err, errlen, "format=%s: %s", f->format, sub);
        return -1;
    }
    if (!qspec_ptq_weight(out)) {
        snprintf(err, errlen,
                 "format=%s: not a weight format for PTQ (expected int, fp, mx or a scaled "
                 "FP/MX/NVFP4 format name)",
                 f->format);
        return -1;
    }
    if (named) {
        if (bits && bits != out->bits) {
            snprintf(err, errlen, "bits=%d: format=%s has %d bits", bits, f->format, out->bits);
            return -1;
        }
        if (qspec_has_symmetry(out) && !f->symmetric) {
            snprintf(err, errlen, "format=%s: give format=int symmetric=0 for asymmetric INT",
                     f->format);
            return -1;
        }
        if (!qspec_fixed_blocks(out) && qspec_set_granularity(out, gs + 1, sub, sizeof sub)) {
            snprintf(err, errlen, "format=%s: %s", f->format, sub);
            return -1;
        }
    }
    if (qspec_fixed_blocks(out) && g != QG_ROW) {
        snprintf(err, errlen,
                 "format=%s: MX blocks are fixed (32 columns); leave granularity unset", f->format);
        return -1;
    }
    qspec_name(out);
    return 0;
}

void ptq_table_name(ptq_method method, const ptq_format *f, char *out, size_t len) {
    const char *m = method == PTQ_GPTQ ? "gptq" : "rtn";
    qgran gran = QG_ROW; /* a request ptq_spec refused has no table; name it per row */
    size_t group = 0;
    qgran_parse(f->granularity, f->group >= 1 ? (size_t)f->group : 0, &gran, &group, NULL, 0);
    if (!strcasecmp(f->format, "int") && gran == QG_ROW && f->symmetric) {
        snprintf(out, len, "%s", m);
        return;
    }
    char g[32] = "";
    if (gran == QG_GROUP)
        snprintf(g, sizeof g, "_g%zu", group);
    else if (gran == QG_TENSOR)
        snprintf(g, sizeof g, "_tensor");
    char fmt[32];
    size_t i = 0;
    for (; f->format[i] && i + 1 < sizeof fmt; i++) {
        char c = f->format[i];
        fmt[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    fmt[i] = 0;
    snprintf(out, len, "%s_%s%s%s", m, fmt, g,
             !strcasecmp(f->format, "int") && !f->symmetric ? "_asym" : "");
}
