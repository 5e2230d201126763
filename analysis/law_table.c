/* The catalogue itself: one entry per law, plus the generic set-up every law shares
 * (parameter naming, start grids, point selection, identifiability). */
#include "laws.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double g_coef[] = {0, 5, 10, 15, 20, 25};
static const double g_exp[] = {0, 0.5, 1, 1.5, 2};
static const double g_e[] = {-1, -0.5, 0, 0.5, 1};
static const double g_gamma[] = {0, 0.6931471805599453, 1.3862943611198906};
static const double g_offset[] = {0, 1, 2};
static const double g_logk[] = {-6, -3, 0};
static const double g_dexp[] = {0, 0.5, 1};
static const double g_cx[] = {-1.2039728043259361, 0, 1.0986122886681098};
static const double g_eff[] = {0, -0.7};
static const double g_pexp[] = {0.5, 1, 2};

int psl_grid_values(int g, const double **v) {
#define G(arr)                                                                                     \
    do {                                                                                           \
        *v = arr;                                                                                  \
        return (int)(sizeof arr / sizeof *arr);                                                    \
    } while (0)
    switch (g) {
    case PSL_G_COEF:
        G(g_coef);
    case PSL_G_EXP:
        G(g_exp);
    case PSL_G_E:
        G(g_e);
    case PSL_G_GAMMA:
        G(g_gamma);
    case PSL_G_OFFSET:
        G(g_offset);
    case PSL_G_LOGK:
        G(g_logk);
    case PSL_G_DEXP:
        G(g_dexp);
    case PSL_G_CX:
        G(g_cx);
    case PSL_G_EFF:
        G(g_eff);
    default:
        G(g_pexp);
    }
#undef G
}

static void addp(psl_model *m, const char *name, int logp, int grid) {
    size_t k = strlen(name);
    if (k >= sizeof m->pname[m->np]) k = sizeof m->pname[m->np] - 1;
    memcpy(m->pname[m->np], name, k);
    m->pname[m->np][k] = '\0';
    m->logp[m->np] = (unsigned char)logp;
    m->grid[m->np] = (unsigned char)grid;
    m->np++;
}

static void addshift(psl_model *m, int c, int e, double s) {
    if (m->nshift < (int)(sizeof m->shift / sizeof *m->shift)) {
        m->shift[m->nshift].c = c;
        m->shift[m->nshift].e = e;
        m->shift[m->nshift].s = s;
        m->nshift++;
    }
}

typedef struct {
    double lN, lD, lPw, lPpost;
} centre;

static centre centre_of(const psl_point *const *pts, size_t n) {
    centre c = {0, 0, 0, 0};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        c.lN += log(pts[i]->N);
        c.lD += log(pts[i]->D);
        c.lPw += log(pts[i]->P_w);
        if (pts[i]->P_post > 0) c.lPpost += log(pts[i]->P_post), k++;
    }
    if (n) c.lN /= (double)n, c.lD /= (double)n, c.lPw /= (double)n;
    if (k) c.lPpost /= (double)k;
    return c;
}

void psl_model_to_u(const psl_model *m, const double *v, double *u) {
    for (int i = 0; i < m->np; i++) u[i] = v[i];
    for (int k = 0; k < m->nshift; k++) u[m->shift[k].c] += m->shift[k].s * v[m->shift[k].e];
}

void psl_model_to_v(const psl_model *m, const double *u, double *v) {
    /* exponents are never shifted, so the inverse only subtracts */
    for (int i = 0; i < m->np; i++) v[i] = u[i];
    for (int k = 0; k < m->nshift; k++) v[m->shift[k].c] -= m->shift[k].s * u[m->shift[k].e];
}

void psl_model_grad_v(const psl_model *m, const double *gu, double *gv) {
    for (int i = 0; i < m->np; i++) gv[i] = gu[i];
    for (int k = 0; k < m->nshift; k++) gv[m->shift[k].e] += m->shift[k].s * gu[m->shift[k].c];
}

/* ---- applicability ---- */

