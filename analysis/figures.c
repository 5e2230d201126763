/* The paper's figures. Each figure NAME gets NAME.dat (gnuplot data blocks, addressed by
 * `index`), NAME.gp (the script; run `gnuplot NAME.gp` in the output directory to
 * redraw) and the PNG and SVG it draws. */
#include "figures.h"

#include "read.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *dir;
    char name[64];
    FILE *dat;
    int blocks; /* data blocks written so far */
    char *body;
    size_t len, cap;
    int w, h;
    char warn[512]; /* drawn on the figure: laws it comes from that are not determined */
} fig;

/* Okabe & Ito's colour-blind-safe colours (their yellow left out: too light on white),
 * then Tol's wine and a grey: series of one figure, in order. Ordered values (bit widths,
 * sizes) take them in order; the heat map uses a viridis-like sequential palette. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#882255", "#999999"};

static int fig_open(fig *f, const char *dir, const char *name, int w, int h) {
    memset(f, 0, sizeof *f);
    f->dir = dir;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->w = w;
    f->h = h;
    char p[4096];
    snprintf(p, sizeof p, "%s/%s.dat", dir, name);
    f->dat = fopen(p, "w");
    return f->dat ? 0 : -1;
}

static void gp(fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gp(fig *f, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    if (f->len + (size_t)n + 1 > f->cap) {
        size_t cap = (f->cap + (size_t)n + 1) * 2;
        char *b = realloc(f->body, cap);
        if (!b) return;
        f->body = b;
        f->cap = cap;
    }
    memcpy(f->body + f->len, buf, (size_t)n + 1);
    f->len += (size_t)n;
}

/* Starts a new data block (gnuplot index) with a comment line; returns its index. */
static int block(fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int block(fig *f, const char *fmt, ...) {
    if (f->blocks) fputs("\n\n", f->dat);
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", f->dat);
    vfprintf(f->dat, fmt, ap);
    fputc('\n', f->dat);
    va_end(ap);
    return f->blocks++;
}

static int run_gnuplot(const char *dir, const char *script) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (chdir(dir)) _exit(126);
        FILE *devnull = freopen("/dev/null", "w", stdout);
        (void)devnull;
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int exists(const char *dir, const char *name, const char *ext) {
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s.%s", dir, name, ext);
    return !stat(p, &st) && st.st_size > 0;
}

/* Writes the script (the body once per terminal) and draws. */
static int fig_draw(fig *f, const char *title, psl_notes *done, psl_notes *missing) {
    fclose(f->dat);
    f->dat = NULL;
    char p[4096];
    snprintf(p, sizeof p, "%s/%s.gp", f->dir, f->name);
    FILE *g = fopen(p, "w");
    if (!g) {
        psl_note(missing, "%s: cannot write %s: %s", f->name, p, strerror(errno));
        free(f->body);
        return -1;
    }
    fprintf(g,
            "# fitlaws: %s\n# Data in %s.dat (blocks addressed by 'index'). Redraw: gnuplot "
            "%s.gp\nset encoding utf8\nset key font ',9'\n",
            title, f->name, f->name);
    /* gnuplot's default colours (contours, unstyled series) from the palette too */
    for (int k = 0; k < 8; k++) fprintf(g, "set linetype %d lc rgb '%s' lw 1\n", k + 1, palette[k]);
    const char *term[2] = {"pngcairo enhanced font 'Sans,10'", "svg enhanced dynamic"};
    const char *ext[2] = {"png", "svg"};
    for (int t = 0; t < 2; t++) {
        fprintf(g, "\nset terminal %s size %d,%d\nset output '%s.%s'\n", term[t], f->w, f->h,
                f->name, ext[t]);
        if (*f->warn) /* a global label: every panel of a multiplot draws it at the same place */
            fprintf(
                g,
                "set label 999 \"%s\" at screen 0.5, screen 0 offset 0, 0.8 center front tc rgb "
                "'#c00000' font ',9' noenhanced\nset bmargin 4\n",
                f->warn);
        fputs(f->body ? f->body : "", g);
        fputs("unset multiplot\nset output\n", g);
    }
    fclose(g);
    free(f->body);
    snprintf(p, sizeof p, "%s.gp", f->name);
    int rc = run_gnuplot(f->dir, p);
    if (rc || !exists(f->dir, f->name, "png") || !exists(f->dir, f->name, "svg")) {
        psl_note(missing, "%s (%s): gnuplot failed (exit %d); the data and script are in %s/%s.*",
                 f->name, title, rc, f->dir, f->name);
        return -1;
    }
    psl_note(done, "%s", f->name);
    return 0;
}

/* A law name for enhanced-text titles: underscores would become subscripts. */
typedef struct {
    char s[96];
} escaped;

static escaped esc(const char *s) {
    escaped e;
    char *b = e.s;
    size_t j = 0;
    for (; *s && j + 3 < sizeof e.s; s++) {
        if (*s == '_') b[j++] = '\\';
        b[j++] = *s;
    }
    b[j] = 0;
    return e;
}

/* Notes on f, and in its data file, that the curves of law r are drawn from constants the
 * bootstrap does not determine (psl_law_determined), or whose uncertainty was not
 * estimated; nothing for a determined law. */
static void fig_law(fig *f, const psl_law_result *r) {
    if (!r) return;
    int v = psl_law_determined(r, NULL);
    if (v == 1) return;
    size_t k = strlen(f->warn);
    /* drawn noenhanced: law names keep their underscores */
    snprintf(f->warn + k, sizeof f->warn - k, "%s%s: %s", k ? "; " : "", r->law->name,
             v < 0 ? "uncertainty not estimated (no bootstrap)"
                   : "constants NOT DETERMINED by these runs, curves not a finding");
    fprintf(f->dat, "# WARNING: %s: %s\n", r->law->name,
            v < 0 ? "uncertainty not estimated (no bootstrap)"
                  : "constants not determined by the bootstrap; the curves are one of many fits");
}

static void log_tics(fig *f, const char *axis, double lo, double hi);

/* ---- helpers over points ---- */

static int uniq(double *v, int n) {
    /* sorts and removes duplicates (relative 1e-9) */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!k || fabs(v[i] - v[k - 1]) > 1e-9 * fabs(v[i])) v[k++] = v[i];
    return k;
}

/* Distinct values a figure lays out (N, D, precisions) at most; each list is a local of
 * 32 KB, zeroed as the static arrays they replace were, so a read past the count sees
 * 0 as before. */
#define MAXV 4096

static int values(const psl_data *d, int (*keep)(const psl_point *),
                  double (*get)(const psl_point *), double *out) {
    int n = 0;
    for (size_t i = 0; i < d->n && n < MAXV; i++)
        if (keep(&d->pt[i])) out[n++] = get(&d->pt[i]);
    return uniq(out, n);
}

static double get_N(const psl_point *p) {
    return p->N;
}
static double get_D(const psl_point *p) {
    return p->D;
}
static double get_Pw(const psl_point *p) {
    return p->P_w;
}
static double get_Ppost(const psl_point *p) {
    return p->P_post;
}
static double tpp(const psl_point *p) {
    /* tokens per parameter, rounded to 2 significant digits so runs of one sweep align */
    double r = p->D / p->N, e = pow(10, floor(log10(r)) - 1);
    return round(r / e) * e;
}
static int k_hp_ptq(const psl_point *p) {
    return psl_point_high_precision(p) && isfinite(p->delta);
}
static int k_hp_any(const psl_point *p) {
    return psl_point_high_precision(p);
}
static int k_wsweep(const psl_point *p) {
    return p->P_post <= 0 && p->P_a >= 16 && p->P_kv >= 16;
}
static int k_wptq(const psl_point *p) {
    return p->P_post > 0 && p->P_a >= 16 && p->P_kv >= 16 && isfinite(p->delta);
}

