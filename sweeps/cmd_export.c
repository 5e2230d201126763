/* sweep export DIR|CONFIG: one CSV of every run and PTQ result (the table `fitlaws --csv`
 * reads, docs/csv.md) and one long CSV of the training curves (/train and /eval).
 *
 * The points are read by fitlaws' own reader (psl_h5_read, analysis/h5read.c), so the
 * table holds exactly what `fitlaws DIR` would fit, in its order; the run's name, seed,
 * status and curves come from the engine's reader (runlog_load). Each file is read in a
 * child process: libhdf5 itself can crash or loop on some damaged files (see
 * summarize_isolated in runstate.c), and one such file must not stop the export. */
#include "commands.h"
#include "read.h"
#include "runlog.h"
#include "runstate.h"
#include "sweepdef.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f, "usage: sweep export DIR|CONFIG [--results DIR] [--out PREFIX]\n\n"
               "Writes every run file (*.h5, recursively, in sorted order) of a sweep as two CSV\n"
               "files (docs/sweeps.md):\n"
               "  PREFIX.csv         one row per run (final validation loss) and per PTQ result,\n"
               "                     in the columns `fitlaws --csv` reads (docs/csv.md)\n"
               "  PREFIX_curves.csv  the training curves: one row per row of /train and /eval\n"
               "PREFIX defaults to <sweep dir>/export. DIR is a directory of run files (a sweep's\n"
               "results directory); CONFIG a sweep config (its directory is <results>/<name>).\n"
               "Damaged or foreign run files are named on stderr and skipped.\n"
               "Exit status: 0 ok; 1 a file was skipped, no run files, or the output could not\n"
               "be written (what was readable is still written); 2 usage.\n");
}

/* ---- the child's answer: records of (kind, length, bytes) ---- */

enum {
    REC_ERROR = 'E', /* the file is refused: message */
    REC_NOTE = 'N',  /* something the user should know: message */
    REC_ID = 'I',    /* twice: the run_id, then the name, each NUL-ended */
    REC_POINT = 'P', /* a row of PREFIX.csv that fitlaws fits (CSV text, newline ended) */
    REC_ROW = 'R',   /* a row of PREFIX.csv without a point (failed, no loss) */
    REC_TABLE = 'T', /* a curve table: name NUL, then ncols names NUL-ended, then doubles */
    REC_END = 'Z'
};

static void put_rec(FILE *m, int kind, const void *p, uint64_t n) {
    fputc(kind, m);
    fwrite(&n, sizeof n, 1, m);
    fwrite(p, 1, n, m);
}

static void put_msg(FILE *m, int kind, const char *s) {
    put_rec(m, kind, s, strlen(s));
}

/* A number as fitlaws reads it back exactly; NaN (unknown) as an empty field. */
static void csv_num(FILE *f, double v) {
    if (!isnan(v)) fprintf(f, "%.17g", v);
}

/* A string field, quoted (RFC 4180) when a reader would otherwise change it: separators,
 * quotes, line ends, surrounding spaces (readers trim them), a leading '#' (a comment). */