static int ap_hp_train(const psl_point *p) {
    return p->P_post <= 0 && psl_point_high_precision(p);
}
static int ap_hp_ptq(const psl_point *p) {
    return p->P_post > 0 && psl_point_high_precision(p);
}
static int ap_w(const psl_point *p) {
    return p->P_post <= 0 && p->P_a >= 16 && p->P_kv >= 16;
}
static int ap_a(const psl_point *p) {
    return p->P_post <= 0 && p->P_w >= 16 && p->P_kv >= 16;
}
static int ap_kv(const psl_point *p) {
    return p->P_post <= 0 && p->P_w >= 16 && p->P_a >= 16;
}
static int ap_train(const psl_point *p) {
    return p->P_post <= 0;
}
static int ap_w_all(const psl_point *p) {
    return p->P_a >= 16 && p->P_kv >= 16;
}
static int ap_all(const psl_point *p) {
    (void)p;
    return 1;
}
static int ap_chen(const psl_point *p) {
    return p->P_post <= 0 && (psl_point_high_precision(p) || p->G > 1);
}

/* ---- parameter layouts ---- */

static int init_chinchilla(psl_model *m, const psl_point *const *pts, size_t n) {
    centre c = centre_of(pts, n);
    addp(m, "A", 1, PSL_G_COEF);
    addp(m, "alpha", 0, PSL_G_EXP);
    addp(m, "B", 1, PSL_G_COEF);
    addp(m, "beta", 0, PSL_G_EXP);
    addp(m, "E", 1, PSL_G_E);
    addshift(m, 0, 1, c.lN);
    addshift(m, 2, 3, c.lD);
    return 0;
}

static void base_tied(psl_model *m, const psl_point *const *pts, size_t n) {
    centre c = centre_of(pts, n);
    addp(m, "A", 1, PSL_G_COEF);
    addp(m, "B", 1, PSL_G_COEF);
    addp(m, "E", 1, PSL_G_E);
    addp(m, "alpha=beta", 0, PSL_G_EXP);
    addshift(m, 0, 3, c.lN);
    addshift(m, 1, 3, c.lD);
}

static int init_tied(psl_model *m, const psl_point *const *pts, size_t n) {
    base_tied(m, pts, n);
    return 0;
}

static int init_ptq(psl_model *m, const psl_point *const *pts, size_t n) {
    centre c = centre_of(pts, n);
    addp(m, "C_T", 1, PSL_G_LOGK);
    addp(m, "gamma_D", 0, PSL_G_DEXP);
    addp(m, "gamma_N", 0, PSL_G_DEXP);
    addp(m, "gamma_post", 1, PSL_G_GAMMA);
    addshift(m, 0, 1, -c.lD);
    addshift(m, 0, 2, c.lN);
    return 0;
}

static int init_ouyang(psl_model *m, const psl_point *const *pts, size_t n) {
    centre c = centre_of(pts, n);
    addp(m, "k", 1, PSL_G_LOGK);
    addp(m, "beta", 0, PSL_G_DEXP);
    addp(m, "alpha", 0, PSL_G_DEXP);
    addp(m, "gamma", 0, PSL_G_PEXP);
    addshift(m, 0, 1, -c.lD);
    addshift(m, 0, 2, c.lN);
    addshift(m, 0, 3, c.lPpost);
    return 0;
}

static const char *const part_name[3] = {"w", "a", "kv"};

static void collect_pv(psl_model *m, const psl_point *const *pts, size_t n) {
    for (int x = 0; x < 3; x++) {
        m->npv[x] = 0;
        for (size_t i = 0; i < n && m->npv[x] >= 0; i++) {
            double P = x == 0 ? pts[i]->P_w : x == 1 ? pts[i]->P_a : pts[i]->P_kv;
            int j = 0;
            while (j < m->npv[x] && m->pv[x][j] != P) j++;
            if (j < m->npv[x]) continue;
            if (m->npv[x] == PSL_MAXPV)
                m->npv[x] = -1; /* too many: evaluate directly */
            else
                m->pv[x][m->npv[x]++] = P;
        }
        if (m->npv[x] < 0) m->npv[x] = 0;
    }
}

