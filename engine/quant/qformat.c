/* The table of named formats, in the spirit of ggml's type traits: one row per format
 * with its element layout, block size and scale rule. Parametric families (intK, uintK,
 * eXmY, questB) have one row each with bits = 0; qspec_parse fills in the numbers. */
#include "quant/quant.h"

#include <string.h>

static const qformat_traits TABLE[] = {
    {"fp32", QK_NONE, 32, 8, 23, QFP_IEEE, 0, 0, "none: values pass through"},
    {"bf16", QK_FP, 16, 8, 7, QFP_IEEE, 0, 0, "none: round to nearest bfloat16"},
    {"fp16", QK_FP, 16, 5, 10, QFP_IEEE, 0, 0, "none: round to nearest IEEE half"},
    {"e5m2", QK_FP, 8, 5, 2, QFP_IEEE, 0, 1, "absmax of the granule -> 57344 (OCP E5M2)"},
    {"e4m3", QK_FP, 8, 4, 3, QFP_FN, 0, 1, "absmax of the granule -> 448 (OCP E4M3)"},
    {"e3m2", QK_FP, 6, 3, 2, QFP_FINITE, 0, 1, "absmax of the granule -> 28 (OCP FP6)"},
    {"e2m3", QK_FP, 6, 2, 3, QFP_FINITE, 0, 1, "absmax of the granule -> 7.5 (OCP FP6)"},
    {"e2m1", QK_FP, 4, 2, 1, QFP_FINITE, 0, 1, "absmax of the granule -> 6 (OCP FP4)"},
    {"eXmY", QK_FP, 0, 0, 0, QFP_FINITE, 0, 1, "absmax of the granule -> max finite"},
    {"intK", QK_INT, 0, 0, 0, QFP_IEEE, 0, 0, "absmax / (2^(K-1) - 1); K = 1: mean|x|"},
    {"uintK", QK_INT, 0, 0, 0, QFP_IEEE, 0, 0, "(max - min) / (2^K - 1), integer zero point"},
    {"mxfp8_e4m3", QK_MX, 8, 4, 3, QFP_FN, 32, 0, "E8M0 2^(floor(log2 amax) - 8)"},
    {"mxfp8_e5m2", QK_MX, 8, 5, 2, QFP_IEEE, 32, 0, "E8M0 2^(floor(log2 amax) - 15)"},
    {"mxfp6_e3m2", QK_MX, 6, 3, 2, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax) - 4)"},
    {"mxfp6_e2m3", QK_MX, 6, 2, 3, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax) - 2)"},
    {"mxfp4", QK_MX, 4, 2, 1, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax) - 2)"},
    {"mxint8", QK_MX, 8, 0, 7, QFP_FINITE, 32, 0, "E8M0 2^(floor(log2 amax)), int8 * 2^-6"},
    {"nvfp4", QK_NVFP4, 4, 2, 1, QFP_FINITE, 16, 0,
     "FP32 amax/2688 per granule x E4M3 block scale (block amax / 6)"},
    {"questB", QK_QUEST, 0, 0, 0, QFP_IEEE, 0, 0,
     "Hadamard, then alpha_B * RMS of the granule (row by default)"},
};

const qformat_traits *qformat_table(size_t *count) {
    *count = sizeof TABLE / sizeof TABLE[0];
    return TABLE;
}

const qformat_traits *qformat_find(const char *name) {
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (strcmp(TABLE[i].name, name) == 0) return &TABLE[i];
    return NULL;
}
