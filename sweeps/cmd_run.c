/* sweep run CONFIG: trains every run of a sweep that is not done, J at a time, each in
 * its own process (`sweep exec`), or submits them as a Slurm array job (--slurm). */
#include "backend.h"
#include "cli.h"
#include "commands.h"
#include "progress.h"
#include "ptq/ptq_knobs.h"
#include "runstate.h"
#include "slurm.h"
#include "sweepdef.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig) {
    (void)sig;
    signals_seen++;
}

typedef enum {
    J_QUEUED,
    J_RUNNING,
    J_WAITING,
    J_DONE,
    J_DIVERGED,
    J_FAILED,
    J_STOPPED,
    J_CONFLICT,
    J_PARENT, /* a branch waiting for its parent's kept checkpoint: holds no job slot */
    J_COUNT
} job_state;

typedef struct job {
    size_t run;
    job_state state;
    pid_t pid;
    int fd;
    char buf[2048];
    size_t blen;
    int64_t step, total_steps, tokens, total_tokens;
    double loss, tok_s, elapsed, val_loss, retry_at;
    char result[16], reason[256];
    int gpu; /* index into scheduler.gpus while running on one, else -1 */
} job;

/* The GPUs runs with device=cuda are spread over: the entries of CUDA_VISIBLE_DEVICES
 * (indices or UUIDs), else 0..n-1 for the n devices the driver shows. Each such run
 * gets one (CUDA_VISIBLE_DEVICES set to it alone in its process: a run never spans
 * GPUs), the one with the fewest runs at the moment, lowest first on a tie; --jobs runs
 * share them, so --jobs 8 on 2 GPUs packs 4 runs onto each. */
#define MAX_GPUS 64
typedef struct gpu_set {
    int n;
    char id[MAX_GPUS][64];
    int load[MAX_GPUS];
} gpu_set;

static void gpus_find(gpu_set *g) {
    memset(g, 0, sizeof *g);
    const char *vis = getenv("CUDA_VISIBLE_DEVICES");
    if (vis) {
        /* "0,2", "GPU-8f2a...,GPU-11c0...": as CUDA reads it, up to the first invalid
         * entry; "" and "-1" hide every device */
        const char *p = vis;
        while (*p && g->n < MAX_GPUS) {
            size_t len = strcspn(p, ",");
            while (len && (p[len - 1] == ' ')) len--;
            while (len && *p == ' ') p++, len--;
            if (!len || len >= sizeof g->id[0] || (p[0] == '-' && p[1] != 0)) break;
            memcpy(g->id[g->n], p, len);
            g->id[g->n++][len] = 0;
            p += strcspn(p, ",");
            if (*p == ',') p++;
        }
        return;
    }
    int n = backend_cuda_device_count();
    for (int i = 0; i < n && i < MAX_GPUS; i++) snprintf(g->id[g->n++], sizeof g->id[0], "%d", i);
}

static int gpu_pick(gpu_set *g) {
    int best = -1;
    for (int i = 0; i < g->n; i++)
        if (best < 0 || g->load[i] < g->load[best]) best = i;
    if (best >= 0) g->load[best]++;
    return best;
}

typedef struct scheduler {
    sweep_def *d;
    job *jobs;
    size_t njobs;
    int max_jobs, threads, force, fail_fast, is_tty, board_lines;
    const char *self, *config_copy;
    double last_board, start;
    double sec_per_flop; /* from finished runs of this invocation */
    double done_flops, done_wall;
    gpu_set gpus;
    long *job_of; /* run index -> its job, -1 for runs this invocation does not train */
} scheduler;

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: sweep run CONFIG [--jobs J] [--threads T] [--results DIR] [--only PATTERN]\n"
        "                 [--fail-fast] [--force]\n"
        "       sweep run CONFIG --slurm [--partition P] [--time T] [--array-limit K]\n"
        "                 [--sbatch-arg ARG ...] [--threads T] [--results DIR] [--only PATTERN]\n\n"
        "Trains every run of the sweep that is not done into <results>/<sweep name>/\n"
        "(results/ by default), J runs at once with T threads each (defaults: J = 1,\n"
        "T = cores / J). Finished runs are skipped, interrupted ones resume from their\n"
        "checkpoint, runs held by another process are waited for. A run file that belongs\n"
        "to another configuration is reported and kept; --force moves it aside and\n"
        "retrains. Ctrl-C stops every run after a checkpoint; a second Ctrl-C stops at once.\n"
        "Exit status: 0 when every selected run is done or diverged (diverged runs are\n"
        "results), 1 if any failed or conflicts, 130 when stopped.\n\n"
        "--slurm writes <dir>/slurm/sweep.sbatch, an array job with one task per run not\n"
        "done, and submits it with sbatch; each task runs `sweep exec` with the same rules.\n"
        "Cooldown branches (branch_from naming a run of the sweep) wait for their parent:\n"
        "locally until it has kept their checkpoint, on Slurm in an array of their own after\n"
        "the parent's task (--dependency=afterok).\n");
}

