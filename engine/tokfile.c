#include "tokfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tokenizer.h"

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

uint64_t tok_fnv1a64_update(uint64_t h, const void *data, size_t n) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t tok_fnv1a64(const void *data, size_t n) {
    return tok_fnv1a64_update(TOK_FNV1A64_INIT, data, n);
}

int tok_fnv1a64_file(const char *path, uint64_t *hash, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    uint64_t h = TOK_FNV1A64_INIT;
    if (st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        h = tok_fnv1a64_update(h, m, (size_t)st.st_size);
        munmap(m, (size_t)st.st_size);
    }
    close(fd);
    *hash = h;
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void tokfile_close(tokfile *tf) {
    if (tf->map) {
        munmap(tf->map, tf->map_len);
        close(tf->fd);
    }
    memset(tf, 0, sizeof *tf);
}

int tokfile_check(const tokfile *tf, const char *path, char *err, size_t errlen) {
    struct stat st;
    if (!tf->map) {
        snprintf(err, errlen, "%s: token file is not open", path);
        return -1;
    }
    if (fstat(tf->fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot stat the open token file: %s", path, strerror(errno));
        return -1;
    }
    if ((uint64_t)st.st_size != (uint64_t)tf->map_len) {
        snprintf(err, errlen,
                 "%s: the token file changed size under the run (%llu bytes when opened, %llu "
                 "now): it was truncated or rewritten in place; restore it (replace token "
                 "files by writing a new file and renaming it, as sweep tokenize does)",
                 path, (unsigned long long)tf->map_len, (unsigned long long)st.st_size);
        return -1;
    }
    return 0;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t tokfile_identity(const tokfile *tf) {
    const uint8_t *p = tf->map;
    size_t n = tf->map_len;
    uint64_t lane[4] = {0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL,
                        0x27D4EB2F165667C5ULL};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * k, 8);
            lane[k] = (lane[k] ^ w) * 0x100000001b3ULL;
            lane[k] ^= lane[k] >> 29;
        }
    uint64_t h = tok_fnv1a64_update(TOK_FNV1A64_INIT, p + i, n - i);
    h = tok_fnv1a64_update(h, p, n < TOKFILE_HEADER_SIZE ? n : TOKFILE_HEADER_SIZE);
    uint64_t len = n;
    h = tok_fnv1a64_update(h, &len, sizeof len);
    for (int k = 0; k < 4; k++) h = mix64(h ^ mix64(lane[k] + (uint64_t)k));
    return h ? h : 1;
}

static int fail_open(tokfile *tf, int fd) {
    if (fd >= 0) close(fd);
    tokfile_close(tf);
    return -1;
}

int tokfile_open(const char *path, tokfile *tf, char *err, size_t errlen) {
    memset(tf, 0, sizeof *tf);
    if (!host_is_little_endian()) {
        snprintf(err, errlen, "%s: token files are little-endian; this host is not", path);
        return -1;
    }
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open token file: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        return fail_open(tf, fd);
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (a token file must be one, of its full size)",
                 path);
        return fail_open(tf, fd);
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < TOKFILE_HEADER_SIZE) {
        snprintf(err, errlen, "%s: truncated token file: %llu bytes, the header alone needs %d",
                 path, (unsigned long long)size, TOKFILE_HEADER_SIZE);
        return fail_open(tf, fd);
    }
    void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
        return fail_open(tf, fd);
    }
    tf->map = m;
    tf->map_len = (size_t)size;
    tf->fd = fd; /* closed by tokfile_close from here on */
    fd = -1;
    const uint8_t *h = m;
    if (memcmp(h, TOKFILE_MAGIC, 8) != 0) {
        snprintf(err, errlen, "%s: not a token file (expected magic \"PSLTOK1\\0\" at offset 0)",
                 path);
        return fail_open(tf, fd);
    }
    uint32_t hsize = get_u32(h + 8);
    if (hsize != TOKFILE_HEADER_SIZE) {
        snprintf(err, errlen, "%s: header size field is %u, expected %d", path, hsize,
                 TOKFILE_HEADER_SIZE);
        return fail_open(tf, fd);
    }
    uint32_t vocab = get_u32(h + 12);
    if (vocab < BPE_MIN_VOCAB || vocab > BPE_MAX_VOCAB) {
        snprintf(err, errlen, "%s: vocab field is %u, expected %d..%d", path, vocab, BPE_MIN_VOCAB,
                 BPE_MAX_VOCAB);
        return fail_open(tf, fd);
    }
    uint64_t n = get_u64(h + 16);
    for (int i = 32; i < TOKFILE_HEADER_SIZE; i++) {
        if (h[i] != 0) {
            snprintf(err, errlen, "%s: header byte %d is %u, expected 0 (reserved)", path, i, h[i]);
            return fail_open(tf, fd);
        }
    }
    uint64_t payload = size - TOKFILE_HEADER_SIZE;
    if (n > payload / 2 || payload != 2 * n) {
        snprintf(err, errlen,
                 "%s: header says %llu tokens (%llu bytes after the header) but the file has "
                 "%llu bytes after the header%s",
                 path, (unsigned long long)n, (unsigned long long)n * 2,
                 (unsigned long long)payload, payload < 2 * n ? " (truncated?)" : "");
        return fail_open(tf, fd);
    }
    const uint16_t *tok = (const uint16_t *)(h + TOKFILE_HEADER_SIZE);
    /* An id >= vocab would index past the embedding table; one pass is cheap. */
    for (uint64_t i = 0; i < n; i++) {
        if (tok[i] >= vocab) {
            snprintf(err, errlen, "%s: token %llu is %u, expected < vocab %u", path,
                     (unsigned long long)i, tok[i], vocab);
            return fail_open(tf, fd);
        }
    }
    tf->tokens = tok;
    tf->n = n;
    tf->vocab = vocab;
    tf->tokenizer_hash = get_u64(h + 24);
    return 0;
}

