/* The findings of the papers, judged on the runs at hand: each with the measured effect,
 * its bootstrap interval, the paper's constant beside it and one verdict (reproduced,
 * contradicted, not testable with these runs). Built only from what fitlaws already
 * computes: per-constant bootstrap intervals and "determined" verdicts, the baseline
 * comparisons and the derived quantities. See docs/fitlaws.md, "Findings". */
#ifndef PSL_ANALYSIS_FINDINGS_H
#define PSL_ANALYSIS_FINDINGS_H

#include "derived.h"

/* The constants the papers report, for comparison only (Kumar et al. warn that they depend
 * on architecture and data: a small reproduction should match the trends, not the
 * values). */
typedef struct {
    const char *name; /* as fitlaws names the parameter (gamma_w, n_w, C_T, ...) */
    double value;
    const char *where; /* citation: paper, table or section */
} psl_paper_const;

extern const psl_paper_const psl_paper_constants[];
extern const int psl_npaper_constants;

/* The paper's value of a constant by name; NAN when the table has none. */
double psl_paper_value(const char *name);

enum psl_verdict { PSL_REPRODUCED, PSL_CONTRADICTED, PSL_NOT_TESTABLE };

/* "reproduced", "contradicted", "not testable with these runs" */
const char *psl_verdict_str(int v);
/* the same as a JSON token: "reproduced", "contradicted", "not_testable" */
const char *psl_verdict_key(int v);

#define PSL_MAXFIND 12

typedef struct {
    const char *id;                        /* stable key: ptq_data, ptq_size, neff_w, ... */
    const char *finding;                   /* the paper's finding in words */
    char measured[2 * PSL_PNAME_MAX + 64]; /* the quantity measured and its value, or "-" */
    double value, lo, hi; /* the measured effect and its 95% interval (NAN: none) */
    char interval[96];    /* the interval in words, or "-" */
    char paper[200];      /* the paper's constant(s) */
    int verdict;          /* enum psl_verdict */
    char why[900];        /* why this verdict; for "not testable", also what runs would test it */
} psl_finding;

typedef struct {
    int n;
    psl_finding f[PSL_MAXFIND];
} psl_findings;

/* Judges every finding from the analysed laws res[0..n) (fitted or not) and the derived
 * quantities dv (may be NULL). A finding is reproduced or contradicted only when the
 * constant (or derived quantity) that carries it is determined by the bootstrap, its
 * interval excludes the no-effect value, and the law it comes from beats its baselines;
 * otherwise it is not testable, with why and what runs would test it. */
void psl_findings_judge(const psl_law_result *res, int n, const psl_derived *dv, psl_findings *out);

#endif
