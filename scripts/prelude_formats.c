/* prelude_formats IN OUT: copy sweeps/prelude.lua (IN) to OUT with its line
 * "local format_bits = {} -- @FORMAT_BITS@" replaced by the table of the format each
 * prelude constructor (int{}, fp{}, mx{}, nvfp{}, quest{}) picks for a bit count, taken
 * from the C format table (qformat_for_bits, engine/quant/qformat.c). Run at build time by
 * sweeps/CMakeLists.txt before the prelude is embedded; the generated table is one line,
 * so the prelude's line numbers do not move. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

#define MARKER   "@FORMAT_BITS@"
#define MAX_BITS 64

/* The constructors named in the table, each once, in table order. */
static size_t constructors(const char *out[], size_t cap) {
    size_t count, k = 0;
    const qformat_traits *t = qformat_table(&count);
    for (size_t i = 0; i < count; i++) {
        if (!t[i].prelude) continue;
        size_t j = 0;
        while (j < k && strcmp(out[j], t[i].prelude)) j++;
        if (j == k && k < cap) out[k++] = t[i].prelude;
    }
    return k;
}

static void write_table(FILE *f) {
    const char *cons[16];
    size_t nc = constructors(cons, 16);
    fputs("local format_bits = {", f);
    for (size_t c = 0; c < nc; c++) {
        fprintf(f, "%s %s = {", c ? "," : "", cons[c]);
        int first = 1;
        for (int b = 1; b <= MAX_BITS; b++) {
            char name[64];
            if (qformat_for_bits(cons[c], b, name, sizeof name)) continue;
            fprintf(f, "%s [%d] = \"%s\"", first ? "" : ",", b, name);
            first = 0;
        }
        fputs(" }", f);
    }
    fputs(" } -- generated from engine/quant/qformat.c by scripts/prelude_formats.c\n", f);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: prelude_formats prelude.lua OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        fclose(in);
        return 1;
    }
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, in)) {
        if (strstr(line, MARKER) && strncmp(line, "local format_bits", 17) == 0) {
            write_table(out);
            found++;
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    if (fclose(out) || found != 1) {
        fprintf(stderr, "prelude_formats: %s: expected one line 'local format_bits ... %s'\n",
                argv[1], MARKER);
        remove(argv[2]);
        return 1;
    }
    return 0;
}
