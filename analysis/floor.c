/* Noise floor of delta_PTQ (floor.h). See docs/laws.md "Noise floor". */
#include "floor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int is_ptq(const psl_point *p) {
    return p->P_post > 0 && isfinite(p->delta);
}

/* A delta of exactly 0 is no measurement of the noise: PTQ onto the grid the weights were
 * trained on reproduces them (P_post = P_w). Such points are fitted (censored) but do not
 * enter the estimate. */
static int is_noise_sample(const psl_point *p) {
    return is_ptq(p) && p->delta != 0;
}

/* Same configuration: everything that sets delta's expected value except the seed. */
static int same_config(const psl_point *a, const psl_point *b) {
    return a->N == b->N && a->D == b->D && a->P_w == b->P_w && a->P_a == b->P_a &&
           a->P_kv == b->P_kv && a->P_post == b->P_post &&
           (a->G == b->G || (isnan(a->G) && isnan(b->G))) && !strcmp(a->format, b->format) &&
           !strcmp(a->method, b->method);
}

void psl_floor_estimate(const psl_data *d, psl_floor *out) {
    memset(out, 0, sizeof *out);
    out->sd = NAN;
    out->method = PSL_FLOOR_NONE;
    /* repeated configurations: pooled within-configuration variance. A point is the first
     * of its configuration when no earlier point shares it; quadratic, but run sets are
     * small (hundreds to a few thousand PTQ points). */
    double ss = 0, dof = 0;
    size_t used = 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!is_ptq(p)) continue;
        out->n_ptq++;
        int first = 1;
        if (!is_noise_sample(p)) continue;
        for (size_t j = 0; j < i && first; j++)
            if (is_noise_sample(&d->pt[j]) && same_config(&d->pt[j], p)) first = 0;
        if (!first) continue;
        double s = 0, s2 = 0;
        size_t k = 0;
        for (size_t j = i; j < d->n; j++) {
            const psl_point *q = &d->pt[j];
            if (!is_noise_sample(q) || !same_config(q, p)) continue;
            if (j > i && q->run == p->run) continue; /* the same run twice is no repeat */
            s += q->delta;
            s2 += q->delta * q->delta;
            k++;
        }
        if (k < 2) continue;
        ss += s2 - s * s / (double)k;
        dof += (double)(k - 1);
        used += k;
        out->ncells++;
    }
    if (out->ncells > 0 && dof >= 2) {
        out->method = PSL_FLOOR_SEEDS;
        out->sd = sqrt(fmax(ss, 0) / dof);
        out->nused = used;
    } else {
        out->ncells = 0;
        double top = 0;
        for (size_t i = 0; i < d->n; i++)
            if (is_ptq(&d->pt[i]) && d->pt[i].P_post > top) top = d->pt[i].P_post;
        double s = 0, s2 = 0;
        size_t k = 0, neg = 0;
        for (size_t i = 0; i < d->n; i++) {
            const psl_point *p = &d->pt[i];
            if (!is_noise_sample(p) || p->P_post != top) continue;
            s += p->delta;
            s2 += p->delta * p->delta;
            neg += p->delta < 0;
            k++;
        }
        /* The spread at the highest bits is noise only when the noise reaches below zero
         * there: where every delta is positive the top bits still resolve a degradation,
         * and their spread is its variation over N and D, not the noise. */
        if (k >= 3 && neg > 0) {
            out->method = PSL_FLOOR_TOPBITS;
            out->sd = sqrt(fmax(s2 - s * s / (double)k, 0) / (double)(k - 1));
            out->nused = k;
            out->ncells = 1;
            out->P_post = top;
        }
    }
    if (out->method != PSL_FLOOR_NONE) out->floor = PSL_FLOOR_SIGMAS * out->sd;
    double neg = 0;
    int any_nonpos = 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!is_noise_sample(p) || p->delta > 0) continue;
        any_nonpos = 1;
        neg = fmax(neg, -p->delta);
    }
    if ((out->method == PSL_FLOOR_NONE || !(out->floor > 0)) && any_nonpos && neg > 0) {
        out->method = PSL_FLOOR_NEGATIVE;
        out->sd = NAN;
        out->floor = neg;
        out->nused = 0;
        out->ncells = 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!is_ptq(p)) continue;
        out->n_floor += p->delta <= out->floor;
        out->n_nonpos += p->delta <= 0;
    }
}

void psl_floor_describe(const psl_floor *f, char *buf, size_t len) {
    switch (f->method) {
    case PSL_FLOOR_SEEDS:
        snprintf(buf, len,
                 "delta_PTQ noise floor %.3g = %g x sd %.3g, pooled over %d repeated "
                 "configurations (%zu points); %zu of %zu PTQ points at or below it (%zu with "
                 "delta <= 0), fitted as censored",
                 f->floor, PSL_FLOOR_SIGMAS, f->sd, f->ncells, f->nused, f->n_floor, f->n_ptq,
                 f->n_nonpos);
        break;
    case PSL_FLOOR_TOPBITS:
        snprintf(buf, len,
                 "delta_PTQ noise floor %.3g = %g x sd %.3g of the %zu deltas at the highest "
                 "P_post (%g bits; no repeated configurations); %zu of %zu PTQ points at or "
                 "below it (%zu with delta <= 0), fitted as censored",
                 f->floor, PSL_FLOOR_SIGMAS, f->sd, f->nused, f->P_post, f->n_floor, f->n_ptq,
                 f->n_nonpos);
        break;
    case PSL_FLOOR_NEGATIVE:
        snprintf(buf, len,
                 "delta_PTQ noise floor %.3g: the largest |delta| among deltas < 0 (no repeats "
                 "and fewer than 3 points at the highest P_post to estimate it from; a lower "
                 "bound); %zu of %zu PTQ points at or below it (%zu with delta <= 0), fitted as "
                 "censored",
                 f->floor, f->n_floor, f->n_ptq, f->n_nonpos);
        break;
    default:
        if (f->n_nonpos)
            snprintf(buf, len,
                     "delta_PTQ noise floor: none could be estimated; the %zu PTQ points with "
                     "delta <= 0 are left out of the delta laws",
                     f->n_nonpos);
        else
            snprintf(buf, len, "delta_PTQ noise floor: none (%zu PTQ points, all delta > 0)",
                     f->n_ptq);
    }
}