/* Weights-only runs are sliced by D when some D is shared by runs of 2 or more sizes (a
 * sweep over a grid of token budgets, as the paper's), else by tokens per parameter (a
 * sweep that scales D with N). */
static int slice_by_tpp(const psl_data *d) {
    double Ds[MAXV] = {0};
    int nD = values(d, k_wsweep, get_D, Ds);
    for (int k = 0; k < nD; k++) {
        double lo = INFINITY, hi = 0;
        for (size_t i = 0; i < d->n; i++)
            if (k_wsweep(&d->pt[i]) && d->pt[i].D == Ds[k])
                lo = fmin(lo, d->pt[i].N), hi = fmax(hi, d->pt[i].N);
        if (hi > lo) return 0;
    }
    return 1;
}

static double slice_key(const psl_point *p, int by_tpp) {
    return by_tpp ? tpp(p) : p->D;
}

/* The fitted weights-only N_eff law, with offset when fitted. */
static const psl_law_result *weights_law(const psl_law_result *res, int nres) {
    const psl_law_result *fit = psl_result_find(res, nres, "neff_w_off");
    return fit ? fit : psl_result_find(res, nres, "neff_w");
}

/* Fig. 1 left / Fig. 2: loss after PTQ and delta vs tokens per parameter, panel per N. */
static void fig1(const char *dir, const psl_data *d, const psl_law_result *res, int nres,
                 psl_notes *done, psl_notes *missing) {
    double Ns[MAXV] = {0}, Pp[MAXV] = {0}, T[MAXV] = {0};
    int nN = values(d, k_hp_ptq, get_N, Ns);
    int nP = values(d, k_hp_ptq, get_Ppost, Pp);
    int nT = values(d, k_hp_ptq, tpp, T);
    if (nN < 1 || nT < 2) {
        psl_note(missing,
                 "fig1_ptq (Fig. 1 left / Fig. 2): needs post-training-quantized "
                 "high-precision runs at 2 or more tokens-per-parameter values for some "
                 "N (have %d N, %d D/N)",
                 nN, nT);
        return;
    }
    if (nN > 6) nN = 6;
    if (nP > 8) nP = 8;
    const psl_law_result *pt = psl_result_find(res, nres, "ptq");
    fig f;
    const int W = 320 * nN + 230;
    if (fig_open(&f, dir, "fig1_ptq", W, 640)) return;
    fig_law(&f, pt);
    /* the panels on the left, one key for all of them on the right (a key inside a panel
     * covered points) */
    gp(&f,
       "set multiplot layout 2,%d margins %.4f,%.4f,0.1,0.88 spacing %.4f,0.14 title 'Loss "
       "after PTQ (top) and {/Symbol d}_{PTQ} (bottom) vs tokens per parameter%s'\nset "
       "logscale x\nset xlabel 'training tokens / parameter (log scale)'\nset xrange [%g:%g]\n",
       nN, 70.0 / W, (W - 160.0) / W, 75.0 / W,
       pt ? "; bottom: points measured, lines the ptq law" : "", T[0] / 1.25, T[nT - 1] * 1.25);
    log_tics(&f, "x", T[0] / 1.25, T[nT - 1] * 1.25);
    int idx[6][9], fitidx[6][8];
    for (int a = 0; a < nN; a++) {
        for (int b = 0; b <= nP; b++) {
            double pp = b < nP ? Pp[b] : 0; /* b == nP: no PTQ */
            idx[a][b] = block(&f, "N = %g, P_post = %g (0 = no PTQ): D/N D loss delta", Ns[a], pp);
            /* in order of D, so that the lines join neighbours */
            double Ds[MAXV] = {0};
            int nd = 0;
            for (size_t i = 0; i < d->n && nd < MAXV; i++) {
                const psl_point *p = &d->pt[i];
                if (psl_point_high_precision(p) && p->N == Ns[a] && p->P_post == pp)
                    Ds[nd++] = p->D;
            }
            nd = uniq(Ds, nd);
            for (int k = 0; k < nd; k++)
                for (size_t i = 0; i < d->n; i++) {
                    const psl_point *p = &d->pt[i];
                    if (!psl_point_high_precision(p) || p->N != Ns[a] || p->P_post != pp ||
                        p->D != Ds[k])
                        continue;
                    fprintf(f.dat, "%g %g %g %g\n", p->D / p->N, p->D, p->loss,
                            pp > 0 ? p->delta : 0.0);
                }
        }
        for (int b = 0; b < nP && pt; b++) {
            fitidx[a][b] =
                block(&f, "fitted ptq law, N = %g, P_post = %g: D/N delta", Ns[a], Pp[b]);
            for (int k = 0; k <= 40; k++) {
                double r = T[0] * pow(T[nT - 1] / T[0], k / 40.0);
                psl_point q;
                psl_point_clear(&q);
                q.N = Ns[a];
                q.D = r * Ns[a];
                q.lnN = log(q.N);
                q.lnD = log(q.D);
                q.P_post = Pp[b];
                fprintf(f.dat, "%g %g\n", r, exp(pt->law->logpred(&pt->m, pt->fit.u, &q, NULL)));
            }
        }
    }
    for (int a = 0; a < nN; a++) {
        gp(&f,
           "set title 'N = %.3g'\nunset logscale y\nset ylabel 'validation loss (nats/token)'\n",
           Ns[a]);
        if (a == 0)
            gp(&f, "set key at screen %.4f, screen 0.86 left top Left reverse title 'P_{post}'\n",
               (W - 150.0) / W);
        else
            gp(&f, "unset key\n");
        gp(&f, "plot ");
        /* no PTQ first, wide and grey, so the PTQ lines it mostly hides stay on top; each
         * bit width its own marker and dash, as the losses often coincide */
        gp(&f,
           "'fig1_ptq.dat' index %d using 1:3 with linespoints lw 4 pt 5 ps 1.3 lc rgb '#999999' "
           "title 'no PTQ'",
           idx[a][nP]);
        for (int b = 0; b < nP; b++)
            gp(&f,
               ", 'fig1_ptq.dat' index %d using 1:3 with linespoints lw 1.2 pt %d dt %d lc rgb "
               "'%s' title 'INT%g'",
               idx[a][b], 4 + 2 * (b % 6), 1 + b % 5, palette[b % 8], Pp[b]);
        gp(&f, "\n");
    }
    for (int a = 0; a < nN; a++) {
        int nonpos = 0; /* not drawable on the log axis: counted in the title */
        for (size_t i = 0; i < d->n; i++) {
            const psl_point *p = &d->pt[i];
            if (k_hp_ptq(p) && p->N == Ns[a] && !(p->delta > 0))
                for (int b = 0; b < nP; b++) nonpos += p->P_post == Pp[b];
        }
        char np[64] = "";
        if (nonpos) snprintf(np, sizeof np, " (%d with {/Symbol d} <= 0 not drawn)", nonpos);
        gp(&f,
           "set title 'N = %.3g%s'\nset logscale y\nset format y '10^{%%L}'\nunset key\n"
           "set ylabel '{/Symbol d}_{PTQ} (nats)'\nplot ",
           Ns[a], np);
        for (int b = 0; b < nP; b++) {
            gp(&f,
               "%s'fig1_ptq.dat' index %d using 1:($4 > 0 ? $4 : 1/0) with points lc rgb '%s' "
               "pt %d notitle",
               b ? ", " : "", idx[a][b], palette[b % 8], 5 + 2 * (b % 6));
            if (pt)
                gp(&f, ", 'fig1_ptq.dat' index %d using 1:2 with lines lc rgb '%s' notitle",
                   fitidx[a][b], palette[b % 8]);
        }
        gp(&f, "\n");
    }
    fig_draw(&f, "Fig. 1 left / Fig. 2 analogue", done, missing);
}

