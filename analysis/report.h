/* Reporting fitted laws: terminal tables, report.md, report.json, predicted-vs-actual
 * tables. */
#ifndef PSL_ANALYSIS_REPORT_H
#define PSL_ANALYSIS_REPORT_H

#include <stdio.h>

#include "analyze.h"
#include "derived.h"
#include "floor.h"
#include "matched.h"

typedef struct {
    const psl_data *data;
    const psl_notes *notes;
    const psl_law_result *res;
    int nres;
    const psl_analysis_opts *opts;
    const psl_derived *derived;
    const char *const *inputs; /* directories and CSV files read */
    int ninputs;
    const psl_notes *figures;      /* figures written */
    const psl_notes *figs_missing; /* figures not drawn, with why */
    double seconds;                /* wall time of fitting */
    const psl_floor *floor;        /* the delta_PTQ noise floor (NULL: not estimated) */
    const psl_data *ptq_all;       /* every PTQ point, of every method, before --ptq-method
                                      kept one (NULL: not given; the table is left out) */
    const psl_matched *matched;    /* compute-matched runs of data (psl_matched_find; NULL:
                                      the section is left out) */
} psl_report;

void psl_report_terminal(FILE *f, const psl_report *r);
/* Each returns 0, or -1 with err filled (names the file). */
int psl_report_markdown(const char *path, const psl_report *r, char *err, size_t len);
int psl_report_json(const char *path, const psl_report *r, char *err, size_t len);
/* One TSV per fitted law: <dir>/pred_<law>.tsv */
int psl_report_predictions(const char *dir, const psl_report *r, char *err, size_t len);

#endif
