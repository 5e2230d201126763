/* Huber fit by iteratively reweighted least squares on GSL's trust-region solver
 * (multifit_nlinear, Levenberg-Marquardt). Weighted least squares with weights
 * w_i min(1, delta/|r_i|) has the Huber objective's gradient at the current residuals,
 * so its fixed point is the Huber minimum; the Gauss-Newton curvature makes it far
 * faster than BFGS from a nearby start, which is what bootstrap replicates need. */
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

/* Residuals and Jacobian (d/dv) at one point x, shared by the reweighting pass and GSL's
 * f and df callbacks: GSL asks for f and df at the point the pass has just evaluated, and
 * its trust-region step evaluates df at the accepted point the next pass starts from. So
 * each point is evaluated once instead of up to three times. */
typedef struct {
    const psl_problem *pr;
    size_t p;
    double x[PSL_MAXP];
    int have_r, have_j; /* r (and J) hold the values at x */
    double *r;          /* n */
    double *J;          /* n x p, row-major */
} irls_cache;

static int cache_eval(irls_cache *c, const double *x, int want_j) {
    int same = (c->have_r || c->have_j) && !memcmp(c->x, x, c->p * sizeof *x);
    if (same && c->have_r && (!want_j || c->have_j)) return GSL_SUCCESS;
    const psl_problem *pr = c->pr;
    double u[PSL_MAXP], gu[PSL_MAXP], gv[PSL_MAXP];
    psl_model_to_u(pr->m, x, u);
    psl_prep pb;
    const psl_prep *prep = psl_prepare(pr->m, u, &pb);
    c->have_r = c->have_j = 0;
    for (size_t i = 0; i < pr->n; i++) {
        double r = psl_problem_lp(pr, u, prep, i, want_j ? gu : NULL) - pr->logy[i];
        if (!isfinite(r)) return GSL_EDOM;
        c->r[i] = r;
        if (want_j) {
            psl_model_grad_v(pr->m, gu, gv);
            memcpy(c->J + i * c->p, gv, c->p * sizeof *gv);
        }
    }
    memcpy(c->x, x, c->p * sizeof *x);
    c->have_r = 1;
    c->have_j = want_j;
    return GSL_SUCCESS;
}

static int res_f(const gsl_vector *x, void *vc, gsl_vector *f) {
    irls_cache *c = vc;
    int rc = cache_eval(c, x->data, 0);
    if (rc) return rc;
    for (size_t i = 0; i < c->pr->n; i++) gsl_vector_set(f, i, c->r[i]);
    return GSL_SUCCESS;
}

static int res_df(const gsl_vector *x, void *vc, gsl_matrix *J) {
    irls_cache *c = vc;
    int rc = cache_eval(c, x->data, 1);
    if (rc) return rc;
    for (size_t i = 0; i < c->pr->n; i++)
        for (size_t j = 0; j < c->p; j++) gsl_matrix_set(J, i, j, c->J[i * c->p + j]);
    return GSL_SUCCESS;
}

int psl_fit_irls(const psl_problem *pr, const psl_fit_opts *o, const double *u0, psl_fit *out) {
    const psl_model *m = pr->m;
    size_t n = pr->n, p = (size_t)m->np;
    memset(out, 0, sizeof *out);
    memcpy(out->u, u0, p * sizeof *u0);
    out->obj = INFINITY;
    if (n < p) {
        snprintf(out->msg, sizeof out->msg, "fewer points than parameters");
        return 1;
    }
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    /* n >> p here: the normal equations (Cholesky, with the trust region's damping) cost
     * a fraction of the default QR of the n x p Jacobian */
    fp.solver = gsl_multifit_nlinear_solver_cholesky;
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, p);
    gsl_vector *x = gsl_vector_alloc(p), *wt = gsl_vector_alloc(n);
    irls_cache c = {pr, p, {0}, 0, 0, malloc(n * sizeof(double)), malloc(n * p * sizeof(double))};
    if (!w || !x || !wt || !c.r || !c.J) {
        if (w) gsl_multifit_nlinear_free(w);
        gsl_vector_free(x);
        gsl_vector_free(wt);
        free(c.r);
        free(c.J);
        snprintf(out->msg, sizeof out->msg, "out of memory");
        return -1;
    }
    gsl_multifit_nlinear_fdf fdf = {res_f, res_df, NULL, n, p, &c, 0, 0, 0};
    double v[PSL_MAXP], gv[PSL_MAXP];
    psl_model_to_v(m, u0, v);
    memcpy(x->data, v, p * sizeof *v);
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale += pr->w ? pr->w[i] : 1;
    scale *= o->huber_delta;
    double f = INFINITY, gn = INFINITY;
    int it = 0, status = GSL_SUCCESS;
    double fprev = INFINITY;
    for (int outer = 0; outer < o->max_iter; outer++) {
        /* one pass: Huber objective, its gradient and the IRLS weights */
        double fn = 0;
        memset(gv, 0, p * sizeof *gv);
        if (cache_eval(&c, x->data, 1)) fn = NAN;
        for (size_t i = 0; i < n && isfinite(fn); i++) {
            double bw = pr->w ? pr->w[i] : 1;
            double r = c.r[i];
            double a = fabs(r), d = o->huber_delta, psi;
            if (a <= d) {
                fn += bw * 0.5 * r * r;
                psi = r;
            } else {
                fn += bw * d * (a - 0.5 * d);
                psi = r > 0 ? d : -d;
            }
            gsl_vector_set(wt, i, bw * (a <= d ? 1 : d / a));
            if (bw != 0)
                for (size_t j = 0; j < p; j++) gv[j] += bw * psi * c.J[i * p + j];
        }
        if (!isfinite(fn) || !(fn <= fprev)) {
            /* the last step made things worse: go back to where it started */
            memcpy(x->data, v, p * sizeof *v);
            break;
        }
        memcpy(v, x->data, p * sizeof *v);
        f = fn;
        gn = 0;
        for (size_t j = 0; j < p; j++) gn += gv[j] * gv[j];
        gn = sqrt(gn);
        if (!isfinite(gn)) break;
        if (gn <= o->gtol * scale) {
            out->converged = 1;
            break;
        }
        if (status && fprev - fn <= 1e-15 * fn) break;
        fprev = fn;
        if (gsl_multifit_nlinear_winit(x, wt, &fdf, w) != GSL_SUCCESS) break;
        /* one trust-region step per reweighting: measured fastest (fewer Jacobians than
         * 2, 4 or 10 inner steps for the same tolerance) */
        status = gsl_multifit_nlinear_iterate(w);
        it++;
        gsl_vector_memcpy(x, w->x);
    }
    psl_model_to_u(m, x->data, out->u);
    out->obj = f;
    out->gnorm = gn;
    out->iters = it;
    if (!out->converged)
        snprintf(out->msg, sizeof out->msg,
                 "IRLS stopped after %d iterations (|grad| %.3g, "
                 "tolerance %.3g)",
                 it, gn, o->gtol * scale);
    gsl_multifit_nlinear_free(w);
    gsl_vector_free(x);
    gsl_vector_free(wt);
    free(c.r);
    free(c.J);
    return out->converged ? 0 : 1;
}