static void job_text(const scheduler *s, const job *j, char *buf, size_t len) {
    const sweep_run *r = &s->d->runs[j->run];
    char eta[16];
    double left = j->tok_s > 0 ? (double)(j->total_tokens - j->tokens) / j->tok_s : -1;
    format_duration(eta, sizeof eta, left);
    if (j->total_steps)
        snprintf(buf, len, "  %-40.40s step %lld/%lld  loss %.4f  %.0f tok/s  ETA %s", r->cfg.name,
                 (long long)j->step, (long long)j->total_steps, j->loss, j->tok_s, eta);
    else
        snprintf(buf, len, "  %-40.40s starting", r->cfg.name);
}

/* Seconds of work left, from the pace of runs so far (NaN: no measurement yet). */
static double eta_seconds(const scheduler *s) {
    double spf = s->done_flops > 0 ? s->done_wall / s->done_flops : NAN;
    double left = 0, runs_left = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        const job *j = &s->jobs[i];
        const sweep_run *r = &s->d->runs[j->run];
        if (j->state == J_RUNNING) {
            double frac = j->total_tokens ? (double)j->tokens / (double)j->total_tokens : 0;
            if (isnan(spf) && j->tok_s > 0) spf = 1 / (j->tok_s * r->flops_per_token);
            left += (1 - frac) * r->flops, runs_left++;
        } else if (j->state == J_QUEUED || j->state == J_WAITING || j->state == J_PARENT) {
            left += r->flops, runs_left++;
        }
    }
    double par = runs_left < s->max_jobs ? runs_left : s->max_jobs;
    return par > 0 ? left * spf / par : 0;
}

static void draw_board(scheduler *s, int force) {
    double now = now_s();
    if (!force && now - s->last_board < (s->is_tty ? 0.25 : 30)) return;
    s->last_board = now;
    size_t n[J_COUNT] = {0};
    for (size_t i = 0; i < s->njobs; i++) n[s->jobs[i].state]++;
    size_t finished = n[J_DONE] + n[J_DIVERGED] + n[J_FAILED] + n[J_CONFLICT];
    double frac = s->njobs ? (double)finished / (double)s->njobs : 1;
    for (size_t i = 0; i < s->njobs; i++)
        if (s->jobs[i].state == J_RUNNING && s->jobs[i].total_tokens)
            frac += (double)s->jobs[i].tokens / (double)s->jobs[i].total_tokens / (double)s->njobs;
    char eta[16], head[256], line[300];
    format_duration(eta, sizeof eta, eta_seconds(s));
    char waiting[48] = "";
    if (n[J_PARENT]) snprintf(waiting, sizeof waiting, ", %zu waiting for parents", n[J_PARENT]);
    snprintf(head, sizeof head, "%zu/%zu done, %zu running%s, %zu failed, %zu diverged%s  ETA %s",
             n[J_DONE], s->njobs, n[J_RUNNING], waiting, n[J_FAILED] + n[J_CONFLICT], n[J_DIVERGED],
             n[J_WAITING] ? ", some held elsewhere" : "", eta);
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];
    int full = (int)(frac * WIDTH + 0.5);
    for (int i = 0; i < WIDTH; i++) bar[i] = i < full ? '#' : '.';
    bar[WIDTH] = 0;
    if (s->is_tty) {
        for (int i = 0; i < s->board_lines; i++) fprintf(stderr, "\033[1A\033[2K");
        fprintf(stderr, "\r\033[2K");
    }
    fprintf(stderr, "[%s] %3.0f%% %s\n", bar, 100 * frac, head);
    int lines = 1;
    for (size_t i = 0; i < s->njobs; i++) {
        if (s->jobs[i].state != J_RUNNING) continue;
        job_text(s, &s->jobs[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
        lines++;
    }
    size_t shown_waiting = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        const sweep_run *r = &s->d->runs[s->jobs[i].run];
        if (s->jobs[i].state != J_PARENT || r->parent < 0) continue;
        if (++shown_waiting > 4) continue;
        fprintf(stderr, "  %-40.40s waiting for %s (step %lld)\n", r->cfg.name,
                s->d->runs[r->parent].cfg.name, (long long)r->branch_step);
        lines++;
    }
    if (shown_waiting > 4) {
        fprintf(stderr, "  ... and %zu more waiting for their parents\n", shown_waiting - 4);
        lines++;
    }
    s->board_lines = lines;
    fflush(stderr);
}

