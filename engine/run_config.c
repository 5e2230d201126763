/* run_config_resolve (run_config.h). */
#include "run_config.h"

#include "model.h"
#include "ptq/ptq_knobs.h"
#include "qat/qat.h"
#include "run_name.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int run_ckpt_keep_has(const char *list, int64_t step, char *err, size_t errlen) {
    int has = 0;
    const char *p = list;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 1 || (*end && *end != ',') || p[0] == '+' || p[0] == ' ') {
            snprintf(err, errlen, "knob ckpt_keep: '%s' is not a list of steps >= 1 (e.g. 100,250)",
                     list);
            return -1;
        }
        if (v == step) has = 1;
        p = *end ? end + 1 : end;
        if (*end && !*p) {
            snprintf(err, errlen, "knob ckpt_keep: '%s' ends with a comma", list);
            return -1;
        }
    }
    return has;
}

int run_config_resolve(train_config *c, int64_t data_vocab, char *err, size_t errlen) {
    if (config_resolve(c, data_vocab, err, errlen)) return -1;
    if (strcmp(c->matmul, "fp32") && !strcmp(c->device, "cpu")) {
        snprintf(err, errlen,
                 "knob matmul=%s: device=cpu computes its GEMMs in fp32 only (tf32 and bf16 are "
                 "the GPU's tensor-core modes; use device=cuda or matmul=fp32)",
                 c->matmul);
        return -1;
    }
    if (c->proj_norm && strcmp(c->device, "cpu")) {
        snprintf(err, errlen,
                 "knob proj_norm=%lld: device=%s does not implement the norms before Wo and W2 "
                 "(the CPU engine does; use device=cpu or proj_norm=0)",
                 (long long)c->proj_norm, c->device);
        return -1;
    }
    if (!strcmp(c->gemm, "own") && strcmp(c->device, "cpu")) {
        snprintf(err, errlen,
                 "knob gemm=own: the engine's own GEMM is the CPU's; device=%s computes its "
                 "GEMMs with cuBLAS (matmul=): use device=cpu or gemm=openblas",
                 c->device);
        return -1;
    }
    if (strcmp(c->gemm_path, "auto") && strcmp(c->gemm, "own")) {
        snprintf(err, errlen,
                 "knob gemm_path=%s: picks the kernel path of gemm=own (OpenBLAS picks its own "
                 "core: OPENBLAS_CORETYPE); set gemm=own or gemm_path=auto",
                 c->gemm_path);
        return -1;
    }
    if (run_ckpt_keep_has(c->ckpt_keep, 0, err, errlen) < 0) return -1;
    if (c->branch_from[0] && strcmp(c->schedule, "wsd")) {
        snprintf(err, errlen,
                 "knob branch_from: a branch is the cooldown of a warmup-stable-decay run; "
                 "expected schedule=wsd, not schedule=%s",
                 c->schedule);
        return -1;
    }
    qat_plan plan;
    if (qat_plan_from_config(c, &plan, err, errlen)) return -1;
    ptq_request reqs[2];
    int nreq;
    if (ptq_requests_from_config(c, reqs, &nreq, err, errlen)) return -1;
    /* the scheme sweep run names its runs with (run_name.h) */
    model_shape s = config_model_shape(c);
    if (c->name[0] == 0) run_base_name(c, model_params_nonembedding(&s), c->name, sizeof c->name);
    if (c->out[0] == 0) {
        int n = snprintf(c->out, sizeof c->out, "results/train/%s.h5", c->name);
        if (n < 0 || (size_t)n >= sizeof c->out) {
            snprintf(err, errlen, "run name too long for the output path");
            return -1;
        }
    }
    return 0;
}