static int init_eff(psl_model *m, const psl_point *const *pts, size_t n) {
    const psl_eff_spec *s = m->law->spec;
    collect_pv(m, pts, n);
    centre cc = centre_of(pts, n);
    char nm[32];
    base_tied(m, pts, n);
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        snprintf(nm, sizeof nm, "gamma_%s", part_name[x]);
        addp(m, nm, 1, PSL_G_GAMMA);
        if (s->offsets) {
            snprintf(nm, sizeof nm, "n_%s", part_name[x]);
            addp(m, nm, 0, PSL_G_OFFSET);
        }
    }
    if (s->deff == 2) addp(m, "gamma_Deff", 1, PSL_G_GAMMA);
    if (s->ptq) {
        addshift(m, m->np, m->np + 1, -cc.lD);
        addshift(m, m->np, m->np + 2, cc.lN);
        addp(m, "C_T", 1, PSL_G_LOGK);
        addp(m, "gamma_D", 0, PSL_G_DEXP);
        addp(m, "gamma_N", 0, PSL_G_DEXP);
        addp(m, "gamma_post", 1, PSL_G_GAMMA);
        for (int x = 0; x < 3; x++) {
            if (!(s->nparts & (1u << x))) continue;
            snprintf(nm, sizeof nm, "C_%s", part_name[x]);
            addp(m, nm, 1, PSL_G_CX);
        }
    }
    if (s->power) {
        addshift(m, m->np, m->np + 1, cc.lPw);
        addp(m, "C_P", 1, PSL_G_LOGK);
        addp(m, "gamma_P", 0, PSL_G_PEXP);
    }
    return 0;
}

static int init_quest(psl_model *m, const psl_point *const *pts, size_t n) {
    base_tied(m, pts, n);
    m->key0 = m->np;
    for (size_t i = 0; i < n; i++) {
        const psl_point *p = pts[i];
        if (psl_point_high_precision(p) || psl_eff_key(m, p) >= 0) continue;
        if (m->np >= PSL_MAXP) return -1;
        int k = m->nkeys++;
        snprintf(m->key_fmt[k], sizeof m->key_fmt[k], "%s", p->format);
        m->key_p[k][0] = p->P_w;
        m->key_p[k][1] = p->P_a;
        m->key_p[k][2] = p->P_kv;
        char nm[96];
        snprintf(nm, sizeof nm, "eff(%.8s w%ga%gkv%g)", p->format, p->P_w, p->P_a, p->P_kv);
        addp(m, nm, 1, PSL_G_EFF);
    }
    return 0;
}

static int init_chen(psl_model *m, const psl_point *const *pts, size_t n) {
    centre c = centre_of(pts, n);
    init_chinchilla(m, pts, n);
    addshift(m, 5, 6, -c.lD);
    addshift(m, 5, 8, c.lN);
    addp(m, "k", 1, PSL_G_LOGK);
    addp(m, "gamma_D", 0, PSL_G_DEXP);
    addp(m, "gamma_G", 0, PSL_G_DEXP);
    addp(m, "gamma_N", 0, PSL_G_DEXP);
    return 0;
}

/* ---- extra identifiability conditions ---- */

static int id_quest(const psl_model *m, const psl_point *const *pts, size_t n, char *why,
                    size_t len) {
    size_t ref = 0;
    for (size_t i = 0; i < n; i++) ref += psl_point_high_precision(pts[i]);
    if (!ref) {
        snprintf(why, len, "no unquantized (>= 16 bit) runs: eff(P) is measured against them");
        return 1;
    }
    if (!m->nkeys) {
        snprintf(why, len, "no quantized runs: nothing to give an eff(P)");
        return 1;
    }
    return 0;
}

static int id_chen(const psl_model *m, const psl_point *const *pts, size_t n, char *why,
                   size_t len) {
    (void)m;
    double bits = 0;
    size_t q = 0;
    for (size_t i = 0; i < n; i++) {
        const psl_point *p = pts[i];
        if (psl_point_high_precision(p)) continue;
        if (q++ && p->P_w != bits) {
            snprintf(why, len,
                     "Chen's form is per bit width but the grouped runs use P_w %g and %g; "
                     "filter the runs to one width",
                     bits, p->P_w);
            return 1;
        }
        bits = p->P_w;
    }
    if (q < 5) {
        snprintf(why, len,
                 "only %zu quantized runs with a group size G > 1 (G column or "
                 "group_size_w); need at least 5",
                 q);
        return 1;
    }
    return 0;
}

/* ---- the table ---- */

static const psl_eff_spec s_w = {1, 0, 0, 0, 0}, s_a = {2, 0, 0, 0, 0}, s_kv = {4, 0, 0, 0, 0};
static const psl_eff_spec s_w_o = {1, 1, 0, 0, 0}, s_a_o = {2, 1, 0, 0, 0},
                          s_kv_o = {4, 1, 0, 0, 0};
static const psl_eff_spec s_joint = {7, 0, 0, 0, 0}, s_joint_o = {7, 1, 0, 0, 0};
static const psl_eff_spec s_uni_w = {1, 0, 0, 1, 0}, s_uni = {7, 0, 0, 1, 0};
static const psl_eff_spec s_deff = {0, 0, 2, 0, 0}, s_nd_tied = {1, 0, 1, 0, 0},
                          s_nd_untied = {1, 0, 2, 0, 0};
