/* The catalogue itself: one entry per law, with the functions only laws use (which runs
 * a law applies to, its parameter layout, its own identifiability conditions). The set-up
 * every law shares is in law_setup.c, the predictions in laws.c. */
#include "laws.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- parameter layouts ----
 * Each fixed layout is a table indexed by the law's enum (laws.h), so a parameter's name,
 * transform and start grid sit beside the index its evaluator reads. The shifts centre
 * each coefficient on the mean log of what its exponent multiplies (see psl_model). */

static const psl_param chinchilla_params[CH_NP] = {
    [CH_A] = {.name = "A", .log = 1, .grid = PSL_G_COEF},
    [CH_ALPHA] = {.name = "alpha", .log = 0, .grid = PSL_G_EXP},
    [CH_B] = {.name = "B", .log = 1, .grid = PSL_G_COEF},
    [CH_BETA] = {.name = "beta", .log = 0, .grid = PSL_G_EXP},
    [CH_E] = {.name = "E", .log = 1, .grid = PSL_G_E},
};

static int init_chinchilla(psl_model *m, const psl_point *const *pts, size_t n) {
    psl_centre c = psl_centre_of(pts, n);
    psl_model_add_params(m, chinchilla_params, CH_NP);
    psl_model_add_shift(m, CH_A, CH_ALPHA, c.lN);
    psl_model_add_shift(m, CH_B, CH_BETA, c.lD);
    return 0;
}

static const psl_param tied_params[TIED_NP] = {
    [TIED_A] = {.name = "A", .log = 1, .grid = PSL_G_COEF},
    [TIED_B] = {.name = "B", .log = 1, .grid = PSL_G_COEF},
    [TIED_E] = {.name = "E", .log = 1, .grid = PSL_G_E},
    [TIED_ALPHA] = {.name = "alpha=beta", .log = 0, .grid = PSL_G_EXP},
};

/* The head of chinchilla_tied, every N_eff-type law and quest_eff. */
static void base_tied(psl_model *m, const psl_point *const *pts, size_t n) {
    psl_centre c = psl_centre_of(pts, n);
    psl_model_add_params(m, tied_params, TIED_NP);
    psl_model_add_shift(m, TIED_A, TIED_ALPHA, c.lN);
    psl_model_add_shift(m, TIED_B, TIED_ALPHA, c.lD);
}

static int init_tied(psl_model *m, const psl_point *const *pts, size_t n) {
    base_tied(m, pts, n);
    return 0;
}

/* Also the PTQ block of the unified laws (init_eff). */
static const psl_param ptq_params[PTQ_NP] = {
    [PTQ_C_T] = {.name = "C_T", .log = 1, .grid = PSL_G_LOGK},
    [PTQ_GAMMA_D] = {.name = "gamma_D", .log = 0, .grid = PSL_G_DEXP},
    [PTQ_GAMMA_N] = {.name = "gamma_N", .log = 0, .grid = PSL_G_DEXP},
    [PTQ_GAMMA_POST] = {.name = "gamma_post", .log = 1, .grid = PSL_G_GAMMA},
};

/* Appends the PTQ block with its shifts; returns its first index. */
static int add_ptq_block(psl_model *m, psl_centre c) {
    int b = psl_model_add_params(m, ptq_params, PTQ_NP);
    psl_model_add_shift(m, b + PTQ_C_T, b + PTQ_GAMMA_D, -c.lD);
    psl_model_add_shift(m, b + PTQ_C_T, b + PTQ_GAMMA_N, c.lN);
    return b;
}

static int init_ptq(psl_model *m, const psl_point *const *pts, size_t n) {
    add_ptq_block(m, psl_centre_of(pts, n));
    return 0;
}

static const psl_param ouyang_params[OY_NP] = {
    [OY_K] = {.name = "k", .log = 1, .grid = PSL_G_LOGK},
    [OY_BETA] = {.name = "beta", .log = 0, .grid = PSL_G_DEXP},
    [OY_ALPHA] = {.name = "alpha", .log = 0, .grid = PSL_G_DEXP},
    [OY_GAMMA] = {.name = "gamma", .log = 0, .grid = PSL_G_PEXP},
};

