#include "evaluate.h"

#include <string.h>

int64_t eval_sequence_count(const tokfile *val, int ctx, int64_t eval_tokens) {
    int64_t avail = (int64_t)(val->n - 1) / ctx, nseq = eval_tokens / ctx;
    if (nseq < 1) nseq = 1;
    return nseq < avail ? nseq : avail;
}

double model_eval_loss(model_f32 *m, const tokfile *val, int64_t eval_tokens, int micro_batch,
                       uint16_t *in, uint16_t *tg) {
    int T = m->shape.ctx, mb = micro_batch;
    int64_t nseq = eval_sequence_count(val, T, eval_tokens);
    double sum = 0;
    for (int64_t s = 0; s < nseq; s += mb) {
        int n = (int)(nseq - s < mb ? nseq - s : mb);
        for (int b = 0; b < n; b++) {
            const uint16_t *src = val->tokens + (s + b) * T;
            memcpy(in + (size_t)b * T, src, (size_t)T * sizeof *in);
            memcpy(tg + (size_t)b * T, src + 1, (size_t)T * sizeof *tg);
        }
        sum += model_forward_f32(m, in, tg, n);
    }
    return sum / (double)(nseq * T);
}
