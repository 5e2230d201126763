/* Predictions and analytic gradients of the catalogue's laws, all in log space: each
 * loss law is log(sum of exponentials of logs), evaluated as a log-sum-exp so that
 * A N^-alpha and friends never overflow whatever the parameters. */
#include "laws.h"

#include <math.h>
#include <string.h>

double psl_lse(const double *t, int k, double *w) {
    double m = -INFINITY;
    for (int i = 0; i < k; i++)
        if (t[i] > m) m = t[i];
    if (m == -INFINITY) {
        for (int i = 0; i < k; i++) w[i] = 0;
        return -INFINITY;
    }
    double s = 0;
    for (int i = 0; i < k; i++) {
        w[i] = t[i] == -INFINITY ? 0 : exp(t[i] - m);
        s += w[i];
    }
    double inv = 1 / s;
    for (int i = 0; i < k; i++) w[i] *= inv;
    return m + log(s);
}

/* log(1 - exp(-z)). Below z0 it continues along its tangent: the factor 1 - exp(-z) is
 * meaningless for z <= 0 (negative N_eff), and a steep finite wall keeps the line search
 * of the optimiser well defined instead of returning NaN. */
double psl_log1mexp(double z, double *dz) {
    const double z0 = 1e-4;
    if (z < z0) {
        double d0 = 1 / expm1(z0);
        if (dz) *dz = d0;
        return log(-expm1(-z0)) + d0 * (z - z0);
    }
    /* one exponential serves both the value and the derivative e^-z / (1 - e^-z) */
    if (z < 0.6931) {
        double em = expm1(-z);
        if (dz) *dz = (1 + em) / -em;
        return log(-em);
    }
    double e = exp(-z);
    if (dz) *dz = e / (1 - e);
    return log1p(-e);
}

double psl_log_factor(double P, double gamma, double n, double *dz) {
    return psl_log1mexp(P / gamma - n, dz);
}

double psl_lp_chinchilla(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, w[3];
    double t[3] = {u[0] - u[1] * lN, u[2] - u[3] * lD, u[4]};
    double r = psl_lse(t, 3, w);
    if (g) {
        g[0] = w[0];
        g[1] = -w[0] * lN;
        g[2] = w[1];
        g[3] = -w[1] * lD;
        g[4] = w[2];
    }
    return r;
}

double psl_lp_chinchilla_tied(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, w[3];
    double t[3] = {u[0] - u[3] * lN, u[1] - u[3] * lD, u[2]};
    double r = psl_lse(t, 3, w);
    if (g) {
        g[0] = w[0];
        g[1] = w[1];
        g[2] = w[2];
        g[3] = -w[0] * lN - w[1] * lD;
    }
    return r;
}

double psl_lp_ptq(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, gp = exp(u[3]);
    if (g) {
        g[0] = 1;
        g[1] = lD;
        g[2] = -lN;
        g[3] = p->P_post / gp;
    }
    return u[0] + u[1] * lD - u[2] * lN - p->P_post / gp;
}

double psl_lp_ouyang(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, lP = log(p->P_post);
    if (g) {
        g[0] = 1;
        g[1] = lD;
        g[2] = -lN;
        g[3] = -lP;
    }
    return u[0] + u[1] * lD - u[2] * lN - u[3] * lP;
}

/* The effective-size family: N_eff (per-part factors, optional offsets), D_eff, the
 * unified PTQ term and the precision power laws share one evaluator. Layout of u:
 * [A, B, E, alpha] then per N_eff part gamma_x (and n_x), then gamma of D_eff, then the
 * PTQ block [C_T, gamma_D, gamma_N, gamma_post, C_x per part], then [C_P, gamma_P]. */
static int pv_index(const psl_model *m, int x, double P) {
    for (int j = 0; j < m->npv[x]; j++)
        if (m->pv[x][j] == P) return j;
    return -1;
}

