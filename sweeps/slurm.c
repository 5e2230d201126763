#include "slurm.h"

#include "runstate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void slurm_array_spec(const size_t *idx, size_t n, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && idx[j + 1] == idx[j] + 1) j++;
        int w = j > i ? snprintf(buf + at, len - at, "%s%zu-%zu", at ? "," : "", idx[i], idx[j])
                      : snprintf(buf + at, len - at, "%s%zu", at ? "," : "", idx[i]);
        if (w < 0 || (size_t)w >= len - at) break;
        at += (size_t)w;
        i = j + 1;
    }
}

/* Writes s single-quoted so that both readers of the script take it as one word, as it
 * is: sh (the commands) and sbatch (the #SBATCH lines, where quotes group, a backslash
 * escapes the next character even inside quotes, and an unquoted '#' ends the line).
 * A quote becomes '\'' and a backslash '\\' (close, escaped character, reopen), which
 * both read the same way. Newlines are refused before anything is written. With
 * percent set, '%' is doubled: sbatch reads --output as a pattern where %% is a '%'. */
static void put_quoted_as(FILE *f, const char *s, int percent) {
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else if (*s == '\\')
            fputs("'\\\\'", f);
        else if (*s == '%' && percent)
            fputs("%%", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

static void put_quoted(FILE *f, const char *s) {
    put_quoted_as(f, s, 0);
}

/* A value for an #SBATCH line must stay on its line: no control characters. */
static int check_line_value(const char *what, const char *s, char *err, size_t errlen) {
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) {
            char quoted[400];
            sweep_quote_name(s, strlen(s), quoted, sizeof quoted);
            snprintf(err, errlen,
                     "%s %s holds the control character 0x%02x: it cannot be written into an "
                     "#SBATCH line",
                     what, quoted, (unsigned char)*p);
            return -1;
        }
    return 0;
}

static int run_sbatch(const char *script, char *jobid, size_t len, char *err, size_t errlen) {
    int p[2];
    if (pipe(p)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]), close(p[1]);
        execlp("sbatch", "sbatch", "--parsable", script, (char *)NULL);
        fprintf(stderr, "cannot run sbatch: %s\n", strerror(errno));
        _exit(127);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < len && (r = read(p[0], jobid + got, len - 1 - got)) > 0) got += (size_t)r;
    jobid[got] = 0;
    jobid[strcspn(jobid, ";\n")] = 0;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !jobid[0]) {
        snprintf(err, errlen, "sbatch %s failed (exit %d)%s", script,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": is Slurm installed?" : "");
        return -1;
    }
    return 0;
}

/* Writes one array job's script: the runs idx[0..n) (spec: their array ranges), after the
 * job `after` when it is set (--dependency=afterok:JOB_TASK, for cooldown branches). */
