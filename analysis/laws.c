/* Predictions and analytic gradients of the catalogue's laws, all in log space: each
 * loss law is log(sum of exponentials of logs), evaluated as a log-sum-exp so that
 * A N^-alpha and friends never overflow whatever the parameters. */
#include "laws.h"

#include <math.h>
#include <string.h>

#include "xmath.h"

/* The terms of a loss law's log-sum-exp, in the order of t[] and of its softmax weights
 * w[]: the N term, the D term, E, and a law's extra term (PTQ or QAT penalty). */
enum { T_N, T_D, T_E, T_X };

/* psl_lse, inlined into the evaluators below (its weights stay in registers) */
static inline __attribute__((always_inline)) double lse(const double *t, int k, double *w) {
    double m = -INFINITY;
    for (int i = 0; i < k; i++)
        if (t[i] > m) m = t[i];
    if (m == -INFINITY) {
        for (int i = 0; i < k; i++) w[i] = 0;
        return -INFINITY;
    }
    /* exp(t - m) of the largest term is exp(+0) = 1 exactly; skipped (not at m = +inf,
     * where the difference is NaN) */
    int fin = isfinite(m);
    double s = 0;
    for (int i = 0; i < k; i++) {
        w[i] = t[i] == -INFINITY ? 0 : fin && t[i] == m ? 1.0 : psl_exp(t[i] - m);
        s += w[i];
    }
    double inv = 1 / s;
    for (int i = 0; i < k; i++) w[i] *= inv;
    return m + psl_log(s);
}

