#include "findings.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laws.h"
#include "stats.h"

/* Kumar et al., "Scaling Laws for Precision" (arXiv 2411.04330, ICLR 2025), Table 2, and
 * Panferov et al., "QuEST" (arXiv 2502.05003); as docs/science.md 1.2 and 2
 * quote them. The gamma_x come with offsets n_x (factor 1 - exp(-P/gamma_x + n_x)). */
#define KUMAR "Kumar et al. 2024, Table 2"
#define QUEST "Panferov et al. 2025 (QuEST)"
const psl_paper_const psl_paper_constants[] = {
    {"A", 4.299e3, KUMAR},
    {"alpha=beta", 0.4965, KUMAR},
    {"B", 1.806e4, KUMAR},
    {"E", 2.7648, KUMAR},
    {"gamma_w", 2.6745, KUMAR},
    {"n_w", 0.3037, KUMAR},
    {"gamma_a", 2.2102, KUMAR},
    {"n_a", 1.4072, KUMAR},
    {"gamma_kv", 0.9578, KUMAR},
    {"n_kv", 2.4185, KUMAR},
    {"C_T", 0.0598, KUMAR},
    {"gamma_D", 0.5068, KUMAR},
    {"gamma_N", 0.3439, KUMAR},
    {"gamma_post", 0.5907, KUMAR},
    {"b", 1.1277, KUMAR " (unlabelled offset)"},
    {"P*", 7.5, "Kumar et al. 2024, Sec. 5 (7-8 bits for integer fits)"},
    {"eff(W1A1)", 0.021, QUEST},
    {"eff(W2A2)", 0.152, QUEST},
    {"eff(W3A3)", 0.433, QUEST},
    {"eff(W4A4)", 0.692, QUEST},
    {"eff(W8A8)", 1.016, QUEST},
    {"eff(FP4)", 0.630, QUEST},
};
const int psl_npaper_constants = (int)(sizeof psl_paper_constants / sizeof psl_paper_constants[0]);

double psl_paper_value(const char *name) {
    for (int i = 0; i < psl_npaper_constants; i++)
        if (!strcmp(psl_paper_constants[i].name, name)) return psl_paper_constants[i].value;
    return NAN;
}

const char *psl_verdict_str(int v) {
    return v == PSL_REPRODUCED     ? "reproduced"
           : v == PSL_CONTRADICTED ? "contradicted"
                                   : "not testable with these runs";
}

const char *psl_verdict_key(int v) {
    return v == PSL_REPRODUCED     ? "reproduced"
           : v == PSL_CONTRADICTED ? "contradicted"
                                   : "not_testable";
}

/* ---- helpers ---- */

/* A law's result by name, fitted or not (NULL: not analysed, e.g. left out by --laws). */
static const psl_law_result *find_any(const psl_law_result *res, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(res[i].law->name, name)) return &res[i];
    return NULL;
}

static const psl_law_result *find_fitted(const psl_law_result *res, int n, const char *name) {
    const psl_law_result *r = find_any(res, n, name);
    return r && r->status == PSL_LAW_FITTED ? r : NULL;
}

static int pidx(const psl_law_result *r, const char *name) {
    for (int k = 0; k < r->m.np; k++)
        if (!strcmp(r->m.pname[k], name)) return k;
    return -1;
}

static double pval(const psl_law_result *r, int k) {
    return psl_model_value(&r->m, k, r->fit.u);
}

/* Replicate b's internal parameters of r, or NULL (none, or it did not converge). */
static const double *rep(const psl_law_result *r, int b) {
    if (!r->boot_u || b >= r->boot.B) return NULL;
    const double *u = r->boot_u + (size_t)b * (size_t)r->m.np;
    for (int i = 0; i < r->m.np; i++)
        if (isnan(u[i])) return NULL;
    return u;
}

/* 95% percentile interval of the finite values of v[0..n) (reordered); 0 when fewer than
 * 10 (as derived.c), else the count. */
