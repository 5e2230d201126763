/* The catalogue itself: one entry per law, with the functions only laws use (which runs
 * a law applies to, its parameter layout, its own identifiability conditions). The set-up
 * every law shares is in law_setup.c, the predictions in laws.c. */
#include "laws.h"

#include <math.h>
#include <stdio.h>

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
static int ap_w_ptq(const psl_point *p) {
    return p->P_post > 0 && p->P_a >= 16 && p->P_kv >= 16;
}
static int ap_ptq(const psl_point *p) {
    return p->P_post > 0;
}
static int ap_chen(const psl_point *p) {
    return p->P_post <= 0 && (psl_point_high_precision(p) || p->G > 1);
}
/* sun_fp: no PTQ, activations and KV cache unquantized (a point carries the format of its
 * weights only), and the weights unquantized or in an FP format whose exponent, mantissa
 * and scale block size are known (psl_fp_layout). */
static int ap_sun(const psl_point *p) {
    double E, M, B;
    return ap_w(p) && (p->P_w >= 16 || psl_fp_layout(p, &E, &M, &B));
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

/* The unified laws on delta (psl_lp_unified_delta): gamma_x per part, the PTQ block, C_x
 * per part. C_T is centred on the mean log D and log N like the ptq law's. */
static int init_unified_delta(psl_model *m, const psl_point *const *pts, size_t n) {
    const psl_eff_spec *s = m->law->spec;
    char nm[32];
    psl_model_collect_pv(m, pts, n);
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        snprintf(nm, sizeof nm, "gamma_%s", part_name[x]);
        psl_model_add_param(m, nm, 1, PSL_G_GAMMA);
    }
    add_ptq_block(m, psl_centre_of(pts, n));
    for (int x = 0; x < 3; x++) {
        if (!(s->nparts & (1u << x))) continue;
        snprintf(nm, sizeof nm, "C_%s", part_name[x]);
        psl_model_add_param(m, nm, 1, PSL_G_CX);
    }
    return 0;
}

/* The eff parameters of each format key, from m->key0 = the next index: one per name in
 * names[0..nper) ("eff", or "eff_N" and "eff_D"), key k's at key0 + nper k + j. */
static int add_eff_keys(psl_model *m, const psl_point *const *pts, size_t n,
                        const char *const *names, int nper) {
    m->key0 = m->np;
    for (size_t i = 0; i < n; i++) {
        const psl_point *p = pts[i];
        if (psl_point_high_precision(p) || psl_eff_key(m, p) >= 0) continue;
        if (m->np + nper > PSL_MAXP) return -1;
        int k = m->nkeys++;
        snprintf(m->key_fmt[k], sizeof m->key_fmt[k], "%s", p->format);
        m->key_p[k][0] = p->P_w;
        m->key_p[k][1] = p->P_a;
        m->key_p[k][2] = p->P_kv;
        for (int j = 0; j < nper; j++) {
            char nm[PSL_PNAME_MAX];
            /* the whole format name: labels are per key, and two formats may share a prefix */
            snprintf(nm, sizeof nm, "%s(%s w%ga%gkv%g)", names[j], p->format, p->P_w, p->P_a,
                     p->P_kv);
            psl_model_add_param(m, nm, 1, PSL_G_EFF);
        }
    }
    return 0;
}

static const char *const eff_one[] = {"eff"};

/* The tied head, then one eff parameter per format key from m->key0. */
static int init_quest(psl_model *m, const psl_point *const *pts, size_t n) {
    base_tied(m, pts, n);
    return add_eff_keys(m, pts, n, eff_one, 1);
}

/* Chinchilla's head (alpha and beta free), then the eff keys. */
static int init_quest_free(psl_model *m, const psl_point *const *pts, size_t n) {
    init_chinchilla(m, pts, n);
    return add_eff_keys(m, pts, n, eff_one, 1);
}

/* quartet: chinchilla's head, the outer exponent gamma, then eff_N and eff_D per format
 * key (key0 + 2k, key0 + 2k + 1). */
