#include "fit.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmath.h"

void psl_fit_opts_default(psl_fit_opts *o) {
    o->huber_delta = 1e-3;
    o->polish = 8;
    o->max_grid = 4096;
    o->max_iter = 500;
    o->restarts = 4;
    o->scout_iter = 100;
    o->gtol = 1e-7;
    /* Replicates start at the optimum and IRLS converges fast there. Measured on joint
     * N_eff sets: replicate parameters at 1e-4 agree with those at 1e-7 to about 1% of
     * their bootstrap SE; 1e-5 leaves a margin. */
    o->boot_gtol = 1e-5;
    o->delta_floor = 0;
}

void psl_log_targets(const psl_law *law, const psl_point *const *pts, size_t n, double dfloor,
                     double *logy) {
    int censor = law->target == PSL_TARGET_DELTA && dfloor > 0;
    for (size_t i = 0; i < n; i++) {
        double y = psl_target_value(law, pts[i]);
        logy[i] = log(censor && !(y > dfloor) ? dfloor : y);
    }
}

/* psl_floor_lp with lf = log(dfloor) given, dfloor > 0 */
static double floor_lp_log(double lp, double lf, double *dlp) {
    /* (1/K) log(e^{K lp} + e^{K lf}) as a log-sum-exp; the weight of lp is d/dlp */
    double a = PSL_FLOOR_K * lp, b = PSL_FLOOR_K * lf;
    if (lp == -INFINITY) {
        if (dlp) *dlp = 0;
        return lf;
    }
    /* exp(+0) = 1 exactly for the larger term (not at m = +inf, where it is NaN) */
    double m = a > b ? a : b;
    int fin = isfinite(m);
    double ea = fin && a == m ? 1.0 : psl_exp(a - m), eb = fin && b == m ? 1.0 : psl_exp(b - m);
    if (dlp) *dlp = ea / (ea + eb);
    return (m + psl_log(ea + eb)) / PSL_FLOOR_K;
}

double psl_floor_lp(double lp, double dfloor, double *dlp) {
    if (!(dfloor > 0)) {
        if (dlp) *dlp = 1;
        return lp;
    }
    return floor_lp_log(lp, log(dfloor), dlp);
}

double psl_problem_lp_at(const psl_problem *pr, const double *u, const psl_prep *prep,
                         double lfloor, size_t i, double *grad) {
    double lp = psl_eval(pr->m, u, prep, pr->pts[i], grad);
    if (!(pr->floor > 0)) return lp;
    double w;
    double r = floor_lp_log(lp, lfloor, &w);
    if (grad)
        for (int j = 0; j < pr->m->np; j++) grad[j] = w == 0 ? 0 : grad[j] * w;
    return r;
}

double psl_problem_lp(const psl_problem *pr, const double *u, const psl_prep *prep, size_t i,
                      double *grad) {
    return psl_problem_lp_at(pr, u, prep, pr->floor > 0 ? log(pr->floor) : 0, i, grad);
}

/* psl_objective, stopping early without a gradient once the sum reaches bound: every
 * term is >= 0 (weights >= 0), and a rounded sum of such terms never decreases, so the
 * full sum is then >= bound too. Returns the full sum when it is below bound (or bound is
 * +inf, or NaN comes first), else some partial sum >= bound. */
static double objective_bounded(const psl_problem *pr, const double *u, double *grad,
                                double bound) {
    const psl_model *m = pr->m;
    int np = m->np;
    double g[PSL_MAXP], f = 0, d = pr->delta;
    if (grad) memset(grad, 0, (size_t)np * sizeof *grad);
    psl_prep pb;
    const psl_prep *prep = psl_prepare(m, u, &pb);
    double lf = pr->floor > 0 ? log(pr->floor) : 0;
    for (size_t i = 0; i < pr->n; i++) {
        double w = pr->w ? pr->w[i] : 1;
        if (w == 0) continue;
        double lp = psl_problem_lp_at(pr, u, prep, lf, i, grad ? g : NULL);
        double r = lp - pr->logy[i];
        double a = fabs(r), psi;
        if (a <= d) {
            f += w * 0.5 * r * r;
            psi = r;
        } else {
            f += w * d * (a - 0.5 * d);
            psi = r > 0 ? d : -d;
        }
        if (grad)
            for (int j = 0; j < np; j++) grad[j] += w * psi * g[j];
        else if (f >= bound)
            return f;
    }
    return f;
}

double psl_objective(const psl_problem *pr, const double *u, double *grad) {
    return objective_bounded(pr, u, grad, INFINITY);
}

