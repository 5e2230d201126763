/* sweep status DIR|CONFIG: the state of every run of a sweep, read from disk; --json for
 * programs, --watch for a live view (docs/sweeps.md). */
#include "commands.h"
#include "json_out.h"
#include "progress.h"
#include "runstate.h"
#include "sweepdef.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WATCH_MIN_S 0.1
#define WATCH_MAX_S 86400.0

static void usage(FILE *f) {
    fprintf(
        f, "usage: sweep status DIR|CONFIG [--results DIR] [--only PATTERN]\n"
           "                   [--json | --watch[=SECONDS]]\n\n"
           "Counts the runs of a sweep by state (pending, running, done, diverged, failed,\n"
           "conflict) and lists them with their last training loss, tokens done and ETA.\n"
           "DIR is a sweep's results directory (it holds sweep.lua, saved by sweep run).\n\n"
           "  --results DIR    the results directory a CONFIG's sweep is in (default results)\n"
           "  --only PATTERN   only the runs whose name matches (a glob if it has *?[, else a\n"
           "                   substring)\n"
           "  --json           one JSON document on stdout instead of the table: per run its\n"
           "                   name, id, state, phase, step, tokens, target tokens, losses (last,\n"
           "                   smoothed, last eval, final validation), tokens/s, ETA, PTQ tables;\n"
           "                   and the totals (docs/sweeps.md lists the fields)\n"
           "  --watch[=S]      redraw every S seconds (default 2, 0.1 to 86400) until every run\n"
           "                   is done or diverged, or Ctrl-C: in place on a terminal, fitted to\n"
           "                   its width; otherwise the summary once, then one timestamped line\n"
           "                   per run that changed, and the summary again at the end\n\n"
           "Smoothed loss: an exponential moving average over the rows of /train (weight 0.9\n"
           "per row, bias-corrected). tokens/s: over the last 10 rows of /train, from their\n"
           "wall-time column. ETA: the tokens left at that pace (at the sweep's pace for a run\n"
           "not started); it leaves out the final evaluation and PTQ.\n"
           "Exit status: 0 when every run is done or diverged, 1 otherwise (--watch: 0 when\n"
           "it ends that way, 130 on Ctrl-C); 2 for a usage error or a config that does not\n"
           "load.\n");
}

/* ---- loading the sweep ------------------------------------------------------------ */

