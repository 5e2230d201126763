/* manifest.json: what went into the corpus and what came out, per source. */
#ifndef CORPUS_MANIFEST_H
#define CORPUS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

struct source_stats {
    char name[128], registry[16], package[128], version[64], licence[128], file[256];
    char sha256[72];
    uint64_t bytes_download;
    uint64_t files, docs, docs_val;
    uint64_t bytes_in;    /* bytes read from the extracted files (decompressed) */
    uint64_t bytes_clean; /* after cleaning, before deduplication */
    uint64_t paragraphs, dup_paragraphs, dup_bytes;
    uint64_t train_bytes, val_bytes, train_pieces, val_pieces;
};

struct manifest {
    const char *tier;
    uint64_t seed;
    size_t max_piece, dedup_min;
    unsigned val_per_mille;
    uint64_t train_pieces, val_pieces, train_bytes, val_bytes;
    uint64_t train_hash, val_hash; /* FNV-1a 64 of each output file */
    const char *const *missing;    /* sources that could not be prepared (--allow-missing) */
    size_t nmissing;
    struct source_stats *sources;
    size_t nsources, cap;
};

/* Writes dir/name. Returns 0, or -1 with a message. */
int manifest_write(const char *dir, const char *name, const struct manifest *m, char *err,
                   size_t errlen);

#endif
