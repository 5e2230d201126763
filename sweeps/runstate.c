#include "runstate.h"

#include "fsutil.h"
#include "runlog.h"
#include "tokfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *run_state_name(run_state s) {
    static const char *names[RS_COUNT] = {"pending", "running",  "done",   "diverged",
                                          "failed",  "conflict", "waiting"};
    return s < RS_COUNT ? names[s] : "?";
}

void runstate_path(const sweep_run *r, const char *suffix, char *buf, size_t len) {
    /* out is <dir>/<name>.h5 */
    size_t n = strlen(r->cfg.out);
    if (n > 3 && !strcmp(r->cfg.out + n - 3, ".h5")) n -= 3;
    snprintf(buf, len, "%.*s.%s", (int)n, r->cfg.out, suffix);
}

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

static const char *str_attr(const attr_set *a, const char *name) {
    const attr *x = attr_get(a, name);
    return x && x->type == ATTR_STR ? x->s : NULL;
}

static double real_attr(const attr_set *a, const char *name) {
    const attr *x = attr_get(a, name);
    if (!x) return NAN;
    return x->type == ATTR_REAL ? x->r : x->type == ATTR_INT ? (double)x->i : NAN;
}

/* What runstate_read takes from a run file. */
typedef struct {
    char run_id[24], status[16], reason[256];
    int has_final, has_train;
    int64_t step, tokens;
    double loss, wall, val_loss;
    size_t train_rows;
    double smooth_loss, tok_per_s, eval_loss;
    int64_t eval_step;
    int nptq;
    run_ptq ptq[RUNSTATE_PTQ_MAX];
    char config[8192]; /* the identity JSON the file stores (root attribute config) */
} file_summary;

/* The next "key":value member of a flat JSON object (the canonical identity JSON:
 * values are numbers or strings) from *p: key and value as spans; 0 at the end. */
static int next_member(const char **p, const char **key, size_t *klen, const char **val,
                       size_t *vlen) {
    const char *s = *p;
    while (*s == '{' || *s == ',' || *s == ' ') s++;
    if (*s != '"') return 0;
    *key = ++s;
    while (*s && *s != '"') s += *s == '\\' && s[1] ? 2 : 1;
    *klen = (size_t)(s - *key);
    if (*s) s++;
    if (*s == ':') s++;
    *val = s;
    int in_str = 0;
    for (; *s && (in_str || (*s != ',' && *s != '}')); s++) {
        if (in_str && *s == '\\' && s[1])
            s++;
        else if (*s == '"')
            in_str = !in_str;
    }
    *vlen = (size_t)(s - *val);
    *p = s;
    return 1;
}

/* "lr 0.01 in the file, 0.009 in the config; seed ..." for every identity knob whose
 * value differs between the two JSON objects (both sorted by key), cut to fit len. */
static void describe_difference(const char *file, const char *now, char *out, size_t len) {
    const char *a = file, *b = now, *ka = NULL, *va = NULL, *kb = NULL, *vb = NULL;
    size_t kal = 0, val = 0, kbl = 0, vbl = 0, used = 0;
    int ha = next_member(&a, &ka, &kal, &va, &val), hb = next_member(&b, &kb, &kbl, &vb, &vbl);
    int listed = 0, more = 0;
    out[0] = 0;
    while (ha || hb) {
        int c = !ha ? 1 : !hb ? -1 : 0;
        if (ha && hb) {
            size_t m = kal < kbl ? kal : kbl;
            c = strncmp(ka, kb, m);
            if (!c) c = kal < kbl ? -1 : kal > kbl;
        }
        char item[200] = "";
        if (c < 0)
            snprintf(item, sizeof item, "%.*s %.*s in the file, absent (its default) in the config",
                     (int)kal, ka, (int)val, va);
        else if (c > 0)
            snprintf(item, sizeof item, "%.*s absent in the file, %.*s in the config", (int)kbl, kb,
                     (int)vbl, vb);
        else if (val != vbl || strncmp(va, vb, val))
            snprintf(item, sizeof item, "%.*s %.*s in the file, %.*s in the config", (int)kal, ka,
                     (int)val, va, (int)vbl, vb);
        if (item[0]) {
            size_t n = strlen(item) + (listed ? 2 : 0);
            if (used + n + 1 < len && !more) {
                used += (size_t)snprintf(out + used, len - used, "%s%s", listed ? "; " : "", item);
                listed++;
            } else {
                more++;
            }
        }
        if (c <= 0) ha = next_member(&a, &ka, &kal, &va, &val);
        if (c >= 0) hb = next_member(&b, &kb, &kbl, &vb, &vbl);
    }
    if (more && used + 24 < len) snprintf(out + used, len - used, "; %d more", more);
}

