#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "figures.h"
#include "findings.h"
#include "stats.h"

#ifndef PSL_VERSION
#define PSL_VERSION "unknown"
#endif

/* The commit fitlaws was built from (analysis/CMakeLists.txt: the engine's generated
 * git_commit.c, renamed). */
const char *psl_analysis_git_commit(void);

/* The time of the report, UTC, ISO 8601; SOURCE_DATE_EPOCH when set (reproducible
 * builds' convention), so a report can be made byte for byte again. */
static void report_time(char *buf, size_t len) {
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (!*end && v >= 0) t = (time_t)v;
    }
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(buf, len, "unknown");
}

static void qual(char *b, size_t n, const psl_quality *q) {
    snprintf(b, n, "R^2 %.4f, RMSE %.4g (log); R^2 %.4f, RMSE %.4g (linear); %zu points", q->r2_log,
             q->rmse_log, q->r2_lin, q->rmse_lin, q->n);
}

static void heldout_str(char *b, size_t n, const psl_heldout *h) {
    if (h->ok) {
        int k = isfinite(h->q.r2_log)
                    ? snprintf(b, n, "R^2 %.4f, RMSE %.4g (log) on %zu held-out points",
                               h->q.r2_log, h->q.rmse_log, h->q.n)
                    : snprintf(b, n,
                               "R^2 n/a (the %zu held-out target(s) have no spread to explain), "
                               "RMSE %.4g (log)",
                               h->q.n, h->q.rmse_log);
        if (h->nvals > 1 && k >= 0 && (size_t)k < n)
            k += snprintf(b + k, n - (size_t)k,
                          " (the runs of the %d largest N, %g to %g: N is nearly unique per "
                          "run, so the largest N values are held out up to %g%% of the points)",
                          h->nvals, h->nlo, h->nhi, 100 * PSL_LNLO_SHARE);
        if (h->warm && k >= 0 && (size_t)k < n)
            snprintf(b + k, n - (size_t)k,
                     " (%d of %d fits did not converge from the start grid and were "
                     "finished from the full-data optimum)",
                     h->warm, h->folds);
    } else
        snprintf(b, n, "n/a: %s", h->why);
}

static int determined(const psl_law_result *x, int k) {
    return psl_param_determined(x, k);
}

/* The law-level verdict in words (psl_law_determined): what a reader may quote. */
static void verdict_str(char *b, size_t n, const psl_law_result *x) {
    int det;
    int v = psl_law_determined(x, &det);
    if (x->status == PSL_LAW_FAILED) {
        snprintf(b, n,
                 "NOT DETERMINED: the fit did not converge (the objective keeps falling along "
                 "some direction the runs do not constrain); no constants are reported");
        return;
    }
    if (v < 0) {
        snprintf(b, n, "not judged (no bootstrap): the constants' uncertainty is unknown");
        return;
    }
    if (v) {
        snprintf(b, n, "determined: the bootstrap pins down all %d constants", x->m.np);
        return;
    }
    size_t k = (size_t)snprintf(b, n,
                                "NOT DETERMINED: %d of %d constants pinned down by the bootstrap; "
                                "not determined:",
                                det, x->m.np);
    for (int i = 0; i < x->m.np && k < n; i++)
        if (determined(x, i) == 0) k += (size_t)snprintf(b + k, n - k, " %s", x->m.pname[i]);
    if (k < n)
        snprintf(b + k, n - k,
                 ". The values below are one optimum of an objective the runs leave flat in "
                 "those directions, not findings");
}

/* For a delta law fitted with a noise floor: how many of its points sit at the floor. */
static void floor_str(char *b, size_t n, const psl_law_result *x) {
    if (x->floor > 0)
        snprintf(b, n,
                 "%zu of %zu points at or below the noise floor %.3g (%zu with delta <= 0), "
                 "fitted as censored",
                 x->n_floor, x->n, x->floor, x->n_nonpos);
    else
        snprintf(b, n, "no noise floor (every delta > 0)");
}

/* That answer in a table cell. */
static const char *yes_no(int det) {
    return det < 0 ? "-" : det ? "yes" : "no";
}

/* A derived value with its interval and where it lies against the runs. */
static void dq_str(char *b, size_t n, const psl_dq *q, const char *what) {
    char where[200];
    psl_dq_where(q, what, where, sizeof where);
    if (q->nrep >= 10)
        snprintf(b, n, "%.4g, 95%% CI [%.4g, %.4g] (%d replicates); %s", q->v, q->lo, q->hi,
                 q->nrep, where);
    else
        snprintf(b, n, "%.4g, no interval (%d usable replicates); %s", q->v, q->nrep, where);
}

/* What a derived quantity's source laws' verdicts mean for it. */
static const char *det_note(int det) {
    return det < 0   ? " (source laws not judged: no bootstrap)"
           : det > 0 ? ""
                     : " (from a law that is NOT DETERMINED: not a finding)";
}

/* One baseline comparison in words: the verdict first, then the numbers. */
static void base_str(char *b, size_t n, const psl_law_result *x, const psl_cmp_row *c) {
    if (!c->ok) {
        snprintf(b, n, "%s (%s): not compared: %s", c->base->title, c->base->formula, c->why);
        return;
    }
    char kf[160];
    if (c->kfold.ok && x->kfold.ok)
        snprintf(kf, sizeof kf, "k-fold R^2 %.4f vs %.4f", x->kfold.q.r2_log, c->kfold.q.r2_log);
    else if (c->kfold.ok)
        snprintf(kf, sizeof kf, "k-fold R^2 n/a vs %.4f", c->kfold.q.r2_log);
    else if (x->kfold.ok)
        snprintf(kf, sizeof kf, "k-fold R^2 %.4f vs n/a", x->kfold.q.r2_log);
    else
        snprintf(kf, sizeof kf, "k-fold n/a");
    const char *v = c->beaten > 0    ? "beats it"
                    : c->beaten == 0 ? "DOES NOT BEAT it"
                                     : "not judged (no information criterion)";
    snprintf(
        b, n,
        "%s (%s, %d parameters): %s: %s; AIC %.1f vs %.1f, BIC %.1f vs %.1f (%zu points)%s%s%s",
        c->base->title, c->base->formula, c->np, v, kf, c->law_aic, c->aic, c->law_bic, c->bic,
        c->n_ic, c->beaten >= 0 && c->by_aic ? "; judged by AIC alone" : "",
        c->converged ? "" : "; ", c->converged ? "" : c->why);
}

