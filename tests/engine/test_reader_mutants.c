/* The run-file and checkpoint readers over deterministically mutated files (what the
 * libFuzzer targets fuzz_runlog / fuzz_ckpt do, with any compiler, so CI with gcc
 * runs it too, under ASan/UBSan in the sanitizer build). The seeds are a run file and a
 * checkpoint the engine writes for a tiny run (QAT, so /quant; PTQ, so /ptq/rtn). Each
 * mutant is loaded by runlog_load (the engine, sweep status/run/plan/ptq), by fitlaws'
 * psl_h5_read and, for checkpoints, by checkpoint_peek/checkpoint_load, in a child
 * process: it must load or fail with a message naming the file, never crash or hang.
 *   byte mutants     flipped bytes, boundary words, zeroed runs, truncation
 *   structural ones  written through the HDF5 API: array attributes, wrong types, 2-D
 *                    and string datasets, missing and extra columns, groups that are
 *                    datasets, oversized strings
 *   checkpoints      mutated headers with the checksum made to match again, so the
 *                    field checks (not the checksum) must refuse them
 * Usage: test_reader_mutants [BYTE_MUTANTS]    (default 300)
 *        test_reader_mutants --seeds DIR       writes the seed run file and checkpoint
 *                                              (and a small checkpoint) into DIR: the
 *                                              corpora of fuzz_runlog and fuzz_ckpt
 *        test_reader_mutants --classify FILE.. runs every reader over each file as
 *                                              above; exit 1 if a fault is ours (the
 *                                              replay of the fuzzers' crash artifacts,
 *                                              tests/engine/fuzz_run.sh) */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <execinfo.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <ucontext.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "fixture.h"
#include "read.h"
#include "runlog.h"
#include "tokfile.h"
#include "train.h"

static char dir[256], run_h5[512], run_ckpt[512], mutant[512];
static int failures;

