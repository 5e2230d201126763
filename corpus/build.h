/* The corpus builder: documents listed in a TSV -> cleaned, paragraph-deduplicated,
 * split by document, cut into pieces, shuffled; writes train.txt, val.txt and
 * manifest.json as docs/data.md section 1 specifies. */
#ifndef CORPUS_BUILD_H
#define CORPUS_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct corpus_opts {
    const char *list_path;      /* documents: source<TAB>format<TAB>id<TAB>path per line;
                                   relative paths are relative to the list's directory */
    const char *sources_path;   /* optional: name registry package version licence file
                                   bytes sha256 (TAB separated) per source */
    const char *out_dir;        /* must exist */
    const char *tier;           /* recorded in the manifest */
    uint64_t seed;              /* train-piece shuffle */
    size_t max_piece;           /* bytes per piece, without the NUL (16384) */
    size_t dedup_min;           /* paragraphs shorter than this are never deduplicated */
    unsigned val_per_mille;     /* fnv1a64(id) % 1000 < this -> validation (8) */
    const char *const *missing; /* recorded in the manifest as missing_sources */
    size_t nmissing;
};

void corpus_opts_default(struct corpus_opts *o);

/* Returns 0, or -1 with a message naming the file/line/document at fault. On error no
 * output file is replaced. */
int corpus_build(const struct corpus_opts *o, char *err, size_t errlen);

uint64_t corpus_fnv1a64(const void *p, size_t n);

/* Pieces: cut paragraphs (spans of `base`) into pieces of at most `max` bytes joined by
 * blank lines; paragraphs longer than `max` are cut at a line, sentence or word end
 * (or a UTF-8 boundary). Each piece is passed to `emit`. */
struct span {
    size_t off, len;
};
typedef void (*piece_fn)(void *ctx, const char *piece, size_t len);
void corpus_chunk(const char *base, const struct span *par, size_t np, size_t max, piece_fn emit,
                  void *ctx);

#endif