/* Fig. 3 left: N_eff / N vs bits per part and tied. */
static void fig3(const char *dir, const psl_law_result *res, int nres, psl_notes *done,
                 psl_notes *missing) {
    const char *joint[] = {"neff_joint_off", "neff_joint"};
    const char *marg[3][2] = {
        {"neff_w_off", "neff_w"}, {"neff_a_off", "neff_a"}, {"neff_kv_off", "neff_kv"}};
    const psl_law_result *src[3] = {0};
    unsigned mask[3] = {1, 2, 4};
    const psl_law_result *j = NULL;
    for (int k = 0; k < 2 && !j; k++) j = psl_result_find(res, nres, joint[k]);
    for (int x = 0; x < 3; x++) {
        src[x] = j;
        for (int k = 0; k < 2 && !src[x]; k++) src[x] = psl_result_find(res, nres, marg[x][k]);
    }
    if (!src[0] && !src[1] && !src[2]) {
        psl_note(missing, "fig3_neff (Fig. 3 left): needs a fitted N_eff law (runs that vary "
                          "P_w, P_a or P_kv below 16 bits)");
        return;
    }
    fig f;
    if (fig_open(&f, dir, "fig3_neff", 640, 480)) return;
    for (int x = 0; x < 3; x++)
        if (src[x] && src[x] != j && (x == 0 || src[x] != src[x - 1])) fig_law(&f, src[x]);
    fig_law(&f, j);
    const char *nm[3] = {"weights", "activations", "KV cache"};
    int idx[4];
    for (int x = 0; x < 3; x++) {
        if (!src[x]) continue;
        idx[x] = block(&f, "%s from %s: bits N_eff/N", nm[x], src[x]->law->name);
        unsigned own = src[x] == j ? mask[x] : 7;
        for (double P = 1; P <= 16.0001; P += 0.1)
            fprintf(f.dat, "%.2f %.6g\n", P, exp(psl_neff_log_ratio(src[x], P, own)));
    }
    if (j) {
        idx[3] = block(&f, "tied P_w = P_a = P_kv from %s: bits N_eff/N", j->law->name);
        for (double P = 1; P <= 16.0001; P += 0.1)
            fprintf(f.dat, "%.2f %.6g\n", P, exp(psl_neff_log_ratio(j, P, 7)));
    }
    gp(&f, "set title 'Effective parameters: N_{eff}/N vs training precision'\nset xlabel "
           "'training precision P (bits)'\nset ylabel 'N_{eff} / N (fraction of parameters)'\n"
           "set yrange [0:1.05]\nset key bottom right\nplot ");
    int first = 1;
    for (int x = 0; x < 3; x++) {
        if (!src[x]) continue;
        gp(&f, "%s'fig3_neff.dat' index %d using 1:2 with lines lw 2 lc rgb '%s' title '%s (%s)'",
           first ? "" : ", ", idx[x], palette[x], nm[x], esc(src[x]->law->name).s);
        first = 0;
    }
    if (j)
        gp(&f,
           ", 'fig3_neff.dat' index %d using 1:2 with lines lw 2 dt 2 lc rgb '#000000' title "
           "'all tied'",
           idx[3]);
    gp(&f, "\n");
    fig_draw(&f, "Fig. 3 left analogue", done, missing);
}

/* Fig. 3 centre/right: iso-loss contours over (N, P_w), predicted by the fitted
 * weights-only N_eff law, with the measured runs on top (their losses written beside
 * them), in the slice (one D, or one D/N: slice_by_tpp) holding the most weights-only
 * runs of 2 or more sizes. */
static void fig3_isoloss(const char *dir, const psl_data *d, const psl_law_result *res, int nres,
                         psl_notes *done, psl_notes *missing) {
    const psl_law_result *fit = weights_law(res, nres);
    if (!fit) {
        psl_note(missing, "fig3_isoloss (Fig. 3 centre/right): needs a fitted neff_w or "
                          "neff_w_off (weights-only runs at 2 or more P_w, one below 16 bits)");
        return;
    }
    double K[MAXV] = {0};
    const int by_tpp = slice_by_tpp(d);
    int nK = values(d, k_wsweep, by_tpp ? tpp : get_D, K);
    double best_key = 0, Nlo = INFINITY, Nhi = 0, Llo = INFINITY, Lhi = -INFINITY, Pmax = 0;
    int best = 0;
    for (int k = 0; k < nK; k++) {
        double lo = INFINITY, hi = 0;
        int c = 0;
        for (size_t i = 0; i < d->n; i++) {
            const psl_point *p = &d->pt[i];
            if (!k_wsweep(p) || slice_key(p, by_tpp) != K[k]) continue;
            c++;
            lo = fmin(lo, p->N), hi = fmax(hi, p->N);
        }
        if (hi > lo && c > best) best = c, best_key = K[k];
    }
    if (best < 2) {
        psl_note(missing, "fig3_isoloss (Fig. 3 centre/right): needs weights-only runs of 2 or "
                          "more sizes at one D or one D/N");
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!k_wsweep(p) || slice_key(p, by_tpp) != best_key) continue;
        Nlo = fmin(Nlo, p->N), Nhi = fmax(Nhi, p->N);
        Llo = fmin(Llo, p->loss), Lhi = fmax(Lhi, p->loss);
        if (p->P_w < 16) Pmax = fmax(Pmax, p->P_w);
    }
    fig f;
    if (fig_open(&f, dir, "fig3_isoloss", 760, 520)) return;
    fig_law(&f, fit);
    /* the predicted surface on a grid, log-spaced in N, one scan line per N */
    int gi = block(&f, "predicted by %s at %s = %g: N P_w loss", fit->law->name,
                   by_tpp ? "D/N" : "D", best_key);
    const double P0 = 2, P1 = Pmax + 4 > 16 ? Pmax + 4 : 16;
    for (int a = 0; a <= 40; a++) {
        double N = Nlo / 2 * pow(4 * Nhi / Nlo, a / 40.0);
        for (double P = P0; P <= P1 + 1e-9; P += 0.25) {
            psl_point q;
            psl_point_clear(&q);
            q.N = N;
            q.D = by_tpp ? best_key * N : best_key;
            q.lnN = log(q.N);
            q.lnD = log(q.D);
            q.P_w = P;
            fprintf(f.dat, "%g %g %.6g\n", N, P,
                    exp(fit->law->logpred(&fit->m, fit->fit.u, &q, NULL)));
        }
        fputc('\n', f.dat);
    }
    /* measured: unquantized runs are drawn at the top edge of the plot (P_w >= 16) */
    int mi = block(&f, "measured weights-only runs: N P_w loss (P_w >= 16 drawn at %g)", P1);
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (k_wsweep(p) && slice_key(p, by_tpp) == best_key)
            fprintf(f.dat, "%g %g %.6g\n", p->N, p->P_w < 16 ? p->P_w : P1, p->loss);
    }
    /* levels spread over the measured losses, so the contours pass among the points */
    if (!(Lhi > Llo)) Llo -= 0.05, Lhi += 0.05;
    gp(&f, "set style textbox opaque noborder margins 1,1\nset view map\nset contour base\n"
           "set cntrparam levels discrete ");
    for (int k = 0; k < 7; k++) gp(&f, "%s%.4g", k ? "," : "", Llo + (Lhi - Llo) * k / 6.0);
    gp(&f,
       "\nset cntrlabel format '%%.3f' font ',8' start 15 interval 120\nset logscale x\n"
       "set xlabel 'N (non-embedding parameters, log scale)'\n"
       "set ylabel 'P_w (bits; top edge: "
       "unquantized)'\nset yrange [%g:%g]\nset xrange [%g:%g]\nunset key\n"
       "set title 'Iso-loss contours of validation loss (nats/token) at %s = %.3g: law %s "
       "(lines), runs (black points)'\n",
       P0, P1 + 0.5, Nlo / 2, 2 * Nhi, by_tpp ? "D/N" : "D", best_key, esc(fit->law->name).s);
    log_tics(&f, "x", Nlo / 2, 2 * Nhi);
    gp(&f,
       "splot 'fig3_isoloss.dat' index %d using 1:2:3 with lines lw 1.5 "
       "nosurface notitle, "
       "'fig3_isoloss.dat' index %d using 1:2:3 with labels tc rgb '#333333' notitle, "
       "'fig3_isoloss.dat' index %d using 1:2:3 with points pt 7 ps 1.2 lc rgb '#000000' "
       "nocontours notitle, "
       "'fig3_isoloss.dat' index %d using 1:2:3:(sprintf('%%.3f', $3)) with labels boxed offset "
       "0,1 font ',8' nocontours notitle\n",
       gi, gi, mi, mi);
    fig_draw(&f, "Fig. 3 centre/right analogue", done, missing);
}

