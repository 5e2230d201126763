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

void psl_base_fit_run(const psl_law *bl, const psl_problem *pr, int kfold, uint64_t seed,
                      int heldout, const psl_fit_opts *o, int law_np, psl_base_fit *bf) {
    memset(bf, 0, sizeof *bf);
    bf->base = bl;
    psl_model m;
    if (psl_model_setup(&m, bl, pr->pts, pr->n, bf->why, sizeof bf->why)) return;
    bf->np = m.np;
    if (m.np >= law_np) return; /* not simpler: the caller says so, nothing fitted */
    /* the law's points, targets, weights and floor: only the model differs */
    psl_problem bp = *pr;
    bp.m = &m;
    psl_fit f;
    int rc = psl_fit_grid(&bp, o, &f);
    if (rc && !isfinite(f.obj)) {
        snprintf(bf->why, sizeof bf->why, "its fit failed: %s", f.msg);
        return;
    }
    bf->blp = malloc((pr->n ? pr->n : 1) * sizeof *bf->blp);
    if (!bf->blp) {
        bf->oom = 1;
        return;
    }
    bf->ok = 1;
    bf->converged = !rc;
    if (rc)
        snprintf(bf->why, sizeof bf->why,
                 "its fit stopped before converging (%s); compared where it stopped", f.msg);
    for (size_t i = 0; i < pr->n; i++) bf->blp[i] = psl_problem_lp(&bp, f.u, NULL, i, NULL);
    psl_quality_eval(pr->logy, bf->blp, pr->n, &bf->q);
    if (heldout) psl_heldout_kfold(bl, pr->pts, pr->n, kfold, seed, o, &m, f.u, &bf->kfold);
}

void psl_base_fit_free(psl_base_fit *bf) {
    free(bf->blp);
    bf->blp = NULL;
}

int psl_base_wanted(const psl_law *law, const psl_law *bl) {
    return bl->target == law->target && strcmp(bl->name, law->name) != 0;
}

int psl_compare_judge(const psl_law *law, const psl_problem *pr, const double *logpred,
                      const psl_heldout *kf, const psl_base_fit *const *fits, psl_compare *out) {
    memset(out, 0, sizeof *out);
    out->beats = -1;
    size_t n = pr->n;
    int np = pr->m->np;
    psl_info_criteria(pr->logy, logpred, n, np, &out->aic, &out->bic, NULL);
    int judged = 0, all = 1;
    for (int b = 0, k = 0; b < psl_nbaselines && out->n < PSL_MAXBASE; b++) {
        const psl_law *bl = &psl_baselines[b];
        if (!psl_base_wanted(law, bl)) continue;
        const psl_base_fit *bf = fits[k++];
        if (bf->oom) return -1;
        psl_cmp_row *row = &out->row[out->n++];
        row->base = bl;
        row->beaten = -1;
        row->law_aic = row->law_bic = row->aic = row->bic = NAN;
        snprintf(row->why, sizeof row->why, "%s", bf->why);
        row->np = bf->np;
        if (!bf->np) continue; /* not set up: why says why */
        if (bf->np >= np) {
            /* not simpler than the law: no parameters for the law's extra terms to earn */
            snprintf(row->why, sizeof row->why,
                     "not simpler: it has %d parameters, the law %d; not compared", bf->np, np);
            continue;
        }
        if (!bf->ok) continue;
        row->ok = 1;
        row->converged = bf->converged;
        row->q = bf->q;
        criteria_pair(pr->logy, logpred, np, bf->blp, bf->np, n, row);
        row->kfold = bf->kfold;
        if (!isfinite(row->law_aic) || !isfinite(row->aic)) continue;
        int aic_better = row->law_aic < row->aic;
        row->by_aic = !(kfold_usable(kf) && kfold_usable(&row->kfold));
        row->beaten = row->by_aic ? aic_better : aic_better && kf->q.r2_log > row->kfold.q.r2_log;
        judged = 1;
        if (!row->beaten) all = 0;
    }
    if (judged) out->beats = all;
    return 0;
}

int psl_compare_baselines(const psl_law *law, const psl_problem *pr, const double *logpred,
                          const psl_heldout *kf, int kfold, uint64_t seed, int heldout,
                          const psl_fit_opts *o, psl_compare *out) {
    psl_base_fit bf[PSL_MAXBASE];
    const psl_base_fit *fp[PSL_MAXBASE] = {0};
    int nb = 0;
    for (int b = 0; b < psl_nbaselines && nb < PSL_MAXBASE; b++)
        if (psl_base_wanted(law, &psl_baselines[b])) {
            fp[nb] = &bf[nb];
            psl_base_fit_run(&psl_baselines[b], pr, kfold, seed, heldout, o, pr->m->np, &bf[nb]);
            nb++;
        }
    int rc = psl_compare_judge(law, pr, logpred, kf, fp, out);
    for (int b = 0; b < nb; b++) psl_base_fit_free(&bf[b]);
    return rc;
}
