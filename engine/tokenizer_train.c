/* BPE training (tokenizer.h, "Training"): pieces counted in parallel, then merges learned
 * on the table of unique pieces with incrementally updated pair counts. */
#include "tokenizer_internal.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokfile.h"

/* Unique pieces of the training text: each is a substring of the text (off, len). */
typedef struct {
    uint64_t *hash;
    uint64_t *off;
    uint32_t *len; /* 0 marks an empty slot */
    int64_t *count;
    size_t cap, used;
} piece_table;

static int pt_init(piece_table *t, size_t cap) {
    t->cap = cap;
    t->used = 0;
    t->hash = malloc(cap * sizeof *t->hash);
    t->off = malloc(cap * sizeof *t->off);
    t->len = calloc(cap, sizeof *t->len);
    t->count = malloc(cap * sizeof *t->count);
    return t->hash && t->off && t->len && t->count ? 0 : -1;
}

static void pt_free(piece_table *t) {
    free(t->hash);
    free(t->off);
    free(t->len);
    free(t->count);
}

static void pt_put(piece_table *t, const uint8_t *text, uint64_t off, uint32_t len, uint64_t h,
                   int64_t count) {
    size_t mask = t->cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        if (t->len[i] == 0) {
            t->hash[i] = h;
            t->off[i] = off;
            t->len[i] = len;
            t->count[i] = count;
            t->used++;
            return;
        }
        if (t->hash[i] == h && t->len[i] == len && memcmp(text + t->off[i], text + off, len) == 0) {
            t->count[i] += count;
            return;
        }
        i = (i + 1) & mask;
    }
}

static int pt_grow(piece_table *t, const uint8_t *text) {
    piece_table g;
    if (pt_init(&g, t->cap * 2) != 0) {
        pt_free(&g);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->len[i]) pt_put(&g, text, t->off[i], t->len[i], t->hash[i], t->count[i]);
    pt_free(t);
    *t = g;
    return 0;
}

typedef struct {
    uint32_t key;
    uint32_t epoch; /* merge step that last touched the count */
    int64_t count, snap;
    uint32_t *occ; /* words containing the pair (may hold stale entries) */
    uint32_t nocc, occ_cap;
} pair_rec;

typedef struct {
    int64_t count;
    uint32_t key;
} heap_ent;

typedef struct {
    /* words: unique pieces of length >= 2 as symbol sequences */
    uint16_t *sym;
    size_t *woff;
    uint8_t *wlen;
    int64_t *wcnt;
    uint32_t *wepoch;
    size_t nwords;
    /* pairs: key -> index in recs */
    pair_rec *recs;
    size_t nrecs, recs_cap;
    uint32_t *pkey;
    int32_t *pidx; /* -1 empty */
    size_t pcap;
    heap_ent *heap;
    size_t nheap, heap_cap;
    uint32_t *touched;
    size_t ntouched, touched_cap;
    uint32_t epoch;
} trainer;

static inline int heap_before(heap_ent a, heap_ent b) {
    return a.count > b.count || (a.count == b.count && a.key < b.key);
}

static void heap_down(heap_ent *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && heap_before(h[l], h[m])) m = l;
        if (r < n && heap_before(h[r], h[m])) m = r;
        if (m == i) return;
        heap_ent t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int heap_push(trainer *T, int64_t count, uint32_t key) {
    if (grow((void **)&T->heap, &T->heap_cap, T->nheap + 1, sizeof *T->heap) != 0) return -1;
    size_t i = T->nheap++;
    T->heap[i] = (heap_ent){count, key};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_before(T->heap[i], T->heap[p])) break;
        heap_ent t = T->heap[i];
        T->heap[i] = T->heap[p];
        T->heap[p] = t;
        i = p;
    }
    return 0;
}

static heap_ent heap_pop(trainer *T) {
    heap_ent top = T->heap[0];
    T->heap[0] = T->heap[--T->nheap];
    heap_down(T->heap, T->nheap, 0);
    return top;
}