/* The /ptq tables: name, rows, the bit widths of the rows at the last step. */
static void summarize_ptq(const runlog *rl, file_summary *fs) {
    for (size_t k = 0; k < rl->ntables; k++) {
        const table *t = rl->tables[k];
        if (strncmp(t->path, "/ptq/", 5)) continue;
        if (fs->nptq < RUNSTATE_PTQ_MAX && t->ncols >= 2) {
            run_ptq *p = &fs->ptq[fs->nptq];
            snprintf(p->table, sizeof p->table, "%.47s", t->path + 5);
            p->rows = t->rows > INT_MAX ? INT_MAX : (int)t->rows;
            if (t->rows) p->step = (int64_t)table_get(t, 0, t->rows - 1);
            for (size_t i = 0; i < t->rows; i++) {
                if ((int64_t)table_get(t, 0, i) != p->step) continue;
                double b = table_get(t, 1, i);
                int seen = 0;
                for (int j = 0; j < p->nbits; j++) seen |= p->bits[j] == b;
                if (!seen && p->nbits < (int)(sizeof p->bits / sizeof p->bits[0]))
                    p->bits[p->nbits++] = b;
            }
        }
        fs->nptq++;
    }
}

static int summarize(const char *path, file_summary *fs, char *err, size_t errlen) {
    memset(fs, 0, sizeof *fs);
    fs->val_loss = fs->smooth_loss = fs->tok_per_s = fs->eval_loss = NAN;
    runlog rl;
    if (runlog_load(&rl, path, err, errlen)) return -1;
    const char *id = str_attr(&rl.root, "run_id");
    const char *stored = str_attr(&rl.root, "config");
    if (stored) snprintf(fs->config, sizeof fs->config, "%s", stored);
    snprintf(fs->run_id, sizeof fs->run_id, "%s", id ? id : "");
    /* runlog_load checked the layout: /train starts with step, tokens, loss, lr,
     * grad_norm, wall */
    const table *t = runlog_find_table(&rl, "/train");
    if (t && t->rows && t->ncols >= 6) {
        fs->has_train = 1;
        fs->step = (int64_t)table_get(t, 0, t->rows - 1);
        fs->tokens = (int64_t)table_get(t, 1, t->rows - 1);
        fs->loss = table_get(t, 2, t->rows - 1);
        fs->wall = table_get(t, 5, t->rows - 1);
        fs->train_rows = t->rows;
        double m = 0, bn = 1;
        for (size_t i = 0; i < t->rows; i++) {
            m = RUNSTATE_EMA_BETA * m + (1 - RUNSTATE_EMA_BETA) * table_get(t, 2, i);
            bn *= RUNSTATE_EMA_BETA;
        }
        fs->smooth_loss = isfinite(m) ? m / (1 - bn) : NAN;
        size_t last = t->rows - 1,
               first = last > RUNSTATE_RATE_ROWS ? last - RUNSTATE_RATE_ROWS : 0;
        double dt = table_get(t, 5, last) - table_get(t, 5, first);
        double dn = table_get(t, 1, last) - table_get(t, 1, first);
        if (first == last) dt = fs->wall, dn = (double)fs->tokens;
        if (dt > 0 && dn >= 0 && isfinite(dt)) fs->tok_per_s = dn / dt;
    }
    const table *e = runlog_find_table(&rl, "/eval");
    if (e && e->rows && e->ncols >= 3) {
        fs->eval_step = (int64_t)table_get(e, 0, e->rows - 1);
        fs->eval_loss = table_get(e, 2, e->rows - 1);
    }
    summarize_ptq(&rl, fs);
    fs->has_final = rl.has_final;
    if (rl.has_final) {
        const char *status = str_attr(&rl.final, "status"), *why = str_attr(&rl.final, "reason");
        snprintf(fs->status, sizeof fs->status, "%s", status ? status : "");
        snprintf(fs->reason, sizeof fs->reason, "%s", why ? why : "");
        fs->val_loss = real_attr(&rl.final, "val_loss");
    }
    runlog_free(&rl);
    return 0;
}

