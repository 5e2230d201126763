/* sweep ptq RUN.h5 [KEY=VALUE ...]: post-training quantization of a finished run. */
#include "commands.h"
#include "fsutil.h"
#include "ptq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: sweep ptq RUN.h5 [KEY=VALUE ...]\n\n"
            "Quantizes the weights of the run's checkpoint (RUN.ckpt) after training, once\n"
            "per bit width, evaluates each copy on the run's validation tokens and writes\n"
            "one row per bit width to /ptq/<table> of RUN.h5 (docs/ptq.md). Running the same\n"
            "request again replaces its rows; nothing else in the file changes. While another\n"
            "process writes the run (its training, a sweep, another `sweep ptq`), it refuses\n"
            "with exit status 3.\n\n"
            "options (default):\n"
            "  method=gptq|rtn          quantizer (gptq)\n"
            "  bits=3,4,5,6             post-training precisions, comma separated (3,4,5,6)\n"
            "  format=int|fp|mx|NAME    int: INTk; fp: ExMy by bits; mx: mxfp4/6/8; or a\n"
            "                           format name from docs/formats.md, e.g. e2m1, nvfp4 (int)\n"
            "  granularity=channel|group|tensor   scale sharing (channel)\n"
            "  group=N                  columns per group for granularity=group (128)\n"
            "  symmetric=1|0            INT: absmax (1) or min-max with zero point (0) (1)\n"
            "  calib=N                  calibration sequences from train.tok (128)\n"
            "  threads=N                threads; 0 = process default, all cores (0)\n"
            "  embed_head=0|1           also quantize token embedding and LM head (0)\n"
            "  act_order=0|1            GPTQ: columns by decreasing Hessian diagonal (0)\n"
            "  damp=R                   GPTQ: dampening, fraction of mean diag(H) (0.01)\n"
            "  block=N                  GPTQ: columns per lazy-batch block (128)\n"
            "  sequential=1|0           GPTQ: calibrate block l on quantized blocks < l (1);\n"
            "                           0 collects every Hessian once and reuses it per bits\n"
            "  checkpoint=PATH          weights to quantize (RUN.ckpt)\n"
            "  replace=0|1              drop rows the table holds from other settings (0)\n");
}