/* Fig. 4: final loss vs P_w, one line per N, one panel per D (or D/N, slice_by_tpp). */
static void fig4(const char *dir, const psl_data *d, const psl_law_result *res, int nres,
                 psl_notes *done, psl_notes *missing) {
    double Ns[MAXV] = {0}, T[MAXV] = {0}, P[MAXV] = {0};
    int nP = values(d, k_wsweep, get_Pw, P);
    int nN = values(d, k_wsweep, get_N, Ns);
    const int by_tpp = slice_by_tpp(d);
    int nT = values(d, k_wsweep, by_tpp ? tpp : get_D, T);
    if (nP < 2 || P[0] >= 16) {
        psl_note(missing,
                 "fig4_loss_vs_pw (Fig. 4): needs runs at 2 or more P_w values, some "
                 "below 16 bits, with P_a and P_kv unquantized (have %d P_w values)",
                 nP);
        return;
    }
    if (nT > 4) { /* the 4 slices with the most runs, in order */
        int cnt[MAXV] = {0};
        for (int t = 0; t < nT; t++)
            for (size_t i = 0; i < d->n; i++)
                if (k_wsweep(&d->pt[i]) && slice_key(&d->pt[i], by_tpp) == T[t]) cnt[t]++;
        double keep[4];
        int nk = 0;
        for (int t = 0; t < nT && nk < 4; t++) {
            int rank = 0;
            for (int u = 0; u < nT; u++) rank += cnt[u] > cnt[t] || (cnt[u] == cnt[t] && u < t);
            if (rank < 4) keep[nk++] = T[t];
        }
        for (int t = 0; t < nk; t++) T[t] = keep[t];
        nT = nk;
    }
    if (nN > 8) nN = 8;
    const psl_law_result *fit = weights_law(res, nres);
    fig f;
    const int W = 360 * nT + 240;
    if (fig_open(&f, dir, "fig4_loss_vs_pw", W, 440)) return;
    fig_law(&f, fit);
    /* the panels on the left, one key for all of them on the right */
    gp(&f,
       "set multiplot layout 1,%d margins %.4f,%.4f,0.16,0.86 spacing %.4f,0.1 title 'Final "
       "loss vs training precision of the weights: runs (points)%s%s%s'\n"
       "set xlabel 'P_w (bits, log scale; %g: unquantized)'\nset ylabel 'validation loss "
       "(nats/token)'\nset logscale x 2\nset xrange [%g:%g]\nset offsets 0, 0, graph 0.05, "
       "graph 0.05\nset xtics (",
       nT, 70.0 / W, (W - 190.0) / W, 80.0 / W, fit ? ", law " : "",
       fit ? esc(fit->law->name).s : "", fit ? " (lines)" : "", P[nP - 1], P[0] / 1.12,
       P[nP - 1] * 1.12);
    for (int k = 0; k < nP; k++) gp(&f, "%s%g", k ? ", " : "", P[k]);
    gp(&f, ")\n");
    int idx[4][8], fidx[4][8], has[4][8] = {{0}};
    for (int t = 0; t < nT; t++)
        for (int a = 0; a < nN; a++) {
            for (size_t i = 0; i < d->n; i++) {
                const psl_point *p = &d->pt[i];
                if (k_wsweep(p) && p->N == Ns[a] && slice_key(p, by_tpp) == T[t]) has[t][a] = 1;
            }
            if (!has[t][a]) continue;
            idx[t][a] = block(&f, "%s = %g, N = %g: P_w loss", by_tpp ? "D/N ~" : "D", T[t], Ns[a]);
            for (size_t i = 0; i < d->n; i++) {
                const psl_point *p = &d->pt[i];
                if (k_wsweep(p) && p->N == Ns[a] && slice_key(p, by_tpp) == T[t])
                    fprintf(f.dat, "%g %g\n", p->P_w, p->loss);
            }
            if (fit) {
                fidx[t][a] = block(&f, "fitted %s, %s = %g, N = %g", fit->law->name,
                                   by_tpp ? "D/N" : "D", T[t], Ns[a]);
                /* up to the highest P_w trained (32: the unquantized points), the law
                 * taking P_w as it is, as in the fit */
                for (int s = 0; s <= 80; s++) {
                    double b = P[0] * pow(P[nP - 1] / P[0], s / 80.0);
                    psl_point q;
                    psl_point_clear(&q);
                    q.N = Ns[a];
                    q.D = by_tpp ? T[t] * Ns[a] : T[t];
                    q.lnN = log(q.N);
                    q.lnD = log(q.D);
                    q.P_w = b;
                    fprintf(f.dat, "%g %g\n", b,
                            exp(fit->law->logpred(&fit->m, fit->fit.u, &q, NULL)));
                }
            }
        }
    for (int t = 0; t < nT; t++) {
        gp(&f, "set title '%s = %.3g'\n", by_tpp ? "D/N (rounded)" : "D", T[t]);
        if (t == 0)
            gp(&f, "set key at screen %.4f, screen 0.84 left top Left reverse title 'size'\n",
               (W - 178.0) / W);
        else
            gp(&f, "unset key\n");
        gp(&f, "plot ");
        int first = 1;
        for (int a = 0; t == 0 && a < nN; a++) {
            gp(&f, "%sNaN with linespoints pt %d lc rgb '%s' title 'N = %.3g'", first ? "" : ", ",
               7 + 2 * (a % 4), palette[a % 8], Ns[a]);
            first = 0;
        }
        for (int a = 0; a < nN; a++) {
            if (!has[t][a]) continue;
            gp(&f,
               "%s'fig4_loss_vs_pw.dat' index %d using 1:2 with points pt %d lc rgb '%s' "
               "notitle",
               first ? "" : ", ", idx[t][a], 7 + 2 * (a % 4), palette[a % 8]);
            first = 0;
            if (fit)
                gp(&f, ", 'fig4_loss_vs_pw.dat' index %d using 1:2 with lines lc rgb '%s' notitle",
                   fidx[t][a], palette[a % 8]);
        }
        gp(&f, "\n");
    }
    fig_draw(&f, "Fig. 4 analogue", done, missing);
}