static uint64_t next(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static int spit(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int rc = fwrite(p, 1, n, f) == n ? 0 : -1;
    return fclose(f) | rc;
}

/* A failed load must say which file. */
static int names_file(const char *err) {
    return strstr(err, mutant) != NULL;
}

/* In the child: every reader over the mutant. Exit 0 clean, 3 when a message does not
 * name the file. */
static int read_everything(int is_ckpt) {
    char err[1024];
    if (is_ckpt) {
        ckpt_state st;
        if (checkpoint_peek(mutant, &st, err, sizeof err) == 0) {
            /* a header that passed the checks must describe a sane state */
            if (st.step < 0 || st.tokens < 0 || st.next_seq < 0 || !isfinite(st.wall) ||
                st.n_params == 0 || st.n_params > ((uint64_t)1 << 34))
                return 4;
            /* the size the header claims is what the load may allocate; keep it small */
            if (st.n_params < ((uint64_t)1 << 24)) {
                float *p = malloc(st.n_params * sizeof(float));
                if (!p) return 0;
                if (checkpoint_load(mutant, &st, st.n_params, p, NULL, NULL, err, sizeof err) &&
                    !names_file(err)) {
                    fprintf(stderr, "message without the file name: %s\n", err);
                    free(p);
                    return 3;
                }
                free(p);
            }
        } else if (!names_file(err)) {
            fprintf(stderr, "message without the file name: %s\n", err);
            return 3;
        }
        return 0;
    }
    runlog rl;
    if (runlog_load(&rl, mutant, err, sizeof err) == 0) {
        /* what sweep status reads of /train */
        const table *t = runlog_find_table(&rl, "/train");
        if (t && t->rows) {
            volatile double x = 0;
            for (int c = 0; c < 6; c++) x += table_get(t, c, t->rows - 1);
            (void)x;
        }
        runlog_free(&rl);
    } else if (!names_file(err)) {
        fprintf(stderr, "runlog_load: message without the file name: %s\n", err);
        return 3;
    }
    psl_data d;
    psl_notes n;
    psl_data_init(&d);
    psl_notes_init(&n);
    psl_read_opts o = {1};
    long r = psl_h5_read(mutant, &o, &d, &n, err, sizeof err);
    psl_data_free(&d);
    psl_notes_free(&n);
    if (r < 0 && !names_file(err)) {
        fprintf(stderr, "psl_h5_read: message without the file name: %s\n", err);
        return 3;
    }
    return 0;
}

/* libhdf5 1.10 itself crashes or loops on some damaged files (a garbled global heap
 * under a variable-length string, a garbled B-tree): no caller can avoid that in
 * process (sweep status/plan/run read run files in a child for that reason,
 * sweeps/runstate.c). A fault whose instruction lies inside libhdf5 is counted and
 * reported apart; any other crash or hang fails the test. */
static void *hdf5_base;
static int in_hdf5(void *pc) {
    Dl_info di;
    return pc && dladdr(pc, &di) && di.dli_fbase == hdf5_base;
}
/* The faulting instruction, or one of the dozen callers above it (a memcpy or malloc
 * that libhdf5 called with a garbled size), is inside libhdf5. */
static int fault_in_hdf5(void *uc) {
    void *pc = NULL;
#if defined(__x86_64__)
    pc = (void *)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    pc = (void *)((ucontext_t *)uc)->uc_mcontext.pc;
#endif
    if (in_hdf5(pc)) return 1;
    void *frames[16];
    int n = backtrace(frames, 16);
    for (int i = 0; i < n; i++)
        if (in_hdf5(frames[i])) return 1;
    return 0;
}
static void on_fault(int sig, siginfo_t *si, void *uc) {
    (void)si;
    int hang = sig == SIGALRM || sig == SIGPROF;
    if (fault_in_hdf5(uc)) _exit(hang ? 11 : 10);
    /* ours, or not placed: the stack, for the failure message (writes, no malloc) */
    void *frames[24];
    int n = backtrace(frames, 24);
    static const char head[] = "fault outside libhdf5; stack:\n";
    if (write(2, head, sizeof head - 1) < 0) _exit(128 + sig);
    backtrace_symbols_fd(frames, n, 2);
    _exit(128 + sig);
}
static int inside_hdf5, hangs_in_hdf5;

/* Under ASan a bad access is reported (and the process ended) by ASan before any signal:
 * this callback, given the report, places it as the signal handler does. Frame #0 of the
 * report is the access: inside libhdf5, or in an interceptor (memcpy, free: a name libc
 * has) that libhdf5 called (frame #1), it is libhdf5's (exit 10); any other, in our
 * instrumented code, is ours (exit 12). Declared weak so that a build without ASan links
 * (the symbol is then NULL); gcc's and clang's ASan runtimes both have it. */
void __asan_set_error_report_callback(void (*cb)(const char *)) __attribute__((weak));
static void *libc_handle;
static int is_interceptor(void *pc) {
    Dl_info di;
    if (!pc || !dladdr(pc, &di) || !di.dli_sname) return 0;
    const char *name = di.dli_sname;
    static const char *const prefixes[] = {"___interceptor_", "__interceptor_", "__asan_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) {
            name += strlen(prefixes[i]);
            break;
        }
    return libc_handle && dlsym(libc_handle, name) != NULL;
}
static void on_asan_report(const char *report) {
    void *pc[2] = {NULL, NULL};
    const char *p = report;
    /* the first stack of the report is the access's: its frames #0 and #1 */
    for (int want = 0; want < 2 && (p = strstr(p, want ? "\n    #1 " : "\n    #0 "));) {
        unsigned long long a = 0;
        if (sscanf(p, " #%*d %llx", &a) == 1) pc[want++] = (void *)(uintptr_t)a;
        p++;
    }
    int hdf5 = in_hdf5(pc[0]) || (is_interceptor(pc[0]) && in_hdf5(pc[1]));
    _exit(hdf5 ? 10 : 12);
}

/* Without ASan, glibc's heap checks abort (SIGABRT, "corrupted double-linked list") where
 * the heap is next touched, not where it was damaged: after libhdf5 garbled its heap, that
 * may be a free() of ours, and where depends on the heap's layout, which differs between
 * a child forked late in this loop and a fresh process. A segfault outside libhdf5 can be
 * the same damage seen later (seen: byte mutant 136 of one seed faulted outside libhdf5
 * here and inside H5HG_read in every fresh process). Such a fault is replayed on the
 * same file in a fresh process (--classify, below): when that places the fault inside
 * libhdf5 or loads the file cleanly it is counted as libhdf5's. A fault of ours in the
 * readers themselves shows in the replay too, and the ASan build (where ASan reports the
 * damaging access itself) never takes this path. */
static int replaying;

/* waitpid with a wall-clock backstop: a child that has not exited after `secs` (a
 * deadlock, where neither of its own alarms can fire) is killed, and reported as
 * SIGKILL. */
static void wait_child(pid_t pid, int *ws, int secs) {
    for (int waited_ms = 0;; waited_ms += 10) {
        pid_t r = waitpid(pid, ws, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) return;
        if (waited_ms >= secs * 1000) {
            kill(pid, SIGKILL);
            while (waitpid(pid, ws, 0) < 0 && errno == EINTR) {
            }
            return;
        }
        usleep(10000);
    }
}

static int replay_is_hdf5(const char *what) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1), dup2(null, 2);
        execl("/proc/self/exe", "test_reader_mutants", "--classify", mutant, (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    wait_child(pid, &ws, 120);
    int hdf5 = WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
    if (hdf5)
        printf("  %s: heap check abort or fault outside libhdf5 here; in a fresh process "
               "the fault is inside libhdf5 or absent (libhdf5's heap damage, not ours)\n",
               what);
    return hdf5;
}

/* Runs the readers over the file at `mutant` in a child; counts a crash, hang or
 * nameless message as a failure. */
static void check(const char *what, int is_ckpt) {
    fflush(stdout), fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigfillset(&sa.sa_mask); /* a hang alarm must not re-enter a fault's handler */
        static char altstack[1 << 16];
        stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
        sigaltstack(&ss, NULL);
        int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGALRM, SIGPROF, SIGABRT};
        for (int i = 0; i < 7; i++) sigaction(sigs[i], &sa, NULL);
        /* A hang is 2 s of CPU time (a mutant takes milliseconds), not of wall time: on a
         * loaded machine a slow child is not a hang (seen: a mutant past a 2 s alarm
         * while two test jobs and a corpus build shared the 2 cores). The wall-clock
         * alarm is the backstop for a child that blocks without using the CPU. */
        struct itimerval cpu = {.it_value = {.tv_sec = 2}};
        setitimer(ITIMER_PROF, &cpu, NULL);
        alarm(30);
        _exit(read_everything(is_ckpt));
    }
    int ws = 0;
    wait_child(pid, &ws, 60);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return;
    if (WIFEXITED(ws) && (WEXITSTATUS(ws) == 10 || WEXITSTATUS(ws) == 11)) {
        *(WEXITSTATUS(ws) == 10 ? &inside_hdf5 : &hangs_in_hdf5) += 1;
        /* PSL_KEEP_HDF5_FAULT=PATH: the first run file that crashes libhdf5 is copied
         * there (tests/engine/test_status_readers.sh shows sweep status survives it) */
        const char *keep = getenv("PSL_KEEP_HDF5_FAULT");
        if (keep && !is_ckpt && WEXITSTATUS(ws) == 10 && access(keep, F_OK) != 0) {
            size_t n;
            uint8_t *b = fixture_read_file(mutant, &n);
            if (b) spit(keep, b, n);
            free(b);
        }
        printf("  %s: %s inside libhdf5 (not ours; see above)\n", what,
               WEXITSTATUS(ws) == 10 ? "fault" : "loop");
        return;
    }
    int late =
        WIFEXITED(ws) && (WEXITSTATUS(ws) == 128 + SIGABRT || WEXITSTATUS(ws) == 128 + SIGSEGV ||
                          WEXITSTATUS(ws) == 128 + SIGBUS);
    if (late && !__asan_set_error_report_callback && !replaying && replay_is_hdf5(what)) {
        inside_hdf5++;
        return;
    }
    failures++;
    char keep[600];
    snprintf(keep, sizeof keep, "%s.fail%d", mutant, failures);
    rename(mutant, keep);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) > 128)
        fprintf(stderr, "FAIL %s: signal %d outside libhdf5 (kept as %s)\n", what,
                WEXITSTATUS(ws) - 128, keep);
    else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 12)
        fprintf(stderr, "FAIL %s: ASan report outside libhdf5 (kept as %s)\n", what, keep);
    else if (WIFSIGNALED(ws))
        fprintf(stderr, "FAIL %s: signal %d%s (kept as %s)\n", what, WTERMSIG(ws),
                WTERMSIG(ws) == SIGALRM || WTERMSIG(ws) == SIGPROF ? " (hang)"
                : WTERMSIG(ws) == SIGKILL                          ? " (no exit in 60 s, killed)"
                                                                   : "",
                keep);
    else
        fprintf(stderr, "FAIL %s: exit status %d (kept as %s)\n", what, WEXITSTATUS(ws), keep);
}

