#include "ptq/ptq_knobs.h"
#include "ptq/ptq_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ptq_requests_from_config(const train_config *c, ptq_request reqs[2], int *n, char *err,
                             size_t errlen) {
    *n = 0;
    char list[64];
    snprintf(list, sizeof list, "%s", c->ptq);
    for (char *save = NULL, *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        ptq_method method;
        if (!strcmp(m, "rtn"))
            method = PTQ_RTN;
        else if (!strcmp(m, "gptq"))
            method = PTQ_GPTQ;
        else {
            snprintf(err, errlen,
                     "knob ptq: '%s' is not a method (expected rtn, gptq or both, comma-separated)",
                     m);
            return -1;
        }
        for (int i = 0; i < *n; i++)
            if (reqs[i].method == method) {
                snprintf(err, errlen, "knob ptq: method '%s' listed twice", m);
                return -1;
            }
        ptq_request *r = &reqs[(*n)++];
        ptq_request_default(r);
        r->method = method;
        r->calib = (int)c->ptq_calib;
        r->sequential = (int)c->ptq_seq;
        r->embed_head = (int)c->ptq_embed;
        snprintf(r->fmt.format, sizeof r->fmt.format, "%s", c->ptq_format);
        snprintf(r->fmt.granularity, sizeof r->fmt.granularity, "%s", c->ptq_gran);
        r->fmt.group = (int)c->ptq_group;
        r->nbits = 0;
        char bits[64];
        snprintf(bits, sizeof bits, "%s", c->ptq_bits);
        for (char *s2 = NULL, *b = strtok_r(bits, ",", &s2); b; b = strtok_r(NULL, ",", &s2)) {
            char *end;
            long v = strtol(b, &end, 10);
            if (*end || v < 1 || v > PTQ_MAX_BITS || r->nbits == PTQ_MAX_BITS) {
                snprintf(err, errlen, "knob ptq_bits: '%s' is not a bit width 1..%d", b,
                         PTQ_MAX_BITS);
                return -1;
            }
            r->bits[r->nbits++] = (int)v;
        }
        if (r->nbits == 0) {
            snprintf(err, errlen, "knob ptq_bits is empty: expected e.g. 3,4,6,8");
            return -1;
        }
        char why[200];
        qspec q;
        for (int i = 0; i < r->nbits; i++) {
            if (ptq_spec(&r->fmt, r->bits[i], &q, why, sizeof why)) {
                snprintf(err, errlen, "knobs ptq_format/ptq_gran/ptq_bits: %s", why);
                return PTQ_KNOBS_UNSUPPORTED;
            }
            /* GPTQ's grid, as ptq_run will make it (any width: only the kind matters
             * here), so a format GPTQ cannot round onto is refused before training */
            ptq_grid g;
            if (method == PTQ_GPTQ && ptq_grid_init(&g, &q, 128, why, sizeof why)) {
                snprintf(err, errlen, "knobs ptq/ptq_format: %s", why);
                return PTQ_KNOBS_UNSUPPORTED;
            }
        }
    }
    return 0;
}

void ptq_request_drop_done(ptq_request *req, const runlog *rl, int64_t step) {
    char name[96], path[128];
    ptq_table_name(req->method, &req->fmt, name, sizeof name);
    snprintf(path, sizeof path, "/ptq/%s", name);
    const table *t = runlog_find_table(rl, path);
    if (!t) return;
    /* Rows made with other settings of the knobs that share a table (embed_head,
     * sequential) are not "done": the request keeps all its bit widths, so that merging
     * them refuses with a message instead of the new setting being ignored. */
    const attr *eh = attr_get(&t->attrs, "embed_head"), *sq = attr_get(&t->attrs, "sequential");
    if ((eh && eh->type == ATTR_INT && eh->i != req->embed_head) ||
        (req->method == PTQ_GPTQ && sq && sq->type == ATTR_INT && sq->i != req->sequential))
        return;
    int keep = 0;
    for (int i = 0; i < req->nbits; i++) {
        int done = 0;
        for (size_t r = 0; r < t->rows; r++)
            if (table_get(t, 0, r) == (double)step && table_get(t, 1, r) == req->bits[i]) done = 1;
        if (!done) req->bits[keep++] = req->bits[i];
    }
    req->nbits = keep;
}
