/* BPE tokenizer: pre-tokenisation, hand-derived merges, determinism, NUL boundaries,
 * byte round trips, thread independence, the tokenizer file and its error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tokenizer.h"
#include "tokfile.h"

static uint8_t *read_fixture(const char *name, size_t *n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/corpus/%s", PSL_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static bpe *train_ok(const void *text, size_t n, int vocab) {
    bpe *b = NULL;
    char err[512] = "";
    int rc = bpe_train(text, n, vocab, &b, err, sizeof err);
    if (rc != 0) fail_msg("bpe_train: %s", err);
    return b;
}

static uint16_t *encode_ok(const bpe *b, const void *text, size_t n, int threads, size_t *nout) {
    uint16_t *ids = NULL;
    char err[512] = "";
    if (bpe_encode(b, text, n, threads, &ids, nout, err, sizeof err) != 0)
        fail_msg("bpe_encode: %s", err);
    return ids;
}

static void assert_round_trip(const bpe *b, const uint8_t *text, size_t n) {
    size_t nids, nback;
    uint16_t *ids = encode_ok(b, text, n, 1, &nids);
    for (size_t i = 0; i < nids; i++) assert_true(ids[i] < bpe_vocab(b));
    uint8_t *back = NULL;
    char err[512];
    assert_int_equal(bpe_decode(b, ids, nids, &back, &nback, err, sizeof err), 0);
    assert_int_equal(nback, n);
    assert_memory_equal(back, text, n);
    free(ids);
    free(back);
}

/* xorshift64*: a fixed stream, so the random cases are the same on every run. */
static uint64_t next_rand(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* Bytes biased towards what stresses the tokenizer: NULs, spaces, letters, bytes >= 0x80
 * (mostly invalid UTF-8), digits, and uniform noise. */
static void random_bytes(uint64_t *s, uint8_t *p, size_t n) {
    static const char common[] = "the an\0\n 0123456789,.'";
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next_rand(s);
        switch (r % 4) {
        case 0:
            p[i] = (uint8_t)common[(r >> 8) % (sizeof common - 1)];
            break;
        case 1:
            p[i] = (uint8_t)(0x80 + ((r >> 8) % 128));
            break;
        default:
            p[i] = (uint8_t)(r >> 8);
            break;
        }
    }
}

/* ------------------------------------------------------------------ pre-tokenisation */

static void expect_pieces(const char *text, size_t n, const char *const *want, int nwant) {
    size_t i = 0;
    int k = 0;
    while (i < n) {
        size_t e = bpe_piece_end((const uint8_t *)text, n, i);
        assert_true(e > i);
        assert_true(k < nwant);
        size_t wl = strlen(want[k]) ? strlen(want[k]) : 1; /* "" stands for the NUL piece */
        if (e - i != wl || memcmp(text + i, strlen(want[k]) ? want[k] : "", wl) != 0)
            fail_msg("piece %d: got \"%.*s\" (%zu bytes), want \"%s\"", k, (int)(e - i), text + i,
                     e - i, want[k]);
        i = e;
        k++;
    }
    assert_int_equal(k, nwant);
}

static void test_pieces_by_hand(void **state) {
    (void)state;
    static const char text[] = "Hello, world!\n\n  The 12345 caf\xc3\xa9s\tx\0 ok  \0a  b";
    static const char *const want[] = {
        "Hello", ",", " world", "!",   "\n\n ", " The", " 123", "45", " caf\xc3\xa9s",
        "\t",    "x", "",       " ok", "  ",    "",     "a",    " ",  " b"};
    expect_pieces(text, sizeof text - 1, want, (int)(sizeof want / sizeof *want));
}

static void test_pieces_are_capped(void **state) {
    (void)state;
    char text[101];
    memset(text, 'a', 100);
    text[100] = 0;
    assert_int_equal(bpe_piece_end((const uint8_t *)text, 100, 0), BPE_MAX_PIECE);
    assert_int_equal(bpe_piece_end((const uint8_t *)text, 100, BPE_MAX_PIECE), 100);
}