static void byte_mutants(const uint8_t *seed, size_t n, int count, int is_ckpt, uint64_t rng) {
    uint8_t *buf = malloc(n);
    for (int i = 0; i < count; i++) {
        memcpy(buf, seed, n);
        size_t len = n;
        /* checkpoints: the header is what matters (the rest is hashed data) */
        size_t span = is_ckpt ? 96 : (next(&rng) % 2 ? (n < 4096 ? n : 4096) : n);
        int edits = 1 + (int)(next(&rng) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = next(&rng) % span;
            switch (next(&rng) % 5) {
            case 0:
                buf[at] ^= (uint8_t)(1u << (next(&rng) % 8));
                break;
            case 1:
                buf[at] = (uint8_t)next(&rng);
                break;
            case 2: { /* a boundary value as a little-endian word */
                static const uint64_t words[] = {0,
                                                 0xffffffffffffffffULL,
                                                 0x7fffffffffffffffULL,
                                                 0x8000000000000000ULL,
                                                 0xffffffffULL,
                                                 0x80000000ULL,
                                                 1,
                                                 0x10000};
                uint64_t w = words[next(&rng) % 8];
                size_t k = next(&rng) % 2 ? 8 : 4;
                for (size_t b = 0; b < k && at + b < len; b++) buf[at + b] = (uint8_t)(w >> 8 * b);
                break;
            }
            case 3: /* a zeroed run */
                for (size_t b = 0; b < 16 && at + b < len; b++) buf[at + b] = 0;
                break;
            default: /* truncation (rarely: most of the file is needed to get far) */
                if (next(&rng) % 4 == 0) len = at + (n - at) * (next(&rng) % 2);
                break;
            }
        }
        if (is_ckpt && next(&rng) % 2 && len == n && n >= 8) {
            /* make the checksum match again: only the field checks stand in the way */
            uint64_t h = tok_fnv1a64_update(TOK_FNV1A64_INIT, buf, n - 8);
            memcpy(buf + n - 8, &h, 8);
        }
        spit(mutant, buf, len);
        char what[64];
        snprintf(what, sizeof what, "%s byte mutant %d", is_ckpt ? "checkpoint" : "run file", i);
        check(what, is_ckpt);
    }
    free(buf);
}