static int interval(double *v, int n, double *lo, double *hi) {
    int k = psl_interval95(v, n, 10, lo, hi);
    return k < 10 ? 0 : k;
}

/* Appends to a finding's why ("; " between clauses). */
static void add_why(psl_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_why(psl_finding *f, const char *fmt, ...) {
    size_t k = strlen(f->why);
    if (k + 3 >= sizeof f->why) return;
    if (k) {
        memcpy(f->why + k, "; ", 3);
        k += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why + k, sizeof f->why - k, fmt, ap);
    va_end(ap);
}

/* Whether law r (NULL: not analysed) may carry a finding: fitted, with a bootstrap, and
 * beating every baseline compared. When not, says why in f and returns 0. */
static int law_ok(psl_finding *f, const psl_law_result *r, const char *name) {
    if (!r) {
        add_why(f, "%s was not analysed (left out by --laws)", name);
        return 0;
    }
    if (r->status == PSL_LAW_REFUSED) {
        add_why(f, "%s not fitted: %s", name, r->why);
        return 0;
    }
    if (r->status == PSL_LAW_FAILED) {
        add_why(f, "%s did not converge", name);
        return 0;
    }
    int ok = 1;
    if (r->boot.B == 0) {
        add_why(f, "no bootstrap (--bootstrap 0): nothing says whether its constants are "
                   "determined");
        ok = 0;
    }
    if (r->cmp.beats == 0) {
        char nb[300];
        size_t k = 0;
        nb[0] = 0;
        for (int i = 0; i < r->cmp.n && k < sizeof nb; i++)
            if (r->cmp.row[i].beaten == 0)
                k += (size_t)snprintf(nb + k, sizeof nb - k, "%s\"%s\"", k ? ", " : "",
                                      r->cmp.row[i].base->title);
        add_why(f, "%s does not beat its baseline(s) %s: these runs do not resolve its extra terms",
                name, nb);
        ok = 0;
    } else if (r->cmp.beats < 0) {
        add_why(f, "%s was not judged against its baselines", name);
        ok = 0;
    }
    return ok;
}

static void set_interval(psl_finding *f, double v, double lo, double hi) {
    f->value = v;
    f->lo = lo;
    f->hi = hi;
    if (isfinite(lo) && isfinite(hi))
        snprintf(f->interval, sizeof f->interval, "[%.4g, %.4g]", lo, hi);
    else
        snprintf(f->interval, sizeof f->interval, "-");
}

static psl_finding *new_finding(psl_findings *o, const char *id, const char *text) {
    psl_finding *f = &o->f[o->n++];
    memset(f, 0, sizeof *f);
    f->id = id;
    f->finding = text;
    f->value = f->lo = f->hi = NAN;
    f->verdict = PSL_NOT_TESTABLE;
    snprintf(f->measured, sizeof f->measured, "-");
    snprintf(f->interval, sizeof f->interval, "-");
    return f;
}

/* The verdict of a finding carried by an effect with interval [lo, hi] against its
 * no-effect value: the law ok (law_ok), the carrying constant determined (det: 1 yes, 0
 * no, -1 no interval to judge by, -2 no and already said why), the
 * interval clear of the no-effect value; the side it lies on says reproduced (the side
 * the paper found, above when up) or contradicted. can_contradict 0: the design cannot
 * show the opposite (then only reproduced or not testable). */
static void decide(psl_finding *f, int ok, int det, const char *what, double noeff, int up,
                   int can_contradict, const char *to_test) {
    if (det == 0)
        add_why(f, "%s is not determined by the bootstrap (95%% CI %s)", what, f->interval);
    if (det == -1 && ok) add_why(f, "%s has no interval (too few converged replicates)", what);
    int clear = isfinite(f->lo) && isfinite(f->hi) && (f->lo > noeff || f->hi < noeff);
    if (det > 0 && !clear)
        add_why(f, "the interval of %s %s includes the no-effect value %g", what, f->interval,
                noeff);
    if (ok && det > 0 && clear) {
        int above = f->lo > noeff;
        if (above == up || can_contradict) {
            f->verdict = above == up ? PSL_REPRODUCED : PSL_CONTRADICTED;
            char pre[sizeof f->why];
            snprintf(pre, sizeof pre, "%s", f->why);
            int k = snprintf(f->why, sizeof f->why,
                             "%s determined, its 95%% interval %s %s %g, and the law beats its "
                             "baselines",
                             what, f->interval, above ? "above" : "below", noeff);
            if (*pre && k > 0 && (size_t)k < sizeof f->why)
                add_why(f, "%.*s", (int)(sizeof f->why - (size_t)k), pre);
            return;
        }
        add_why(f, "%s lies on the side these runs cannot interpret", what);
    }
    f->verdict = PSL_NOT_TESTABLE;
    add_why(f, "to test it: %s", to_test);
}

/* ---- the findings ---- */

/* A constant of the ptq law (Kumar et al. Eq. 2) against 0. */
static void ptq_const(psl_findings *o, const psl_law_result *res, int n, const char *id,
                      const char *text, const char *param, int up, const char *to_test) {
    psl_finding *f = new_finding(o, id, text);
    const psl_law_result *r = find_any(res, n, "ptq");
    snprintf(f->paper, sizeof f->paper, "%s = %.5g (" KUMAR ")", param, psl_paper_value(param));
    int ok = law_ok(f, r, "ptq"), det = -1;
    if (r && r->status == PSL_LAW_FITTED) {
        int k = pidx(r, param);
        snprintf(f->measured, sizeof f->measured, "%s = %.4g (ptq)", param, pval(r, k));
        if (r->boot.ok > 1)
            set_interval(f, pval(r, k), r->boot.lo[k], r->boot.hi[k]);
        else
            f->value = pval(r, k);
        det = psl_param_determined(r, k);
    }
    decide(f, ok, det, param, 0, up, 1, to_test);
}

static const char *const part_nm[3] = {"w", "a", "kv"};

/* The law that carries part x's N_eff finding: the marginal plain law, else with offsets,
 * else the joint laws; the first fitted (NULL: none; *name the first candidate). */
static const psl_law_result *neff_law(const psl_law_result *res, int n, int x, const char **name) {
    char c[4][32];
    snprintf(c[0], sizeof c[0], "neff_%s", part_nm[x]);
    snprintf(c[1], sizeof c[1], "neff_%s_off", part_nm[x]);
    snprintf(c[2], sizeof c[2], "neff_joint");
    snprintf(c[3], sizeof c[3], "neff_joint_off");
    for (int i = 0; i < 4; i++) {
        const psl_law_result *r = find_fitted(res, n, c[i]);
        if (r) {
            *name = r->law->name;
            return r;
        }
    }
    const psl_law_result *r = find_any(res, n, c[0]);
    *name = r ? r->law->name : "neff_w";
    return r;
}

static void neff_part(psl_findings *o, const psl_law_result *res, int n, int x) {
    static const char *const text[3] = {
        "training with quantized weights acts like fewer parameters (N_eff, saturating in P_w)",
        "training with quantized activations acts like fewer parameters (N_eff, saturating in "
        "P_a)",
        "training with a quantized KV cache acts like fewer parameters (N_eff, saturating in "
        "P_kv)"};
    static const char *const id[3] = {"neff_w", "neff_a", "neff_kv"};
    psl_finding *f = new_finding(o, id[x], text[x]);
    char g[16], nn[16], test[300];
    snprintf(g, sizeof g, "gamma_%s", part_nm[x]);
    snprintf(nn, sizeof nn, "n_%s", part_nm[x]);
    snprintf(f->paper, sizeof f->paper, "%s = %.5g with offset %s = %.5g (" KUMAR ")", g,
             psl_paper_value(g), nn, psl_paper_value(nn));
    snprintf(test, sizeof test,
             "runs with P_%s at 2 or more precisions below 16 bits (e.g. 3, 4, 6, 8) and "
             "unquantized, at 2 or more sizes and token budgets, the other parts unquantized, "
             "with an effect above the seed noise",
             part_nm[x]);
    const char *name;
    const psl_law_result *r = neff_law(res, n, x, &name);
    int ok = law_ok(f, r, name), det = -1;
    if (r && r->status == PSL_LAW_FITTED) {
        int k = pidx(r, g);
        snprintf(f->measured, sizeof f->measured, "%s = %.4g (%s)", g, pval(r, k), name);
        if (r->boot.ok > 1)
            set_interval(f, pval(r, k), r->boot.lo[k], r->boot.hi[k]);
        else
            f->value = pval(r, k);
        det = psl_param_determined(r, k);
    }
    /* gamma_x is fitted in log space: its interval is above 0 (no effect) whenever it is
     * determined; that the factor is needed at all is the baseline comparison. No effect
     * cannot be shown (not beating the baseline does not show it), so never contradicted. */
    decide(f, ok, det, g, 0, 1, 0, test);
}

/* gamma_w / gamma_a from one joint law, or the two marginal laws of the same form
 * (replicate b of each). */
static void neff_order(psl_findings *o, const psl_law_result *res, int n) {
    psl_finding *f = new_finding(o, "neff_order",
                                 "the N_eff exponents of the parts are ordered gamma_w > gamma_a");
    snprintf(f->paper, sizeof f->paper,
             "gamma_w / gamma_a = %.5g / %.5g = %.3g (with offsets; " KUMAR ")",
             psl_paper_value("gamma_w"), psl_paper_value("gamma_a"),
             psl_paper_value("gamma_w") / psl_paper_value("gamma_a"));
    const char *test = "runs that vary P_w and P_a each at 2 or more precisions below 16 bits "
                       "(the other parts unquantized), at 2 or more sizes and token budgets";
    const psl_law_result *rw = NULL, *ra = NULL;
    const char *pairs[4][2] = {{"neff_joint", "neff_joint"},
                               {"neff_joint_off", "neff_joint_off"},
                               {"neff_w", "neff_a"},
                               {"neff_w_off", "neff_a_off"}};
    for (int i = 0; i < 4 && !rw; i++) {
        const psl_law_result *a = find_fitted(res, n, pairs[i][0]),
                             *b = find_fitted(res, n, pairs[i][1]);
        if (a && b) rw = a, ra = b;
    }
    if (!rw) {
        const psl_law_result *a = find_any(res, n, "neff_w"), *b = find_any(res, n, "neff_a");
        if (!law_ok(f, a, "neff_w") + !law_ok(f, b, "neff_a") == 0)
            add_why(f, "no joint or marginal N_eff law with both gamma_w and gamma_a was fitted");
        decide(f, 0, -1, "gamma_w / gamma_a", 1, 1, 1, test);
        return;
    }
    int ok = law_ok(f, rw, rw->law->name);
    if (ra != rw) ok &= law_ok(f, ra, ra->law->name);
    int kw = pidx(rw, "gamma_w"), ka = pidx(ra, "gamma_a");
    double v = pval(rw, kw) / pval(ra, ka);
    if (ra == rw)
        snprintf(f->measured, sizeof f->measured, "gamma_w / gamma_a = %.4g / %.4g = %.3g (%s)",
                 pval(rw, kw), pval(ra, ka), v, rw->law->name);
    else
        snprintf(f->measured, sizeof f->measured, "gamma_w / gamma_a = %.4g / %.4g = %.3g (%s, %s)",
                 pval(rw, kw), pval(ra, ka), v, rw->law->name, ra->law->name);
    int B = rw->boot.B < ra->boot.B ? rw->boot.B : ra->boot.B;
    double *s = malloc((size_t)(B ? B : 1) * sizeof *s), lo = NAN, hi = NAN;
    int nrep = 0;
    if (s) {
        for (int b = 0; b < B; b++) {
            const double *uw = rep(rw, b), *ua = rep(ra, b);
            s[b] = uw && ua ? exp(uw[kw] - ua[ka]) : NAN; /* both fitted as logs */
        }
        nrep = interval(s, B, &lo, &hi);
        free(s);
    }
    set_interval(f, v, lo, hi);
    int dw = psl_param_determined(rw, kw), da = psl_param_determined(ra, ka);
    if (dw == 0) add_why(f, "gamma_w is not determined");
    if (da == 0) add_why(f, "gamma_a is not determined");
    int det = dw < 0 || da < 0 || !nrep ? -1 : dw && da;
    /* det 0 already explained per part: say nothing more of the ratio itself */
    decide(f, ok, det < 0 ? -1 : det ? 1 : -2, "gamma_w / gamma_a", 1, 1, 1, test);
}

/* The midpoint (geometric) of a field over a law's points. */
static double geo_mean(const psl_law_result *r, int field) {
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        double v = field ? r->pts[i]->lnD : r->pts[i]->lnN;
        if (isfinite(v)) s += v, k++;
    }
    return k ? exp(s / (double)k) : NAN;
}