/* The baselines a law does not beat, by title, separated by "; " ("" when none); returns
 * their count. */
static int not_beaten(char *b, size_t n, const psl_compare *c) {
    size_t k = 0;
    int cnt = 0;
    b[0] = 0;
    for (int i = 0; i < c->n; i++)
        if (c->row[i].beaten == 0) {
            if (k < n)
                k += (size_t)snprintf(b + k, n - k, "%s%s", cnt ? "; " : "", c->row[i].base->title);
            cnt++;
        }
    return cnt;
}

/* The first clause of a finding's why (up to "; "), for the terminal's short table. */
static void first_clause(char *b, size_t n, const char *why) {
    const char *e = strstr(why, "; ");
    size_t k = e ? (size_t)(e - why) : strlen(why);
    snprintf(b, n, "%.*s", (int)k, why);
}

/* The findings table in short: one verdict, the measured effect, the paper's value. */
static void findings_terminal(FILE *f, const psl_report *r) {
    psl_findings fd;
    psl_findings_judge(r->res, r->nres, r->derived, &fd);
    fprintf(f, "\n== findings of the papers on these runs (docs/fitlaws.md, \"Findings\")\n");
    for (int i = 0; i < fd.n; i++) {
        const psl_finding *x = &fd.f[i];
        char c[400];
        first_clause(c, sizeof c, x->why);
        fprintf(f, "   %-12s %-13s %s\n", x->id,
                x->verdict == PSL_NOT_TESTABLE ? "NOT TESTABLE" : psl_verdict_str(x->verdict),
                x->finding);
        if (strcmp(x->measured, "-"))
            fprintf(f, "   %-26s measured %s, 95%% CI %s; paper %s\n", "", x->measured, x->interval,
                    x->paper);
        if (x->verdict == PSL_NOT_TESTABLE) fprintf(f, "   %-26s %s\n", "", c);
    }
}