/* GSL sees the centred parameters v (psl_model_to_u) and the objective divided by
 * delta^2, so that a point with residual delta costs 1/2: the line search's internal
 * tolerances then meet numbers of order one instead of 1e-6. (A sum, not a mean: the
 * minimiser is unchanged and the gradient does not shrink with more runs.)
 *
 * BFGS2's line search asks for the gradient at nearly every point whose value it asked
 * for just before (measured on bench_fit.sh's runs: 448791 of 451779 gradient calls), so
 * a value call computes the gradient as well and keeps both for a gradient call at the
 * same point: the objective's sum is the same with and without the gradient, and each
 * call scales it as before. */
typedef struct {
    const psl_problem *pr;
    int have;            /* obj, gu are at x */
    double x[PSL_MAXP];  /* GSL's v */
    double obj;          /* psl_objective at x */
    double gu[PSL_MAXP]; /* its gradient, d/du */
} gsl_ctx;

/* psl_objective and its gradient at GSL's x, from the cache when x is the last point */
static double ctx_eval(gsl_ctx *c, const gsl_vector *x, double *gu) {
    size_t np = (size_t)c->pr->m->np;
    if (c->have && !memcmp(c->x, x->data, np * sizeof *c->x)) {
        memcpy(gu, c->gu, np * sizeof *gu);
        return c->obj;
    }
    double u[PSL_MAXP];
    psl_model_to_u(c->pr->m, x->data, u);
    c->obj = psl_objective(c->pr, u, c->gu);
    memcpy(c->x, x->data, np * sizeof *c->x);
    c->have = 1;
    memcpy(gu, c->gu, np * sizeof *gu);
    return c->obj;
}

static double gsl_f(const gsl_vector *x, void *p) {
    gsl_ctx *c = p;
    double gu[PSL_MAXP];
    double v = ctx_eval(c, x, gu) / (c->pr->delta * c->pr->delta);
    return isfinite(v) ? v : GSL_POSINF;
}
static void gsl_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g) {
    gsl_ctx *c = p;
    const psl_problem *pr = c->pr;
    double gu[PSL_MAXP], gv[PSL_MAXP], s = 1 / (pr->delta * pr->delta);
    *f = ctx_eval(c, x, gu) * s;
    if (!isfinite(*f)) *f = GSL_POSINF;
    psl_model_grad_v(pr->m, gu, gv);
    for (size_t i = 0; i < g->size; i++) gsl_vector_set(g, i, gv[i] * s);
}
static void gsl_df(const gsl_vector *x, void *p, gsl_vector *g) {
    double f;
    gsl_fdf(x, p, &f, g);
}

/* The first degradation constant C_x (start grid PSL_G_CX) whose shown value is not
 * finite (log C_x past 709), or -1. There the factor 1 - exp(-C_x (P_x - P_post)) is
 * exactly 1 and the objective flat, with gradient 0 (laws.c); a fit that stops there has
 * not found an optimum but C_x running away, and is not counted as converged (as before
 * the gradient was made finite there, when it was NaN). Other parameters keep their
 * infinite limits (gamma_post -> infinity: no dependence on the PTQ bits). */
int psl_fit_infinite_param(const psl_model *m, const double *u) {
    for (int i = 0; i < m->np; i++)
        if (m->grid[i] == PSL_G_CX && !isfinite(psl_model_value(m, i, u))) return i;
    return -1;
}

static double sum_w(const psl_problem *pr) {
    if (!pr->w) return (double)pr->n;
    double s = 0;
    for (size_t i = 0; i < pr->n; i++) s += pr->w[i];
    return s;
}

