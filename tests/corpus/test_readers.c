/* The binary readers: SWORD zText modules and R lazy-load databases, each checked on a
 * small file built here byte by byte from the format description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "rdata.h"
#include "sword.h"

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* An .rdb with two objects: an integer vector (skipped) and a character vector of 120
 * strings, one of them NA and one empty. */
static void test_rdata(void **state) {
    (void)state;
    char dir[] = "/tmp/corpus-rdata-XXXXXX";
    assert_non_null(mkdtemp(dir));
    static unsigned char obj[1 << 15], file[1 << 16];
    size_t fn = 0;
    for (int which = 0; which < 2; which++) {
        size_t n = 0;
        memcpy(obj, "X\n", 2);
        n = 2;
        put_be32(obj + n, 3); /* format version */
        put_be32(obj + n + 4, 0x40000);
        put_be32(obj + n + 8, 0x30500);
        n += 12;
        if (which == 0) {
            put_be32(obj + n, 13); /* INTSXP */
            put_be32(obj + n + 4, 3);
            n += 8;
            for (int k = 0; k < 3; k++, n += 4) put_be32(obj + n, (uint32_t)k);
        } else {
            put_be32(obj + n, 16); /* STRSXP */
            put_be32(obj + n + 4, 120);
            n += 8;
            for (int k = 0; k < 120; k++) {
                char s[32];
                int len = k == 5 ? -1 : k == 6 ? 0 : snprintf(s, sizeof s, "line %d", k);
                put_be32(obj + n, 0x40009); /* CHARSXP, UTF-8 flag */
                put_be32(obj + n + 4, (uint32_t)len);
                n += 8;
                if (len > 0) {
                    memcpy(obj + n, s, (size_t)len);
                    n += (size_t)len;
                }
            }
        }
        uLongf zn = sizeof file - fn - 4;
        assert_int_equal(compress(file + fn + 4, &zn, obj, n), Z_OK);
        put_be32(file + fn, (uint32_t)n);
        fn += 4 + zn;
    }
    char rdb[600], out[600], err[512];
    snprintf(rdb, sizeof rdb, "%s/Rdata.rdb", dir);
    write_file(rdb, file, fn);
    assert_int_equal(rdata_dump(rdb, dir, 100, err, sizeof err), 1);
    snprintf(out, sizeof out, "%s/vector-001.txt", dir);
    char *text = read_text(out);
    assert_non_null(text);
    assert_memory_equal(text, "line 0\nline 1\nline 2\nline 3\nline 4\n\n\nline 7\n", 40);
    assert_non_null(strstr(text, "\nline 119\n"));
    /* vectors shorter than the minimum are not written */
    remove(out);
    assert_int_equal(rdata_dump(rdb, dir, 121, err, sizeof err), 0);
    /* a truncated file is an error naming the file */
    write_file(rdb, file, fn - 10);
    assert_int_equal(rdata_dump(rdb, dir, 100, err, sizeof err), -1);
    assert_non_null(strstr(err, "Rdata.rdb"));
    remove(rdb);
    remove(out);
    rmdir(dir);
}

/* A zText module with one testament of two blocks and four verse entries (one empty),
 * and an empty second testament. */
static void test_sword(void **state) {
    (void)state;
    char dir[] = "/tmp/corpus-sword-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *block[2] = {"In the beginning. God said.", "Third verse."};
    unsigned char bzz[512], bzs[24], bzv[40];
    size_t zn_total = 0;
    for (int b = 0; b < 2; b++) {
        uLongf zn = sizeof bzz - zn_total;
        assert_int_equal(compress(bzz + zn_total, &zn, (const Bytef *)block[b], strlen(block[b])),
                         Z_OK);
        put_le32(bzs + 12 * b, (uint32_t)zn_total);
        put_le32(bzs + 12 * b + 4, (uint32_t)zn);
        put_le32(bzs + 12 * b + 8, (uint32_t)strlen(block[b]));
        zn_total += zn;
    }
    /* verses: (block, offset, size) */
    const uint32_t v[4][3] = {{0, 0, 17}, {0, 0, 0}, {0, 18, 9}, {1, 0, 12}};
    for (int i = 0; i < 4; i++) {
        put_le32(bzv + 10 * i, v[i][0]);
        put_le32(bzv + 10 * i + 4, v[i][1]);
        bzv[10 * i + 8] = (unsigned char)v[i][2];
        bzv[10 * i + 9] = 0;
    }
    char p[600];
    const char *names[6] = {"ot.bzz", "ot.bzs", "ot.bzv", "nt.bzz", "nt.bzs", "nt.bzv"};
    const void *data[6] = {bzz, bzs, bzv, "", "", ""};
    size_t len[6] = {zn_total, sizeof bzs, sizeof bzv, 0, 0, 0};
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        write_file(p, data[i], len[i]);
    }
    char out[600], err[512];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    FILE *f = fopen(out, "w");
    assert_int_equal(sword_dump(dir, f, err, sizeof err), 0);
    fclose(f);
    assert_string_equal(read_text(out), "In the beginning.\nGod said.\nThird verse.\n");
    /* a verse pointing past its block is an error */
    put_le32(bzv + 30 + 4, 5);
    snprintf(p, sizeof p, "%s/ot.bzv", dir);
    write_file(p, bzv, sizeof bzv);
    f = fopen(out, "w");
    assert_int_equal(sword_dump(dir, f, err, sizeof err), -1);
    fclose(f);
    assert_non_null(strstr(err, "past end of its block"));
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        remove(p);
    }
    remove(out);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rdata), cmocka_unit_test(test_sword)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