static int init_quartet(psl_model *m, const psl_point *const *pts, size_t n) {
    static const char *const eff_two[] = {"eff_N", "eff_D"};
    init_chinchilla(m, pts, n);
    psl_model_add_param(m, "gamma", 0, PSL_G_PEXP);
    return add_eff_keys(m, pts, n, eff_two, 2);
}

/* sun_fp: chinchilla's head under the paper's names, then gamma, delta, nu. */
static const psl_param sun_params[SUN_NP] = {
    [CH_A] = {.name = "n", .log = 1, .grid = PSL_G_COEF},
    [CH_ALPHA] = {.name = "alpha", .log = 0, .grid = PSL_G_EXP},
    [CH_B] = {.name = "d", .log = 1, .grid = PSL_G_COEF},
    [CH_BETA] = {.name = "beta", .log = 0, .grid = PSL_G_EXP},
    [CH_E] = {.name = "epsilon", .log = 1, .grid = PSL_G_E},
    [SUN_GAMMA] = {.name = "gamma", .log = 1, .grid = PSL_G_COEF},
    [SUN_DELTA] = {.name = "delta", .log = 0, .grid = PSL_G_PEXP},
    [SUN_NU] = {.name = "nu", .log = 0, .grid = PSL_G_PEXP},
};

/* The precision term's log is -log gamma + beta log D - alpha log N - delta log(E+0.5) -
 * nu log(M+0.5) + log log2 B: log gamma is centred on the means of the four logs over the
 * FP-quantized points (those of every point when there are none). */