static int load_sweep(const char *target, const char *results, sweep_def *d) {
    char config[PATH_MAX + 16], err[2048], absdir[PATH_MAX];
    sweep_load_opts o = {.results = results, .fallback_vocab = 4096};
    struct stat sb;
    int is_dir = stat(target, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (is_dir) {
        snprintf(config, sizeof config, "%s/sweep.lua", target);
        o.dir = target;
    } else {
        snprintf(config, sizeof config, "%s", target);
    }
    if (sweep_load_file(config, &o, d, err, sizeof err)) {
        fprintf(stderr, "sweep status: %s\n", err);
        return 2;
    }
    /* A sweep's data dirs are relative to where `sweep run` was started, and a run's
     * identity depends on the data's vocabulary: from elsewhere every run looked like a
     * conflict. Try the sweep directory's ancestors (the default layout is
     * <cwd>/results/<sweep>) for one from which the data is found. The paths become
     * absolute, since the loads below run from other directories. */
    if (is_dir && d->data_missing && realpath(target, absdir)) {
        snprintf(config, sizeof config, "%s/sweep.lua", absdir);
        o.dir = absdir;
        int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char up[PATH_MAX];
        snprintf(up, sizeof up, "%s", absdir);
        for (char *slash = strrchr(up, '/'); here >= 0 && slash; slash = strrchr(up, '/')) {
            *slash = 0;
            sweep_def d2;
            if (chdir(up[0] ? up : "/") == 0 &&
                sweep_load_file(config, &o, &d2, err, sizeof err) == 0) {
                if (!d2.data_missing) {
                    sweep_free(d);
                    *d = d2;
                    break;
                }
                sweep_free(&d2);
            }
        }
        if (here >= 0) {
            if (fchdir(here) != 0) perror("sweep status: back to the working directory");
            close(here);
        }
        if (d->data_missing)
            fprintf(stderr,
                    "sweep status: note: the sweep's data is not found from here or above %s; "
                    "run identities depend on it, so runs may show as conflicts (run from the "
                    "directory sweep run was started in)\n",
                    absdir);
    }
    return 0;
}

/* ---- one look at the sweep's files -------------------------------------------------- */

typedef struct run_view {
    run_status st;
    int selected;
    double frac;       /* tokens / target, at most 1 */
    double rate;       /* tokens/s: from the run file's wall column, else observed (NaN) */
    int rate_seen;     /* rate came from successive observations (--watch) */
    double eta;        /* seconds of training left (NaN: unknown, or not training) */
    const char *phase; /* running runs: "train", "final" (evaluation, PTQ), "ptq"; else NULL */
    /* the previous observation, for observed rates and for change lines */
    int64_t seen_tokens;
    double seen_at;
} run_view;

typedef struct sweep_view {
    run_view *v;
    size_t count[RS_COUNT], shown, partial;
    int64_t tokens, target;
    double rate;            /* sum over running runs */
    double sec_per_flop;    /* the sweep's pace so far (NaN: none) */
    double left_flops, eta; /* work left; at the pace so far, as one job (NaN: unknown) */
    double at;              /* now_s() of the observation */
    time_t when;
} sweep_view;

static int64_t target_tokens(const sweep_run *r) {
    return r->cfg.tokens;
}

static void observe(const sweep_def *d, const char *only, sweep_view *sv) {
    memset(sv->count, 0, sizeof sv->count);
    sv->shown = sv->partial = 0;
    sv->tokens = sv->target = 0;
    sv->rate = 0;
    sv->at = now_s();
    sv->when = time(NULL);
    double done_flops = 0, done_wall = 0, left_flops = 0;
    for (size_t i = 0; i < d->n; i++) {
        const sweep_run *r = &d->runs[i];
        run_view *v = &sv->v[i];
        v->selected = sweep_name_matches(only, r->cfg.name);
        if (!v->selected) continue;
        runstate_read(r, &v->st);
        run_status *st = &v->st;
        sv->count[st->state]++;
        sv->shown++;
        int64_t target = target_tokens(r);
        v->frac = target > 0 ? (double)st->tokens / (double)target : 0;
        if (v->frac > 1) v->frac = 1;
        sv->tokens += st->tokens;
        sv->target += target;
        if (st->state == RS_PENDING && st->tokens > 0) sv->partial++;
        /* tokens/s: the file's own clock; else (no rows yet, or no wall time) the change
         * since the previous observation, kept until the next change */
        if (isfinite(st->tok_per_s) && st->tok_per_s > 0) {
            v->rate = st->tok_per_s, v->rate_seen = 0;
        } else if (v->seen_at > 0 && st->tokens > v->seen_tokens && sv->at > v->seen_at) {
            v->rate = (double)(st->tokens - v->seen_tokens) / (sv->at - v->seen_at);
            v->rate_seen = 1;
        } else if (!v->rate_seen) {
            v->rate = NAN;
        }
        if (v->seen_at == 0 || st->tokens != v->seen_tokens)
            v->seen_tokens = st->tokens, v->seen_at = sv->at;
        v->phase = NULL;
        if (st->state == RS_RUNNING)
            v->phase = target > 0 && st->tokens >= target ? "final" : "train";
        else if ((st->state == RS_DONE || st->state == RS_DIVERGED) && st->held)
            v->phase = "ptq"; /* sweep exec adds PTQ a config newly asks for */
        if (st->state == RS_RUNNING && isfinite(v->rate)) sv->rate += v->rate;
        if (st->state == RS_DONE || st->state == RS_DIVERGED) {
            if (st->state == RS_DONE) done_flops += r->flops, done_wall += st->wall;
            continue;
        }
        done_flops += v->frac * r->flops;
        done_wall += st->wall;
        left_flops += (1 - v->frac) * r->flops;
    }
    sv->sec_per_flop = done_flops > 0 && done_wall > 0 ? done_wall / done_flops : NAN;
    sv->left_flops = left_flops;
    sv->eta = isfinite(sv->sec_per_flop) ? left_flops * sv->sec_per_flop : NAN;
    for (size_t i = 0; i < d->n; i++) {
        const sweep_run *r = &d->runs[i];
        run_view *v = &sv->v[i];
        v->eta = NAN;
        if (!v->selected) continue;
        if (v->st.state != RS_RUNNING && v->st.state != RS_PENDING && v->st.state != RS_WAITING)
            continue;
        int64_t left = target_tokens(r) - v->st.tokens;
        if (left <= 0)
            v->eta = 0;
        else if (isfinite(v->rate) && v->rate > 0)
            v->eta = (double)left / v->rate; /* this run's own pace */
        else if (isfinite(sv->sec_per_flop))
            v->eta = (1 - v->frac) * r->flops * sv->sec_per_flop; /* the sweep's */
    }
}

static int finished(const sweep_view *sv) {
    return sv->count[RS_DONE] + sv->count[RS_DIVERGED] == sv->shown;
}

/* ---- the table (sweep status) ------------------------------------------------------- */

static void print_table(const sweep_def *d, const sweep_view *sv) {
    printf("sweep %s: %zu runs in %s/\n", d->name, sv->shown, d->dir);
    for (int s = 0; s < RS_COUNT; s++)
        if (sv->count[s]) printf("  %-9s %zu\n", run_state_name((run_state)s), sv->count[s]);
    int w = 20;
    for (size_t i = 0; i < d->n; i++)
        if ((int)strlen(d->runs[i].cfg.name) > w) w = (int)strlen(d->runs[i].cfg.name);
    printf("\n%4s  %-*s %-9s %7s %9s %8s %8s %9s\n", "#", w, "name", "state", "done", "tokens",
           "loss", "val", "ETA");
    for (size_t i = 0; i < d->n; i++) {
        const sweep_run *r = &d->runs[i];
        const run_view *v = &sv->v[i];
        if (!v->selected) continue;
        char eta[16] = "", loss[16] = "-", val[16] = "-";
        if (v->st.state == RS_RUNNING || v->st.state == RS_PENDING || v->st.state == RS_WAITING)
            format_duration(eta, sizeof eta, isnan(v->eta) ? -1 : v->eta);
        if (!isnan(v->st.loss)) snprintf(loss, sizeof loss, "%.4f", v->st.loss);
        if (!isnan(v->st.val_loss)) snprintf(val, sizeof val, "%.4f", v->st.val_loss);
        printf("%4zu  %-*s %-9s %6.1f%% %9lld %8s %8s %9s", i, w, r->cfg.name,
               run_state_name(v->st.state), 100 * v->frac, (long long)v->st.tokens, loss, val, eta);
        if (v->st.interrupted) printf("  (interrupted; resumes)");
        if (v->st.state == RS_FAILED || v->st.state == RS_CONFLICT || v->st.state == RS_WAITING)
            printf("  %.120s", v->st.reason);
        printf("\n");
    }
    if (isfinite(sv->eta) && sv->left_flops > 0) {
        char eta[16];
        format_duration(eta, sizeof eta, sv->eta);
        printf("\nwork left: %.3e FLOPs, about %s of one job at the pace so far\n", sv->left_flops,
               eta);
    }
}

/* ---- --json ------------------------------------------------------------------------- */

static void iso_time(time_t t, char *buf, size_t len) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int print_json(const sweep_def *d, const sweep_view *sv) {
    FILE *f = stdout;
    char when[32];
    iso_time(sv->when, when, sizeof when);
    fputs("{\n  \"sweep\": ", f);
    json_string(f, d->name);
    fputs(",\n  \"dir\": ", f);
    json_string(f, d->dir);
    fputs(",\n  \"time\": ", f);
    json_string(f, when);
    fputs(",\n  \"runs\": [", f);
    int first = 1;
    for (size_t i = 0; i < d->n; i++) {
        const sweep_run *r = &d->runs[i];
        const run_view *v = &sv->v[i];
        const run_status *st = &v->st;
        if (!v->selected) continue;
        fputs(first ? "\n    {" : ",\n    {", f);
        first = 0;
        fprintf(f, "\"index\": %zu, \"name\": ", i);
        json_string(f, r->cfg.name);
        fputs(", \"id\": ", f);
        json_string(f, r->id_hex);
        fputs(", \"state\": ", f);
        json_string(f, run_state_name(st->state));
        fputs(", \"partial\": ", f);
        json_bool(f, st->state == RS_PENDING && st->tokens > 0);
        fputs(", \"interrupted\": ", f);
        json_bool(f, st->interrupted);
        fputs(", \"phase\": ", f);
        json_string(f, v->phase);
        fprintf(f, ",\n     \"step\": %lld, \"tokens\": %lld, \"target_tokens\": %lld",
                (long long)st->step, (long long)st->tokens, (long long)target_tokens(r));
        fputs(", \"fraction\": ", f);
        json_number(f, v->frac);
        fprintf(f, ", \"train_rows\": %zu, \"wall_s\": ", st->train_rows);
        json_number(f, st->wall);
        fputs(",\n     \"loss\": ", f);
        json_number(f, st->loss);
        fputs(", \"smoothed_loss\": ", f);
        json_number(f, st->smooth_loss);
        fputs(", \"eval_loss\": ", f);
        json_number(f, st->eval_loss);
        fprintf(f, ", \"eval_step\": %lld, \"val_loss\": ", (long long)st->eval_step);
        json_number(f, st->val_loss);
        fputs(",\n     \"tokens_per_s\": ", f);
        json_number(f, v->rate);
        fputs(", \"eta_s\": ", f);
        json_number(f, v->eta);
        fprintf(f, ", \"ptq_tables\": %d, \"ptq\": [", st->nptq);
        for (int k = 0; k < st->nptq && k < RUNSTATE_PTQ_MAX; k++) {
            const run_ptq *p = &st->ptq[k];
            fputs(k ? ", {\"table\": " : "{\"table\": ", f);
            json_string(f, p->table);
            fprintf(f, ", \"rows\": %d, \"step\": %lld, \"bits\": [", p->rows, (long long)p->step);
            for (int b = 0; b < p->nbits; b++) {
                if (b) fputs(", ", f);
                json_number(f, p->bits[b]);
            }
            fputs("]}", f);
        }
        fputs("],\n     \"reason\": ", f);
        json_string(f, st->reason[0] && (st->state == RS_FAILED || st->state == RS_CONFLICT ||
                                         st->state == RS_DIVERGED || st->state == RS_WAITING)
                           ? st->reason
                           : NULL);
        fputs("}", f);
    }
    fputs(first ? "],\n" : "\n  ],\n", f);
    fprintf(f, "  \"totals\": {\"runs\": %zu", sv->shown);
    for (int s = 0; s < RS_COUNT; s++)
        fprintf(f, ", \"%s\": %zu", run_state_name((run_state)s), sv->count[s]);
    fprintf(f, ", \"partial\": %zu, \"tokens\": %lld, \"target_tokens\": %lld, \"tokens_per_s\": ",
            sv->partial, (long long)sv->tokens, (long long)sv->target);
    json_number(f, sv->rate);
    fputs(", \"flops_left\": ", f);
    json_number(f, sv->left_flops);
    fputs(", \"eta_s\": ", f);
    json_number(f, sv->left_flops > 0 ? sv->eta : 0);
    fputs(", \"finished\": ", f);
    json_bool(f, finished(sv));
    fputs("}\n}\n", f);
    fflush(f);
    if (ferror(f)) {
        fprintf(stderr, "sweep status: writing the JSON to stdout failed\n");
        return -1;
    }
    return 0;
}

/* ---- --watch ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) {
    stop_signal = sig;
}

static int terminal_size(int *rows) {
    struct winsize ws;
    *rows = 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        *rows = ws.ws_row;
        return ws.ws_col;
    }
    const char *c = getenv("COLUMNS");
    char *end;
    long n = c ? strtol(c, &end, 10) : 0;
    if (c && end != c && *end == 0 && n >= 20 && n <= 10000) return (int)n;
    return 80;
}

static void format_rate(char *buf, size_t len, double r) {
    if (!(r >= 0) || !isfinite(r))
        snprintf(buf, len, "-");
    else if (r >= 1e6)
        snprintf(buf, len, "%.1fM", r / 1e6);
    else if (r >= 1e4)
        snprintf(buf, len, "%.0fk", r / 1e3);
    else
        snprintf(buf, len, "%.0f", r);
}

static void format_loss(char *buf, size_t len, double x) {
    if (isnan(x))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.4f", x);
}

/* A frame line: cut to width - 1 bytes (so the terminal never wraps it, which would
 * break the redraw), not inside a UTF-8 sequence. */
typedef struct frame {
    char **line;
    size_t n, cap;
    int width;
} frame;

static void frame_add(frame *fr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void frame_add(frame *fr, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t max = fr->width > 1 ? (size_t)fr->width - 1 : 1, n = strlen(buf);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80) n--;
        buf[n] = 0;
    }
    if (fr->n == fr->cap) {
        size_t cap = fr->cap ? 2 * fr->cap : 64;
        char **l = realloc(fr->line, cap * sizeof *l);
        if (!l) return;
        fr->line = l, fr->cap = cap;
    }
    char *copy = strdup(buf);
    if (copy) fr->line[fr->n++] = copy;
}