static int pair_table_grow(trainer *T) {
    size_t cap = T->pcap ? T->pcap * 2 : 1 << 16;
    uint32_t *k = malloc(cap * sizeof *k);
    int32_t *v = malloc(cap * sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < cap; i++) v[i] = -1;
    for (size_t r = 0; r < T->nrecs; r++) {
        size_t i = mix32(T->recs[r].key) & (cap - 1);
        while (v[i] >= 0) i = (i + 1) & (cap - 1);
        k[i] = T->recs[r].key;
        v[i] = (int32_t)r;
    }
    free(T->pkey);
    free(T->pidx);
    T->pkey = k;
    T->pidx = v;
    T->pcap = cap;
    return 0;
}

/* Index of the record for key, created (count 0) if new; -1 when out of memory. */
static int32_t pair_get(trainer *T, uint32_t key) {
    size_t i = mix32(key) & (T->pcap - 1);
    while (T->pidx[i] >= 0) {
        if (T->pkey[i] == key) return T->pidx[i];
        i = (i + 1) & (T->pcap - 1);
    }
    if (T->nrecs + 1 > T->pcap / 2) {
        if (pair_table_grow(T) != 0) return -1;
        return pair_get(T, key);
    }
    if (T->nrecs >= INT32_MAX ||
        grow((void **)&T->recs, &T->recs_cap, T->nrecs + 1, sizeof *T->recs) != 0)
        return -1;
    int32_t r = (int32_t)T->nrecs++;
    T->recs[r] = (pair_rec){.key = key};
    T->pkey[i] = key;
    T->pidx[i] = r;
    return r;
}

/* Adds d to a pair's count, remembering its count before this merge step. */
static int32_t pair_add(trainer *T, uint32_t key, int64_t d) {
    int32_t r = pair_get(T, key);
    if (r < 0) return -1;
    pair_rec *p = &T->recs[r];
    if (p->epoch != T->epoch) {
        p->epoch = T->epoch;
        p->snap = p->count;
        if (grow((void **)&T->touched, &T->touched_cap, T->ntouched + 1, sizeof *T->touched))
            return -1;
        T->touched[T->ntouched++] = (uint32_t)r;
    }
    p->count += d;
    return r;
}

static int occ_push(pair_rec *p, uint32_t w) {
    if (p->nocc > 0 && p->occ[p->nocc - 1] == w) return 0;
    if (p->nocc == p->occ_cap) {
        uint32_t c = p->occ_cap ? p->occ_cap * 2 : 4;
        uint32_t *q = realloc(p->occ, c * sizeof *q);
        if (!q) return -1;
        p->occ = q;
        p->occ_cap = c;
    }
    p->occ[p->nocc++] = w;
    return 0;
}

static void trainer_free(trainer *T) {
    free(T->sym);
    free(T->woff);
    free(T->wlen);
    free(T->wcnt);
    free(T->wepoch);
    for (size_t r = 0; r < T->nrecs; r++) free(T->recs[r].occ);
    free(T->recs);
    free(T->pkey);
    free(T->pidx);
    free(T->heap);
    free(T->touched);
}

static int count_range(piece_table *t, const uint8_t *text, size_t s, size_t e) {
    for (size_t i = s; i < e;) {
        size_t j = bpe_piece_end(text, e, i);
        if (j - i >= 2) {
            if (t->used + 1 > t->cap / 2 && pt_grow(t, text) != 0) return -1;
            pt_put(t, text, i, (uint32_t)(j - i), piece_hash(text + i, j - i), 1);
        }
        i = j;
    }
    return 0;
}

/* Counts the pieces of text (parts in parallel, one table per thread, then summed) and
 * turns those of length >= 2 into words. The order of the words depends on the thread
 * count; the merges do not, since each step's choice depends only on pair counts. */