/* delta after PTQ to P_post of a model trained at P_w (P_a, P_kv unquantized), over that
 * of an unquantized one, under unified_w at internal parameters u, at (N, D). */
static double robust_ratio(const psl_law_result *r, const double *u, double N, double D, double Pw,
                           double Phi, double Pp) {
    psl_point p;
    psl_point_clear(&p);
    p.N = N;
    p.D = D;
    p.lnN = log(N);
    p.lnD = log(D);
    p.P_a = p.P_kv = Phi;
    p.P_post = Pp;
    p.P_w = Pw;
    double lo = r->law->logpred(&r->m, u, &p, NULL);
    p.P_w = Phi;
    double hi = r->law->logpred(&r->m, u, &p, NULL);
    return exp(lo - hi);
}

static void robustness(psl_findings *o, const psl_law_result *res, int n) {
    psl_finding *f = new_finding(o, "robust",
                                 "models trained in lower precision degrade less under PTQ "
                                 "(delta_PTQ smaller after low-precision training)");
    snprintf(f->paper, sizeof f->paper,
             "Fig. 7 (heat map of delta over training P_w and P_post); unified law Eq. 9/11, no "
             "C_w printed (Kumar et al. 2024)");
    const char *test = "PTQ to 3-4 bits of runs trained at P_w above those bits (e.g. 5, 6, 8) "
                       "and of unquantized runs, at 2 or more sizes and token budgets";
    const psl_law_result *r = find_any(res, n, "unified_w");
    int ok = law_ok(f, r, "unified_w"), det = -1;
    if (r && r->status == PSL_LAW_FITTED) {
        /* the lowest PTQ bits below a quantized training precision, and the lowest such P_w */
        double Pp = INFINITY, Pw = INFINITY, Phi = 0;
        for (size_t i = 0; i < r->n; i++) {
            const psl_point *p = r->pts[i];
            Phi = fmax(Phi, p->P_w);
            if (p->P_w < 16 && p->P_w > p->P_post) Pp = fmin(Pp, p->P_post);
        }
        for (size_t i = 0; i < r->n; i++) {
            const psl_point *p = r->pts[i];
            if (p->P_w < 16 && p->P_post == Pp && p->P_w > Pp) Pw = fmin(Pw, p->P_w);
        }
        int kc = pidx(r, "C_w");
        if (!isfinite(Pp) || Phi < 16) {
            add_why(f,
                    "no PTQ point of a run trained below 16 bits at P_w above its PTQ bits "
                    "(PTQ at or above the training precision says nothing here)%s",
                    Phi < 16 ? ", or no unquantized run" : "");
        } else {
            double N = geo_mean(r, 0), D = geo_mean(r, 1);
            double v = robust_ratio(r, r->fit.u, N, D, Pw, Phi, Pp), lo = NAN, hi = NAN;
            int B = r->boot.B, nrep = 0;
            double *s = malloc((size_t)(B ? B : 1) * sizeof *s);
            if (s) {
                for (int b = 0; b < B; b++) {
                    const double *u = rep(r, b);
                    s[b] = u ? robust_ratio(r, u, N, D, Pw, Phi, Pp) : NAN;
                }
                nrep = interval(s, B, &lo, &hi);
                free(s);
            }
            snprintf(f->measured, sizeof f->measured,
                     "delta(P_w %g) / delta(P_w %g) at P_post %g = %.3g (unified_w, N %.3g, D "
                     "%.3g); C_w = %.4g",
                     Pw, Phi, Pp, v, N, D, pval(r, kc));
            set_interval(f, v, lo, hi);
            int dc = psl_param_determined(r, kc);
            if (dc == 0) add_why(f, "C_w is not determined");
            det = dc < 0 || !nrep ? -1 : dc ? 1 : -2;
        }
    }
    decide(f, ok, det, "the delta ratio", 1, 0, 1, test);
}

