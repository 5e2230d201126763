/* engine/provenance.c's pieces that a run file check cannot pin down: SHA-256 against
 * Python's hashlib at every padding boundary (55, 56, 63, 64, 65 bytes: one or two final
 * blocks), a file read in chunks, a missing file as an error, the CPU model read from
 * /proc/cpuinfo, and the attributes set on an empty root (the GPU ones "none" and 0 for
 * the CPU backend). */
#include "provenance.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* bytes (7 i + 3) mod 256, what the expected digests below were computed from */
static uint8_t *pattern(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 7 + 3);
    return p;
}

static void test_sha256_vectors(void **state) {
    (void)state;
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
    };
    char hex[65];
    provenance_sha256("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        uint8_t *p = pattern(v[i].n);
        provenance_sha256(p, v[i].n, hex);
        assert_string_equal(hex, v[i].hex);
        free(p);
    }
}

static void test_sha256_file(void **state) {
    (void)state;
    /* more than the 64 KiB the reader takes at a time, and not a multiple of it */
    size_t n = 1000003;
    uint8_t *p = pattern(n);
    char path[] = "/tmp/psl-sha256-XXXXXX", hex[65], err[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    assert_int_equal(provenance_sha256_file(path, hex, err, sizeof err), 0);
    assert_string_equal(hex, "987ab1b5b3b71c1d1053a817cffc3695c96e78c2b068d558c6b340a8255c3ed8");
    unlink(path);
    free(p);
    assert_int_equal(provenance_sha256_file(path, hex, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
}

static void test_cpu_model(void **state) {
    (void)state;
    char model[256], line[1024], want[256] = "";
    provenance_cpu_model(model, sizeof model);
    assert_true(model[0]);
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (!want[0] && fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
                const char *v = strchr(line, ':') + 1;
                v += strspn(v, " \t");
                snprintf(want, sizeof want, "%.*s", (int)strcspn(v, "\n"), v);
            }
        fclose(f);
    }
    if (want[0]) assert_string_equal(model, want);
    /* a buffer too small truncates, never overflows */
    char small[4];
    provenance_cpu_model(small, sizeof small);
    assert_true(strlen(small) < sizeof small);
}

static void test_describe(void **state) {
    (void)state;
    runlog rl;
    runlog_init(&rl);
    provenance_data data = {"/nonexistent-psl-data", 0x0123456789abcdefULL, 1, 2};
    provenance_describe(&rl.root, &data, 3, NULL);
    const attr_set *root = &rl.root;
    static const char *const strings[] = {
        "engine_version", "git_commit",   "compiler",
        "build",          "cpu_model",    "os",
        "libc",           "blas_config",  "blas_version",
        "blas_core",      "blas_library", "tokenizer_hash",
        "train_data_id",  "val_data_id",  "corpus_manifest_sha256"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        const attr *a = attr_get(root, strings[i]);
        assert_non_null(a);
        assert_int_equal(a->type, ATTR_STR);
        assert_true(a->s[0]);
    }
    assert_string_equal(attr_get(root, "tokenizer_hash")->s, "0123456789abcdef");
    assert_string_equal(attr_get(root, "train_data_id")->s, "0000000000000001");
    assert_string_equal(attr_get(root, "corpus_manifest_sha256")->s, "none");
    assert_int_equal(attr_get(root, "threads")->i, 3);
    assert_string_equal(attr_get(root, "git_commit")->s, provenance_git_commit());
    /* no GPU: "none" and 0, the CPU backend's values too */
    static const char *const gpu_strings[] = {"gpu_model", "gpu_cc", "gpu_driver"};
    static const char *const gpu_ints[] = {"cuda_driver", "cuda_runtime", "cublas_version"};
    backend cpu = backend_cpu();
    for (int pass = 0; pass < 2; pass++) {
        if (pass) provenance_describe(&rl.root, &data, 3, &cpu);
        for (size_t i = 0; i < 3; i++) {
            const attr *a = attr_get(root, gpu_strings[i]);
            assert_non_null(a);
            assert_int_equal(a->type, ATTR_STR);
            assert_string_equal(a->s, "none");
            a = attr_get(root, gpu_ints[i]);
            assert_non_null(a);
            assert_int_equal(a->type, ATTR_INT);
            assert_int_equal(a->i, 0);
        }
    }
    char line[64] = "x";
    backend_cuda_describe(&cpu, line, sizeof line);
    assert_string_equal(line, "");
    runlog_free(&rl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_file),
        cmocka_unit_test(test_cpu_model),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
