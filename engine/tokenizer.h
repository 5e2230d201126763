#ifndef PSL_TOKENIZER_H
#define PSL_TOKENIZER_H

/* Byte-level BPE tokenizer, trained by the project on the training split.
 *
 * Vocabulary. Ids 0..255 are the raw bytes, so every byte string (invalid UTF-8 and NUL
 * included) encodes and decodes back exactly. Ids 256.. are merges in the order they were
 * learned: merge i joins the pair (left, right) into id 256 + i. Id 0 (the NUL byte) is the
 * end-of-document token of docs/data.md; merges never cross it.
 *
 * Default vocabulary: 4096. The models this project trains have N of 10^5..10^7
 * non-embedding parameters; an embedding plus LM head of 2 * vocab * d_model must not
 * dwarf them (at d_model 128, 4096 entries cost 1M parameters, already more than a
 * 4-layer body's 0.8M). Measured on the prose tier's validation split with tokenizers
 * trained on its training split: 3.15 bytes per token at vocab 2048, 3.66 at 4096, 4.13
 * at 8192 (3.0 at 4096 on the full corpus, which has dictionaries and technical text).
 * Doubling past 4096 gives ~11% fewer tokens for twice the embedding parameters;
 * halving it gives ~16% more. A context of 256 tokens holds about 900 bytes of prose. Any size
 * 257..65536 works (ids are uint16).
 *
 * Pre-tokenisation. Before pairs are counted or merges applied the text is cut into
 * pieces, and merges only act inside a piece (so tokens never straddle a word boundary
 * and the encoder can cache pieces). Bytes fall into five classes:
 *   letter  A-Z a-z and every byte >= 0x80 (so UTF-8 sequences stay together),
 *   digit   0-9,
 *   space   ' ' \t \n \v \f \r,
 *   nul     0x00,
 *   punct   everything else (ASCII punctuation and other control bytes).
 * Starting at position i, the piece is:
 *   - nul: the single byte;
 *   - a ' ' directly followed by a letter, digit or punct byte: that space plus the run
 *     that follows (as GPT-2 does, " the" is one piece);
 *   - letter or punct: the maximal run of that class;
 *   - digit: a run of at most 3 digits (numbers split into groups of 3 from the left);
 *   - space: the maximal run of space bytes, except that when the run is longer than one
 *     byte, ends in ' ' and is followed by a letter, digit or punct byte, that last ' '
 *     is left to start the next piece ("\n\n The" -> "\n\n", " The").
 * No piece is longer than BPE_MAX_PIECE bytes: a longer run is cut there and continues
 * as a new piece. The cut depends only on the bytes from the last NUL onwards, so text
 * split after any NUL pre-tokenises the same in parts as whole.
 *
 * Training. Pieces of the training text are counted in a hash table; merges are then
 * learned on the table of unique pieces with pair counts updated incrementally (a pair
 * index, from each pair to the pieces that contain it, and a max-heap with lazy deletion).
 * Each step merges the most frequent pair; ties go to the smallest (left, right). All
 * occurrences are merged left to right. Same text and vocab size, same merges.
 *
 * Encoding applies, inside each piece, the lowest-ranked merge present (all occurrences,
 * left to right) until none applies, which reproduces training's segmentation.
 *
 * File format (tokenizer.bpe, UTF-8 text, lines end in '\n'):
 *     psl-bpe 1
 *     vocab V                                   257 <= V <= 65536
 *     trained-on bytes B fnv1a64 HHHHHHHHHHHHHHHH   optional: size and FNV-1a 64 of the
 *                                               training text (lets `sweep tokenize` see
 *                                               whether the tokenizer is up to date)
 *     merges M                                  M = V - 256
 *     L R                                       M lines; line i defines id 256 + i as the
 *     ...                                       concatenation of ids L and R (< 256 + i)
 * Lines may carry a trailing "# comment" (the writer puts each new token's bytes there,
 * escaped, for people reading the file); blank lines and lines starting with '#' are
 * skipped. A pair may appear only once. Token files record the FNV-1a 64 of this file's
 * bytes (docs/data.md section 3).
 */

#include <stddef.h>
#include <stdint.h>

#define BPE_DEFAULT_VOCAB 4096
#define BPE_MIN_VOCAB     257
#define BPE_MAX_VOCAB     65536
#define BPE_MAX_PIECE     64

typedef struct bpe bpe;

/* Learns vocab - 256 merges from text[0..n). Fails (naming the count it reached) when the
 * text has fewer distinct pairs than the merges asked for. Returns 0 or -1 with err set. */
int bpe_train(const uint8_t *text, size_t n, int vocab, bpe **out, char *err, size_t errlen);
/* As bpe_train with a thread count for counting pieces (<= 0: omp_get_max_threads(), which
 * bpe_train uses). The merges do not depend on it. */
int bpe_train_threads(const uint8_t *text, size_t n, int vocab, int threads, bpe **out, char *err,
                      size_t errlen);

/* Writes the tokenizer file atomically (temporary file, fsync, rename). */
int bpe_save(const bpe *b, const char *path, char *err, size_t errlen);
/* Reads and validates a tokenizer file; errors name path:line and what was expected. */
int bpe_load(const char *path, bpe **out, char *err, size_t errlen);
/* As bpe_load, from a buffer; name is used in messages. */
int bpe_parse(const char *text, size_t n, const char *name, bpe **out, char *err, size_t errlen);
void bpe_free(bpe *b);

int bpe_vocab(const bpe *b);
/* Merge i (0 <= i < vocab - 256) makes id 256 + i from left and right. */
void bpe_merge(const bpe *b, int i, uint16_t *left, uint16_t *right);
/* The bytes of token id (0 <= id < vocab). */
const uint8_t *bpe_token_bytes(const bpe *b, int id, size_t *len);
/* FNV-1a 64 of the tokenizer file (of bpe_save's output for a freshly trained one). */
uint64_t bpe_hash(const bpe *b);
/* Size and FNV-1a 64 of the training text; 0 if the file did not record them. */
int bpe_trained_on(const bpe *b, uint64_t *bytes, uint64_t *fnv);

/* Encodes text[0..n) into *out (malloc'd, *nout ids). threads <= 0 means
 * omp_get_max_threads(). The text is split after NUL bytes into parts encoded in
 * parallel; the result is identical for any thread count. */
int bpe_encode(const bpe *b, const uint8_t *text, size_t n, int threads, uint16_t **out,
               size_t *nout, char *err, size_t errlen);
/* Decodes ids into *out (malloc'd, *nout bytes); fails on an id >= vocab. */
int bpe_decode(const bpe *b, const uint16_t *ids, size_t n, uint8_t **out, size_t *nout, char *err,
               size_t errlen);

/* End (exclusive) of the pre-tokenisation piece that starts at i < n. */
size_t bpe_piece_end(const uint8_t *text, size_t n, size_t i);

#endif
