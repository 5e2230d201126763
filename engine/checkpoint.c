#include "checkpoint.h"
#include "fsutil.h"
#include "tokfile.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_MAGIC "PSLCKPT1"

/* On disk: magic, version, header size, then the fields of ckpt_state in order, each 8
 * bytes (host byte order, as the parameters). Version 1 ends after n_params. */
#define CKPT_PREFIX    16
#define CKPT_V1_FIELDS 7
#define CKPT_V2_FIELDS 9

typedef struct ckpt_header {
    char magic[8];
    uint32_t version, header_size;
    ckpt_state st;
} ckpt_header;

_Static_assert(sizeof(ckpt_header) == CKPT_PREFIX + 8 * CKPT_V2_FIELDS,
               "the header has no padding");
_Static_assert(offsetof(ckpt_header, st) == CKPT_PREFIX, "fields follow the prefix");
/* The sizes on disk, as numbers: a field added to ckpt_state changes the file format, so it
 * comes with a new version and header size here, never silently. */
_Static_assert(CKPT_PREFIX + 8 * CKPT_V1_FIELDS == 72, "a version 1 header is 72 bytes on disk");
_Static_assert(sizeof(ckpt_header) == 88, "a version 2 header is 88 bytes on disk");
_Static_assert(offsetof(ckpt_state, train_id) == 8 * CKPT_V1_FIELDS,
               "version 2 appends its fields to version 1's");

static int write_hashed(FILE *f, const void *p, size_t bytes, uint64_t *h) {
    *h = tok_fnv1a64_update(*h, p, bytes);
    return fwrite(p, 1, bytes, f) == bytes ? 0 : -1;
}

int checkpoint_save(const char *path, const ckpt_state *st, const float *params, const float *m,
                    const float *v, char *err, size_t errlen) {
    char tmp[4200];
    tmp_file_name(path, tmp, sizeof tmp);
    if (make_parent_dirs(path, err, errlen)) return -1;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    ckpt_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CKPT_MAGIC, 8);
    h.version = CKPT_VERSION;
    h.header_size = sizeof h;
    h.st = *st;
    uint64_t hash = TOK_FNV1A64_INIT;
    size_t bytes = (size_t)st->n_params * sizeof(float);
    int rc = write_hashed(f, &h, sizeof h, &hash);
    rc |= write_hashed(f, params, bytes, &hash);
    rc |= write_hashed(f, m, bytes, &hash);
    rc |= write_hashed(f, v, bytes, &hash);
    rc |= fwrite(&hash, sizeof hash, 1, f) == 1 ? 0 : -1;
    rc |= fclose(f);
    if (rc) {
        snprintf(err, errlen, "%s: write failed (disk full?)", tmp);
        unlink(tmp);
        return -1;
    }
    if (commit_tmp_file(tmp, path, err, errlen)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Reads and checks the header; *raw_len is its size on disk (hashed as it is there). */
static int read_header(FILE *f, const char *path, ckpt_header *h, size_t *raw_len, char *err,
                       size_t errlen) {
    memset(h, 0, sizeof *h);
    if (fread(h, CKPT_PREFIX, 1, f) != 1 || memcmp(h->magic, CKPT_MAGIC, 8)) {
        snprintf(err, errlen, "%s: not a checkpoint (bad magic or truncated header)", path);
        return -1;
    }
    size_t want = h->version == 1   ? CKPT_PREFIX + 8 * CKPT_V1_FIELDS
                  : h->version == 2 ? CKPT_PREFIX + 8 * CKPT_V2_FIELDS
                                    : 0;
    if (!want) {
        snprintf(err, errlen, "%s: checkpoint version %u, expected 1 or %d", path, h->version,
                 CKPT_VERSION);
        return -1;
    }
    if (h->header_size != want) {
        snprintf(err, errlen, "%s: checkpoint header size %u, expected %zu for version %u", path,
                 h->header_size, want, h->version);
        return -1;
    }
    if (fread(&h->st, want - CKPT_PREFIX, 1, f) != 1) {
        snprintf(err, errlen, "%s: checkpoint is truncated (in its header)", path);
        return -1;
    }
    *raw_len = want;
    const ckpt_state *st = &h->st;
    const char *field = NULL;
    long long value = 0;
    if (st->step < 0)
        field = "step", value = st->step;
    else if (st->tokens < 0)
        field = "tokens", value = st->tokens;
    else if (st->next_seq < 0)
        field = "next_seq", value = st->next_seq;
    if (field) {
        snprintf(err, errlen, "%s: checkpoint field %s is %lld, expected >= 0", path, field, value);
        return -1;
    }
    if (!isfinite(st->wall) || st->wall < 0) {
        snprintf(err, errlen, "%s: checkpoint field wall is %g, expected finite seconds >= 0", path,
                 st->wall);
        return -1;
    }
    /* the size the header implies must be the file's: nothing is sized from a header
     * that the file does not back */
    struct stat sb;
    uint64_t n = st->n_params;
    if (n == 0 || n > ((uint64_t)1 << 40) || fstat(fileno(f), &sb) ||
        (uint64_t)sb.st_size != want + 3 * 4 * n + 8) {
        snprintf(err, errlen,
                 "%s: checkpoint field n_params is %llu, which does not match the file's size "
                 "(%lld bytes; truncated or corrupt?)",
                 path, (unsigned long long)n, (long long)sb.st_size);
        return -1;
    }
    return 0;
}

int checkpoint_peek(const char *path, ckpt_state *st, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    ckpt_header h;
    size_t raw;
    int rc = read_header(f, path, &h, &raw, err, errlen);
    fclose(f);
    if (rc == 0) *st = h.st;
    return rc;
}

/* Reads bytes into dst (or discards them when dst is NULL), hashing them. */
static int read_hashed(FILE *f, void *dst, size_t bytes, uint64_t *h) {
    char buf[1 << 16];
    char *out = dst;
    while (bytes) {
        size_t n = bytes < sizeof buf ? bytes : sizeof buf;
        char *p = out ? out : buf;
        if (fread(p, 1, n, f) != n) return -1;
        *h = tok_fnv1a64_update(*h, p, n);
        if (out) out += n;
        bytes -= n;
    }
    return 0;
}

int checkpoint_load(const char *path, ckpt_state *st, uint64_t n_params, float *params, float *m,
                    float *v, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    ckpt_header h;
    size_t raw = 0;
    int rc = read_header(f, path, &h, &raw, err, errlen);
    if (rc == 0 && h.st.n_params != n_params) {
        snprintf(err, errlen, "%s: checkpoint holds %llu parameters, the model has %llu", path,
                 (unsigned long long)h.st.n_params, (unsigned long long)n_params);
        rc = -1;
    }
    if (rc == 0) {
        uint64_t hash = tok_fnv1a64_update(TOK_FNV1A64_INIT, &h, raw), stored;
        size_t bytes = (size_t)n_params * sizeof(float);
        if (read_hashed(f, params, bytes, &hash) || read_hashed(f, m, bytes, &hash) ||
            read_hashed(f, v, bytes, &hash) || fread(&stored, sizeof stored, 1, f) != 1) {
            snprintf(err, errlen, "%s: checkpoint is truncated", path);
            rc = -1;
        } else if (stored != hash) {
            snprintf(err, errlen, "%s: checkpoint checksum mismatch (corrupt file)", path);
            rc = -1;
        }
    }
    fclose(f);
    if (rc == 0) *st = h.st;
    return rc;
}