static int write_script(const sweep_def *d, const char *script, const char *cwd, const char *self,
                        const char *copy, const char *dir, const char *sdir, const char *spec,
                        const size_t *idx, size_t n, const slurm_opts *o, const char *after,
                        char *err, size_t errlen) {
    char tmp[PATH_MAX + 96];
    snprintf(tmp, sizeof tmp, "%s.tmp", script);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    /* Every name, path and option below is quoted (put_quoted); numbers are not. */
    fprintf(
        f, "#!/bin/sh\n# Written by `sweep run --slurm` for sweep %s: one task per run not done.\n",
        d->name);
    char job[sizeof d->name + 8];
    snprintf(job, sizeof job, "sweep-%s", d->name);
    fprintf(f, "#SBATCH --job-name=");
    put_quoted(f, job);
    fprintf(f, "\n#SBATCH --array=%s", spec);
    if (o->array_limit > 0) fprintf(f, "%%%d", o->array_limit);
    fprintf(f, "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%d\n", o->threads);
    if (after) {
        /* cooldown branches: after their parent's task ended well (exit 0: done, diverged
         * or finished before); cancelled when it cannot (it failed or was stopped) */
        fprintf(f, "#SBATCH --dependency=afterok:%s\n#SBATCH --kill-on-invalid-dep=yes\n", after);
    }
    /* Runs on cuda get one GPU per task (a run never spans GPUs); Slurm then sets
     * CUDA_VISIBLE_DEVICES. One script serves the whole array, so a sweep that mixes
     * devices asks a GPU for its CPU runs too: say so. */
    size_t on_gpu = 0;
    for (size_t i = 0; i < n; i++) on_gpu += !strcmp(d->runs[idx[i]].cfg.device, "cuda");
    if (on_gpu) {
        fprintf(f, "#SBATCH --gres=gpu:1\n");
        if (on_gpu < n)
            fprintf(stderr,
                    "sweep run --slurm: %zu of %zu runs are on cuda; every task asks for a GPU "
                    "(submit the others with --only to spare them)\n",
                    on_gpu, n);
    }
    fprintf(f, "#SBATCH --output=");
    put_quoted_as(f, sdir, 1);
    fprintf(f, "/%%A_%%a.out");
    if (o->partition) {
        fprintf(f, "\n#SBATCH --partition=");
        put_quoted(f, o->partition);
    }
    if (o->time) {
        fprintf(f, "\n#SBATCH --time=");
        put_quoted(f, o->time);
    }
    for (int i = 0; i < o->nsbatch_args; i++) {
        fprintf(f, "\n#SBATCH "); /* one argument: --sbatch-arg --mem=4G, not "--mem 4G" */
        put_quoted(f, o->sbatch_args[i]);
    }
    fputc('\n', f);
    fprintf(f, "# Slurm sends SIGTERM at the time limit or on preemption: the run checkpoints.\n");
    fprintf(f, "cd ");
    put_quoted(f, cwd);
    fprintf(f, " || exit 1\nexec ");
    put_quoted(f, self);
    fprintf(f, " exec ");
    put_quoted(f, copy);
    fprintf(f, " --dir ");
    put_quoted(f, dir);
    fprintf(f, " --index \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-%d}\"\n",
            o->threads);
    int bad = ferror(f);
    if (fclose(f) || bad || rename(tmp, script)) {
        snprintf(err, errlen, "cannot write %s", script);
        return -1;
    }
    return 0;
}

/* Writes and submits the array job of runs idx[0..n); its id goes to jobid. */
static int submit_array(const sweep_def *d, const char *script, const char *cwd, const char *self,
                        const char *copy, const char *dir, const char *sdir, const size_t *idx,
                        size_t n, const slurm_opts *o, const char *after, char *jobid, size_t jlen,
                        char *err, size_t errlen) {
    size_t speclen = n * 24 + 32;
    char *spec = malloc(speclen);
    if (!spec) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    slurm_array_spec(idx, n, spec, speclen);
    if (write_script(d, script, cwd, self, copy, dir, sdir, spec, idx, n, o, after, err, errlen) ||
        run_sbatch(script, jobid, jlen, err, errlen)) {
        free(spec);
        return -1;
    }
    char limit[32] = "";
    if (o->array_limit > 0) snprintf(limit, sizeof limit, "%%%d", o->array_limit);
    printf("submitted Slurm job %s: %zu tasks (array %s%s)", jobid, n, spec, limit);
    if (after) printf(", after task %s (their parent)", after);
    printf(", script %s\n", script);
    free(spec);
    return 0;
}

