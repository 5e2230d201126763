#include "synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

double synth_gauss(uint64_t *s) {
    double u1 = ((double)(psl_rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(psl_rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

size_t synth_points(psl_data *d, const psl_law *law, const double *u, double sigma, double outlier,
                    uint64_t seed) {
    static const double Ns[] = {1e7, 2e7, 5e7, 1.2e8, 3e8, 7e8};
    static const double tpp[] = {5, 10, 20, 40, 80, 160};
    static const double bits[] = {3, 4, 5, 6, 8, 12, 16};
    static const double post[] = {3, 4, 5, 6};
    static const double G[] = {32, 64, 128, 256};
    uint64_t st = seed;
    size_t before = d->n;
    psl_model m;
    memset(&m, 0, sizeof m);
    m.law = law;
    int pass = 0;
    /* two passes: the first lays out points so per-format laws can set up their keys */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            const psl_point **pts = malloc((d->n - before + 1) * sizeof *pts);
            for (size_t i = before; i < d->n; i++) pts[i - before] = &d->pt[i];
            char why[512];
            psl_model_setup(&m, law, pts, d->n - before, why, sizeof why);
            free(pts);
        }
        size_t k = before;
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
                for (int c = 0; c < 7; c++)
                    for (int e = 0; e < 5; e++) {
                        psl_point p;
                        psl_point_clear(&p);
                        p.N = Ns[a];
                        p.D = Ns[a] * tpp[b];
                        p.lnN = log(p.N);
                        p.lnD = log(p.D);
                        double P = bits[c];
                        /* vary one knob per point family, as sweeps do */
                        switch ((a + b + c) % 4) {
                        case 0:
                            p.P_w = P;
                            break;
                        case 1:
                            p.P_a = P < 4 ? 4 : P;
                            break;
                        case 2:
                            p.P_kv = P;
                            break;
                        default:
                            p.P_w = p.P_a = p.P_kv = P < 4 ? 4 : P;
                        }
                        if (c == 6) p.P_w = p.P_a = p.P_kv = 16;
                        snprintf(p.format, sizeof p.format, "%s",
                                 psl_point_high_precision(&p) ? "bf16" : "int");
                        p.G = G[(a + 2 * b + c) % 4];
                        if (e < 4) {
                            p.P_post = post[e];
                            snprintf(p.method, sizeof p.method, "gptq");
                        }
                        p.run = d->nruns + a * 42 + b * 7 + c;
                        snprintf(p.source, sizeof p.source, "synth:%d", (int)(k - before));
                        if (!law->applies(&p)) continue;
                        if (pass == 0) {
                            p.loss = p.delta = 1;
                            psl_data_push(d, &p);
                            k++;
                            continue;
                        }
                        double lp = law->logpred(&m, u, &p, NULL);
                        double noise = sigma * synth_gauss(&st);
                        if ((k - before) % 17 == 16) noise += outlier;
                        double y = exp(lp + noise);
                        psl_point *q = &d->pt[k++];
                        if (law->target == PSL_TARGET_DELTA) {
                            q->base_loss = 3;
                            q->delta = y;
                            q->loss = 3 + y;
                        } else {
                            q->loss = y;
                        }
                    }
    }
    d->nruns += 6 * 6 * 7;
    return d->n - before;
}
