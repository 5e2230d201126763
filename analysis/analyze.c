#include "analyze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void psl_analysis_opts_default(psl_analysis_opts *o) {
    memset(o, 0, sizeof *o);
    o->bootstrap = 200;
    o->seed = 1;
    o->kfold = 5;
    o->heldout = 1;
    o->baselines = 1;
    psl_fit_opts_default(&o->fit);
}

/* The law's problem as fitted: its model, points, log targets and floor. */
static psl_problem law_problem(const psl_law_result *r, const psl_analysis_opts *o) {
    return (psl_problem){&r->m, r->pts, r->logy, NULL, r->n, o->fit.huber_delta, r->floor, 0};
}

/* Selection, identifiability and log targets. 0 (r->status REFUSED when the law cannot be
 * fitted, *ready 1 when it can), -1 when out of memory. */
static int law_setup(const psl_law *law, const psl_data *d, const psl_analysis_opts *o,
                     psl_law_result *r, int *ready) {
    *ready = 0;
    memset(r, 0, sizeof *r);
    r->law = law;
    r->cmp.beats = -1; /* not compared until the law is fitted */
    r->floor = law->target == PSL_TARGET_DELTA ? o->fit.delta_floor : 0;
    r->n = psl_law_select(law, d, r->floor, &r->pts);
    if (!r->pts) return -1;
    for (size_t i = 0; i < r->n && law->target == PSL_TARGET_DELTA; i++) {
        double y = psl_target_value(law, r->pts[i]);
        r->n_floor += r->floor > 0 && y <= r->floor;
        r->n_nonpos += y <= 0;
    }
    if (psl_model_setup(&r->m, law, r->pts, r->n, r->why, sizeof r->why)) {
        r->status = PSL_LAW_REFUSED;
        return 0;
    }
    {
        int *seen = calloc((size_t)d->nruns + 1, sizeof *seen);
        if (!seen) return -1;
        for (size_t i = 0; i < r->n; i++)
            if (r->pts[i]->run >= 0 && r->pts[i]->run <= d->nruns && !seen[r->pts[i]->run]++)
                r->nruns++;
        free(seen);
    }
    r->logy = malloc(r->n * sizeof *r->logy);
    r->logpred = malloc(r->n * sizeof *r->logpred);
    if (!r->logy || !r->logpred) return -1;
    psl_log_targets(law, r->pts, r->n, r->floor, r->logy);
    *ready = 1;
    return 0;
}

/* The fit from the start grid, its predictions and quality; status FITTED or FAILED. */
static void law_fit(psl_law_result *r, const psl_analysis_opts *o) {
    psl_problem pr = law_problem(r, o);
    int rc = psl_fit_grid(&pr, &o->fit, &r->fit);
    /* predictions as measured: raised to the floor, like the targets they are scored on */
    for (size_t i = 0; i < r->n; i++) r->logpred[i] = psl_problem_lp(&pr, r->fit.u, NULL, i, NULL);
    psl_quality_eval(r->logy, r->logpred, r->n, &r->q);
    if (rc) {
        r->status = PSL_LAW_FAILED;
        snprintf(r->why, sizeof r->why, "did not converge from any of the best %d of %d starts: %s",
                 o->fit.polish, r->fit.starts, r->fit.msg);
        return;
    }
    r->status = PSL_LAW_FITTED;
}

/* The bootstrap of a fitted law. 0, -1 when out of memory. */
static int law_bootstrap(psl_law_result *r, const psl_analysis_opts *o) {
    psl_problem pr = law_problem(r, o);
    r->boot_u = malloc((size_t)o->bootstrap * (size_t)r->m.np * sizeof *r->boot_u);
    if (!r->boot_u ||
        psl_bootstrap(&pr, &o->fit, r->fit.u, o->bootstrap, o->seed, &r->boot, r->boot_u))
        return -1;
    /* the samples are shown values; derived quantities evaluate the laws at internal ones */
    for (size_t k = 0; k < (size_t)o->bootstrap * (size_t)r->m.np; k++)
        if (r->m.logp[k % (size_t)r->m.np]) r->boot_u[k] = log(r->boot_u[k]);
    return 0;
}

/* Laws fitted on the same points (selection and target, hence targets and floor) share
 * their baselines' fits: the same inputs give the same fit. */
static int same_points(const psl_law_result *a, const psl_law_result *b) {
    return a->law->target == b->law->target && a->n == b->n &&
           !memcmp(a->pts, b->pts, a->n * sizeof *a->pts);
}

