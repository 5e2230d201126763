#include "boot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "par.h"
#include "stats.h"

int psl_boot_determined(const psl_boot *b, int log_space, int k, double value) {
    if (b->ok < 10) return -1;
    double lo = b->lo[k], hi = b->hi[k];
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo)) return 0;
    if (log_space) return lo > 0 && hi <= 10 * lo;
    return (hi - lo) / 2 <= fabs(value);
}

uint64_t psl_rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct {
    const psl_problem *pr;
    const psl_fit_opts *o;
    const double *uhat;
    uint64_t seed;
    const int *rid; /* compact run id of each point */
    int R;          /* runs */
    double *S;      /* B x np shown values */
    int *fail;
} boot_ctx;

/* Replicate b: its own draw of the runs (a stream seeded by (seed, b)) and its own fit,
 * written to row b of S; nothing shared is written but *fail, so replicates may run in
 * any order on any thread. */
static void boot_replicate(const boot_ctx *c, int b) {
    const psl_problem *pr = c->pr;
    const psl_model *m = pr->m;
    int np = m->np, R = c->R;
    size_t n = pr->n;
    double *cnt = calloc((size_t)R, sizeof *cnt);
    double *w = malloc((n ? n : 1) * sizeof *w), *ly = malloc((n ? n : 1) * sizeof *ly);
    const psl_point **pts = malloc((n ? n : 1) * sizeof *pts);
    double *row = c->S + (size_t)b * (size_t)np;
    if (!cnt || !w || !ly || !pts) {
#pragma omp atomic write
        *c->fail = 1;
        for (int i = 0; i < np; i++) row[i] = NAN;
        free(cnt);
        free(w);
        free(ly);
        free(pts);
        return;
    }
    /* Each replicate's stream starts at a hash of (seed, b). Offsetting the state by b
     * instead would make replicate b+1 replay b's draws shifted by one, since the
     * generator advances its state by a constant: the replicates would be nearly
     * identical and the intervals far too narrow. */
    uint64_t st = c->seed;
    uint64_t h = psl_rng_next(&st);
    st = h ^ ((uint64_t)b * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    st = psl_rng_next(&st);
    for (int k = 0; k < R; k++) cnt[psl_rng_next(&st) % (uint64_t)R] += 1;
    /* the points of the runs drawn, in order, weighted by their multiplicity; those of
     * runs not drawn (about 37%) are left out, which changes no sum of the fit */
    size_t m2 = 0;
    for (size_t i = 0; i < n; i++)
        if (cnt[c->rid[i]] != 0) {
            pts[m2] = pr->pts[i];
            ly[m2] = pr->logy[i];
            w[m2++] = cnt[c->rid[i]];
        }
    psl_problem p2 = *pr;
    p2.pts = pts;
    p2.logy = ly;
    p2.w = w;
    p2.n = m2;
    p2.n_all = n;
    psl_fit f;
    psl_fit_opts ob = *c->o;
    ob.gtol = c->o->boot_gtol;
    int rc = psl_fit_polish(&p2, &ob, c->uhat, &f);
    for (int i = 0; i < np; i++) row[i] = rc == 0 ? psl_model_value(m, i, f.u) : NAN;
    free(cnt);
    free(w);
    free(ly);
    free(pts);
}

int psl_bootstrap(const psl_problem *pr, const psl_fit_opts *o, const double *uhat, int B,
                  uint64_t seed, psl_boot *out, double *samples) {
    const psl_model *m = pr->m;
    int np = m->np;
    size_t n = pr->n;
    memset(out, 0, sizeof *out);
    out->B = B;
    /* compact run ids 0..R-1 over these points */
    int *rid = malloc((n ? n : 1) * sizeof *rid);
    int *seen = NULL, maxrun = 0;
    for (size_t i = 0; i < n; i++)
        if (pr->pts[i]->run > maxrun) maxrun = pr->pts[i]->run;
    seen = malloc((size_t)(maxrun + 1) * sizeof *seen);
    double *own = samples ? NULL : malloc((size_t)(B ? B : 1) * (size_t)np * sizeof *own);
    double *S = samples ? samples : own;
    if (!rid || !seen || !S) {
        free(rid);
        free(seen);
        free(own);
        return -1;
    }
    for (int r = 0; r <= maxrun; r++) seen[r] = -1;
    int R = 0;
    for (size_t i = 0; i < n; i++) {
        int r = pr->pts[i]->run;
        if (seen[r] < 0) seen[r] = R++;
        rid[i] = seen[r];
    }
    int fail = 0;
    boot_ctx bc = {pr, o, uhat, seed, rid, R, S, &fail};
    PSL_PARALLEL_TASKLOOP(B, boot_replicate(&bc, b));
    double *col = malloc((size_t)(B ? B : 1) * sizeof *col);
    if (col) {
        for (int b = 0; b < B; b++) out->ok += isfinite(S[(size_t)b * (size_t)np]);
        for (int i = 0; i < np; i++) {
            int k = 0;
            double mean = 0;
            for (int b = 0; b < B; b++) {
                double v = S[(size_t)b * (size_t)np + (size_t)i];
                if (isfinite(v)) col[k++] = v, mean += v;
            }
            psl_interval95(col, k, 1, &out->lo[i], &out->hi[i]);
            mean = k ? mean / k : NAN;
            double ss = 0;
            for (int j = 0; j < k; j++) ss += (col[j] - mean) * (col[j] - mean);
            out->se[i] = k > 1 ? sqrt(ss / (k - 1)) : NAN;
        }
    }
    free(col);
    free(rid);
    free(seen);
    free(own);
    return fail || !col ? -1 : 0;
}

/* The full-data optimum (m0, u0) as a start for a model fm set up on part of the points:
 * each parameter takes the value of m0's parameter of the same name (the internal values
 * of both models are uncentred, so they carry over); one m0 lacks keeps its value in u. */
static void warm_start(const psl_model *fm, const psl_model *m0, const double *u0, const double *u,
                       double *uw) {
    for (int j = 0; j < fm->np; j++) {
        uw[j] = u[j];
        for (int k = 0; k < m0->np; k++)
            if (!strcmp(fm->pname[j], m0->pname[k])) {
                uw[j] = u0[k];
                break;
            }
    }
}

/* The parameter that moved furthest (in the fitted, internal space: log for positive
 * parameters) between the start uw and where the fit g stopped: the direction the
 * objective keeps falling along. Beyond 3 (a factor e^3 = 20 for a positive parameter) it
 * is said to run away, towards 0 or infinity; a smaller move is a slow convergence. */
static void runaway(const psl_model *m, const double *uw, const psl_fit *g, char *b, size_t len) {
    int jm = -1;
    double dm = 0;
    for (int j = 0; j < m->np; j++) {
        /* a parameter whose value is already infinite (or 0 for a positive one), at the
         * start or where it stopped, first */
        double a = psl_model_value(m, j, uw), z = psl_model_value(m, j, g->u);
        int atinf = !isfinite(a) || !isfinite(z) || (m->logp[j] && (a == 0 || z == 0));
        double d = atinf ? INFINITY : fabs(g->u[j] - uw[j]);
        if (jm < 0 || d > dm) jm = j, dm = d;
    }
    if (jm < 0) {
        snprintf(b, len, "no parameter moved");
        return;
    }
    int down = g->u[jm] < uw[jm];
    if (!isfinite(dm)) { /* towards the side it already reached */
        double a = psl_model_value(m, jm, uw), z = psl_model_value(m, jm, g->u);
        double at = !isfinite(z) || (m->logp[jm] && z == 0) ? z : a;
        down = m->logp[jm] ? at == 0 : at < 0;
    }
    if (dm > 3)
        snprintf(b, len,
                 "%s runs away towards %s (%.4g at the full-data optimum, %.4g where the "
                 "fit stopped)",
                 m->pname[jm], down ? (m->logp[jm] ? "0" : "-infinity") : "+infinity",
                 psl_model_value(m, jm, uw), psl_model_value(m, jm, g->u));
    else
        snprintf(b, len,
                 "%s moved most (%.4g at the full-data optimum, %.4g where the fit "
                 "stopped: a slow convergence, no parameter runs away)",
                 m->pname[jm], psl_model_value(m, jm, uw), psl_model_value(m, jm, g->u));
}

/* Fits law on pts[train] and writes log predictions of every test point into lp. A fit
 * from the start grid that does not converge is started again from the full-data optimum
 * (m0, u0; NULL: none) with 20 times the iterations and, failing that, continued from
 * where it stopped (BFGS, then IRLS: psl_fit_polish); *warm is set when one of those
 * converged. When none does, why
 * names the parameter that runs away. */
static int fit_predict(const psl_law *law, const psl_point *const *train, size_t ntr,
                       const psl_point *const *test, size_t nte, const psl_fit_opts *o,
                       const psl_model *m0, const double *u0, double *lp, int *warm, char *why,
                       size_t len) {
    psl_model m;
    *warm = 0;
    if (psl_model_setup(&m, law, train, ntr, why, len)) return 1;
    double *ly = malloc((ntr ? ntr : 1) * sizeof *ly);
    if (!ly) return -1;
    double dfloor = law->target == PSL_TARGET_DELTA ? o->delta_floor : 0;
    psl_log_targets(law, train, ntr, dfloor, ly);
    psl_problem pr = {&m, train, ly, NULL, ntr, o->huber_delta, dfloor, 0};
    psl_fit f;
    int rc = psl_fit_grid(&pr, o, &f);
    if (rc && m0 && u0) {
        double uw[PSL_MAXP];
        warm_start(&m, m0, u0, f.u, uw);
        psl_fit g, h;
        /* near the fold's optimum a fit that crawls along a flat valley gets 20 times the
         * iterations (on the demo, tied Chinchilla on the 6 runs of the two smaller N
         * converges only so) */
        psl_fit_opts o2 = *o;
        o2.max_iter *= 20;
        if (psl_fit_polish(&pr, &o2, uw, &g) == 0) {
            f = g, rc = 0, *warm = 1;
        } else if (rc > 0 && psl_fit_polish(&pr, o, f.u, &h) == 0) {
            f = h, rc = 0, *warm = 2;
        } else {
            char ra[200];
            runaway(&m, uw, &g, ra, sizeof ra);
            snprintf(why, len,
                     "fit on the training part did not converge, from the start grid (%s) nor "
                     "from the full-data optimum (%s): %s",
                     f.msg, g.msg, ra);
            free(ly);
            return 1;
        }
    }
    free(ly);
    if (rc) {
        snprintf(why, len, "fit on the training part did not converge: %s", f.msg);
        return 1;
    }
    for (size_t i = 0; i < nte; i++)
        lp[i] = psl_floor_lp(law->logpred(&m, f.u, test[i], NULL), dfloor, NULL);
    return 0;
}

static int cmpd_desc(const void *a, const void *b) {
    return psl_cmp_double(b, a);
}

void psl_heldout_largest_n(const psl_law *law, const psl_point *const *pts, size_t n,
                           const psl_fit_opts *o, const psl_model *m0, const double *u0,
                           psl_heldout *out) {
    memset(out, 0, sizeof *out);
    const psl_point **tr = malloc((n ? n : 1) * sizeof *tr);
    const psl_point **te = malloc((n ? n : 1) * sizeof *te);
    double *ly = malloc((n ? n : 1) * sizeof *ly), *lp = malloc((n ? n : 1) * sizeof *lp);
    double *nv = malloc((n ? n : 1) * sizeof *nv);
    size_t a = 0, b = 0;
    if (tr && te && ly && lp && nv && n) {
        /* the distinct N, largest first; the largest is held out, and the next ones while
         * the held-out points stay within PSL_LNLO_SHARE of all (and two N stay to fit) */
        for (size_t i = 0; i < n; i++) nv[i] = pts[i]->N;
        qsort(nv, n, sizeof *nv, cmpd_desc);
        size_t nd = 0, cnt = 0, nh = 0;
        for (size_t i = 0; i < n; i++)
            if (!nd || nv[i] != nv[nd - 1]) nv[nd++] = nv[i];
        double nlo = nv[0];
        for (size_t k = 0; k < nd; k++) {
            size_t c = 0;
            for (size_t i = 0; i < n; i++) c += pts[i]->N == nv[k];
            if (k > 0 && (k + 3 > nd || (double)(cnt + c) > PSL_LNLO_SHARE * (double)n)) break;
            cnt += c, nh++, nlo = nv[k];
        }
        for (size_t i = 0; i < n; i++) {
            if (pts[i]->N >= nlo)
                te[b++] = pts[i];
            else
                tr[a++] = pts[i];
        }
        out->nvals = (int)nh;
        out->nlo = nlo;
        out->nhi = nv[0];
        char why[640], what[120];
        if (nh > 1)
            snprintf(what, sizeof what, "the %zu largest N (%g to %g, %zu of %zu points)", nh, nlo,
                     nv[0], b, n);
        else
            snprintf(what, sizeof what, "N = %g", nv[0]);
        int warm;
        int rc = fit_predict(law, tr, a, te, b, o, m0, u0, lp, &warm, why, sizeof why);
        if (rc == 0) {
            out->warm = warm != 0;
            psl_log_targets(law, te, b, law->target == PSL_TARGET_DELTA ? o->delta_floor : 0, ly);
            psl_quality_eval(ly, lp, b, &out->q);
            out->ok = 1;
            out->nfit = a;
            out->folds = 1;
        } else {
            snprintf(out->why, sizeof out->why, "holding out %s: %s", what,
                     rc < 0 ? "out of memory" : why);
        }
    } else {
        snprintf(out->why, sizeof out->why, n ? "out of memory" : "no points");
    }
    free(tr);
    free(te);
    free(ly);
    free(lp);
    free(nv);
}

typedef struct {
    double N, D;
} cell;

static int cmpcell(const void *x, const void *y) {
    const cell *a = x, *b = y;
    if (a->N != b->N) return (a->N > b->N) - (a->N < b->N);
    return (a->D > b->D) - (a->D < b->D);
}

typedef struct {
    const psl_law *law;
    const psl_point *const *pts;
    size_t n;
    const int *fold;
    const psl_fit_opts *o;
    const psl_model *m0;
    const double *u0;
    double *flp, *fly;
    const size_t *foff;
    int *frc, *fwarm;
    size_t *fcount, *fnfit;
    char (*fwhy)[640];
} fold_ctx;

/* Fold f: fit on the other folds, predict this one into its own slots. */
static void fold_fit(const fold_ctx *c, int f) {
    size_t n = c->n, sz = n ? n : 1;
    const psl_point **ftr = malloc(sz * sizeof *ftr), **fte = malloc(sz * sizeof *fte);
    if (!ftr || !fte) {
        c->frc[f] = -1;
    } else {
        size_t a = 0, b = 0;
        for (size_t i = 0; i < n; i++) {
            if (c->fold[i] == f)
                fte[b++] = c->pts[i];
            else
                ftr[a++] = c->pts[i];
        }
        c->frc[f] = fit_predict(c->law, ftr, a, fte, b, c->o, c->m0, c->u0, c->flp + c->foff[f],
                                &c->fwarm[f], c->fwhy[f], sizeof c->fwhy[f]);
        psl_log_targets(c->law, fte, b, c->law->target == PSL_TARGET_DELTA ? c->o->delta_floor : 0,
                        c->fly + c->foff[f]);
        c->fcount[f] = b;
        c->fnfit[f] = a;
    }
    free(ftr);
    free(fte);
}

void psl_heldout_kfold(const psl_law *law, const psl_point *const *pts, size_t n, int k,
                       uint64_t seed, const psl_fit_opts *o, const psl_model *m0, const double *u0,
                       psl_heldout *out) {
    memset(out, 0, sizeof *out);
    size_t sz = n ? n : 1;
    cell *c = malloc(sz * sizeof *c);
    int *fold = malloc(sz * sizeof *fold);
    const psl_point **tr = malloc(sz * sizeof *tr), **te = malloc(sz * sizeof *te);
    double *ly = malloc(sz * sizeof *ly), *lp = malloc(sz * sizeof *lp);
    double *aly = malloc(sz * sizeof *aly), *alp = malloc(sz * sizeof *alp);
    if (!c || !fold || !tr || !te || !ly || !lp || !aly || !alp) {
        snprintf(out->why, sizeof out->why, "out of memory");
        goto done;
    }
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) c[nc++] = (cell){pts[i]->N, pts[i]->D};
    qsort(c, nc, sizeof *c, cmpcell);
    size_t u = 0;
    for (size_t i = 0; i < nc; i++)
        if (!u || cmpcell(&c[i], &c[u - 1])) c[u++] = c[i];
    nc = u;
    if (nc < 3) {
        snprintf(out->why, sizeof out->why, "only %zu (N, D) cells; need at least 3", nc);
        goto done;
    }
    if ((size_t)k > nc) k = (int)nc;
    uint64_t st = seed ^ 0xC0FFEEull;
    for (size_t i = nc - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = psl_rng_next(&st) % (i + 1);
        cell t = c[i];
        c[i] = c[j];
        c[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        cell key = {pts[i]->N, pts[i]->D};
        for (size_t j = 0; j < nc; j++)
            if (!cmpcell(&key, &c[j])) {
                fold[i] = (int)(j % (size_t)k);
                break;
            }
    }
    /* Folds are independent fits: run them in parallel, each with its own buffers,
     * then pool the predictions in fold order (the same result for any thread count). */
    int *frc = calloc((size_t)k, sizeof *frc), *fwarm = calloc((size_t)k, sizeof *fwarm);
    size_t *fcount = calloc((size_t)k, sizeof *fcount), *fnfit = calloc((size_t)k, sizeof *fnfit);
    char(*fwhy)[640] = calloc((size_t)k, sizeof *fwhy);
    double *fly = malloc(sz * sizeof *fly), *flp = malloc(sz * sizeof *flp);
    size_t *foff = calloc((size_t)k + 1, sizeof *foff);
    if (!frc || !fwarm || !fcount || !fnfit || !fwhy || !fly || !flp || !foff) {
        snprintf(out->why, sizeof out->why, "out of memory");
        goto fold_done;
    }
    for (size_t i = 0; i < n; i++) foff[fold[i] + 1]++;
    for (int f = 0; f < k; f++) foff[f + 1] += foff[f];
    fold_ctx fc = {law, pts, n, fold, o, m0, u0, flp, fly, foff, frc, fwarm, fcount, fnfit, fwhy};
    PSL_PARALLEL_TASKLOOP(k, fold_fit(&fc, b));
    size_t tot = 0;
    for (int f = 0; f < k; f++) {
        if (frc[f]) {
            snprintf(out->why, sizeof out->why, "fold %d of %d: %s", f + 1, k,
                     frc[f] < 0 ? "out of memory" : fwhy[f]);
            goto fold_done;
        }
        memcpy(aly + tot, fly + foff[f], fcount[f] * sizeof *aly);
        memcpy(alp + tot, flp + foff[f], fcount[f] * sizeof *alp);
        tot += fcount[f];
        out->nfit += fnfit[f];
        out->warm += fwarm[f] != 0;
    }
    psl_quality_eval(aly, alp, tot, &out->q);
    out->ok = 1;
    out->folds = k;
fold_done:
    free(frc);
    free(fwarm);
    free(fcount);
    free(fnfit);
    free(fwhy);
    free(fly);
    free(flp);
    free(foff);
done:
    free(c);
    free(fold);
    free(tr);
    free(te);
    free(ly);
    free(lp);
    free(aly);
    free(alp);
}
