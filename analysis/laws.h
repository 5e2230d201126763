/* Internal: the evaluators behind the catalogue (laws.c) and their shared specs. */
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
