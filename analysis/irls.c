/* Huber fit by iteratively reweighted least squares (IRLS) with a Levenberg-Marquardt
 * step. Weighted least squares with weights w_i min(1, delta/|r_i|) has the Huber
 * objective's gradient at the current residuals, so its fixed point is the Huber minimum;
 * the Gauss-Newton curvature makes it far faster than BFGS from a nearby start, which is
 * what bootstrap replicates need.
 *
 * Each reweighting takes one step of GSL's multifit_nlinear trust-region solver, as
 * configured before (Levenberg-Marquardt, More scaling, Cholesky on the normal
 * equations): gsl_multifit_nlinear_winit followed by one gsl_multifit_nlinear_iterate.
 * That step is written out here (lm_step) operation for operation, in the order GSL 2.7
 * and its reference CBLAS perform them, so that every number is the same as with GSL's
 * solver; the p x p Cholesky factorisation and solve are GSL's own. What is saved is the
 * work GSL's general driver does for its next iteration, which a fresh reweighting throws
 * away (the gradient and scaling at the accepted point, copies of f and J), the separate
 * residual-only evaluation of a trial point that is then evaluated again with its
 * Jacobian, and the n x p products done with stride and function calls: here they are
 * loops over rows that skip exact zeros (a weight-0 row, a parameter a point does not
 * depend on), which adds the same terms in the same order. Keep -ffp-contract=off
 * (CMakeLists.txt): a fused multiply-add would round differently from GSL. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

typedef struct {
    const psl_problem *pr;
    size_t n, p;
    double *r, *J;   /* residuals and Jacobian (d/dv, n x p row-major) at the current x */
    double *rt, *Jt; /* the same at the trial point */
    double *sw;      /* sqrt of the IRLS weights */
    double *f, *ft;  /* weighted residuals at x and at the trial point */
    double *Jw;      /* weighted Jacobian at x */
    double *work;    /* Jw * vel */
    double *JTJ, *A; /* Jw^T Jw (lower triangle), its regularised copy and factor */
    double *rhs, *vel, *diag, *xt;
    double *cn, *cs, *cq;    /* column norms of Jw, and the scale and sum behind them */
    unsigned char *nz, *nnz; /* per row of Jw: its nonzero columns (n x p) and their count,
                                or nnz SPARSE_DENSE: the row is summed whole */
} irls_ws;

/* Residuals r and Jacobian J (d/dv) at v. GSL_EDOM when a residual is not finite. */
static int eval_at(const irls_ws *c, const double *x, double *r, double *J) {
    const psl_problem *pr = c->pr;
    double u[PSL_MAXP], gu[PSL_MAXP];
    psl_model_to_u(pr->m, x, u);
    psl_prep pb;
    const psl_prep *prep = psl_prepare(pr->m, u, &pb);
    double lf = pr->floor > 0 ? log(pr->floor) : 0;
    for (size_t i = 0; i < pr->n; i++) {
        double ri = psl_problem_lp_at(pr, u, prep, lf, i, gu) - pr->logy[i];
        if (!isfinite(ri)) return GSL_EDOM;
        r[i] = ri;
        psl_model_grad_v(pr->m, gu, J + i * c->p);
    }
    return GSL_SUCCESS;
}

/* The reference CBLAS's dnrm2 (scaled sum of squares), stride inc. */
static double nrm2(const double *x, size_t n, size_t inc) {
    if (n == 0) return 0;
    if (n == 1) return fabs(x[0]);
    double scale = 0.0, ssq = 1.0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i * inc];
        if (xi != 0.0) {
            double ax = fabs(xi);
            if (scale < ax) {
                ssq = 1.0 + ssq * (scale / ax) * (scale / ax);
                scale = ax;
            } else {
                ssq += (ax / scale) * (ax / scale);
            }
        }
    }
    return scale * sqrt(ssq);
}

#define MAX(a, b) ((a) > (b) ? (a) : (b)) /* GSL_MAX, NaN handling included */

/* nnz of a row taken whole (PSL_MAXP < 255) */
#define SPARSE_DENSE 255

