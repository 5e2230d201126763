/* sweep plan CONFIG: the runs of a sweep, their size and cost, without training. */
#include "calibrate.h"
#include "cli.h"
#include "commands.h"
#include "ptq/ptq_knobs.h"
#include "progress.h"
#include "runstate.h"
#include "sweepdef.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The corpus caps D: repeated tokens change the data term of the laws (Muennighoff et
 * al. 2023 find up to about 4 epochs nearly as good as new data, but the laws here are
 * fitted as if every token were new), so the reference sweeps allow at most 2 epochs
 * (issue 14) and a larger repeat must be asked for by --max-epochs. */
#define DEFAULT_MAX_EPOCHS 2.0

static void usage(FILE *f) {
    fprintf(f,
            "usage: sweep plan CONFIG [--threads T] [--jobs J] [--results DIR] [--only PATTERN]\n"
            "                  [--no-calibrate] [--max-epochs E]\n\n"
            "Lists the runs of a sweep config (name, N, D, precision, FLOPs) with the time\n"
            "each should take on this machine with T threads (default 2), measured by timing\n"
            "a few forward/backward passes of each model shape, and the totals. Trains nothing.\n\n"
            "The epochs column is D over the tokens of the run's train.tok. A run that repeats\n"
            "data (more than 1 epoch) is marked '+' and warned about; a run of more than E\n"
            "epochs (default %g) is marked '!' and makes plan fail with exit status 1.\n"
            "--max-epochs E allows up to E epochs (E >= 1).\n",
            DEFAULT_MAX_EPOCHS);
}

static void human(char *buf, size_t len, double v) {
    static const char *suffix[] = {"", "k", "M", "G", "T", "P", "E"};
    int i = 0;
    while (fabs(v) >= 1000 && i < 6) v /= 1000, i++;
    snprintf(buf, len, "%.3g%s", v, suffix[i]);
}

/* Whether two runs quantize alike (every *_quant, *_gran and backward knob equal), so
 * that one calibration serves both. */
static int same_quantization(const train_config *a, const train_config *b) {
    size_t n;
    const knob_def *k = knob_table(&n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(k[i].name);
        int q = (len > 6 && !strcmp(k[i].name + len - 6, "_quant")) ||
                (len > 5 && !strcmp(k[i].name + len - 5, "_gran")) ||
                !strcmp(k[i].name, "backward");
        if (!q) continue;
        char x[128], y[128];
        config_format_value(a, &k[i], x, sizeof x);
        config_format_value(b, &k[i], y, sizeof y);
        if (strcmp(x, y)) return 0;
    }
    return 1;
}

/* What a run costs in training-token equivalents: its training tokens, plus the forward
 * passes of its evaluations and of its post-training quantization (a forward pass costs
 * about a third of a training step's per token): the final and periodic evaluations, per
 * PTQ round one unquantized and one quantized evaluation per bit width per method, and
 * GPTQ's calibration forward per bit width. For the demo sweep's small runs they add 20
 * to 45% to the training tokens. */
static double work_tokens(const train_config *c) {
    int64_t steps = (c->tokens + c->batch * c->ctx - 1) / (c->batch * c->ctx);
    double evals = (double)(steps / (c->eval_every > 0 ? c->eval_every : steps) + 1);
    double forward = evals * (double)c->eval_tokens;
    ptq_request reqs[2];
    int n = 0;
    char err[256];
    if (c->ptq[0] && ptq_requests_from_config(c, reqs, &n, err, sizeof err) == 0) {
        double rounds = 1 + (c->ptq_every > 0 ? (double)(steps / c->ptq_every) : 0);
        for (int k = 0; k < n; k++) {
            double per = (1.0 + reqs[k].nbits) * (double)c->eval_tokens;
            if (reqs[k].method == PTQ_GPTQ)
                per += (double)reqs[k].nbits * (double)reqs[k].calib * (double)c->ctx;
            forward += rounds * per;
        }
    }
    return (double)c->tokens + forward / 3.0;
}

