/* The set-up every law of the catalogue shares: start grids, parameter naming and
 * centring, point selection, and the identifiability checks driven by a law's needs.
 * The laws themselves are in law_table.c; nothing here names a particular law. */
#include "laws.h"
#include "stats.h"

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

void psl_model_add_param(psl_model *m, const char *name, int logp, int grid) {
    size_t k = strlen(name);
    if (k >= sizeof m->pname[m->np]) k = sizeof m->pname[m->np] - 1;
    memcpy(m->pname[m->np], name, k);
    m->pname[m->np][k] = '\0';
    m->logp[m->np] = (unsigned char)logp;
    m->grid[m->np] = (unsigned char)grid;
    m->np++;
}

int psl_model_add_params(psl_model *m, const psl_param *p, int n) {
    int first = m->np;
    for (int i = 0; i < n; i++) psl_model_add_param(m, p[i].name, p[i].log, p[i].grid);
    return first;
}

void psl_model_add_shift(psl_model *m, int c, int e, double s) {
    if (m->nshift < (int)(sizeof m->shift / sizeof *m->shift)) {
        m->shift[m->nshift].c = c;
        m->shift[m->nshift].e = e;
        m->shift[m->nshift].s = s;
        m->nshift++;
    }
}

psl_centre psl_centre_of(const psl_point *const *pts, size_t n) {
    psl_centre c = {0, 0, 0, 0};
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

/* Appends P to the distinct values v[0..*n) (*n -1 once more than PSL_MAXPV). */
static void add_distinct(int *n, double *v, double P) {
    if (*n < 0) return;
    int j = 0;
    while (j < *n && v[j] != P) j++;
    if (j < *n) return;
    if (*n == PSL_MAXPV)
        *n = -1; /* too many: evaluate directly */
    else
        v[(*n)++] = P;
}

void psl_model_collect_pv(psl_model *m, const psl_point *const *pts, size_t n) {
    for (int x = 0; x < 3; x++) {
        m->npv[x] = 0;
        for (size_t i = 0; i < n; i++)
            add_distinct(&m->npv[x], m->pv[x],
                         x == 0   ? pts[i]->P_w
                         : x == 1 ? pts[i]->P_a
                                  : pts[i]->P_kv);
        if (m->npv[x] < 0) m->npv[x] = 0;
    }
    m->npp = 0;
    for (size_t i = 0; i < n; i++)
        if (pts[i]->P_post > 0) add_distinct(&m->npp, m->pp, pts[i]->P_post);
    if (m->npp < 0) m->npp = 0;
}

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
    return isfinite(y) ? y : NAN;
}

size_t psl_law_select(const psl_law *law, const psl_data *d, double dfloor,
                      const psl_point ***out) {
    size_t k = 0;
    *out = malloc((d->n ? d->n : 1) * sizeof **out);
    if (!*out) return 0;
    int censor = law->target == PSL_TARGET_DELTA && dfloor > 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        double y = psl_target_value(law, p);
        if (law->applies(p) && isfinite(y) && (y > 0 || censor)) (*out)[k++] = p;
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
        qsort(v, c, sizeof *v, psl_cmp_double);
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