static int init_sun(psl_model *m, const psl_point *const *pts, size_t n) {
    double cN = 0, cD = 0, cE = 0, cM = 0;
    size_t k = 0;
    for (int pass = 0; pass < 2 && !k; pass++)
        for (size_t i = 0; i < n; i++) {
            double E, M, B;
            if (psl_point_high_precision(pts[i]) || !psl_fp_layout(pts[i], &E, &M, &B)) {
                if (!pass) continue;
                E = M = 0;
            }
            cN += pts[i]->lnN, cD += pts[i]->lnD, cE += log(E + 0.5), cM += log(M + 0.5), k++;
        }
    if (k) cN /= (double)k, cD /= (double)k, cE /= (double)k, cM /= (double)k;
    psl_centre c = psl_centre_of(pts, n);
    psl_model_add_params(m, sun_params, SUN_NP);
    psl_model_add_shift(m, CH_A, CH_ALPHA, c.lN);
    psl_model_add_shift(m, CH_B, CH_BETA, c.lD);
    psl_model_add_shift(m, SUN_GAMMA, CH_BETA, cD);
    psl_model_add_shift(m, SUN_GAMMA, CH_ALPHA, -cN);
    psl_model_add_shift(m, SUN_GAMMA, SUN_DELTA, -cE);
    psl_model_add_shift(m, SUN_GAMMA, SUN_NU, -cM);
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

/* quartet: id_quest's conditions, and each key's eff_N and eff_D need the key's runs at two
 * or more (N, D) pairs of different D/N (at one D/N the N and D terms scale together). */
static int id_quartet(const psl_model *m, const psl_point *const *pts, size_t n, char *why,
                      size_t len) {
    if (id_quest(m, pts, n, why, len)) return 1;
    for (int k = 0; k < m->nkeys; k++) {
        double r0 = NAN;
        int two = 0;
        for (size_t i = 0; i < n && !two; i++) {
            if (psl_eff_key(m, pts[i]) != k) continue;
            double r = pts[i]->lnD - pts[i]->lnN;
            if (r0 != r0)
                r0 = r;
            else if (fabs(r - r0) > 1e-9)
                two = 1;
        }
        if (!two) {
            snprintf(why, len,
                     "format %s (w%g a%g kv%g) has runs at one D/N only: its eff_N and eff_D "
                     "are not separable",
                     m->key_fmt[k], m->key_p[k][0], m->key_p[k][1], m->key_p[k][2]);
            return 1;
        }
    }
    return 0;
}

/* sun_fp: delta and nu need E and M to vary among the FP-quantized runs, and not together:
 * at least three (E, M) pairs off one line in (log(E+0.5), log(M+0.5)). */
static int id_sun(const psl_model *m, const psl_point *const *pts, size_t n, char *why,
                  size_t len) {
    (void)m;
    double x[3] = {0}, y[3] = {0};
    int k = 0, q = 0;
    for (size_t i = 0; i < n; i++) {
        double E, M, B;
        if (psl_point_high_precision(pts[i]) || !psl_fp_layout(pts[i], &E, &M, &B)) continue;
        q++;
        double a = log(E + 0.5), b = log(M + 0.5);
        int seen = 0;
        for (int j = 0; j < k; j++) seen |= x[j] == a && y[j] == b;
        if (seen) continue;
        if (k < 2) {
            x[k] = a, y[k] = b, k++;
        } else if (k == 2) {
            double cross = (x[1] - x[0]) * (b - y[0]) - (y[1] - y[0]) * (a - x[0]);
            if (fabs(cross) > 1e-9) x[2] = a, y[2] = b, k = 3;
        }
    }
    if (!q) {
        snprintf(why, len,
                 "no runs with FP-quantized weights of known exponent, mantissa and scale block "
                 "(mxfp*, nvfp4, or eXmY with a group size G > 1)");
        return 1;
    }
    if (k < 3) {
        snprintf(why, len,
                 "the %d FP-quantized runs have %d distinct (E, M) layout%s%s; need three not on "
                 "one line in log(E+0.5), log(M+0.5) to fit delta and nu: add runs with other "
                 "formats",
                 q, k, k > 1 ? "s" : "", k == 2 ? " (or more, all on one line)" : "");
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

/* ---- the table ----
 * One designated initializer per law; fields left out are zero (NULL: no spec, no extra
 * identifiability condition, no prepared evaluation). */

/* needs: K distinct values of field F among the law's points; _LOW: one of them below 16
 * bits; _PTQ: counting only the post-training-quantized points.
 * (clang-format would break each of these one-line macros over two or three lines.) */
/* clang-format off */
#define NEED(f, k)         {.field = (f), .min_distinct = (k)}
#define NEED_LOW(f, k)     {.field = (f), .min_distinct = (k), .need_low = 1}
#define NEED_PTQ(f, k)     {.field = (f), .min_distinct = (k), .ptq_only = 1}
#define NEED_PTQ_LOW(f, k) {.field = (f), .min_distinct = (k), .need_low = 1, .ptq_only = 1}
#define NEED_ND            NEED(PSL_F_N, 2), NEED(PSL_F_D, 2)

/* The effective-size family shares one layout (init_eff) and evaluator, steered by .spec. */
#define EFF_SPEC(...) .spec = &(const psl_eff_spec){__VA_ARGS__}
#define EFF_LAW       .init = init_eff, .logpred = psl_lp_eff, .prepare = psl_prep_eff, \
                      .logpred_prep = psl_lp_eff_prep
/* clang-format on */

#define NEFF "L = A N_eff^-alpha + B D^-alpha + E, "
#define UNIFIED                                                                                    \
    "L = A N_eff^-alpha + B D^-alpha + E + C_T exp(-P_post/gamma_post) D^gamma_D N_eff^-gamma_N "

const psl_law psl_laws[] = {
    {
        .name = "chinchilla",
        .title = "Chinchilla (free exponents)",
        .formula = "L = A N^-alpha + B D^-beta + E",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND},
        .applies = ap_hp_train,
        .init = init_chinchilla,
        .logpred = psl_lp_chinchilla,
    },
    {
        .name = "chinchilla_tied",
        .title = "Chinchilla (alpha = beta)",
        .formula = "L = A N^-alpha + B D^-alpha + E",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND},
        .applies = ap_hp_train,
        .init = init_tied,
        .logpred = psl_lp_chinchilla_tied,
    },
    {
        .name = "ptq",
        .title = "PTQ degradation (Kumar et al. Eq. 2)",
        .formula = "delta = C_T D^gamma_D N^-gamma_N exp(-P_post/gamma_post)",
        .target = PSL_TARGET_DELTA,
        .needs = {NEED_ND, NEED_PTQ(PSL_F_PPOST, 2)},
        .applies = ap_hp_ptq,
        .init = init_ptq,
        .logpred = psl_lp_ptq,
    },
    {
        .name = "ouyang",
        .title = "PTQ degradation, power law in bits (Ouyang et al.)",
        .formula = "delta = k D^beta N^-alpha P_post^-gamma",
        .target = PSL_TARGET_DELTA,
        .needs = {NEED_ND, NEED_PTQ(PSL_F_PPOST, 2)},
        .applies = ap_hp_ptq,
        .init = init_ouyang,
        .logpred = psl_lp_ouyang,
    },
    {
        .name = "neff_w",
        .title = "N_eff, weights only (marginal)",
        .formula = NEFF "N_eff = N (1 - exp(-P_w/gamma_w))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_W),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 2)},
        .applies = ap_w,
        EFF_LAW,
    },
    {
        .name = "neff_a",
        .title = "N_eff, activations only (marginal)",
        .formula = NEFF "N_eff = N (1 - exp(-P_a/gamma_a))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_A),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PA, 2)},
        .applies = ap_a,
        EFF_LAW,
    },
    {
        .name = "neff_kv",
        .title = "N_eff, KV cache only (marginal)",
        .formula = NEFF "N_eff = N (1 - exp(-P_kv/gamma_kv))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_KV),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PKV, 2)},
        .applies = ap_kv,
        EFF_LAW,
    },
    {
        .name = "neff_w_off",
        .title = "N_eff, weights only, with offset",
        .formula = NEFF "N_eff = N (1 - exp(-P_w/gamma_w + n_w))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_W, .offsets = 1),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 3)},
        .applies = ap_w,
        EFF_LAW,
    },
    {
        .name = "neff_a_off",
        .title = "N_eff, activations only, with offset",
        .formula = NEFF "N_eff = N (1 - exp(-P_a/gamma_a + n_a))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_A, .offsets = 1),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PA, 3)},
        .applies = ap_a,
        EFF_LAW,
    },
    {
        .name = "neff_kv_off",
        .title = "N_eff, KV cache only, with offset",
        .formula = NEFF "N_eff = N (1 - exp(-P_kv/gamma_kv + n_kv))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_KV, .offsets = 1),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PKV, 3)},
        .applies = ap_kv,
        EFF_LAW,
    },
    {
        .name = "neff_joint",
        .title = "N_eff, joint over weights, activations, KV cache (Eq. 4)",
        .formula = NEFF "N_eff = N prod_x (1 - exp(-P_x/gamma_x))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_ALL),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 2), NEED_LOW(PSL_F_PA, 2), NEED_LOW(PSL_F_PKV, 2)},
        .applies = ap_train,
        EFF_LAW,
    },
    {
        .name = "neff_joint_off",
        .title = "N_eff, joint, with offsets",
        .formula = NEFF "N_eff = N prod_x (1 - exp(-P_x/gamma_x + n_x))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_ALL, .offsets = 1),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 3), NEED_LOW(PSL_F_PA, 3), NEED_LOW(PSL_F_PKV, 3)},
        .applies = ap_train,
        EFF_LAW,
    },
    {
        .name = "unified_w",
        .title = "Unified law (Eq. 9/11) on delta_PTQ, quantized weights",
        .formula = "delta = C_T exp(-P_post/gamma_post) D^gamma_D N_eff^-gamma_N (1 - exp(-C_w "
                   "(P_w - P_post))), N_eff = N (1 - exp(-P_w/gamma_w))",
        .target = PSL_TARGET_DELTA,
        .spec = &(const psl_eff_spec){.nparts = PSL_PART_W},
        .needs = {NEED_ND, NEED_PTQ(PSL_F_PPOST, 2), NEED_PTQ_LOW(PSL_F_PW, 2)},
        .applies = ap_w_ptq,
        .init = init_unified_delta,
        .logpred = psl_lp_unified_delta,
        .prepare = psl_prep_unified_delta,
        .logpred_prep = psl_lp_unified_delta_prep,
    },
    {
        .name = "unified",
        .title = "Unified law (Eq. 9/11) on delta_PTQ, all parts",
        .formula = "delta = C_T exp(-P_post/gamma_post) D^gamma_D N_eff^-gamma_N prod_x (1 - "
                   "exp(-C_x (P_x - P_post))), N_eff = N prod_x (1 - exp(-P_x/gamma_x))",
        .target = PSL_TARGET_DELTA,
        .spec = &(const psl_eff_spec){.nparts = PSL_PART_ALL},
        .needs = {NEED_ND, NEED_PTQ(PSL_F_PPOST, 2), NEED_PTQ_LOW(PSL_F_PW, 2),
                  NEED_PTQ_LOW(PSL_F_PA, 2), NEED_PTQ_LOW(PSL_F_PKV, 2)},
        .applies = ap_ptq,
        .init = init_unified_delta,
        .logpred = psl_lp_unified_delta,
        .prepare = psl_prep_unified_delta,
        .logpred_prep = psl_lp_unified_delta_prep,
    },
    {
        .name = "unified_w_loss",
        .title = "Unified law (Eq. 9/11) on the loss (second view), quantized weights",
        .formula = UNIFIED "(1 - exp(-C_w (P_w - P_post)))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_W, .ptq = 1),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 2), NEED_PTQ(PSL_F_PPOST, 2),
                  NEED_PTQ_LOW(PSL_F_PW, 2)},
        .applies = ap_w_all,
        EFF_LAW,
    },
    {
        .name = "unified_loss",
        .title = "Unified law (Eq. 9/11) on the loss (second view), all parts",
        .formula = UNIFIED "prod_x (1 - exp(-C_x (P_x - P_post)))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_ALL, .ptq = 1),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 2), NEED_LOW(PSL_F_PA, 2), NEED_LOW(PSL_F_PKV, 2),
                  NEED_PTQ(PSL_F_PPOST, 2), NEED_PTQ_LOW(PSL_F_PW, 2), NEED_PTQ_LOW(PSL_F_PA, 2)},
        .applies = ap_all,
        EFF_LAW,
    },
    {
        .name = "quest_eff",
        .title = "Free eff(P) per format (QuEST / Frantar et al.)",
        .formula = "L = A (N eff(P))^-alpha + B D^-alpha + E, eff = 1 unquantized",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND},
        .applies = ap_train,
        .init = init_quest,
        .identify = id_quest,
        .logpred = psl_lp_quest,
    },
    {
        .name = "quest_eff_free",
        .title = "Free eff(P) per format, alpha and beta free (QuEST's own form)",
        .formula = "L = A (N eff(P))^-alpha + B D^-beta + E, eff = 1 unquantized",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND},
        .applies = ap_train,
        .init = init_quest_free,
        .identify = id_quest,
        .logpred = psl_lp_quest_free,
    },
    {
        .name = "quartet",
        .title = "Parameter and data efficiency per format, outer exponent (Quartet)",
        .formula = "L = (A (N eff_N(P))^-alpha + B (D eff_D(P))^-beta)^gamma + E, eff = 1 "
                   "unquantized",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND},
        .applies = ap_train,
        .init = init_quartet,
        .identify = id_quartet,
        .logpred = psl_lp_quartet,
    },
    {
        .name = "sun_fp",
        .title = "FP quantization training: exponent, mantissa, block size (Sun et al.)",
        .formula = "L = n N^-alpha + d D^-beta + epsilon + D^beta N^-alpha log2(B) / (gamma "
                   "(E+0.5)^delta (M+0.5)^nu) on FP-quantized weights",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND},
        .applies = ap_sun,
        .init = init_sun,
        .identify = id_sun,
        .logpred = psl_lp_sun,
    },
    {
        .name = "alt_additive",
        .title = "Table 1: additive power law in P_w",
        .formula = "L = A N^-alpha + B D^-alpha + E + C_P P_w^-gamma_P",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.power = PSL_POWER_ADD),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 3)},
        .applies = ap_w,
        EFF_LAW,
    },
    {
        .name = "alt_deff",
        .title = "Table 1: D_eff",
        .formula = "L = A N^-alpha + B D_eff^-alpha + E, D_eff = D (1 - exp(-P_w/gamma_Deff))",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.deff = PSL_DEFF_OWN),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 2)},
        .applies = ap_w,
        EFF_LAW,
    },
    {
        .name = "alt_neff_deff_tied",
        .title = "Table 1: N_eff + D_eff, tied",
        .formula = "L = A N_eff^-alpha + B D_eff^-alpha + E, one gamma_w for both",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_W, .deff = PSL_DEFF_TIED),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 2)},
        .applies = ap_w,
        EFF_LAW,
    },
    {
        .name = "alt_neff_deff_untied",
        .title = "Table 1: N_eff + D_eff, untied",
        .formula = "L = A N_eff^-alpha + B D_eff^-alpha + E, gamma_w and gamma_Deff",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.nparts = PSL_PART_W, .deff = PSL_DEFF_OWN),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 3)},
        .applies = ap_w,
        EFF_LAW,
    },
    {
        .name = "alt_multiplicative",
        .title = "Table 1: multiplicative power law in P_w",
        .formula = "L = (A N^-alpha + B D^-alpha + E) (1 + C_P P_w^-gamma_P)",
        .target = PSL_TARGET_LOSS,
        EFF_SPEC(.power = PSL_POWER_MUL),
        .needs = {NEED_ND, NEED_LOW(PSL_F_PW, 3)},
        .applies = ap_w,
        EFF_LAW,
    },
    {
        .name = "chen",
        .title = "QAT penalty with group size (Chen et al.)",
        .formula = "L = A N^-alpha + B D^-beta + E + k D^gamma_D (log2 G)^gamma_G N^-gamma_N",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND, NEED(PSL_F_G, 2)},
        .applies = ap_chen,
        .init = init_chen,
        .identify = id_chen,
        .logpred = psl_lp_chen,
    },
};
const int psl_nlaws = (int)(sizeof psl_laws / sizeof *psl_laws);