/* Prints a line above the board (events: a run finished, failed, ...). */
static void event(scheduler *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void event(scheduler *s, const char *fmt, ...) {
    if (s->is_tty)
        for (int i = 0; i < s->board_lines; i++) fprintf(stderr, "\033[1A\033[2K");
    s->board_lines = 0;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (s->is_tty) draw_board(s, 1);
}

static int launch(scheduler *s, job *j) {
    const sweep_run *r = &s->d->runs[j->run];
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return -1;
    char logpath[700], index[32], threads[32];
    runstate_path(r, "log", logpath, sizeof logpath);
    snprintf(index, sizeof index, "%zu", j->run);
    snprintf(threads, sizeof threads, "%d", s->threads);
    j->gpu = strcmp(r->cfg.device, "cuda") ? -1 : gpu_pick(&s->gpus);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]), close(p[1]);
        if (j->gpu >= 0) s->gpus.load[j->gpu]--, j->gpu = -1;
        return -1;
    }
    if (pid == 0) {
        /* Own process group: a terminal's Ctrl-C reaches only the scheduler, which asks
         * each run once to stop. If the scheduler dies, the run is told to stop too. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(130);
        int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (log >= 0) dup2(log, 1), dup2(log, 2);
        dup2(p[1], 3);
        if (j->gpu >= 0) {
            setenv("CUDA_VISIBLE_DEVICES", s->gpus.id[j->gpu], 1);
            fprintf(stderr, "sweep run: GPU %s of %d (CUDA_VISIBLE_DEVICES=%s)\n",
                    s->gpus.id[j->gpu], s->gpus.n, s->gpus.id[j->gpu]);
        }
        char *argv[] = {(char *)"sweep",
                        (char *)"exec",
                        (char *)s->config_copy,
                        (char *)"--dir",
                        s->d->dir,
                        (char *)"--index",
                        index,
                        (char *)"--threads",
                        threads,
                        (char *)"--progress-fd",
                        (char *)"3",
                        s->force ? (char *)"--force" : NULL,
                        NULL};
        execv(s->self, argv);
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    j->pid = pid, j->fd = p[0], j->blen = 0, j->state = J_RUNNING;
    j->step = j->total_steps = j->tokens = j->total_tokens = 0;
    j->result[0] = j->reason[0] = 0;
    return 0;
}

static void parse_record(job *j, char *line) {
    if (line[0] == 'P') {
        long long step, total, tokens, total_tokens;
        double loss, tps, elapsed, val;
        if (sscanf(line, "P %lld %lld %lld %lld %lf %lf %lf %lf", &step, &total, &tokens,
                   &total_tokens, &loss, &tps, &elapsed, &val) == 8) {
            j->step = step, j->total_steps = total, j->tokens = tokens;
            j->total_tokens = total_tokens, j->loss = loss, j->tok_s = tps, j->elapsed = elapsed;
        }
    } else if (line[0] == 'R') {
        int used = 0;
        if (sscanf(line, "R %15s %lf %n", j->result, &j->val_loss, &used) >= 2 && used > 0)
            snprintf(j->reason, sizeof j->reason, "%.255s", line + used);
    }
}

static void read_records(job *j) {
    for (;;) {
        ssize_t n = read(j->fd, j->buf + j->blen, sizeof j->buf - 1 - j->blen);
        if (n <= 0) return;
        j->blen += (size_t)n;
        j->buf[j->blen] = 0;
        char *start = j->buf, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = 0;
            parse_record(j, start);
            start = nl + 1;
        }
        j->blen = strlen(start);
        memmove(j->buf, start, j->blen);
        if (j->blen == sizeof j->buf - 1) j->blen = 0; /* an overlong line: drop it */
    }
}

