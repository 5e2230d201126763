/* sweep exec CONFIG --index I | --name NAME: trains one run of a sweep, with the skip,
 * resume and conflict rules of `sweep run`. It is what `sweep run` starts for each run
 * and what every task of a Slurm array job runs. Exit status: 0 done, diverged or
 * already finished; 1 failed; 2 usage or config error; 3 another process holds the run;
 * 4 the run file belongs to another configuration (see --force); 130 stopped (signal). */
#include "cli.h"
#include "commands.h"
#include "fsutil.h"
#include "progress.h"
#include "runlog.h"
#include "runstate.h"
#include "sweepdef.h"
#include "train.h"

#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

/* First SIGINT/SIGTERM: checkpoint after this step and exit. Second: exit now. */
static void on_signal(int sig) {
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_requested = 1;
}

typedef struct exec_ctx {
    FILE *report;       /* progress records for `sweep run`, or NULL */
    progress_line line; /* or a progress line on stderr */
} exec_ctx;

static void on_progress(const train_progress *p, void *arg) {
    exec_ctx *x = arg;
    if (x->report) {
        /* One record per line: P step total tokens total_tokens loss tok/s elapsed val */
        fprintf(x->report, "P %lld %lld %lld %lld %.6g %.6g %.6g %.6g\n", (long long)p->step,
                (long long)p->total_steps, (long long)p->tokens, (long long)p->total_tokens,
                p->loss, p->tokens_per_s, p->elapsed, p->val_loss);
        fflush(x->report);
        return;
    }
    char eta[16], text[200];
    double rate = p->tokens_per_s;
    format_duration(eta, sizeof eta, rate > 0 ? (double)(p->total_tokens - p->tokens) / rate : -1);
    snprintf(text, sizeof text, "step %lld/%lld  loss %.4f  %.0f tok/s  ETA %s", (long long)p->step,
             (long long)p->total_steps, p->loss, rate, eta);
    progress_show(&x->line, (double)p->step / (double)p->total_steps, text, !isnan(p->val_loss));
}

static void usage(FILE *f) {
    fprintf(f, "usage: sweep exec CONFIG (--index I | --name NAME) [--results DIR | --dir DIR]\n"
               "                  [--threads T] [--force] [--progress-fd FD]\n\n"
               "Trains run I (0-based, in the order of `sweep plan`) of the sweep into\n"
               "<results>/<sweep name>/. A finished run is skipped, a partly trained one resumes,\n"
               "a run held by another process is left alone (exit 3), and a run file of another\n"
               "configuration is kept (exit 4) unless --force moves it aside. SIGINT or SIGTERM\n"
               "checkpoints and exits 130. --dir names the sweep's directory itself.\n");
}

/* A process killed while writing leaves its temporary file (the real file is replaced
 * only by rename); with the lock held, no one else can be writing them (every writer of
 * a run file takes it: engine/fsutil.h run_file_lock). Only names of exactly that form
 * are removed: <file>.tmp (before temporary names had the pid) and <file>.tmp.<digits>.
 * A pattern would also match other runs' files (a run named "x.h5.tmp.1" has the files
 * x.h5.tmp.1.h5, .ckpt, ... which "x.h5.tmp.*" matches). */
static int is_temporary_of(const char *entry, const char *base) {
    size_t n = strlen(base);
    if (strncmp(entry, base, n) || strncmp(entry + n, ".tmp", 4)) return 0;
    const char *rest = entry + n + 4;
    if (!*rest) return 1;
    if (*rest++ != '.' || !*rest) return 0;
    return strspn(rest, "0123456789") == strlen(rest);
}

