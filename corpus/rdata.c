/* R lazy-load databases: the .rdb file is a sequence of objects, each a big-endian
 * uint32 uncompressed size followed by a zlib stream holding one object in R's XDR
 * serialization ("X\n", big-endian ints). Character vectors are STRSXP (type 16: flags,
 * length) followed by that many CHARSXP (type 9: flags, byte length or -1 for NA,
 * bytes). Rather than decoding every R type, the stream is scanned for STRSXP headers
 * whose elements all parse as CHARSXP; a false match would need hundreds of
 * consecutive well-formed CHARSXP headers. */
#include "rdata.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* If a character vector of >= min_len elements starts at s[i], returns its end. */
static size_t strsxp_end(const unsigned char *s, size_t n, size_t i, size_t min_len) {
    if (i + 8 > n || (be32(s + i) & 0xFF) != 16) return 0;
    uint32_t len = be32(s + i + 4);
    if (len < min_len || len > n / 8) return 0;
    size_t j = i + 8;
    for (uint32_t k = 0; k < len; k++) {
        if (j + 8 > n || (be32(s + j) & 0xFF) != 9) return 0;
        int32_t l = (int32_t)be32(s + j + 4);
        j += 8;
        if (l == -1) continue;
        if (l < 0 || (size_t)l > n - j) return 0;
        j += (size_t)l;
    }
    return j;
}

static int write_vector(const unsigned char *s, size_t i, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    uint32_t len = be32(s + i + 4);
    size_t j = i + 8;
    for (uint32_t k = 0; k < len; k++) {
        int32_t l = (int32_t)be32(s + j + 4);
        j += 8;
        if (l > 0) {
            fwrite(s + j, 1, (size_t)l, f);
            j += (size_t)l;
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    return (fclose(f) || bad) ? -1 : 0;
}

int rdata_dump(const char *rdb_path, const char *out_dir, size_t min_len, char *err,
               size_t errlen) {
    FILE *f = fopen(rdb_path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", rdb_path, strerror(errno));
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long fsize = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *file = fsize > 0 ? malloc((size_t)fsize) : NULL;
    if (!file || fread(file, 1, (size_t)fsize, f) != (size_t)fsize) {
        fclose(f);
        free(file);
        snprintf(err, errlen, "%s: cannot read", rdb_path);
        return -1;
    }
    fclose(f);
    size_t n = (size_t)fsize, pos = 0;
    int written = 0, rc = 0;
    while (pos + 4 < n && rc == 0) {
        uint32_t usize = be32(file + pos);
        unsigned char *obj = malloc(usize ? usize : 1);
        z_stream z;
        memset(&z, 0, sizeof z);
        if (!obj || inflateInit(&z) != Z_OK) {
            free(obj);
            snprintf(err, errlen, "%s: out of memory", rdb_path);
            rc = -1;
            break;
        }
        z.next_in = file + pos + 4;
        z.avail_in = (uInt)(n - pos - 4);
        z.next_out = obj;
        z.avail_out = usize;
        int zr = inflate(&z, Z_FINISH);
        size_t used = z.total_in, got = z.total_out;
        inflateEnd(&z);
        if (zr != Z_STREAM_END || got != usize) {
            snprintf(err, errlen,
                     "%s: object at byte %zu is not a zlib stream of %u bytes (R lazy-load "
                     "databases compressed with bzip2 or xz are not supported)",
                     rdb_path, pos, (unsigned)usize);
            free(obj);
            rc = -1;
            break;
        }
        for (size_t i = 0; i + 8 <= got;) {
            size_t end = strsxp_end(obj, got, i, min_len);
            if (!end) {
                i++;
                continue;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/vector-%03d.txt", out_dir, written + 1);
            if (write_vector(obj, i, path)) {
                snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
                rc = -1;
                break;
            }
            written++;
            i = end;
        }
        free(obj);
        pos += 4 + used;
    }
    free(file);
    return rc ? -1 : written;
}
