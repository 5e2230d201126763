#include "qat/qat.h"

#include <stdio.h>
#include <string.h>

/* The knob's text, already in qgran_parse's grammar (config.c stored it). */
static int set_gran(qspec *q, const char *knob, const char *text, char *err, size_t errlen) {
    char why[200];
    if (qspec_set_granularity(q, text, why, sizeof why)) {
        snprintf(err, errlen, "knob %s='%s': %s", knob, text, why);
        return -1;
    }
    return 0;
}

static int set_point(qat_point *p, const char *qknob, const char *qtext, const char *gknob,
                     const char *gtext, const char *backward, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    char why[200];
    if (qspec_parse(qtext, &p->spec, why, sizeof why)) {
        snprintf(err, errlen, "knob %s='%s': %s", qknob, qtext, why);
        return -1;
    }
    p->enabled = qspec_quantizes(&p->spec);
    if (!p->enabled) return 0;
    /* A granularity written in the format text (int4:row) wins over the knob. A kind with
     * a granularity of its own (QuEST is row-wise as in the paper, MX has its blocks) leaves
     * the knob. */
    int trust = qspec_trust_mask(&p->spec);
    if (gtext && !strchr(qtext, ':') && !qspec_own_granularity(&p->spec) &&
        set_gran(&p->spec, gknob, gtext, err, errlen))
        return -1;
    if (!strcmp(backward, "ste")) {
        p->use_mask = 0;
    } else if (!strcmp(backward, "clipped")) {
        p->use_mask = 1;
        p->spec.mask = trust ? QM_CLIP : QM_RANGE;
    } else if (!strcmp(backward, "trust")) {
        if (!trust) {
            snprintf(err, errlen,
                     "knob backward=trust: the trust mask needs a QuEST format, %s is '%s'", qknob,
                     qtext);
            return -1;
        }
        p->use_mask = 1;
        p->spec.mask = QM_TRUST;
    } else { /* auto */
        p->use_mask = trust;
        if (trust && p->spec.mask == QM_DEFAULT) p->spec.mask = QM_TRUST;
    }
    qspec_name(&p->spec);
    return 0;
}

int qat_plan_from_config(const train_config *c, qat_plan *p, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    if (set_point(&p->pt[QAT_W], "w_quant", c->w_quant, "w_gran", c->w_gran, c->backward, err,
                  errlen) ||
        set_point(&p->pt[QAT_A], "a_quant", c->a_quant, "a_gran", c->a_gran, c->backward, err,
                  errlen) ||
        set_point(&p->pt[QAT_KV], "kv_quant", c->kv_quant, "kv_gran", c->kv_gran, c->backward, err,
                  errlen) ||
        set_point(&p->pt[QAT_Q], "q_quant", c->q_quant, "kv_gran", c->kv_gran, c->backward, err,
                  errlen) ||
        set_point(&p->pt[QAT_G], "g_quant", c->g_quant, NULL, NULL, "ste", err, errlen))
        return -1;
    if (p->pt[QAT_G].enabled && !qspec_takes_sr(&p->pt[QAT_G].spec)) {
        snprintf(err, errlen, "knob g_quant='%s': gradients take INT or FP formats", c->g_quant);
        return -1;
    }
    return 0;
}

int qat_any(const qat_plan *p) {
    for (int i = 0; i < QAT_POINTS; i++)
        if (p->pt[i].enabled) return 1;
    return 0;
}

double qat_bits(const qat_plan *p, enum qat_point_id id) {
    return p->pt[id].enabled ? p->pt[id].spec.bits : 32;
}

void qat_format_name(const qat_plan *p, enum qat_point_id id, char *buf, size_t len) {
    const qspec *q = &p->pt[id].spec;
    if (!p->pt[id].enabled) {
        snprintf(buf, len, "fp32");
        return;
    }
    /* The canonical spec name without bits or modifiers: int4:row -> int, e2m1 -> e2m1. */
    char name[64];
    snprintf(name, sizeof name, "%s", q->name);
    name[strcspn(name, ":")] = 0;
    if (qspec_bits_in_name(q)) name[strcspn(name, "0123456789")] = 0;
    snprintf(buf, len, "%s", name);
}