static void frame_free(frame *fr) {
    for (size_t i = 0; i < fr->n; i++) free(fr->line[i]);
    free(fr->line);
}

/* Columns of a run's line, in the order they are dropped when the terminal is narrow. */
enum { COL_STEP, COL_RATE, COL_PHASE, COL_LOSS, COL_ETA, COL_DONE, NCOLS };

static void counts_text(const sweep_view *sv, char *buf, size_t len) {
    size_t o = 0;
    buf[0] = 0;
    for (int s = 0; s < RS_COUNT && o < len; s++)
        if (sv->count[s])
            o += (size_t)snprintf(buf + o, len - o, "%s%zu %s", o ? ", " : "", sv->count[s],
                                  run_state_name((run_state)s));
    if (sv->partial && o < len) snprintf(buf + o, len - o, " (%zu partly trained)", sv->partial);
}

static void build_frame(const sweep_def *d, const sweep_view *sv, frame *fr, int rows) {
    char when[32], counts[256], rate[16], eta[16];
    struct tm tm;
    localtime_r(&sv->when, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    counts_text(sv, counts, sizeof counts);
    format_rate(rate, sizeof rate, sv->rate);
    format_duration(eta, sizeof eta, isfinite(sv->eta) ? sv->eta : -1);
    frame_add(fr, "sweep %s  %s  %zu runs in %s/", d->name, when, sv->shown, d->dir);
    frame_add(fr, "%s | %s tok/s | %.1f%% of tokens | left ~%s of one job", counts, rate,
              sv->target ? 100.0 * (double)sv->tokens / (double)sv->target : 0.0,
              sv->left_flops > 0 ? eta : "0m00s");
    static const char *head[NCOLS] = {"step", "tok/s", "phase", "loss~", "ETA", "done"};
    static const int cw[NCOLS] = {8, 7, 5, 8, 7, 6};
    int show[NCOLS], namew = 4, idxw = 1;
    for (size_t i = 0; i < d->n; i++)
        if (sv->v[i].selected && (int)strlen(d->runs[i].cfg.name) > namew)
            namew = (int)strlen(d->runs[i].cfg.name);
    for (size_t n = d->n; n >= 10; n /= 10) idxw++;
    /* index, name, state, then the columns; drop columns until a name of 12 fits */
    int fixed = idxw + 1 + 1 + 8;
    for (int c = 0; c < NCOLS; c++) show[c] = 1, fixed += cw[c] + 1;
    for (int c = 0; c < NCOLS && fr->width - 1 - fixed < 12; c++) show[c] = 0, fixed -= cw[c] + 1;
    int room = fr->width - 1 - fixed;
    if (namew > room) namew = room < 4 ? 4 : room;
    char line[1024];
    int o = snprintf(line, sizeof line, "%*s %-*s %-8s", idxw, "#", namew, "name", "state");
    static const int order[NCOLS] = {COL_PHASE, COL_DONE, COL_STEP, COL_LOSS, COL_RATE, COL_ETA};
    for (int k = 0; k < NCOLS; k++)
        if (show[order[k]])
            o += snprintf(line + o, sizeof line - (size_t)o, " %*s", cw[order[k]], head[order[k]]);
    frame_add(fr, "%s", line);
    /* Which runs fit: running ones first, then the rest in order. */
    /* 3 lines above the runs; a frame of n lines leaves the cursor on line n + 1, which
     * must not scroll the terminal: at most rows - 4 runs, else rows - 5 and a note */
    size_t cap = sv->shown, listed = 0, left = 0;
    if (rows > 0 && sv->shown + 4 > (size_t)rows) cap = rows > 5 ? (size_t)rows - 5 : 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < d->n; i++) {
            const run_view *v = &sv->v[i];
            if (!v->selected || (pass == 0) != (v->st.state == RS_RUNNING || v->phase)) continue;
            if (listed >= cap) {
                left++;
                continue;
            }
            listed++;
            const char *name = d->runs[i].cfg.name;
            char nm[256], cell[NCOLS][32];
            int len = (int)strlen(name), keep = (namew - 1) / 2;
            if (len > namew) /* the ends tell runs apart (shape first, seed last) */
                snprintf(nm, sizeof nm, "%.*s~%s", keep, name, name + len - (namew - 1 - keep));
            else
                snprintf(nm, sizeof nm, "%s", name);
            snprintf(cell[COL_PHASE], sizeof cell[0], "%s", v->phase ? v->phase : "-");
            snprintf(cell[COL_DONE], sizeof cell[0], "%.1f%%", 100 * v->frac);
            snprintf(cell[COL_STEP], sizeof cell[0], "%lld", (long long)v->st.step);
            format_loss(cell[COL_LOSS], sizeof cell[0], v->st.smooth_loss);
            format_rate(cell[COL_RATE], sizeof cell[0],
                        v->st.state == RS_RUNNING || v->st.state == RS_PENDING ? v->rate : NAN);
            if (v->st.state == RS_RUNNING || v->st.state == RS_PENDING)
                format_duration(cell[COL_ETA], sizeof cell[0], isnan(v->eta) ? -1 : v->eta);
            else
                snprintf(cell[COL_ETA], sizeof cell[0], "-");
            o = snprintf(line, sizeof line, "%*zu %-*s %-8s", idxw, i, namew, nm,
                         run_state_name(v->st.state));
            for (int k = 0; k < NCOLS; k++)
                if (show[order[k]])
                    o += snprintf(line + o, sizeof line - (size_t)o, " %*s", cw[order[k]],
                                  cell[order[k]]);
            if (v->st.interrupted)
                snprintf(line + o, sizeof line - (size_t)o, "  (interrupted)");
            else if (v->st.state == RS_FAILED || v->st.state == RS_CONFLICT ||
                     v->st.state == RS_WAITING)
                snprintf(line + o, sizeof line - (size_t)o, "  %.200s", v->st.reason);
            frame_add(fr, "%s", line);
        }
    if (left) frame_add(fr, "... %zu more runs (a taller terminal shows them)", left);
}