static void remove_stale_temporaries(const sweep_run *r) {
    char side[3][700];
    snprintf(side[0], sizeof side[0], "%s", r->cfg.out);
    runstate_path(r, "ckpt", side[1], sizeof side[1]);
    runstate_path(r, "state", side[2], sizeof side[2]);
    char dir[700];
    snprintf(dir, sizeof dir, "%s", r->cfg.out);
    char *slash = strrchr(dir, '/');
    const char *base[3];
    for (int k = 0; k < 3; k++) {
        const char *b = strrchr(side[k], '/');
        base[k] = b ? b + 1 : side[k];
    }
    if (slash)
        slash[slash == dir] = 0; /* "/x.h5": the directory is "/" */
    else
        snprintf(dir, sizeof dir, ".");
    DIR *dh = opendir(dir);
    if (!dh) return;
    struct dirent *e;
    char path[1500];
    while ((e = readdir(dh)))
        for (int k = 0; k < 3; k++)
            if (is_temporary_of(e->d_name, base[k])) {
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                unlink(path);
                break;
            }
    closedir(dh);
}

/* Moves a conflicting run file and checkpoint aside (never deletes results). */
static int move_aside(const sweep_run *r, char *err, size_t errlen) {
    char ckpt[700], to[800];
    runstate_path(r, "ckpt", ckpt, sizeof ckpt);
    const char *files[] = {r->cfg.out, ckpt};
    for (int i = 0; i < 2; i++) {
        if (access(files[i], F_OK) != 0) continue;
        snprintf(to, sizeof to, "%s.replaced-%ld", files[i], (long)time(NULL));
        if (rename(files[i], to) != 0) {
            snprintf(err, errlen, "cannot move %s aside: %s", files[i], strerror(errno));
            return -1;
        }
        fprintf(stderr, "sweep exec: moved %s to %s (--force)\n", files[i], to);
    }
    return 0;
}