/* ---------- structural mutants through the HDF5 API ---------- */

static void copy_seed(const uint8_t *seed, size_t n) {
    spit(mutant, seed, n);
}

static void del_attr(hid_t f, const char *obj, const char *name) {
    if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0)
        H5Adelete_by_name(f, obj, name, H5P_DEFAULT);
}

/* Replaces obj's attribute name with one of the given kind. */
enum {
    K_INT_ARRAY,
    K_REAL_ARRAY,
    K_VSTR_ARRAY,
    K_FSTR_ARRAY,
    K_STR,
    K_INT,
    K_REAL,
    K_HUGE_FSTR,
    K_EMPTY_SPACE,
    K_2D_INT,
    K_COMPOUND,
    K_COUNT
};

static void put_attr(hid_t f, const char *obj, const char *name, int kind) {
    del_attr(f, obj, name);
    hsize_t dims[2] = {3, 2};
    hid_t space = kind == K_STR || kind == K_INT || kind == K_REAL || kind == K_HUGE_FSTR ||
                          kind == K_COMPOUND
                      ? H5Screate(H5S_SCALAR)
                  : kind == K_EMPTY_SPACE ? H5Screate(H5S_NULL)
                  : kind == K_2D_INT      ? H5Screate_simple(2, dims, NULL)
                                          : H5Screate_simple(1, dims, NULL);
    hid_t type = -1;
    const void *buf = NULL;
    static const int64_t ints[6] = {1, 2, 3, 4, 5, 6};
    static const double reals[6] = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
    static const char *vstr[3] = {
        "done", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "step,tokens"};
    static const char fstr[3][12] = {"done", "diverged", "step"};
    static char big[300000];
    struct {
        int64_t a;
        double b;
    } comp = {1, 2};
    switch (kind) {
    case K_INT_ARRAY:
    case K_INT:
    case K_2D_INT:
    case K_EMPTY_SPACE:
        type = H5Tcopy(H5T_NATIVE_INT64), buf = ints;
        break;
    case K_REAL_ARRAY:
    case K_REAL:
        type = H5Tcopy(H5T_NATIVE_DOUBLE), buf = reals;
        break;
    case K_VSTR_ARRAY:
    case K_STR:
        type = H5Tcopy(H5T_C_S1), H5Tset_size(type, H5T_VARIABLE), buf = vstr;
        break;
    case K_FSTR_ARRAY:
        type = H5Tcopy(H5T_C_S1), H5Tset_size(type, 12), buf = fstr;
        break;
    case K_HUGE_FSTR:
        memset(big, 'a', sizeof big - 1);
        type = H5Tcopy(H5T_C_S1), H5Tset_size(type, sizeof big), buf = big;
        break;
    default:
        type = H5Tcreate(H5T_COMPOUND, sizeof comp);
        H5Tinsert(type, "a", 0, H5T_NATIVE_INT64);
        H5Tinsert(type, "b", 8, H5T_NATIVE_DOUBLE);
        buf = &comp;
        break;
    }
    hid_t a = H5Acreate_by_name(f, obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        if (kind != K_EMPTY_SPACE) H5Awrite(a, type, buf);
        H5Aclose(a);
    }
    H5Tclose(type);
    H5Sclose(space);
}

