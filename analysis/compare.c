/* Laws against their simpler forms (compare.h). */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The criteria from a residual sum of squares over m points with k parameters. */
static void criteria(double rss, size_t m, int k, double *aic, double *bic) {
    if (!m || !(rss > 0) || !isfinite(rss)) {
        *aic = *bic = NAN;
        return;
    }
    double ll = (double)m * log(rss / (double)m);
    *aic = ll + 2.0 * k;
    *bic = ll + k * log((double)m);
}

void psl_info_criteria(const double *logy, const double *logpred, size_t n, int k, double *aic,
                       double *bic, size_t *m) {
    double rss = 0;
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        double r = logpred[i] - logy[i];
        if (!isfinite(r)) continue;
        rss += r * r;
        c++;
    }
    if (m) *m = c;
    criteria(rss, c, k, aic, bic);
}

/* Both models' criteria over the points where both predictions are finite (a delta law
 * without a noise floor predicts 0, log -infinity, where a part was trained at or below
 * the PTQ bits; the baselines never do), so the two are scored on the same points. */
static void criteria_pair(const double *logy, const double *lpa, int ka, const double *lpb, int kb,
                          size_t n, psl_cmp_row *row) {
    double ra = 0, rb = 0;
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        double a = lpa[i] - logy[i], b = lpb[i] - logy[i];
        if (!isfinite(a) || !isfinite(b)) continue;
        ra += a * a;
        rb += b * b;
        c++;
    }
    row->n_ic = c;
    criteria(ra, c, ka, &row->law_aic, &row->law_bic);
    criteria(rb, c, kb, &row->aic, &row->bic);
}

static int kfold_usable(const psl_heldout *h) {
    return h && h->ok && h->q.n > 0 && isfinite(h->q.r2_log);
}

int psl_compare_baselines(const psl_law *law, const psl_problem *pr, const double *logpred,
                          const psl_heldout *kf, int kfold, uint64_t seed, int heldout,
                          const psl_fit_opts *o, psl_compare *out) {
    memset(out, 0, sizeof *out);
    out->beats = -1;
    size_t n = pr->n;
    int np = pr->m->np;
    psl_info_criteria(pr->logy, logpred, n, np, &out->aic, &out->bic, NULL);
    double *blp = malloc((n ? n : 1) * sizeof *blp);
    if (!blp) return -1;
    int judged = 0, all = 1;
    for (int b = 0; b < psl_nbaselines && out->n < PSL_MAXBASE; b++) {
        const psl_law *bl = &psl_baselines[b];
        if (bl->target != law->target || !strcmp(bl->name, law->name)) continue;
        psl_cmp_row *row = &out->row[out->n++];
        row->base = bl;
        row->beaten = -1;
        row->law_aic = row->law_bic = row->aic = row->bic = NAN;
        psl_model m;
        if (psl_model_setup(&m, bl, pr->pts, n, row->why, sizeof row->why)) continue;
        row->np = m.np;
        if (m.np >= np) {
            /* not simpler than the law: no parameters for the law's extra terms to earn */
            snprintf(row->why, sizeof row->why,
                     "not simpler: it has %d parameters, the law %d; not compared", m.np, np);
            continue;
        }
        /* the law's points, targets, weights and floor: only the model differs */
        psl_problem bp = *pr;
        bp.m = &m;
        psl_fit f;
        int rc = psl_fit_grid(&bp, o, &f);
        if (rc && !isfinite(f.obj)) {
            snprintf(row->why, sizeof row->why, "its fit failed: %s", f.msg);
            continue;
        }
        row->ok = 1;
        row->converged = !rc;
        if (rc)
            snprintf(row->why, sizeof row->why,
                     "its fit stopped before converging (%s); compared where it stopped", f.msg);
        for (size_t i = 0; i < n; i++) blp[i] = psl_problem_lp(&bp, f.u, NULL, i, NULL);
        psl_quality_eval(pr->logy, blp, n, &row->q);
        criteria_pair(pr->logy, logpred, np, blp, m.np, n, row);
        if (heldout) psl_heldout_kfold(bl, pr->pts, n, kfold, seed, o, &row->kfold);
        if (!isfinite(row->law_aic) || !isfinite(row->aic)) continue;
        int aic_better = row->law_aic < row->aic;
        row->by_aic = !(kfold_usable(kf) && kfold_usable(&row->kfold));
        row->beaten = row->by_aic ? aic_better : aic_better && kf->q.r2_log > row->kfold.q.r2_log;
        judged = 1;
        if (!row->beaten) all = 0;
    }
    free(blp);
    if (judged) out->beats = all;
    return 0;
}