void psl_report_terminal(FILE *f, const psl_report *r) {
    fprintf(f, "fitlaws: %zu points from %d runs\n", r->data->n, r->data->nruns);
    for (int i = 0; i < r->nres; i++) {
        const psl_law_result *x = &r->res[i];
        fprintf(f, "\n== %s: %s\n   %s\n", x->law->name, x->law->title, x->law->formula);
        if (x->status == PSL_LAW_REFUSED) {
            fprintf(f, "   not fitted: %s\n", x->why);
            continue;
        }
        fprintf(f, "   %zu points from %d runs; %s; objective %.6g%s\n", x->n, x->nruns,
                x->status == PSL_LAW_FITTED ? "converged" : "DID NOT CONVERGE", x->fit.obj,
                x->status == PSL_LAW_FITTED ? "" : " where it stopped");
        char vs[600];
        if (x->status == PSL_LAW_FAILED) {
            verdict_str(vs, sizeof vs, x);
            fprintf(f, "   %s\n   verdict: %s\n", x->why, vs);
            continue;
        }
        if (x->law->target == PSL_TARGET_DELTA) {
            floor_str(vs, sizeof vs, x);
            fprintf(f, "   %s\n", vs);
        }
        verdict_str(vs, sizeof vs, x);
        fprintf(f, "   verdict: %s\n", vs);
        fprintf(f, "   %-26s %12s  %-27s %10s  %s\n", "param", "value", "95% CI (bootstrap)", "SE",
                "determined");
        for (int k = 0; k < x->m.np; k++) {
            char ci[64] = "-", se[32] = "-";
            if (x->boot.ok > 1) {
                snprintf(ci, sizeof ci, "[%.4g, %.4g]", x->boot.lo[k], x->boot.hi[k]);
                snprintf(se, sizeof se, "%.3g", x->boot.se[k]);
            }
            fprintf(f, "   %-26s %12.5g  %-27s %10s  %s\n", x->m.pname[k],
                    psl_model_value(&x->m, k, x->fit.u), ci, se, yes_no(determined(x, k)));
        }
        if (x->boot.B)
            fprintf(f, "   bootstrap: %d of %d replicates converged\n", x->boot.ok, x->boot.B);
        char a[200], b[1000], c[1000];
        qual(a, sizeof a, &x->q);
        heldout_str(b, sizeof b, &x->lnlo);
        heldout_str(c, sizeof c, &x->kfold);
        fprintf(f,
                "   fit:                 %s\n   leave-largest-N-out: %s\n   %d-fold by (N,D): "
                "%s\n",
                x->q.n ? a : "-", b, x->kfold.folds ? x->kfold.folds : r->opts->kfold, c);
        if (x->cmp.n) {
            char nb[400];
            not_beaten(nb, sizeof nb, &x->cmp);
            if (x->cmp.beats == 0)
                fprintf(f, "   against its baselines: %s DOES NOT BEAT: %s\n", x->law->name, nb);
            else
                fprintf(f, "   against its baselines: %s\n",
                        x->cmp.beats > 0 ? "beats every one compared" : "none judged");
        }
        for (int k = 0; k < x->cmp.n; k++) {
            char bs[900];
            base_str(bs, sizeof bs, x, &x->cmp.row[k]);
            fprintf(f, "     vs %s\n", bs);
        }
    }
    if (r->derived) {
        const psl_derived *dv = r->derived;
        char q[400];
        fprintf(f, "\n== derived (95%% bootstrap intervals; extrapolations flagged)\n");
        if (dv->have_pstar) {
            dq_str(q, sizeof q, &dv->pstar, "quantized precision");
            fprintf(f, "   compute-optimal tied precision P* (N, D, P free; %s)%s: %s bits\n",
                    dv->pstar_law, det_note(dv->pstar_det), q);
        } else {
            fprintf(f, "   P*: not available: %s\n", dv->why_pstar);
        }
        if (dv->have_copt) {
            fprintf(f,
                    "   compute-optimal N, D at C = %.4g (the largest run; chinchilla_tied)%s:\n",
                    dv->copt_C, det_note(dv->copt_det));
            dq_str(q, sizeof q, &dv->copt_N, "N");
            fprintf(f, "     N_opt = %s\n", q);
            dq_str(q, sizeof q, &dv->copt_D, "D");
            fprintf(f, "     D_opt = %s\n", q);
        } else {
            fprintf(f, "   compute-optimal N, D: not available: %s\n", dv->why_copt);
        }
        if (dv->ndcrit) {
            fprintf(f,
                    "   D_crit (tokens past which more data raises post-PTQ loss; ptq and "
                    "chinchilla_tied)%s:\n",
                    det_note(dv->dcrit_det));
            for (int k = 0; k < dv->ndcrit; k++) {
                dq_str(q, sizeof q, &dv->dcrit[k], "D");
                fprintf(f, "     N = %-10.4g P_post = %-3g%s D_crit = %s\n", dv->dcrit_N[k],
                        dv->dcrit_P[k], dv->dcrit_p_extrap[k] ? " (P_post not fitted)" : "", q);
            }
        } else {
            fprintf(f, "   D_crit: not available: %s\n", dv->why_dcrit);
        }
    }
    findings_terminal(f, r);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

/* {"value", "ci95", "replicates", "extrapolation", "factor", "runs_range"} or null */
static void json_dq(FILE *f, const psl_dq *q) {
    if (!q) {
        fputs("null", f);
        return;
    }
    fputs("{\"value\": ", f);
    json_num(f, q->v);
    fputs(", \"ci95\": [", f);
    json_num(f, q->nrep >= 10 ? q->lo : NAN);
    fputs(", ", f);
    json_num(f, q->nrep >= 10 ? q->hi : NAN);
    fprintf(f, "], \"replicates\": %d, \"extrapolation\": \"%s\", \"factor\": ", q->nrep,
            q->extrap > 0   ? "above"
            : q->extrap < 0 ? "below"
                            : "no");
    json_num(f, q->factor);
    fputs(", \"runs_range\": [", f);
    json_num(f, q->lo_run);
    fputs(", ", f);
    json_num(f, q->hi_run);
    fputs("]}", f);
}

static void json_quality(FILE *f, const psl_quality *q) {
    fprintf(f, "{\"n\": %zu, \"r2_log\": ", q->n);
    json_num(f, q->r2_log);
    fputs(", \"rmse_log\": ", f);
    json_num(f, q->rmse_log);
    fputs(", \"r2_lin\": ", f);
    json_num(f, q->r2_lin);
    fputs(", \"rmse_lin\": ", f);
    json_num(f, q->rmse_lin);
    fputc('}', f);
}

static void json_heldout(FILE *f, const psl_heldout *h) {
    fprintf(f, "{\"ok\": %s, ", h->ok ? "true" : "false");
    if (h->ok) {
        fprintf(f, "\"folds\": %d, \"n_fit\": %zu, \"warm_started\": %d, ", h->folds, h->nfit,
                h->warm);
        if (h->nvals > 0) {
            fprintf(f, "\"n_values_held_out\": %d, \"n_held_out\": [", h->nvals);
            json_num(f, h->nlo);
            fputs(", ", f);
            json_num(f, h->nhi);
            fputs("], ", f);
        }
        fputs("\"quality\": ", f);
        json_quality(f, &h->q);
    } else {
        fputs("\"why\": ", f);
        json_str(f, h->why);
    }
    fputc('}', f);
}

static void json_notes(FILE *f, const psl_notes *n) {
    fputc('[', f);
    for (size_t i = 0; n && i < n->n; i++) {
        if (i) fputs(", ", f);
        json_str(f, n->msg[i]);
    }
    fputc(']', f);
}

/* delta_PTQ per PTQ method and bit width over every PTQ point read (before --ptq-method
 * kept one), of runs trained at more bits than P_post: median, range and count, one row per bit
 * width, one column per method. */
#define PSL_PTQ_TAB_MAX 16
typedef struct {
    char method[PSL_PTQ_TAB_MAX][PSL_METHOD_MAX];
    double bits[64];
    int nm, nb;
} ptq_tab;

static void ptq_tab_build(const psl_data *d, ptq_tab *t) {
    memset(t, 0, sizeof *t);
    for (size_t i = 0; d && i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!(p->P_post > 0) || !isfinite(p->delta) || !(p->P_w > p->P_post)) continue;
        int m = 0;
        while (m < t->nm && strcmp(t->method[m], p->method)) m++;
        if (m == t->nm && t->nm < PSL_PTQ_TAB_MAX)
            snprintf(t->method[t->nm++], PSL_METHOD_MAX, "%s", p->method);
        int b = 0;
        while (b < t->nb && t->bits[b] != p->P_post) b++;
        if (b == t->nb && t->nb < 64) t->bits[t->nb++] = p->P_post;
    }
    qsort(t->bits, (size_t)t->nb, sizeof *t->bits, psl_cmp_double);
}

/* Median, min, max and count of delta_PTQ at (method, bits); returns the count. */
static int ptq_cell(const psl_data *d, const char *method, double bits, double *med, double *lo,
                    double *hi) {
    int n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->pt[i].P_post == bits && isfinite(d->pt[i].delta) && d->pt[i].P_w > bits &&
            !strcmp(d->pt[i].method, method))
            n++;
    if (!n) return 0;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return 0;
    int k = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->pt[i].P_post == bits && isfinite(d->pt[i].delta) && d->pt[i].P_w > bits &&
            !strcmp(d->pt[i].method, method))
            v[k++] = d->pt[i].delta;
    qsort(v, (size_t)n, sizeof *v, psl_cmp_double);
    *med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    *lo = v[0];
    *hi = v[n - 1];
    free(v);
    return n;
}