/* The column norms of the n x p row-major Jw as nrm2 takes them, all columns in one pass
 * over the rows (each column's running scale and sum in its own lane; the branch written
 * as selects, which take the same values). */
static void col_nrm2(const double *Jw, size_t n, size_t p, double *scale, double *ssq,
                     double *out) {
    if (n <= 1) {
        for (size_t j = 0; j < p; j++) out[j] = n ? fabs(Jw[j]) : 0;
        return;
    }
    for (size_t j = 0; j < p; j++) scale[j] = 0.0, ssq[j] = 1.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = Jw + i * p;
        for (size_t j = 0; j < p; j++) {
            double xj = row[j], ax = fabs(xj), sc = scale[j], sq = ssq[j];
            int big = sc < ax;
            double q = big ? sc / ax : ax / sc;
            double nsq = big ? 1.0 + sq * q * q : sq + q * q;
            int use = xj != 0.0;
            ssq[j] = use ? nsq : sq;
            scale[j] = use && big ? ax : sc;
        }
    }
    for (size_t j = 0; j < p; j++) out[j] = scale[j] * sqrt(ssq[j]);
}

/* One reweighted step: gsl_multifit_nlinear_winit(x, wt) then one
 * gsl_multifit_nlinear_iterate with trs_lm, scale_more, solver_cholesky and the default
 * factors. c->r, c->J hold the residuals and Jacobian at x. On success x is the accepted
 * point and c->r, c->J are at it; otherwise x is unchanged. Returns GSL's status.
 *
 * The sums over rows skip terms that are exactly zero when every entry of Jw is finite
 * (then such a term is +-0, which leaves a sum that started at +0 unchanged); with a
 * non-finite entry nothing is skipped, as 0 * inf is NaN. */