/* One timestamped line per run that changed (stdout not a terminal). */
typedef struct seen_state {
    run_state state;
    const char *phase;
    int64_t step, tokens;
    int interrupted, nptq, valid;
} seen_state;

static int change_lines(const sweep_def *d, const sweep_view *sv, seen_state *seen) {
    char when[32];
    iso_time(sv->when, when, sizeof when);
    int printed = 0;
    for (size_t i = 0; i < d->n; i++) {
        const run_view *v = &sv->v[i];
        seen_state now = {v->st.state,       v->phase,   v->st.step, v->st.tokens,
                          v->st.interrupted, v->st.nptq, 1};
        seen_state *was = &seen[i];
        int same = was->valid && was->state == now.state && was->phase == now.phase &&
                   was->step == now.step && was->tokens == now.tokens &&
                   was->interrupted == now.interrupted && was->nptq == now.nptq;
        int first = !was->valid;
        *was = now;
        if (!v->selected || same || first) continue;
        char loss[16], rate[16], eta[16];
        format_loss(loss, sizeof loss, v->st.smooth_loss);
        format_rate(rate, sizeof rate, v->rate);
        format_duration(eta, sizeof eta, isnan(v->eta) ? -1 : v->eta);
        printf("%s %s %s%s%s step %lld tokens %lld/%lld (%.1f%%) loss~ %s", when,
               d->runs[i].cfg.name, run_state_name(v->st.state), v->phase ? " " : "",
               v->phase ? v->phase : "", (long long)v->st.step, (long long)v->st.tokens,
               (long long)target_tokens(&d->runs[i]), 100 * v->frac, loss);
        if (v->st.state == RS_RUNNING || v->st.state == RS_PENDING)
            printf(" tok/s %s ETA %s", rate, eta);
        if (!isnan(v->st.val_loss)) printf(" val %.4f", v->st.val_loss);
        if (v->st.interrupted) printf(" (interrupted; resumes)");
        if (v->st.state == RS_FAILED || v->st.state == RS_CONFLICT || v->st.state == RS_DIVERGED)
            if (v->st.reason[0]) printf(": %.200s", v->st.reason);
        printf("\n");
        printed++;
    }
    fflush(stdout);
    return printed;
}