static void ptq_table_md(FILE *f, const psl_data *d) {
    ptq_tab t;
    ptq_tab_build(d, &t);
    if (!t.nm) return;
    fputs("\n## Post-training quantization by method\n\ndelta_PTQ (loss after PTQ minus loss "
          "before) per method and bit width, over the runs trained at more bits than P_post: "
          "median [min, max] (runs). The laws "
          "are fitted on one method (--ptq-method); this table shows them all.\n\n| P_post |",
          f);
    for (int m = 0; m < t.nm; m++) fprintf(f, " %s |", t.method[m][0] ? t.method[m] : "(none)");
    fputs("\n|---|", f);
    for (int m = 0; m < t.nm; m++) fputs("---|", f);
    fputc('\n', f);
    for (int b = 0; b < t.nb; b++) {
        fprintf(f, "| %g |", t.bits[b]);
        for (int m = 0; m < t.nm; m++) {
            double med, lo, hi;
            int n = ptq_cell(d, t.method[m], t.bits[b], &med, &lo, &hi);
            if (n)
                fprintf(f, " %.4g [%.3g, %.3g] (%d) |", med, lo, hi, n);
            else
                fputs(" - |", f);
        }
        fputc('\n', f);
    }
}

static void ptq_table_json(FILE *f, const psl_data *d) {
    ptq_tab t;
    ptq_tab_build(d, &t);
    fputs(",\n  \"ptq_by_method\": [", f);
    int k = 0;
    for (int m = 0; m < t.nm; m++)
        for (int b = 0; b < t.nb; b++) {
            double med, lo, hi;
            int n = ptq_cell(d, t.method[m], t.bits[b], &med, &lo, &hi);
            if (!n) continue;
            fputs(k++ ? ",\n    {\"method\": " : "\n    {\"method\": ", f);
            json_str(f, t.method[m]);
            fprintf(f, ", \"bits\": %g, \"runs\": %d, \"delta_median\": ", t.bits[b], n);
            json_num(f, med);
            fputs(", \"delta_min\": ", f);
            json_num(f, lo);
            fputs(", \"delta_max\": ", f);
            json_num(f, hi);
            fputc('}', f);
        }
    fputs(k ? "\n  ]" : "]", f);
}

/* Compute-matched runs read off without a law (matched.h): one table per budget. */
static void matched_markdown(FILE *f, const psl_matched *m) {
    if (!m || !m->nb) return;
    fputs("## Compute-matched runs (read off the runs, no law fitted)\n\n"
          "Runs at one tied precision P (unquantized counted as 16 bits) grouped by their "
          "compute C = (P/16) 6 N D, to two significant digits: per precision, the size with "
          "the lowest final loss and whether it lies inside the sizes tried, the precisions "
          "ranked. A difference within the seed noise is not a finding; a best at the edge "
          "of the sizes tried bounds that precision's optimum from above only. This is "
          "evidence to read beside the `pstar` row, not a verdict (docs/fitlaws.md).\n\n",
          f);
    for (int i = 0; i < m->nb; i++) {
        const psl_matched_budget *b = &m->b[i];
        const psl_matched_row *top = &b->row[0];
        fprintf(f,
                "C = %.2g (%d runs)\n\n| P | sizes | best N | its D/N | best loss | minus "
                "the best P's | where |\n|---|---|---|---|---|---|---|\n",
                b->C, b->nruns);
        for (int j = 0; j < b->nrows; j++) {
            const psl_matched_row *x = &b->row[j];
            int k = x->best;
            char seeds[48] = "";
            if (x->seeds[k] > 1) snprintf(seeds, sizeof seeds, " (mean of %d seeds)", x->seeds[k]);
            fprintf(f, "| %s%g | %d | %.4g | %.0f | %.4f%s | %+.4f | %s |\n",
                    x->P >= 16 ? "unquantized, as " : "", x->P, x->nsizes, x->N[k],
                    x->D[k] / x->N[k], x->loss[k], seeds, x->loss[k] - top->loss[top->best],
                    psl_matched_where(x->where));
        }
        fputs("\n", f);
    }
    if (m->skipped)
        fprintf(f,
                "%d runs left out of these tables (more budgets, precisions or sizes than "
                "they hold).\n\n",
                m->skipped);
}

static void matched_json(FILE *f, const psl_matched *m) {
    static const char *const where[] = {"inside", "smallest", "largest", "one_size"};
    int nb = m ? m->nb : 0;
    fputs(",\n  \"compute_matched\": [", f);
    for (int i = 0; i < nb; i++) {
        const psl_matched_budget *b = &m->b[i];
        fputs(i ? ",\n    {\"C\": " : "\n    {\"C\": ", f);
        json_num(f, b->C);
        fprintf(f, ", \"runs\": %d, \"precisions\": [", b->nruns);
        for (int j = 0; j < b->nrows; j++) {
            const psl_matched_row *x = &b->row[j];
            fputs(j ? ", {\"P\": " : "{\"P\": ", f);
            json_num(f, x->P);
            fputs(", \"best_N\": ", f);
            json_num(f, x->N[x->best]);
            fputs(", \"best_loss\": ", f);
            json_num(f, x->loss[x->best]);
            fprintf(f, ", \"where\": \"%s\", \"sizes\": [", where[x->where]);
            for (int k = 0; k < x->nsizes; k++) {
                fputs(k ? ", {\"N\": " : "{\"N\": ", f);
                json_num(f, x->N[k]);
                fputs(", \"D\": ", f);
                json_num(f, x->D[k]);
                fputs(", \"loss\": ", f);
                json_num(f, x->loss[k]);
                fprintf(f, ", \"seeds\": %d}", x->seeds[k]);
            }
            fputs("]}", f);
        }
        fputs("]}", f);
    }
    fputs(nb ? "\n  ]" : "]", f);
}