static void pstar(psl_findings *o, const psl_law_result *res, int n, const psl_derived *dv) {
    psl_finding *f = new_finding(o, "pstar",
                                 "compute-optimal training precision is well below 16 bits "
                                 "(7-8 bits), independent of compute (N, D, P free)");
    snprintf(f->paper, sizeof f->paper, "P* 7-8 bits (Kumar et al. 2024, Sec. 5, integer fits)");
    const char *test = "runs that vary P_w, P_a and P_kv (tied or one at a time) at 3 or more "
                       "precisions spanning the optimum (e.g. 4, 6, 8, 12) and unquantized, at "
                       "2 or more sizes and token budgets";
    const psl_law_result *r = NULL;
    if (dv && dv->have_pstar) r = find_fitted(res, n, dv->pstar_law);
    if (!r) {
        const psl_law_result *a = find_any(res, n, "neff_joint");
        law_ok(f, a, "neff_joint");
        decide(f, 0, -1, "P*", 16, 0, 1, test);
        return;
    }
    int ok = law_ok(f, r, r->law->name);
    snprintf(f->measured, sizeof f->measured, "P* = %.3g bits (%s)", dv->pstar.v, r->law->name);
    set_interval(f, dv->pstar.v, dv->pstar.nrep >= 10 ? dv->pstar.lo : NAN,
                 dv->pstar.nrep >= 10 ? dv->pstar.hi : NAN);
    /* P* depends on the N_eff parts only: their gamma_x and n_x must be determined */
    int det = 1;
    for (int k = TIED_NP; k < r->m.np; k++) {
        int d = psl_param_determined(r, k);
        if (d == 0) add_why(f, "%s is not determined", r->m.pname[k]);
        if (d < 0) det = -1;
        if (d == 0 && det > 0) det = -2;
    }
    if (dv->pstar.extrap) {
        char w[200];
        psl_dq_where(&dv->pstar, "quantized precision", w, sizeof w);
        add_why(f, "P* lies outside the precisions trained (%s)", w);
        if (det > 0) det = -2;
    }
    if (dv->pstar.nrep < 10) det = -1;
    if (isfinite(f->lo))
        add_why(f, "the paper's 7-8 bits are %s its interval",
                f->lo <= 8 && f->hi >= 7 ? "within" : "outside");
    /* below 16 is the finding: "above" (lo > 16) contradicts it */
    decide(f, ok, det, "P*", 16, 0, 1, test);
}