static int init_ouyang(psl_model *m, const psl_point *const *pts, size_t n) {
    psl_centre c = psl_centre_of(pts, n);
    psl_model_add_params(m, ouyang_params, OY_NP);
    psl_model_add_shift(m, OY_K, OY_BETA, -c.lD);
    psl_model_add_shift(m, OY_K, OY_ALPHA, c.lN);
    psl_model_add_shift(m, OY_K, OY_GAMMA, c.lPpost);
    return 0;
}

static const psl_param power_params[POW_NP] = {
    [POW_C_P] = {.name = "C_P", .log = 1, .grid = PSL_G_LOGK},
    [POW_GAMMA_P] = {.name = "gamma_P", .log = 0, .grid = PSL_G_PEXP},
};

static const char *const part_name[3] = {"w", "a", "kv"};

/* The effective-size family's layout (laws.c, before psl_prep_eff, lists it): the tied
 * head, the N_eff parts, gamma_Deff, the PTQ block with its C_x, the power law. */
static int init_eff(psl_model *m, const psl_point *const *pts, size_t n) {
    const psl_eff_spec *s = m->law->spec;
    psl_model_collect_pv(m, pts, n);
    psl_centre cc = psl_centre_of(pts, n);
    char nm[32];
    base_tied(m, pts, n);
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        /* PART_GAMMA, then PART_N */
        snprintf(nm, sizeof nm, "gamma_%s", part_name[x]);
        psl_model_add_param(m, nm, 1, PSL_G_GAMMA);
        if (s->offsets) {
            snprintf(nm, sizeof nm, "n_%s", part_name[x]);
            psl_model_add_param(m, nm, 0, PSL_G_OFFSET);
        }
    }
    if (s->deff == PSL_DEFF_OWN) psl_model_add_param(m, "gamma_Deff", 1, PSL_G_GAMMA);
    if (s->ptq) {
        add_ptq_block(m, cc);
        for (int x = 0; x < 3; x++) {
            if (!(s->nparts & (1u << x))) continue;
            snprintf(nm, sizeof nm, "C_%s", part_name[x]);
            psl_model_add_param(m, nm, 1, PSL_G_CX);
        }
    }
    if (s->power) {
        int b = psl_model_add_params(m, power_params, POW_NP);
        psl_model_add_shift(m, b + POW_C_P, b + POW_GAMMA_P, cc.lPw);
    }
    return 0;
}

/* The tied head, then one eff parameter per format key from m->key0. */
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
        psl_model_add_param(m, nm, 1, PSL_G_EFF);
    }
    return 0;
}

/* chen's own parameters, after chinchilla's (indexed from CH_NP). */
static const psl_param chen_params[CHEN_NP - CH_NP] = {
    [CHEN_K - CH_NP] = {.name = "k", .log = 1, .grid = PSL_G_LOGK},
    [CHEN_GAMMA_D - CH_NP] = {.name = "gamma_D", .log = 0, .grid = PSL_G_DEXP},
    [CHEN_GAMMA_G - CH_NP] = {.name = "gamma_G", .log = 0, .grid = PSL_G_DEXP},
    [CHEN_GAMMA_N - CH_NP] = {.name = "gamma_N", .log = 0, .grid = PSL_G_DEXP},
};

static int init_chen(psl_model *m, const psl_point *const *pts, size_t n) {
    psl_centre c = psl_centre_of(pts, n);
    init_chinchilla(m, pts, n);
    psl_model_add_shift(m, CHEN_K, CHEN_GAMMA_D, -c.lD);
    psl_model_add_shift(m, CHEN_K, CHEN_GAMMA_N, c.lN);
    psl_model_add_params(m, chen_params, CHEN_NP - CH_NP);
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
