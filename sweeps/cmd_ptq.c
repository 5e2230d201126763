/* sweep ptq RUN.h5|DIR ... [--jobs J] [KEY=VALUE ...]: post-training quantization of
 * finished runs. */
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "fsutil.h"
#include "ptq/ptq.h"
#include "ptq/ptq_knobs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: sweep ptq RUN.h5|DIR ... [--jobs J] [KEY=VALUE ...]\n\n"
            "Quantizes the weights of the run's checkpoint (RUN.ckpt) after training, once\n"
            "per bit width, evaluates each copy on the run's validation tokens and writes\n"
            "one row per bit width to /ptq/<table> of RUN.h5 (docs/ptq.md). Running the same\n"
            "request again replaces its rows; nothing else in the file changes. While another\n"
            "process writes the run (its training, a sweep, another `sweep ptq`), it refuses\n"
            "with exit status 3. A DIR stands for its run files (*.h5); --jobs J quantizes J\n"
            "runs at a time (cores / J threads each unless threads= says). Exit status: 1 if\n"
            "any run failed, else 3 if any was held by another process, else 0.\n\n"
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

/* The run knobs a request is made of (engine/ptq/ptq_knobs.c reads them) and the names
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
    const char *run = ctx; /* named when several runs share the terminal */
    const char *base = run ? strrchr(run, '/') : NULL;
    base = base ? base + 1 : run;
    if (!strcmp(p->stage, "base"))
        fprintf(stderr, "%s%sbase  val_loss %.4f  (%.1f s)\n", base ? base : "", base ? ": " : "",
                p->base_loss, p->seconds);
    else if (!strcmp(p->stage, "eval"))
        fprintf(stderr, "%s%s%2d bits  val_loss %.4f  delta %+.4f  (%d/%d, %.1f s)\n",
                base ? base : "", base ? ": " : "", p->bits, p->val_loss,
                p->val_loss - p->base_loss, p->index, p->count, p->seconds);
}

/* The request on one run file, under its lock: 0, 1 (an error, said on stderr) or 3 (held
 * by another process). */
static int ptq_one(const char *run, ptq_request *reqs, int nreq, const extra_opts *x,
                   int name_runs) {
    char err[1024];
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
        ptq_request r = reqs[i];
        r.fmt.symmetric = x->symmetric;
        r.threads = x->threads;
        r.gptq.act_order = x->act_order;
        r.gptq.block = x->block;
        r.gptq.damp = x->damp;
        r.replace = x->replace;
        r.checkpoint = x->checkpoint;
        rc = ptq_run(run, &r, show, name_runs ? (void *)run : NULL, err, sizeof err);
        if (rc) break;
        char name[96];
        ptq_table_name(r.method, &r.fmt, name, sizeof name);
        printf("%s: /ptq/%s updated (%d bit widths)\n", run, name, r.nbits);
        fflush(stdout);
    }
    run_file_unlock(lock, run);
    if (rc) fprintf(stderr, "sweep ptq: %s\n", err);
    return rc ? 1 : 0;
}