static void finish_job(scheduler *s, job *j, int status, int stopping) {
    read_records(j);
    if (j->gpu >= 0) s->gpus.load[j->gpu]--, j->gpu = -1;
    close(j->fd);
    j->fd = -1;
    const sweep_run *r = &s->d->runs[j->run];
    char logpath[700];
    runstate_path(r, "log", logpath, sizeof logpath);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code == 0 && !strcmp(j->result, "diverged")) {
        j->state = J_DIVERGED;
        event(s, "diverged: %s (%s)", r->cfg.name, j->reason);
    } else if (code == 0 && !strcmp(j->result, "skipped") && strstr(j->reason, "diverged")) {
        j->state = J_DIVERGED;
    } else if (code == 0) {
        j->state = J_DONE;
        if (strcmp(j->result, "skipped"))
            event(s, "done:     %s (val loss %.4f)", r->cfg.name, j->val_loss);
    } else if (code == 3) {
        j->state = J_WAITING;
        j->retry_at = now_s() + 2;
    } else if (code == 4) {
        j->state = J_CONFLICT;
        event(s, "conflict: %s: its run file belongs to another configuration (--force)",
              r->cfg.name);
    } else if (code == 130 || (stopping && code >= 128)) {
        j->state = J_STOPPED;
    } else {
        j->state = J_FAILED;
        event(s, "failed:   %s: %s (log: %s)", r->cfg.name,
              j->reason[0]  ? j->reason
              : code == 127 ? "cannot start sweep exec"
                            : "crashed",
              logpath);
    }
    if (j->state == J_DONE && j->elapsed > 0) s->done_flops += r->flops, s->done_wall += j->elapsed;
    /* A log that a run which ended well left empty says nothing: no file (the results of
     * the demo held 18 of them). Any other ending keeps it, empty or not. */
    struct stat sb;
    if (code == 0 && stat(logpath, &sb) == 0 && sb.st_size == 0) unlink(logpath);
}

static int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* Whether a branch (branch_from) may start now: 0 yes, 1 not yet (its parent has not kept
 * the checkpoint at the branch's decay start S), -1 never (j->reason says why, naming
 * the parent). A branch with a checkpoint of its own resumes from it and needs no parent.
 * A parent this scheduler trains counts as having kept S once it reports a step >= S in
 * this invocation or has finished: one resumed from before S truncates its run file, so
 * that a branch copying the rows up to S from it meanwhile would miss some. */