int slurm_submit(const sweep_def *d, const char *config_copy, const char *self, const size_t *idx,
                 size_t n, const slurm_opts *o, char *err, size_t errlen) {
    if (n == 0) {
        fprintf(stderr, "nothing to submit: every run is done\n");
        return 0;
    }
    /* The loader checked the name already; the script depends on it, so again here. */
    char why[512];
    if (sweep_check_name(d->name, strlen(d->name), why, sizeof why)) {
        char quoted[400];
        sweep_quote_name(d->name, strlen(d->name), quoted, sizeof quoted);
        snprintf(err, errlen, "sweep name %s: %s", quoted, why);
        return -1;
    }
    char dir[PATH_MAX], copy[PATH_MAX], cwd[PATH_MAX], sdir[PATH_MAX + 16], script[PATH_MAX + 64];
    if (!realpath(d->dir, dir) || !realpath(config_copy, copy) || !getcwd(cwd, sizeof cwd)) {
        snprintf(err, errlen, "cannot resolve %s: %s", d->dir, strerror(errno));
        return -1;
    }
    snprintf(sdir, sizeof sdir, "%s/slurm", dir);
    /* In --output sbatch reads a backslash as "no % patterns" (then %A_%a stays as is). */
    if (strchr(sdir, '\\')) {
        snprintf(err, errlen,
                 "the results directory %s holds a backslash, which sbatch reads in --output "
                 "as 'no patterns': choose another --results",
                 sdir);
        return -1;
    }
    if (check_line_value("the results directory", sdir, err, errlen) ||
        (o->partition && check_line_value("--partition", o->partition, err, errlen)) ||
        (o->time && check_line_value("--time", o->time, err, errlen)))
        return -1;
    for (int i = 0; i < o->nsbatch_args; i++)
        if (check_line_value("--sbatch-arg", o->sbatch_args[i], err, errlen)) return -1;
    if (make_dirs(sdir, err, errlen)) return -1;
    /* Cooldown branches whose parent is submitted too wait for the parent's task: the runs
     * without such a parent form the first array, then each parent's branches an array
     * of their own depending on its task (afterok:JOB_TASK), parents before branches. */
    char(*job_of)[64] = calloc(d->n, sizeof *job_of);
    unsigned char *in = calloc(d->n + 1, 1), *sent = calloc(d->n + 1, 1);
    size_t *group = malloc((n + 1) * sizeof *group);
    int rc = -1;
    if (!job_of || !in || !sent || !group) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) in[idx[i]] = 1;
    size_t ng = 0, nsent = 0, arrays = 0;
    for (size_t i = 0; i < n; i++) {
        long p = d->runs[idx[i]].parent;
        if (p < 0 || !in[p]) group[ng++] = idx[i];
    }
    snprintf(script, sizeof script, "%s/sweep.sbatch", sdir);
    char jobid[64];
    if (submit_array(d, script, cwd, self, copy, dir, sdir, group, ng, o, NULL, jobid, sizeof jobid,
                     err, errlen))
        goto out;
    arrays++;
    for (size_t i = 0; i < ng; i++) snprintf(job_of[group[i]], sizeof *job_of, "%s", jobid);
    for (size_t i = 0; i < ng; i++) sent[group[i]] = 1;
    nsent = ng;
    while (nsent < n) {
        size_t before = nsent;
        for (size_t k = 0; k < n; k++) {
            size_t p = idx[k];
            if (!sent[p]) continue;
            ng = 0;
            for (size_t i = 0; i < n; i++)
                if (!sent[idx[i]] && d->runs[idx[i]].parent == (long)p) group[ng++] = idx[i];
            if (!ng) continue;
            char after[96];
            snprintf(after, sizeof after, "%s_%zu", job_of[p], p);
            snprintf(script, sizeof script, "%s/branches-%zu.sbatch", sdir, p);
            if (submit_array(d, script, cwd, self, copy, dir, sdir, group, ng, o, after, jobid,
                             sizeof jobid, err, errlen))
                goto out;
            arrays++;
            for (size_t i = 0; i < ng; i++) {
                snprintf(job_of[group[i]], sizeof *job_of, "%s", jobid);
                sent[group[i]] = 1;
            }
            nsent += ng;
        }
        if (nsent == before) { /* the loader refuses cycles; never here */
            snprintf(err, errlen, "cooldown branches whose parents form a cycle");
            goto out;
        }
    }
    if (arrays > 1)
        printf("%zu array jobs: branches start when their parent's task has ended well\n", arrays);
    printf("follow it with: sweep status %s\n", d->dir);
    rc = 0;
out:
    free(job_of);
    free(in);
    free(sent);
    free(group);
    return rc;
}
