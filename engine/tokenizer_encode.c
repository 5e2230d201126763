/* BPE encoding (tokenizer.h, "Encoding"), with a per-thread piece cache, and decoding. */
#include "tokenizer_internal.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t merge_rank(const bpe *b, uint32_t key) {
    uint32_t i = mix32(key) & b->mmask;
    for (;;) {
        if (b->mrank[i] < 0) return -1;
        if (b->mkey[i] == key) return b->mrank[i];
        i = (i + 1) & b->mmask;
    }
}

/* Segments one piece by applying the lowest-ranked merge present until none applies. */
static int encode_piece(const bpe *b, const uint8_t *p, int len, uint16_t *out) {
    for (int i = 0; i < len; i++) out[i] = p[i];
    while (len >= 2) {
        int32_t best = INT32_MAX;
        for (int i = 0; i + 1 < len; i++) {
            int32_t r = merge_rank(b, pair_key(out[i], out[i + 1]));
            if (r >= 0 && r < best) best = r;
        }
        if (best == INT32_MAX) break;
        len = apply_merge(out, len, b->left[best], b->right[best], (uint16_t)(256 + best));
    }
    return len;
}

/* Per-thread cache, piece bytes -> ids, since most pieces repeat. Cleared when full. */
typedef struct {
    uint64_t *hash;
    uint32_t *koff, *ioff;
    uint8_t *klen, *nids; /* klen 0 marks an empty slot */
    size_t cap, used;
    uint8_t *keys;
    size_t nkeys, keys_cap;
    uint16_t *ids;
    size_t nids_used, ids_cap;
} piece_cache;

/* At most 1M cached pieces (2M slots) per thread, about 100 MB; a test build lowers it to
 * exercise the clearing. */
#ifndef BPE_CACHE_MAX_SLOTS
#define BPE_CACHE_MAX_SLOTS ((size_t)1 << 21)
#endif

static void cache_free(piece_cache *c) {
    free(c->hash);
    free(c->koff);
    free(c->ioff);
    free(c->klen);
    free(c->nids);
    free(c->keys);
    free(c->ids);
    memset(c, 0, sizeof *c);
}

static int cache_alloc(piece_cache *c, size_t cap) {
    c->cap = cap;
    c->used = 0;
    c->hash = malloc(cap * sizeof *c->hash);
    c->koff = malloc(cap * sizeof *c->koff);
    c->ioff = malloc(cap * sizeof *c->ioff);
    c->klen = calloc(cap, 1);
    c->nids = malloc(cap);
    return c->hash && c->koff && c->ioff && c->klen && c->nids ? 0 : -1;
}

static void cache_insert_slot(piece_cache *c, uint64_t h, uint32_t koff, uint8_t klen,
                              uint32_t ioff, uint8_t nids) {
    size_t i = (size_t)h & (c->cap - 1);
    while (c->klen[i]) i = (i + 1) & (c->cap - 1);
    c->hash[i] = h;
    c->koff[i] = koff;
    c->klen[i] = klen;
    c->ioff[i] = ioff;
    c->nids[i] = nids;
    c->used++;
}

/* Makes room for one more entry: doubles the table, or empties it at the size limit. */
static int cache_reserve(piece_cache *c) {
    if (c->used + 1 <= c->cap / 2 && c->nkeys + BPE_MAX_PIECE <= UINT32_MAX / 2) return 0;
    if (c->cap >= BPE_CACHE_MAX_SLOTS || c->nkeys + BPE_MAX_PIECE > UINT32_MAX / 2) {
        memset(c->klen, 0, c->cap);
        c->used = 0;
        c->nkeys = 0;
        c->nids_used = 0;
        return 0;
    }
    piece_cache g = *c;
    if (cache_alloc(&g, c->cap * 2) != 0) {
        free(g.hash);
        free(g.koff);
        free(g.ioff);
        free(g.klen);
        free(g.nids);
        return -1;
    }
    for (size_t i = 0; i < c->cap; i++)
        if (c->klen[i])
            cache_insert_slot(&g, c->hash[i], c->koff[i], c->klen[i], c->ioff[i], c->nids[i]);
    free(c->hash);
    free(c->koff);
    free(c->ioff);
    free(c->klen);
    free(c->nids);
    *c = g;
    return 0;
}

