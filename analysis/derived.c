#include "derived.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laws.h"
#include "par.h"
#include "stats.h"

const psl_law_result *psl_result_find(const psl_law_result *res, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (res[i].status == PSL_LAW_FITTED && !strcmp(res[i].law->name, name)) return &res[i];
    return NULL;
}

double psl_neff_log_ratio_u(const psl_law_result *r, const double *u, double P, unsigned parts) {
    const psl_eff_spec *s = r->law->spec;
    double lf = 0;
    int k = TIED_NP; /* the N_eff parts follow the tied head (laws.c, psl_lp_eff) */
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        if (parts & (1u << x))
            lf += psl_log_factor(P, exp(u[k + PART_GAMMA]), s->offsets ? u[k + PART_N] : 0, NULL);
        k += 1 + s->offsets;
    }
    return lf;
}

double psl_neff_log_ratio(const psl_law_result *r, double P, unsigned parts) {
    return psl_neff_log_ratio_u(r, r->fit.u, P, parts);
}

double psl_neff_loss(const psl_law_result *r, double N, double D, double P) {
    psl_point p;
    psl_point_clear(&p);
    p.N = N;
    p.D = D;
    p.lnN = log(N);
    p.lnD = log(D);
    p.P_w = p.P_a = p.P_kv = P;
    return exp(r->law->logpred(&r->m, r->fit.u, &p, NULL));
}

double psl_pstar_fixed_n(const psl_law_result *r, double N, double C) {
    double best = NAN, bl = INFINITY;
    for (double P = 2; P <= 32.0001; P += 0.01) {
        double D = 16 * C / (6 * N * P);
        double l = psl_neff_loss(r, N, D, P);
        if (l < bl) bl = l, best = P;
    }
    return best;
}

double psl_pstar_u(const psl_law_result *r, const double *u) {
    /* f(P)/P is maximised on a fine grid: it is smooth and one-dimensional. The sum is
     * psl_neff_log_ratio_u(r, u, P, 7)'s, with each gamma_x's exp taken once. */
    const psl_eff_spec *s = r->law->spec;
    double gam[3], off[3];
    int nx = 0, k = TIED_NP;
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        gam[nx] = exp(u[k + PART_GAMMA]);
        off[nx++] = s->offsets ? u[k + PART_N] : 0;
        k += 1 + s->offsets;
    }
    double best = -INFINITY, arg = NAN;
    for (double P = 1; P <= 32.0001; P += 0.001) {
        double lf = 0;
        for (int x = 0; x < nx; x++) lf += psl_log_factor(P, gam[x], off[x], NULL);
        double v = lf - log(P);
        if (v > best) best = v, arg = P;
    }
    return arg;
}

/* Replicate b's internal parameters of r, or NULL when it did not converge. */
static const double *rep_u(const psl_law_result *r, int b) {
    if (!r->boot_u || b >= r->boot.B) return NULL;
    const double *u = r->boot_u + (size_t)b * (size_t)r->m.np;
    for (int i = 0; i < r->m.np; i++)
        if (isnan(u[i])) return NULL;
    return u;
}

/* Fills the interval of q from the replicate values v[0..n) (finite ones only; at least
 * 10, else no interval) and its place against the runs' range. */
static void dq_finish(psl_dq *q, double *v, int n, double lo_run, double hi_run) {
    q->nrep = psl_interval95(v, n, 10, &q->lo, &q->hi);
    q->lo_run = lo_run;
    q->hi_run = hi_run;
    q->extrap = 0;
    q->factor = 1;
    if (q->v > hi_run) q->extrap = 1, q->factor = q->v / hi_run;
    if (q->v < lo_run) q->extrap = -1, q->factor = lo_run / q->v;
}

void psl_dq_where(const psl_dq *q, const char *what, char *buf, size_t len) {
    if (!isfinite(q->v))
        snprintf(buf, len, "undefined at the fitted constants");
    else if (q->extrap > 0)
        snprintf(buf, len, "EXTRAPOLATION: %.3gx the largest %s trained (%.4g)", q->factor, what,
                 q->hi_run);
    else if (q->extrap < 0)
        snprintf(buf, len, "EXTRAPOLATION: 1/%.3g of the smallest %s trained (%.4g)", q->factor,
                 what, q->lo_run);
    else
        snprintf(buf, len, "within the %s trained (%.4g..%.4g)", what, q->lo_run, q->hi_run);
}

