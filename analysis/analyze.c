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

int psl_analyze_law(const psl_law *law, const psl_data *d, const psl_analysis_opts *o,
                    psl_law_result *r) {
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
    psl_problem pr = {&r->m, r->pts, r->logy, NULL, r->n, o->fit.huber_delta, r->floor, 0};
    int rc = psl_fit_grid(&pr, &o->fit, &r->fit);
    /* predictions as measured: raised to the floor, like the targets they are scored on */
    for (size_t i = 0; i < r->n; i++) r->logpred[i] = psl_problem_lp(&pr, r->fit.u, NULL, i, NULL);
    psl_quality_eval(r->logy, r->logpred, r->n, &r->q);
    if (rc) {
        r->status = PSL_LAW_FAILED;
        snprintf(r->why, sizeof r->why, "did not converge from any of the best %d of %d starts: %s",
                 o->fit.polish, r->fit.starts, r->fit.msg);
        return 0;
    }
    r->status = PSL_LAW_FITTED;
    if (o->bootstrap > 0) {
        r->boot_u = malloc((size_t)o->bootstrap * (size_t)r->m.np * sizeof *r->boot_u);
        if (!r->boot_u ||
            psl_bootstrap(&pr, &o->fit, r->fit.u, o->bootstrap, o->seed, &r->boot, r->boot_u))
            return -1;
        /* the samples are shown values; derived quantities evaluate the laws at internal
         * ones */
        for (size_t k = 0; k < (size_t)o->bootstrap * (size_t)r->m.np; k++)
            if (r->m.logp[k % (size_t)r->m.np]) r->boot_u[k] = log(r->boot_u[k]);
    }
    if (o->heldout) {
        psl_heldout_largest_n(law, r->pts, r->n, &o->fit, &r->lnlo);
        psl_heldout_kfold(law, r->pts, r->n, o->kfold, o->seed, &o->fit, &r->kfold);
    }
    /* the same points, targets, floor, k and seed as the law's own fit and k-fold check */
    if (o->baselines && psl_compare_baselines(law, &pr, r->logpred, o->heldout ? &r->kfold : NULL,
                                              o->kfold, o->seed, o->heldout, &o->fit, &r->cmp))
        return -1;
    return 0;
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