/* Appends the ids of piece p to out; returns how many, or -1 when out of memory. */
static int encode_cached(const bpe *b, piece_cache *c, const uint8_t *p, int len, uint16_t *out) {
    if (len == 1) {
        out[0] = p[0];
        return 1;
    }
    uint64_t h = piece_hash(p, (size_t)len);
    size_t i = (size_t)h & (c->cap - 1);
    while (c->klen[i]) {
        if (c->hash[i] == h && c->klen[i] == len && memcmp(c->keys + c->koff[i], p, len) == 0) {
            memcpy(out, c->ids + c->ioff[i], c->nids[i] * sizeof *out);
            return c->nids[i];
        }
        i = (i + 1) & (c->cap - 1);
    }
    int k = encode_piece(b, p, len, out);
    if (cache_reserve(c) != 0 ||
        grow((void **)&c->keys, &c->keys_cap, c->nkeys + (size_t)len, 1) != 0 ||
        grow((void **)&c->ids, &c->ids_cap, c->nids_used + (size_t)k, sizeof *c->ids) != 0)
        return -1;
    memcpy(c->keys + c->nkeys, p, (size_t)len);
    memcpy(c->ids + c->nids_used, out, (size_t)k * sizeof *out);
    cache_insert_slot(c, h, (uint32_t)c->nkeys, (uint8_t)len, (uint32_t)c->nids_used, (uint8_t)k);
    c->nkeys += (size_t)len;
    c->nids_used += (size_t)k;
    return k;
}

/* Encodes one part; *out is malloc'd and holds *nout ids. */
static int encode_part(const bpe *b, piece_cache *c, const uint8_t *text, size_t n, uint16_t **out,
                       size_t *nout) {
    uint16_t *o = malloc((n ? n : 1) * sizeof *o);
    if (!o) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t e = bpe_piece_end(text, n, i);
        int got = encode_cached(b, c, text + i, (int)(e - i), o + k);
        if (got < 0) {
            free(o);
            return -1;
        }
        k += (size_t)got;
        i = e;
    }
    uint16_t *shrunk = realloc(o, (k ? k : 1) * sizeof *o);
    *out = shrunk ? shrunk : o;
    *nout = k;
    return 0;
}

#define PART_BYTES ((size_t)1 << 20)

int bpe_encode(const bpe *b, const uint8_t *text, size_t n, int threads, uint16_t **out,
               size_t *nout, char *err, size_t errlen) {
    *out = NULL;
    *nout = 0;
    /* Parts end just after a NUL, so encoding them separately gives the single-pass
     * result. */
    size_t nparts, *bounds = NULL;
    if (bpe_split_at_nul(text, n, PART_BYTES, &bounds, &nparts) != 0) goto oom;
    uint16_t **parts = calloc(nparts ? nparts : 1, sizeof *parts);
    size_t *counts = calloc(nparts ? nparts : 1, sizeof *counts);
    if (!parts || !counts) {
        free(parts);
        free(counts);
        goto oom;
    }
    if (threads <= 0) threads = omp_get_max_threads();
    if ((size_t)threads > nparts) threads = nparts ? (int)nparts : 1;
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        piece_cache c = {0};
        int ok = cache_alloc(&c, 1 << 12) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < nparts; p++) {
            if (!ok) continue;
            if (encode_part(b, &c, text + bounds[p], bounds[p + 1] - bounds[p], &parts[p],
                            &counts[p]) != 0) {
                ok = 0;
#pragma omp atomic write
                failed = 1;
            }
        }
        cache_free(&c);
    }
    size_t total = 0;
    for (size_t p = 0; p < nparts; p++) total += counts[p];
    uint16_t *o = failed ? NULL : malloc((total ? total : 1) * sizeof *o);
    if (o) {
        size_t k = 0;
        for (size_t p = 0; p < nparts; p++) {
            memcpy(o + k, parts[p], counts[p] * sizeof *o);
            k += counts[p];
        }
    }
    for (size_t p = 0; p < nparts; p++) free(parts[p]);
    free(parts);
    free(counts);
    free(bounds);
    if (!o) {
        snprintf(err, errlen, "out of memory while encoding %zu bytes", n);
        return -1;
    }
    *out = o;
    *nout = total;
    return 0;
oom:
    free(bounds);
    snprintf(err, errlen, "out of memory while encoding %zu bytes", n);
    return -1;
}

int bpe_decode(const bpe *b, const uint16_t *ids, size_t n, uint8_t **out, size_t *nout, char *err,
               size_t errlen) {
    *out = NULL;
    *nout = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= b->vocab) {
            snprintf(err, errlen, "token %zu is id %u, expected < vocab %d", i, ids[i], b->vocab);
            return -1;
        }
        total += b->tok_off[ids[i] + 1] - b->tok_off[ids[i]];
    }
    uint8_t *o = malloc(total ? total : 1);
    if (!o) {
        snprintf(err, errlen, "out of memory decoding %zu tokens", n);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t len = b->tok_off[ids[i] + 1] - b->tok_off[ids[i]];
        memcpy(o + k, b->tok_bytes + b->tok_off[ids[i]], len);
        k += len;
    }
    *out = o;
    *nout = total;
    return 0;
}
