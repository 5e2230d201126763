/* libFuzzer target for the checkpoint reader (built with clang only; tests/engine/
 * CMakeLists.txt runs it briefly, docs/run-file.md says how to run it longer). Any bytes,
 * as a checkpoint, must be loaded or refused with a message naming the file: never a
 * crash, leak, hang or a header that passed the checks with a field out of range. The
 * format is our own (no libhdf5), so every fault is ours and the fuzzer runs in process.
 *
 * Each input is read twice: as it is, and with its last 8 bytes replaced by the checksum
 * of the rest, since a fuzzer almost never guesses a matching FNV-1a 64 and the field
 * checks (not the checksum) must refuse a crafted header. The readers take a path: the
 * input goes to a memfd, read back as /proc/self/fd/N (nothing left on disk). */
#include "checkpoint.h"
#include "tokfile.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The memfd and its path: static, made once per fuzzing process. */
static int fd = -1;
static char path[64];

static void put(const uint8_t *p, size_t n) {
    if (ftruncate(fd, 0) || pwrite(fd, p, n, 0) != (ssize_t)n) abort();
}

/* The readers over the file; aborts (a crash libFuzzer keeps) where they misbehave. */
static void read_it(void) {
    char err[1024];
    ckpt_state st;
    if (checkpoint_peek(path, &st, err, sizeof err)) {
        if (!strstr(err, path)) abort(); /* a message must name the file */
        return;
    }
    if (st.step < 0 || st.tokens < 0 || st.next_seq < 0 || !isfinite(st.wall) || st.wall < 0 ||
        st.n_params == 0)
        abort(); /* the header checks let an out-of-range field through */
    /* a header that passed holds as many parameters as the file backs: load small ones */
    if (st.n_params > ((uint64_t)1 << 20)) return;
    size_t n = (size_t)st.n_params;
    float *p = malloc(n * sizeof *p), *m = malloc(n * sizeof *m), *v = malloc(n * sizeof *v);
    if (!p || !m || !v) abort();
    ckpt_state got;
    if (checkpoint_load(path, &got, st.n_params, p, m, v, err, sizeof err)) {
        if (!strstr(err, path)) abort();
    } else if (memcmp(&got, &st, sizeof st)) {
        abort(); /* peek and load disagree about the header */
    }
    free(p), free(m), free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fd < 0) {
        fd = memfd_create("fuzz_ckpt", 0);
        if (fd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    put(data, size);
    read_it();
    if (size >= 8) {
        uint8_t *b = malloc(size);
        if (!b) abort();
        memcpy(b, data, size);
        uint64_t h = tok_fnv1a64_update(TOK_FNV1A64_INIT, b, size - 8);
        memcpy(b + size - 8, &h, 8);
        put(b, size);
        read_it();
        free(b);
    }
    return 0;
}
