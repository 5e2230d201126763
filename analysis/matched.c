#include "matched.h"

#include <math.h>
#include <string.h>

/* The tied precision of a training point, 16 for an unquantized one, 0 when its parts
 * differ (a run trained at W4A8 is not on this P axis). */
static double tied_bits(const psl_point *p) {
    if (psl_point_high_precision(p)) return 16;
    if (p->P_w == p->P_a && p->P_a == p->P_kv) return p->P_w;
    return 0;
}

/* C rounded to two significant digits. */
static double budget_key(double c) {
    double e = floor(log10(c)) - 1, s = pow(10, e);
    return round(c / s) * s;
}

static psl_matched_budget *budget_of(psl_matched *m, double C) {
    for (int i = 0; i < m->nb; i++)
        if (m->b[i].C == C) return &m->b[i];
    if (m->nb == PSL_MATCHED_MAXB) return NULL;
    psl_matched_budget *b = &m->b[m->nb++];
    memset(b, 0, sizeof *b);
    b->C = C;
    return b;
}

static psl_matched_row *row_of(psl_matched_budget *b, double P) {
    for (int i = 0; i < b->nrows; i++)
        if (b->row[i].P == P) return &b->row[i];
    if (b->nrows == PSL_MATCHED_MAXP) return NULL;
    psl_matched_row *r = &b->row[b->nrows++];
    memset(r, 0, sizeof *r);
    r->P = P;
    return r;
}

/* Adds a run's loss at size N (summed; divided by the seed count at the end). */
static int add_size(psl_matched_row *r, double N, double D, double loss) {
    int i = 0;
    while (i < r->nsizes && r->N[i] < N) i++;
    if (i < r->nsizes && r->N[i] == N) {
        r->loss[i] += loss;
        r->seeds[i]++;
        return 0;
    }
    if (r->nsizes == PSL_MATCHED_MAXN) return -1;
    memmove(r->N + i + 1, r->N + i, (size_t)(r->nsizes - i) * sizeof *r->N);
    memmove(r->D + i + 1, r->D + i, (size_t)(r->nsizes - i) * sizeof *r->D);
    memmove(r->loss + i + 1, r->loss + i, (size_t)(r->nsizes - i) * sizeof *r->loss);
    memmove(r->seeds + i + 1, r->seeds + i, (size_t)(r->nsizes - i) * sizeof *r->seeds);
    r->N[i] = N, r->D[i] = D, r->loss[i] = loss, r->seeds[i] = 1;
    r->nsizes++;
    return 0;
}

static void finish_row(psl_matched_row *r) {
    r->best = 0;
    for (int i = 0; i < r->nsizes; i++) {
        r->loss[i] /= r->seeds[i];
        if (r->loss[i] < r->loss[r->best]) r->best = i;
    }
    r->where = r->nsizes == 1             ? PSL_MATCHED_ONE_SIZE
               : r->best == 0             ? PSL_MATCHED_SMALLEST
               : r->best == r->nsizes - 1 ? PSL_MATCHED_LARGEST
                                          : PSL_MATCHED_INSIDE;
}

int psl_matched_find(const psl_data *d, psl_matched *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        double P = tied_bits(p);
        if (p->P_post > 0 || P <= 0 || !isfinite(p->loss) || !(p->N > 0) || !(p->D > 0)) continue;
        psl_matched_budget *b = budget_of(out, budget_key(P / 16 * 6 * p->N * p->D));
        psl_matched_row *r = b ? row_of(b, P) : NULL;
        if (!r || add_size(r, p->N, p->D, p->loss)) {
            out->skipped++;
            continue;
        }
        b->nruns++;
    }
    /* keep budgets with two or more precisions, ascending C; rows ranked by best loss */
    int k = 0;
    for (int i = 0; i < out->nb; i++)
        if (out->b[i].nrows >= 2) out->b[k++] = out->b[i];
    out->nb = k;
    for (int i = 1; i < out->nb; i++)
        for (int j = i; j > 0 && out->b[j].C < out->b[j - 1].C; j--) {
            psl_matched_budget t = out->b[j];
            out->b[j] = out->b[j - 1];
            out->b[j - 1] = t;
        }
    for (int i = 0; i < out->nb; i++) {
        psl_matched_budget *b = &out->b[i];
        for (int j = 0; j < b->nrows; j++) finish_row(&b->row[j]);
        for (int j = 1; j < b->nrows; j++)
            for (int q = j; q > 0; q--) {
                psl_matched_row *x = &b->row[q], *y = &b->row[q - 1];
                if (!(x->loss[x->best] < y->loss[y->best])) break;
                psl_matched_row t = *x;
                *x = *y;
                *y = t;
            }
    }
    return out->nb;
}

const char *psl_matched_where(int where) {
    switch (where) {
    case PSL_MATCHED_INSIDE:
        return "inside the sizes tried";
    case PSL_MATCHED_SMALLEST:
        return "at the smallest size tried: the optimum may be smaller";
    case PSL_MATCHED_LARGEST:
        return "at the largest size tried: the optimum may be larger";
    default:
        return "one size only";
    }
}
