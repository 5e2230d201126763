/* Deterministic fuzzing of the CSV parser: random bytes and mutations of valid files.
 * Each input is copied into a buffer of exactly its length, so a read past the end is
 * caught by AddressSanitizer in the sanitizer build. Every accepted point must be sane. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "input.h"
#include "read.h"

static const char *seeds[] = {
    "N,D,P_w,P_a,P_kv,format,P_post,method,loss,base_loss,delta,G,seed,run_id,name,status\n"
    "1e7,2e8,4,16,16,int,,,3.5,,,64,0,r1,a,done\n"
    "1e7,2e8,4,16,16,int,3,gptq,3.9,3.5,0.4,64,0,r1,a,done\n",
    "N,D,P,loss\n1e7,1e8,4,3\n\"2e7\",\"2e8\",\"8\",\"2.9\"\n",
    "# c\nN,D,loss,status\r\n1,2,3,diverged\r\n\r\n4,5,6,done",
};

static const char alphabet[] = ",\"\n\r#0123456789.eE-+naNDPlos_ \t\x00\xff";

static void check(const char *src, size_t len) {
    char *buf = malloc(len ? len : 1);
    memcpy(buf, src, len);
    psl_data d;
    psl_notes n;
    psl_data_init(&d);
    psl_notes_init(&n);
    psl_read_opts o = {(int)(len & 1)};
    char err[512];
    long r = psl_csv_parse(buf, len, "fuzz.csv", &o, &d, &n, err, sizeof err);
    assert_true(r >= -1);
    if (r >= 0) assert_int_equal((size_t)r, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const psl_point *p = &d.pt[i];
        assert_true(isfinite(p->N) && p->N > 0);
        assert_true(isfinite(p->D) && p->D > 0);
        assert_true(isfinite(p->loss) && p->loss > 0);
        assert_true(p->run >= 0 && p->run < d.nruns);
    }
    psl_data_free(&d);
    psl_notes_free(&n);
    free(buf);
}

static void test_random_and_mutated(void **state) {
    (void)state;
    uint64_t st = 12345;
    char tmp[4096];
    for (int it = 0; it < 20000; it++) {
        size_t len;
        if (it % 4 == 0) { /* random bytes from the CSV alphabet */
            len = psl_rng_next(&st) % 200;
            for (size_t i = 0; i < len; i++)
                tmp[i] = alphabet[psl_rng_next(&st) % (sizeof alphabet - 1)];
        } else { /* mutate a valid file: replace, insert, delete, truncate */
            const char *s = seeds[psl_rng_next(&st) % 3];
            len = strlen(s);
            memcpy(tmp, s, len);
            int muts = 1 + (int)(psl_rng_next(&st) % 8);
            for (int m = 0; m < muts && len > 0; m++) {
                size_t at = psl_rng_next(&st) % len;
                char c = alphabet[psl_rng_next(&st) % (sizeof alphabet - 1)];
                switch (psl_rng_next(&st) % 4) {
                case 0:
                    tmp[at] = c;
                    break;
                case 1:
                    if (len < sizeof tmp - 1) {
                        memmove(tmp + at + 1, tmp + at, len - at);
                        tmp[at] = c;
                        len++;
                    }
                    break;
                case 2:
                    memmove(tmp + at, tmp + at + 1, len - at - 1);
                    len--;
                    break;
                default:
                    len = at;
                    break;
                }
            }
        }
        check(tmp, len);
    }
}

/* The JSON Lines reader (input.h) on the same terms: random and mutated lines, with and
 * without a column map; never past len, every point it keeps usable. */
static const char *jseeds[] = {
    "{\"N\": 1e7, \"D\": 2e8, \"P_w\": 4, \"format\": \"int\", \"loss\": 3.5, \"run_id\": \"r1\"}\n"
    "{\"N\": 1e7, \"D\": 2e8, \"P_w\": 4, \"P_post\": 3, \"method\": \"gptq\", \"loss\": 3.9, "
    "\"run_id\": \"r1\", \"x\": [1, {\"a\": \"]\"}]}\n",
    "# c\n{\"params\":\"1e7\",\"tokens\":1e8,\"val_loss\":3,\"status\":null}\r\n\n"
    "{\"params\":2e7,\"tokens\":2e8,\"val_loss\":2.9,\"format\":\"\\u00e9\\n\\\"q\"}",
};
static const char jalphabet[] = "{}[]:,\"\\u\n\r#0123456789.eE-+nulltrfaNDPs_ \t\x00\xff";

static void check_jsonl(const char *src, size_t len, const psl_colmap *map) {
    char *buf = malloc(len ? len : 1);
    memcpy(buf, src, len);
    psl_data d;
    psl_notes n;
    psl_data_init(&d);
    psl_notes_init(&n);
    psl_read_opts o = {(int)(len & 1)};
    char err[512];
    long r = psl_jsonl_parse(buf, len, "fuzz.jsonl", &o, map, &d, &n, err, sizeof err);
    assert_true(r >= -1);
    if (r >= 0) assert_int_equal((size_t)r, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const psl_point *p = &d.pt[i];
        assert_true(isfinite(p->N) && p->N > 0);
        assert_true(isfinite(p->D) && p->D > 0);
        assert_true(isfinite(p->loss) && p->loss > 0);
        assert_true(p->run >= 0 && p->run < d.nruns);
    }
    psl_data_free(&d);
    psl_notes_free(&n);
    free(buf);
}

static void test_jsonl_random_and_mutated(void **state) {
    (void)state;
    psl_colmap map;
    char err[256];
    assert_int_equal(psl_colmap_parse("N=params,D=tokens,loss=val_loss", &map, err, sizeof err), 0);
    uint64_t st = 54321;
    char tmp[4096];
    for (int it = 0; it < 20000; it++) {
        size_t len;
        if (it % 4 == 0) {
            len = psl_rng_next(&st) % 200;
            for (size_t i = 0; i < len; i++)
                tmp[i] = jalphabet[psl_rng_next(&st) % (sizeof jalphabet - 1)];
        } else {
            const char *s = jseeds[psl_rng_next(&st) % 2];
            len = strlen(s);
            memcpy(tmp, s, len);
            int muts = 1 + (int)(psl_rng_next(&st) % 8);
            for (int m = 0; m < muts && len > 0; m++) {
                size_t at = psl_rng_next(&st) % len;
                char c = jalphabet[psl_rng_next(&st) % (sizeof jalphabet - 1)];
                switch (psl_rng_next(&st) % 4) {
                case 0:
                    tmp[at] = c;
                    break;
                case 1:
                    if (len < sizeof tmp - 1) {
                        memmove(tmp + at + 1, tmp + at, len - at);
                        tmp[at] = c;
                        len++;
                    }
                    break;
                case 2:
                    memmove(tmp + at, tmp + at + 1, len - at - 1);
                    len--;
                    break;
                default:
                    len = at;
                    break;
                }
            }
        }
        check_jsonl(tmp, len, it & 1 ? &map : NULL);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_random_and_mutated),
                                       cmocka_unit_test(test_jsonl_random_and_mutated)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