int cmd_plan(int argc, char **argv) {
    const char *config = NULL, *results = NULL, *only = NULL;
    int threads = 2, jobs = 1, calibrate = 1;
    double max_epochs_allowed = DEFAULT_MAX_EPOCHS;
    char err[2048];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        long n = 0;
        int r = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if ((r = cli_value(argc, argv, &i, "--threads", &v, err, sizeof err))) {
            if (r > 0 && !(r = cli_long("--threads", v, 1, 4096, &n, err, sizeof err)))
                threads = (int)n;
        } else if ((r = cli_value(argc, argv, &i, "--jobs", &v, err, sizeof err))) {
            if (r > 0 && !(r = cli_long("--jobs", v, 1, 4096, &n, err, sizeof err))) jobs = (int)n;
        } else if ((r = cli_value(argc, argv, &i, "--results", &v, err, sizeof err))) {
            results = v;
        } else if ((r = cli_value(argc, argv, &i, "--only", &v, err, sizeof err))) {
            only = v;
        } else if ((r = cli_flag(a, "--no-calibrate", err, sizeof err))) {
            calibrate = 0;
        } else if ((r = cli_value(argc, argv, &i, "--max-epochs", &v, err, sizeof err))) {
            char *end;
            if (r > 0) max_epochs_allowed = strtod(v, &end);
            if (r > 0 &&
                (end == v || *end || !(max_epochs_allowed >= 1) || isinf(max_epochs_allowed))) {
                snprintf(err, sizeof err, "--max-epochs needs a number >= 1, not '%s'", v);
                r = -1;
            }
        } else if (a[0] == '-' || config) {
            fprintf(stderr, "sweep plan: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        } else {
            config = a;
        }
        if (r < 0) {
            fprintf(stderr, "sweep plan: %s\n", err);
            return 2;
        }
    }
    if (!config) {
        fprintf(stderr, "sweep plan: no CONFIG given\n");
        usage(stderr);
        return 2;
    }
    sweep_def d;
    sweep_load_opts o = {.results = results, .fallback_vocab = 4096};
    if (sweep_load_file(config, &o, &d, err, sizeof err)) {
        fprintf(stderr, "sweep plan: %s\n", err);
        return 2;
    }
    /* A first throwaway measurement starts the thread pools and faults in the code. */
    if (calibrate && d.n) calibrate_tokens_per_s(&d.runs[0].cfg, threads, 0.2);
    /* Tokens per second per distinct shape: runs of one shape share a measurement. */
    double *rate = calloc(d.n, sizeof *rate);
    for (size_t i = 0; rate && i < d.n; i++) {
        const train_config *c = &d.runs[i].cfg;
        rate[i] = 0;
        for (size_t j = 0; j < i; j++) {
            const train_config *p = &d.runs[j].cfg;
            if (p->d_model == c->d_model && p->n_layer == c->n_layer && p->n_head == c->n_head &&
                p->ctx == c->ctx && p->ffn_hidden == c->ffn_hidden && p->vocab == c->vocab &&
                p->micro_batch == c->micro_batch && same_quantization(p, c)) {
                rate[i] = rate[j];
                break;
            }
        }
        if (rate[i] == 0 && calibrate) rate[i] = calibrate_tokens_per_s(c, threads, 0.6);
    }
    printf("sweep %s (%s): %zu runs -> %s/\n", d.name, config, d.n, d.dir);
    if (d.description[0]) printf("%s\n", d.description);
    int w = 20;
    for (size_t i = 0; i < d.n; i++)
        if ((int)strlen(d.runs[i].cfg.name) > w) w = (int)strlen(d.runs[i].cfg.name);
    printf("\n%4s  %-*s %8s %8s %7s %-14s %9s %9s  %-8s\n", "#", w, "name", "N", "D", "epochs",
           "precision", "FLOPs", "time", "state");
    double total_flops = 0, total_time = 0, max_epochs = 0;
    size_t shown = 0, over = 0, refused = 0, unknown_time = 0, done = 0;
    for (size_t i = 0; i < d.n; i++) {
        sweep_run *r = &d.runs[i];
        if (!sweep_name_matches(only, r->cfg.name)) continue;
        shown++;
        char n[16], dd[16], t[16], ep[16];
        human(n, sizeof n, (double)r->N);
        human(dd, sizeof dd, (double)r->cfg.tokens);
        double epochs = r->train_tokens ? (double)r->cfg.tokens / (double)r->train_tokens : NAN;
        /* NaN (no train.tok yet) compares false: neither marked nor refused. */
        char mark = ' ';
        if (epochs > 1) over++, mark = '+';
        if (epochs > max_epochs_allowed) refused++, mark = '!';
        if (epochs > max_epochs) max_epochs = epochs;
        if (isnan(epochs))
            snprintf(ep, sizeof ep, "?");
        else
            snprintf(ep, sizeof ep, "%.2f%c", epochs, mark);
        double secs = rate && rate[i] > 0 ? work_tokens(&r->cfg) / rate[i] : -1;
        if (secs >= 0)
            total_time += secs;
        else
            unknown_time++;
        format_duration(t, sizeof t, secs);
        run_status st;
        runstate_read(r, &st);
        if (st.state == RS_DONE || st.state == RS_DIVERGED) done++;
        total_flops += r->flops;
        printf("%4zu  %-*s %8s %8s %7s %-14s %9.2e %9s  %-8s\n", i, w, r->cfg.name, n, dd, ep,
               r->precision, r->flops, t, run_state_name(st.state));
    }
    /* Cooldown branches: each starts from its parent's checkpoint at its decay start. */
    size_t nbranch = 0;
    for (size_t i = 0; i < d.n; i++) {
        const sweep_run *r = &d.runs[i];
        if (!r->cfg.branch_from[0] || !sweep_name_matches(only, r->cfg.name)) continue;
        if (!nbranch++)
            printf("\nbranches (start from their parent's checkpoint at their decay start):\n");
        int64_t per = r->cfg.batch * r->cfg.ctx, steps = per ? (r->cfg.tokens + per - 1) / per : 0;
        if (r->parent >= 0)
            printf("%4zu  %-*s from #%ld %s at step %lld of %lld\n", i, w, r->cfg.name, r->parent,
                   d.runs[r->parent].cfg.name, (long long)r->branch_step, (long long)steps);
        else
            printf("%4zu  %-*s from %s (outside the sweep) at step %lld of %lld\n", i, w,
                   r->cfg.name, r->cfg.branch_from, (long long)r->branch_step, (long long)steps);
    }
    char tt[16], tj[16];
    format_duration(tt, sizeof tt, total_time);
    format_duration(tj, sizeof tj, total_time / jobs);
    printf("\ntotal: %zu runs, %.3e FLOPs, %s with %d thread%s (about %s with --jobs %d); %zu "
           "already finished\n",
           shown, total_flops, tt, threads, threads == 1 ? "" : "s", tj, jobs, done);
    if (unknown_time) printf("note: %zu runs have no time estimate\n", unknown_time);
    if (!calibrate) printf("note: --no-calibrate: no times measured\n");
    if (d.data_missing)
        printf("warning: some data directories have no train.tok yet (vocab 4096 assumed; "
               "tokenize with `sweep tokenize`)\n");
    if (over)
        printf("warning: %zu runs (marked +%s) see more tokens than the training split holds "
               "(up to %.2f epochs): repeated data changes the laws\n",
               over, refused ? " or !" : "", max_epochs);
    int rc = 0;
    if (refused) {
        fprintf(stderr,
                "sweep plan: %zu runs (marked !) would read their train.tok more than %g times:\n",
                refused, max_epochs_allowed);
        for (size_t i = 0; i < d.n; i++) {
            const sweep_run *r = &d.runs[i];
            if (!sweep_name_matches(only, r->cfg.name) || !r->train_tokens) continue;
            double epochs = (double)r->cfg.tokens / (double)r->train_tokens;
            if (epochs > max_epochs_allowed)
                fprintf(stderr, "  %s: tokens=%lld, %s/train.tok holds %lld (%.2f epochs)\n",
                        r->cfg.name, (long long)r->cfg.tokens, r->cfg.data,
                        (long long)r->train_tokens, epochs);
        }
        fprintf(stderr,
                "lower their tokens, use a larger corpus (the full tier, docs/corpus.md), or "
                "allow it with --max-epochs %.2f\n",
                ceil(max_epochs * 100) / 100);
        rc = 1;
    }
    free(rate);
    sweep_free(&d);
    return rc;
}