/* QuEST format keys of quest_eff: format starting with "quest". */
static int is_quest(const char *fmt) {
    return !strncmp(fmt, "quest", 5);
}

/* The log eff of key j in replicate u (internal: fitted as logs). */
static double leff(const psl_law_result *r, const double *u, int j) {
    return u[r->m.key0 + j];
}

static void quest_ste(psl_findings *o, const psl_law_result *res, int n) {
    psl_finding *f = new_finding(o, "quest_vs_ste",
                                 "QuEST training beats straight-through (STE) training at <= 4 "
                                 "bits (higher eff(P) at the same precision)");
    snprintf(
        f->paper, sizeof f->paper,
        "at 4 bits, 30M params, 100 tokens/param: loss 3.272 (QuEST) vs 3.792 (STE); eff(W4A4) "
        "%.3g (" QUEST ")",
        psl_paper_value("eff(W4A4)"));
    const char *test = "QuEST (format quest) and straight-through runs (e.g. format int) at the "
                       "same precision <= 4 bits, with unquantized runs, at 2 or more sizes and "
                       "token budgets";
    const psl_law_result *r = find_any(res, n, "quest_eff");
    int ok = law_ok(f, r, "quest_eff"), det = -1;
    if (r && r->status == PSL_LAW_FITTED) {
        int q = -1, s = -1;
        for (int i = 0; i < r->m.nkeys; i++) {
            if (!is_quest(r->m.key_fmt[i]) || r->m.key_p[i][0] > 4) continue;
            for (int j = 0; j < r->m.nkeys; j++) {
                if (is_quest(r->m.key_fmt[j]) || r->m.key_p[j][0] != r->m.key_p[i][0] ||
                    r->m.key_p[j][1] != r->m.key_p[i][1] || r->m.key_p[j][2] != r->m.key_p[i][2])
                    continue;
                if (q < 0 || r->m.key_p[i][0] > r->m.key_p[q][0]) q = i, s = j;
            }
        }
        if (q < 0) {
            add_why(f, "no QuEST and straight-through runs at the same precision <= 4 bits");
        } else {
            double v = exp(leff(r, r->fit.u, q) - leff(r, r->fit.u, s)), lo, hi;
            int B = r->boot.B, nrep = 0;
            double *sm = malloc((size_t)(B ? B : 1) * sizeof *sm);
            if (sm) {
                for (int b = 0; b < B; b++) {
                    const double *u = rep(r, b);
                    sm[b] = u ? exp(leff(r, u, q) - leff(r, u, s)) : NAN;
                }
                nrep = interval(sm, B, &lo, &hi);
                free(sm);
            }
            snprintf(f->measured, sizeof f->measured, "%s / %s = %.3g (quest_eff)",
                     r->m.pname[r->m.key0 + q], r->m.pname[r->m.key0 + s], v);
            set_interval(f, v, nrep ? lo : NAN, nrep ? hi : NAN);
            int dq = psl_param_determined(r, r->m.key0 + q),
                ds = psl_param_determined(r, r->m.key0 + s);
            if (dq == 0) add_why(f, "%s is not determined", r->m.pname[r->m.key0 + q]);
            if (ds == 0) add_why(f, "%s is not determined", r->m.pname[r->m.key0 + s]);
            det = dq < 0 || ds < 0 || !nrep ? -1 : dq && ds ? 1 : -2;
        }
    }
    decide(f, ok, det, "the eff ratio", 1, 1, 1, test);
}