void psl_prep_eff(const psl_model *m, const double *u, psl_prep *prep) {
    const psl_eff_spec *s = m->law->spec;
    int k = 4, gam_w = -1;
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        double gam = exp(u[k]), n = s->offsets ? u[k + 1] : 0;
        for (int j = 0; j < m->npv[x]; j++)
            prep->lf[x][j] = psl_log_factor(m->pv[x][j], gam, n, &prep->dz[x][j]);
        if (x == 0) gam_w = k;
        k += 1 + s->offsets;
    }
    if (s->deff) {
        double gam = exp(u[s->deff == 1 ? gam_w : k]);
        for (int j = 0; j < m->npv[0]; j++)
            prep->lfd[j] = psl_log_factor(m->pv[0][j], gam, 0, &prep->dzd[j]);
    }
}

static double eff_eval(const psl_model *m, const double *u, const psl_prep *prep,
                       const psl_point *p, double *g);

double psl_lp_eff(const psl_model *m, const double *u, const psl_point *p, double *g) {
    return eff_eval(m, u, NULL, p, g);
}

double psl_lp_eff_prep(const psl_model *m, const double *u, const psl_prep *prep,
                       const psl_point *p, double *g) {
    return eff_eval(m, u, prep, p, g);
}

static double eff_eval(const psl_model *m, const double *u, const psl_prep *prep,
                       const psl_point *p, double *g) {
    const psl_eff_spec *s = m->law->spec;
    int np = m->np;
    double dneff[PSL_MAXP], ddeff[PSL_MAXP], dd[PSL_MAXP];
    if (g) {
        memset(dneff, 0, (size_t)np * sizeof *dneff);
        memset(ddeff, 0, (size_t)np * sizeof *ddeff);
        memset(dd, 0, (size_t)np * sizeof *dd);
    }
    double lN = p->lnN, lD = p->lnD;
    const double P[3] = {p->P_w, p->P_a, p->P_kv};
    double alpha = u[3];
    double lneff = lN, ldeff = lD;
    int k = 4, gam_w = -1;
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        double gam = exp(u[k]), n = s->offsets ? u[k + 1] : 0, dz;
        int j = prep ? pv_index(m, x, P[x]) : -1;
        if (j >= 0) {
            lneff += prep->lf[x][j];
            dz = prep->dz[x][j];
        } else {
            lneff += psl_log_factor(P[x], gam, n, &dz);
        }
        /* at gamma -> 0 the factor is exactly 1 and flat: 0, not 0 * inf */
        dneff[k] = dz > 0 ? -dz * P[x] / gam : 0;
        if (s->offsets) dneff[k + 1] = -dz;
        if (x == 0) gam_w = k;
        k += 1 + s->offsets;
    }
    if (s->deff) {
        int gi = s->deff == 1 ? gam_w : k++;
        double gam = exp(u[gi]), dz;
        int j = prep ? pv_index(m, 0, p->P_w) : -1;
        if (j >= 0) {
            ldeff += prep->lfd[j];
            dz = prep->dzd[j];
        } else {
            ldeff += psl_log_factor(p->P_w, gam, 0, &dz);
        }
        ddeff[gi] = dz > 0 ? -dz * p->P_w / gam : 0;
    }
    double t[4] = {u[0] - alpha * lneff, u[1] - alpha * ldeff, u[2], -INFINITY}, w[4];
    int ptq = k;
    if (s->ptq) {
        int nx = 0;
        for (int x = 0; x < 3; x++) nx += !!(s->nparts & (1u << x));
        if (p->P_post > 0) {
            double gp = exp(u[ptq + 3]);
            double ld = u[ptq] - p->P_post / gp + u[ptq + 1] * lD - u[ptq + 2] * lneff;
            if (g) {
                dd[ptq] = 1;
                dd[ptq + 1] = lD;
                dd[ptq + 2] = -lneff;
                dd[ptq + 3] = p->P_post / gp;
                for (int j = 0; j < ptq; j++) dd[j] = -u[ptq + 2] * dneff[j];
            }
            int c = ptq + 4;
            for (int x = 0; x < 3 && ld > -INFINITY; x++) {
                if (!(s->nparts & (1u << x))) continue;
                double gap = P[x] - p->P_post;
                if (gap <= 0) {
                    ld = -INFINITY; /* trained at or below the PTQ bits: no degradation */
                } else {
                    double y = exp(u[c]) * gap, dz;
                    ld += psl_log1mexp(y, &dz);
                    if (g) dd[c] = dz * y;
                }
                c++;
            }
            t[3] = ld;
        }
        k = ptq + 4 + nx;
    }
    double r = psl_lse(t, 4, w);
    double mult = 0, sig = 0;
    if (s->power == PSL_POWER_MUL) {
        double x = u[k] - u[k + 1] * log(p->P_w);
        mult = x > 30 ? x : log1p(exp(x));
        sig = 1 / (1 + exp(-x));
        r += mult;
    } else if (s->power == PSL_POWER_ADD) {
        double t5[2] = {r, u[k] - u[k + 1] * log(p->P_w)}, w5[2];
        double r2 = psl_lse(t5, 2, w5);
        if (g) {
            for (int i = 0; i < 4; i++) w[i] *= w5[0];
            g[k] = w5[1];
            g[k + 1] = -w5[1] * log(p->P_w);
        }
        r = r2;
    }
    if (g) {
        for (int i = 0; i < k; i++)
            g[i] = -alpha * (w[0] * dneff[i] + w[1] * ddeff[i]) + w[3] * dd[i];
        g[0] += w[0];
        g[1] += w[1];
        g[2] += w[2];
        g[3] += -w[0] * lneff - w[1] * ldeff;
        if (s->power == PSL_POWER_MUL) {
            g[k] = sig;
            g[k + 1] = -sig * log(p->P_w);
        }
        (void)np;
    }
    return r;
}