int cmd_exec(int argc, char **argv) {
    const char *config = NULL, *name = NULL, *results = NULL, *dir = NULL;
    long index = -1, threads = 0;
    int force = 0, fd = -1;
    char perr[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        long n = 0;
        int r = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if ((r = cli_value(argc, argv, &i, "--index", &v, perr, sizeof perr))) {
            if (r > 0) r = cli_long("--index", v, 0, 1L << 40, &index, perr, sizeof perr);
        } else if ((r = cli_value(argc, argv, &i, "--name", &v, perr, sizeof perr))) {
            name = v;
        } else if ((r = cli_value(argc, argv, &i, "--results", &v, perr, sizeof perr))) {
            results = v;
        } else if ((r = cli_value(argc, argv, &i, "--dir", &v, perr, sizeof perr))) {
            dir = v;
        } else if ((r = cli_value(argc, argv, &i, "--threads", &v, perr, sizeof perr))) {
            if (r > 0) r = cli_long("--threads", v, 0, 4096, &threads, perr, sizeof perr);
        } else if ((r = cli_value(argc, argv, &i, "--progress-fd", &v, perr, sizeof perr))) {
            if (r > 0 && !(r = cli_long("--progress-fd", v, 0, 1 << 20, &n, perr, sizeof perr)))
                fd = (int)n;
        } else if ((r = cli_flag(a, "--force", perr, sizeof perr))) {
            force = 1;
        } else if (a[0] == '-' || config) {
            fprintf(stderr, "sweep exec: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        } else {
            config = a;
        }
        if (r < 0) {
            fprintf(stderr, "sweep exec: %s\n", perr);
            return 2;
        }
    }
    if (!config || (index < 0) == (name == NULL)) {
        usage(stderr);
        return 2;
    }
    char err[2048];
    sweep_def d;
    sweep_load_opts o = {.results = results, .dir = dir};
    if (sweep_load_file(config, &o, &d, err, sizeof err)) {
        fprintf(stderr, "sweep exec: %s\n", err);
        return 2;
    }
    long asked = index;
    if (name) index = sweep_find(&d, name);
    if (index < 0 || (size_t)index >= d.n) {
        if (name)
            fprintf(stderr, "sweep exec: %s: no run named %s\n", config, name);
        else
            fprintf(stderr, "sweep exec: %s: no run %ld (the sweep has %zu runs: 0..%zu)\n", config,
                    asked, d.n, d.n - 1);
        sweep_free(&d);
        return 2;
    }
    sweep_run *r = &d.runs[index];
    if (threads > 0) r->cfg.threads = threads;
    exec_ctx x = {0};
    if (fd >= 0) {
        signal(SIGPIPE, SIG_IGN);
        x.report = fdopen(fd, "w");
    }
    progress_init(&x.line, stderr);
    int rc = 1;
    int lock = -1;
    if (make_dirs(d.dir, err, sizeof err)) goto fail;
    /* `sweep status` probes locks for an instant; a few tries tell that apart from a run
     * really held by another process. */
    for (int tries = 0; tries < 20; tries++) {
        lock = runstate_lock(r, err, sizeof err);
        if (lock != -2) break;
        usleep(50000);
    }
    if (lock == -2) {
        fprintf(stderr, "sweep exec: %s is being trained by another process\n", r->cfg.name);
        rc = 3;
        goto out;
    }
    if (lock < 0) goto fail;
    remove_stale_temporaries(r);
    run_status st;
    runstate_read(r, &st);
    if (st.state == RS_CONFLICT) {
        if (!force) {
            fprintf(stderr, "sweep exec: %s: %s; not overwritten (--force moves it aside)\n",
                    r->cfg.out, st.reason);
            runstate_write(r, "conflict", st.reason, err, sizeof err);
            rc = 4;
            goto out;
        }
        if (move_aside(r, err, sizeof err)) goto fail;
    }
    if (runstate_write(r, "running", "", err, sizeof err)) goto fail;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    train_hooks hooks = {
        .progress = on_progress, .ctx = &x, .stop = &stop_requested, .run_file_locked = 1};
    const char *abort_env = getenv("PSL_TEST_ABORT_AFTER_STEPS"); /* tests only */
    if (abort_env) hooks.abort_after_steps = atoll(abort_env);
    train_result res;
    if (train_run(&r->cfg, &hooks, &res, err, sizeof err)) {
        if (!x.report) progress_done(&x.line);
        runstate_write(r, "failed", err, err + 1024, sizeof err - 1024);
        goto fail;
    }
    if (!x.report) progress_done(&x.line);
    /* A finished run gets the PTQ its knobs newly ask for (this process holds the lock). */
    if (!strcmp(res.status, "skipped") && !strcmp(res.reason, "already done")) {
        int did = 0;
        if (train_ptq_finished(&res.config, &did, err, sizeof err)) {
            runstate_write(r, "failed", err, err + 1024, sizeof err - 1024);
            goto fail;
        }
        if (did)
            snprintf(res.reason, sizeof res.reason,
                     "already done; post-training quantization added");
    }
    /* the state word: "skipped" says why in its reason, "already done; ..." */
    const char *word = strcmp(res.status, "skipped") ? res.status : res.reason + strlen("already ");
    char state[32];
    size_t len = strcspn(word, "; ");
    if (len >= sizeof state) len = sizeof state - 1;
    memcpy(state, word, len);
    state[len] = 0;
    runstate_write(r, state, res.reason, err, sizeof err);
    if (x.report)
        fprintf(x.report, "R %s %.6g %s\n", res.status, res.val_loss, res.reason);
    else
        fprintf(stderr, "%s: %s%s%s\n", r->cfg.name, res.status, res.reason[0] ? ": " : "",
                res.reason);
    rc = !strcmp(res.status, "stopped") || !strcmp(res.status, "aborted") ? 130 : 0;
    goto out;
fail:
    fprintf(stderr, "sweep exec: %s: %s\n", r->cfg.name, err);
    if (x.report) fprintf(x.report, "R failed nan %s\n", err);
    rc = 1;
out:
    if (x.report) fclose(x.report);
    run_file_unlock(lock, r->cfg.out);
    sweep_free(&d);
    return rc;
}