/* Fig. 5 / 7 left: predicted vs actual with R^2, for the best loss law and delta law. */
static void fig5(const char *dir, const psl_law_result *res, int nres, psl_notes *done,
                 psl_notes *missing) {
    const psl_law_result *best[2] = {0};
    for (int i = 0; i < nres; i++) {
        const psl_law_result *r = &res[i];
        if (r->status != PSL_LAW_FITTED) continue;
        int t = r->law->target == PSL_TARGET_DELTA;
        /* prefer the law covering the most points, then the better fit */
        if (!best[t] || r->n > best[t]->n ||
            (r->n == best[t]->n && r->q.r2_log > best[t]->q.r2_log))
            best[t] = r;
    }
    if (!best[0] && !best[1]) {
        psl_note(missing, "fig5_pred (Fig. 5 / 7 left): no law could be fitted");
        return;
    }
    int np = !!best[0] + !!best[1];
    fig f;
    if (fig_open(&f, dir, "fig5_pred", 460 * np + 40, 460)) return;
    fig_law(&f, best[0]);
    fig_law(&f, best[1]);
    gp(&f, "set multiplot layout 1,%d title 'Predicted vs actual'\n", np);
    for (int t = 0; t < 2; t++) {
        const psl_law_result *r = best[t];
        if (!r) continue;
        int b = block(&f, "%s: actual predicted", r->law->name);
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < r->n; i++) {
            double a = exp(r->logy[i]), p = exp(r->logpred[i]);
            fprintf(f.dat, "%.8g %.8g\n", a, p);
            lo = fmin(lo, fmin(a, p));
            hi = fmax(hi, fmax(a, p));
        }
        /* room around the extreme points, so none sits on the border */
        double a0 = t ? lo / 1.6 : lo - 0.05 * (hi - lo), a1 = t ? hi * 1.6 : hi + 0.05 * (hi - lo);
        if (!(a1 > a0)) a0 = t ? lo / 2 : lo - 0.05, a1 = t ? hi * 2 : hi + 0.05;
        const char *what = t ? "{/Symbol d}_{PTQ} (nats)" : "loss (nats/token)";
        gp(&f,
           "set title '%s (R^2 = %.4f, log targets)'\nset xlabel 'measured %s'\nset ylabel "
           "'predicted %s'\n%s"
           "set xrange [%g:%g]\nset yrange [%g:%g]\nset size ratio -1\nplot 'fig5_pred.dat' "
           "index %d using 1:2 with points pt 7 ps 0.6 lc rgb '%s' notitle, x with lines dt 2 lc "
           "rgb '#000000' notitle\n",
           esc(r->law->name).s, r->q.r2_log, what, what,
           t ? "set logscale xy\nset format xy '10^{%L}'\n"
             : "unset logscale\nset format xy '%g'\n",
           a0, a1, a0, a1, b, palette[t]);
    }
    fig_draw(&f, "Fig. 5 / 7 left analogue", done, missing);
}

/* Fig. 6: compute-matched loss vs precision (predicted), and P* vs D at fixed N. */
static void fig6(const char *dir, const psl_data *d, const psl_law_result *res, int nres,
                 psl_notes *done, psl_notes *missing) {
    const psl_law_result *j = psl_result_find(res, nres, "neff_joint_off");
    if (!j) j = psl_result_find(res, nres, "neff_joint");
    if (!j) {
        psl_note(missing, "fig6_compute (Fig. 6): needs a fitted joint N_eff law (runs that vary "
                          "P_w, P_a and P_kv)");
        return;
    }
    double Ns[MAXV] = {0};
    int nN = values(d, k_hp_any, get_N, Ns);
    if (nN < 1) nN = values(d, k_wsweep, get_N, Ns);
    if (nN > 4) nN = 4;
    double Nmid = Ns[nN / 2], Dmid = 20 * Nmid;
    fig f;
    if (fig_open(&f, dir, "fig6_compute", 980, 420)) return;
    fig_law(&f, j);
    gp(&f,
       "set multiplot layout 1,2 title 'Compute-optimal precision (tied P_w = P_a = P_{kv}, C = "
       "(6/16) N D P FLOPs; from %s)'\n",
       esc(j->law->name).s);
    /* left: at fixed D, N P constant: N = C 16 / (6 D P) */
    int li[3];
    double Cs[3];
    for (int c = 0; c < 3; c++) {
        Cs[c] = 6.0 / 16 * Nmid * Dmid * 16 * pow(4, c - 1);
        li[c] = block(&f, "compute-matched at D = %g, C = %g: P loss N", Dmid, Cs[c]);
        for (double P = 2; P <= 16.0001; P += 0.25) {
            /* below the bits where a factor 1 - exp(-P/gamma + n) vanishes the law says
             * nothing (the paper's diverging 3-bit activations) */
            if (psl_neff_log_ratio(j, P, 7) < log(0.02)) continue;
            double N = Cs[c] * 16 / (6 * Dmid * P);
            fprintf(f.dat, "%g %g %g\n", P, psl_neff_loss(j, N, Dmid, P), N);
        }
    }
    gp(&f,
       "set title 'Predicted loss of compute-matched models (D = %.3g)'\nset xlabel "
       "'tied training precision P (bits)'\nset ylabel 'predicted loss (nats/token)'\nplot ",
       Dmid);
    for (int c = 0; c < 3; c++)
        gp(&f,
           "%s'fig6_compute.dat' index %d using 1:2 with lines lw 2 lc rgb '%s' title 'C = "
           "%.2g FLOPs'",
           c ? ", " : "", li[c], palette[c], Cs[c]);
    gp(&f, "\n");
    int ri[4];
    for (int a = 0; a < nN; a++) {
        ri[a] = block(&f, "N = %g fixed: C P* D(P*)", Ns[a]);
        for (int k = 0; k <= 24; k++) {
            double C = 6.0 / 16 * Ns[a] * Ns[a] * 16 * pow(10, k / 8.0);
            double P = psl_pstar_fixed_n(j, Ns[a], C);
            fprintf(f.dat, "%g %g %g\n", C, P, 16 * C / (6 * Ns[a] * P));
        }
    }
    gp(&f, "set title 'Optimal precision at fixed N grows with data'\nset key top left\nset "
           "logscale x\nset format x '10^{%%T}'\nset rmargin 4\nset xlabel "
           "'D (training tokens, log scale)'\nset ylabel 'compute-optimal P* (bits)'\nplot ");
    for (int a = 0; a < nN; a++)
        gp(&f,
           "%s'fig6_compute.dat' index %d using 3:2 with lines lw 2 lc rgb '%s' title 'N = "
           "%.3g'",
           a ? ", " : "", ri[a], palette[a], Ns[a]);
    gp(&f, "\nunset logscale x\n");
    fig_draw(&f, "Fig. 6 analogue", done, missing);
}