double psl_lse(const double *t, int k, double *w) {
    return lse(t, k, w);
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

/* d/d log y of log(1 - exp(-y)), from its d/dy dy: y dy, which is 0 at y = +inf (C_x
 * overflowed: the factor is exactly 1 and flat) where the product would be 0 * inf = NaN.
 * Every finite y gives y dy as before. */
double psl_dlog1mexp_dlog(double dy, double y) {
    return dy == 0 ? 0 : dy * y;
}

double psl_log_factor(double P, double gamma, double n, double *dz) {
    return psl_log1mexp(P / gamma - n, dz);
}

double psl_lp_chinchilla(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, w[3];
    double t[3] = {
        [T_N] = u[CH_A] - u[CH_ALPHA] * lN, [T_D] = u[CH_B] - u[CH_BETA] * lD, [T_E] = u[CH_E]};
    double r = lse(t, 3, w);
    if (g) {
        g[CH_A] = w[T_N];
        g[CH_ALPHA] = -w[T_N] * lN;
        g[CH_B] = w[T_D];
        g[CH_BETA] = -w[T_D] * lD;
        g[CH_E] = w[T_E];
    }
    return r;
}

double psl_lp_chinchilla_tied(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, w[3];
    double t[3] = {[T_N] = u[TIED_A] - u[TIED_ALPHA] * lN,
                   [T_D] = u[TIED_B] - u[TIED_ALPHA] * lD,
                   [T_E] = u[TIED_E]};
    double r = lse(t, 3, w);
    if (g) {
        g[TIED_A] = w[T_N];
        g[TIED_B] = w[T_D];
        g[TIED_E] = w[T_E];
        g[TIED_ALPHA] = -w[T_N] * lN - w[T_D] * lD;
    }
    return r;
}

double psl_lp_ptq(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, gp = exp(u[PTQ_GAMMA_POST]);
    if (g) {
        g[PTQ_C_T] = 1;
        g[PTQ_GAMMA_D] = lD;
        g[PTQ_GAMMA_N] = -lN;
        g[PTQ_GAMMA_POST] = p->P_post / gp;
    }
    return u[PTQ_C_T] + u[PTQ_GAMMA_D] * lD - u[PTQ_GAMMA_N] * lN - p->P_post / gp;
}

double psl_lp_ouyang(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, lP = log(p->P_post);
    if (g) {
        g[OY_K] = 1;
        g[OY_BETA] = lD;
        g[OY_ALPHA] = -lN;
        g[OY_GAMMA] = -lP;
    }
    return u[OY_K] + u[OY_BETA] * lD - u[OY_ALPHA] * lN - u[OY_GAMMA] * lP;
}

/* Loss baseline: log-sum-exp of the terms the spec has, in parameter order: the N term
 * (log A - alpha lN), the D term (log B - beta lD), log E (laws.h, psl_base_spec). */
double psl_lp_base_loss(const psl_model *m, const double *u, const psl_point *p, double *g) {
    const psl_base_spec *s = m->law->spec;
    double t[3], w[3], x[3];
    int first[3], nt = 0, k = 0;
    if (s->n) {
        first[nt] = k, x[nt] = p->lnN;
        t[nt++] = u[k + BASE_COEF] - u[k + BASE_EXP] * p->lnN;
        k += 2;
    }
    if (s->d) {
        first[nt] = k, x[nt] = p->lnD;
        t[nt++] = u[k + BASE_COEF] - u[k + BASE_EXP] * p->lnD;
        k += 2;
    }
    if (s->e) {
        first[nt] = k, x[nt] = 0;
        t[nt++] = u[k];
    }
    double r = lse(t, nt, w);
    for (int j = 0; g && j < nt; j++) {
        g[first[j] + BASE_COEF] = w[j];
        if (!(s->e && j == nt - 1)) g[first[j] + BASE_EXP] = -w[j] * x[j];
    }
    return r;
}

/* Delta baseline: log C + gamma_D lD - gamma_N lN with the factors the spec has. */
double psl_lp_base_delta(const psl_model *m, const double *u, const psl_point *p, double *g) {
    const psl_base_spec *s = m->law->spec;
    double r = u[0];
    int k = 1;
    if (g) g[0] = 1;
    if (s->d) {
        r += u[k] * p->lnD;
        if (g) g[k] = p->lnD;
        k++;
    }
    if (s->n) {
        r -= u[k] * p->lnN;
        if (g) g[k] = -p->lnN;
    }
    return r;
}

/* The unified law's degradation term alone (Eq. 9/11), fitted on delta_PTQ:
 *   delta = C_T exp(-P_post/gamma_post) D^gamma_D N_eff^-gamma_N prod_x (1 - exp(-C_x gap_x)),
 * gap_x = P_x - P_post, N_eff = N prod_x (1 - exp(-P_x/gamma_x)) over the spec's parts.
 * Layout: gamma_x per part from 0, the PTQ block from UD_PTQ(nx), C_x per part after it.
 * A part trained at or below the PTQ bits (gap_x <= 0) gives delta = 0: -INFINITY, with a
 * zero gradient (its measured value is the noise floor, fit.h psl_floor_lp). */
static int pv_index(const psl_model *m, int x, double P);
static int pp_index(const psl_model *m, double P);

/* The unified degradation's log(1 - exp(-y)) at y = C_x gap for part x, from prep's
 * table when (P_x, P_post) has an entry (j, q >= 0), else computed; *y and *dy as
 * psl_log1mexp. cx is exp(u[C_x]). */
static double unified_l1m(const psl_prep *prep, int x, int j, int q, double cx, double gap,
                          double *y, double *dy) {
    *y = cx * gap;
    if (prep && j >= 0 && q >= 0) {
        *dy = prep->d1m[x][j][q];
        return prep->l1m[x][j][q];
    }
    return psl_log1mexp(*y, dy);
}

/* Fills prep's l1m for the parts of spec s, with C_x from u at index c (parts in order),
 * for every (P_x, P_post) of the model with P_x > P_post. */
static void prep_l1m(const psl_model *m, const psl_eff_spec *s, const double *u, int c,
                     psl_prep *prep) {
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        double cx = exp(u[c++]);
        prep->cx[x] = cx;
        for (int j = 0; j < m->npv[x]; j++)
            for (int q = 0; q < m->npp; q++) {
                double gap = m->pv[x][j] - m->pp[q];
                if (gap <= 0) continue;
                prep->l1m[x][j][q] = psl_log1mexp(cx * gap, &prep->d1m[x][j][q]);
            }
    }
}

void psl_prep_unified_delta(const psl_model *m, const double *u, psl_prep *prep) {
    const psl_eff_spec *s = m->law->spec;
    int nx = 0;
    for (int x = 0; x < 3; x++) nx += !!(s->nparts & (1u << x));
    int b = UD_PTQ(nx), k = 0;
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        double gam = exp(u[k++]);
        prep->gam[x] = gam;
        for (int j = 0; j < m->npv[x]; j++)
            prep->lf[x][j] = psl_log_factor(m->pv[x][j], gam, 0, &prep->dz[x][j]);
    }
    prep->gp = exp(u[b + PTQ_GAMMA_POST]);
    prep_l1m(m, s, u, b + PTQ_NP, prep);
}