/* ---- baselines (compare.c; docs/laws.md "Baselines") ----
 * Fitted only beside a law, on its points: never on their own, so .applies is not used. */

static int ap_any(const psl_point *p) {
    (void)p;
    return 1;
}

/* A loss baseline: the N term (A, alpha), the D term (B, beta), E, as the spec has them;
 * each term centred like Chinchilla's. */
static int init_base_loss(psl_model *m, const psl_point *const *pts, size_t n) {
    const psl_base_spec *s = m->law->spec;
    psl_centre c = psl_centre_of(pts, n);
    if (s->n) {
        int k = psl_model_add_params(m, chinchilla_params + CH_A, 2);
        psl_model_add_shift(m, k + BASE_COEF, k + BASE_EXP, c.lN);
    }
    if (s->d) {
        int k = psl_model_add_params(m, chinchilla_params + CH_B, 2);
        psl_model_add_shift(m, k + BASE_COEF, k + BASE_EXP, c.lD);
    }
    if (s->e) psl_model_add_params(m, chinchilla_params + CH_E, 1);
    return 0;
}

/* A delta baseline: C, then gamma_D, gamma_N as present; C centred on them. */
static int init_base_delta(psl_model *m, const psl_point *const *pts, size_t n) {
    const psl_base_spec *s = m->law->spec;
    psl_centre c = psl_centre_of(pts, n);
    psl_model_add_params(m, ptq_params + PTQ_C_T, 1);
    if (s->d) {
        int k = psl_model_add_params(m, ptq_params + PTQ_GAMMA_D, 1);
        psl_model_add_shift(m, 0, k, -c.lD);
    }
    if (s->n) {
        int k = psl_model_add_params(m, ptq_params + PTQ_GAMMA_N, 1);
        psl_model_add_shift(m, 0, k, c.lN);
    }
    return 0;
}