static int write_all(int fd, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Makes the rename durable; failure here only weakens crash safety, so it is ignored. */
static void fsync_parent_dir(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t len = (size_t)(slash - path);
        if (len >= sizeof dir) return;
        memcpy(dir, path, len);
        dir[len] = 0;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int tok_write_file_atomic(const char *path, const void *a, size_t na, const void *b, size_t nb,
                          char *err, size_t errlen) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    if (write_all(fd, a, na) != 0 || write_all(fd, b, nb) != 0) {
        snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%s: fsync failed: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) != 0) {
        snprintf(err, errlen, "%s: close failed: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    fsync_parent_dir(path);
    return 0;
}

int tokfile_write(const char *path, const uint16_t *tok, uint64_t n, uint32_t vocab,
                  uint64_t tokenizer_hash, char *err, size_t errlen) {
    if (!host_is_little_endian()) {
        snprintf(err, errlen, "%s: token files are little-endian; this host is not", path);
        return -1;
    }
    if (vocab < BPE_MIN_VOCAB || vocab > BPE_MAX_VOCAB) {
        snprintf(err, errlen, "%s: vocab %u out of range %d..%d", path, vocab, BPE_MIN_VOCAB,
                 BPE_MAX_VOCAB);
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (tok[i] >= vocab) {
            snprintf(err, errlen, "%s: token %llu is %u, expected < vocab %u", path,
                     (unsigned long long)i, tok[i], vocab);
            return -1;
        }
    }
    uint8_t h[TOKFILE_HEADER_SIZE] = {0};
    memcpy(h, TOKFILE_MAGIC, 8);
    put_u32(h + 8, TOKFILE_HEADER_SIZE);
    put_u32(h + 12, vocab);
    put_u64(h + 16, n);
    put_u64(h + 24, tokenizer_hash);
    return tok_write_file_atomic(path, h, sizeof h, tok, (size_t)n * 2, err, errlen);
}
