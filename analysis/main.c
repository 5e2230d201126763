/* fitlaws: fit the precision scaling laws to runs. See docs/fitlaws.md. */
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "figures.h"
#include "floor.h"
#include "input.h"
#include "read.h"
#include "report.h"

static void usage(FILE *f) {
    fputs("usage: fitlaws [options] DIR_OR_FILE...\n"
          "Fits the precision scaling laws to HDF5 run files found under each DIR (and CSV\n"
          "tables), prints each law's constants with bootstrap intervals, fit quality and\n"
          "held-out quality, and optionally writes a report with figures.\n\n"
          "  --out DIR            write report.md, report.json, pred_<law>.tsv and figures\n"
          "  --csv FILE           also read runs from a CSV (docs/csv.md); repeatable\n"
          "  --jsonl FILE         also read runs from JSON Lines, one object per run with the\n"
          "                       CSV's column names as keys; repeatable\n"
          "  --map COL=NAME,...   the CSV and JSON Lines inputs name fitlaws' column COL\n"
          "                       NAME (e.g. N=params,D=tokens,loss=val_loss)\n"
          "  --bootstrap N        bootstrap replicates over runs (default 200; 0 = none)\n"
          "  --seed S             seed of the bootstrap and the k-fold split (default 1)\n"
          "  --kfold K            folds of the (N, D)-cell cross-validation (default 5)\n"
          "  --no-heldout         skip the held-out checks\n"
          "  --include-diverged   keep diverged runs (when their loss is finite)\n"
          "  --laws a,b,...       fit only these laws (default: all; --list-laws lists them)\n"
          "  --list-laws          print the catalogue and exit\n"
          "  --figures paper|none draw the paper's figures into --out (default paper)\n"
          "  --polish K           BFGS runs from the K best grid starts (default 8)\n"
          "  --ptq-method M       fit the PTQ points of one method, a /ptq table name (gptq,\n"
          "                       rtn, ...); default auto: gptq when present\n"
          "  --version            print the version and exit\n"
          "  -h, --help           this help\n",
          f);
}