int psl_fit_from(const psl_problem *pr, const psl_fit_opts *o, const double *u0, psl_fit *out) {
    int np = pr->m->np;
    memset(out, 0, sizeof *out);
    memcpy(out->u, u0, (size_t)np * sizeof *u0);
    out->obj = GSL_POSINF;
    gsl_ctx ctx = {.pr = pr};
    gsl_multimin_function_fdf fdf = {gsl_f, gsl_df, gsl_fdf, (size_t)np, &ctx};
    gsl_vector *x = gsl_vector_alloc((size_t)np);
    gsl_multimin_fdfminimizer *s =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)np);
    if (!x || !s) {
        snprintf(out->msg, sizeof out->msg, "out of memory");
        gsl_vector_free(x);
        if (s) gsl_multimin_fdfminimizer_free(s);
        return -1;
    }
    double v0[PSL_MAXP];
    psl_model_to_v(pr->m, u0, v0);
    for (int i = 0; i < np; i++) gsl_vector_set(x, (size_t)i, v0[i]);
    /* gradient scale in GSL's units: each point contributes at most delta/delta^2 */
    double scale = sum_w(pr) / pr->delta;
    int rc = GSL_SUCCESS, status = GSL_CONTINUE, it = 0;
    double gn = NAN;
    /* A few restarts from the current point: BFGS's curvature estimate goes stale in
     * the long curved valleys of these objectives, and a fresh start moves on. */
    for (int restart = 0; restart < o->restarts && !out->converged; restart++) {
        rc = gsl_multimin_fdfminimizer_set(s, &fdf, x, 0.1, 0.1);
        if (rc != GSL_SUCCESS) break;
        status = GSL_CONTINUE;
        for (int k = 1; k <= o->max_iter; k++) {
            it++;
            status = gsl_multimin_fdfminimizer_iterate(s);
            if (status) break;
            status = gsl_multimin_test_gradient(s->gradient, o->gtol * scale);
            if (status != GSL_CONTINUE) break;
        }
        gn = gsl_blas_dnrm2(s->gradient);
        double fv = gsl_multimin_fdfminimizer_minimum(s);
        if (!isfinite(fv) || !isfinite(gn)) break;
        if (status == GSL_SUCCESS || (status == GSL_ENOPROG && gn <= 1e3 * o->gtol * scale))
            /* Huber's kinks can stop the line search just short of the test; a gradient
             * within 1000x of the tolerance is accepted. */
            out->converged = 1;
        gsl_vector_memcpy(x, gsl_multimin_fdfminimizer_x(s));
    }
    gsl_vector *xs = gsl_multimin_fdfminimizer_x(s);
    psl_model_to_u(pr->m, xs->data, out->u);
    out->obj = gsl_multimin_fdfminimizer_minimum(s) * pr->delta * pr->delta;
    out->gnorm = gn * pr->delta * pr->delta;
    out->iters = it;
    int inf = psl_fit_infinite_param(pr->m, out->u);
    if (out->converged && inf >= 0) {
        out->converged = 0;
        snprintf(out->msg, sizeof out->msg,
                 "stopped with %s = %g after %d iterations (|grad| %.3g): it runs away",
                 pr->m->pname[inf], psl_model_value(pr->m, inf, out->u), it, gn);
    } else if (!out->converged)
        snprintf(out->msg, sizeof out->msg, "%s after %d iterations (|grad| %.3g, tolerance %.3g)",
                 rc                       ? gsl_strerror(rc)
                 : status == GSL_CONTINUE ? "iteration limit"
                                          : gsl_strerror(status),
                 it, gn, o->gtol * scale);
    gsl_multimin_fdfminimizer_free(s);
    gsl_vector_free(x);
    return out->converged ? 0 : 1;
}