static const psl_eff_spec s_add = {0, 0, 0, 0, PSL_POWER_ADD}, s_mul = {0, 0, 0, 0, PSL_POWER_MUL};

#define ND                                                                                         \
    {PSL_F_N, 2, 0, 0}, {                                                                          \
        PSL_F_D, 2, 0, 0                                                                           \
    }
#define NEED_PW(k)                                                                                 \
    { PSL_F_PW, k, 1, 0 }
#define NEED_PA(k)                                                                                 \
    { PSL_F_PA, k, 1, 0 }
#define NEED_PKV(k)                                                                                \
    { PSL_F_PKV, k, 1, 0 }
#define NEFF "L = A N_eff^-alpha + B D^-alpha + E, "

const psl_law psl_laws[] = {
    {"chinchilla",
     "Chinchilla (free exponents)",
     "L = A N^-alpha + B D^-beta + E",
     PSL_TARGET_LOSS,
     NULL,
     {ND},
     ap_hp_train,
     init_chinchilla,
     NULL,
     psl_lp_chinchilla,
     NULL,
     NULL},
    {"chinchilla_tied",
     "Chinchilla (alpha = beta)",
     "L = A N^-alpha + B D^-alpha + E",
     PSL_TARGET_LOSS,
     NULL,
     {ND},
     ap_hp_train,
     init_tied,
     NULL,
     psl_lp_chinchilla_tied,
     NULL,
     NULL},
    {"ptq",
     "PTQ degradation (Kumar et al. Eq. 2)",
     "delta = C_T D^gamma_D N^-gamma_N exp(-P_post/gamma_post)",
     PSL_TARGET_DELTA,
     NULL,
     {ND, {PSL_F_PPOST, 2, 0, 1}},
     ap_hp_ptq,
     init_ptq,
     NULL,
     psl_lp_ptq,
     NULL,
     NULL},
    {"ouyang",
     "PTQ degradation, power law in bits (Ouyang et al.)",
     "delta = k D^beta N^-alpha P_post^-gamma",
     PSL_TARGET_DELTA,
     NULL,
     {ND, {PSL_F_PPOST, 2, 0, 1}},
     ap_hp_ptq,
     init_ouyang,
     NULL,
     psl_lp_ouyang,
     NULL,
     NULL},
    {"neff_w",
     "N_eff, weights only (marginal)",
     NEFF "N_eff = N (1 - exp(-P_w/gamma_w))",
     PSL_TARGET_LOSS,
     &s_w,
     {ND, NEED_PW(2)},
     ap_w,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"neff_a",
     "N_eff, activations only (marginal)",
     NEFF "N_eff = N (1 - exp(-P_a/gamma_a))",
     PSL_TARGET_LOSS,
     &s_a,
     {ND, NEED_PA(2)},
     ap_a,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"neff_kv",
     "N_eff, KV cache only (marginal)",
     NEFF "N_eff = N (1 - exp(-P_kv/gamma_kv))",
     PSL_TARGET_LOSS,
     &s_kv,
     {ND, NEED_PKV(2)},
     ap_kv,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"neff_w_off",
     "N_eff, weights only, with offset",
     NEFF "N_eff = N (1 - exp(-P_w/gamma_w + n_w))",
     PSL_TARGET_LOSS,
     &s_w_o,
     {ND, NEED_PW(3)},
     ap_w,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"neff_a_off",
     "N_eff, activations only, with offset",
     NEFF "N_eff = N (1 - exp(-P_a/gamma_a + n_a))",
     PSL_TARGET_LOSS,
     &s_a_o,
     {ND, NEED_PA(3)},
     ap_a,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"neff_kv_off",
     "N_eff, KV cache only, with offset",
     NEFF "N_eff = N (1 - exp(-P_kv/gamma_kv + n_kv))",
     PSL_TARGET_LOSS,
     &s_kv_o,
     {ND, NEED_PKV(3)},
     ap_kv,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"neff_joint",
     "N_eff, joint over weights, activations, KV cache (Eq. 4)",
     NEFF "N_eff = N prod_x (1 - exp(-P_x/gamma_x))",
     PSL_TARGET_LOSS,
     &s_joint,
     {ND, NEED_PW(2), NEED_PA(2), NEED_PKV(2)},
     ap_train,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"neff_joint_off",
     "N_eff, joint, with offsets",
     NEFF "N_eff = N prod_x (1 - exp(-P_x/gamma_x + n_x))",
     PSL_TARGET_LOSS,
     &s_joint_o,
     {ND, NEED_PW(3), NEED_PA(3), NEED_PKV(3)},
     ap_train,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"unified_w",
     "Unified law (Eq. 9/11), quantized weights",
     "L = A N_eff^-alpha + B D^-alpha + E + C_T exp(-P_post/gamma_post) D^gamma_D N_eff^-gamma_N "
     "(1 - exp(-C_w (P_w - "
     "P_post)))",
     PSL_TARGET_LOSS,
     &s_uni_w,
     {ND, NEED_PW(2), {PSL_F_PPOST, 2, 0, 1}, {PSL_F_PW, 2, 1, 1}},
     ap_w_all,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"unified",
     "Unified law (Eq. 9/11), all parts",
     "L = A N_eff^-alpha + B D^-alpha + E + C_T exp(-P_post/gamma_post) D^gamma_D N_eff^-gamma_N "
     "prod_x (1 - exp(-C_x (P_x "
     "- P_post)))",
     PSL_TARGET_LOSS,
     &s_uni,
     {ND,
      NEED_PW(2),
      NEED_PA(2),
      NEED_PKV(2),
      {PSL_F_PPOST, 2, 0, 1},
      {PSL_F_PW, 2, 1, 1},
      {PSL_F_PA, 2, 1, 1}},
     ap_all,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"quest_eff",
     "Free eff(P) per format (QuEST / Frantar et al.)",
     "L = A (N eff(P))^-alpha + B D^-alpha + E, eff = 1 unquantized",
     PSL_TARGET_LOSS,
     NULL,
     {ND},
     ap_train,
     init_quest,
     id_quest,
     psl_lp_quest,
     NULL,
     NULL},
    {"alt_additive",
     "Table 1: additive power law in P_w",
     "L = A N^-alpha + B D^-alpha + E + C_P P_w^-gamma_P",
     PSL_TARGET_LOSS,
     &s_add,
     {ND, NEED_PW(3)},
     ap_w,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"alt_deff",
     "Table 1: D_eff",
     "L = A N^-alpha + B D_eff^-alpha + E, D_eff = D (1 - "
     "exp(-P_w/gamma_Deff))",
     PSL_TARGET_LOSS,
     &s_deff,
     {ND, NEED_PW(2)},
     ap_w,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"alt_neff_deff_tied",
     "Table 1: N_eff + D_eff, tied",
     "L = A N_eff^-alpha + B D_eff^-alpha + E, one gamma_w for both",
     PSL_TARGET_LOSS,
     &s_nd_tied,
     {ND, NEED_PW(2)},
     ap_w,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"alt_neff_deff_untied",
     "Table 1: N_eff + D_eff, untied",
     "L = A N_eff^-alpha + B D_eff^-alpha + E, gamma_w and gamma_Deff",
     PSL_TARGET_LOSS,
     &s_nd_untied,
     {ND, NEED_PW(3)},
     ap_w,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"alt_multiplicative",
     "Table 1: multiplicative power law in P_w",
     "L = (A N^-alpha + B D^-alpha + E) (1 + C_P P_w^-gamma_P)",
     PSL_TARGET_LOSS,
     &s_mul,
     {ND, NEED_PW(3)},
     ap_w,
     init_eff,
     NULL,
     psl_lp_eff,
     psl_prep_eff,
     psl_lp_eff_prep},
    {"chen",
     "QAT penalty with group size (Chen et al.)",
     "L = A N^-alpha + B D^-beta + E + k D^gamma_D (log2 G)^gamma_G N^-gamma_N",
     PSL_TARGET_LOSS,
     NULL,
     {ND, {PSL_F_G, 2, 0, 0}},
     ap_chen,
     init_chen,
     id_chen,
     psl_lp_chen,
     NULL,
     NULL},
};
const int psl_nlaws = (int)(sizeof psl_laws / sizeof *psl_laws);

