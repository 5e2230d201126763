/* Internal: what the catalogue's entries (law_table.c) are built from: the shared set-up
 * helpers (law_setup.c), the evaluators (laws.c) and their specs. */
#ifndef PSL_ANALYSIS_LAWS_H
#define PSL_ANALYSIS_LAWS_H

#include "law.h"

enum { PSL_POWER_NONE, PSL_POWER_ADD, PSL_POWER_MUL };

/* Shape of an effective-size law (see psl_lp_eff). */
typedef struct {
    unsigned nparts; /* N_eff parts: 1 weights, 2 activations, 4 KV cache */
    int offsets;     /* factor 1 - exp(-P/gamma + n) instead of 1 - exp(-P/gamma) */
    int deff;        /* D_eff = D (1 - exp(-P_w/gamma)): 0 none, 1 gamma of N_eff, 2 own */
    int ptq;         /* add the unified law's delta_PTQ term */
    int power;       /* PSL_POWER_ADD: + C_P P_w^-gamma_P; MUL: * (1 + C_P P_w^-gamma_P) */
} psl_eff_spec;

/* Means of the logs of a law's points, the centres of its coefficient/exponent shifts. */
typedef struct {
    double lN, lD, lPw, lPpost; /* lPpost: over the points with P_post > 0 */
} psl_centre;

psl_centre psl_centre_of(const psl_point *const *pts, size_t n);

/* Appends parameter m->np (name cut to fit pname; logp: fitted as its log). */
void psl_model_add_param(psl_model *m, const char *name, int logp, int grid);
/* u[c] = v[c] + s v[e] (see psl_model's shift); ignored past the table's capacity. */
void psl_model_add_shift(psl_model *m, int c, int e, double s);
/* Fills m->npv, m->pv with the distinct precisions of the points (for psl_prep). */
void psl_model_collect_pv(psl_model *m, const psl_point *const *pts, size_t n);

double psl_lse(const double *t, int k, double *w);
double psl_log1mexp(double z, double *dz);
int psl_eff_key(const psl_model *m, const psl_point *p);

double psl_lp_chinchilla(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_chinchilla_tied(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_ptq(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_ouyang(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_eff(const psl_model *m, const double *u, const psl_point *p, double *g);
void psl_prep_eff(const psl_model *m, const double *u, psl_prep *prep);
double psl_lp_eff_prep(const psl_model *m, const double *u, const psl_prep *prep,
                       const psl_point *p, double *g);
double psl_lp_quest(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_chen(const psl_model *m, const double *u, const psl_point *p, double *g);

#endif
