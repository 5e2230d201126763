/* libFuzzer target for the run-file readers (built with clang only): the engine's
 * runlog_load (sweep status/plan/run/ptq, resuming) and fitlaws' psl_h5_read. Any bytes,
 * as a run file, must be loaded or refused with a message naming the file.
 *
 * libhdf5 1.10 itself crashes, corrupts its heap or loops on some garbled files, which
 * no caller can prevent in process. So this target is not run plainly: the CTest entry
 * (tests/engine/fuzz_run.sh) runs it in libFuzzer's -fork mode with -ignore_crashes
 * and -ignore_timeouts, then replays every crash and timeout artifact through
 * test_reader_mutants --classify, which fails only on a fault in our code. Here a
 * misbehaviour of ours that is not a crash (a message without the file name) aborts,
 * so it becomes an artifact that the replay counts as ours.
 *
 * The readers take a path: the input is written to a file of this process in
 * $PSL_FUZZ_TMP (fuzz_run.sh points it into its work directory), else /tmp, removed at
 * exit. Not a memfd: libhdf5 resolves the real path of what it opens, and a memfd's
 * /proc/self/fd/N has none. */
#include "read.h"
#include "runlog.h"

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input file and its path: static, made once per fuzzing process. */
static int fd = -1;
static char path[600];

static void remove_input(void) {
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fd < 0) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* libhdf5's error stacks are noise here */
        const char *dir = getenv("PSL_FUZZ_TMP");
        snprintf(path, sizeof path, "%s/fuzz_runlog-XXXXXX", dir && *dir ? dir : "/tmp");
        fd = mkstemp(path);
        if (fd < 0) abort();
        atexit(remove_input);
    }
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
    char err[1024];
    runlog rl;
    if (runlog_load(&rl, path, err, sizeof err) == 0) {
        /* what sweep status reads of /train: the last row of every column */
        const table *t = runlog_find_table(&rl, "/train");
        if (t && t->rows) {
            volatile double x = 0;
            for (int c = 0; c < t->ncols; c++) x += table_get(t, c, t->rows - 1);
            (void)x;
        }
        runlog_free(&rl);
    } else if (!strstr(err, path)) {
        abort();
    }
    psl_data d;
    psl_notes n;
    psl_data_init(&d);
    psl_notes_init(&n);
    psl_read_opts o = {1};
    long r = psl_h5_read(path, &o, &d, &n, err, sizeof err);
    psl_data_free(&d);
    psl_notes_free(&n);
    if (r < 0 && !strstr(err, path)) abort();
    return 0;
}