int psl_report_json(const char *path, const psl_report *r, char *err, size_t len) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, len, "%s: %s", path, strerror(errno));
        return -1;
    }
    char when[32];
    report_time(when, sizeof when);
    fputs("{\n  \"tool\": \"fitlaws\",\n  \"version\": ", f);
    json_str(f, PSL_VERSION);
    fputs(",\n  \"git_commit\": ", f);
    json_str(f, psl_analysis_git_commit());
    fputs(",\n  \"generated\": ", f);
    json_str(f, when);
    fprintf(f, ",\n  \"points\": %zu,\n  \"runs\": %d,\n  \"inputs\": [", r->data->n,
            r->data->nruns);
    for (int i = 0; i < r->ninputs; i++) {
        if (i) fputs(", ", f);
        json_str(f, r->inputs[i]);
    }
    /* The runs read, once each in the order of their index: where the first point of the
     * run was read (the file; file:line for CSV) and its run id ("" when unknown). */
    fputs("],\n  \"run_list\": [", f);
    {
        int nr = r->data->nruns, k = 0;
        char *seen = nr > 0 ? calloc((size_t)nr, 1) : NULL;
        for (size_t i = 0; seen && i < r->data->n; i++) {
            const psl_point *p = &r->data->pt[i];
            if (p->run < 0 || p->run >= nr || seen[p->run]) continue;
            seen[p->run] = 1;
            fputs(k++ ? ",\n    {\"path\": " : "\n    {\"path\": ", f);
            json_str(f, p->source);
            fputs(", \"run_id\": ", f);
            json_str(f, p->run_id);
            fputc('}', f);
        }
        free(seen);
        if (k) fputs("\n  ", f);
    }
    fprintf(f,
            "],\n  \"bootstrap\": %d,\n  \"seed\": %llu,\n  \"huber_delta\": %g,\n"
            "  \"fit_seconds\": %.3f,\n  \"notes\": ",
            r->opts->bootstrap, (unsigned long long)r->opts->seed, r->opts->fit.huber_delta,
            r->seconds);
    json_notes(f, r->notes);
    {
        psl_findings fd;
        psl_findings_judge(r->res, r->nres, r->derived, &fd);
        fputs(",\n  \"findings\": [", f);
        for (int i = 0; i < fd.n; i++) {
            const psl_finding *x = &fd.f[i];
            fputs(i ? ",\n    {\"id\": " : "\n    {\"id\": ", f);
            json_str(f, x->id);
            fputs(", \"finding\": ", f);
            json_str(f, x->finding);
            fputs(", \"measured\": ", f);
            json_str(f, x->measured);
            fputs(", \"value\": ", f);
            json_num(f, x->value);
            fputs(", \"interval\": [", f);
            json_num(f, x->lo);
            fputs(", ", f);
            json_num(f, x->hi);
            fputs("], \"paper\": ", f);
            json_str(f, x->paper);
            fprintf(f, ", \"verdict\": \"%s\", \"why\": ", psl_verdict_key(x->verdict));
            json_str(f, x->why);
            fputc('}', f);
        }
        fputs("\n  ]", f);
    }
    if (r->floor) {
        fputs(",\n  \"noise_floor\": {\"floor\": ", f);
        json_num(f, r->floor->floor);
        fputs(", \"sd\": ", f);
        json_num(f, r->floor->sd);
        static const char *const meth[] = {"none", "repeated_configurations", "highest_p_post",
                                           "largest_negative_delta"};
        fprintf(f,
                ", \"method\": \"%s\", \"points_used\": %zu, \"ptq_points\": %zu, "
                "\"at_floor\": %zu, \"delta_nonpositive\": %zu}",
                meth[r->floor->method], r->floor->nused, r->floor->n_ptq, r->floor->n_floor,
                r->floor->n_nonpos);
    }
    if (r->ptq_all) ptq_table_json(f, r->ptq_all);
    matched_json(f, r->matched);
    fputs(",\n  \"laws\": [", f);
    for (int i = 0; i < r->nres; i++) {
        const psl_law_result *x = &r->res[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        fputs("\"name\": ", f);
        json_str(f, x->law->name);
        fputs(", \"title\": ", f);
        json_str(f, x->law->title);
        fputs(", \"formula\": ", f);
        json_str(f, x->law->formula);
        fprintf(f, ", \"target\": \"%s\", \"status\": \"%s\"",
                x->law->target == PSL_TARGET_DELTA ? "delta_ptq" : "loss",
                x->status == PSL_LAW_FITTED    ? "fitted"
                : x->status == PSL_LAW_REFUSED ? "refused"
                                               : "not_converged");
        if (x->status != PSL_LAW_FITTED) {
            fputs(", \"why\": ", f);
            json_str(f, x->why);
        }
        if (x->status == PSL_LAW_FAILED) fputs(", \"verdict\": \"not_determined\"", f);
        if (x->status != PSL_LAW_REFUSED) {
            fprintf(f, ", \"points\": %zu, \"runs\": %d, \"objective\": ", x->n, x->nruns);
            json_num(f, x->fit.obj);
            fprintf(f, ", \"grid_starts\": %d, \"iterations\": %d, \"params\": [", x->fit.starts,
                    x->fit.iters);
            for (int k = 0; k < x->m.np; k++) {
                fputs(k ? ", {\"name\": " : "{\"name\": ", f);
                json_str(f, x->m.pname[k]);
                fputs(", \"value\": ", f);
                json_num(f, psl_model_value(&x->m, k, x->fit.u));
                fprintf(f, ", \"log_space\": %s, \"ci95\": [", x->m.logp[k] ? "true" : "false");
                json_num(f, x->boot.ok > 1 ? x->boot.lo[k] : NAN);
                fputs(", ", f);
                json_num(f, x->boot.ok > 1 ? x->boot.hi[k] : NAN);
                fputs("], \"se\": ", f);
                json_num(f, x->boot.ok > 1 ? x->boot.se[k] : NAN);
                int det = determined(x, k);
                fprintf(f, ", \"determined\": %s}", det < 0 ? "null" : det ? "true" : "false");
            }
            int ndet, v = psl_law_determined(x, &ndet);
            fprintf(f,
                    "], \"verdict\": \"%s\", \"params_determined\": %d, "
                    "\"bootstrap_converged\": %d",
                    v < 0 ? "not_judged"
                    : v   ? "determined"
                          : "not_determined",
                    ndet, x->boot.ok);
            if (x->law->target == PSL_TARGET_DELTA) {
                fputs(", \"noise_floor\": ", f);
                json_num(f, x->floor);
                fprintf(f, ", \"points_at_floor\": %zu, \"points_delta_nonpositive\": %zu",
                        x->n_floor, x->n_nonpos);
            }
            fputs(", \"fit\": ", f);
            json_quality(f, &x->q);
            fputs(", \"leave_largest_n_out\": ", f);
            json_heldout(f, &x->lnlo);
            fputs(", \"kfold_nd\": ", f);
            json_heldout(f, &x->kfold);
            fputs(", \"aic\": ", f);
            json_num(f, x->cmp.aic);
            fputs(", \"bic\": ", f);
            json_num(f, x->cmp.bic);
            fprintf(f, ", \"beats_baselines\": %s, \"baselines_not_beaten\": [",
                    x->cmp.beats < 0 ? "null"
                    : x->cmp.beats   ? "true"
                                     : "false");
            for (int k = 0, m = 0; k < x->cmp.n; k++)
                if (x->cmp.row[k].beaten == 0) {
                    fputs(m++ ? ", " : "", f);
                    json_str(f, x->cmp.row[k].base->name);
                }
            fputs("], \"baselines\": [", f);
            for (int k = 0; k < x->cmp.n; k++) {
                const psl_cmp_row *c = &x->cmp.row[k];
                fputs(k ? ", {\"name\": " : "{\"name\": ", f);
                json_str(f, c->base->name);
                fputs(", \"title\": ", f);
                json_str(f, c->base->title);
                fputs(", \"formula\": ", f);
                json_str(f, c->base->formula);
                fprintf(f, ", \"params\": %d, \"compared\": %s", c->np, c->ok ? "true" : "false");
                if (!c->ok || !c->converged) {
                    fputs(", \"why\": ", f);
                    json_str(f, c->why);
                }
                if (!c->ok) {
                    fputc('}', f);
                    continue;
                }
                fprintf(f, ", \"converged\": %s, \"ic_points\": %zu, \"aic\": ",
                        c->converged ? "true" : "false", c->n_ic);
                json_num(f, c->aic);
                fputs(", \"bic\": ", f);
                json_num(f, c->bic);
                fputs(", \"law_aic\": ", f);
                json_num(f, c->law_aic);
                fputs(", \"law_bic\": ", f);
                json_num(f, c->law_bic);
                fputs(", \"fit\": ", f);
                json_quality(f, &c->q);
                fputs(", \"kfold_nd\": ", f);
                json_heldout(f, &c->kfold);
                fprintf(f, ", \"judged_by\": \"%s\", \"beaten\": %s}",
                        c->beaten < 0 ? "none"
                        : c->by_aic   ? "aic"
                                      : "kfold_r2_and_aic",
                        c->beaten < 0 ? "null"
                        : c->beaten   ? "true"
                                      : "false");
            }
            fputc(']', f);
        } else {
            fputs(", \"params\": []", f); /* not fitted: no values, but every law has the key */
        }
        fputc('}', f);
    }
    fputs("\n  ]", f);
    if (r->derived) {
        const psl_derived *dv = r->derived;
        fputs(",\n  \"derived\": {\"pstar_tied\": ", f);
        json_dq(f, dv->have_pstar ? &dv->pstar : NULL);
        fputs(", \"pstar_law\": ", f);
        json_str(f, dv->pstar_law);
        fprintf(f, ", \"compute_optimal\": {\"C\": ");
        json_num(f, dv->have_copt ? dv->copt_C : NAN);
        fputs(", \"N\": ", f);
        json_dq(f, dv->have_copt ? &dv->copt_N : NULL);
        fputs(", \"D\": ", f);
        json_dq(f, dv->have_copt ? &dv->copt_D : NULL);
        fputs("}, \"d_crit\": [", f);
        for (int k = 0; k < dv->ndcrit; k++) {
            fprintf(f, "%s{\"N\": %.10g, \"P_post\": %g, \"P_post_fitted\": %s, \"D_crit\": ",
                    k ? ", " : "", dv->dcrit_N[k], dv->dcrit_P[k],
                    dv->dcrit_p_extrap[k] ? "false" : "true");
            json_dq(f, &dv->dcrit[k]);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs(",\n  \"figures\": ", f);
    json_notes(f, r->figures);
    fputs(",\n  \"figure_captions\": {", f);
    for (size_t i = 0; r->figures && i < r->figures->n; i++) {
        fputs(i ? ", " : "", f);
        json_str(f, r->figures->msg[i]);
        fputs(": ", f);
        json_str(f, psl_figure_caption(r->figures->msg[i]));
    }
    fputc('}', f);
    fputs(",\n  \"figures_missing\": ", f);
    json_notes(f, r->figs_missing);
    fputs("\n}\n", f);
    if (fclose(f)) {
        snprintf(err, len, "%s: write failed", path);
        return -1;
    }
    return 0;
}

/* Text in a markdown table cell: a '|' would end the cell. */
static void md_cell(FILE *f, const char *s) {
    for (; *s; s++) fputc(*s == '|' ? '/' : *s == '\n' ? ' ' : *s, f);
}

int psl_report_markdown(const char *path, const psl_report *r, char *err, size_t len) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, len, "%s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# fitlaws report\n\n%zu points from %d runs read from:", r->data->n,
            r->data->nruns);
    for (int i = 0; i < r->ninputs; i++) fprintf(f, " `%s`", r->inputs[i]);
    fprintf(f,
            ".\nHuber delta %g on log targets; %d bootstrap replicates (seed %llu); "
            "fitting took %.2f s.\n\n",
            r->opts->fit.huber_delta, r->opts->bootstrap, (unsigned long long)r->opts->seed,
            r->seconds);
    {
        psl_findings fd;
        psl_findings_judge(r->res, r->nres, r->derived, &fd);
        fputs("## Findings\n\nEach finding of the papers, judged on these runs: **reproduced** "
              "or **contradicted** only when the constant that carries it is determined by the "
              "bootstrap, its 95% interval excludes the no-effect value and the law beats its "
              "baselines; otherwise not testable with these runs, with why and what runs would "
              "test it. The paper's constants are for comparison: a small-scale reproduction "
              "should match the trends, not the values (docs/fitlaws.md, \"Findings\").\n\n"
              "| finding | measured | 95% CI | paper | verdict | why |\n"
              "|---|---|---|---|---|---|\n",
              f);
        for (int i = 0; i < fd.n; i++) {
            const psl_finding *x = &fd.f[i];
            fputs("| ", f);
            md_cell(f, x->finding);
            fprintf(f, " (`%s`) | ", x->id);
            md_cell(f, x->measured);
            fputs(" | ", f);
            md_cell(f, x->interval);
            fputs(" | ", f);
            md_cell(f, x->paper);
            fprintf(f, " | %s%s%s | ", x->verdict == PSL_NOT_TESTABLE ? "" : "**",
                    psl_verdict_str(x->verdict), x->verdict == PSL_NOT_TESTABLE ? "" : "**");
            md_cell(f, x->why);
            fputs(" |\n", f);
        }
        fputs("\n", f);
    }
    if (r->floor && r->floor->n_ptq) {
        char fl[512];
        psl_floor_describe(r->floor, fl, sizeof fl);
        fprintf(f, "Noise floor: %s (docs/laws.md, \"Noise floor\").\n\n", fl);
    }
    fputs("A law is **determined** when the bootstrap pins down every one of its constants; "
          "the constants of a law that is not determined are not findings, whatever its "
          "R^2.\n\n",
          f);
    matched_markdown(f, r->matched);
    fputs("## Summary\n\n| law | target | status | points | at floor | R^2 fit (log) | R^2 "
          "leave-largest-N-out | R^2 k-fold (N,D) | parameters determined | verdict | "
          "beats its baselines |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
          f);
    for (int i = 0; i < r->nres; i++) {
        const psl_law_result *x = &r->res[i];
        const char *tgt = x->law->target == PSL_TARGET_DELTA ? "delta_PTQ" : "loss";
        if (x->status != PSL_LAW_FITTED) {
            fprintf(f, "| %s | %s | %s | %zu | - | - | - | - | - | %s | - |\n", x->law->name, tgt,
                    x->status == PSL_LAW_REFUSED ? "not identifiable" : "did not converge", x->n,
                    x->status == PSL_LAW_REFUSED ? "-" : "**not determined**");
            continue;
        }
        fprintf(f, "| %s | %s | fitted | %zu | ", x->law->name, tgt, x->n);
        if (x->law->target == PSL_TARGET_DELTA && x->floor > 0)
            fprintf(f, "%zu | ", x->n_floor);
        else
            fputs("- | ", f);
        fprintf(f, "%.4f | ", x->q.r2_log);
        /* R^2 of one held-out point (or of points with one value) is 0/0: n/a, as below */
        if (x->lnlo.ok && isfinite(x->lnlo.q.r2_log))
            fprintf(f, "%.4f | ", x->lnlo.q.r2_log);
        else
            fputs("n/a | ", f);
        if (x->kfold.ok && isfinite(x->kfold.q.r2_log))
            fprintf(f, "%.4f | ", x->kfold.q.r2_log);
        else
            fputs("n/a | ", f);
        int det = 0, known = 1;
        for (int k = 0; k < x->m.np; k++) {
            int d = determined(x, k);
            if (d < 0) known = 0;
            det += d > 0;
        }
        if (known)
            fprintf(f, "%d of %d | %s | ", det, x->m.np,
                    det == x->m.np ? "determined" : "**not determined**");
        else
            fputs("- (no bootstrap) | not judged | ", f);
        if (x->cmp.beats == 0) {
            char nb[400];
            not_beaten(nb, sizeof nb, &x->cmp);
            fprintf(f, "**no**: does not beat %s |\n", nb);
        } else {
            fprintf(f, "%s |\n", x->cmp.beats > 0 ? "yes" : "-");
        }
    }
    for (int i = 0; i < r->nres; i++) {
        const psl_law_result *x = &r->res[i];
        fprintf(f, "\n## %s: %s\n\n`%s`\n\n", x->law->name, x->law->title, x->law->formula);
        if (x->status != PSL_LAW_FITTED) {
            fprintf(f, "%s: %s\n", x->status == PSL_LAW_REFUSED ? "Not fitted" : "Did not converge",
                    x->why);
            if (x->status == PSL_LAW_FAILED) {
                char vs[600];
                verdict_str(vs, sizeof vs, x);
                fprintf(f, "\n**Verdict: %s.**\n", vs);
            }
            continue;
        }
        fprintf(f,
                "%zu points from %d runs; objective %.6g after %d BFGS iterations (best of "
                "%d grid starts, top %d polished); %d of %d bootstrap replicates converged.\n\n",
                x->n, x->nruns, x->fit.obj, x->fit.iters, x->fit.starts, r->opts->fit.polish,
                x->boot.ok, x->boot.B);
        {
            char vs[600];
            if (x->law->target == PSL_TARGET_DELTA) {
                floor_str(vs, sizeof vs, x);
                fprintf(f, "Target delta_PTQ: %s.\n\n", vs);
            }
            verdict_str(vs, sizeof vs, x);
            fprintf(f, "**Verdict: %s.**\n\n", vs);
        }
        fputs("| parameter | value | 95% CI | SE | determined |\n|---|---|---|---|---|\n", f);
        for (int k = 0; k < x->m.np; k++) {
            fprintf(f, "| %s | %.6g | ", x->m.pname[k], psl_model_value(&x->m, k, x->fit.u));
            if (x->boot.ok > 1)
                fprintf(f, "[%.4g, %.4g] | %.3g | ", x->boot.lo[k], x->boot.hi[k], x->boot.se[k]);
            else
                fputs("- | - | ", f);
            fprintf(f, "%s |\n", yes_no(determined(x, k)));
        }
        char a[200], b[1000], c[1000];
        qual(a, sizeof a, &x->q);
        heldout_str(b, sizeof b, &x->lnlo);
        heldout_str(c, sizeof c, &x->kfold);
        fprintf(f,
                "\n- fit: %s\n- leave-largest-N-out: %s\n- k-fold by (N, D) cell: %s\n"
                "- predicted vs actual: `pred_%s.tsv`\n",
                a, b, c, x->law->name);
        if (x->cmp.n) {
            fputs("- against its simpler forms (same points, same folds; a comparison, not a "
                  "significance test; docs/laws.md \"Baselines\"):\n",
                  f);
            for (int k = 0; k < x->cmp.n; k++) {
                char bs[900];
                base_str(bs, sizeof bs, x, &x->cmp.row[k]);
                fprintf(f, "  - %s\n", bs);
            }
            if (x->cmp.beats == 0) {
                char nb[400];
                int cnt = not_beaten(nb, sizeof nb, &x->cmp);
                fprintf(f,
                        "\n**%s does not beat %s (%s): on these runs its extra terms do not earn "
                        "their parameters.**\n",
                        x->law->name, cnt > 1 ? "these baselines" : "this baseline", nb);
            }
        }
    }
    if (r->derived) {
        const psl_derived *dv = r->derived;
        fputs("\n## Derived quantities\n\n95% intervals from the bootstrap replicates of the "
              "laws they come from (replicate b of each); a value outside the range the runs "
              "cover is marked EXTRAPOLATION.\n\n",
              f);
        char q[400];
        if (dv->have_pstar) {
            dq_str(q, sizeof q, &dv->pstar, "quantized precision");
            fprintf(f,
                    "- Compute-optimal tied precision P* (C = (6/16) N D P, N, D, P free), "
                    "from %s%s: **%s bits**.\n",
                    dv->pstar_law, det_note(dv->pstar_det), q);
        } else {
            fprintf(f, "- P*: not available: %s.\n", dv->why_pstar);
        }
        if (dv->have_copt) {
            fprintf(f,
                    "- Compute-optimal N and D (C = 6 N D) at the compute of the largest run, C "
                    "= %.4g, from chinchilla_tied%s:\n",
                    dv->copt_C, det_note(dv->copt_det));
            dq_str(q, sizeof q, &dv->copt_N, "N");
            fprintf(f, "  - N_opt = %s\n", q);
            dq_str(q, sizeof q, &dv->copt_D, "D");
            fprintf(f, "  - D_opt = %s\n", q);
        } else {
            fprintf(f, "- Compute-optimal N and D: not available: %s.\n", dv->why_copt);
        }
        if (dv->ndcrit) {
            fprintf(f,
                    "- D_crit (from ptq and chinchilla_tied%s):\n\n| N | P_post | D_crit | 95%% "
                    "CI | against the runs |\n|---|---|---|---|---|\n",
                    det_note(dv->dcrit_det));
            for (int k = 0; k < dv->ndcrit; k++) {
                const psl_dq *x = &dv->dcrit[k];
                char where[200];
                psl_dq_where(x, "D", where, sizeof where);
                fprintf(f, "| %.4g | %g%s | %.4g | ", dv->dcrit_N[k], dv->dcrit_P[k],
                        dv->dcrit_p_extrap[k] ? " (not fitted)" : "", x->v);
                if (x->nrep >= 10)
                    fprintf(f, "[%.4g, %.4g] | %s |\n", x->lo, x->hi, where);
                else
                    fprintf(f, "- | %s |\n", where);
            }
        } else {
            fprintf(f, "- D_crit: not available: %s.\n", dv->why_dcrit);
        }
    }
    if (r->ptq_all) ptq_table_md(f, r->ptq_all);
    fputs("\n## Figures\n\n", f);
    for (size_t i = 0; r->figures && i < r->figures->n; i++) {
        const char *nm = r->figures->msg[i];
        fprintf(f, "![%s](%s.png)\n\n**%s.** %s (`%s.svg`, data `%s.dat`, script `%s.gp`)\n\n", nm,
                nm, nm, psl_figure_caption(nm), nm, nm, nm);
    }
    if (r->figs_missing && r->figs_missing->n) {
        fputs("Not drawn:\n\n", f);
        for (size_t i = 0; i < r->figs_missing->n; i++)
            fprintf(f, "- %s\n", r->figs_missing->msg[i]);
    }
    if (r->notes && r->notes->n) {
        fputs("\n## Input notes (skipped or excluded inputs)\n\n", f);
        for (size_t i = 0; i < r->notes->n; i++) fprintf(f, "- %s\n", r->notes->msg[i]);
    }
    if (fclose(f)) {
        snprintf(err, len, "%s: write failed", path);
        return -1;
    }
    return 0;
}