/* D_crit from ptq at internal parameters a and chinchilla_tied at c (laws.h layouts). */
static double dcrit_of(const double *a, const double *c, double N, double Pp) {
    double CT = exp(a[PTQ_C_T]), gD = a[PTQ_GAMMA_D], gN = a[PTQ_GAMMA_N];
    double gp = exp(a[PTQ_GAMMA_POST]);
    double B = exp(c[TIED_B]), beta = c[TIED_ALPHA];
    /* in logs: pow(N, gN) or exp(P/gp) alone may overflow for replicates far out */
    double lbase = log(beta) + log(B) + gN * log(N) + Pp / gp - log(gD) - log(CT);
    return gD + beta > 0 && beta > 0 && gD > 0 ? exp(lbase / (gD + beta)) : NAN;
}

/* Compute-optimal N for L = A N^-a + B D^-a + E at C = 6 N D (tied exponent): N = (A/B)^(1
 * /(2a)) (C/6)^(1/2), D = C / (6 N). */
static double copt_n(const double *c, double C) {
    double a = c[TIED_ALPHA];
    if (!(a > 0)) return NAN;
    return exp((c[TIED_A] - c[TIED_B]) / (2 * a)) * sqrt(C / 6);
}

/* Range of a field over the points a law was fitted on. */
static void range_of(const psl_law_result *r, double (*get)(const psl_point *), double *lo,
                     double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        double v = get(r->pts[i]);
        if (!isfinite(v)) continue;
        *lo = fmin(*lo, v);
        *hi = fmax(*hi, v);
    }
}
static double get_N(const psl_point *p) {
    return p->N;
}
static double get_D(const psl_point *p) {
    return p->D;
}
static double get_Ppost(const psl_point *p) {
    return p->P_post > 0 ? p->P_post : NAN;
}
/* the quantized precisions of a run (each part below 16 bits) */
static double get_Pq_lo(const psl_point *p) {
    double m = fmin(p->P_w, fmin(p->P_a, p->P_kv));
    return m < 16 ? m : NAN;
}
static double get_Pq_hi(const psl_point *p) {
    double m = -INFINITY;
    if (p->P_w < 16) m = fmax(m, p->P_w);
    if (p->P_a < 16) m = fmax(m, p->P_a);
    if (p->P_kv < 16) m = fmax(m, p->P_kv);
    return m > 0 ? m : NAN;
}

