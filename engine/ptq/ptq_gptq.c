/* GPTQ on one weight matrix (Frantar et al. 2022; docs/science.md section 4).
 *
 * The weight is worked on transposed (WT[col][row]) so that one input column of W, the
 * unit GPTQ rounds at a time, is contiguous and every update is a run over rows. */
#include "ptq/ptq_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK from OpenBLAS (Debian's libopenblas-dev ships no lapacke.h). The trailing
 * length is gfortran's hidden string length; OpenBLAS's own C versions ignore it. */
extern void dpotrf_(const char *uplo, const blasint *n, double *a, const blasint *lda,
                    blasint *info, size_t uplo_len);
extern void dpotri_(const char *uplo, const blasint *n, double *a, const blasint *lda,
                    blasint *info, size_t uplo_len);

void ptq_gptq_opts_default(ptq_gptq_opts *o) {
    o->damp = 0.01;
    o->block = 128;
    o->act_order = 0;
}

int ptq_hessian_add(double *H, const float *X, size_t n, size_t cols, double scale) {
    /* ssyrk in float over slabs of rows, summed into double: float products over many
     * thousands of tokens would lose digits the Cholesky needs. */
    const size_t slab = 4096;
    float *P = malloc(cols * cols * sizeof *P);
    if (!P) return -1;
    for (size_t r0 = 0; r0 < n; r0 += slab) {
        size_t k = n - r0 < slab ? n - r0 : slab;
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (blasint)cols, (blasint)k, 1.0f,
                    X + r0 * cols, (blasint)cols, 0.0f, P, (blasint)cols);
        for (size_t i = 0; i < cols; i++)
            for (size_t j = i; j < cols; j++) H[i * cols + j] += scale * (double)P[i * cols + j];
    }
    for (size_t i = 0; i < cols; i++)
        for (size_t j = 0; j < i; j++) H[i * cols + j] = H[j * cols + i];
    free(P);
    return 0;
}

/* U (row-major upper, float) with H^-1 = U^T U. Called on a row-major buffer, LAPACK's
 * lower-triangle routines produce exactly the row-major upper factors. */
static int inverse_cholesky(double *A, size_t n) {
    blasint nn = (blasint)n, info = 0;
    dpotrf_("L", &nn, A, &nn, &info, 1);
    if (info) return -1;
    dpotri_("L", &nn, A, &nn, &info, 1);
    if (info) return -1;
    /* dpotri filled the row-major upper triangle; mirror it for the next factorisation. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) A[i * n + j] = A[j * n + i];
    dpotrf_("L", &nn, A, &nn, &info, 1);
    if (info) return -1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) A[i * n + j] = 0.0;
    return 0;
}

/* Columns by decreasing H_ii, ties by index: a bottom-up merge sort, stable. */
static void act_order_perm(const double *H, size_t n, size_t *perm) {
    for (size_t i = 0; i < n; i++) perm[i] = i;
    size_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp) return;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                double da = H[perm[a] * n + perm[a]], db = H[perm[b] * n + perm[b]];
                tmp[k++] = db > da ? perm[b++] : perm[a++];
            }
            while (a < mid) tmp[k++] = perm[a++];
            while (b < hi) tmp[k++] = perm[b++];
        }
        memcpy(perm, tmp, n * sizeof *perm);
    }
    free(tmp);
}