static void csv_str(FILE *f, const char *s) {
    size_t n = strlen(s);
    int quote =
        n && (s[0] == ' ' || s[0] == '\t' || s[0] == '#' || s[n - 1] == ' ' || s[n - 1] == '\t');
    for (const char *p = s; *p && !quote; p++)
        if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r') quote = 1;
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static const char table_header[] =
    "N,D,P_w,P_a,P_kv,format,P_post,method,loss,base_loss,delta,G,seed,run_id,name,status\n";

typedef struct {
    const char *run_id, *name, *status;
    double seed;
} run_meta;

/* One row of PREFIX.csv, in the columns of table_header. */
static void table_row(FILE *f, const psl_point *p, const char *method, const run_meta *m) {
    const double nums[] = {p->N, p->D, p->P_w, p->P_a, p->P_kv};
    for (int k = 0; k < 5; k++) {
        csv_num(f, nums[k]);
        fputc(',', f);
    }
    csv_str(f, p->format);
    fputc(',', f);
    csv_num(f, p->P_post > 0 ? p->P_post : NAN);
    fputc(',', f);
    csv_str(f, method);
    fputc(',', f);
    csv_num(f, p->loss);
    fputc(',', f);
    csv_num(f, p->base_loss);
    fputc(',', f);
    csv_num(f, p->delta);
    fputc(',', f);
    csv_num(f, p->G > 0 ? p->G : NAN);
    fputc(',', f);
    csv_num(f, m->seed);
    fputc(',', f);
    csv_str(f, m->run_id);
    fputc(',', f);
    csv_str(f, m->name);
    fputc(',', f);
    csv_str(f, m->status);
    fputc('\n', f);
}

static const char *str_attr(const attr_set *a, const char *name) {
    const attr *x = attr_get(a, name);
    return x && x->type == ATTR_STR && x->s ? x->s : NULL;
}

static double num_attr(const attr_set *a, const char *name) {
    const attr *x = attr_get(a, name);
    if (!x) return NAN;
    return x->type == ATTR_REAL ? x->r : x->type == ATTR_INT ? (double)x->i : NAN;
}

/* The full name of the /ptq table a point came from: psl_point keeps only the first
 * method_size - 1 bytes of it. */
static const size_t method_size = sizeof(((psl_point *)0)->method);

static const char *ptq_table_name(const runlog *rl, const char *method) {
    const char *found = NULL;
    size_t n = strlen(method);
    for (size_t i = 0; i < rl->ntables; i++) {
        const char *t = rl->tables[i]->path;
        if (strncmp(t, "/ptq/", 5) || strncmp(t + 5, method, n)) continue;
        if (!t[5 + n]) return t + 5; /* exact */
        if (found) return method;    /* two tables share the prefix: keep what fitlaws has */
        found = t + 5;
    }
    return found && n + 1 >= method_size ? found : method;
}

/* Reads one run file and writes the records of its answer to m. */
static void export_one(const char *path, FILE *m) {
    char err[1024], rerr[1024];
    runlog rl;
    if (runlog_load(&rl, path, rerr, sizeof rerr)) {
        put_msg(m, REC_ERROR, rerr);
        put_rec(m, REC_END, "", 0);
        return;
    }
    psl_data d;
    psl_notes notes;
    psl_data_init(&d);
    psl_notes_init(&notes);
    psl_read_opts o = {.include_diverged = 1}; /* marked diverged: fitlaws --csv excludes them */
    if (psl_h5_read(path, &o, &d, &notes, err, sizeof err) < 0) {
        put_msg(m, REC_ERROR, err);
        goto done;
    }
    const char *id = str_attr(&rl.root, "run_id"), *name = str_attr(&rl.root, "name");
    char stem[256];
    if (!name) {
        const char *b = strrchr(path, '/');
        snprintf(stem, sizeof stem, "%s", b ? b + 1 : path);
        size_t n = strlen(stem);
        if (n > 3 && !strcmp(stem + n - 3, ".h5")) stem[n - 3] = 0;
        name = stem;
    }
    const char *status = rl.has_final ? str_attr(&rl.final, "status") : NULL;
    run_meta meta = {id ? id : "", name, status ? status : "", num_attr(&rl.config, "seed")};
    put_rec(m, REC_ID, meta.run_id, strlen(meta.run_id) + 1);
    put_rec(m, REC_ID, meta.name, strlen(meta.name) + 1);

    char *row = NULL;
    size_t rowlen = 0;
    if (rl.has_final) {
        /* The run's own row: fitlaws' end-of-training point, else (failed, no finite loss)
         * the same columns from /config, which fitlaws --csv skips as this reader does. */
        size_t first = 0;
        FILE *r = open_memstream(&row, &rowlen);
        if (d.n && d.pt[0].P_post == 0) {
            table_row(r, &d.pt[0], "", &meta);
            first = 1;
        } else {
            psl_point p;
            psl_point_clear(&p);
            p.N = num_attr(&rl.config, "N"), p.D = num_attr(&rl.config, "D");
            p.P_w = num_attr(&rl.config, "P_w"), p.P_a = num_attr(&rl.config, "P_a");
            p.P_kv = num_attr(&rl.config, "P_kv");
            const char *fw = str_attr(&rl.config, "format_w");
            snprintf(p.format, sizeof p.format, "%s", fw ? fw : "");
            double g = num_attr(&rl.config, "group_size_w");
            if (g > 0) p.G = g;
            double val = num_attr(&rl.final, "val_loss");
            p.loss = isfinite(val) && val > 0 ? val : NAN;
            table_row(r, &p, "", &meta);
        }
        fclose(r);
        put_rec(m, first ? REC_POINT : REC_ROW, row, rowlen);
        free(row);
        for (size_t i = first; i < d.n; i++) {
            r = open_memstream(&row, &rowlen);
            table_row(r, &d.pt[i], ptq_table_name(&rl, d.pt[i].method), &meta);
            fclose(r);
            put_rec(m, REC_POINT, row, rowlen);
            free(row);
        }
        /* fitlaws fits the PTQ rows of the final weights only: the others are left out */
        double steps = num_attr(&rl.final, "steps");
        long inter = 0;
        for (size_t i = 0; i < rl.ntables; i++)
            if (!strncmp(rl.tables[i]->path, "/ptq/", 5))
                for (size_t j = 0; j < rl.tables[i]->rows; j++)
                    inter += table_get(rl.tables[i], 0, j) != steps;
        if (inter) {
            snprintf(err, sizeof err,
                     "%s: %ld PTQ rows of intermediate weights (ptq_every) not in the table "
                     "(fitlaws fits only those of the final weights)",
                     path, inter);
            put_msg(m, REC_NOTE, err);
        }
    } else {
        snprintf(err, sizeof err,
                 "%s: no /final group (the run is still going or was stopped): no row in the "
                 "table; its curves are written",
                 path);
        put_msg(m, REC_NOTE, err);
    }

    const char *curves[] = {"/train", "/eval"};
    for (int c = 0; c < 2; c++) {
        const table *t = runlog_find_table(&rl, curves[c]);
        if (!t || t->ncols <= 0) continue;
        FILE *r = open_memstream(&row, &rowlen);
        fputs(curves[c] + 1, r);
        fputc(0, r);
        uint64_t dims[2] = {(uint64_t)t->ncols, (uint64_t)t->rows};
        fwrite(dims, sizeof dims, 1, r);
        for (int k = 0; k < t->ncols; k++) {
            fputs(t->col_name[k], r);
            fputc(0, r);
        }
        for (size_t j = 0; j < t->rows; j++)
            for (int k = 0; k < t->ncols; k++) {
                double v = table_get(t, k, j);
                fwrite(&v, sizeof v, 1, r);
            }
        fclose(r);
        put_rec(m, REC_TABLE, row, rowlen);
        free(row);
    }
done:
    put_rec(m, REC_END, "", 0);
    psl_data_free(&d);
    psl_notes_free(&notes);
    runlog_free(&rl);
}

/* export_one in a child process. Returns the answer (malloc'd, *len bytes) or NULL with
 * err saying how the child died. */
static char *export_isolated(const char *path, size_t *len, char *err, size_t errlen) {
    int fds[2];
    fflush(stdout), fflush(stderr);
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "%s: pipe: %s", path, strerror(errno));
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "%s: fork: %s", path, strerror(errno));
        close(fds[0]), close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(60); /* a loop inside the library */
        char *buf = NULL;
        size_t n = 0;
        FILE *m = open_memstream(&buf, &n);
        if (!m) _exit(1);
        export_one(path, m);
        if (fclose(m)) _exit(1);
        for (size_t off = 0; off < n;) {
            ssize_t w = write(fds[1], buf + off, n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int ok = 1;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            char *b = realloc(buf, cap);
            if (!b) {
                ok = 0;
                break;
            }
            buf = b;
        }
        ssize_t r = read(fds[0], buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (ok && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        *len = n;
        return buf;
    }
    free(buf);
    char how[48];
    if (!ok)
        snprintf(how, sizeof how, "out of memory");
    else if (WIFSIGNALED(ws))
        snprintf(how, sizeof how, "signal %d%s", WTERMSIG(ws),
                 WTERMSIG(ws) == SIGALRM ? ", no answer in 60 s" : "");
    else
        snprintf(how, sizeof how, "exit status %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    if (snprintf(err, errlen, "%s: reading it crashed the HDF5 library (%s): the file is damaged",
                 path, how) >= (int)errlen)
        err[errlen - 1] = 0;
    return NULL;
}