/* summarize() in a child process. The readers check everything they read, but libhdf5
 * itself can crash or loop on some damaged files (a garbled global heap under a string
 * attribute: tests/engine/test_reader_mutants.c counts them); one such file must not
 * take sweep status/plan/run down with it. It is reported as a conflict, by name. */
static int summarize_isolated(const char *path, file_summary *fs, char *err, size_t errlen) {
    struct {
        int rc;
        file_summary fs;
        char err[512];
    } msg;
    int fds[2];
    fflush(stdout), fflush(stderr);
    if (pipe(fds) != 0) return summarize(path, fs, err, errlen);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]), close(fds[1]);
        return summarize(path, fs, err, errlen);
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(60); /* a loop inside the library */
        memset(&msg, 0, sizeof msg);
        msg.rc = summarize(path, &msg.fs, msg.err, sizeof msg.err);
        ssize_t w = write(fds[1], &msg, sizeof msg);
        _exit(w == (ssize_t)sizeof msg ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < sizeof msg) {
        ssize_t n = read(fds[0], (char *)&msg + got, sizeof msg - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (got == sizeof msg && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        *fs = msg.fs;
        if (msg.rc) snprintf(err, errlen, "%s", msg.err);
        return msg.rc;
    }
    /* A signal, or a sanitizer's report (a nonzero exit) in an instrumented build. */
    char how[48];
    if (WIFSIGNALED(ws))
        snprintf(how, sizeof how, "signal %d%s", WTERMSIG(ws),
                 WTERMSIG(ws) == SIGALRM ? ", no answer in 60 s" : "");
    else
        snprintf(how, sizeof how, "exit status %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    /* (the length is tested so that a long path is cut, not warned about) */
    if (snprintf(err, errlen,
                 "%s: reading it crashed the HDF5 library (%s): the file is damaged; move it "
                 "away (sweep run --force moves it aside and trains the run again)",
                 path, how) >= (int)errlen)
        err[errlen - 1] = 0;
    return -1;
}

void runstate_read(const sweep_run *r, run_status *st) {
    memset(st, 0, sizeof *st);
    st->loss = st->val_loss = st->smooth_loss = st->tok_per_s = st->eval_loss = NAN;
    st->state = RS_PENDING;
    char path[700], line[512];

    /* Whoever trains the run holds its lock; a shared probe fails while they do. */
    int held = 0;
    runstate_path(r, "lock", path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) held = 1;
        close(fd);
    }
    st->held = held;

    char state_word[32] = "";
    runstate_path(r, "state", path, sizeof path);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(line, sizeof line, f)) {
            int used = 0;
            if (sscanf(line, "%31s %ld %63s %*s %n", state_word, &st->pid, st->host, &used) >= 3 &&
                used > 0) {
                snprintf(st->reason, sizeof st->reason, "%.255s", line + used);
                st->reason[strcspn(st->reason, "\n")] = 0;
            }
        }
        fclose(f);
    }

    st->started = exists(r->cfg.out);
    char ckpt[700];
    runstate_path(r, "ckpt", ckpt, sizeof ckpt);
    if (exists(ckpt)) st->started = 1;
    if (exists(r->cfg.out)) {
        file_summary fs;
        char err[512];
        if (summarize_isolated(r->cfg.out, &fs, err, sizeof err) == 0) {
            snprintf(st->file_run_id, sizeof st->file_run_id, "%s", fs.run_id[0] ? fs.run_id : "?");
            if (fs.has_train) {
                st->step = fs.step, st->tokens = fs.tokens;
                st->loss = fs.loss, st->wall = fs.wall;
                st->train_rows = fs.train_rows;
                st->smooth_loss = fs.smooth_loss, st->tok_per_s = fs.tok_per_s;
            }
            st->eval_loss = fs.eval_loss, st->eval_step = fs.eval_step;
            st->has_final = fs.has_final;
            st->nptq = fs.nptq;
            memcpy(st->ptq, fs.ptq, sizeof st->ptq);
            const char *status = fs.has_final && fs.status[0] ? fs.status : NULL;
            if (!fs.run_id[0] || strcmp(fs.run_id, r->id_hex)) {
                st->state = RS_CONFLICT;
                /* which knobs differ, when the file says what it was made with */
                char now[8192], diff[200] = "";
                if (fs.config[0] && config_canonical_json(&r->cfg, now, sizeof now) > 0)
                    describe_difference(fs.config, now, diff, sizeof diff);
                snprintf(st->reason, sizeof st->reason,
                         "the run file belongs to run_id %s, the config says %s%s%s%s",
                         st->file_run_id, r->id_hex, diff[0] ? " (" : "", diff, diff[0] ? ")" : "");
            } else if (status && !strcmp(status, "done")) {
                st->state = RS_DONE;
            } else if (status && !strcmp(status, "diverged")) {
                st->state = RS_DIVERGED;
            } else if (status && !strcmp(status, "failed") && !held) {
                st->state = RS_FAILED;
            }
            if (fs.has_final) {
                st->val_loss = fs.val_loss;
                if (fs.reason[0] && st->state != RS_CONFLICT)
                    snprintf(st->reason, sizeof st->reason, "%.250s", fs.reason);
            }
        } else {
            /* Written atomically, so unreadable means not ours or damaged: never touch it. */
            st->state = RS_CONFLICT;
            snprintf(st->reason, sizeof st->reason, "%.250s", err);
        }
    }
    /* A conflict is decided by the run file alone: a state file that said "conflict" is
     * stale once that file was moved away. */
    if (st->state == RS_PENDING || st->state == RS_FAILED) {
        if (held)
            st->state = RS_RUNNING;
        else if (!strcmp(state_word, "failed") && st->state == RS_PENDING)
            st->state = RS_FAILED;
        else if (!strcmp(state_word, "running"))
            st->interrupted = 1;
    }
    /* A branch that has no checkpoint of its own starts from its parent's kept one: until
     * that exists it waits (sweep run starts it then). */
    if (st->state == RS_PENDING && r->cfg.branch_from[0] && r->branch_step > 0 && !exists(ckpt)) {
        char kept[700];
        sweep_kept_checkpoint(r, kept, sizeof kept);
        if (!exists(kept)) {
            st->state = RS_WAITING;
            snprintf(st->reason, sizeof st->reason, "waiting for %.230s", kept);
        }
    }
}

int make_dirs(const char *path, char *err, size_t errlen) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c) break;
        }
    }
    return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen) {
    return tok_write_file_atomic(path, data, len, NULL, 0, err, errlen);
}

int runstate_write(const sweep_run *r, const char *state, const char *reason, char *err,
                   size_t errlen) {
    char path[700], host[64] = "?", line[600], when[32];
    runstate_path(r, "state", path, sizeof path);
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(line, sizeof line, "%s %ld %s %s %s\n", state, (long)getpid(), host, when,
                     reason ? reason : "");
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof line) n = sizeof line - 1, line[n - 1] = '\n';
    /* Reasons are one line. */
    for (int i = 0; i < n - 1; i++)
        if (line[i] == '\n') line[i] = ' ';
    return write_file_atomic(path, line, (size_t)n, err, errlen);
}

int runstate_lock(const sweep_run *r, char *err, size_t errlen) {
    return run_file_lock(r->cfg.out, err, errlen);
}