int ptq_gptq_matrix(const qspec *q, float *w, size_t rows, size_t cols, double *H,
                    const ptq_gptq_opts *o, ptq_layer_info *info, char *err, size_t errlen) {
    ptq_grid g;
    ptq_layer_info li = {0};
    if (ptq_grid_init(&g, q, cols, err, errlen)) return -1;
    const size_t n = cols;
    size_t *perm = malloc(n * sizeof *perm);
    double *A = malloc(n * n * sizeof *A);
    float *U = malloc(n * n * sizeof *U);
    float *WT = malloc(n * rows * sizeof *WT);
    unsigned char *dead = calloc(n, 1);
    int rc = -1;
    ptq_cell *cells = NULL, *scells = NULL;
    float *E = NULL;
    double *part = NULL;
    if (!perm || !A || !U || !WT || !dead) goto oom;

    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(H[i])) {
            snprintf(err, errlen,
                     "GPTQ: Hessian (%zu x %zu) not positive definite: entry (%zu, %zu) is %g "
                     "(non-finite calibration activations)",
                     n, n, i / n, i % n, H[i]);
            goto out;
        }
    /* Scales fixed before the loop, from the original weights exactly as RTN takes them
     * (before dead columns are zeroed, as GPTQ's code does): per tensor, per row, or (with
     * act-order, where a group's columns are not visited together) per group. */
    const size_t nseg = (n + g.seg - 1) / g.seg;
    const int dynamic = !g.tensor && g.seg < n && !o->act_order;
    if (g.tensor) {
        scells = malloc(sizeof *scells);
        if (!scells) goto oom;
        scells[0] = ptq_grid_cell(&g, w, rows * cols, 1);
    } else if (!dynamic) {
        scells = malloc(rows * nseg * sizeof *scells);
        if (!scells) goto oom;
        for (size_t r = 0; r < rows; r++)
            for (size_t s = 0; s < nseg; s++) {
                size_t c0 = s * g.seg, len = n - c0 < g.seg ? n - c0 : g.seg;
                scells[r * nseg + s] = ptq_grid_cell(&g, w + r * cols + c0, len, 1);
            }
    } else {
        cells = malloc(rows * sizeof *cells);
        if (!cells) goto oom;
    }

    /* 1. Dead inputs: nothing reaches them, so their weights cannot matter and end as 0
     * (exact). H_ii = 1 decouples them (their row and column of H are 0), so rounding them
     * in the loop propagates nothing; they are zeroed at the end, which keeps every group's
     * scale what RTN would take. */
    for (size_t i = 0; i < n; i++)
        if (H[i * n + i] == 0.0) {
            H[i * n + i] = 1.0;
            dead[i] = 1;
            li.dead++;
        }
    for (size_t i = 0; i < n; i++) perm[i] = i;
    if (o->act_order) act_order_perm(H, n, perm);

    /* 2-3. Dampening and the upper Cholesky factor of H^-1 (in act-order). A Hessian that
     * is still not positive definite (rank-deficient calibration data in float) gets 10x
     * the dampening, up to 6 times. */
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) mean += H[i * n + i];
    mean /= (double)n;
    double lambda = o->damp * mean;
    if (!(lambda > 0.0)) lambda = 1e-8 * (mean > 0.0 ? mean : 1.0);
    for (;;) {
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < n; b++) A[a * n + b] = H[perm[a] * n + perm[b]];
        for (size_t a = 0; a < n; a++) A[a * n + a] += lambda;
        if (inverse_cholesky(A, n) == 0) break;
        if (++li.damp_retries > 6 || !isfinite(mean)) {
            snprintf(err, errlen,
                     "GPTQ: Hessian (%zu x %zu) not positive definite even with dampening %g "
                     "(non-finite calibration activations?)",
                     n, n, lambda);
            goto out;
        }
        lambda *= 10.0;
    }
    li.damp_used = lambda;
    for (size_t i = 0; i < n * n; i++) U[i] = (float)A[i];

    for (size_t a = 0; a < n; a++)
        for (size_t r = 0; r < rows; r++) WT[a * rows + r] = w[r * cols + perm[a]];

    /* Groups must start where a block starts: only then are all their columns up to date
     * (lazy updates of earlier blocks applied, none of this block's pending). */
    size_t B = o->block > 0 ? (size_t)o->block : 128;
    if (dynamic) B = g.seg <= B ? (B / g.seg) * g.seg : (g.seg % B == 0 ? B : g.seg);
    E = malloc(B * rows * sizeof *E);
    if (!E) goto oom;

    /* 4. Columns in blocks; in-block updates as they go, one GEMM for the rest. Within a
     * block every row is independent of the others, so chunks of rows run in parallel;
     * the chunks are fixed (not per thread) and their losses summed in order, so the
     * result does not depend on the thread count. */
    const size_t chunk = 64, nchunk = (rows + chunk - 1) / chunk;
    part = calloc(nchunk, sizeof *part);
    if (!part) goto oom;
    for (size_t i1 = 0; i1 < n; i1 += B) {
        size_t i2 = i1 + B < n ? i1 + B : n;
#pragma omp parallel for schedule(static)
        for (size_t ch = 0; ch < nchunk; ch++) {
            size_t r0 = ch * chunk, r1 = r0 + chunk < rows ? r0 + chunk : rows;
            for (size_t a = i1; a < i2; a++) {
                float *col = WT + a * rows;
                if (dynamic && a % g.seg == 0) {
                    size_t len = n - a < g.seg ? n - a : g.seg;
                    for (size_t r = r0; r < r1; r++)
                        cells[r] = ptq_grid_cell(&g, col + r, len, rows);
                }
                const float d = U[a * n + a];
                float *e = E + (a - i1) * rows;
                const size_t s = perm[a] / g.seg;
                const int is_dead = dead[perm[a]];
                double loss = 0.0;
                for (size_t r = r0; r < r1; r++) {
                    const ptq_cell *c = g.tensor  ? &scells[0]
                                        : dynamic ? &cells[r]
                                                  : &scells[r * nseg + s];
                    float qv = ptq_grid_round(&g, c, col[r]);
                    e[r] = is_dead ? 0.0f : (col[r] - qv) / d;
                    loss += 0.5 * (double)e[r] * (double)e[r];
                    col[r] = qv;
                }
                part[ch] += loss;
                for (size_t b = a + 1; b < i2; b++) {
                    const float u = U[a * n + b];
                    float *cb = WT + b * rows;
                    for (size_t r = r0; r < r1; r++) cb[r] -= e[r] * u;
                }
            }
        }
        if (i2 < n)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)(n - i2), (blasint)rows,
                        (blasint)(i2 - i1), -1.0f, U + i1 * n + i2, (blasint)n, E, (blasint)rows,
                        1.0f, WT + i2 * rows, (blasint)rows);
    }
    double loss = 0.0;
    for (size_t ch = 0; ch < nchunk; ch++) loss += part[ch];
    li.sq_err = loss;
    for (size_t a = 0; a < n; a++)
        for (size_t r = 0; r < rows; r++) w[r * cols + perm[a]] = WT[a * rows + r];
    for (size_t i = 0; i < n; i++)
        if (dead[i])
            for (size_t r = 0; r < rows; r++) w[r * cols + i] = 0.0f;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "GPTQ: out of memory for a %zu x %zu weight", rows, cols);
out:
    if (info) *info = li;
    free(perm);
    free(A);
    free(U);
    free(WT);
    free(dead);
    free(cells);
    free(scells);
    free(E);
    free(part);
    return rc;
}

int ptq_rtn_matrix(const qspec *q, const float *w, float *out, size_t rows, size_t cols, char *err,
                   size_t errlen) {
    if (qspec_fake_quant(q, w, out, rows, cols, NULL, NULL)) {
        char sub[256];
        qspec_check(q, rows, cols, sub, sizeof sub);
        snprintf(err, errlen, "RTN: %s", sub);
        return -1;
    }
    return 0;
}
