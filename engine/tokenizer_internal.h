#ifndef ENGINE_TOKENIZER_INTERNAL_H
#define ENGINE_TOKENIZER_INTERNAL_H
/* What the tokenizer's files share and nothing outside them sees: the tokenizer itself
 * (tokenizer.c builds it), the small helpers training and encoding both use (so they
 * segment identically), and the text whose hash names a tokenizer (tokenizer_file.c). */
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

struct bpe {
    int vocab;
    int nmerges;
    uint16_t *left, *right; /* nmerges each: merge i makes id 256 + i */
    uint32_t *tok_off;      /* vocab + 1 offsets into tok_bytes */
    uint8_t *tok_bytes;
    /* Merge lookup, pair key -> rank, open addressing; rank -1 marks an empty slot. */
    uint32_t *mkey;
    int32_t *mrank;
    uint32_t mmask;
    uint64_t hash;
    int has_src;
    uint64_t src_bytes, src_fnv;
};

/* ---------------------------------------------------------------- small helpers */

static inline uint32_t pair_key(uint32_t a, uint32_t b) {
    return a << 16 | b;
}

static inline uint32_t mix32(uint32_t k) {
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ULL;
    return (uint32_t)(h >> 32);
}

static inline uint64_t piece_hash(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, n);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    return h;
}

/* Merges every occurrence of (a, b) in s[0..len), left to right, into x; returns the new
 * length. Training and encoding share it so they segment identically. */
static inline int apply_merge(uint16_t *s, int len, uint16_t a, uint16_t b, uint16_t x) {
    int j = 0;
    for (int i = 0; i < len;) {
        if (i + 1 < len && s[i] == a && s[i + 1] == b) {
            s[j++] = x;
            i += 2;
        } else {
            s[j++] = s[i++];
        }
    }
    return j;
}

static inline int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Cuts text into parts that pre-tokenise as the whole does (tokenizer.c), for threads. */
int bpe_split_at_nul(const uint8_t *text, size_t n, size_t target, size_t **bounds, size_t *nparts);

/* Builds a tokenizer from its merge list (tokenizer.c says how a merge is bad). */
int bpe_build(int vocab, uint16_t *left, uint16_t *right, bpe **out, int *bad, const char **why);

/* A growing text; after a failed allocation oom is set and every append is a no-op. */
typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} strbuf;

/* The tokenizer file's text (tokenizer_file.c); its FNV-1a 64 is the tokenizer's hash. */
int bpe_serialize(const bpe *b, strbuf *s);
#endif