/* Sleeps s seconds or until a signal. */
static void nap(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (!stop_signal && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int watch(const sweep_def *d, const char *only, sweep_view *sv, double every) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the sleep ends at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int tty = isatty(STDOUT_FILENO);
    seen_state *seen = calloc(d->n ? d->n : 1, sizeof *seen);
    if (!seen) {
        fprintf(stderr, "sweep status: out of memory\n");
        return 1;
    }
    size_t drawn = 0; /* lines of the previous frame on the terminal */
    int last_width = 0, last_rows = 0;
    int changes = 0, rc = 0;
    for (int round = 0;; round++) {
        observe(d, only, sv);
        if (stop_signal) break;
        if (tty) {
            int rows;
            frame fr = {.width = terminal_size(&rows)};
            build_frame(d, sv, &fr, rows);
            if (drawn && (fr.width != last_width || rows != last_rows))
                printf("\033[H\033[2J"); /* resized: the old frame may have wrapped */
            else if (drawn)
                printf("\033[%zuF", drawn); /* to the first line of the last frame */
            last_width = fr.width, last_rows = rows;
            for (size_t i = 0; i < fr.n; i++) printf("%s\033[K\n", fr.line[i]);
            printf("\033[J");
            fflush(stdout);
            drawn = fr.n;
            frame_free(&fr);
        } else if (round == 0) {
            print_table(d, sv);
            fflush(stdout);
            change_lines(d, sv, seen); /* records the first observation */
        } else {
            changes += change_lines(d, sv, seen);
        }
        if (finished(sv)) {
            if (!tty && changes) {
                printf("\n");
                print_table(d, sv);
            }
            break;
        }
        nap(every);
        if (stop_signal) break;
    }
    if (stop_signal) rc = 130;
    fflush(stdout);
    free(seen);
    return rc;
}

/* ---- options ------------------------------------------------------------------------ */

/* --opt VALUE or --opt=VALUE: 1 and *val set when a is that option, -1 (message printed)
 * when the value is missing, 0 when a is another argument. */
static int option_value(const char *opt, int argc, char **argv, int *i, const char **val) {
    const char *a = argv[*i];
    size_t n = strlen(opt);
    if (strncmp(a, opt, n)) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
    } else if (a[n] == 0 && *i + 1 < argc) {
        *val = argv[++*i];
    } else if (a[n] == 0) {
        fprintf(stderr, "sweep status: %s needs a value\n", opt);
        return -1;
    } else {
        return 0;
    }
    if (!**val) {
        fprintf(stderr, "sweep status: %s needs a value\n", opt);
        return -1;
    }
    return 1;
}

