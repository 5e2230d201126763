#include "derived.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "laws.h"

const psl_law_result *psl_result_find(const psl_law_result *res, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (res[i].status == PSL_LAW_FITTED && !strcmp(res[i].law->name, name)) return &res[i];
    return NULL;
}

double psl_neff_log_ratio(const psl_law_result *r, double P, unsigned parts) {
    const psl_eff_spec *s = r->law->spec;
    const double *u = r->fit.u;
    double lf = 0;
    int k = 4;
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        if (parts & (1u << x)) lf += psl_log_factor(P, exp(u[k]), s->offsets ? u[k + 1] : 0, NULL);
        k += 1 + s->offsets;
    }
    return lf;
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

void psl_derive(const psl_law_result *res, int n, const psl_data *d, psl_derived *out) {
    memset(out, 0, sizeof *out);
    const psl_law_result *ne = psl_result_find(res, n, "neff_joint_off");
    if (!ne) ne = psl_result_find(res, n, "neff_joint");
    if (ne) {
        /* f(P)/P is maximised on a fine grid: it is smooth and one-dimensional */
        double best = -INFINITY;
        for (double P = 1; P <= 32.0001; P += 0.001) {
            double v = psl_neff_log_ratio(ne, P, 7) - log(P);
            if (v > best) best = v, out->pstar = P;
        }
        out->have_pstar = 1;
        snprintf(out->pstar_law, sizeof out->pstar_law, "%s", ne->law->name);
    } else {
        snprintf(out->why_pstar, sizeof out->why_pstar,
                 "needs a fitted joint N_eff law (runs that vary P_w, P_a and P_kv)");
    }
    const psl_law_result *pt = psl_result_find(res, n, "ptq");
    const psl_law_result *ch = psl_result_find(res, n, "chinchilla_tied");
    if (pt && ch) {
        double Ns[16];
        int nn = 0;
        for (size_t i = 0; i < d->n && nn < 16; i++) {
            int dup = 0;
            for (int j = 0; j < nn; j++) dup |= Ns[j] == d->pt[i].N;
            if (!dup) Ns[nn++] = d->pt[i].N;
        }
        const double Pp[] = {3, 4, 5, 6, 8};
        double CT = exp(pt->fit.u[0]), gD = pt->fit.u[1], gN = pt->fit.u[2], gp = exp(pt->fit.u[3]);
        double B = exp(ch->fit.u[1]), beta = ch->fit.u[3];
        for (int i = 0; i < nn; i++)
            for (int j = 0; j < 5 && out->ndcrit < PSL_DCRIT_MAX; j++) {
                double base = beta * B * pow(Ns[i], gN) * exp(Pp[j] / gp) / (gD * CT);
                int k = out->ndcrit++;
                out->dcrit_N[k] = Ns[i];
                out->dcrit_P[k] = Pp[j];
                out->dcrit[k] = gD + beta > 0 && base > 0 ? pow(base, 1 / (gD + beta)) : NAN;
            }
    } else {
        snprintf(out->why_dcrit, sizeof out->why_dcrit,
                 "needs fitted ptq and chinchilla_tied laws (PTQ of high-precision runs)");
    }
}