static int branch_gate(scheduler *s, job *j) {
    const sweep_run *r = &s->d->runs[j->run];
    if (!r->cfg.branch_from[0] || r->branch_step < 1) return 0;
    char own[700], kept[700];
    runstate_path(r, "ckpt", own, sizeof own);
    if (file_exists(own)) return 0;
    sweep_kept_checkpoint(r, kept, sizeof kept);
    int has = file_exists(kept);
    long long S = (long long)r->branch_step;
    if (r->parent < 0) {
        if (file_exists(r->cfg.branch_from)) return 0; /* sweep exec checks the rest */
        snprintf(j->reason, sizeof j->reason, "its parent run file %.200s (branch_from) is missing",
                 r->cfg.branch_from);
        return -1;
    }
    const sweep_run *p = &s->d->runs[r->parent];
    long pj = s->job_of[r->parent];
    job_state ps;
    char preason[256] = "";
    if (pj >= 0) {
        const job *q = &s->jobs[pj];
        ps = q->state;
        snprintf(preason, sizeof preason, "%s", q->reason);
        if (ps == J_RUNNING) return has && q->step >= r->branch_step ? 0 : 1;
    } else {
        /* not trained here: finished before this sweep run, held by another process, or
         * left out by --only */
        if (now_s() < j->retry_at) return 1;
        j->retry_at = now_s() + 2;
        run_status st;
        runstate_read(p, &st);
        snprintf(preason, sizeof preason, "%s", st.reason);
        ps = st.state == RS_DONE       ? J_DONE
             : st.state == RS_DIVERGED ? J_DIVERGED
             : st.state == RS_RUNNING  ? J_WAITING
             : st.state == RS_FAILED   ? J_FAILED
             : st.state == RS_CONFLICT ? J_CONFLICT
                                       : J_QUEUED;
        if (ps == J_WAITING) return has ? 0 : 1;
        if (ps == J_QUEUED) {
            if (has) return 0;
            snprintf(j->reason, sizeof j->reason,
                     "its parent %.80s is not done and not selected (--only), and has not kept "
                     "step %lld: select it too",
                     p->cfg.name, S);
            return -1;
        }
    }
    switch (ps) {
    case J_DONE:
    case J_DIVERGED:
        if (has) return 0;
        snprintf(j->reason, sizeof j->reason,
                 "its parent %.80s %s without keeping its checkpoint at step %lld (%.60s)",
                 p->cfg.name, ps == J_DONE ? "finished" : "diverged", S,
                 ps == J_DIVERGED && preason[0] ? preason : "ckpt_keep");
        return -1;
    case J_FAILED:
        snprintf(j->reason, sizeof j->reason, "its parent %.80s failed%s%.150s", p->cfg.name,
                 preason[0] ? ": " : "", preason);
        return -1;
    case J_CONFLICT:
        snprintf(j->reason, sizeof j->reason,
                 "its parent %.80s was not trained: its run file belongs to another "
                 "configuration",
                 p->cfg.name);
        return -1;
    default:
        return 1; /* queued, held elsewhere, waiting for its own parent, stopped */
    }
}

/* Queued branches whose parents are not ready wait (J_PARENT, no job slot) and queued
 * runs are ready again once they are; a branch whose parent failed fails with it. */
static void update_gates(scheduler *s) {
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < s->njobs; i++) {
            job *j = &s->jobs[i];
            if (j->state != J_QUEUED && j->state != J_PARENT) continue;
            int g = branch_gate(s, j);
            if (g == 0 && j->state == J_PARENT) j->state = J_QUEUED;
            if (g == 1) j->state = J_PARENT;
            if (g < 0) {
                const sweep_run *r = &s->d->runs[j->run];
                char err[256];
                j->state = J_FAILED, changed = 1;
                runstate_write(r, "failed", j->reason, err, sizeof err);
                event(s, "failed:   %s: %s", r->cfg.name, j->reason);
            }
        }
    }
}

