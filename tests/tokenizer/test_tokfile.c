/* Token files: write/read round trip, and each kind of damage reported with the file
 * name and the problem. The header is checked byte by byte against docs/data.md. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tokfile.h"

static void tmp_path(char *p, size_t cap, const char *name) {
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(p, cap, "%s/psl_test_tokfile_%ld_%s", dir, (long)getpid(), name);
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void spill(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void test_write_read_round_trip(void **state) {
    (void)state;
    char path[1024], err[512];
    tmp_path(path, sizeof path, "rt.tok");
    enum { N = 10007 };
    uint16_t *tok = malloc(N * sizeof *tok);
    for (int i = 0; i < N; i++) tok[i] = (uint16_t)((i * 7919u) % 4096);
    const uint64_t h = 0x0123456789abcdefULL;
    assert_int_equal(tokfile_write(path, tok, N, 4096, h, err, sizeof err), 0);

    /* The bytes on disk follow docs/data.md section 3. */
    size_t n;
    uint8_t *raw = slurp(path, &n);
    assert_int_equal(n, 64 + 2 * N);
    assert_memory_equal(raw, "PSLTOK1\0", 8);
    assert_int_equal(le64(raw + 8) & 0xffffffffu, 64);
    assert_int_equal(le64(raw + 12) & 0xffffffffu, 4096);
    assert_int_equal(le64(raw + 16), N);
    assert_true(le64(raw + 24) == h);
    for (int i = 32; i < 64; i++) assert_int_equal(raw[i], 0);
    assert_int_equal(raw[64] | raw[65] << 8, tok[0]);
    assert_int_equal(raw[64 + 2 * 5] | raw[65 + 2 * 5] << 8, tok[5]);
    free(raw);

    tokfile tf;
    if (tokfile_open(path, &tf, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(tf.n, N);
    assert_int_equal(tf.vocab, 4096);
    assert_true(tf.tokenizer_hash == h);
    assert_memory_equal(tf.tokens, tok, N * sizeof *tok);
    tokfile_close(&tf);
    assert_null(tf.map);

    /* Empty token files are valid. */
    assert_int_equal(tokfile_write(path, tok, 0, 300, h, err, sizeof err), 0);
    assert_int_equal(tokfile_open(path, &tf, err, sizeof err), 0);
    assert_int_equal(tf.n, 0);
    tokfile_close(&tf);

    /* No temporary file is left behind. */
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    struct stat st;
    assert_int_equal(stat(tmp, &st), -1);

    /* Writing refuses ids the vocabulary cannot hold. */
    tok[3] = 4096;
    assert_int_equal(tokfile_write(path, tok, N, 4096, h, err, sizeof err), -1);
    assert_non_null(strstr(err, "token 3 is 4096"));
    unlink(path);
    free(tok);
}

/* Writes a valid file, applies damage, and expects tokfile_open to fail with a message
 * naming the file and containing want. */
typedef void (*damage_fn)(uint8_t *raw, size_t *n);

static void expect_open_error(damage_fn damage, const char *want) {
    char path[1024], err[512];
    tmp_path(path, sizeof path, "bad.tok");
    uint16_t tok[100];
    for (int i = 0; i < 100; i++) tok[i] = (uint16_t)(i * 3);
    assert_int_equal(tokfile_write(path, tok, 100, 512, 42, err, sizeof err), 0);
    size_t n;
    uint8_t *raw = slurp(path, &n);
    damage(raw, &n);
    spill(path, raw, n);
    free(raw);
    tokfile tf;
    int rc = tokfile_open(path, &tf, err, sizeof err);
    if (rc == 0) fail_msg("opened a damaged file, expected \"%s\"", want);
    assert_null(tf.map);
    assert_null(tf.tokens);
    if (!strstr(err, path) || !strstr(err, want))
        fail_msg("error \"%s\" lacks the path or \"%s\"", err, want);
    unlink(path);
}

static void magic(uint8_t *raw, size_t *n) {
    (void)n, raw[3] = 'X';
}
static void header_size(uint8_t *raw, size_t *n) {
    (void)n, raw[8] = 32;
}
static void vocab_small(uint8_t *raw, size_t *n) {
    (void)n, raw[12] = 0, raw[13] = 1;
}
static void vocab_large(uint8_t *raw, size_t *n) {
    (void)n, raw[14] = 2;
}
static void reserved(uint8_t *raw, size_t *n) {
    (void)n, raw[40] = 1;
}
static void truncated(uint8_t *raw, size_t *n) {
    (void)raw, *n -= 3;
}
static void extra(uint8_t *raw, size_t *n) {
    raw[*n] = 0, *n += 1;
}
static void count_huge(uint8_t *raw, size_t *n) {
    (void)n, raw[23] = 0x80;
}
static void header_cut(uint8_t *raw, size_t *n) {
    (void)raw, *n = 40;
}
static void bad_token(uint8_t *raw, size_t *n) {
    (void)n, raw[64 + 2 * 17 + 1] = 0x02;
}

static void test_damaged_files(void **state) {
    (void)state;
    expect_open_error(magic, "not a token file");
    expect_open_error(header_size, "header size field is 32, expected 64");
    expect_open_error(vocab_small, "vocab field is 256, expected 257..65536");
    expect_open_error(vocab_large, "vocab field is 131584");
    expect_open_error(reserved, "header byte 40 is 1, expected 0");
    expect_open_error(truncated, "truncated");
    expect_open_error(extra, "header says 100 tokens");
    expect_open_error(count_huge, "header says");
    expect_open_error(header_cut, "40 bytes, the header alone needs 64");
    expect_open_error(bad_token, "token 17 is 563, expected < vocab 512");

    char path[1024], err[512];
    tmp_path(path, sizeof path, "does-not-exist.tok");
    tokfile tf;
    assert_int_equal(tokfile_open(path, &tf, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_round_trip),
        cmocka_unit_test(test_damaged_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