const psl_law psl_baselines[] = {
    {
        .name = "chinchilla_tied",
        .title = "no precision term (tied Chinchilla)",
        .formula = "L = A N^-alpha + B D^-alpha + E",
        .target = PSL_TARGET_LOSS,
        .needs = {NEED_ND},
        .applies = ap_any,
        .init = init_tied,
        .logpred = psl_lp_chinchilla_tied,
    },
    {
        .name = "loss_d_only",
        .title = "D only",
        .formula = "L = B D^-beta + E",
        .target = PSL_TARGET_LOSS,
        .spec = &(const psl_base_spec){.d = 1, .e = 1},
        .needs = {NEED(PSL_F_D, 3)},
        .applies = ap_any,
        .init = init_base_loss,
        .logpred = psl_lp_base_loss,
    },
    {
        .name = "loss_n_only",
        .title = "N only",
        .formula = "L = A N^-alpha + E",
        .target = PSL_TARGET_LOSS,
        .spec = &(const psl_base_spec){.n = 1, .e = 1},
        .needs = {NEED(PSL_F_N, 3)},
        .applies = ap_any,
        .init = init_base_loss,
        .logpred = psl_lp_base_loss,
    },
    {
        .name = "loss_d_power",
        .title = "D only, pure power law",
        .formula = "L = B D^-beta",
        .target = PSL_TARGET_LOSS,
        .spec = &(const psl_base_spec){.d = 1},
        .needs = {NEED(PSL_F_D, 2)},
        .applies = ap_any,
        .init = init_base_loss,
        .logpred = psl_lp_base_loss,
    },
    {
        .name = "loss_n_power",
        .title = "N only, pure power law",
        .formula = "L = A N^-alpha",
        .target = PSL_TARGET_LOSS,
        .spec = &(const psl_base_spec){.n = 1},
        .needs = {NEED(PSL_F_N, 2)},
        .applies = ap_any,
        .init = init_base_loss,
        .logpred = psl_lp_base_loss,
    },
    {
        .name = "delta_nd",
        .title = "no precision term",
        .formula = "delta = C D^gamma_D N^-gamma_N",
        .target = PSL_TARGET_DELTA,
        .spec = &(const psl_base_spec){.n = 1, .d = 1},
        .needs = {NEED_ND},
        .applies = ap_any,
        .init = init_base_delta,
        .logpred = psl_lp_base_delta,
    },
    {
        .name = "delta_d_only",
        .title = "D only",
        .formula = "delta = C D^gamma_D",
        .target = PSL_TARGET_DELTA,
        .spec = &(const psl_base_spec){.d = 1},
        .needs = {NEED(PSL_F_D, 2)},
        .applies = ap_any,
        .init = init_base_delta,
        .logpred = psl_lp_base_delta,
    },
    {
        .name = "delta_n_only",
        .title = "N only",
        .formula = "delta = C N^-gamma_N",
        .target = PSL_TARGET_DELTA,
        .spec = &(const psl_base_spec){.n = 1},
        .needs = {NEED(PSL_F_N, 2)},
        .applies = ap_any,
        .init = init_base_delta,
        .logpred = psl_lp_base_delta,
    },
};
const int psl_nbaselines = (int)(sizeof psl_baselines / sizeof *psl_baselines);