void psl_derive(const psl_law_result *res, int n, const psl_data *d, psl_derived *out) {
    (void)d;
    memset(out, 0, sizeof *out);
    int B = 0;
    for (int i = 0; i < n; i++)
        if (res[i].boot.B > B) B = res[i].boot.B;
    double *v = malloc((size_t)(B ? B : 1) * sizeof *v);
    if (!v) {
        snprintf(out->why_pstar, sizeof out->why_pstar, "out of memory");
        snprintf(out->why_dcrit, sizeof out->why_dcrit, "out of memory");
        snprintf(out->why_copt, sizeof out->why_copt, "out of memory");
        return;
    }
    const psl_law_result *ne = psl_result_find(res, n, "neff_joint_off");
    if (!ne) ne = psl_result_find(res, n, "neff_joint");
    if (ne) {
        out->pstar.v = psl_pstar_u(ne, ne->fit.u);
        int k = ne->boot.B;
        /* one grid search per replicate, each into its own v[b] (par.h) */
        PSL_PARALLEL_TASKLOOP(k, v[b] = rep_u(ne, b) ? psl_pstar_u(ne, rep_u(ne, b)) : NAN);
        double lo, hi, a, z;
        range_of(ne, get_Pq_lo, &lo, &z);
        range_of(ne, get_Pq_hi, &a, &hi);
        dq_finish(&out->pstar, v, k, lo, hi);
        out->have_pstar = 1;
        out->pstar_det = psl_law_determined(ne, NULL);
        snprintf(out->pstar_law, sizeof out->pstar_law, "%s", ne->law->name);
    } else {
        snprintf(out->why_pstar, sizeof out->why_pstar,
                 "needs a fitted joint N_eff law (runs that vary P_w, P_a and P_kv)");
    }
    const psl_law_result *ch = psl_result_find(res, n, "chinchilla_tied");
    if (ch) {
        double C = 0, Nlo, Nhi, Dlo, Dhi;
        for (size_t i = 0; i < ch->n; i++) C = fmax(C, 6 * ch->pts[i]->N * ch->pts[i]->D);
        range_of(ch, get_N, &Nlo, &Nhi);
        range_of(ch, get_D, &Dlo, &Dhi);
        out->copt_C = C;
        out->copt_N.v = copt_n(ch->fit.u, C);
        out->copt_D.v = C / (6 * out->copt_N.v);
        int k = 0;
        for (int b = 0; b < ch->boot.B; b++) {
            const double *u = rep_u(ch, b);
            v[k++] = u ? copt_n(u, C) : NAN;
        }
        dq_finish(&out->copt_N, v, k, Nlo, Nhi);
        /* D = C / (6 N) is monotone in N: its interval is N's mapped (N_lo -> D_hi; a
         * replicate N of 0 is an unbounded D) */
        dq_finish(&out->copt_D, v, 0, Dlo, Dhi);
        out->copt_D.nrep = out->copt_N.nrep;
        out->copt_D.lo = C / (6 * out->copt_N.hi);
        out->copt_D.hi = C / (6 * out->copt_N.lo);
        out->have_copt = 1;
        out->copt_det = psl_law_determined(ch, NULL);
    } else {
        snprintf(out->why_copt, sizeof out->why_copt,
                 "needs a fitted chinchilla_tied law (high-precision runs at 2 N and 2 D)");
    }
    const psl_law_result *pt = psl_result_find(res, n, "ptq");
    if (pt && ch) {
        double Ns[16];
        int nn = 0;
        for (size_t i = 0; i < pt->n && nn < 16; i++) {
            int dup = 0;
            for (int j = 0; j < nn; j++) dup |= Ns[j] == pt->pts[i]->N;
            if (!dup) Ns[nn++] = pt->pts[i]->N;
        }
        qsort(Ns, (size_t)nn, sizeof *Ns, psl_cmp_double);
        double Dlo, Dhi, Plo, Phi;
        range_of(pt, get_D, &Dlo, &Dhi);
        range_of(pt, get_Ppost, &Plo, &Phi);
        const double Pp[] = {3, 4, 5, 6, 8};
        /* replicate b of both laws: the same draw of runs when their runs are the same
         * (both seed replicate b alike), as for the demo's high-precision runs */
        int nb = pt->boot.B < ch->boot.B ? pt->boot.B : ch->boot.B;
        for (int i = 0; i < nn; i++)
            for (int j = 0; j < 5 && out->ndcrit < PSL_DCRIT_MAX; j++) {
                int q = out->ndcrit++;
                out->dcrit_N[q] = Ns[i];
                out->dcrit_P[q] = Pp[j];
                out->dcrit[q].v = dcrit_of(pt->fit.u, ch->fit.u, Ns[i], Pp[j]);
                int k = 0;
                for (int b = 0; b < nb; b++) {
                    const double *a = rep_u(pt, b), *c = rep_u(ch, b);
                    v[k++] = a && c ? dcrit_of(a, c, Ns[i], Pp[j]) : NAN;
                }
                dq_finish(&out->dcrit[q], v, k, Dlo, Dhi);
                out->dcrit_p_extrap[q] = Pp[j] < Plo || Pp[j] > Phi;
            }
        int a = psl_law_determined(pt, NULL), c = psl_law_determined(ch, NULL);
        out->dcrit_det = a < 0 || c < 0 ? -1 : a && c;
    } else {
        snprintf(out->why_dcrit, sizeof out->why_dcrit,
                 "needs fitted ptq and chinchilla_tied laws (PTQ of high-precision runs)");
    }
    free(v);
}