static void quest_best4(psl_findings *o, const psl_law_result *res, int n) {
    psl_finding *f =
        new_finding(o, "quest_best4", "QuEST: eff(P)/P is largest at 4 bits (W4A4 Pareto-optimal)");
    snprintf(
        f->paper, sizeof f->paper,
        "eff(W3A3) %.3g, eff(W4A4) %.3g, eff(W8A8) %.3g: eff/P 0.144, 0.173, 0.127 (" QUEST ")",
        psl_paper_value("eff(W3A3)"), psl_paper_value("eff(W4A4)"), psl_paper_value("eff(W8A8)"));
    const char *test = "QuEST runs (W = A bits) at 4 bits and at fewer and more bits (e.g. 2, "
                       "3, 6, 8), with unquantized runs, at 2 or more sizes and token budgets";
    const psl_law_result *r = find_any(res, n, "quest_eff");
    int ok = law_ok(f, r, "quest_eff"), det = -1;
    if (r && r->status == PSL_LAW_FITTED) {
        int k4 = -1, below = 0, above = 0;
        for (int i = 0; i < r->m.nkeys; i++) {
            if (!is_quest(r->m.key_fmt[i]) || r->m.key_p[i][0] != r->m.key_p[i][1]) continue;
            if (r->m.key_p[i][0] == 4) k4 = i;
            below += r->m.key_p[i][0] < 4;
            above += r->m.key_p[i][0] > 4;
        }
        if (k4 < 0 || !below || !above) {
            add_why(f,
                    "needs QuEST W4A4 runs and QuEST runs at fewer and at more bits "
                    "(have: 4 bits %s, fewer %d, more %d)",
                    k4 < 0 ? "no" : "yes", below, above);
        } else {
            /* the competitor closest to 4 bits in eff/P: the smallest ratio at the fit */
            int c = -1;
            double best = INFINITY, l4 = leff(r, r->fit.u, k4) - log(4.0);
            for (int i = 0; i < r->m.nkeys; i++) {
                if (i == k4 || !is_quest(r->m.key_fmt[i]) || r->m.key_p[i][0] != r->m.key_p[i][1])
                    continue;
                double d = l4 - (leff(r, r->fit.u, i) - log(r->m.key_p[i][0]));
                if (d < best) best = d, c = i;
            }
            double Pc = r->m.key_p[c][0], v = exp(best), lo, hi;
            int B = r->boot.B, nrep = 0;
            double *sm = malloc((size_t)(B ? B : 1) * sizeof *sm);
            if (sm) {
                for (int b = 0; b < B; b++) {
                    const double *u = rep(r, b);
                    sm[b] = u ? exp(leff(r, u, k4) - log(4.0) - leff(r, u, c) + log(Pc)) : NAN;
                }
                nrep = interval(sm, B, &lo, &hi);
                free(sm);
            }
            snprintf(f->measured, sizeof f->measured,
                     "(eff(4)/4) / (eff(%g)/%g) = %.3g, the closest competitor (quest_eff)", Pc, Pc,
                     v);
            set_interval(f, v, nrep ? lo : NAN, nrep ? hi : NAN);
            det = 1;
            for (int i = 0; i < r->m.nkeys; i++) {
                if (!is_quest(r->m.key_fmt[i])) continue;
                int d = psl_param_determined(r, r->m.key0 + i);
                if (d == 0) add_why(f, "%s is not determined", r->m.pname[r->m.key0 + i]);
                if (d < 0) det = -1;
                if (d == 0 && det > 0) det = -2;
            }
            if (!nrep) det = -1;
        }
    }
    decide(f, ok, det, "the eff/P ratio", 1, 1, 1, test);
}

void psl_findings_judge(const psl_law_result *res, int n, const psl_derived *dv,
                        psl_findings *out) {
    memset(out, 0, sizeof *out);
    ptq_const(out, res, n, "ptq_data", "delta_PTQ grows with the training data D at fixed N",
              "gamma_D", 1,
              "PTQ (2 or more bit widths) of unquantized runs at 3 or more token budgets per "
              "size, at 2 or more sizes, with deltas above the noise floor (more eval tokens "
              "or seeds lower it)");
    ptq_const(out, res, n, "ptq_size", "delta_PTQ shrinks with the model size N at fixed D",
              "gamma_N", 1,
              "PTQ of unquantized runs of 3 or more sizes at the same token budgets D (not only "
              "the same D/N), with deltas above the noise floor");
    for (int x = 0; x < 3; x++) neff_part(out, res, n, x);
    neff_order(out, res, n);
    robustness(out, res, n);
    pstar(out, res, n, dv);
    quest_ste(out, res, n);
    quest_best4(out, res, n);
}