int cmd_status(int argc, char **argv) {
    const char *target = NULL, *results = NULL, *only = NULL;
    int json = 0;
    double every = 0; /* --watch: seconds between looks; 0: no watch */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int got;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if ((got = option_value("--results", argc, argv, &i, &results)) ||
                   (got = option_value("--only", argc, argv, &i, &only))) {
            if (got < 0) return 2;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--watch")) {
            every = 2;
        } else if (!strncmp(a, "--watch=", 8)) {
            char *end;
            errno = 0;
            every = strtod(a + 8, &end);
            if (end == a + 8 || *end || errno || !(every >= WATCH_MIN_S && every <= WATCH_MAX_S)) {
                fprintf(stderr,
                        "sweep status: %s: --watch=SECONDS takes a number of seconds from %g to "
                        "%g\n",
                        a, WATCH_MIN_S, WATCH_MAX_S);
                return 2;
            }
        } else if (a[0] == '-' || target) {
            fprintf(stderr, "sweep status: unexpected argument '%s'%s\n", a,
                    i > 1 && !strcmp(argv[i - 1], "--watch") && a[0] != '-'
                        ? " (the seconds of --watch follow an '=': --watch=SECONDS)"
                        : "");
            usage(stderr);
            return 2;
        } else {
            target = a;
        }
    }
    if (!target) {
        fprintf(stderr, "sweep status: no sweep given (a results directory or a config)\n");
        usage(stderr);
        return 2;
    }
    if (json && every > 0) {
        fprintf(stderr, "sweep status: --json and --watch cannot be combined (run --json in a "
                        "loop for a series of documents)\n");
        return 2;
    }
    sweep_def d;
    int rc = load_sweep(target, results, &d);
    if (rc) return rc;
    sweep_view sv = {.v = calloc(d.n ? d.n : 1, sizeof *sv.v)};
    if (!sv.v) {
        fprintf(stderr, "sweep status: out of memory\n");
        sweep_free(&d);
        return 1;
    }
    if (every > 0) {
        rc = watch(&d, only, &sv, every);
    } else {
        observe(&d, only, &sv);
        if (json)
            rc = print_json(&d, &sv) ? 1 : !finished(&sv);
        else
            print_table(&d, &sv), rc = !finished(&sv);
    }
    free(sv.v);
    sweep_free(&d);
    return rc;
}
