/* Internal: what the catalogue's entries (law_table.c) are built from: the shared set-up
 * helpers (law_setup.c), the evaluators (laws.c) and their specs. */
#ifndef PSL_ANALYSIS_LAWS_H
#define PSL_ANALYSIS_LAWS_H

#include "law.h"

/* Parameter layouts: where each parameter of a law sits in u[] (and in grad[]). The init
 * that declares a law's parameters (law_table.c) and the evaluator that reads them
 * (laws.c) both use these names, so a layout is written down once. */

/* chinchilla: L = A N^-alpha + B D^-beta + E */
enum { CH_A, CH_ALPHA, CH_B, CH_BETA, CH_E, CH_NP };
/* chen: chinchilla's layout, then the QAT penalty k D^gamma_D (log2 G)^gamma_G N^-gamma_N */
enum { CHEN_K = CH_NP, CHEN_GAMMA_D, CHEN_GAMMA_G, CHEN_GAMMA_N, CHEN_NP };
/* chinchilla_tied: L = A N^-alpha + B D^-alpha + E; also the head of every N_eff-type law
 * and of quest_eff, whose own parameters follow from TIED_NP. */
enum { TIED_A, TIED_B, TIED_E, TIED_ALPHA, TIED_NP };
/* quest_eff_free: chinchilla's layout (alpha and beta free), then one eff per format key
 * from m->key0, as quest_eff after its tied head. */
/* sun_fp (Sun et al. 2025): chinchilla's layout with the paper's names (n, alpha, d, beta,
 * epsilon), then the precision term D^beta N^-alpha log2(B) / (gamma (E+0.5)^delta
 * (M+0.5)^nu) on FP-quantized runs. */
enum { SUN_GAMMA = CH_NP, SUN_DELTA, SUN_NU, SUN_NP };
/* quartet (Castro et al. 2025, Quartet): L = (A (N eff_N)^-alpha + B (D eff_D)^-beta)^gamma
 * + E: chinchilla's layout, the outer exponent gamma, then per format key k a parameter
 * efficiency eff_N at m->key0 + 2k and a data efficiency eff_D at m->key0 + 2k + 1. */
enum { QT_GAMMA = CH_NP, QT_NP };
/* ptq: delta = C_T D^gamma_D N^-gamma_N exp(-P_post/gamma_post); the unified laws carry the
 * same block (from its first index) followed by one C_x per N_eff part. */
enum { PTQ_C_T, PTQ_GAMMA_D, PTQ_GAMMA_N, PTQ_GAMMA_POST, PTQ_NP };
/* unified_w, unified (on delta_PTQ, Eq. 9/11's degradation term): the N_eff parts' gamma_x
 * (w, a, kv as the spec has them) from 0, then the PTQ block from UD_PTQ(nparts), then
 * C_x per part. */
#define UD_PTQ(nx) (nx)
/* Baselines (compare.c: the simpler forms a law is compared with; docs/laws.md
 * "Baselines"). A loss baseline is a log-sum-exp of the terms its spec has, parameters in
 * this order: the N term A N^-alpha (A, alpha), the D term B D^-beta (B, beta), E. A delta
 * baseline is delta = C D^gamma_D N^-gamma_N with the factors its spec has: C, then
 * gamma_D, then gamma_N. */
typedef struct {
    int n, d; /* the N term / factor, the D term / factor */
    int e;    /* a loss baseline's constant E */
} psl_base_spec;
enum { BASE_COEF, BASE_EXP }; /* within a term: its coefficient, then its exponent */
/* ouyang: delta = k D^beta N^-alpha P_post^-gamma */
enum { OY_K, OY_BETA, OY_ALPHA, OY_GAMMA, OY_NP };
/* The effective-size family's blocks, as offsets from each block's first index: an N_eff
 * part is gamma_x, then n_x when the law has offsets; the precision power law is
 * C_P P_w^-gamma_P. (The whole layout is in laws.c, before psl_prep_eff.) */
enum { PART_GAMMA, PART_N };
enum { POW_C_P, POW_GAMMA_P, POW_NP };

/* One parameter as a law declares it: the name reports show, whether it is fitted as the
 * log of the shown value, and its start grid (enum psl_grid). */
typedef struct {
    const char *name;
    int log;
    int grid;
} psl_param;

/* The N_eff parts, as bits of psl_eff_spec.nparts. */
enum { PSL_PART_W = 1, PSL_PART_A = 2, PSL_PART_KV = 4, PSL_PART_ALL = 7 };

/* psl_eff_spec.deff: no D_eff, D_eff with gamma_w of N_eff, D_eff with its own gamma_Deff */
enum { PSL_DEFF_NONE, PSL_DEFF_TIED, PSL_DEFF_OWN };

enum { PSL_POWER_NONE, PSL_POWER_ADD, PSL_POWER_MUL };

/* Shape of an effective-size law (see psl_lp_eff). */
typedef struct {
    unsigned nparts; /* N_eff parts: PSL_PART_W | PSL_PART_A | PSL_PART_KV */
    int offsets;     /* factor 1 - exp(-P/gamma + n) instead of 1 - exp(-P/gamma) */
    int deff;        /* D_eff = D (1 - exp(-P_w/gamma)): PSL_DEFF_NONE, _TIED, _OWN */
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
/* Appends the n parameters of p in order; returns the index of the first, so a block's
 * enum offsets (PTQ_*, POW_*) find them. */
int psl_model_add_params(psl_model *m, const psl_param *p, int n);
/* u[c] = v[c] + s v[e] (see psl_model's shift); ignored past the table's capacity. */
void psl_model_add_shift(psl_model *m, int c, int e, double s);
/* Fills m->npv, m->pv with the distinct precisions of the points (for psl_prep). */
void psl_model_collect_pv(psl_model *m, const psl_point *const *pts, size_t n);

double psl_lse(const double *t, int k, double *w);
double psl_log1mexp(double z, double *dz);
/* d/d log y of log(1 - exp(-y)) given its d/dy: y dy, and 0 at y = +inf (not 0 * inf). */
double psl_dlog1mexp_dlog(double dy, double y);
int psl_eff_key(const psl_model *m, const psl_point *p);

double psl_lp_chinchilla(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_chinchilla_tied(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_ptq(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_ouyang(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_unified_delta(const psl_model *m, const double *u, const psl_point *p, double *g);
void psl_prep_unified_delta(const psl_model *m, const double *u, psl_prep *prep);
double psl_lp_unified_delta_prep(const psl_model *m, const double *u, const psl_prep *prep,
                                 const psl_point *p, double *g);
double psl_lp_base_loss(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_base_delta(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_eff(const psl_model *m, const double *u, const psl_point *p, double *g);
void psl_prep_eff(const psl_model *m, const double *u, psl_prep *prep);
double psl_lp_eff_prep(const psl_model *m, const double *u, const psl_prep *prep,
                       const psl_point *p, double *g);
double psl_lp_quest(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_quest_free(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_quartet(const psl_model *m, const double *u, const psl_point *p, double *g);
/* The FP layout of a point's training weight format for sun_fp: exponent bits *E, mantissa
 * bits *M and the block size *B of the scale (MX formats 32, NVFP4 16, eXmY the group size
 * G > 1 of a grouped run). 1 when all three are known, else 0 (not an FP format, or a scale
 * per tensor or per row, whose block the point does not carry). */
int psl_fp_layout(const psl_point *p, double *E, double *M, double *B);
double psl_lp_sun(const psl_model *m, const double *u, const psl_point *p, double *g);
double psl_lp_chen(const psl_model *m, const double *u, const psl_point *p, double *g);

#endif
