/* sweep ptq RUN.h5 [KEY=VALUE ...]: post-training quantization of a finished run. */
#include "commands.h"
#include "config.h"
#include "fsutil.h"
#include "ptq.h"
#include "ptq_knobs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
            "The request takes the run knobs' names and defaults (docs/knobs.md), except that\n"
            "ptq defaults to gptq; the older names in brackets are accepted too.\n"
            "knobs (default):\n"
            "  ptq=gptq|rtn|rtn,gptq    [method] quantizers, each its own table (gptq)\n"
            "  ptq_bits=%-15s [bits] post-training precisions, comma separated\n"
            "  ptq_format=int|fp|mx|NAME  [format] int: INTk; fp: ExMy by bits; mx:\n"
            "                           mxfp4/6/8; or a format name from docs/formats.md,\n"
            "                           e.g. e2m1, nvfp4 (int)\n"
            "  ptq_gran=channel|group|tensor|group:N  [granularity] scale sharing (channel)\n"
            "  ptq_group=N              [group] columns per group for ptq_gran=group (128)\n"
            "  ptq_calib=N              [calib] calibration sequences from train.tok (128)\n"
            "  ptq_seq=1|0              [sequential] GPTQ: calibrate block l on quantized\n"
            "                           blocks < l (1); 0 collects every Hessian once\n"
            "  ptq_embed=0|1            [embed_head] also quantize token embedding and LM\n"
            "                           head (0)\n"
            "options of this command only:\n"
            "  symmetric=1|0            INT: absmax (1) or min-max with zero point (0) (1)\n"
            "  threads=N                threads; 0 = process default, all cores (0)\n"
            "  act_order=0|1            GPTQ: columns by decreasing Hessian diagonal (0)\n"
            "  damp=R                   GPTQ: dampening, fraction of mean diag(H) (0.01)\n"
            "  block=N                  GPTQ: columns per lazy-batch block (128)\n"
            "  checkpoint=PATH          weights to quantize (RUN.ckpt)\n"
            "  replace=0|1              drop rows the table holds from other settings (0)\n",
            PTQ_DEFAULT_BITS);
}

/* The run knobs a request is made of (engine/ptq_knobs.c reads them) and the names
 * `sweep ptq` called them before it took the knobs' own. */
static const struct {
    const char *knob, *old;
} request_knobs[] = {
    {"ptq", "method"},           {"ptq_bits", "bits"},        {"ptq_format", "format"},
    {"ptq_gran", "granularity"}, {"ptq_group", "group"},      {"ptq_calib", "calib"},
    {"ptq_seq", "sequential"},   {"ptq_embed", "embed_head"},
};

/* What this command sets beyond the run knobs, applied to every request. */
typedef struct {
    int symmetric, threads, act_order, block, replace;
    double damp;
    const char *checkpoint;
} extra_opts;

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

/* ptq_gran=group:N is ptq_gran=group ptq_group=N: the spelling the quantization knobs
 * (w_gran, a_gran, kv_gran) use. */
static int set_gran(train_config *c, const char *key, const char *v, char *err, size_t errlen) {
    if (strncmp(v, "group:", 6)) return config_set(c, "ptq_gran", v, err, errlen);
    char *end;
    long g = strtol(v + 6, &end, 10);
    if (!v[6] || *end || g < 1 || g > 1 << 20) {
        snprintf(err, errlen, "%s=%s: expected group:N with N columns per group in 1..%d", key, v,
                 1 << 20);
        return -1;
    }
    return config_set(c, "ptq_gran", "group", err, errlen) ||
           config_set(c, "ptq_group", v + 6, err, errlen);
}