static int lm_step(irls_ws *c, double *x, const double *wt) {
    size_t n = c->n, p = c->p;
    /* winit: sqrt weights, f and J weighted as eval_f / eval_df do; the nonzero columns
     * of each row listed */
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        double s = sqrt(wt[i]), *jw = c->Jw + i * p;
        const double *ji = c->J + i * p;
        c->sw[i] = s;
        c->f[i] = c->r[i] * s;
        int k = 0, fin = 1;
        for (size_t j = 0; j < p; j++) {
            double t = ji[j] * s;
            jw[j] = t;
            fin &= isfinite(t);
            k += t != 0.0;
        }
        finite &= fin;
        /* a row with few nonzeros (quest_eff's: one eff of many) lists them */
        if (2 * (size_t)k <= p) {
            unsigned char *nz = c->nz + i * p;
            k = 0;
            for (size_t j = 0; j < p; j++)
                if (jw[j] != 0.0) nz[k++] = (unsigned char)j;
        } else {
            k = SPARSE_DENSE;
        }
        c->nnz[i] = (unsigned char)k;
    }
    if (!finite)
        for (size_t i = 0; i < n; i++) c->nnz[i] = SPARSE_DENSE;
    /* scale_more's init: D_j = max(0, |J_j|, with 0 -> 1); nielsen_init: mu from the
     * largest |J_j| / D_j */
    col_nrm2(c->Jw, n, p, c->cs, c->cq, c->cn);
    double mx = -1.0;
    for (size_t j = 0; j < p; j++) {
        double norm = c->cn[j] == 0.0 ? 1.0 : c->cn[j];
        c->diag[j] = MAX(0.0, norm);
    }
    for (size_t j = 0; j < p; j++) {
        double norm = c->cn[j] / c->diag[j];
        mx = MAX(mx, norm);
    }
    double mu = 1.0e-3 * mx * mx;
    long nu = 2;
    /* cholesky_init: JTJ = Jw^T Jw, lower triangle (dsyrk: each entry a sum over the rows
     * in order from +0, then 0 + 1 * sum, which is the sum); and cholesky_solve's
     * right-hand side -Jw^T f (dgemv, transposed: rows with f_k = 0 skipped), the same at
     * every trial step */
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j <= i; j++) c->JTJ[i * p + j] = 0.0;
    for (size_t j = 0; j < p; j++) c->rhs[j] = 0.0;
    for (size_t k = 0; k < n; k++) {
        const double *a = c->Jw + k * p;
        double t = -1.0 * c->f[k];
        if (c->nnz[k] == SPARSE_DENSE) {
            /* every term, zeros included (the only way with a non-finite entry) */
            for (size_t i = 0; i < p; i++) {
                double ai = a[i], *row = c->JTJ + i * p;
                for (size_t j = 0; j <= i; j++) row[j] += ai * a[j];
            }
            if (t != 0.0)
                for (size_t j = 0; j < p; j++) c->rhs[j] += t * a[j];
            continue;
        }
        const unsigned char *nz = c->nz + k * p;
        int m = c->nnz[k];
        for (int ii = 0; ii < m; ii++) {
            size_t i = nz[ii];
            double ai = a[i], *row = c->JTJ + i * p;
            for (int jj = 0; jj <= ii; jj++) row[nz[jj]] += ai * a[nz[jj]];
        }
        if (t != 0.0)
            for (int jj = 0; jj < m; jj++) c->rhs[nz[jj]] += t * a[nz[jj]];
    }
    double normf = nrm2(c->f, n, 1);
    gsl_matrix_view Av = gsl_matrix_view_array(c->A, p, p);
    gsl_vector_view rv = gsl_vector_view_array(c->rhs, p), vv = gsl_vector_view_array(c->vel, p);
    for (int bad = 0;;) {
        double rho = -1.0;
        /* lm_step: (J^T J + mu D^2) vel = -J^T f by Cholesky */
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j <= i; j++) c->A[i * p + j] = c->JTJ[i * p + j];
        if (mu != 0.0)
            for (size_t i = 0; i < p; i++) c->A[i * p + i] += mu * c->diag[i] * c->diag[i];
        int st = gsl_linalg_cholesky_decomp1(&Av.matrix);
        if (!st) st = gsl_linalg_cholesky_solve(&Av.matrix, &rv.vector, &vv.vector);
        if (!st) {
            /* dx = vel + 0.5 acc with acc = 0 (no geodesic acceleration); trial point */
            for (size_t j = 0; j < p; j++) c->xt[j] = x[j] + (1.0 * c->vel[j] + 0.5 * 0.0);
            st = eval_at(c, c->xt, c->rt, c->Jt);
            if (st) return st;
            for (size_t i = 0; i < n; i++) c->ft[i] = c->rt[i] * c->sw[i];
            /* trust_calc_rho with lm_preduction */
            double normft = nrm2(c->ft, n, 1);
            if (normft < normf) {
                double u = normft / normf, actual = 1.0 - u * u;
                double e2 = 0;
                int vfin = 1;
                for (size_t j = 0; j < p; j++) {
                    double d = c->diag[j] * c->vel[j];
                    e2 += d * d;
                    vfin &= isfinite(c->vel[j]);
                }
                double norm_Dp = sqrt(e2);
                /* Jw vel (dgemv: each entry a sum over the row from +0) */
                for (size_t i = 0; i < n; i++) {
                    const double *a = c->Jw + i * p;
                    double t = 0.0;
                    if (vfin && c->nnz[i] != SPARSE_DENSE) {
                        const unsigned char *nz = c->nz + i * p;
                        for (int jj = 0; jj < c->nnz[i]; jj++) t += c->vel[nz[jj]] * a[nz[jj]];
                    } else {
                        for (size_t j = 0; j < p; j++) t += c->vel[j] * a[j];
                    }
                    c->work[i] = t;
                }
                double norm_Jp = nrm2(c->work, n, 1);
                double a = norm_Jp / normf, b = norm_Dp / normf;
                double pred = a * a + 2.0 * mu * b * b;
                rho = pred > 0.0 ? actual / pred : -1.0;
            }
            if (rho > 0.0) {
                memcpy(x, c->xt, p * sizeof *x);
                double *t = c->r;
                c->r = c->rt, c->rt = t;
                t = c->J;
                c->J = c->Jt, c->Jt = t;
                return GSL_SUCCESS;
            }
        }
        /* rejected (or no step): nielsen_reject */
        mu *= (double)nu;
        nu <<= 1;
        if (++bad > 15) return GSL_ENOPROG;
    }
}

