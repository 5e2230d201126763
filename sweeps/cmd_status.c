/* sweep status DIR|CONFIG: the state of every run of a sweep, read from disk. */
#include "commands.h"
#include "progress.h"
#include "runstate.h"
#include "sweepdef.h"

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f, "usage: sweep status DIR|CONFIG [--results DIR] [--only PATTERN]\n\n"
               "Counts the runs of a sweep by state (pending, running, done, diverged, failed,\n"
               "conflict) and lists them with their last training loss, tokens done and ETA.\n"
               "DIR is a sweep's results directory (it holds sweep.lua, saved by sweep run).\n"
               "Exit status: 0 when every run is done or diverged, 1 otherwise.\n");
}

int cmd_status(int argc, char **argv) {
    const char *target = NULL, *results = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--results") && i + 1 < argc) {
            results = argv[++i];
        } else if (!strcmp(a, "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (a[0] == '-' || target) {
            fprintf(stderr, "sweep status: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        } else {
            target = a;
        }
    }
    if (!target) {
        usage(stderr);
        return 2;
    }
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
    sweep_def d;
    if (sweep_load_file(config, &o, &d, err, sizeof err)) {
        fprintf(stderr, "sweep status: %s\n", err);
        return 2;
    }
    /* A sweep's data dirs are relative to where `sweep run` was started, and a run's
     * identity depends on the data's vocabulary: from elsewhere every run looked like a
     * conflict. Try the sweep directory's ancestors (the default layout is
     * <cwd>/results/<sweep>) for one from which the data is found. The paths become
     * absolute, since the loads below run from other directories. */
    if (is_dir && d.data_missing && realpath(target, absdir)) {
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
                    sweep_free(&d);
                    d = d2;
                    break;
                }
                sweep_free(&d2);
            }
        }
        if (here >= 0) {
            if (fchdir(here) != 0) perror("sweep status: back to the working directory");
            close(here);
        }
        if (d.data_missing)
            fprintf(stderr,
                    "sweep status: note: the sweep's data is not found from here or above %s; "
                    "run identities depend on it, so runs may show as conflicts (run from the "
                    "directory sweep run was started in)\n",
                    absdir);
    }
    run_status *st = calloc(d.n, sizeof *st);
    size_t count[RS_COUNT] = {0}, shown = 0;
    double done_flops = 0, done_wall = 0, left_flops = 0;
    for (size_t i = 0; st && i < d.n; i++) {
        if (!sweep_name_matches(only, d.runs[i].cfg.name)) continue;
        runstate_read(&d.runs[i], &st[i]);
        count[st[i].state]++;
        shown++;
        double frac =
            d.runs[i].cfg.tokens ? (double)st[i].tokens / (double)d.runs[i].cfg.tokens : 0;
        if (frac > 1) frac = 1;
        if (st[i].state == RS_DONE || st[i].state == RS_DIVERGED) continue;
        done_flops += frac * d.runs[i].flops;
        done_wall += st[i].wall;
        left_flops += (1 - frac) * d.runs[i].flops;
    }
    for (size_t i = 0; st && i < d.n; i++)
        if (st[i].state == RS_DONE) done_flops += d.runs[i].flops, done_wall += st[i].wall;
    printf("sweep %s: %zu runs in %s/\n", d.name, shown, d.dir);
    for (int s = 0; s < RS_COUNT; s++)
        if (count[s]) printf("  %-9s %zu\n", run_state_name((run_state)s), count[s]);
    int w = 20;
    for (size_t i = 0; i < d.n; i++)
        if ((int)strlen(d.runs[i].cfg.name) > w) w = (int)strlen(d.runs[i].cfg.name);
    printf("\n%4s  %-*s %-9s %7s %9s %8s %8s %9s\n", "#", w, "name", "state", "done", "tokens",
           "loss", "val", "ETA");
    double sec_per_flop = done_flops > 0 ? done_wall / done_flops : NAN;
    for (size_t i = 0; st && i < d.n; i++) {
        sweep_run *r = &d.runs[i];
        if (!sweep_name_matches(only, r->cfg.name)) continue;
        double frac = r->cfg.tokens ? (double)st[i].tokens / (double)r->cfg.tokens : 0;
        char eta[16] = "", loss[16] = "-", val[16] = "-";
        if (st[i].state == RS_RUNNING || st[i].state == RS_PENDING) {
            double left = (1 - (frac > 1 ? 1 : frac)) * r->flops;
            double rate = st[i].tokens > 0 && st[i].wall > 0
                              ? st[i].wall / (frac * r->flops) /* this run's own pace */
                              : sec_per_flop;
            format_duration(eta, sizeof eta, isnan(rate) ? -1 : left * rate);
        }
        if (!isnan(st[i].loss)) snprintf(loss, sizeof loss, "%.4f", st[i].loss);
        if (!isnan(st[i].val_loss)) snprintf(val, sizeof val, "%.4f", st[i].val_loss);
        printf("%4zu  %-*s %-9s %6.1f%% %9lld %8s %8s %9s", i, w, r->cfg.name,
               run_state_name(st[i].state), 100 * frac, (long long)st[i].tokens, loss, val, eta);
        if (st[i].interrupted) printf("  (interrupted; resumes)");
        if (st[i].state == RS_FAILED || st[i].state == RS_CONFLICT)
            printf("  %.120s", st[i].reason);
        printf("\n");
    }
    if (!isnan(sec_per_flop) && left_flops > 0) {
        char eta[16];
        format_duration(eta, sizeof eta, left_flops * sec_per_flop);
        printf("\nwork left: %.3e FLOPs, about %s of one job at the pace so far\n", left_flops,
               eta);
    }
    int finished = count[RS_DONE] + count[RS_DIVERGED] == shown;
    free(st);
    sweep_free(&d);
    return finished ? 0 : 1;
}
