/* QuEST forward quantizer on rotated values: RMS-based Gaussian-optimal clip, the
 * mid-rise grid with 2^b levels and no zero level, and the backward masks. */
#include "quant/qcore.h"
#include "quant/quant.h"

#include <math.h>
#include <string.h>

/* Minimisers of E[(X - Q_a(X))^2], X ~ N(0,1), Q_a the 2^b-level mid-rise grid on
 * [-a, a]; exact Gaussian integrals and bisection on the derivative (b = 1 is
 * sqrt(2/pi)). tests/quant recomputes them independently. */
static const double ALPHA[QUEST_MAX_BITS + 1] = {
    0.0,          0.7978845608, 1.4935300289, 2.0510680451, 2.5140045914,
    2.9161512492, 3.2779847958, 3.6110971928, 3.9222044060,
};

/* As printed by QuEST (arXiv 2502.05003) and its code. */
static const double ALPHA_PAPER[QUEST_MAX_BITS + 1] = {
    0.0, 0.797885, 1.493535, 2.051068, 2.513931, 2.916094, 3.276597, 3.601050, 3.884939,
};

double quest_alpha(int bits) {
    return bits >= 1 && bits <= QUEST_MAX_BITS ? ALPHA[bits] : 0.0;
}

double quest_alpha_paper(int bits) {
    return bits >= 1 && bits <= QUEST_MAX_BITS ? ALPHA_PAPER[bits] : 0.0;
}

#define QUEST_CHUNK 512

/* The element is quant/qcore.h's qquest_elem, shared with the GPU (cuda/quant.cu). */
static size_t kernel(float *restrict xh, uint8_t *restrict pass, size_t n, float s, float step,
                     float thr, int use_err) {
    size_t clipped = 0;
#pragma omp simd reduction(+ : clipped)
    for (size_t i = 0; i < n; i++) {
        uint8_t ok, cl;
        xh[i] = qquest_elem(xh[i], s, step, thr, use_err, &ok, &cl);
        pass[i] = ok;
        clipped += cl;
    }
    return clipped;
}

double quest_rms(const float *x, size_t n) {
    if (n == 0) return 0.0;
    double acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
#pragma omp simd
        for (size_t l = 0; l < 16; l++) acc[l] += (double)x[i + l] * (double)x[i + l];
    for (size_t l = 0; i < n; i++, l++) acc[l] += (double)x[i] * (double)x[i];
    for (size_t w = 8; w >= 1; w /= 2)
        for (size_t l = 0; l < w; l++) acc[l] += acc[l + w];
    return sqrt(acc[0] / (double)n);
}

size_t quest_quant_segment(const qspec *q, float *xh, size_t n, double sigma, uint8_t *pass,
                           size_t *masked) {
    if (!(sigma > 0.0)) {
        /* A zero row: every value is 0 and is kept exactly; NaN stays NaN. */
        if (pass) memset(pass, 1, n);
        return 0;
    }
    const double alpha = q->alpha;
    const double levels = (double)(1u << q->bits);
    const double sd = alpha * sigma;
    const float s = (float)sd;
    const float step = (float)(2.0 * sd / (levels - 1.0));
    double thr;
    int use_err = 0;
    qmask mask = q->mask == QM_DEFAULT ? QM_TRUST : q->mask;
    if (mask == QM_TRUST) {
        double trust = q->trust > 0.0 ? q->trust : alpha / (levels - 1.0);
        thr = trust * sigma;
        use_err = 1;
    } else if (mask == QM_CLIP) {
        thr = q->clip_factor * sd;
    } else {
        thr = sd;
    }
    const float fthr = (float)thr;
    uint8_t pbuf[QUEST_CHUNK];
    size_t clipped = 0;
    for (size_t i0 = 0; i0 < n; i0 += QUEST_CHUNK) {
        size_t len = n - i0 < QUEST_CHUNK ? n - i0 : QUEST_CHUNK;
        clipped += kernel(xh + i0, pbuf, len, s, step, fthr, use_err);
        size_t ok = 0;
        for (size_t i = 0; i < len; i++) ok += pbuf[i];
        *masked += len - ok;
        if (pass) memcpy(pass + i0, pbuf, len);
    }
    return clipped;
}
