/* The law catalogue: each law is a table entry (parameters with their transform and
 * start grid, the runs it applies to, what the runs must vary for it to be identified,
 * and its prediction with analytic gradient). See docs/laws.md. */
#ifndef PSL_ANALYSIS_LAW_H
#define PSL_ANALYSIS_LAW_H

#include "data.h"

#define PSL_MAXP 32
/* A parameter's label: room for eff(<format> w<P_w>a<P_a>kv<P_kv>) with the longest
 * format (PSL_FORMAT_MAX), so labels stay whole and distinct. */
#define PSL_PNAME_MAX (PSL_FORMAT_MAX + 48)

enum psl_target { PSL_TARGET_LOSS, PSL_TARGET_DELTA };

/* Start-grid families (values in the fitted, internal space). */
enum psl_grid {
    PSL_G_COEF,   /* log of A, B: 0, 5, ..., 25 (Hoffmann) */
    PSL_G_EXP,    /* alpha, beta: 0, 0.5, ..., 2 (Hoffmann) */
    PSL_G_E,      /* log E: -1, -0.5, ..., 1 (Hoffmann) */
    PSL_G_GAMMA,  /* log of a bits scale gamma_x: ln 1, 2, 4 */
    PSL_G_OFFSET, /* offset n_x: 0, 1, 2 */
    PSL_G_LOGK,   /* log of a small coefficient (C_T, k): -6, -3, 0 */
    PSL_G_DEXP,   /* exponents of a degradation law: 0, 0.5, 1 */
    PSL_G_CX,     /* log C_x: ln 0.3, 1, 3 */
    PSL_G_EFF,    /* log eff(P): 0, -0.7 */
    PSL_G_PEXP,   /* exponent of precision in power laws: 0.5, 1, 2 */
    PSL_G_COUNT
};

/* Fields a law may need to vary among the runs it applies to. */
enum psl_field { PSL_F_N, PSL_F_D, PSL_F_PW, PSL_F_PA, PSL_F_PKV, PSL_F_PPOST, PSL_F_G };

typedef struct {
    int field;        /* enum psl_field; a zero min_distinct ends the list */
    int min_distinct; /* distinct values needed */
    int need_low;     /* one of them must be below 16 bits (quantized) */
    int ptq_only;     /* count only post-training-quantized points */
} psl_need;

typedef struct psl_model psl_model;

/* Per-evaluation tables of the N_eff/D_eff factors at the distinct precisions of the
 * fitted points: the factors depend on P only, and points share few P values, so an
 * objective evaluation computes each exp/log1p pair once instead of once per point. The
 * same for the unified laws' log(1 - exp(-C_x (P_x - P_post))) per pair of a part's
 * precision and a PTQ precision, and the exp of each parameter a law uses as
 * exp(u[k]). Each entry is computed by the very expression the law evaluates without the
 * table, so a prediction is the same with and without it. */
#define PSL_MAXPV 16
typedef struct {
    double lf[3][PSL_MAXPV], dz[3][PSL_MAXPV]; /* per part: log factor, d/dz */
    double lfd[PSL_MAXPV], dzd[PSL_MAXPV];     /* D_eff factor at the P_w values */
    double gam[3], gamd, gp, cx[3];            /* exp of gamma_x, gamma_Deff, gamma_post, C_x */
    /* unified degradation per part x, P_x value j, P_post value q with P_x > P_post:
     * log(1 - exp(-y)) at y = C_x (P_x - P_post), and its d/dy */
    double l1m[3][PSL_MAXPV][PSL_MAXPV], d1m[3][PSL_MAXPV][PSL_MAXPV];
} psl_prep;

typedef struct psl_law {
    const char *name, *title, *formula;
    int target; /* enum psl_target: fit log loss or log delta_PTQ */
    const void *spec;
    psl_need needs[8];
    int (*applies)(const psl_point *p);
    /* Fills np, pname, logp, grid (and shifts) of m; may depend on the runs (per-format
     * eff). Parameter layouts are named by the enums in laws.h. */
    int (*init)(psl_model *m, const psl_point *const *pts, size_t n);
    /* Extra identifiability condition; 0 when fine, else why is written. */
    int (*identify)(const psl_model *m, const psl_point *const *pts, size_t n, char *why,
                    size_t len);
    /* log of the predicted target at internal parameters u; grad (if non-NULL) gets
     * d/du of it. */
    double (*logpred)(const psl_model *m, const double *u, const psl_point *p, double *grad);
    /* Optional: fill a psl_prep for u, and the same prediction using it. */
    void (*prepare)(const psl_model *m, const double *u, psl_prep *prep);
    double (*logpred_prep)(const psl_model *m, const double *u, const psl_prep *prep,
                           const psl_point *p, double *grad);
} psl_law;