static int run_local(scheduler *s) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int handled = 0, halted = 0;
    struct pollfd *pfd = calloc(s->njobs + 1, sizeof *pfd);
    if (!pfd) return 1;
    for (;;) {
        int stopping = handled > 0 || halted;
        if (signals_seen > handled) {
            handled = signals_seen;
            int sig = handled == 1 ? SIGTERM : SIGKILL;
            if (handled == 1)
                event(s, "stopping: each run checkpoints and exits (Ctrl-C again: at once)");
            for (size_t i = 0; i < s->njobs; i++)
                if (s->jobs[i].state == J_RUNNING) kill(s->jobs[i].pid, sig);
            stopping = 1;
        }
        size_t running = 0, waiting = 0;
        for (size_t i = 0; i < s->njobs; i++) {
            running += s->jobs[i].state == J_RUNNING;
            waiting += s->jobs[i].state == J_WAITING;
        }
        if (!stopping) update_gates(s);
        for (size_t i = 0; i < s->njobs && !stopping && running < (size_t)s->max_jobs; i++) {
            job *j = &s->jobs[i];
            if (j->state == J_QUEUED || (j->state == J_WAITING && now_s() >= j->retry_at)) {
                if (launch(s, j)) {
                    j->state = J_FAILED;
                    snprintf(j->reason, sizeof j->reason, "fork failed: %s", strerror(errno));
                    continue;
                }
                running++;
            }
        }
        if (running == 0) {
            size_t queued = 0;
            for (size_t i = 0; i < s->njobs; i++)
                queued += s->jobs[i].state == J_QUEUED || s->jobs[i].state == J_WAITING ||
                          s->jobs[i].state == J_PARENT;
            if (stopping || queued == 0) break;
        }
        size_t np = 0;
        for (size_t i = 0; i < s->njobs; i++)
            if (s->jobs[i].state == J_RUNNING && s->jobs[i].fd >= 0)
                pfd[np++] = (struct pollfd){.fd = s->jobs[i].fd, .events = POLLIN};
        poll(pfd, np, 250);
        for (size_t i = 0; i < s->njobs; i++)
            if (s->jobs[i].state == J_RUNNING) read_records(&s->jobs[i]);
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (size_t i = 0; i < s->njobs; i++) {
                job *j = &s->jobs[i];
                if (j->state != J_RUNNING || j->pid != pid) continue;
                finish_job(s, j, status, stopping);
                if (j->state == J_FAILED && s->fail_fast && !halted) {
                    halted = 1;
                    event(s, "--fail-fast: stopping the other runs after a checkpoint");
                    for (size_t k = 0; k < s->njobs; k++)
                        if (s->jobs[k].state == J_RUNNING) kill(s->jobs[k].pid, SIGTERM);
                }
            }
        }
        (void)waiting;
        draw_board(s, 0);
    }
    free(pfd);
    draw_board(s, 1);
    size_t n[J_COUNT] = {0};
    for (size_t i = 0; i < s->njobs; i++) n[s->jobs[i].state]++;
    fprintf(stderr, "\nsweep %s: %zu done, %zu diverged, %zu failed, %zu conflicts, %zu not run\n",
            s->d->name, n[J_DONE], n[J_DIVERGED], n[J_FAILED], n[J_CONFLICT],
            n[J_QUEUED] + n[J_WAITING] + n[J_STOPPED] + n[J_PARENT]);
    if (n[J_DIVERGED])
        fprintf(stderr, "diverged runs are results (their run files say so), not failures\n");
    for (size_t i = 0; i < s->njobs; i++)
        if (s->jobs[i].state == J_FAILED)
            fprintf(stderr, "  failed: %s: %s\n", s->d->runs[s->jobs[i].run].cfg.name,
                    s->jobs[i].reason);
    fprintf(stderr, "results in %s/ (sweep status %s)\n", s->d->dir, s->d->dir);
    if (n[J_FAILED] || n[J_CONFLICT]) return 1;
    if (handled || halted || n[J_QUEUED] + n[J_WAITING] + n[J_STOPPED] + n[J_PARENT]) return 130;
    return 0;
}

/* Saves the config text and the expanded runs beside the results: `sweep status DIR`
 * and every `sweep exec` read this copy, so indices mean the same runs. */
static int save_sweep(const sweep_def *d, char *path, size_t len, char *err, size_t errlen) {
    if (make_dirs(d->dir, err, errlen)) return -1;
    snprintf(path, len, "%s/sweep.lua", d->dir);
    if (write_file_atomic(path, d->source, d->source_len, err, errlen)) return -1;
    char *json = sweep_json(d);
    char jpath[700];
    snprintf(jpath, sizeof jpath, "%s/sweep.json", d->dir);
    int rc = json ? write_file_atomic(jpath, json, strlen(json), err, errlen) : -1;
    free(json);
    return rc;
}

/* Whether a finished run's file lacks PTQ rows its knobs ask for (a config that added
 * ptq, ptq_bits, ... after the run was trained): such a run is given to `sweep exec`,
 * which adds them (train_ptq_finished), locally or on Slurm. Read from what runstate_read
 * found in the file; when it cannot tell (more tables than it describes), exec decides. */