static int parse_int(const char *key, const char *v, long lo, long hi, int *out, char *err,
                     size_t errlen) {
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        snprintf(err, errlen, "%s=%s: expected an integer in %ld..%ld", key, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int parse_bits(const char *v, ptq_request *r, char *err, size_t errlen) {
    r->nbits = 0;
    const char *s = v;
    while (*s) {
        char *end;
        long b = strtol(s, &end, 10);
        if (end == s || b < 1 || b > 16 || (*end && *end != ',')) {
            snprintf(err, errlen, "bits=%s: expected comma-separated integers in 1..16", v);
            return -1;
        }
        if (r->nbits == PTQ_MAX_BITS) {
            snprintf(err, errlen, "bits=%s: at most %d bit widths", v, PTQ_MAX_BITS);
            return -1;
        }
        r->bits[r->nbits++] = (int)b;
        s = *end ? end + 1 : end;
    }
    if (!r->nbits) {
        snprintf(err, errlen, "bits=: expected at least one bit width");
        return -1;
    }
    return 0;
}

static int set_option(ptq_request *r, const char *arg, char *err, size_t errlen) {
    const char *eq = strchr(arg, '=');
    if (!eq) {
        snprintf(err, errlen, "%s: expected KEY=VALUE (see sweep ptq --help)", arg);
        return -1;
    }
    char key[32];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    const char *v = eq + 1;
    if (!strcmp(key, "method")) {
        if (!strcmp(v, "gptq"))
            r->method = PTQ_GPTQ;
        else if (!strcmp(v, "rtn"))
            r->method = PTQ_RTN;
        else {
            snprintf(err, errlen, "method=%s: expected gptq or rtn", v);
            return -1;
        }
        return 0;
    }
    if (!strcmp(key, "bits")) return parse_bits(v, r, err, errlen);
    if (!strcmp(key, "format")) {
        if (!*v || strlen(v) >= sizeof r->fmt.format) {
            snprintf(err, errlen, "format=%s: expected int, fp, mx or a format name", v);
            return -1;
        }
        snprintf(r->fmt.format, sizeof r->fmt.format, "%s", v);
        return 0;
    }
    if (!strcmp(key, "granularity")) {
        if (strcmp(v, "channel") && strcmp(v, "group") && strcmp(v, "tensor")) {
            snprintf(err, errlen, "granularity=%s: expected channel, group or tensor", v);
            return -1;
        }
        snprintf(r->fmt.granularity, sizeof r->fmt.granularity, "%s", v);
        return 0;
    }
    if (!strcmp(key, "group")) return parse_int(key, v, 1, 1 << 20, &r->fmt.group, err, errlen);
    if (!strcmp(key, "symmetric")) return parse_int(key, v, 0, 1, &r->fmt.symmetric, err, errlen);
    if (!strcmp(key, "calib")) return parse_int(key, v, 1, 1 << 20, &r->calib, err, errlen);
    if (!strcmp(key, "threads")) return parse_int(key, v, 0, 4096, &r->threads, err, errlen);
    if (!strcmp(key, "embed_head")) return parse_int(key, v, 0, 1, &r->embed_head, err, errlen);
    if (!strcmp(key, "act_order")) return parse_int(key, v, 0, 1, &r->gptq.act_order, err, errlen);
    if (!strcmp(key, "block")) return parse_int(key, v, 1, 1 << 16, &r->gptq.block, err, errlen);
    if (!strcmp(key, "sequential")) return parse_int(key, v, 0, 1, &r->sequential, err, errlen);
    if (!strcmp(key, "replace")) return parse_int(key, v, 0, 1, &r->replace, err, errlen);
    if (!strcmp(key, "checkpoint")) {
        r->checkpoint = v;
        return 0;
    }
    if (!strcmp(key, "damp")) {
        char *end;
        double d = strtod(v, &end);
        if (!*v || *end || !(d >= 0.0 && d <= 10.0)) {
            snprintf(err, errlen, "damp=%s: expected a number in 0..10", v);
            return -1;
        }
        r->gptq.damp = d;
        return 0;
    }
    snprintf(err, errlen, "unknown option %s (see sweep ptq --help)", key);
    return -1;
}

static void show(const ptq_progress *p, void *ctx) {
    (void)ctx;
    if (!strcmp(p->stage, "base"))
        fprintf(stderr, "base  val_loss %.4f  (%.1f s)\n", p->base_loss, p->seconds);
    else if (!strcmp(p->stage, "eval"))
        fprintf(stderr, "%2d bits  val_loss %.4f  delta %+.4f  (%d/%d, %.1f s)\n", p->bits,
                p->val_loss, p->val_loss - p->base_loss, p->index, p->count, p->seconds);
}

int cmd_ptq(int argc, char **argv) {
    ptq_request req;
    ptq_request_default(&req);
    const char *run = NULL;
    char err[1024];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strchr(argv[i], '=')) {
            if (run) {
                fprintf(stderr, "sweep ptq: two run files given (%s, %s); one per call\n", run,
                        argv[i]);
                return 2;
            }
            run = argv[i];
            continue;
        }
        if (set_option(&req, argv[i], err, sizeof err)) {
            fprintf(stderr, "sweep ptq: %s\n", err);
            return 2;
        }
    }
    if (!run) {
        fprintf(stderr, "sweep ptq: no run file given\n");
        usage(stderr);
        return 2;
    }
    /* the run's lock, as every writer of a run file holds it (engine/fsutil.h) */
    int lock = run_file_lock(run, err, sizeof err);
    if (lock < 0) {
        fprintf(stderr, "sweep ptq: %s\n", err);
        return lock == -2 ? 3 : 1;
    }
    int rc = ptq_run(run, &req, show, NULL, err, sizeof err);
    close(lock);
    if (rc) {
        fprintf(stderr, "sweep ptq: %s\n", err);
        return 1;
    }
    char name[96];
    ptq_table_name(req.method, &req.fmt, name, sizeof name);
    printf("%s: /ptq/%s updated (%d bit widths)\n", run, name, req.nbits);
    return 0;
}