/* ---- the parent: files, answers, output ---- */

typedef struct {
    char **p;
    size_t n, cap;
} strlist;

static int strlist_push(strlist *l, const char *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **q = realloc(l->p, cap * sizeof *q);
        if (!q) return -1;
        l->p = q, l->cap = cap;
    }
    if (!(l->p[l->n] = strdup(s))) return -1;
    l->n++;
    return 0;
}

static long strlist_find(const strlist *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->p[i], s)) return (long)i;
    return -1;
}

static void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->p[i]);
    free(l->p);
    memset(l, 0, sizeof *l);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Every *.h5 below dir as fitlaws finds them (analysis/readdir.c): names starting with
 * '.' skipped, links followed, each directory walked once. */
static void walk(const char *dir, strlist *out, strlist *seen, int depth) {
    if (depth > 64) {
        fprintf(stderr, "sweep export: %s: more than 64 directories deep; not read\n", dir);
        return;
    }
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "sweep export: %s: cannot open directory: %s\n", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        char path[4096], key[64];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        struct stat st;
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino);
            if (strlist_find(seen, key) < 0 && !strlist_push(seen, key))
                walk(path, out, seen, depth + 1);
        } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".h5")) {
            strlist_push(out, path);
        }
    }
    closedir(dp);
}

