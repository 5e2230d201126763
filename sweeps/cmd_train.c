/* sweep train KEY=VALUE ...: one training run. */
#include "commands.h"
#include "fsutil.h"
#include "progress.h"
#include "runlog.h"
#include "sweepdef.h"
#include "train.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static volatile sig_atomic_t stop_requested;

/* First Ctrl-C / SIGTERM: finish the step, checkpoint, exit. Second: exit now. */
static void on_signal(int sig) {
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_requested = 1;
}

static void show(const train_progress *p, void *ctx) {
    progress_line *line = ctx;
    char eta[16], text[200];
    double rate = p->tokens_per_s;
    format_duration(eta, sizeof eta, rate > 0 ? (double)(p->total_tokens - p->tokens) / rate : -1);
    int n = snprintf(text, sizeof text, "step %lld/%lld  loss %.4f  %.0f tok/s  ETA %s",
                     (long long)p->step, (long long)p->total_steps, p->loss, rate, eta);
    if (!isnan(p->val_loss) && n > 0 && (size_t)n < sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, "  val %.4f", p->val_loss);
    progress_show(line, (double)p->step / (double)p->total_steps, text, !isnan(p->val_loss));
}

static void usage(FILE *f) {
    fprintf(f, "usage: sweep train KEY=VALUE ...\n\n"
               "Trains one run and writes its run file (HDF5) and checkpoint. Started again\n"
               "with the same knobs, it resumes from the checkpoint; a finished run is skipped.\n"
               "Ctrl-C (or SIGTERM) checkpoints and stops; a second one stops at once.\n"
               "At least one knob is needed (`sweep train name=default` trains the defaults).\n\n"
               "knobs:\n");
    config_print_help(f, 0);
}

static int column(const table *t, const char *name) {
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->col_name[c], name)) return c;
    return -1;
}

/* The run's post-training quantization at its final step (/final steps), one line per
 * table: the bit widths with delta_PTQ (the loss after PTQ minus before). */
static void print_ptq(const char *run_file) {
    runlog rl;
    char err[512];
    if (runlog_load(&rl, run_file, err, sizeof err)) return;
    const attr *steps = rl.has_final ? attr_get(&rl.final, "steps") : NULL;
    int64_t step = steps && steps->type == ATTR_INT ? steps->i : -1;
    for (size_t k = 0; k < rl.ntables; k++) {
        const table *t = rl.tables[k];
        int cs = column(t, "step"), cb = column(t, "bits"), cd = column(t, "delta");
        if (strncmp(t->path, "/ptq/", 5) || cs < 0 || cb < 0 || cd < 0) continue;
        int shown = 0;
        for (size_t i = 0; i < t->rows; i++) {
            if ((int64_t)table_get(t, cs, i) != step) continue;
            if (!shown++) printf("ptq %-7s", t->path + 5);
            printf("  %g bits %+.4f", table_get(t, cb, i), table_get(t, cd, i));
        }
        if (shown) printf("   (delta val loss)\n");
    }
    runlog_free(&rl);
}

int cmd_train(int argc, char **argv) {
    train_config cfg;
    config_defaults(&cfg);
    char err[1024];
    if (argc < 2) { /* a bare `sweep train` is a question, not a request for a long run */
        usage(stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--help-markdown")) {
            config_print_help(stdout, 1);
            return 0;
        }
        if (config_set_arg(&cfg, argv[i], err, sizeof err)) {
            fprintf(stderr, "sweep train: %s\n", err);
            return 2;
        }
    }
    /* The run's files are <out without .h5>.h5, .ckpt, .lock, ... and out defaults to
     * results/train/<name>.h5: a name, and the file name of an out, follow the sweeps'
     * rule (no path separators, no "..", a safe alphabet, room for the suffixes). */
    if (cfg.name[0] && sweep_check_name(cfg.name, strlen(cfg.name), err, sizeof err)) {
        char quoted[400];
        sweep_quote_name(cfg.name, strlen(cfg.name), quoted, sizeof quoted);
        fprintf(stderr, "sweep train: name=%s: the run name %s\n", quoted, err);
        return 2;
    }
    if (cfg.out[0]) {
        const char *slash = strrchr(cfg.out, '/');
        const char *file = slash ? slash + 1 : cfg.out;
        size_t len = strlen(file);
        if (len > 3 && !strcmp(file + len - 3, ".h5")) len -= 3;
        if (sweep_check_name(file, len, err, sizeof err)) {
            char quoted[400];
            sweep_quote_name(file, len, quoted, sizeof quoted);
            fprintf(stderr, "sweep train: out=%s: the run file's name %s (without .h5) %s\n",
                    cfg.out, quoted, err);
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    progress_line line;
    progress_init(&line, stderr);
    train_hooks hooks = {.progress = show, .ctx = &line, .stop = &stop_requested};
    train_result res;
    int rc = train_run(&cfg, &hooks, &res, err, sizeof err);
    progress_done(&line);
    if (rc) {
        fprintf(stderr, "sweep train: %s\n", err);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* A finished run gets the PTQ its knobs newly ask for, under the run's lock. */
    if (!strcmp(res.status, "skipped") && !strcmp(res.reason, "already done")) {
        int lock = run_file_lock(res.config.out, err, sizeof err), did = 0;
        if (lock < 0 || train_ptq_finished(&res.config, &did, err, sizeof err)) {
            run_file_unlock(lock, res.config.out);
            fprintf(stderr, "sweep train: %s\n", err);
            return lock == -2 ? 3 : 1;
        }
        run_file_unlock(lock, res.config.out);
        if (did)
            snprintf(res.reason, sizeof res.reason,
                     "already done; post-training quantization added");
    }
    if (!strcmp(res.status, "skipped")) {
        int added = strstr(res.reason, "post-training quantization added") != NULL;
        printf("%s: %s (val loss %.4f)%s\n", res.run_file, res.reason, res.val_loss,
               added ? "" : "; nothing to do");
        if (added) print_ptq(res.run_file);
        return 0;
    }
    printf("status:     %s%s%s\n", res.status, res.reason[0] ? ": " : "", res.reason);
    printf("steps:      %lld (%lld tokens)%s\n", (long long)res.steps, (long long)res.tokens,
           res.resumed_from ? "  [resumed]" : "");
    if (!strcmp(res.status, "done"))
        printf("val loss:   %.4f   train loss: %.4f\n", res.val_loss, res.train_loss);
    printf("wall:       %.1f s\n", res.wall);
    printf("memory:     buffers %.1f MiB, peak resident %.1f MiB\n", res.buffer_bytes / 1048576.0,
           ru.ru_maxrss / 1024.0);
    printf("run file:   %s\ncheckpoint: %s\n", res.run_file, res.checkpoint);
    if (!strcmp(res.status, "done")) print_ptq(res.run_file);
    if (!strcmp(res.status, "stopped")) return 130;
    return 0;
}