struct psl_model {
    const psl_law *law;
    int np;
    char pname[PSL_MAXP][PSL_PNAME_MAX];
    unsigned char logp[PSL_MAXP]; /* fitted as log of the shown value */
    unsigned char grid[PSL_MAXP]; /* enum psl_grid */
    /* Centring: the optimiser works on v with u[c] = v[c] + s * v[e] for each shift, so
     * a coefficient and its exponent are not nearly collinear (log N ~ 17). */
    int nshift;
    struct {
        int c, e;
        double s;
    } shift[12];
    /* distinct P_w, P_a, P_kv of the points the model was set up on (npv -1: too many),
     * and of their P_post > 0 */
    int npv[3];
    double pv[3][PSL_MAXPV];
    int npp;
    double pp[PSL_MAXPV];
    /* per-format eff laws: the format keys that own a parameter */
    int nkeys;
    int key0; /* index of the first key parameter */
    char key_fmt[PSL_MAXP][PSL_FORMAT_MAX];
    double key_p[PSL_MAXP][3];
};

extern const psl_law psl_laws[];
extern const int psl_nlaws;

/* The simpler forms every law is compared with (compare.c; docs/laws.md "Baselines"),
 * fitted only beside a law, on its points: for loss laws tied Chinchilla (no precision
 * term), B D^-beta + E (D only), A N^-alpha + E (N only) and the pure power laws B D^-beta
 * and A N^-alpha; for delta laws C D^gamma_D N^-gamma_N (no precision term), C D^gamma_D
 * (D only) and C N^-gamma_N (N only). */
extern const psl_law psl_baselines[];
extern const int psl_nbaselines;

const psl_law *psl_law_find(const char *name);

/* Prepares (when the law can) into *prep and returns it, or returns NULL. */
const psl_prep *psl_prepare(const psl_model *m, const double *u, psl_prep *prep);
/* log prediction, using prep when given (from psl_prepare with the same u). */
double psl_eval(const psl_model *m, const double *u, const psl_prep *prep, const psl_point *p,
                double *grad);

/* The shown value of parameter i (exp of the internal one for log parameters). */
double psl_model_value(const psl_model *m, int i, const double *u);

/* The target a law fits, for point p: loss or delta (of either sign); NAN when the point
 * lacks it. */
double psl_target_value(const psl_law *law, const psl_point *p);

/* Collects the points law applies to with a usable target: a loss > 0; for a delta law
 * every finite delta when dfloor (the noise floor, floor.h) is > 0, since those at or
 * below it are fitted as censored, else only delta > 0. Returns the count; *out is
 * malloc'd. */
size_t psl_law_select(const psl_law *law, const psl_data *d, double dfloor, const psl_point ***out);

/* Sets up m for these points and checks identifiability. 0 when the law can be fitted;
 * otherwise why says which runs are missing. */
int psl_model_setup(psl_model *m, const psl_law *law, const psl_point *const *pts, size_t n,
                    char *why, size_t len);

/* u = S v and back (see nshift), and the gradient's chain rule g_v = S^T g_u; inline, as
 * the fits call them once per point and evaluation. */
static inline void psl_model_to_u(const psl_model *m, const double *v, double *u) {
    for (int i = 0; i < m->np; i++) u[i] = v[i];
    for (int k = 0; k < m->nshift; k++) u[m->shift[k].c] += m->shift[k].s * v[m->shift[k].e];
}

static inline void psl_model_to_v(const psl_model *m, const double *u, double *v) {
    /* exponents are never shifted, so the inverse only subtracts */
    for (int i = 0; i < m->np; i++) v[i] = u[i];
    for (int k = 0; k < m->nshift; k++) v[m->shift[k].c] -= m->shift[k].s * u[m->shift[k].e];
}

static inline void psl_model_grad_v(const psl_model *m, const double *gu, double *gv) {
    for (int i = 0; i < m->np; i++) gv[i] = gu[i];
    for (int k = 0; k < m->nshift; k++) gv[m->shift[k].e] += m->shift[k].s * gu[m->shift[k].c];
}

/* Points to the start values of grid family g; returns the count. */
int psl_grid_values(int g, const double **v);

/* Named law-specific helpers used by derived quantities and figures: log of the N_eff/N
 * factor of one part (gamma in bits, offset n). */
double psl_log_factor(double P, double gamma, double n, double *dz);

#endif
