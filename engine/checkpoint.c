#include "checkpoint.h"
#include "fsutil.h"
#include "tokfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CKPT_MAGIC   "PSLCKPT1"
#define CKPT_VERSION 1

typedef struct ckpt_header {
    char magic[8];
    uint32_t version, header_size;
    ckpt_state st;
} ckpt_header;

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

static int read_header(FILE *f, const char *path, ckpt_header *h, char *err, size_t errlen) {
    if (fread(h, sizeof *h, 1, f) != 1 || memcmp(h->magic, CKPT_MAGIC, 8)) {
        snprintf(err, errlen, "%s: not a checkpoint (bad magic or truncated header)", path);
        return -1;
    }
    if (h->version != CKPT_VERSION || h->header_size != sizeof *h) {
        snprintf(err, errlen, "%s: checkpoint version %u, expected %d", path, h->version,
                 CKPT_VERSION);
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
    int rc = read_header(f, path, &h, err, errlen);
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
    int rc = read_header(f, path, &h, err, errlen);
    if (rc == 0 && h.st.n_params != n_params) {
        snprintf(err, errlen, "%s: checkpoint holds %llu parameters, the model has %llu", path,
                 (unsigned long long)h.st.n_params, (unsigned long long)n_params);
        rc = -1;
    }
    if (rc == 0) {
        uint64_t hash = tok_fnv1a64_update(TOK_FNV1A64_INIT, &h, sizeof h), stored;
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