/* Adds RUN (a run file, or every *.h5 in a directory, in name order) to the list. */
static int add_runs(const char *arg, char ***runs, size_t *n, size_t *cap) {
    struct stat sb;
    char **names = NULL;
    size_t k = 0;
    if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(arg);
        if (!d) {
            fprintf(stderr, "sweep ptq: %s: %s\n", arg, strerror(errno));
            return -1;
        }
        for (struct dirent *e; (e = readdir(d));) {
            size_t len = strlen(e->d_name);
            if (len < 4 || strcmp(e->d_name + len - 3, ".h5") || e->d_name[0] == '.') continue;
            char **grown = realloc(names, (k + 1) * sizeof *names);
            if (!grown) break;
            names = grown;
            names[k] = malloc(strlen(arg) + len + 2);
            if (!names[k]) break;
            sprintf(names[k++], "%s/%s", arg, e->d_name);
        }
        closedir(d);
        if (k == 0) {
            fprintf(stderr, "sweep ptq: %s: no run files (*.h5) in the directory\n", arg);
            free(names);
            return -1;
        }
        for (size_t i = 1; i < k; i++) /* insertion sort: a sweep has few runs */
            for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                char *t = names[j];
                names[j] = names[j - 1], names[j - 1] = t;
            }
    } else {
        names = malloc(sizeof *names);
        if (names) names[0] = strdup(arg), k = names[0] ? 1 : 0;
    }
    for (size_t i = 0; i < k; i++) {
        if (*n == *cap) {
            size_t c = *cap ? 2 * *cap : 16;
            char **grown = realloc(*runs, c * sizeof **runs);
            if (!grown) return -1;
            *runs = grown, *cap = c;
        }
        (*runs)[(*n)++] = names[i];
    }
    free(names);
    return 0;
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
    char **runs = NULL;
    size_t nruns = 0, cap = 0;
    long jobs = 1;
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            rc = 0;
            goto out;
        }
        if ((r = cli_value(argc, argv, &i, "--jobs", &v, err, sizeof err))) {
            if (r < 0 || cli_long("--jobs", v, 1, 1024, &jobs, err, sizeof err)) {
                fprintf(stderr, "sweep ptq: %s\n", err);
                goto out;
            }
            continue;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "sweep ptq: unknown option %s (see sweep ptq --help)\n", argv[i]);
            goto out;
        }
        if (!strchr(argv[i], '=')) {
            if (add_runs(argv[i], &runs, &nruns, &cap)) goto out;
            continue;
        }
        if (set_option(&cfg, &x, argv[i], err, sizeof err)) {
            fprintf(stderr, "sweep ptq: %s\n", err);
            goto out;
        }
    }
    if (!nruns) {
        fprintf(stderr, "sweep ptq: no run file given\n");
        usage(stderr);
        goto out;
    }
    if (x.checkpoint && nruns > 1) {
        fprintf(stderr, "sweep ptq: checkpoint= names the weights of one run; %zu runs given\n",
                nruns);
        goto out;
    }
    /* The request as a run's knobs make it (one parser, one set of defaults): a knob
     * whose text does not parse is a usage error; well-formed knobs that name no PTQ the
     * engine can do (mx at 5 bits) are refused like a run they cannot be done on. */
    ptq_request reqs[2];
    int nreq = 0;
    int bad = ptq_requests_from_config(&cfg, reqs, &nreq, err, sizeof err);
    if (bad) {
        fprintf(stderr, "sweep ptq: %s\n", err);
        rc = bad == PTQ_KNOBS_UNSUPPORTED ? 1 : 2;
        goto out;
    }
    if (nreq == 0) {
        fprintf(stderr, "sweep ptq: ptq=: expected gptq, rtn or rtn,gptq\n");
        goto out;
    }
    /* J runs at a time, each in a process of its own with cores / J threads unless
     * threads= says otherwise. The exit status: 1 if any failed, else 3 if any was held by
     * another process, else 0. */
    if (jobs > (long)nruns) jobs = (long)nruns;
    if (jobs > 1 && x.threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        x.threads = cores / jobs > 0 ? (int)(cores / jobs) : 1;
    }
    int failed = 0, held = 0;
    size_t next = 0, running = 0;
    while (next < nruns || running) {
        if (jobs == 1) {
            int one = ptq_one(runs[next++], reqs, nreq, &x, nruns > 1);
            failed |= one == 1, held |= one == 3;
            continue;
        }
        if (next < nruns && running < (size_t)jobs) {
            fflush(stdout), fflush(stderr);
            pid_t pid = fork();
            if (pid == 0) _exit(ptq_one(runs[next], reqs, nreq, &x, 1));
            if (pid < 0) {
                fprintf(stderr, "sweep ptq: %s: cannot start a process: %s\n", runs[next],
                        strerror(errno));
                failed = 1;
            } else {
                running++;
            }
            next++;
            continue;
        }
        int ws;
        if (wait(&ws) < 0) break;
        running--;
        int one = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
        failed |= one != 0 && one != 3, held |= one == 3;
    }
    rc = failed ? 1 : held ? 3 : 0;
out:
    for (size_t i = 0; i < nruns; i++) free(runs[i]);
    free(runs);
    return rc;
}