static int set_option(train_config *c, extra_opts *x, const char *arg, char *err, size_t errlen) {
    const char *eq = strchr(arg, '=');
    if (!eq) {
        snprintf(err, errlen, "%s: expected KEY=VALUE (see sweep ptq --help)", arg);
        return -1;
    }
    char key[32];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    const char *v = eq + 1;
    for (size_t i = 0; i < sizeof request_knobs / sizeof *request_knobs; i++) {
        if (strcmp(key, request_knobs[i].knob) && strcmp(key, request_knobs[i].old)) continue;
        if (!strcmp(request_knobs[i].knob, "ptq_gran")) return set_gran(c, key, v, err, errlen);
        return config_set(c, request_knobs[i].knob, v, err, errlen);
    }
    if (!strcmp(key, "symmetric")) return parse_int(key, v, 0, 1, &x->symmetric, err, errlen);
    if (!strcmp(key, "threads")) return parse_int(key, v, 0, 4096, &x->threads, err, errlen);
    if (!strcmp(key, "act_order")) return parse_int(key, v, 0, 1, &x->act_order, err, errlen);
    if (!strcmp(key, "block")) return parse_int(key, v, 1, 1 << 16, &x->block, err, errlen);
    if (!strcmp(key, "replace")) return parse_int(key, v, 0, 1, &x->replace, err, errlen);
    if (!strcmp(key, "checkpoint")) {
        x->checkpoint = v;
        return 0;
    }
    if (!strcmp(key, "damp")) {
        char *end;
        double d = strtod(v, &end);
        if (!*v || *end || !(d >= 0.0 && d <= 10.0)) {
            snprintf(err, errlen, "damp=%s: expected a number in 0..10", v);
            return -1;
        }
        x->damp = d;
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
    train_config cfg;
    config_defaults(&cfg);
    char err[1024];
    if (config_set(&cfg, "ptq", "gptq", err, sizeof err)) {
        fprintf(stderr, "sweep ptq: %s\n", err);
        return 1;
    }
    ptq_request def;
    ptq_request_default(&def);
    extra_opts x = {def.fmt.symmetric, def.threads, def.gptq.act_order, def.gptq.block, def.replace,
                    def.gptq.damp,     NULL};
    const char *run = NULL;
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
        if (set_option(&cfg, &x, argv[i], err, sizeof err)) {
            fprintf(stderr, "sweep ptq: %s\n", err);
            return 2;
        }
    }
    if (!run) {
        fprintf(stderr, "sweep ptq: no run file given\n");
        usage(stderr);
        return 2;
    }
    /* The request as a run's knobs make it (one parser, one set of defaults): a knob
     * whose text does not parse is a usage error; well-formed knobs that name no PTQ the
     * engine can do (mx at 5 bits) are refused like a run they cannot be done on. */
    ptq_request reqs[2];
    int nreq = 0;
    int bad = ptq_requests_from_config(&cfg, reqs, &nreq, err, sizeof err);
    if (bad) {
        fprintf(stderr, "sweep ptq: %s\n", err);
        return bad == PTQ_KNOBS_UNSUPPORTED ? 1 : 2;
    }
    if (nreq == 0) {
        fprintf(stderr, "sweep ptq: ptq=: expected gptq, rtn or rtn,gptq\n");
        return 2;
    }
    /* a mistyped path says so, and leaves no lock file (or folders) behind */
    struct stat sb;
    if (stat(run, &sb) != 0) {
        fprintf(stderr, "sweep ptq: %s: %s\n", run, strerror(errno));
        return 1;
    }
    /* the run's lock, as every writer of a run file holds it (engine/fsutil.h) */
    int lock = run_file_lock(run, err, sizeof err);
    if (lock < 0) {
        fprintf(stderr, "sweep ptq: %s\n", err);
        return lock == -2 ? 3 : 1;
    }
    int rc = 0;
    for (int i = 0; i < nreq && !rc; i++) {
        ptq_request *r = &reqs[i];
        r->fmt.symmetric = x.symmetric;
        r->threads = x.threads;
        r->gptq.act_order = x.act_order;
        r->gptq.block = x.block;
        r->gptq.damp = x.damp;
        r->replace = x.replace;
        r->checkpoint = x.checkpoint;
        rc = ptq_run(run, r, show, NULL, err, sizeof err);
        if (rc) break;
        char name[96];
        ptq_table_name(r->method, &r->fmt, name, sizeof name);
        printf("%s: /ptq/%s updated (%d bit widths)\n", run, name, r->nbits);
    }
    run_file_unlock(lock, run);
    if (rc) {
        fprintf(stderr, "sweep ptq: %s\n", err);
        return 1;
    }
    return 0;
}