/* Which eff(P) parameter point p uses; -1 for the unquantized reference. */
int psl_eff_key(const psl_model *m, const psl_point *p) {
    if (psl_point_high_precision(p)) return -1;
    for (int i = 0; i < m->nkeys; i++)
        if (m->key_p[i][0] == p->P_w && m->key_p[i][1] == p->P_a && m->key_p[i][2] == p->P_kv &&
            !strcmp(m->key_fmt[i], p->format))
            return i;
    return -2;
}

double psl_lp_quest(const psl_model *m, const double *u, const psl_point *p, double *g) {
    double lN = p->lnN, lD = p->lnD, w[3];
    int key = psl_eff_key(m, p);
    if (key == -2) return NAN; /* a format the fit never saw */
    double leff = key >= 0 ? u[m->key0 + key] : 0;
    double t[3] = {u[0] - u[3] * (lN + leff), u[1] - u[3] * lD, u[2]};
    double r = psl_lse(t, 3, w);
    if (g) {
        memset(g, 0, (size_t)m->np * sizeof *g);
        g[0] = w[0];
        g[1] = w[1];
        g[2] = w[2];
        g[3] = -w[0] * (lN + leff) - w[1] * lD;
        if (key >= 0) g[m->key0 + key] = -w[0] * u[3];
    }
    return r;
}

/* Chen et al.: Chinchilla plus k D^gD (log2 G)^gG / N^gN on quantized runs. */
double psl_lp_chen(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, w[4];
    int q = p->P_w < 16 && p->G > 1;
    double lG = q ? log(log2(p->G)) : 0;
    double t[4] = {u[0] - u[1] * lN, u[2] - u[3] * lD, u[4],
                   q ? u[5] + u[6] * lD + u[7] * lG - u[8] * lN : -INFINITY};
    double r = psl_lse(t, 4, w);
    if (g) {
        g[0] = w[0];
        g[1] = -w[0] * lN;
        g[2] = w[1];
        g[3] = -w[1] * lD;
        g[4] = w[2];
        g[5] = w[3];
        g[6] = w[3] * lD;
        g[7] = w[3] * lG;
        g[8] = -w[3] * lN;
    }
    return r;
}