/* ------------------------------------------------------------------ training */

/* "abab ab abc" has pieces "abab", " ab", " abc". By hand:
 *   pairs: (a,b) 4, ( ,a) 2, (b,a) 1, (b,c) 1          -> merge 256 = (a,b)
 *   words: [256 256] [' ' 256] [' ' 256 c]; (' ',256) 2 -> merge 257 = (' ', 256)
 *   words: [256 256] [257] [257 c]; (256,256) 1 and (257,'c') 1 tie, smaller pair first
 *                                                       -> merge 258 = (256, 256)
 *                                                       -> merge 259 = (257, 'c')
 * after which no pair is left, so a 261-entry vocabulary cannot be trained. */
static void test_small_example_by_hand(void **state) {
    (void)state;
    const char *text = "abab ab abc";
    bpe *b = train_ok(text, strlen(text), 260);
    static const uint16_t want[4][2] = {{'a', 'b'}, {' ', 256}, {256, 256}, {257, 'c'}};
    for (int i = 0; i < 4; i++) {
        uint16_t l, r;
        bpe_merge(b, i, &l, &r);
        assert_int_equal(l, want[i][0]);
        assert_int_equal(r, want[i][1]);
    }
    size_t len;
    const uint8_t *t = bpe_token_bytes(b, 259, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(t, " abc", 4);

    /* "ababab" -> a b a b a b -> 256 256 256 -> (256,256) left to right -> 258 256;
     * " abc" -> ' ' 256 c -> 257 c -> 259. */
    size_t n;
    uint16_t *ids = encode_ok(b, "ababab abc", 10, 1, &n);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 258);
    assert_int_equal(ids[1], 256);
    assert_int_equal(ids[2], 259);
    free(ids);
    bpe_free(b);

    bpe *none = NULL;
    char err[512] = "";
    assert_int_equal(bpe_train((const uint8_t *)text, strlen(text), 261, &none, err, sizeof err),
                     -1);
    assert_null(none);
    assert_non_null(strstr(err, "only 4 merges"));
    assert_int_equal(bpe_train((const uint8_t *)"", 0, 257, &none, err, sizeof err), -1);
    assert_non_null(strstr(err, "only 0 merges"));
    assert_int_equal(bpe_train((const uint8_t *)text, strlen(text), 256, &none, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "257..65536"));
}

/* Without the NUL rule, pairs with a NUL would be the commonest by far, next to letters,
 * punctuation, spaces and other NULs alike. */
static void test_merges_never_cross_nul(void **state) {
    (void)state;
    size_t cap = 3000, n = 0;
    uint8_t *text = malloc(cap);
    static const char *const around[] = {"x\0", ".\0", " \0", "\0\0", "\xc3\0"};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < 100; i++) text[n++] = (uint8_t)around[k][0], text[n++] = 0;
    for (int i = 0; i < 10; i++) {
        memcpy(text + n, "ab cd", 6); /* with its NUL */
        n += 6;
    }
    /* Pairs: (a,b) 10, (' ',c) 10, (c,d) 10; ties go to the smaller pair. */
    bpe *b = train_ok(text, n, 259);
    static const uint16_t want[3][2] = {{' ', 'c'}, {'a', 'b'}, {256, 'd'}};
    for (int i = 0; i < 3; i++) {
        uint16_t l, r;
        bpe_merge(b, i, &l, &r);
        assert_int_equal(l, want[i][0]);
        assert_int_equal(r, want[i][1]);
    }
    bpe_free(b);
    free(text);

    /* Random bytes full of NULs: no merged token holds one. */
    uint64_t s = 3;
    uint8_t *rnd = malloc(50000);
    random_bytes(&s, rnd, 50000);
    b = train_ok(rnd, 50000, 700);
    for (int id = 256; id < bpe_vocab(b); id++) {
        size_t len;
        const uint8_t *t = bpe_token_bytes(b, id, &len);
        assert_null(memchr(t, 0, len));
    }
    bpe_free(b);
    free(rnd);

    /* On real text too: no merged token holds a NUL. */
    uint8_t *corpus = read_fixture("train.txt", &n);
    b = train_ok(corpus, n, 2048);
    for (int id = 256; id < bpe_vocab(b); id++) {
        size_t len;
        const uint8_t *t = bpe_token_bytes(b, id, &len);
        assert_true(len >= 2);
        assert_null(memchr(t, 0, len));
    }
    size_t nids;
    uint16_t *ids = encode_ok(b, "the\0the", 7, 1, &nids);
    int zeros = 0;
    for (size_t i = 0; i < nids; i++) zeros += ids[i] == 0;
    assert_int_equal(zeros, 1);
    free(ids);
    bpe_free(b);
    free(corpus);
}