static int mkdir_p(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static int want(const char *list, const char *name) {
    if (!list) return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !strncmp(p, name, n)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 'c' for a path naming a CSV table, 'j' for JSON Lines, 0 for a directory or run file. */
static int table_kind(const char *path) {
    size_t n = strlen(path);
    if (n > 4 && !strcmp(path + n - 4, ".csv")) return 'c';
    if (n > 6 && !strcmp(path + n - 6, ".jsonl")) return 'j';
    return 0;
}

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    psl_analysis_opts ao;
    psl_analysis_opts_default(&ao);
    psl_read_opts ro = {0};
    const char *out = NULL, *laws = NULL, *figs = "paper", *ptq_method = "auto";
    const char *csvs[64], *jsonls[64];
    int ncsv = 0, njsonl = 0;
    static psl_colmap cmap;
    const char *mapspec = NULL;
    enum {
        O_OUT = 256,
        O_CSV,
        O_BOOT,
        O_SEED,
        O_DIV,
        O_LAWS,
        O_FIG,
        O_KF,
        O_NOH,
        O_LIST,
        O_POL,
        O_PTQM,
        O_VERSION,
        O_JSONL,
        O_MAP
    };
    static const struct option lo[] = {{"out", 1, 0, O_OUT},
                                       {"csv", 1, 0, O_CSV},
                                       {"jsonl", 1, 0, O_JSONL},
                                       {"map", 1, 0, O_MAP},
                                       {"bootstrap", 1, 0, O_BOOT},
                                       {"seed", 1, 0, O_SEED},
                                       {"include-diverged", 0, 0, O_DIV},
                                       {"laws", 1, 0, O_LAWS},
                                       {"figures", 1, 0, O_FIG},
                                       {"kfold", 1, 0, O_KF},
                                       {"no-heldout", 0, 0, O_NOH},
                                       {"list-laws", 0, 0, O_LIST},
                                       {"polish", 1, 0, O_POL},
                                       {"ptq-method", 1, 0, O_PTQM},
                                       {"help", 0, 0, 'h'},
                                       {"version", 0, 0, O_VERSION},
                                       {0, 0, 0, 0}};
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_OUT:
            out = optarg;
            break;
        case O_CSV:
            if (ncsv == 64) {
                fprintf(stderr, "fitlaws: at most 64 --csv files\n");
                return 2;
            }
            csvs[ncsv++] = optarg;
            break;
        case O_JSONL:
            if (njsonl == 64) {
                fprintf(stderr, "fitlaws: at most 64 --jsonl files\n");
                return 2;
            }
            jsonls[njsonl++] = optarg;
            break;
        case O_MAP: {
            char merr[512];
            if (mapspec) {
                fprintf(stderr, "fitlaws: --map given twice (one mapping, comma separated)\n");
                return 2;
            }
            mapspec = optarg;
            if (psl_colmap_parse(optarg, &cmap, merr, sizeof merr)) {
                fprintf(stderr, "fitlaws: %s\n", merr);
                return 2;
            }
            break;
        }
        case O_BOOT:
            ao.bootstrap = (int)strtol(optarg, &end, 10);
            if (*end || ao.bootstrap < 0 || ao.bootstrap > 1000000) {
                fprintf(stderr, "fitlaws: --bootstrap expects a count >= 0, got '%s'\n", optarg);
                return 2;
            }
            break;
        case O_SEED:
            ao.seed = strtoull(optarg, &end, 10);
            if (*end || !*optarg) {
                fprintf(stderr, "fitlaws: --seed expects an unsigned integer, got '%s'\n", optarg);
                return 2;
            }
            break;
        case O_KF:
            ao.kfold = (int)strtol(optarg, &end, 10);
            if (*end || ao.kfold < 2) {
                fprintf(stderr, "fitlaws: --kfold expects an integer >= 2, got '%s'\n", optarg);
                return 2;
            }
            break;
        case O_POL:
            ao.fit.polish = (int)strtol(optarg, &end, 10);
            if (*end || ao.fit.polish < 1) {
                fprintf(stderr, "fitlaws: --polish expects an integer >= 1, got '%s'\n", optarg);
                return 2;
            }
            break;
        case O_NOH:
            ao.heldout = 0;
            break;
        case O_PTQM:
            if (!*optarg || strlen(optarg) >= 16) {
                fprintf(stderr,
                        "fitlaws: --ptq-method expects a /ptq table name such as gptq "
                        "or rtn (or auto), got '%s'\n",
                        optarg);
                return 2;
            }
            ptq_method = optarg;
            break;
        case O_DIV:
            ro.include_diverged = 1;
            break;
        case O_LAWS:
            laws = optarg;
            break;
        case O_FIG:
            if (strcmp(optarg, "paper") && strcmp(optarg, "none")) {
                fprintf(stderr, "fitlaws: --figures expects paper or none, got '%s'\n", optarg);
                return 2;
            }
            figs = optarg;
            break;
        case O_LIST:
            for (int i = 0; i < psl_nlaws; i++)
                printf("%-22s %s\n%-22s   %s\n", psl_laws[i].name, psl_laws[i].title, "",
                       psl_laws[i].formula);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case O_VERSION:
            printf("fitlaws %s\n", PSL_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    /* A table given as a positional input is read as --csv / --jsonl would read it, so that
     * --map applies to it too (psl_read_dir would read a .csv without the map). */
    int npos_tables = 0;
    for (int i = optind; i < argc; i++) npos_tables += table_kind(argv[i]) != 0;
    if (mapspec && ncsv + njsonl + npos_tables == 0) {
        fprintf(stderr,
                "fitlaws: --map applies to CSV and JSON Lines inputs (--csv, --jsonl, or a .csv\n"
                "or .jsonl path); none given\n");
        return 2;
    }
    if (optind >= argc && ncsv == 0 && njsonl == 0) {
        usage(stderr);
        return 2;
    }
    if (laws) {
        for (const char *p = laws; *p;) {
            const char *e = strchr(p, ',');
            char nm[64];
            snprintf(nm, sizeof nm, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
            if (!psl_law_find(nm)) {
                fprintf(stderr, "fitlaws: unknown law '%s' (--list-laws lists them)\n", nm);
                return 2;
            }
            if (!e) break;
            p = e + 1;
        }
    }
    psl_data d;
    psl_notes notes;
    psl_data_init(&d);
    psl_notes_init(&notes);
    const char *inputs[256];
    int ninputs = 0;
    char err[1024];
    for (int i = optind; i < argc; i++) {
        const psl_colmap *m = mapspec ? &cmap : NULL;
        int kind = table_kind(argv[i]);
        long r = kind == 'c'   ? psl_csv_read_map(argv[i], &ro, m, &d, &notes, err, sizeof err)
                 : kind == 'j' ? psl_jsonl_read(argv[i], &ro, m, &d, &notes, err, sizeof err)
                               : psl_read_dir(argv[i], &ro, &d, &notes, err, sizeof err);
        if (r < 0) psl_note(&notes, "%s", err);
        if (ninputs < 256) inputs[ninputs++] = argv[i];
    }
    for (int i = 0; i < ncsv; i++) {
        if (psl_csv_read_map(csvs[i], &ro, mapspec ? &cmap : NULL, &d, &notes, err, sizeof err) < 0)
            psl_note(&notes, "%s", err);
        if (ninputs < 256) inputs[ninputs++] = csvs[i];
    }
    for (int i = 0; i < njsonl; i++) {
        if (psl_jsonl_read(jsonls[i], &ro, mapspec ? &cmap : NULL, &d, &notes, err, sizeof err) < 0)
            psl_note(&notes, "%s", err);
        if (ninputs < 256) inputs[ninputs++] = jsonls[i];
    }
    psl_data_fill_deltas(&d);
    /* an explicit method that no run has is a mistake (a typo), not a fit of no points */
    char present[256];
    if (strcmp(ptq_method, "auto") &&
        !psl_data_has_ptq_method(&d, ptq_method, present, sizeof present)) {
        fprintf(stderr, "fitlaws: --ptq-method %s: no run has PTQ rows of that method (%s%s)\n",
                ptq_method, present[0] ? "methods present: " : "no PTQ rows in the runs", present);
        psl_data_free(&d);
        psl_notes_free(&notes);
        return 2;
    }
    /* every PTQ point of every method, for report.md's table of methods (report.c) */
    psl_data ptq_all;
    psl_data_init(&ptq_all);
    for (size_t i = 0; i < d.n; i++)
        if (d.pt[i].P_post > 0) psl_data_push(&ptq_all, &d.pt[i]);
    psl_data_keep_ptq_method(&d, ptq_method, &notes);
    psl_data_note_format_bits(&d, &notes);
    psl_floor fl;
    psl_floor_estimate(&d, &fl);
    ao.fit.delta_floor = fl.floor;
    if (fl.n_ptq) {
        char line[512];
        psl_floor_describe(&fl, line, sizeof line);
        psl_note(&notes, "%s", line);
    }
    for (size_t i = 0; i < notes.n; i++) fprintf(stderr, "fitlaws: %s\n", notes.msg[i]);
    if (d.n == 0) {
        fprintf(stderr, "fitlaws: no usable runs\n");
        psl_notes_free(&notes);
        psl_data_free(&d);
        psl_data_free(&ptq_all);
        return 1;
    }
    psl_law_result *res = calloc((size_t)psl_nlaws, sizeof *res);
    const psl_law **sel = calloc((size_t)psl_nlaws, sizeof *sel);
    if (!res || !sel) {
        fprintf(stderr, "fitlaws: out of memory\n");
        return 1;
    }
    int nres = 0;
    for (int i = 0; i < psl_nlaws; i++)
        if (want(laws, psl_laws[i].name)) sel[nres++] = &psl_laws[i];
    double t0 = now();
    if (psl_analyze_laws(sel, nres, &d, &ao, res)) {
        fprintf(stderr, "fitlaws: out of memory fitting the laws\n");
        return 1;
    }
    free(sel);
    double secs = now() - t0;
    psl_derived dv;
    psl_derive(res, nres, &d, &dv);
    psl_notes figdone, figmiss;
    psl_notes_init(&figdone);
    psl_notes_init(&figmiss);
    psl_matched *matched = malloc(sizeof *matched); /* 60 kB; NULL leaves the section out */
    if (matched) psl_matched_find(&d, matched);
    psl_report rep = {&d,      &notes,   res,      nres, &ao, &dv,      inputs,
                      ninputs, &figdone, &figmiss, secs, &fl, &ptq_all, matched};
    int rc = 0;
    if (out) {
        if (mkdir_p(out)) {
            fprintf(stderr, "fitlaws: cannot create %s: %s\n", out, strerror(errno));
            rc = 1;
        } else {
            if (!strcmp(figs, "paper"))
                psl_figures_paper(out, &d, res, nres, &dv, &figdone, &figmiss);
            char path[4096];
            snprintf(path, sizeof path, "%s/report.md", out);
            if (psl_report_markdown(path, &rep, err, sizeof err)) rc = 1;
            snprintf(path, sizeof path, "%s/report.json", out);
            if (!rc && psl_report_json(path, &rep, err, sizeof err)) rc = 1;
            if (!rc && psl_report_predictions(out, &rep, err, sizeof err)) rc = 1;
            if (rc) fprintf(stderr, "fitlaws: %s\n", err);
        }
    }
    psl_report_terminal(stdout, &rep);
    if (out && !rc) {
        printf("\nreport: %s/report.md (%zu figures", out, figdone.n);
        if (figmiss.n) printf(", %zu not drawn: see report", figmiss.n);
        printf(")\n");
    }
    printf("fit time: %.2f s\n", secs);
    for (int i = 0; i < nres; i++) psl_law_result_free(&res[i]);
    free(res);
    free(matched);
    psl_notes_free(&figdone);
    psl_notes_free(&figmiss);
    psl_notes_free(&notes);
    psl_data_free(&d);
    psl_data_free(&ptq_all);
    return rc;
}