/* Fig. 7: delta heat map over training P_w and P_post, at the (N, D) cell with most. */
static void fig7(const char *dir, const psl_data *d, psl_notes *done, psl_notes *missing) {
    double Pw[MAXV] = {0}, Pp[MAXV] = {0};
    int nW = values(d, k_wptq, get_Pw, Pw);
    int nP = values(d, k_wptq, get_Ppost, Pp);
    if (nW < 2 || nP < 2) {
        psl_note(missing,
                 "fig7_heatmap (Fig. 7): needs PTQ at 2 or more P_post of runs trained at "
                 "2 or more P_w (have %d P_w, %d P_post)",
                 nW, nP);
        return;
    }
    /* the (N, D) cell with the most (P_w, P_post) pairs */
    double bN = 0, bD = 0;
    int bc = 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!k_wptq(p)) continue;
        int c = 0;
        for (size_t k = 0; k < d->n; k++)
            c += k_wptq(&d->pt[k]) && d->pt[k].N == p->N && d->pt[k].D == p->D;
        if (c > bc) bc = c, bN = p->N, bD = p->D;
    }
    /* the columns and rows: the P_w and P_post of that cell */
    nW = nP = 0;
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!k_wptq(p) || p->N != bN || p->D != bD) continue;
        if (nW < MAXV) Pw[nW++] = p->P_w;
        if (nP < MAXV) Pp[nP++] = p->P_post;
    }
    nW = uniq(Pw, nW);
    nP = uniq(Pp, nP);
    double *mean = calloc((size_t)nW * (size_t)nP, sizeof *mean);
    int *cnt = calloc((size_t)nW * (size_t)nP, sizeof *cnt);
    if (!mean || !cnt) {
        free(mean);
        free(cnt);
        psl_note(missing, "fig7_heatmap (Fig. 7): out of memory");
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (!k_wptq(p) || p->N != bN || p->D != bD) continue;
        int a = 0, b = 0;
        while (a < nW && Pw[a] != p->P_w) a++;
        while (b < nP && Pp[b] != p->P_post) b++;
        if (a < nW && b < nP) mean[a * nP + b] += p->delta, cnt[a * nP + b]++;
    }
    /* colour on a log scale from the smallest positive mean to the largest; cells at or
     * below 0 (noise) at its bottom */
    double lo = INFINITY, hi = 0;
    for (int k = 0; k < nW * nP; k++)
        if (cnt[k]) {
            mean[k] /= cnt[k];
            if (mean[k] > 0) lo = fmin(lo, mean[k]), hi = fmax(hi, mean[k]);
        }
    if (!(hi > 0)) lo = 1e-6, hi = 1e-5;
    if (lo < hi * 1e-4) lo = hi * 1e-4; /* four decades: a 1e-10 would wash out the rest */
    if (!(hi > lo)) lo = hi / 10;
    fig f;
    if (fig_open(&f, dir, "fig7_heatmap", 300 + 90 * nW, 170 + 55 * nP)) {
        free(mean);
        free(cnt);
        return;
    }
    block(&f,
          "N = %g, D = %g: column row P_w P_post delta (mean over repeats) colour_value "
          "text_rgb",
          bN, bD);
    for (int a = 0; a < nW; a++)
        for (int b = 0; b < nP; b++) {
            if (!cnt[a * nP + b]) continue;
            double v = mean[a * nP + b], c = v > lo ? v : lo;
            double frac = log(c / lo) / log(hi / lo);
            fprintf(f.dat, "%d %d %g %g %.6g %.6g %d\n", a, b, Pw[a], Pp[b], v, c,
                    frac < 0.6 ? 0xffffff : 0x000000); /* light text on the dark end */
        }
    gp(&f,
       "set title '{/Symbol d}_{PTQ} (nats) after PTQ, at N = %.3g, D = %.3g'\n"
       "set xlabel 'training precision of the weights P_w (bits)'\n"
       "set ylabel 'PTQ bit width P_{post} (bits)'\n"
       "set cblabel '{/Symbol d}_{PTQ} (nats, log scale; below %.2g at the bottom)'\n"
       "set logscale cb\nset cbrange [%g:%g]\nset format cb '10^{%%L}'\n"
       /* viridis, a perceptually uniform sequential palette readable in grey and by
        * colour-blind readers */
       "set palette defined (0 '#440154', 1 '#482878', 2 '#3E4A89', 3 '#31688E', "
       "4 '#26828E', 5 '#1F9E89', 6 '#35B779', 7 '#6DCD59', 8 '#B4DE2C', 9 '#FDE725')\n"
       "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nunset key\nset tics out nomirror\n"
       "set xtics (",
       bN, bD, lo, lo, hi, nW - 0.5, nP - 0.5);
    for (int a = 0; a < nW; a++)
        gp(&f, "%s\"%g%s\" %d", a ? ", " : "", Pw[a], Pw[a] >= 16 ? " (unquantized)" : "", a);
    gp(&f, ")\nset ytics (");
    for (int b = 0; b < nP; b++) gp(&f, "%s\"%g\" %d", b ? ", " : "", Pp[b], b);
    gp(&f, ")\nplot 'fig7_heatmap.dat' index 0 using 1:2:(0.5):(0.5):6 with boxxyerror fs "
           "solid 1.0 noborder fc palette, '' index 0 using 1:2:(sprintf('%%.2g', $5)):7 with "
           "labels tc rgb variable font ',9'\n");
    free(mean);
    free(cnt);
    fig_draw(&f, "Fig. 7 centre/right analogue", done, missing);
}

/* Log-axis tic marks at 1, 2 and 5 times the powers of ten in [lo, hi], labelled with
 * SI suffixes (20k, 1M, 5G): gnuplot's default puts one label on an axis spanning less
 * than two decades. Writes "set <axis>tics (...)". */
static void log_tics(fig *f, const char *axis, double lo, double hi) {
    static const char *const suf[] = {"", "k", "M", "G", "T", "P"};
    gp(f, "set %stics (", axis);
    int first = 1;
    const int step = log10(hi / lo) > 2.2 ? 9 : 1; /* wide: the powers of ten only */
    for (int e = (int)floor(log10(lo)) - 1; e <= (int)ceil(log10(hi)); e++)
        for (int m = 1; m <= 5; m += step == 9 ? 9 : m == 1 ? 1 : 3) {
            double v = m * pow(10, e);
            if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
            int k = e >= 0 ? e / 3 : 0;
            if (k > 5) k = 5;
            char lab[32];
            if (e < 0)
                snprintf(lab, sizeof lab, "%g", v);
            else
                snprintf(lab, sizeof lab, "%g%s", v / pow(1000, k), suf[k]);
            gp(f, "%s\"%s\" %.10g", first ? "" : ", ", lab, v);
            first = 0;
        }
    gp(f, ")\n");
}

/* ---- training curves ---- */

#define CURVE_BINS 80

/* A run's training precision as a short label: the unquantized format ("fp32", "bf16") or
 * the quantized parts with their bits ("int W3", "A4", "quest W4A4"; the format is the
 * weights' and shown when they are quantized). */
static void prec_label(const psl_point *p, char *b, size_t n) {
    if (psl_point_high_precision(p)) {
        snprintf(b, n, "%s",
                 *p->format && psl_format_unquantized(p->format) ? p->format : "unquantized");
        return;
    }
    size_t k = 0;
    if (p->P_w < 16 && *p->format) k += (size_t)snprintf(b + k, n - k, "%s ", p->format);
    if (k < n && p->P_w < 16) k += (size_t)snprintf(b + k, n - k, "W%g", p->P_w);
    if (k < n && p->P_a < 16) k += (size_t)snprintf(b + k, n - k, "A%g", p->P_a);
    if (k < n && p->P_kv < 16) snprintf(b + k, n - k, "KV%g", p->P_kv);
}