/* Replaces dataset path with one of another shape or type. */
enum { D_2D, D_STRING, D_SHORT, D_LONG, D_SCALAR, D_GROUP, D_MISSING, D_COUNT };

static void put_dataset(hid_t f, const char *path, int kind) {
    if (H5Lexists(f, path, H5P_DEFAULT) > 0) H5Ldelete(f, path, H5P_DEFAULT);
    if (kind == D_MISSING) return;
    if (kind == D_GROUP) {
        hid_t g = H5Gcreate2(f, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g >= 0) H5Gclose(g);
        return;
    }
    hsize_t dims[2] = {kind == D_SHORT ? 1 : kind == D_LONG ? 5000 : 40, 3};
    static double vals[5000 * 3];
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) vals[i] = (double)i;
    hid_t space = kind == D_SCALAR ? H5Screate(H5S_SCALAR)
                  : kind == D_2D   ? H5Screate_simple(2, dims, NULL)
                                   : H5Screate_simple(1, dims, NULL);
    hid_t type = H5Tcopy(H5T_NATIVE_DOUBLE);
    const void *buf = vals;
    static const char *strs[40];
    if (kind == D_STRING) {
        H5Tclose(type);
        type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        for (int i = 0; i < 40; i++) strs[i] = "x";
        buf = strs;
    }
    hid_t d = H5Dcreate2(f, path, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) {
        H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(d);
    }
    H5Tclose(type);
    H5Sclose(space);
}

static void set_columns(hid_t f, const char *obj, const char *value) {
    del_attr(f, obj, "columns");
    hid_t space = H5Screate(H5S_SCALAR), type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    hid_t a =
        H5Acreate_by_name(f, obj, "columns", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, type, &value);
        H5Aclose(a);
    }
    H5Tclose(type);
    H5Sclose(space);
}