static double unified_delta_eval(const psl_model *m, const double *u, const psl_prep *prep,
                                 const psl_point *p, double *g) {
    const psl_eff_spec *s = m->law->spec;
    const double P[3] = {p->P_w, p->P_a, p->P_kv};
    int nx = 0;
    for (int x = 0; x < 3; x++) nx += !!(s->nparts & (1u << x));
    int b = UD_PTQ(nx), c = b + PTQ_NP;
    if (g) memset(g, 0, (size_t)m->np * sizeof *g);
    for (int x = 0; x < 3; x++)
        if ((s->nparts & (1u << x)) && P[x] - p->P_post <= 0) return -INFINITY;
    double gN = u[b + PTQ_GAMMA_N], gp = prep ? prep->gp : exp(u[b + PTQ_GAMMA_POST]);
    double lneff = p->lnN, ld = u[b + PTQ_C_T] - p->P_post / gp + u[b + PTQ_GAMMA_D] * p->lnD;
    int q = prep ? pp_index(m, p->P_post) : -1;
    int k = 0;
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        double gam = prep ? prep->gam[x] : exp(u[k]), dz, dy, y;
        int j = prep ? pv_index(m, x, P[x]) : -1;
        if (j >= 0) {
            lneff += prep->lf[x][j];
            dz = prep->dz[x][j];
        } else {
            lneff += psl_log_factor(P[x], gam, 0, &dz);
        }
        ld += unified_l1m(prep, x, j, q, prep ? prep->cx[x] : exp(u[c + k]), P[x] - p->P_post, &y,
                          &dy);
        if (g) {
            /* d log N_eff / d log gamma_x; 0 at gamma -> 0, where the factor is flat */
            g[k] = dz > 0 ? gN * dz * P[x] / gam : 0;
            g[c + k] = psl_dlog1mexp_dlog(dy, y);
        }
        k++;
    }
    ld -= gN * lneff;
    if (g) {
        g[b + PTQ_C_T] = 1;
        g[b + PTQ_GAMMA_D] = p->lnD;
        g[b + PTQ_GAMMA_N] = -lneff;
        g[b + PTQ_GAMMA_POST] = p->P_post / gp;
    }
    return ld;
}

double psl_lp_unified_delta(const psl_model *m, const double *u, const psl_point *p, double *g) {
    return unified_delta_eval(m, u, NULL, p, g);
}

double psl_lp_unified_delta_prep(const psl_model *m, const double *u, const psl_prep *prep,
                                 const psl_point *p, double *g) {
    return unified_delta_eval(m, u, prep, p, g);
}

/* The effective-size family: N_eff (per-part factors, optional offsets), D_eff, the
 * unified PTQ term and the precision power laws share one evaluator. Layout of u, each
 * block present only when the spec asks for it (init_eff in law_table.c lays it out):
 *   TIED_A, TIED_B, TIED_E, TIED_ALPHA
 *   per N_eff part (w, a, kv): PART_GAMMA (gamma_x), PART_N (n_x, with offsets)
 *   gamma_Deff (deff PSL_DEFF_OWN; PSL_DEFF_TIED reuses gamma_w)
 *   PTQ_C_T, PTQ_GAMMA_D, PTQ_GAMMA_N, PTQ_GAMMA_POST, then C_x per N_eff part
 *   POW_C_P, POW_GAMMA_P */
static int pv_index(const psl_model *m, int x, double P) {
    for (int j = 0; j < m->npv[x]; j++)
        if (m->pv[x][j] == P) return j;
    return -1;
}

static int pp_index(const psl_model *m, double P) {
    for (int q = 0; q < m->npp; q++)
        if (m->pp[q] == P) return q;
    return -1;
}