static int ptq_missing(const sweep_run *r, const run_status *st) {
    ptq_request reqs[2];
    int n;
    char err[256];
    if (!r->cfg.ptq[0] || ptq_requests_from_config(&r->cfg, reqs, &n, err, sizeof err)) return 0;
    if (st->nptq > RUNSTATE_PTQ_MAX) return 1;
    for (int k = 0; k < n; k++) {
        char name[96];
        ptq_table_name(reqs[k].method, &reqs[k].fmt, name, sizeof name);
        const run_ptq *t = NULL;
        for (int j = 0; j < st->nptq && !t; j++)
            if (!strcmp(st->ptq[j].table, name)) t = &st->ptq[j];
        if (!t || t->step != st->step) return 1;
        for (int b = 0; b < reqs[k].nbits; b++) {
            int have = 0;
            for (int j = 0; j < t->nbits && !have; j++) have = t->bits[j] == reqs[k].bits[b];
            if (!have) return 1;
        }
    }
    return 0;
}

int cmd_run(int argc, char **argv) {
    const char *config = NULL, *results = NULL, *only = NULL;
    int jobs = 1, threads = 0, force = 0, fail_fast = 0, slurm = 0;
    slurm_opts so = {0};
    const char *sbatch_args[64];
    int nsbatch = 0;
    char err[2048], copy[800];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        long n = 0;
        int r = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if ((r = cli_value(argc, argv, &i, "--jobs", &v, err, sizeof err))) {
            if (r > 0 && !(r = cli_long("--jobs", v, 1, 4096, &n, err, sizeof err))) jobs = (int)n;
        } else if ((r = cli_value(argc, argv, &i, "--threads", &v, err, sizeof err))) {
            if (r > 0 && !(r = cli_long("--threads", v, 0, 4096, &n, err, sizeof err)))
                threads = (int)n;
        } else if ((r = cli_value(argc, argv, &i, "--results", &v, err, sizeof err))) {
            results = v;
        } else if ((r = cli_value(argc, argv, &i, "--only", &v, err, sizeof err))) {
            only = v;
        } else if ((r = cli_flag(a, "--force", err, sizeof err))) {
            force = 1;
        } else if ((r = cli_flag(a, "--fail-fast", err, sizeof err))) {
            fail_fast = 1;
        } else if ((r = cli_flag(a, "--slurm", err, sizeof err))) {
            slurm = 1;
        } else if ((r = cli_value(argc, argv, &i, "--partition", &v, err, sizeof err))) {
            so.partition = v;
        } else if ((r = cli_value(argc, argv, &i, "--time", &v, err, sizeof err))) {
            so.time = v;
        } else if ((r = cli_value(argc, argv, &i, "--array-limit", &v, err, sizeof err))) {
            if (r > 0 && !(r = cli_long("--array-limit", v, 0, 1L << 30, &n, err, sizeof err)))
                so.array_limit = (int)n;
        } else if ((r = cli_value(argc, argv, &i, "--sbatch-arg", &v, err, sizeof err))) {
            if (r > 0 && nsbatch == 64) {
                snprintf(err, sizeof err, "--sbatch-arg: at most 64 of them");
                r = -1;
            } else if (r > 0) {
                sbatch_args[nsbatch++] = v;
            }
        } else if (a[0] == '-' || config) {
            fprintf(stderr, "sweep run: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        } else {
            config = a;
        }
        if (r < 0) {
            fprintf(stderr, "sweep run: %s\n", err);
            return 2;
        }
    }
    if (!config) {
        fprintf(stderr, "sweep run: no CONFIG given\n");
        usage(stderr);
        return 2;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads == 0) threads = cores / jobs > 0 ? (int)(cores / jobs) : 1;
    sweep_def d;
    sweep_load_opts o = {.results = results};
    if (sweep_load_file(config, &o, &d, err, sizeof err)) {
        fprintf(stderr, "sweep run: %s\n", err);
        return 2;
    }
    scheduler s = {.d = &d,
                   .max_jobs = jobs,
                   .threads = threads,
                   .force = force,
                   .fail_fast = fail_fast,
                   .is_tty = isatty(2),
                   .config_copy = copy,
                   .start = now_s()};
    s.jobs = calloc(d.n, sizeof *s.jobs);
    s.job_of = malloc((d.n + 1) * sizeof *s.job_of);
    char self[1024];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!s.jobs || !s.job_of || sl <= 0) {
        fprintf(stderr, "sweep run: cannot find its own executable\n");
        sweep_free(&d);
        free(s.jobs);
        free(s.job_of);
        return 1;
    }
    self[sl] = 0;
    s.self = self;
    size_t finished = 0, conflicts = 0, ptq_jobs = 0;
    for (size_t i = 0; i < d.n; i++) {
        if (!sweep_name_matches(only, d.runs[i].cfg.name)) continue;
        run_status st;
        runstate_read(&d.runs[i], &st);
        if (st.state == RS_DONE && ptq_missing(&d.runs[i], &st)) {
            finished++, ptq_jobs++;
            s.jobs[s.njobs++] = (job){.run = i, .state = J_QUEUED, .fd = -1, .gpu = -1};
            continue;
        }
        if (st.state == RS_DONE || st.state == RS_DIVERGED) {
            finished++;
            continue;
        }
        if (st.state == RS_CONFLICT && !force) {
            fprintf(stderr, "sweep run: %s: %s; kept (--force moves it aside and retrains)\n",
                    d.runs[i].cfg.out, st.reason);
            conflicts++;
            continue;
        }
        s.jobs[s.njobs++] = (job){.run = i, .state = J_QUEUED, .fd = -1, .gpu = -1};
    }
    for (size_t i = 0; i < d.n; i++) s.job_of[i] = -1;
    for (size_t i = 0; i < s.njobs; i++) s.job_of[s.jobs[i].run] = (long)i;
    char ptq_note[64] = "";
    if (ptq_jobs) snprintf(ptq_note, sizeof ptq_note, ", %zu finished to add PTQ to", ptq_jobs);
    /* The saved copy is what the jobs load and what `sweep status DIR` reads: a sweep run
     * that trains nothing because of conflicts leaves the copy that made the files. */
    if (s.njobs > 0 || conflicts == 0) {
        if (save_sweep(&d, copy, sizeof copy, err, sizeof err)) {
            fprintf(stderr, "sweep run: %s\n", err);
            free(s.jobs);
            free(s.job_of);
            sweep_free(&d);
            return 1;
        }
    } else {
        fprintf(stderr, "sweep run: nothing to train; %s/sweep.lua kept as it was\n", d.dir);
    }
    fprintf(stderr, "sweep %s: %zu runs, %zu already finished, %zu to train%s%s -> %s/\n", d.name,
            d.n, finished, s.njobs - ptq_jobs, ptq_note, conflicts ? " (conflicts kept)" : "",
            d.dir);
    int rc;
    if (slurm) {
        size_t *idx = malloc((s.njobs + 1) * sizeof *idx);
        for (size_t i = 0; idx && i < s.njobs; i++) idx[i] = s.jobs[i].run;
        so.threads = threads;
        so.sbatch_args = sbatch_args;
        so.nsbatch_args = nsbatch;
        rc = idx ? slurm_submit(&d, copy, self, idx, s.njobs, &so, err, sizeof err) : -1;
        if (rc) fprintf(stderr, "sweep run: %s\n", err);
        rc = rc ? 1 : 0;
        free(idx);
    } else if (s.njobs == 0) {
        rc = 0;
    } else {
        fprintf(stderr, "%d at a time, %d threads each\n", jobs, threads);
        size_t on_gpu = 0;
        for (size_t i = 0; i < s.njobs; i++)
            on_gpu += !strcmp(d.runs[s.jobs[i].run].cfg.device, "cuda");
        if (on_gpu) {
            gpus_find(&s.gpus);
            if (s.gpus.n) {
                fprintf(stderr, "%zu runs on cuda, spread over %d GPU%s:", on_gpu, s.gpus.n,
                        s.gpus.n > 1 ? "s" : "");
                for (int g = 0; g < s.gpus.n; g++) fprintf(stderr, " %s", s.gpus.id[g]);
                fputc('\n', stderr);
            }
        }
        rc = run_local(&s);
    }
    if (conflicts && rc == 0) rc = 1;
    free(s.jobs);
    free(s.job_of);
    sweep_free(&d);
    return rc;
}