static void structural_mutants(const uint8_t *seed, size_t n) {
    /* every attribute the readers look at, as every wrong kind */
    static const char *const attrs[][2] = {
        {"/", "schema_version"},
        {"/", "run_id"},
        {"/", "name"},
        {"/", "config"},
        {"/config", "N"},
        {"/config", "D"},
        {"/config", "P_w"},
        {"/config", "format_w"},
        {"/config", "data"},
        {"/config", "ctx"},
        {"/config", "tokens"},
        {"/config", "group_size_w"},
        {"/final", "status"},
        {"/final", "val_loss"},
        {"/final", "steps"},
        {"/final", "reason"},
        {"/train", "columns"},
        {"/eval", "columns"},
        {"/quant", "columns"},
        {"/ptq/rtn", "columns"},
        {"/ptq/rtn", "method"},
        {"/ptq/rtn", "damp"},
        {"/ptq/rtn", "group_size"},
    };
    int count = 0;
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
        for (int k = 0; k < K_COUNT; k++) {
            copy_seed(seed, n);
            hid_t f = H5Fopen(mutant, H5F_ACC_RDWR, H5P_DEFAULT);
            put_attr(f, attrs[i][0], attrs[i][1], k);
            H5Fclose(f);
            char what[128];
            snprintf(what, sizeof what, "attribute %s %s as kind %d", attrs[i][0], attrs[i][1], k);
            check(what, 0);
            count++;
        }
    /* every column, as every wrong shape */
    static const char *const cols[] = {"/train/step",   "/train/loss",   "/train/wall",
                                       "/eval/step",    "/eval/loss",    "/quant/step",
                                       "/ptq/rtn/step", "/ptq/rtn/bits", "/ptq/rtn/delta"};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        for (int k = 0; k < D_COUNT; k++) {
            copy_seed(seed, n);
            hid_t f = H5Fopen(mutant, H5F_ACC_RDWR, H5P_DEFAULT);
            put_dataset(f, cols[i], k);
            H5Fclose(f);
            char what[128];
            snprintf(what, sizeof what, "dataset %s as kind %d", cols[i], k);
            check(what, 0);
            count++;
        }
    /* the columns attribute naming too few, too many, unknown or odd columns */
    static const char *const colspecs[] = {
        "",
        "step",
        "step,tokens",
        "loss,step,tokens,lr,grad_norm,wall",
        "step,tokens,loss,lr,grad_norm,wall,step,tokens,loss,lr",
        "step,,loss",
        "step,tokens,loss,lr,grad_norm,wall,",
        "nosuch",
        "step,step,step,step,step,step",
        "a_very_long_column_name_that_does_not_fit_in_the_table_at_all,tokens",
        ".,..,/,//",
        "../eval/step"};
    static const char *const colgroups[] = {"/train", "/eval", "/ptq/rtn"};
    for (size_t g = 0; g < 3; g++)
        for (size_t i = 0; i < sizeof colspecs / sizeof *colspecs; i++) {
            copy_seed(seed, n);
            hid_t f = H5Fopen(mutant, H5F_ACC_RDWR, H5P_DEFAULT);
            set_columns(f, colgroups[g], colspecs[i]);
            H5Fclose(f);
            char what[160];
            snprintf(what, sizeof what, "%s columns = \"%s\"", colgroups[g], colspecs[i]);
            check(what, 0);
            count++;
        }
    /* groups replaced by datasets, removed, or nested oddly */
    static const char *const groups[] = {"/config", "/final", "/train",  "/eval",
                                         "/quant",  "/ptq",   "/ptq/rtn"};
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
        for (int k = 0; k < 2; k++) {
            copy_seed(seed, n);
            hid_t f = H5Fopen(mutant, H5F_ACC_RDWR, H5P_DEFAULT);
            put_dataset(f, groups[i], k ? D_MISSING : D_SCALAR);
            H5Fclose(f);
            char what[128];
            snprintf(what, sizeof what, "group %s %s", groups[i], k ? "removed" : "as a dataset");
            check(what, 0);
            count++;
        }
    /* a /ptq table with a name longer than the engine's paths */
    copy_seed(seed, n);
    {
        hid_t f = H5Fopen(mutant, H5F_ACC_RDWR, H5P_DEFAULT);
        char name[400] = "/ptq/";
        memset(name + 5, 'x', 300);
        hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
        H5Lcopy(f, "/ptq/rtn", f, name, lcpl, H5P_DEFAULT);
        H5Pclose(lcpl);
        H5Fclose(f);
        check("a /ptq table with a 300-character name", 0);
        count++;
    }
    printf("%d structural run-file mutants\n", count);
}