typedef struct {
    const psl_point *p; /* the run's first point: N, D, precisions, source */
    char label[PSL_FORMAT_MAX + 32];
    int group;  /* index into the sorted labels */
    int panel;  /* index into the sizes drawn; -1: not drawn */
    int ei, ti; /* data blocks of the eval and train curves; -1: none */
} curve_run;

static int label_cmp(const curve_run *a, const curve_run *b) {
    int ha = psl_point_high_precision(a->p), hb = psl_point_high_precision(b->p);
    if (ha != hb) return hb - ha; /* unquantized first */
    const double x[4] = {a->p->P_w, a->p->P_a, a->p->P_kv},
                 y[4] = {b->p->P_w, b->p->P_a, b->p->P_kv};
    int c = strcmp(a->p->format, b->p->format);
    if (!ha && c) return c;
    for (int k = 0; k < 3; k++)
        if (x[k] != y[k]) return x[k] < y[k] ? -1 : 1;
    return strcmp(a->label, b->label);
}

/* Colour and dash type of label group g (of the sorted groups; hp: an unquantized one):
 * unquantized black, then the first six colours (Okabe-Ito's), cycling the dash type past
 * six. */
static void group_style(int g, int hp, int nhp, char *lc, size_t n, int *dt) {
    if (hp) {
        snprintf(lc, n, "#000000");
        *dt = 1 + g % 5;
    } else {
        int q = g - nhp;
        snprintf(lc, n, "%s", palette[q % 6]);
        *dt = 1 + (q / 6) % 5;
    }
}

/* Training curves: validation loss (top row) and training loss (bottom row) against the
 * tokens seen, one line per run, one panel per size, coloured by training precision;
 * from the /eval and /train tables of the HDF5 run files (CSV input has none). */
