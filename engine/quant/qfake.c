/* qspec_fake_quant: the one entry point the model calls. It walks the matrix by rows
 * (OpenMP over rows), splits each row into the granule segments that share a scale, and
 * hands each segment to the functions of its kind's row in the table of kinds (qkind.c). Statistics
 * of a whole-tensor granule are gathered per row first and combined in row order, so results never
 * depend on the number of threads. */
#include "quant/qinternal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Above this many elements the row loop runs in parallel. */
#define PAR_MIN 32768

void qraw_add(qraw *a, const qraw *b) {
    a->amax = b->amax > a->amax ? b->amax : a->amax;
    a->lo = b->lo < a->lo ? b->lo : a->lo;
    a->hi = b->hi > a->hi ? b->hi : a->hi;
    a->sumabs += b->sumabs;
    a->sumsq += b->sumsq;
    a->n += b->n;
}

static size_t seg_len(const qspec *q, size_t cols) {
    return q->granularity == QG_GROUP && q->group < cols ? q->group : cols;
}

int qspec_fake_quant(const qspec *q, const float *x, float *y, size_t rows, size_t cols,
                     uint8_t *pass_mask, qstats *stats) {
    if (qspec_check(q, rows, cols, NULL, 0)) return -1;
    const size_t n = rows * cols;
    if (n == 0) return 0;
    const qkind_ops *k = qkind_ops_of(q->kind);
    qctx c = {.q = q};
    if (k->init) k->init(&c);
    const int par = n >= PAR_MIN;
    (void)par; /* unused when built without OpenMP */
    const int quest = k->hadamard;
    size_t clipped = 0, masked = 0;

    if (k->matrix) {
        clipped = k->matrix(&c, x, y, n, pass_mask);
        masked = clipped;
        goto done;
    }
    if (k->row) {
        /* whole rows, fixed blocks from the row start (MX) */
#pragma omp parallel for schedule(static) reduction(+ : clipped) if (par)
        for (size_t r = 0; r < rows; r++)
            clipped += k->row(&c, x + r * cols, y + r * cols, cols,
                              pass_mask ? pass_mask + r * cols : NULL);
        masked = clipped;
        goto done;
    }

    const size_t hb = qhadamard_block(cols);
    if (quest) {
        /* Rotate into y first; the quantizer then works in place on the rotated rows. */
#pragma omp parallel for schedule(static) if (par)
        for (size_t r = 0; r < rows; r++) {
            if (y != x) memcpy(y + r * cols, x + r * cols, cols * sizeof *x);
            /* the transform directly: qhadamard_rows would open a (serialised) parallel
             * region per row, which costs more than the row */
            for (size_t c0 = 0; c0 < cols; c0 += hb) qhadamard_fwht(y + r * cols + c0, hb);
        }
    }
    const float *src = quest ? y : x;

    if (k->plain && k->plain(q)) {
        /* plain rounding (bf16, fp16, :noscale): no statistics to gather */
        const qraw none = {0};
        qseg p = k->params(&c, &none);
#pragma omp parallel for schedule(static) reduction(+ : clipped, masked) if (par)
        for (size_t r = 0; r < rows; r++)
            clipped += k->segment(&c, &p, src + r * cols, y + r * cols, cols,
                                  pass_mask ? pass_mask + r * cols : NULL, &masked, r * cols);
    } else if (q->granularity == QG_TENSOR) {
        qraw *rs = malloc(rows * sizeof *rs);
        if (!rs) return -1;
#pragma omp parallel for schedule(static) if (par)
        for (size_t r = 0; r < rows; r++) rs[r] = k->stats(&c, src + r * cols, cols);
/* every rs[r] is written by the loop above; gcc cannot see it through k->stats */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
        qraw tot = rs[0];
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
        for (size_t r = 1; r < rows; r++) qraw_add(&tot, &rs[r]);
        free(rs);
        qseg p = k->params(&c, &tot);
#pragma omp parallel for schedule(static) reduction(+ : clipped, masked) if (par)
        for (size_t r = 0; r < rows; r++)
            clipped += k->segment(&c, &p, src + r * cols, y + r * cols, cols,
                                  pass_mask ? pass_mask + r * cols : NULL, &masked, r * cols);
    } else {
        const size_t g = seg_len(q, cols);
#pragma omp parallel for schedule(static) reduction(+ : clipped, masked) if (par)
        for (size_t r = 0; r < rows; r++)
            clipped += k->granules(&c, src + r * cols, y + r * cols, cols, g,
                                   pass_mask ? pass_mask + r * cols : NULL, &masked, r * cols);
    }
    if (quest && q->basis == QB_ORIGINAL) qhadamard_rows(y, rows, cols);

done:
    if (stats) {
        stats->total += n;
        stats->clipped += clipped;
        stats->masked += masked;
    }
    return 0;
}

void qmask_apply(float *dx, const uint8_t *pass, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) dx[i] = pass[i] ? dx[i] : 0.0f;
}

void qspec_backward(const qspec *q, const float *dy, float *dx, size_t rows, size_t cols,
                    const uint8_t *pass_mask, int use_mask) {
    const size_t n = rows * cols;
    if (dx != dy) memmove(dx, dy, n * sizeof *dy);
    const qkind_ops *k = qkind_ops_of(q->kind);
    const int masking = use_mask && pass_mask;
    if (k && k->backward)
        k->backward(q, dx, rows, cols, pass_mask, masking);
    else if (masking)
        qmask_apply(dx, pass_mask, n);
}