/* Checkpoint headers with fields out of range and the checksum made to match. */
static void checkpoint_field_mutants(const uint8_t *seed, size_t n) {
    uint8_t *buf = malloc(n);
    /* offsets of the fields in the header: magic 8, version 4, header_size 4, then
     * run_id, step, tokens, next_seq, wall, rng_state, n_params (8 each) */
    static const uint64_t values[] = {0,
                                      0xffffffffffffffffULL,
                                      0x8000000000000000ULL,
                                      0x7fffffffffffffffULL,
                                      0x7ff8000000000000ULL, /* NaN */
                                      0x7ff0000000000000ULL, /* inf */
                                      1000000000ULL};
    int count = 0;
    for (int field = 0; field < 10; field++)
        for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
            memcpy(buf, seed, n);
            size_t at = field < 2 ? 8 + 4 * (size_t)field : 16 + 8 * (size_t)(field - 2);
            if (at + 8 > n) continue;
            memcpy(buf + at, &values[v], field < 2 ? 4 : 8);
            uint64_t h = tok_fnv1a64_update(TOK_FNV1A64_INIT, buf, n - 8);
            memcpy(buf + n - 8, &h, 8);
            spit(mutant, buf, n);
            char what[64];
            snprintf(what, sizeof what, "checkpoint field %d = %#llx", field,
                     (unsigned long long)values[v]);
            check(what, 1);
            count++;
        }
    free(buf);
    printf("%d checkpoint field mutants\n", count);
}

static int make_seed_run(void) {
    train_config c;
    char err[512], arg[600];
    config_defaults(&c);
    const char *knobs[] = {"d_model=32",  "n_layer=2",       "n_head=2",    "ctx=32",
                           "batch=8",     "micro_batch=4",   "tokens=5120", "eval_every=10",
                           "threads=2",   "w_quant=int4",    "ptq=rtn",     "ptq_bits=4,8",
                           "log_every=1", "eval_tokens=1024"};
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
        if (config_set_arg(&c, knobs[i], err, sizeof err)) goto fail;
    snprintf(arg, sizeof arg, "data=%s", dir);
    if (config_set_arg(&c, arg, err, sizeof err)) goto fail;
    snprintf(arg, sizeof arg, "out=%s", run_h5);
    if (config_set_arg(&c, arg, err, sizeof err)) goto fail;
    train_result r;
    if (train_run(&c, NULL, &r, err, sizeof err)) goto fail;
    return strcmp(r.status, "done") ? -1 : 0;
fail:
    fprintf(stderr, "seed run: %s\n", err);
    return -1;
}

/* --seeds DIR: the seed run file and checkpoint, and a checkpoint of 4 parameters
 * with the seed's header (a fuzzer mutates a small file much faster). */
static int write_seeds(const char *out) {
    if (mkdir(out, 0755) && errno != EEXIST) {
        fprintf(stderr, "test_reader_mutants --seeds %s: %s\n", out, strerror(errno));
        return 1;
    }
    if (fixture_make_data(dir, sizeof dir)) return 1;
    snprintf(run_h5, sizeof run_h5, "%s/seed.h5", dir);
    snprintf(run_ckpt, sizeof run_ckpt, "%s/seed.ckpt", dir);
    if (make_seed_run()) return 1;
    char path[600], err[512];
    size_t nh, nc;
    uint8_t *h5 = fixture_read_file(run_h5, &nh), *ck = fixture_read_file(run_ckpt, &nc);
    int rc = !h5 || !ck;
    snprintf(path, sizeof path, "%s/seed.h5", out);
    rc = rc || spit(path, h5, nh);
    snprintf(path, sizeof path, "%s/seed.ckpt", out);
    rc = rc || spit(path, ck, nc);
    ckpt_state st;
    if (!rc && checkpoint_peek(run_ckpt, &st, err, sizeof err) == 0) {
        static const float w[4] = {0.5f, -1.0f, 2.0f, 0.0f};
        st.n_params = 4;
        snprintf(path, sizeof path, "%s/small.ckpt", out);
        rc = checkpoint_save(path, &st, w, w, w, err, sizeof err);
    } else
        rc = 1;
    free(h5), free(ck);
    fixture_remove_tree(dir);
    if (rc) fprintf(stderr, "test_reader_mutants --seeds %s: failed\n", out);
    return rc;
}

/* --classify FILE...: each file through every reader, run-file and checkpoint ones, in
 * a child as for the mutants. A fault or loop inside libhdf5 is reported and passes;
 * one of ours fails. */