int psl_fit_irls(const psl_problem *pr, const psl_fit_opts *o, const double *u0, psl_fit *out) {
    const psl_model *m = pr->m;
    size_t n = pr->n, p = (size_t)m->np;
    memset(out, 0, sizeof *out);
    memcpy(out->u, u0, p * sizeof *u0);
    out->obj = INFINITY;
    if ((pr->n_all ? pr->n_all : n) < p) {
        snprintf(out->msg, sizeof out->msg, "fewer points than parameters");
        return 1;
    }
    irls_ws c = {.pr = pr, .n = n, .p = p};
    size_t nd = 3 * n * p + 6 * n + 2 * p * p + 7 * p;
    double *blk = malloc(nd * sizeof *blk), *wt = malloc(n * sizeof *wt);
    unsigned char *nzb = malloc(n * (p + 1));
    if (!blk || !wt || !nzb) {
        free(blk);
        free(wt);
        free(nzb);
        snprintf(out->msg, sizeof out->msg, "out of memory");
        return -1;
    }
    double *q = blk;
    c.J = q, q += n * p;
    c.Jt = q, q += n * p;
    c.Jw = q, q += n * p;
    c.r = q, q += n;
    c.rt = q, q += n;
    c.sw = q, q += n;
    c.f = q, q += n;
    c.ft = q, q += n;
    c.work = q, q += n;
    c.JTJ = q, q += p * p;
    c.A = q, q += p * p;
    c.rhs = q, q += p;
    c.vel = q, q += p;
    c.diag = q, q += p;
    c.cn = q, q += p;
    c.cs = q, q += p;
    c.cq = q, q += p;
    c.xt = q;
    c.nz = nzb;
    c.nnz = nzb + n * p;
    double x[PSL_MAXP], v[PSL_MAXP], gv[PSL_MAXP];
    psl_model_to_v(m, u0, v);
    memcpy(x, v, p * sizeof *v);
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale += pr->w ? pr->w[i] : 1;
    scale *= o->huber_delta;
    double f = INFINITY, gn = INFINITY;
    int it = 0, status = GSL_SUCCESS;
    double fprev = INFINITY;
    int have = eval_at(&c, x, c.r, c.J) == GSL_SUCCESS; /* r, J at x */
    for (int outer = 0; outer < o->max_iter; outer++) {
        /* one pass: Huber objective, its gradient and the IRLS weights */
        double fn = have ? 0 : NAN;
        memset(gv, 0, p * sizeof *gv);
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
            wt[i] = bw * (a <= d ? 1 : d / a);
            if (bw != 0)
                for (size_t j = 0; j < p; j++) gv[j] += bw * psi * c.J[i * p + j];
        }
        if (!isfinite(fn) || !(fn <= fprev)) {
            /* the last step made things worse: go back to where it started */
            memcpy(x, v, p * sizeof *v);
            break;
        }
        memcpy(v, x, p * sizeof *v);
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
        /* one trust-region step per reweighting: measured fastest (fewer Jacobians than
         * 2, 4 or 10 inner steps for the same tolerance) */
        status = lm_step(&c, x, wt);
        it++;
    }
    psl_model_to_u(m, x, out->u);
    out->obj = f;
    out->gnorm = gn;
    out->iters = it;
    int inf = psl_fit_infinite_param(m, out->u);
    if (out->converged && inf >= 0) {
        out->converged = 0;
        snprintf(out->msg, sizeof out->msg,
                 "IRLS stopped with %s = %g after %d iterations (|grad| %.3g): it runs away",
                 m->pname[inf], psl_model_value(m, inf, out->u), it, gn);
    } else if (!out->converged)
        snprintf(out->msg, sizeof out->msg,
                 "IRLS stopped after %d iterations (|grad| %.3g, "
                 "tolerance %.3g)",
                 it, gn, o->gtol * scale);
    free(blk);
    free(wt);
    free(nzb);
    return out->converged ? 0 : 1;
}