static int count_words(trainer *T, const uint8_t *text, size_t n, int threads) {
    size_t *bounds, nparts;
    size_t target = n / ((size_t)threads * 8);
    if (target < ((size_t)1 << 16)) target = (size_t)1 << 16;
    if (bpe_split_at_nul(text, n, target, &bounds, &nparts) != 0) return -1;
    if ((size_t)threads > nparts) threads = nparts ? (int)nparts : 1;
    piece_table *tabs = calloc((size_t)threads, sizeof *tabs);
    if (!tabs) {
        free(bounds);
        return -1;
    }
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        piece_table *t = &tabs[omp_get_thread_num()];
        int ok = pt_init(t, 1 << 12) == 0;
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < nparts; p++)
            if (ok) ok = count_range(t, text, bounds[p], bounds[p + 1]) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
    }
    free(bounds);
    piece_table *t = &tabs[0];
    for (int k = 1; k < threads && !failed; k++) {
        piece_table *o = &tabs[k];
        for (size_t i = 0; i < o->cap && !failed; i++) {
            if (!o->len[i]) continue;
            if (t->used + 1 > t->cap / 2 && pt_grow(t, text) != 0)
                failed = 1;
            else
                pt_put(t, text, o->off[i], o->len[i], o->hash[i], o->count[i]);
        }
    }
    for (int k = 1; k < threads; k++) pt_free(&tabs[k]);
    if (failed) {
        pt_free(t);
        free(tabs);
        return -1;
    }
    size_t nsym = 0;
    for (size_t i = 0; i < t->cap; i++) nsym += t->len[i];
    T->nwords = t->used;
    T->sym = malloc((nsym + 1) * sizeof *T->sym);
    T->woff = malloc((t->used + 1) * sizeof *T->woff);
    T->wlen = malloc(t->used + 1);
    T->wcnt = malloc((t->used + 1) * sizeof *T->wcnt);
    T->wepoch = calloc(t->used + 1, sizeof *T->wepoch);
    int rc = T->sym && T->woff && T->wlen && T->wcnt && T->wepoch ? 0 : -1;
    size_t w = 0, o = 0;
    for (size_t i = 0; i < t->cap && rc == 0; i++) {
        if (!t->len[i]) continue;
        T->woff[w] = o;
        T->wlen[w] = (uint8_t)t->len[i];
        T->wcnt[w] = t->count[i];
        for (uint32_t k = 0; k < t->len[i]; k++) T->sym[o + k] = text[t->off[i] + k];
        o += t->len[i];
        w++;
    }
    pt_free(t);
    free(tabs);
    return rc;
}

static int init_pairs(trainer *T) {
    if (pair_table_grow(T) != 0) return -1;
    for (size_t w = 0; w < T->nwords; w++) {
        const uint16_t *s = T->sym + T->woff[w];
        for (int i = 0; i + 1 < T->wlen[w]; i++) {
            int32_t r = pair_get(T, pair_key(s[i], s[i + 1]));
            if (r < 0) return -1;
            T->recs[r].count += T->wcnt[w];
            if (occ_push(&T->recs[r], (uint32_t)w) != 0) return -1;
        }
    }
    T->heap = malloc((T->nrecs + 1) * sizeof *T->heap);
    if (!T->heap) return -1;
    T->heap_cap = T->nrecs + 1;
    for (size_t r = 0; r < T->nrecs; r++)
        T->heap[T->nheap++] = (heap_ent){T->recs[r].count, T->recs[r].key};
    for (size_t i = T->nheap / 2; i-- > 0;) heap_down(T->heap, T->nheap, i);
    return 0;
}

