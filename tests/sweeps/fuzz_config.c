/* libFuzzer target for the config loader (built with clang only): any bytes, as a
 * config, must give a loaded sweep or an error message, never a crash, leak or hang. */
#include "sweepdef.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sweep_load_opts o = {.results = "/tmp/psl-fuzz",
                         .fallback_vocab = 384,
                         .mem_limit = (size_t)32 << 20,
                         .instruction_limit = 2000000,
                         .max_runs = 2000};
    sweep_def d;
    char err[1024];
    if (sweep_load_text("fuzz.lua", (const char *)data, size, &o, &d, err, sizeof err) == 0)
        sweep_free(&d);
    return 0;
}