static int classify(int n, char **files) {
    replaying = 1;
    snprintf(dir, sizeof dir, "/tmp/psl-classify-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    int clean = 0;
    for (int i = 0; i < n; i++) {
        size_t len;
        uint8_t *b = fixture_read_file(files[i], &len);
        if (!b) {
            fprintf(stderr, "%s: cannot read\n", files[i]);
            failures++;
            continue;
        }
        int before = failures + inside_hdf5 + hangs_in_hdf5;
        for (int is_ckpt = 0; is_ckpt < 2; is_ckpt++) {
            snprintf(mutant, sizeof mutant, "%s/input%s", dir, is_ckpt ? ".ckpt" : ".h5");
            spit(mutant, b, len);
            check(files[i], is_ckpt);
        }
        free(b);
        if (failures + inside_hdf5 + hangs_in_hdf5 == before) {
            /* Our readers keep no state between files (no global mutable state in the
             * library), so a crash that a fresh process does not repeat came from state
             * an earlier input left elsewhere (libhdf5's caches, libFuzzer's limits). */
            printf("  %s: loads or is refused cleanly in a fresh process\n", files[i]);
            clean++;
        }
    }
    printf("%d files: %d faults and %d loops inside libhdf5, %d clean, %d ours\n", n, inside_hdf5,
           hangs_in_hdf5, clean, failures);
    if (failures) {
        fprintf(stderr,
                "%d files crash, hang or are refused without the file name in our "
                "readers; copies kept in %s\n",
                failures, dir);
        return 1;
    }
    fixture_remove_tree(dir);
    return 0;
}

int main(int argc, char **argv) {
    train_set_threads(2);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    Dl_info di;
    if (dladdr((void *)H5Fopen, &di)) hdf5_base = di.dli_fbase;
    libc_handle = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    /* backtrace() loads libgcc's unwinder (dlopen, malloc) on its first call; made in
     * the fault handler after glibc's heap check aborted, with the heap damaged and its
     * lock held, that call re-aborts or deadlocks (CI: a replay child hung until CTest's
     * timeout after "malloc assertion failure in sysmalloc"). Loaded here, before any
     * child is forked, the handler's call allocates nothing. */
    void *warm[1];
    (void)backtrace(warm, 1);
    if (__asan_set_error_report_callback) __asan_set_error_report_callback(on_asan_report);
    if (argc == 3 && !strcmp(argv[1], "--seeds")) return write_seeds(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "--classify")) return classify(argc - 2, argv + 2);
    int nbytes = argc > 1 ? atoi(argv[1]) : 300;
    if (fixture_make_data(dir, sizeof dir)) return 1;
    snprintf(run_h5, sizeof run_h5, "%s/seed.h5", dir);
    snprintf(run_ckpt, sizeof run_ckpt, "%s/seed.ckpt", dir);
    snprintf(mutant, sizeof mutant, "%s/mutant.h5", dir);
    if (make_seed_run()) return 1;
    size_t nh, nc;
    uint8_t *h5 = fixture_read_file(run_h5, &nh), *ck = fixture_read_file(run_ckpt, &nc);
    if (!h5 || !ck) return 1;
    /* the seeds themselves load */
    snprintf(mutant, sizeof mutant, "%s/mutant.h5", dir);
    copy_seed(h5, nh);
    check("the seed run file", 0);
    byte_mutants(h5, nh, nbytes, 0, 0x9e3779b97f4a7c15ULL);
    printf("%d run-file byte mutants\n", nbytes);
    structural_mutants(h5, nh);
    snprintf(mutant, sizeof mutant, "%s/mutant.ckpt", dir);
    spit(mutant, ck, nc);
    check("the seed checkpoint", 1);
    byte_mutants(ck, nc, nbytes, 1, 0x2545f4914f6cdd1dULL);
    printf("%d checkpoint byte mutants\n", nbytes);
    checkpoint_field_mutants(ck, nc);
    free(h5), free(ck);
    printf("%d faults and %d loops inside libhdf5 itself\n", inside_hdf5, hangs_in_hdf5);
    if (failures) {
        fprintf(stderr,
                "%d mutants crashed, hung or gave a message without the file name; "
                "kept in %s\n",
                failures, dir);
        return 1;
    }
    fixture_remove_tree(dir);
    printf("all mutants loaded or were refused with a message\n");
    return 0;
}