const psl_law *psl_law_find(const char *name) {
    for (int i = 0; i < psl_nlaws; i++)
        if (!strcmp(psl_laws[i].name, name)) return &psl_laws[i];
    return NULL;
}

const psl_prep *psl_prepare(const psl_model *m, const double *u, psl_prep *prep) {
    if (!m->law->prepare) return NULL;
    m->law->prepare(m, u, prep);
    return prep;
}

double psl_eval(const psl_model *m, const double *u, const psl_prep *prep, const psl_point *p,
                double *grad) {
    if (prep && m->law->logpred_prep) return m->law->logpred_prep(m, u, prep, p, grad);
    return m->law->logpred(m, u, p, grad);
}

double psl_model_value(const psl_model *m, int i, const double *u) {
    return m->logp[i] ? exp(u[i]) : u[i];
}

double psl_target_value(const psl_law *law, const psl_point *p) {
    double y = law->target == PSL_TARGET_DELTA ? p->delta : p->loss;
    return isfinite(y) && y > 0 ? y : NAN;
}

size_t psl_law_select(const psl_law *law, const psl_data *d, const psl_point ***out) {
    size_t k = 0;
    *out = malloc((d->n ? d->n : 1) * sizeof **out);
    if (!*out) return 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (law->applies(p) && !isnan(psl_target_value(law, p))) (*out)[k++] = p;
    }
    return k;
}