static void assert_same_merges(const bpe *a, const bpe *b) {
    assert_int_equal(bpe_vocab(a), bpe_vocab(b));
    for (int i = 0; i < bpe_vocab(a) - 256; i++) {
        uint16_t l1, r1, l2, r2;
        bpe_merge(a, i, &l1, &r1);
        bpe_merge(b, i, &l2, &r2);
        if (l1 != l2 || r1 != r2)
            fail_msg("merge %d differs: (%u,%u) vs (%u,%u)", i, l1, r1, l2, r2);
    }
    assert_true(bpe_hash(a) == bpe_hash(b));
}

static void test_training_is_deterministic(void **state) {
    (void)state;
    size_t n;
    uint8_t *corpus = read_fixture("train.txt", &n);
    bpe *a = train_ok(corpus, n, BPE_DEFAULT_VOCAB);
    /* A copy at another address: nothing may depend on pointers. */
    uint8_t *copy = malloc(n);
    memcpy(copy, corpus, n);
    bpe *b = train_ok(copy, n, BPE_DEFAULT_VOCAB);
    assert_same_merges(a, b);
    /* Pieces are counted in parallel parts; the thread count must not matter. */
    for (int threads = 1; threads <= 3; threads++) {
        bpe *c = NULL;
        char err[512];
        if (bpe_train_threads(corpus, n, BPE_DEFAULT_VOCAB, threads, &c, err, sizeof err))
            fail_msg("%s", err);
        assert_same_merges(a, c);
        bpe_free(c);
    }
    /* The first merge of English prose is the familiar one. */
    size_t len;
    const uint8_t *t = bpe_token_bytes(a, 256, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(t, " t", 2);
    bpe_free(a);
    bpe_free(b);
    free(copy);

    uint64_t s = 7;
    uint8_t *rnd = malloc(100000);
    random_bytes(&s, rnd, 100000);
    a = train_ok(rnd, 100000, 600);
    b = train_ok(rnd, 100000, 600);
    assert_same_merges(a, b);
    bpe_free(a);
    bpe_free(b);
    free(rnd);
    free(corpus);
}

/* ------------------------------------------------------------------ encoding */

static void test_round_trip_arbitrary_bytes(void **state) {
    (void)state;
    size_t n;
    uint8_t *corpus = read_fixture("train.txt", &n);
    bpe *prose = train_ok(corpus, n, BPE_DEFAULT_VOCAB);
    uint64_t s = 12345;
    uint8_t *rnd = malloc(60000);
    random_bytes(&s, rnd, 60000);
    bpe *noise = train_ok(rnd, 60000, 512); /* merges of invalid UTF-8 and NULs */
    const bpe *toks[2] = {prose, noise};
    uint8_t buf[3000];
    for (int k = 0; k < 2; k++) {
        assert_round_trip(toks[k], buf, 0);
        for (int b = 0; b < 256; b++) {
            buf[0] = (uint8_t)b;
            assert_round_trip(toks[k], buf, 1);
        }
        for (int t = 0; t < 300; t++) {
            size_t len = next_rand(&s) % sizeof buf;
            random_bytes(&s, buf, len);
            assert_round_trip(toks[k], buf, len);
        }
        assert_round_trip(toks[k], corpus, n);
    }
    size_t nval;
    uint8_t *val = read_fixture("val.txt", &nval);
    assert_round_trip(prose, val, nval);

    /* Prose compresses; the numbers are loose bounds, not a benchmark. */
    size_t nids;
    uint16_t *ids = encode_ok(prose, val, nval, 1, &nids);
    double bpt = (double)nval / (double)nids;
    assert_true(bpt > 2.5 && bpt < 5.0);
    free(ids);

    uint16_t bad = (uint16_t)BPE_DEFAULT_VOCAB;
    uint8_t *out = NULL;
    size_t nout;
    char err[512];
    assert_int_equal(bpe_decode(prose, &bad, 1, &out, &nout, err, sizeof err), -1);
    assert_non_null(strstr(err, "vocab"));
    bpe_free(prose);
    bpe_free(noise);
    free(rnd);
    free(val);
    free(corpus);
}

/* Several copies of the fixture make a text of more than one 1 MiB part. */
static void test_threads_give_identical_tokens(void **state) {
    (void)state;
    size_t n;
    uint8_t *corpus = read_fixture("train.txt", &n);
    bpe *b = train_ok(corpus, n, BPE_DEFAULT_VOCAB);
    size_t big_n = 5 * n + 777;
    uint8_t *big = malloc(big_n);
    for (int i = 0; i < 5; i++) memcpy(big + (size_t)i * n, corpus, n);
    uint64_t s = 99;
    random_bytes(&s, big + 5 * n, 777);
    size_t n1, n2, n3;
    uint16_t *t1 = encode_ok(b, big, big_n, 1, &n1);
    uint16_t *t2 = encode_ok(b, big, big_n, 2, &n2);
    uint16_t *t3 = encode_ok(b, big, big_n, 7, &n3);
    assert_int_equal(n1, n2);
    assert_int_equal(n1, n3);
    assert_memory_equal(t1, t2, n1 * sizeof *t1);
    assert_memory_equal(t1, t3, n1 * sizeof *t1);

    /* Document by document gives the same stream as the whole text at once. */
    size_t k = 0;
    for (size_t i = 0; i < big_n;) {
        const uint8_t *z = memchr(big + i, 0, big_n - i);
        size_t e = z ? (size_t)(z - big) + 1 : big_n;
        size_t nd;
        uint16_t *d = encode_ok(b, big + i, e - i, 1, &nd);
        assert_true(k + nd <= n1);
        assert_memory_equal(d, t1 + k, nd * sizeof *d);
        k += nd;
        free(d);
        i = e;
    }
    assert_int_equal(k, n1);
    free(t1);
    free(t2);
    free(t3);
    free(big);
    bpe_free(b);
    free(corpus);
}

/* ------------------------------------------------------------------ the file */

static char *tmp_path(const char *name) {
    char *p = malloc(1024);
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(p, 1024, "%s/psl_test_bpe_%ld_%s", dir, (long)getpid(), name);
    return p;
}

static void test_save_load_round_trip(void **state) {
    (void)state;
    size_t n;
    uint8_t *corpus = read_fixture("train.txt", &n);
    bpe *a = train_ok(corpus, n, 1000);
    char *path = tmp_path("tokenizer.bpe");
    char err[512];
    assert_int_equal(bpe_save(a, path, err, sizeof err), 0);
    bpe *b = NULL;
    if (bpe_load(path, &b, err, sizeof err) != 0) fail_msg("bpe_load: %s", err);
    assert_same_merges(a, b);
    uint64_t fh;
    assert_int_equal(tok_fnv1a64_file(path, &fh, err, sizeof err), 0);
    assert_true(fh == bpe_hash(a));
    uint64_t bytes, fnv;
    assert_int_equal(bpe_trained_on(b, &bytes, &fnv), 1);
    assert_int_equal(bytes, n);
    assert_true(fnv == tok_fnv1a64(corpus, n));
    for (int id = 0; id < 1000; id++) {
        size_t l1, l2;
        const uint8_t *t1 = bpe_token_bytes(a, id, &l1), *t2 = bpe_token_bytes(b, id, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(t1, t2, l1);
    }
    unlink(path);
    free(path);
    bpe_free(a);
    bpe_free(b);
    free(corpus);
}

static void expect_parse_error(const char *text, const char *want) {
    bpe *b = NULL;
    char err[512] = "";
    int rc = bpe_parse(text, strlen(text), "t.bpe", &b, err, sizeof err);
    if (rc == 0) fail_msg("parsed, expected error containing \"%s\"", want);
    assert_null(b);
    if (!strstr(err, want)) fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_loader_errors(void **state) {
    (void)state;
    /* A valid file with comments, blank lines and no trained-on line. */
    const char *ok = "# hand written\npsl-bpe 1\nvocab 258\n\nmerges 2\n104 105 # hi\n"
                     "256 33\n";
    bpe *b = NULL;
    char err[512];
    if (bpe_parse(ok, strlen(ok), "ok.bpe", &b, err, sizeof err) != 0) fail_msg("%s", err);
    size_t len;
    const uint8_t *t = bpe_token_bytes(b, 257, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(t, "hi!", 3);
    uint64_t x, y;
    assert_int_equal(bpe_trained_on(b, &x, &y), 0);
    assert_true(bpe_hash(b) == tok_fnv1a64(ok, strlen(ok)));
    bpe_free(b);

    expect_parse_error("", "t.bpe:1: expected \"psl-bpe 1\"");
    expect_parse_error("psl-bpe 2\n", "t.bpe:1: expected \"psl-bpe 1\"");
    expect_parse_error("psl-bpe 1\nvocab 256\n", "t.bpe:2: expected \"vocab V\"");
    expect_parse_error("psl-bpe 1\nvocab 70000\n", "t.bpe:2: expected \"vocab V\"");
    expect_parse_error("psl-bpe 1\nvocab 258\nmerges 3\n",
                       "t.bpe:3: expected \"merges 2\" (vocab - 256), got \"merges 3\"");
    expect_parse_error("psl-bpe 1\nvocab 258\ntrained-on bytes 5 fnv1a64 12\n",
                       "t.bpe:3: expected \"trained-on");
    expect_parse_error("psl-bpe 1\nvocab 258\nmerges 2\n1 2\n", "t.bpe:5: expected merge 2 of 2");
    expect_parse_error("psl-bpe 1\nvocab 258\nmerges 2\n1 2\n256\n", "t.bpe:5: expected merge 2");
    expect_parse_error("psl-bpe 1\nvocab 258\nmerges 2\n1 256\n", "t.bpe:4: expected merge 1");
    expect_parse_error("psl-bpe 1\nvocab 258\nmerges 2\n1 2\n3 257 # c\n",
                       "each below 257 (ids defined so far), got \"3 257\"");
    expect_parse_error("psl-bpe 1\nvocab 258\nmerges 2\n1 2\n\n1 2\n",
                       "t.bpe:6: merge 2 names a pair already merged");
    expect_parse_error("psl-bpe 1\nvocab 258\nmerges 2\n1 2\n3 4\n5 6\n",
                       "t.bpe:6: expected end of file after 2 merges");

    char *path = tmp_path("missing.bpe");
    assert_int_equal(bpe_load(path, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    free(path);
}

static void test_fnv1a64_reference_values(void **state) {
    (void)state;
    /* Published FNV-1a 64 test vectors. */
    assert_true(tok_fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    assert_true(tok_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(tok_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
    assert_true(tok_fnv1a64_update(tok_fnv1a64("foo", 3), "bar", 3) == 0x85944171f73967e8ULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pieces_by_hand),
        cmocka_unit_test(test_pieces_are_capped),
        cmocka_unit_test(test_small_example_by_hand),
        cmocka_unit_test(test_merges_never_cross_nul),
        cmocka_unit_test(test_training_is_deterministic),
        cmocka_unit_test(test_round_trip_arbitrary_bytes),
        cmocka_unit_test(test_threads_give_identical_tokens),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_loader_errors),
        cmocka_unit_test(test_fnv1a64_reference_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
