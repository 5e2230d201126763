/* Prints one FNV-1a hash per format of qspec_fake_quant's output and mask on fixed
 * inputs. Built twice (native with OpenMP SIMD, and baseline x86-64 without), the two
 * printouts must be identical: the vector and scalar paths agree bit for bit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

int main(void) {
    enum { R = 48, C = 384 };
    static float x[R * C], y[R * C];
    static uint8_t m[R * C];
    uint64_t s = 7;
    for (int i = 0; i < R * C; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(s >> 11) / 9007199254740992.0;
        /* wide dynamic range, with exact ties and tiny values mixed in */
        x[i] = (float)((u - 0.5) * pow(2.0, (double)(i % 41) - 20.0));
        if (i % 29 == 0) x[i] = (float)(i % 7) * 0.25f;
    }
    const char *specs[] = {"bf16",          "fp16",
                           "int8",          "int4:row",
                           "uint3:g48",     "int1:row",
                           "e4m3",          "e5m2",
                           "e3m2:row",      "e2m3",
                           "e2m1:g32",      "e2m0",
                           "e3m0",          "e4m1",
                           "e5m6",          "e9m3",
                           "e3m2:noscale",  "mxfp8_e4m3",
                           "mxfp8_e5m2",    "mxfp6_e3m2",
                           "mxfp6_e2m3",    "mxfp4",
                           "mxint8",        "nvfp4",
                           "quest1",        "quest2:clipmask",
                           "quest4",        "quest4:rotated",
                           "quest8:tensor", "int4:row:sr",
                           "e4m3:sr",       "bf16:sr",
                           "uint4:g64:sr"};
    uint64_t all = 1469598103934665603ull;
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        qspec q;
        char err[200];
        if (qspec_parse(specs[k], &q, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        qstats st = {0};
        qspec_fake_quant(&q, x, y, R, C, m, &st);
        uint64_t h = fnv(1469598103934665603ull, y, sizeof y);
        h = fnv(h, m, sizeof m);
        h = fnv(h, &st, sizeof st);
        all = fnv(all, &h, sizeof h);
        printf("%-16s %016llx\n", specs[k], (unsigned long long)h);
    }
    printf("all %016llx\n", (unsigned long long)all);
    return 0;
}