void psl_prep_eff(const psl_model *m, const double *u, psl_prep *prep) {
    const psl_eff_spec *s = m->law->spec;
    int k = TIED_NP, gam_w = -1;
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        double gam = exp(u[k + PART_GAMMA]), n = s->offsets ? u[k + PART_N] : 0;
        prep->gam[x] = gam;
        for (int j = 0; j < m->npv[x]; j++)
            prep->lf[x][j] = psl_log_factor(m->pv[x][j], gam, n, &prep->dz[x][j]);
        if (x == 0) gam_w = k + PART_GAMMA;
        k += 1 + s->offsets;
    }
    if (s->deff) {
        int gi = s->deff == PSL_DEFF_TIED ? gam_w : k++;
        double gam = exp(u[gi]);
        prep->gamd = gam;
        for (int j = 0; j < m->npv[0]; j++)
            prep->lfd[j] = psl_log_factor(m->pv[0][j], gam, 0, &prep->dzd[j]);
    }
    if (s->ptq) {
        prep->gp = exp(u[k + PTQ_GAMMA_POST]);
        prep_l1m(m, s, u, k + PTQ_NP, prep);
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
    double alpha = u[TIED_ALPHA];
    double lneff = lN, ldeff = lD;
    int k = TIED_NP, gam_w = -1;
    int jx[3] = {-1, -1, -1};
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        double gam = prep ? prep->gam[x] : exp(u[k + PART_GAMMA]);
        double n = s->offsets ? u[k + PART_N] : 0, dz;
        int j = prep ? pv_index(m, x, P[x]) : -1;
        jx[x] = j;
        if (j >= 0) {
            lneff += prep->lf[x][j];
            dz = prep->dz[x][j];
        } else {
            lneff += psl_log_factor(P[x], gam, n, &dz);
        }
        /* at gamma -> 0 the factor is exactly 1 and flat: 0, not 0 * inf */
        dneff[k + PART_GAMMA] = dz > 0 ? -dz * P[x] / gam : 0;
        if (s->offsets) dneff[k + PART_N] = -dz;
        if (x == 0) gam_w = k + PART_GAMMA;
        k += 1 + s->offsets;
    }
    if (s->deff) {
        int gi = s->deff == PSL_DEFF_TIED ? gam_w : k++;
        double gam = prep ? prep->gamd : exp(u[gi]), dz;
        int j = prep ? pv_index(m, 0, p->P_w) : -1;
        if (j >= 0) {
            ldeff += prep->lfd[j];
            dz = prep->dzd[j];
        } else {
            ldeff += psl_log_factor(p->P_w, gam, 0, &dz);
        }
        ddeff[gi] = dz > 0 ? -dz * p->P_w / gam : 0;
    }
    double t[4] = {[T_N] = u[TIED_A] - alpha * lneff,
                   [T_D] = u[TIED_B] - alpha * ldeff,
                   [T_E] = u[TIED_E],
                   [T_X] = -INFINITY},
           w[4];
    int ptq = k; /* first index of the PTQ block */
    if (s->ptq) {
        int nx = 0;
        for (int x = 0; x < 3; x++) nx += !!(s->nparts & (1u << x));
        if (p->P_post > 0) {
            double gp = prep ? prep->gp : exp(u[ptq + PTQ_GAMMA_POST]);
            int q = prep ? pp_index(m, p->P_post) : -1;
            double ld = u[ptq + PTQ_C_T] - p->P_post / gp + u[ptq + PTQ_GAMMA_D] * lD -
                        u[ptq + PTQ_GAMMA_N] * lneff;
            if (g) {
                dd[ptq + PTQ_C_T] = 1;
                dd[ptq + PTQ_GAMMA_D] = lD;
                dd[ptq + PTQ_GAMMA_N] = -lneff;
                dd[ptq + PTQ_GAMMA_POST] = p->P_post / gp;
                for (int j = 0; j < ptq; j++) dd[j] = -u[ptq + PTQ_GAMMA_N] * dneff[j];
            }
            int c = ptq + PTQ_NP; /* C_x of the first part */
            for (int x = 0; x < 3 && ld > -INFINITY; x++) {
                if (!(s->nparts & (1u << x))) continue;
                double gap = P[x] - p->P_post;
                if (gap <= 0) {
                    ld = -INFINITY; /* trained at or below the PTQ bits: no degradation */
                } else {
                    double y, dz;
                    ld += unified_l1m(prep, x, jx[x], q, prep ? prep->cx[x] : exp(u[c]), gap, &y,
                                      &dz);
                    if (g) dd[c] = psl_dlog1mexp_dlog(dz, y);
                }
                c++;
            }
            t[T_X] = ld;
        }
        k = ptq + PTQ_NP + nx;
    }
    double r = lse(t, 4, w);
    double mult = 0, sig = 0;
    /* k: first index of the power-law block */
    if (s->power == PSL_POWER_MUL) {
        double x = u[k + POW_C_P] - u[k + POW_GAMMA_P] * log(p->P_w);
        mult = x > 30 ? x : log1p(exp(x));
        sig = 1 / (1 + exp(-x));
        r += mult;
    } else if (s->power == PSL_POWER_ADD) {
        double t5[2] = {r, u[k + POW_C_P] - u[k + POW_GAMMA_P] * log(p->P_w)}, w5[2];
        double r2 = lse(t5, 2, w5);
        if (g) {
            for (int i = 0; i < 4; i++) w[i] *= w5[0];
            g[k + POW_C_P] = w5[1];
            g[k + POW_GAMMA_P] = -w5[1] * log(p->P_w);
        }
        r = r2;
    }
    if (g) {
        for (int i = 0; i < k; i++)
            g[i] = -alpha * (w[T_N] * dneff[i] + w[T_D] * ddeff[i]) + w[T_X] * dd[i];
        g[TIED_A] += w[T_N];
        g[TIED_B] += w[T_D];
        g[TIED_E] += w[T_E];
        g[TIED_ALPHA] += -w[T_N] * lneff - w[T_D] * ldeff;
        if (s->power == PSL_POWER_MUL) {
            g[k + POW_C_P] = sig;
            g[k + POW_GAMMA_P] = -sig * log(p->P_w);
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
    double t[3] = {[T_N] = u[TIED_A] - u[TIED_ALPHA] * (lN + leff),
                   [T_D] = u[TIED_B] - u[TIED_ALPHA] * lD,
                   [T_E] = u[TIED_E]};
    double r = lse(t, 3, w);
    if (g) {
        memset(g, 0, (size_t)m->np * sizeof *g);
        g[TIED_A] = w[T_N];
        g[TIED_B] = w[T_D];
        g[TIED_E] = w[T_E];
        g[TIED_ALPHA] = -w[T_N] * (lN + leff) - w[T_D] * lD;
        if (key >= 0) g[m->key0 + key] = -w[T_N] * u[TIED_ALPHA];
    }
    return r;
}

/* QuEST's own form with alpha and beta free: A (N eff)^-alpha + B D^-beta + E, one eff per
 * format key (chinchilla's layout, then the keys from m->key0). */
double psl_lp_quest_free(const psl_model *m, const double *u, const psl_point *p, double *g) {
    double lN = p->lnN, lD = p->lnD, w[3];
    int key = psl_eff_key(m, p);
    if (key == -2) return NAN; /* a format the fit never saw */
    double leff = key >= 0 ? u[m->key0 + key] : 0;
    double t[3] = {[T_N] = u[CH_A] - u[CH_ALPHA] * (lN + leff),
                   [T_D] = u[CH_B] - u[CH_BETA] * lD,
                   [T_E] = u[CH_E]};
    double r = lse(t, 3, w);
    if (g) {
        memset(g, 0, (size_t)m->np * sizeof *g);
        g[CH_A] = w[T_N];
        g[CH_ALPHA] = -w[T_N] * (lN + leff);
        g[CH_B] = w[T_D];
        g[CH_BETA] = -w[T_D] * lD;
        g[CH_E] = w[T_E];
        if (key >= 0) g[m->key0 + key] = -w[T_N] * u[CH_ALPHA];
    }
    return r;
}

/* log L = lse(gamma log S, log E), log S = lse(log A - alpha (log N + log eff_N),
 * log B - beta (log D + log eff_D)); eff_N = eff_D = 1 on unquantized points. */
double psl_lp_quartet(const psl_model *m, const double *u, const psl_point *p, double *g) {
    int key = psl_eff_key(m, p);
    if (key == -2) return NAN; /* a format the fit never saw */
    double leN = key >= 0 ? u[m->key0 + 2 * key] : 0, leD = key >= 0 ? u[m->key0 + 2 * key + 1] : 0;
    double xN = p->lnN + leN, xD = p->lnD + leD, wi[2], wo[2];
    double ti[2] = {u[CH_A] - u[CH_ALPHA] * xN, u[CH_B] - u[CH_BETA] * xD};
    double ls = lse(ti, 2, wi), gam = u[QT_GAMMA];
    double to[2] = {gam * ls, u[CH_E]};
    double r = lse(to, 2, wo);
    if (g) {
        memset(g, 0, (size_t)m->np * sizeof *g);
        double s = wo[0] * gam; /* d r / d log S */
        g[CH_A] = s * wi[0];
        g[CH_ALPHA] = -s * wi[0] * xN;
        g[CH_B] = s * wi[1];
        g[CH_BETA] = -s * wi[1] * xD;
        g[CH_E] = wo[1];
        g[QT_GAMMA] = wo[0] * ls;
        if (key >= 0) {
            g[m->key0 + 2 * key] = -s * wi[0] * u[CH_ALPHA];
            g[m->key0 + 2 * key + 1] = -s * wi[1] * u[CH_BETA];
        }
    }
    return r;
}

/* "e<X>m<Y>" from s: 1 with *E, *M set when s is exactly that. */
static int parse_exmy(const char *s, double *E, double *M) {
    if (*s++ != 'e' || *s < '0' || *s > '9') return 0;
    int e = 0, k = 0;
    while (*s >= '0' && *s <= '9' && k++ < 3) e = 10 * e + (*s++ - '0');
    if (*s++ != 'm' || *s < '0' || *s > '9') return 0;
    int mm = 0;
    k = 0;
    while (*s >= '0' && *s <= '9' && k++ < 3) mm = 10 * mm + (*s++ - '0');
    if (*s) return 0;
    *E = e, *M = mm;
    return 1;
}

int psl_fp_layout(const psl_point *p, double *E, double *M, double *B) {
    const char *f = p->format;
    if (!strcmp(f, "mxfp4")) {
        *E = 2, *M = 1, *B = 32;
        return 1;
    }
    if (!strcmp(f, "nvfp4")) {
        *E = 2, *M = 1, *B = 16; /* the E4M3 block scale; the FP32 scale per granule aside */
        return 1;
    }
    if (!strncmp(f, "mxfp", 4)) { /* mxfp8_e4m3, mxfp6_e2m3, ...: blocks of 32 */
        const char *us = strchr(f, '_');
        if (!us || !parse_exmy(us + 1, E, M)) return 0;
        *B = 32;
        return 1;
    }
    if (parse_exmy(f, E, M) && p->G > 1) {
        *B = p->G;
        return 1;
    }
    return 0;
}

/* Sun et al. 2025: n N^-alpha + d D^-beta + epsilon, plus on an FP-quantized run
 * D^beta N^-alpha log2(B) / (gamma (E+0.5)^delta (M+0.5)^nu); an unquantized run has no
 * E, M, B and no such term. */
double psl_lp_sun(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, w[4], E = 0, M = 0, B = 0, lE = 0, lM = 0;
    int q = !psl_point_high_precision(p);
    if (q && !psl_fp_layout(p, &E, &M, &B)) return NAN; /* no E, M, B: not this law's */
    double tx = -INFINITY;
    if (q) {
        lE = log(E + 0.5), lM = log(M + 0.5);
        tx = u[CH_BETA] * lD - u[CH_ALPHA] * lN + log(log2(B)) - u[SUN_GAMMA] - u[SUN_DELTA] * lE -
             u[SUN_NU] * lM;
    }
    double t[4] = {[T_N] = u[CH_A] - u[CH_ALPHA] * lN,
                   [T_D] = u[CH_B] - u[CH_BETA] * lD,
                   [T_E] = u[CH_E],
                   [T_X] = tx};
    double r = lse(t, 4, w);
    if (g) {
        g[CH_A] = w[T_N];
        g[CH_ALPHA] = -(w[T_N] + w[T_X]) * lN;
        g[CH_B] = w[T_D];
        g[CH_BETA] = (w[T_X] - w[T_D]) * lD;
        g[CH_E] = w[T_E];
        g[SUN_GAMMA] = -w[T_X];
        g[SUN_DELTA] = -w[T_X] * lE;
        g[SUN_NU] = -w[T_X] * lM;
    }
    return r;
}

/* Chen et al.: Chinchilla plus k D^gD (log2 G)^gG / N^gN on quantized runs. */
double psl_lp_chen(const psl_model *m, const double *u, const psl_point *p, double *g) {
    (void)m;
    double lN = p->lnN, lD = p->lnD, w[4];
    int q = p->P_w < 16 && p->G > 1;
    double lG = q ? log(log2(p->G)) : 0;
    double t[4] = {[T_N] = u[CH_A] - u[CH_ALPHA] * lN,
                   [T_D] = u[CH_B] - u[CH_BETA] * lD,
                   [T_E] = u[CH_E],
                   [T_X] = q ? u[CHEN_K] + u[CHEN_GAMMA_D] * lD + u[CHEN_GAMMA_G] * lG -
                                   u[CHEN_GAMMA_N] * lN
                             : -INFINITY};
    double r = lse(t, 4, w);
    if (g) {
        g[CH_A] = w[T_N];
        g[CH_ALPHA] = -w[T_N] * lN;
        g[CH_B] = w[T_D];
        g[CH_BETA] = -w[T_D] * lD;
        g[CH_E] = w[T_E];
        g[CHEN_K] = w[T_X];
        g[CHEN_GAMMA_D] = w[T_X] * lD;
        g[CHEN_GAMMA_G] = w[T_X] * lG;
        g[CHEN_GAMMA_N] = -w[T_X] * lN;
    }
    return r;
}