int psl_fit_polish(const psl_problem *pr, const psl_fit_opts *o, const double *u0, psl_fit *out) {
    /* IRLS first: from a nearby start its Gauss-Newton curvature converges in tens of
     * steps where BFGS needs hundreds. BFGS takes over when IRLS stalls (far from the
     * optimum a weighted least-squares model can mislead), then IRLS finishes. */
    int rc = psl_fit_irls(pr, o, u0, out);
    if (rc <= 0) return rc;
    psl_fit b;
    psl_fit_from(pr, o, isfinite(out->obj) ? out->u : u0, &b);
    if (isfinite(b.obj) && (!isfinite(out->obj) || b.obj <= out->obj)) {
        b.iters += out->iters;
        *out = b;
    }
    if (out->converged || !isfinite(out->obj)) return out->converged ? 0 : 1;
    psl_fit g;
    int rc2 = psl_fit_irls(pr, o, out->u, &g);
    if (isfinite(g.obj) && g.obj <= out->obj) {
        g.iters += out->iters;
        *out = g;
        return rc2;
    }
    return 1;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int psl_fit_grid(const psl_problem *pr, const psl_fit_opts *o, psl_fit *out) {
    const psl_model *m = pr->m;
    int np = m->np;
    const double *vals[PSL_MAXP];
    int cnt[PSL_MAXP];
    double total = 1;
    for (int i = 0; i < np; i++) {
        cnt[i] = psl_grid_values(m->grid[i], &vals[i]);
        total *= cnt[i];
    }
    long ng = total > o->max_grid ? o->max_grid : (long)total;
    int keep = o->polish < 1 ? 1 : o->polish;
    double *best_u = malloc((size_t)keep * PSL_MAXP * sizeof *best_u);
    double *best_f = malloc((size_t)keep * sizeof *best_f);
    if (!best_u || !best_f) {
        free(best_u);
        free(best_f);
        memset(out, 0, sizeof *out);
        snprintf(out->msg, sizeof out->msg, "out of memory");
        return -1;
    }
    int nb = 0;
    uint64_t rng = 0x5eed5eedull + (uint64_t)np;
    for (long g = 0; g < ng; g++) {
        double u[PSL_MAXP];
        long rest = g;
        for (int i = 0; i < np; i++) {
            /* whole product in order, or a fixed-seed sample of it when too large */
            int k = total > o->max_grid ? (int)(splitmix(&rng) % (uint64_t)cnt[i])
                                        : (int)(rest % cnt[i]);
            rest /= cnt[i];
            u[i] = vals[i][k];
        }
        /* a start that cannot enter the kept set is abandoned as soon as its partial sum
         * shows it (the kept set, and so the fit, are the same as with full sums) */
        double f = objective_bounded(pr, u, NULL, nb < keep ? INFINITY : best_f[nb - 1]);
        if (!isfinite(f)) continue;
        if (nb < keep || f < best_f[nb - 1]) {
            int j = nb < keep ? nb++ : nb - 1;
            while (j > 0 && best_f[j - 1] > f) {
                best_f[j] = best_f[j - 1];
                memcpy(best_u + (size_t)j * PSL_MAXP, best_u + (size_t)(j - 1) * PSL_MAXP,
                       PSL_MAXP * sizeof *best_u);
                j--;
            }
            best_f[j] = f;
            memcpy(best_u + (size_t)j * PSL_MAXP, u, (size_t)np * sizeof *u);
        }
    }
    memset(out, 0, sizeof *out);
    out->obj = GSL_POSINF;
    int have = 0;
    /* Scouting: every kept start gets a short BFGS run; the three best go on to
     * convergence. Most starts of a grid lead to the same basin, and the long tail of
     * iterations is only worth paying for the leaders. */
    psl_fit_opts so = *o;
    so.max_iter = o->scout_iter;
    so.restarts = 1;
    psl_fit *scout = malloc((size_t)(nb ? nb : 1) * sizeof *scout);
    if (!scout) nb = 0;
    for (int j = 0; j < nb; j++) psl_fit_from(pr, &so, best_u + (size_t)j * PSL_MAXP, &scout[j]);
    for (int round = 0; round < 3 && nb; round++) {
        int bj = -1;
        for (int j = 0; j < nb; j++)
            if (isfinite(scout[j].obj) && (bj < 0 || scout[j].obj < scout[bj].obj)) bj = j;
        if (bj < 0) break;
        psl_fit f;
        if (scout[bj].converged)
            f = scout[bj];
        else
            psl_fit_polish(pr, o, scout[bj].u, &f);
        scout[bj].obj = GSL_POSINF; /* taken */
        if (!isfinite(f.obj)) continue;
        /* prefer converged fits; among equals the lower objective */
        if (!have || (f.converged > out->converged) ||
            (f.converged == out->converged && f.obj < out->obj)) {
            *out = f;
            have = 1;
        }
    }
    free(scout);
    out->starts = (int)ng;
    free(best_u);
    free(best_f);
    if (!have) {
        snprintf(out->msg, sizeof out->msg, "objective not finite at any of %ld starts", ng);
        return -1;
    }
    return out->converged ? 0 : 1;
}

void psl_quality_eval(const double *logy, const double *logpred, size_t n, psl_quality *q) {
    memset(q, 0, sizeof *q);
    double my = 0, ml = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(logpred[i])) {
            ml += logy[i];
            my += exp(logy[i]);
            k++;
        }
    q->n = k;
    if (!k) {
        q->r2_log = q->rmse_log = q->r2_lin = q->rmse_lin = NAN;
        return;
    }
    ml /= (double)k;
    my /= (double)k;
    double sl = 0, tl = 0, sy = 0, ty = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(logpred[i])) continue;
        double a = logpred[i] - logy[i], b = exp(logpred[i]) - exp(logy[i]);
        sl += a * a;
        tl += (logy[i] - ml) * (logy[i] - ml);
        sy += b * b;
        ty += (exp(logy[i]) - my) * (exp(logy[i]) - my);
    }
    q->rmse_log = sqrt(sl / (double)k);
    q->rmse_lin = sqrt(sy / (double)k);
    q->r2_log = tl > 0 ? 1 - sl / tl : NAN;
    q->r2_lin = ty > 0 ? 1 - sy / ty : NAN;
}