static double field(const psl_point *p, int f) {
    switch (f) {
    case PSL_F_N:
        return p->N;
    case PSL_F_D:
        return p->D;
    case PSL_F_PW:
        return p->P_w;
    case PSL_F_PA:
        return p->P_a;
    case PSL_F_PKV:
        return p->P_kv;
    case PSL_F_PPOST:
        return p->P_post;
    default:
        return p->G;
    }
}

static const char *const field_name[] = {"N", "D", "P_w", "P_a", "P_kv", "P_post", "G"};

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int psl_model_setup(psl_model *m, const psl_law *law, const psl_point *const *pts, size_t n,
                    char *why, size_t len) {
    memset(m, 0, sizeof *m);
    m->law = law;
    if (law->init(m, pts, n)) {
        snprintf(why, len, "too many distinct formats for one fit (at most %d parameters)",
                 PSL_MAXP);
        return 1;
    }
    if (n == 0) {
        snprintf(why, len, "no runs this law applies to");
        return 1;
    }
    double *v = malloc(n * sizeof *v);
    if (!v) {
        snprintf(why, len, "out of memory");
        return 1;
    }
    for (int k = 0; k < 8 && law->needs[k].min_distinct; k++) {
        const psl_need *nd = &law->needs[k];
        size_t c = 0;
        int low = 0;
        for (size_t i = 0; i < n; i++) {
            if (nd->ptq_only && !(pts[i]->P_post > 0)) continue;
            if (nd->field == PSL_F_G && !(pts[i]->G > 1)) continue;
            v[c++] = field(pts[i], nd->field);
            low |= v[c - 1] < 16;
        }
        qsort(v, c, sizeof *v, cmpd);
        size_t distinct = 0;
        for (size_t i = 0; i < c; i++) distinct += i == 0 || v[i] != v[i - 1];
        const char *fn = field_name[nd->field];
        const char *among = nd->ptq_only ? "post-training-quantized points" : "points";
        if ((int)distinct < nd->min_distinct) {
            if (distinct == 0)
                snprintf(why, len, "no %s with %s set; need %d distinct values", among, fn,
                         nd->min_distinct);
            else
                snprintf(why, len,
                         "%s takes %zu distinct value%s (%g%s) among the %zu %s; need at least "
                         "%d%s: add runs with other %s",
                         fn, distinct, distinct > 1 ? "s" : "", v[0], distinct > 1 ? ", ..." : "",
                         c, among, nd->min_distinct, nd->need_low ? ", one below 16 bits" : "", fn);
            free(v);
            return 1;
        }
        if (nd->need_low && !low) {
            snprintf(why, len,
                     "%s is never below 16 bits among the %zu %s: no quantized runs to fit its "
                     "gamma",
                     fn, c, among);
            free(v);
            return 1;
        }
        if (nd->need_low && distinct == 2) {
            /* "varies in only one run": a single odd run identifies nothing robustly */
            size_t first = 0;
            for (size_t i = 0; i < c; i++) first += v[i] == v[0];
            if (first == 1 || first == c - 1) {
                snprintf(why, len,
                         "%s varies in only one of the %zu %s; need at least two runs at each "
                         "value",
                         fn, c, among);
                free(v);
                return 1;
            }
        }
    }
    free(v);
    if (law->identify && law->identify(m, pts, n, why, len)) return 1;
    if (n < (size_t)m->np + 1) {
        snprintf(why, len, "only %zu points for %d parameters; need at least %d", n, m->np,
                 m->np + 1);
        return 1;
    }
    return 0;
}