static void fig_curves(const char *dir, const psl_data *d, psl_notes *done, psl_notes *missing) {
    int nr = d->nruns;
    curve_run *cr = nr > 0 ? calloc((size_t)nr, sizeof *cr) : NULL;
    psl_curve *cv = nr > 0 ? calloc((size_t)nr, sizeof *cv) : NULL;
    int nh5 = 0, nbad = 0;
    char firsterr[512] = "";
    for (size_t i = 0; cr && cv && i < d->n; i++) {
        const psl_point *p = &d->pt[i];
        if (p->run < 0 || p->run >= nr || cr[p->run].p) continue;
        cr[p->run].p = p;
        cr[p->run].panel = cr[p->run].ei = cr[p->run].ti = -1;
        size_t L = strlen(p->source);
        if (L < 3 || strcmp(p->source + L - 3, ".h5")) continue; /* CSV, JSON Lines */
        nh5++;
        char e[512];
        if (psl_h5_read_curve(p->source, &cv[p->run], e, sizeof e)) {
            if (!nbad++) snprintf(firsterr, sizeof firsterr, "%s", e);
        }
    }
    /* the sizes of the runs with an evaluation past 0 tokens */
    double Ns[MAXV] = {0};
    int nN = 0;
    for (int r = 0; cr && cv && r < nr; r++) {
        int ok = 0;
        for (long k = 0; k < cv[r].neval; k++) ok |= cv[r].eval_tokens[k] > 0;
        if (ok && cr[r].p && nN < MAXV) Ns[nN++] = cr[r].p->N;
    }
    nN = uniq(Ns, nN);
    if (!nN) {
        if (!cr || !cv)
            psl_note(missing, "fig_curves (training curves): out of memory");
        else
            psl_note(missing,
                     "fig_curves (training curves): needs the /eval tables of HDF5 run files "
                     "(%d of %d runs read from HDF5%s%s)",
                     nh5, nr, nbad ? "; " : "", firsterr);
        goto out;
    }
    /* at most 6 panels: sizes spread over the range */
    int allN = nN;
    double shown[6];
    if (nN > 6) {
        for (int k = 0; k < 6; k++) shown[k] = Ns[(int)lround(k * (nN - 1) / 5.0)];
        nN = 6;
    } else {
        for (int k = 0; k < nN; k++) shown[k] = Ns[k];
    }
    /* label groups, sorted */
    int *order = malloc((size_t)nr * sizeof *order);
    if (!order) goto out;
    int no = 0;
    for (int r = 0; r < nr; r++) {
        if (!cr[r].p) continue;
        prec_label(cr[r].p, cr[r].label, sizeof cr[r].label);
        for (int k = 0; k < nN; k++)
            if (cr[r].p->N == shown[k]) cr[r].panel = k;
        if (cr[r].panel >= 0 && cv[r].neval > 0) order[no++] = r;
    }
    for (int i = 1; i < no; i++) /* insertion sort by label, then N, D, run */
        for (int j = i; j > 0; j--) {
            const curve_run *a = &cr[order[j - 1]], *b = &cr[order[j]];
            int c = label_cmp(a, b);
            if (!c) c = a->p->D < b->p->D ? -1 : a->p->D > b->p->D;
            if (c <= 0) break;
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int ng = 0, nhp = 0;
    char glabel[64][PSL_FORMAT_MAX + 32];
    int ghp[64];
    for (int i = 0; i < no; i++) {
        curve_run *c = &cr[order[i]];
        int g = 0;
        while (g < ng && strcmp(glabel[g], c->label)) g++;
        if (g == ng && ng < 64) {
            snprintf(glabel[ng], sizeof glabel[ng], "%s", c->label);
            ghp[ng] = psl_point_high_precision(c->p);
            nhp += ghp[ng];
            ng++;
        }
        c->group = g < 64 ? g : 63;
    }
    fig f;
    const int W = 360 * nN + 230, H = 700;
    if (fig_open(&f, dir, "fig_curves", W, H)) {
        free(order);
        goto out;
    }
    double tlo = INFINITY, thi = 0;
    for (int i = 0; i < no; i++) {
        curve_run *c = &cr[order[i]];
        const psl_curve *v = &cv[order[i]];
        c->ei = block(&f, "eval: %s (N = %g, D = %g, %s): tokens validation_loss", c->p->source,
                      c->p->N, c->p->D, c->label);
        for (long k = 0; k < v->neval; k++)
            if (v->eval_tokens[k] > 0 && isfinite(v->eval_loss[k])) {
                fprintf(f.dat, "%.10g %.8g\n", v->eval_tokens[k], v->eval_loss[k]);
                tlo = fmin(tlo, v->eval_tokens[k]), thi = fmax(thi, v->eval_tokens[k]);
            }
        if (v->ntrain <= 0) continue;
        /* the training loss of single steps is noisy: means over bins of equal width in
         * log tokens (at most CURVE_BINS per run), so early steps stay resolved */
        double t0 = INFINITY, t1 = 0;
        for (long k = 0; k < v->ntrain; k++)
            if (v->train_tokens[k] > 0 && isfinite(v->train_loss[k]))
                t0 = fmin(t0, v->train_tokens[k]), t1 = fmax(t1, v->train_tokens[k]);
        if (!(t1 > 0)) continue;
        c->ti = block(&f,
                      "train: %s (N = %g, D = %g, %s): tokens training_loss (means over %d bins "
                      "of equal width in log tokens)",
                      c->p->source, c->p->N, c->p->D, c->label, CURVE_BINS);
        const double lw = t1 > t0 ? log(t1 / t0) : 1;
        long k = 0;
        while (k < v->ntrain) {
            int bin = -1;
            double st = 0, sl = 0;
            long cnt = 0;
            for (; k < v->ntrain; k++) {
                double t = v->train_tokens[k];
                if (!(t > 0) || !isfinite(v->train_loss[k])) continue;
                int b = (int)fmin(CURVE_BINS - 1, floor(CURVE_BINS * log(t / t0) / lw));
                if (bin >= 0 && b != bin) break;
                bin = b;
                st += t, sl += v->train_loss[k], cnt++;
            }
            if (cnt) {
                fprintf(f.dat, "%.10g %.8g\n", st / cnt, sl / cnt);
                tlo = fmin(tlo, st / cnt), thi = fmax(thi, st / cnt);
            }
        }
    }
    const double L = 70.0 / W, R = (W - 230.0) / W, SX = 88.0 / W;
    gp(&f,
       "set multiplot layout 2,%d margins %.4f,%.4f,0.08,0.88 spacing %.4f,0.15 title "
       "'Training curves: validation loss (top) and training loss (bottom), one line per "
       "run%s'\n"
       "set logscale x\nset xlabel 'training tokens (log scale)'\nset xrange [%g:%g]\n",
       nN, L, R, SX, allN > nN ? "; 6 of the sizes" : "", tlo / 1.15, thi * 1.15);
    log_tics(&f, "x", tlo / 1.15, thi * 1.15);
    for (int row = 0; row < 2; row++)
        for (int a = 0; a < nN; a++) {
            gp(&f, "set title 'N = %.3g'\nset ylabel '%s (nats/token)'\n", shown[a],
               row ? "training loss" : "validation loss");
            if (a == 0 && row == 0)
                gp(&f,
                   "set key at screen %.4f, screen 0.86 left top Left reverse samplen 3 "
                   "title 'training precision' font ',9'\n",
                   R + 12.0 / W);
            else
                gp(&f, "unset key\n");
            gp(&f, "plot ");
            int first = 1;
            for (int i = 0; i < no; i++) {
                const curve_run *c = &cr[order[i]];
                int ix = row ? c->ti : c->ei;
                if (c->panel != a || ix < 0) continue;
                char lc[16];
                int dt;
                group_style(c->group, ghp[c->group], nhp, lc, sizeof lc, &dt);
                gp(&f, "%s'fig_curves.dat' index %d using 1:2 with %s lc rgb '%s' dt %d notitle",
                   first ? "" : ", ", ix, row ? "lines lw 1" : "linespoints pt 7 ps 0.45 lw 1.5",
                   lc, dt);
                first = 0;
            }
            if (a == 0 && row == 0) /* the key: one entry per precision, in the first panel */
                for (int g = 0; g < ng; g++) {
                    char lc[16];
                    int dt;
                    group_style(g, ghp[g], nhp, lc, sizeof lc, &dt);
                    gp(&f,
                       "%sNaN with linespoints pt 7 ps 0.45 lw 1.5 lc rgb '%s' dt %d title '%s'",
                       first ? "" : ", ", lc, dt, glabel[g]);
                    first = 0;
                }
            if (first) gp(&f, "NaN notitle");
            gp(&f, "\n");
        }
    fig_draw(&f, "training curves", done, missing);
    free(order);
out:
    for (int r = 0; cv && r < nr; r++) psl_curve_free(&cv[r]);
    free(cv);
    free(cr);
}

static const struct {
    const char *name, *caption;
} captions[] = {
    {"fig1_ptq",
     "Fig. 1 left / Fig. 2 analogue. Top: validation loss (nats/token) of the unquantized-"
     "trained runs against training tokens per parameter (log scale), before PTQ (wide grey) "
     "and after PTQ to each bit width (one colour, marker and dash each; they often coincide), "
     "one panel per size N (up to 6, and up to 8 bit widths). Bottom: delta_PTQ (nats, log "
     "scale) of the same runs, points measured, lines the fitted ptq law; points with "
     "delta_PTQ <= 0 cannot sit on the log axis and are counted in the panel title."},
    {"fig3_neff",
     "Fig. 3 left analogue. N_eff/N against training precision (bits) for weights, "
     "activations and KV cache (and all three tied, dashed), from the joint N_eff law when "
     "fitted, else the per-part laws; curves from the fitted constants, no points."},
    {"fig3_isoloss",
     "Fig. 3 centre/right analogue. Iso-loss contours (validation loss, nats/token, labelled) "
     "over N (non-embedding parameters, log scale) and weight precision P_w (bits), predicted "
     "by the weights-only N_eff law at the one D (or D/N) holding the most weights-only runs; "
     "the measured runs as points with their losses, unquantized runs drawn at the top edge."},
    {"fig4_loss_vs_pw",
     "Fig. 4 analogue. Final validation loss (nats/token) against the training precision of "
     "the weights P_w (bits, log scale; the highest, e.g. 32, unquantized), one colour and "
     "marker per size N, one panel per D (or D/N; the 4 with the most runs); points measured, "
     "lines the fitted weights-only N_eff law up to the highest P_w."},
    {"fig5_pred",
     "Fig. 5 / 7 left analogue. Predicted against measured, for the loss law (nats/token) and "
     "the delta_PTQ law (nats, log-log) covering the most points; the dashed line is "
     "prediction = measurement, R^2 on log targets in the panel title."},
    {"fig6_compute",
     "Fig. 6 analogue (predicted, no points). Left: loss (nats/token) of models of equal "
     "training compute C = (6/16) N D P against the tied precision P (bits), at the middle "
     "size's D. Right: the compute-optimal precision P* (bits) against D (tokens, log scale) at "
     "fixed N; from the joint N_eff law."},
    {"fig7_heatmap",
     "Fig. 7 centre/right analogue. delta_PTQ (nats; colour on a log scale, the value written "
     "in each cell; mean over repeats) by the weights' training precision P_w (bits, one "
     "column per value trained) and the PTQ bit width P_post (bits, one row per value), at "
     "the (N, D) cell with the most pairs; a blank cell was not measured. The colour scale "
     "(viridis) spans at most four decades below the largest value; smaller values, 0 and "
     "negative ones (noise) are drawn at its bottom."},
    {"fig_curves",
     "Training curves from the run files' /eval and /train tables: validation loss (top, "
     "points at each evaluation) and training loss (bottom, means over 80 bins of equal width "
     "in log tokens per run) in nats/token against training tokens (log scale), one line per "
     "run, one panel per size N (up to 6), coloured by training precision; runs of one "
     "precision at several D end at their own D."},
};

const char *psl_figure_caption(const char *name) {
    for (size_t i = 0; i < sizeof captions / sizeof *captions; i++)
        if (!strcmp(captions[i].name, name)) return captions[i].caption;
    return "";
}

int psl_figures_paper(const char *dir, const psl_data *d, const psl_law_result *res, int nres,
                      const psl_derived *dv, psl_notes *done, psl_notes *missing) {
    (void)dv;
    fig1(dir, d, res, nres, done, missing);
    fig3(dir, res, nres, done, missing);
    fig3_isoloss(dir, d, res, nres, done, missing);
    fig4(dir, d, res, nres, done, missing);
    fig5(dir, res, nres, done, missing);
    fig6(dir, d, res, nres, done, missing);
    fig7(dir, d, done, missing);
    fig_curves(dir, d, done, missing);
    return (int)done->n;
}
