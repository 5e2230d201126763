#ifndef PSL_TOKFILE_H
#define PSL_TOKFILE_H

/* Token files (train.tok, val.tok): the 64-byte little-endian header of docs/data.md
 * section 3 followed by the tokens as uint16. Readers map them read-only. */

#include <stddef.h>
#include <stdint.h>

#define TOKFILE_MAGIC       "PSLTOK1" /* 8 bytes with its NUL */
#define TOKFILE_HEADER_SIZE 64

typedef struct {
    const uint16_t *tokens; /* n tokens, each < vocab (checked by tokfile_open) */
    uint64_t n;
    uint32_t vocab;
    uint64_t tokenizer_hash; /* FNV-1a 64 of the tokenizer file */
    void *map;               /* the whole mapping, for tokfile_close */
    size_t map_len;
    int fd; /* the mapped file, kept open for tokfile_check (valid while map is set) */
} tokfile;

/* Maps path read-only and validates magic, header size, vocab (257..65536), reserved
 * bytes, file size against the token count, and that every token is < vocab. On error
 * returns -1 with a message naming the file and the problem, and leaves tf closed. */
int tokfile_open(const char *path, tokfile *tf, char *err, size_t errlen);
void tokfile_close(tokfile *tf);

/* Opening refuses anything but a regular file (a FIFO would block, a device has no
 * size), without blocking on it. The tokens stay mapped: a file truncated in place
 * while mapped makes the next read of a page past its new end a SIGBUS. Long readers
 * (training) call tokfile_check at their own checkpoints: 0 while the mapped file
 * still has the size it had when opened, else -1 with a message naming path. */
int tokfile_check(const tokfile *tf, const char *path, char *err, size_t errlen);

/* Identity of a token file's contents: a 64-bit hash of the header, the size and
 * every token (4 lanes of 64-bit words, a few GB/s), never 0. A resumed run compares
 * it with the one its checkpoint recorded. */
uint64_t tokfile_identity(const tokfile *tf);

/* Writes a token file atomically: a temporary file beside path, fsync, rename, fsync of
 * the directory. Returns 0 or -1 with err set. */
int tokfile_write(const char *path, const uint16_t *tok, uint64_t n, uint32_t vocab,
                  uint64_t tokenizer_hash, char *err, size_t errlen);

/* Writes a then b to path atomically (temporary file beside it, fsync, rename, fsync of
 * the directory), so readers see the old file or the whole new one. */
int tok_write_file_atomic(const char *path, const void *a, size_t na, const void *b, size_t nb,
                          char *err, size_t errlen);

/* FNV-1a 64. Start from TOK_FNV1A64_INIT and feed pieces through tok_fnv1a64_update. */
#define TOK_FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t tok_fnv1a64_update(uint64_t h, const void *data, size_t n);
uint64_t tok_fnv1a64(const void *data, size_t n);

/* FNV-1a 64 of a whole file's bytes (read through mmap). */
int tok_fnv1a64_file(const char *path, uint64_t *hash, char *err, size_t errlen);

#endif
