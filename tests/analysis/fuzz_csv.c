/* libFuzzer target for the CSV parser (built only with clang):
 *   fuzz_csv -max_total_time=60 CORPUS_DIR */
#include <stddef.h>
#include <stdint.h>

#include "read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    psl_data d;
    psl_notes n;
    psl_data_init(&d);
    psl_notes_init(&n);
    psl_read_opts o = {0};
    char err[512];
    psl_csv_parse((const char *)data, size, "fuzz.csv", &o, &d, &n, err, sizeof err);
    psl_data_free(&d);
    psl_notes_free(&n);
    return 0;
}
