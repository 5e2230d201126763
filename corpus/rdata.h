#ifndef CORPUS_RDATA_H
#define CORPUS_RDATA_H

#include <stddef.h>

/* Extracts the character vectors of an R lazy-load database (an .rdb file, as in
 * Debian's r-cran-* data packages) without R: writes each vector of at least
 * `min_len` strings to out_dir/vector-NNN.txt, one string a line. Returns the number
 * of files written, or -1 with a message. */
int rdata_dump(const char *rdb_path, const char *out_dir, size_t min_len, char *err, size_t errlen);

#endif