/* The curves of the accepted files, kept until every column name is known. */
typedef struct {
    const char *run_id, *name;
    char table[16];
    size_t ncols, rows;
    long *col;     /* for each of the table's columns, its column in the output */
    const char *v; /* rows x ncols doubles, maybe unaligned: read with memcpy */
} curve;

typedef struct {
    char *answer; /* the child's records; curves point into it */
    curve *c;
    size_t nc;
} accepted;

static int get_u64(const char **p, const char *end, uint64_t *v) {
    if ((size_t)(end - *p) < sizeof *v) return -1;
    memcpy(v, *p, sizeof *v);
    *p += sizeof *v;
    return 0;
}

int cmd_export(int argc, char **argv) {
    const char *target = NULL, *results = NULL, *prefix = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        const char **opt = !strncmp(a, "--results", 9) ? &results
                           : !strncmp(a, "--out", 5)   ? &prefix
                                                       : NULL;
        size_t optlen = opt == &results ? 9 : 5;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (opt && !a[optlen] && i + 1 < argc) {
            *opt = argv[++i];
        } else if (opt && eq == a + optlen) {
            *opt = eq + 1;
        } else if (a[0] == '-' || target || (opt && !a[optlen])) {
            fprintf(stderr, "sweep export: %s '%s'\n",
                    opt && !a[optlen] ? "missing value after" : "unexpected argument", a);
            usage(stderr);
            return 2;
        } else {
            target = a;
        }
        if (opt && !**opt) {
            fprintf(stderr, "sweep export: %.*s needs a value\n", (int)optlen, a);
            return 2;
        }
    }
    if (!target) {
        usage(stderr);
        return 2;
    }
    char dir[PATH_MAX], err[4096];
    struct stat sb;
    if (stat(target, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(dir, sizeof dir, "%s", target);
    } else {
        sweep_load_opts o = {.results = results, .fallback_vocab = 4096};
        sweep_def d;
        if (sweep_load_file(target, &o, &d, err, sizeof err)) {
            fprintf(stderr, "sweep export: %s\n", err);
            return 2;
        }
        snprintf(dir, sizeof dir, "%s", d.dir);
        sweep_free(&d);
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "sweep export: %s: no such directory (nothing run yet?)\n", dir);
            return 1;
        }
    }
    char base[PATH_MAX + 16], out_table[PATH_MAX + 32], out_curves[PATH_MAX + 32];
    if (prefix)
        snprintf(base, sizeof base, "%.*s", (int)(strlen(prefix) - 4 * ends_with(prefix, ".csv")),
                 prefix);
    else
        snprintf(base, sizeof base, "%s/export", dir);
    snprintf(out_table, sizeof out_table, "%s.csv", base);
    snprintf(out_curves, sizeof out_curves, "%s_curves.csv", base);

    /* ids: run_ids exported with points, id_paths: the file each came from */
    strlist files = {0}, seen_dirs = {0}, ids = {0}, id_paths = {0}, cols = {0};
    char key[64];
    snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino);
    strlist_push(&seen_dirs, key);
    walk(dir, &files, &seen_dirs, 0);
    strlist_free(&seen_dirs);
    qsort(files.p, files.n, sizeof *files.p, by_name);

    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *tab = open_memstream(&tbuf, &tlen);
    if (!tab) {
        perror("sweep export");
        strlist_free(&files);
        return 1;
    }
    fputs(table_header, tab);
    accepted *acc = calloc(files.n ? files.n : 1, sizeof *acc);
    size_t nacc = 0, skipped = 0, dups = 0, runs = 0, points = 0, rows = 0, curve_rows = 0;
    /* the columns every curve has first, then the others as they come */
    const char *fixed_cols[] = {"step", "tokens"};
    for (int k = 0; k < 2; k++) strlist_push(&cols, fixed_cols[k]);

    for (size_t i = 0; acc && i < files.n; i++) {
        const char *path = files.p[i];
        size_t len = 0;
        char *ans = export_isolated(path, &len, err, sizeof err);
        if (!ans) {
            fprintf(stderr, "sweep export: %s; skipped\n", err);
            skipped++;
            continue;
        }
        /* Two passes over the records: check them (and find run_id), then use them. */
        const char *end = ans + len, *run_id = NULL, *name = NULL, *error = NULL;
        int complete = 0, bad = 0;
        size_t npoints = 0;
        for (const char *p = ans; p < end && !complete && !bad;) {
            int kind = *p++;
            uint64_t n;
            if (get_u64(&p, end, &n) || n > (uint64_t)(end - p)) {
                bad = 1;
                break;
            }
            if (kind == REC_ID && n && !p[n - 1]) { /* run_id, then name */
                if (run_id)
                    name = p;
                else
                    run_id = p;
            }
            if (kind == REC_POINT) npoints++;
            if (kind == REC_ERROR) error = p;
            if (kind == REC_END) complete = 1;
            p += n;
        }
        if (!complete || bad) {
            fprintf(stderr, "sweep export: %s: the reader's answer is incomplete; skipped\n", path);
            skipped++;
            free(ans);
            continue;
        }
        /* a run read twice (a copied file): fitlaws keeps the first one with points */
        long dup = !error && npoints && run_id && *run_id ? strlist_find(&ids, run_id) : -1;
        if (dup >= 0) {
            fprintf(stderr,
                    "sweep export: note: %s: duplicate run (run_id %s already read from %s); "
                    "skipped\n",
                    path, run_id, id_paths.p[dup]);
            dups++;
            free(ans);
            continue;
        }
        accepted *a = &acc[nacc];
        a->answer = ans;
        int failed = 0;
        for (const char *p = ans; p < end;) {
            int kind = *p++;
            uint64_t n = 0;
            if (kind == REC_END || get_u64(&p, end, &n) || n > (uint64_t)(end - p)) break;
            const char *body = p;
            p += n;
            if (kind == REC_ERROR || kind == REC_NOTE) {
                fprintf(stderr, "sweep export: %s%.*s%s\n", kind == REC_NOTE ? "note: " : "",
                        (int)n, body, kind == REC_ERROR ? "; skipped" : "");
                if (kind == REC_ERROR) failed = 1;
            } else if (error) {
                continue;
            } else if (kind == REC_POINT || kind == REC_ROW) {
                fwrite(body, 1, n, tab);
                rows++;
                points += kind == REC_POINT;
            } else if (kind == REC_TABLE) {
                const char *q = body, *qend = body + n;
                const char *tname = q;
                size_t tl = strnlen(q, n);
                uint64_t nc = 0, nr = 0;
                if (tl == n) continue;
                q += tl + 1;
                if (get_u64(&q, qend, &nc) || get_u64(&q, qend, &nr) || nc > TABLE_MAX_COLS)
                    continue;
                curve *cv = realloc(a->c, (a->nc + 1) * sizeof *cv);
                if (!cv) continue;
                a->c = cv;
                cv = &a->c[a->nc];
                memset(cv, 0, sizeof *cv);
                snprintf(cv->table, sizeof cv->table, "%s", tname);
                cv->run_id = run_id ? run_id : "";
                cv->name = name ? name : "";
                cv->ncols = nc;
                cv->col = calloc(nc ? nc : 1, sizeof *cv->col);
                int ok = cv->col != NULL;
                for (size_t k = 0; ok && k < nc; k++) {
                    size_t l = strnlen(q, (size_t)(qend - q));
                    if (q + l >= qend) {
                        ok = 0;
                        break;
                    }
                    cv->col[k] = strlist_find(&cols, q);
                    if (cv->col[k] < 0 && !strlist_push(&cols, q)) cv->col[k] = (long)cols.n - 1;
                    if (cv->col[k] < 0) ok = 0;
                    q += l + 1;
                }
                if (!ok || nr > (uint64_t)(qend - q) || (uint64_t)(qend - q) != nr * nc * 8) {
                    free(cv->col);
                    continue;
                }
                cv->rows = nr;
                cv->v = q;
                curve_rows += nr;
                a->nc++;
            }
        }
        if (failed) {
            skipped++;
            for (size_t k = 0; k < a->nc; k++) free(a->c[k].col);
            free(a->c);
            free(ans);
            memset(a, 0, sizeof *a);
            continue;
        }
        if (npoints && run_id && *run_id && !strlist_push(&ids, run_id) &&
            strlist_push(&id_paths, path))
            free(ids.p[--ids.n]); /* out of memory: keep the two lists parallel */
        runs++;
        nacc++;
    }
    int rc = skipped || !acc ? 1 : 0;
    if (fclose(tab)) rc = 1;

    char *cbuf = NULL;
    size_t clen = 0;
    FILE *cf = open_memstream(&cbuf, &clen);
    if (cf) {
        fputs("name,run_id,table", cf);
        for (size_t k = 0; k < cols.n; k++) {
            fputc(',', cf);
            csv_str(cf, cols.p[k]);
        }
        fputc('\n', cf);
        double *line = malloc((cols.n ? cols.n : 1) * sizeof *line);
        for (size_t i = 0; line && i < nacc; i++)
            for (size_t c = 0; c < acc[i].nc; c++) {
                const curve *cv = &acc[i].c[c];
                for (size_t r = 0; r < cv->rows; r++) {
                    for (size_t k = 0; k < cols.n; k++) line[k] = NAN;
                    for (size_t k = 0; k < cv->ncols; k++)
                        memcpy(&line[cv->col[k]], cv->v + (r * cv->ncols + k) * sizeof(double),
                               sizeof(double));
                    csv_str(cf, cv->name);
                    fputc(',', cf);
                    csv_str(cf, cv->run_id);
                    fputc(',', cf);
                    csv_str(cf, cv->table);
                    for (size_t k = 0; k < cols.n; k++) {
                        fputc(',', cf);
                        csv_num(cf, line[k]);
                    }
                    fputc('\n', cf);
                }
            }
        if (!line) rc = 1;
        free(line);
        if (fclose(cf)) rc = 1;
    } else {
        rc = 1;
    }
    if (!files.n) {
        fprintf(stderr, "sweep export: %s: no *.h5 run files found\n", dir);
        rc = 1;
    }
    int wrote = 0;
    if (tbuf && cbuf) {
        if (write_file_atomic(out_table, tbuf, tlen, err, sizeof err) ||
            write_file_atomic(out_curves, cbuf, clen, err, sizeof err)) {
            fprintf(stderr, "sweep export: %s\n", err);
            rc = 1;
        } else {
            wrote = 1;
        }
    }
    if (wrote)
        printf("%zu run files: %zu exported, %zu skipped, %zu duplicates\n"
               "%s: %zu rows (%zu points fitlaws fits)\n%s: %zu rows\n",
               files.n, runs, skipped, dups, out_table, rows, points, out_curves, curve_rows);
    free(tbuf);
    free(cbuf);
    for (size_t i = 0; acc && i < nacc; i++) {
        for (size_t k = 0; k < acc[i].nc; k++) free(acc[i].c[k].col);
        free(acc[i].c);
        free(acc[i].answer);
    }
    free(acc);
    strlist_free(&files);
    strlist_free(&ids);
    strlist_free(&id_paths);
    strlist_free(&cols);
    return rc;
}