int psl_report_predictions(const char *dir, const psl_report *r, char *err, size_t len) {
    for (int i = 0; i < r->nres; i++) {
        const psl_law_result *x = &r->res[i];
        if (x->status == PSL_LAW_REFUSED) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/pred_%s.tsv", dir, x->law->name);
        FILE *f = fopen(path, "w");
        if (!f) {
            snprintf(err, len, "%s: %s", path, strerror(errno));
            return -1;
        }
        fprintf(f,
                "# %s: %s\n# target: %s\nN\tD\tP_w\tP_a\tP_kv\tP_post\tformat\tmethod\tactual\t"
                "predicted\tlog_residual\tsource\n",
                x->law->name, x->law->formula,
                x->law->target == PSL_TARGET_DELTA ? "delta_ptq" : "loss");
        for (size_t k = 0; k < x->n; k++) {
            const psl_point *p = x->pts[k];
            fprintf(f, "%.10g\t%.10g\t%g\t%g\t%g\t%g\t%s\t%s\t%.8g\t%.8g\t%.6g\t%s\n", p->N, p->D,
                    p->P_w, p->P_a, p->P_kv, p->P_post, p->format, *p->method ? p->method : "-",
                    exp(x->logy[k]), exp(x->logpred[k]), x->logpred[k] - x->logy[k], p->source);
        }
        if (fclose(f)) {
            snprintf(err, len, "%s: write failed", path);
            return -1;
        }
    }
    return 0;
}