/* Merges (a, b) into x in every word that holds it, updating pair counts. */
static int merge_step(trainer *T, int32_t r, uint16_t a, uint16_t b, uint16_t x) {
    T->epoch++;
    T->ntouched = 0;
    /* The pair can never reappear (a and b are never recreated), so its list is taken. */
    uint32_t *occ = T->recs[r].occ;
    uint32_t nocc = T->recs[r].nocc;
    T->recs[r].occ = NULL;
    T->recs[r].nocc = T->recs[r].occ_cap = 0;
    int rc = 0;
    for (uint32_t k = 0; k < nocc && rc == 0; k++) {
        uint32_t w = occ[k];
        if (T->wepoch[w] == T->epoch) continue;
        T->wepoch[w] = T->epoch;
        uint16_t *s = T->sym + T->woff[w];
        int len = T->wlen[w], has = 0;
        for (int i = 0; i + 1 < len && !has; i++) has = s[i] == a && s[i + 1] == b;
        if (!has) continue;
        int64_t c = T->wcnt[w];
        for (int i = 0; i + 1 < len; i++)
            if (pair_add(T, pair_key(s[i], s[i + 1]), -c) < 0) rc = -1;
        len = apply_merge(s, len, a, b, x);
        T->wlen[w] = (uint8_t)len;
        for (int i = 0; i + 1 < len; i++) {
            int32_t q = pair_add(T, pair_key(s[i], s[i + 1]), c);
            if (q < 0)
                rc = -1;
            else if ((s[i] == x || s[i + 1] == x) && occ_push(&T->recs[q], w) != 0)
                rc = -1;
        }
    }
    free(occ);
    for (size_t k = 0; k < T->ntouched && rc == 0; k++) {
        pair_rec *p = &T->recs[T->touched[k]];
        if (p->count > p->snap && heap_push(T, p->count, p->key) != 0) rc = -1;
    }
    return rc;
}

int bpe_train(const uint8_t *text, size_t n, int vocab, bpe **out, char *err, size_t errlen) {
    return bpe_train_threads(text, n, vocab, 0, out, err, errlen);
}

int bpe_train_threads(const uint8_t *text, size_t n, int vocab, int threads, bpe **out, char *err,
                      size_t errlen) {
    *out = NULL;
    if (threads <= 0) threads = omp_get_max_threads();
    if (vocab < BPE_MIN_VOCAB || vocab > BPE_MAX_VOCAB) {
        snprintf(err, errlen, "vocab %d out of range, expected %d..%d", vocab, BPE_MIN_VOCAB,
                 BPE_MAX_VOCAB);
        return -1;
    }
    int nm = vocab - 256;
    uint16_t *left = malloc((size_t)nm * sizeof *left);
    uint16_t *right = malloc((size_t)nm * sizeof *right);
    trainer T = {0};
    if (!left || !right || count_words(&T, text, n, threads) != 0 || init_pairs(&T) != 0) goto oom;
    int m = 0;
    while (m < nm) {
        if (T.nheap == 0) {
            snprintf(err, errlen,
                     "training text too small: only %d merges possible, vocab %d needs %d", m,
                     vocab, nm);
            goto fail;
        }
        heap_ent top = heap_pop(&T);
        int32_t r = pair_get(&T, top.key);
        if (r < 0) goto oom;
        if (T.recs[r].count != top.count) {
            /* Stale entry: keep the invariant that every live pair has an entry at least
             * as large as its count. */
            if (T.recs[r].count > 0 && heap_push(&T, T.recs[r].count, top.key) != 0) goto oom;
            continue;
        }
        if (top.count <= 0) continue;
        uint16_t a = (uint16_t)(top.key >> 16), b = (uint16_t)(top.key & 0xffff);
        left[m] = a;
        right[m] = b;
        if (merge_step(&T, r, a, b, (uint16_t)(256 + m)) != 0) goto oom;
        m++;
    }
    trainer_free(&T);
    int bad;
    const char *why;
    bpe *bp;
    if (bpe_build(vocab, left, right, &bp, &bad, &why) != 0) {
        snprintf(err, errlen, "building the trained tokenizer failed: %s", why);
        return -1;
    }
    bp->has_src = 1;
    bp->src_bytes = n;
    bp->src_fnv = tok_fnv1a64(text, n);
    strbuf s = {0};
    if (bpe_serialize(bp, &s) != 0) {
        free(s.p);
        bpe_free(bp);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bp->hash = tok_fnv1a64(s.p, s.n);
    free(s.p);
    *out = bp;
    return 0;
oom:
    snprintf(err, errlen, "out of memory while training the tokenizer");
fail:
    trainer_free(&T);
    free(left);
    free(right);
    return -1;
}