int psl_analyze_laws(const psl_law *const *laws, int nl, const psl_data *d,
                     const psl_analysis_opts *o, psl_law_result *res) {
    int nb = psl_nbaselines;
    int *ready = calloc((size_t)(nl ? nl : 1), sizeof *ready);
    int *err = calloc((size_t)(nl ? nl : 1), sizeof *err);
    int *lead = calloc((size_t)(nl ? nl : 1), sizeof *lead);
    /* per law that leads a group of the same points, per baseline: wanted by a member
     * (and the most parameters among those members), and its fit */
    int *lawnp = calloc((size_t)(nl ? nl : 1) * (size_t)nb, sizeof *lawnp);
    psl_base_fit *bf = calloc((size_t)(nl ? nl : 1) * (size_t)nb, sizeof *bf);
    if (!ready || !err || !lead || !lawnp || !bf) {
        free(ready);
        free(err);
        free(lead);
        free(lawnp);
        free(bf);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < nl && !rc; i++) rc = law_setup(laws[i], d, o, &res[i], &ready[i]);
    if (!rc) {
        /* Every fit below is a task of one team, the bootstrap replicates and folds too
         * (par.h); each writes only its own results, so they are the same for any number
         * of threads. The stages wait for each other: a law's fit before its bootstrap,
         * held-out checks and baselines; all of those before the comparisons. */
#pragma omp parallel
#pragma omp single
        {
            for (int i = 0; i < nl; i++)
                if (ready[i]) {
#pragma omp task firstprivate(i)
                    law_fit(&res[i], o);
                }
#pragma omp taskwait
            for (int i = 0; i < nl; i++) {
                psl_law_result *r = &res[i];
                if (r->status != PSL_LAW_FITTED || !ready[i]) continue;
                if (o->bootstrap > 0) {
#pragma omp task firstprivate(r, i)
                    err[i] |= law_bootstrap(r, o);
                }
                if (o->heldout) {
#pragma omp task firstprivate(r)
                    psl_heldout_largest_n(r->law, r->pts, r->n, &o->fit, &r->m, r->fit.u, &r->lnlo);
#pragma omp task firstprivate(r)
                    psl_heldout_kfold(r->law, r->pts, r->n, o->kfold, o->seed, &o->fit, &r->m,
                                      r->fit.u, &r->kfold);
                }
                if (!o->baselines) continue;
                lead[i] = i;
                for (int j = 0; j < i; j++)
                    if (res[j].status == PSL_LAW_FITTED && ready[j] && same_points(&res[j], r)) {
                        lead[i] = lead[j];
                        break;
                    }
                for (int b = 0; b < nb; b++)
                    if (psl_base_wanted(r->law, &psl_baselines[b]) &&
                        r->m.np > lawnp[lead[i] * nb + b])
                        lawnp[lead[i] * nb + b] = r->m.np;
            }
            for (int i = 0; i < nl && o->baselines; i++) {
                if (res[i].status != PSL_LAW_FITTED || !ready[i] || lead[i] != i) continue;
                for (int b = 0; b < nb; b++) {
                    if (!lawnp[i * nb + b]) continue;
#pragma omp task firstprivate(i, b)
                    {
                        psl_problem pr = law_problem(&res[i], o);
                        psl_base_fit_run(&psl_baselines[b], &pr, o->kfold, o->seed, o->heldout,
                                         &o->fit, lawnp[i * nb + b], &bf[i * nb + b]);
                    }
                }
            }
        }
        for (int i = 0; i < nl && !rc; i++) {
            psl_law_result *r = &res[i];
            if (err[i]) rc = -1;
            if (rc || r->status != PSL_LAW_FITTED || !ready[i] || !o->baselines) continue;
            const psl_base_fit *fits[PSL_MAXBASE] = {0};
            int k = 0;
            for (int b = 0; b < nb && k < PSL_MAXBASE; b++)
                if (psl_base_wanted(r->law, &psl_baselines[b])) fits[k++] = &bf[lead[i] * nb + b];
            /* the same points, targets, floor, k and seed as the law's own fit and k-fold
             * check */
            psl_problem pr = law_problem(r, o);
            if (psl_compare_judge(r->law, &pr, r->logpred, o->heldout ? &r->kfold : NULL, fits,
                                  &r->cmp))
                rc = -1;
        }
    }
    for (int k = 0; k < nl * nb; k++) psl_base_fit_free(&bf[k]);
    free(ready);
    free(err);
    free(lead);
    free(lawnp);
    free(bf);
    return rc;
}

int psl_analyze_law(const psl_law *law, const psl_data *d, const psl_analysis_opts *o,
                    psl_law_result *r) {
    return psl_analyze_laws(&law, 1, d, o, r);
}

void psl_law_result_free(psl_law_result *r) {
    free(r->pts);
    free(r->logy);
    free(r->logpred);
    free(r->boot_u);
    memset(r, 0, sizeof *r);
}

int psl_param_determined(const psl_law_result *r, int k) {
    return psl_boot_determined(&r->boot, r->m.logp[k], k, psl_model_value(&r->m, k, r->fit.u));
}

int psl_law_determined(const psl_law_result *r, int *ndet) {
    if (ndet) *ndet = 0;
    if (r->status == PSL_LAW_FAILED) return 0; /* no optimum: some direction runs away */
    int det = 0, known = r->status == PSL_LAW_FITTED;
    for (int k = 0; known && k < r->m.np; k++) {
        int d = psl_param_determined(r, k);
        if (d < 0) known = 0;
        det += d > 0;
    }
    if (ndet) *ndet = det;
    if (!known) return -1;
    return det == r->m.np;
}
