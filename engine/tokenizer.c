/* Byte-level BPE: pre-tokenisation and the vocabulary (a tokenizer built from its merges,
 * and what it holds). Training is in tokenizer_train.c, the tokenizer file in
 * tokenizer_file.c, encoding and decoding in tokenizer_encode.c. The rules are documented
 * in tokenizer.h. */
#include "tokenizer_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- pre-tokenisation */

enum { CL_LETTER, CL_DIGIT, CL_SPACE, CL_NUL, CL_PUNCT };

static inline int byte_class(uint8_t c) {
    if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return CL_LETTER;
    if (c >= '0' && c <= '9') return CL_DIGIT;
    if (c == ' ' || (c >= '\t' && c <= '\r')) return CL_SPACE;
    if (c == 0) return CL_NUL;
    return CL_PUNCT;
}

/* Letter, digit or punct: the classes a leading space attaches to. */
static inline int is_word_class(int cl) {
    return cl == CL_LETTER || cl == CL_DIGIT || cl == CL_PUNCT;
}

size_t bpe_piece_end(const uint8_t *text, size_t n, size_t i) {
    size_t limit = n - i > BPE_MAX_PIECE ? i + BPE_MAX_PIECE : n;
    int cl = byte_class(text[i]);
    if (cl == CL_NUL) return i + 1;
    if (cl == CL_SPACE) {
        int lead = text[i] == ' ' && i + 1 < limit && is_word_class(byte_class(text[i + 1]));
        if (!lead) {
            size_t j = i + 1;
            while (j < limit && byte_class(text[j]) == CL_SPACE) j++;
            if (j < n && j - i >= 2 && text[j - 1] == ' ' && is_word_class(byte_class(text[j])))
                j--;
            return j;
        }
        i++; /* the space leads the run that follows */
        cl = byte_class(text[i]);
    }
    size_t j = i + 1;
    if (cl == CL_DIGIT && limit - i > 3) limit = i + 3;
    while (j < limit && byte_class(text[j]) == cl) j++;
    return j;
}

/* Cuts text into parts of about target bytes, each ending just after a NUL (or at the
 * end). A NUL is a piece boundary whatever precedes it, so parts pre-tokenise exactly as
 * the whole text does. *bounds gets *nparts + 1 offsets. */
int bpe_split_at_nul(const uint8_t *text, size_t n, size_t target, size_t **bounds,
                     size_t *nparts) {
    size_t cap = 0, k = 0, *b = NULL;
    if (grow((void **)&b, &cap, 1, sizeof *b) != 0) return -1;
    b[k++] = 0;
    for (size_t s = 0; s < n;) {
        size_t e = n;
        if (n - s > target) {
            const uint8_t *z = memchr(text + s + target, 0, n - s - target);
            if (z) e = (size_t)(z - text) + 1;
        }
        if (grow((void **)&b, &cap, k + 1, sizeof *b) != 0) {
            free(b);
            return -1;
        }
        b[k++] = e;
        s = e;
    }
    *bounds = b;
    *nparts = k - 1;
    return 0;
}

/* ---------------------------------------------------------------- vocabulary */

void bpe_free(bpe *b) {
    if (!b) return;
    free(b->left);
    free(b->right);
    free(b->tok_off);
    free(b->tok_bytes);
    free(b->mkey);
    free(b->mrank);
    free(b);
}

/* Builds a tokenizer from its merge list (taking ownership of left/right). Returns the
 * index of the first bad merge in *bad (and -1), or 0. A merge is bad when it names an id
 * not yet defined or repeats an earlier pair. */
int bpe_build(int vocab, uint16_t *left, uint16_t *right, bpe **out, int *bad, const char **why) {
    *bad = -1;
    *why = "out of memory";
    bpe *b = calloc(1, sizeof *b);
    if (!b) {
        free(left);
        free(right);
        return -1;
    }
    b->vocab = vocab;
    b->nmerges = vocab - 256;
    b->left = left;
    b->right = right;
    uint32_t cap = 1;
    while (cap < 2u * (uint32_t)b->nmerges + 2) cap *= 2;
    b->mmask = cap - 1;
    b->mkey = malloc(cap * sizeof *b->mkey);
    b->mrank = malloc(cap * sizeof *b->mrank);
    b->tok_off = malloc(((size_t)vocab + 1) * sizeof *b->tok_off);
    if (!b->mkey || !b->mrank || !b->tok_off) goto fail;
    for (uint32_t i = 0; i < cap; i++) b->mrank[i] = -1;
    size_t total = 256;
    b->tok_off[0] = 0;
    for (int i = 0; i < 256; i++) b->tok_off[i + 1] = (uint32_t)i + 1;
    for (int m = 0; m < b->nmerges; m++) {
        if (left[m] >= 256 + m || right[m] >= 256 + m) {
            *bad = m;
            *why = "an id that is not yet defined";
            goto fail;
        }
        uint32_t key = pair_key(left[m], right[m]);
        uint32_t i = mix32(key) & b->mmask;
        while (b->mrank[i] >= 0) {
            if (b->mkey[i] == key) {
                *bad = m;
                *why = "a pair already merged earlier";
                goto fail;
            }
            i = (i + 1) & b->mmask;
        }
        b->mkey[i] = key;
        b->mrank[i] = m;
        size_t len = (b->tok_off[left[m] + 1] - b->tok_off[left[m]]) +
                     (b->tok_off[right[m] + 1] - b->tok_off[right[m]]);
        total += len;
        if (total > UINT32_MAX) goto fail;
        b->tok_off[256 + m + 1] = (uint32_t)total;
    }
    b->tok_bytes = malloc(total);
    if (!b->tok_bytes) goto fail;
    for (int i = 0; i < 256; i++) b->tok_bytes[i] = (uint8_t)i;
    for (int m = 0; m < b->nmerges; m++) {
        uint8_t *dst = b->tok_bytes + b->tok_off[256 + m];
        uint32_t ll = b->tok_off[left[m] + 1] - b->tok_off[left[m]];
        uint32_t rl = b->tok_off[right[m] + 1] - b->tok_off[right[m]];
        memcpy(dst, b->tok_bytes + b->tok_off[left[m]], ll);
        memcpy(dst + ll, b->tok_bytes + b->tok_off[right[m]], rl);
    }
    *out = b;
    return 0;
fail:
    bpe_free(b);
    return -1;
}

int bpe_vocab(const bpe *b) {
    return b->vocab;
}

void bpe_merge(const bpe *b, int i, uint16_t *left, uint16_t *right) {
    *left = b->left[i];
    *right = b->right[i];
}

const uint8_t *bpe_token_bytes(const bpe *b, int id, size_t *len) {
    *len = b->tok_off[id + 1] - b->tok_off[id];
    return b->tok_bytes + b->tok_off[id];
}

uint64_t bpe_hash(const bpe *b) {
    return b->hash;
}

int bpe_trained_on(const bpe *b, uint64_t *bytes, uint64_t *fnv) {
    *bytes = b->src_bytes;
    *fnv = b->src_fnv;
    return b->has_src;
}
