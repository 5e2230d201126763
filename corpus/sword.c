/* Dumps a SWORD zText module (Debian's sword-text-* packages) as OSIS text: one verse
 * entry per line, in canonical order. Block files (.bzz) are zlib streams indexed by
 * .bzs (offset, size, uncompressed size; uint32 LE); .bzv maps each verse entry to
 * (block, offset in block, size) as uint32, uint32, uint16 LE. */
#include "sword.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int slurp(const char *path, unsigned char **data, size_t *n, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 20, len = 0;
    unsigned char *p = malloc(cap);
    while (p) {
        size_t r = fread(p + len, 1, cap - len, f);
        len += r;
        if (len < cap) break;
        unsigned char *q = realloc(p, cap * 2);
        if (!q) {
            free(p);
            p = NULL;
            break;
        }
        p = q;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!p || bad) {
        free(p);
        snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "out of memory");
        return -1;
    }
    *data = p;
    *n = len;
    return 0;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int dump_testament(const char *dir, const char *t, FILE *out, char *err, size_t errlen) {
    char path[4096];
    unsigned char *bzs = NULL, *bzz = NULL, *bzv = NULL, *block = NULL;
    size_t nbzs, nbzz, nbzv;
    int rc = -1;
    snprintf(path, sizeof path, "%s/%s.bzs", dir, t);
    if (slurp(path, &bzs, &nbzs, err, errlen)) goto done;
    snprintf(path, sizeof path, "%s/%s.bzz", dir, t);
    if (slurp(path, &bzz, &nbzz, err, errlen)) goto done;
    snprintf(path, sizeof path, "%s/%s.bzv", dir, t);
    if (slurp(path, &bzv, &nbzv, err, errlen)) goto done;
    long cur = -1;
    uLongf blen = 0;
    for (size_t v = 0; v + 10 <= nbzv; v += 10) {
        uint32_t b = le32(bzv + v), off = le32(bzv + v + 4);
        uint32_t size = (uint32_t)bzv[v + 8] | (uint32_t)bzv[v + 9] << 8;
        if (size == 0) continue;
        if ((size_t)b * 12 + 12 > nbzs) {
            snprintf(err, errlen, "%s/%s.bzv: verse %zu names block %u of %zu", dir, t, v / 10,
                     (unsigned)b, nbzs / 12);
            goto done;
        }
        if ((long)b != cur) {
            uint32_t boff = le32(bzs + 12 * b), bsize = le32(bzs + 12 * b + 4);
            uint32_t usize = le32(bzs + 12 * b + 8);
            if ((size_t)boff + bsize > nbzz) {
                snprintf(err, errlen, "%s/%s.bzs: block %u past end of .bzz", dir, t, (unsigned)b);
                goto done;
            }
            free(block);
            block = malloc(usize + 1);
            blen = usize;
            if (!block || uncompress(block, &blen, bzz + boff, bsize) != Z_OK) {
                snprintf(err, errlen, "%s/%s.bzz: block %u does not inflate", dir, t, (unsigned)b);
                goto done;
            }
            cur = (long)b;
        }
        if ((uLongf)off + size > blen) {
            snprintf(err, errlen, "%s/%s.bzv: verse %zu past end of its block", dir, t, v / 10);
            goto done;
        }
        fwrite(block + off, 1, size, out);
        fputc('\n', out);
    }
    rc = ferror(out) ? -1 : 0;
    if (rc) snprintf(err, errlen, "write error");
done:
    free(bzs);
    free(bzz);
    free(bzv);
    free(block);
    return rc;
}

int sword_dump(const char *module_dir, FILE *out, char *err, size_t errlen) {
    if (dump_testament(module_dir, "ot", out, err, errlen)) return -1;
    return dump_testament(module_dir, "nt", out, err, errlen);
}
