#ifndef CORPUS_SWORD_H
#define CORPUS_SWORD_H

#include <stddef.h>
#include <stdio.h>

/* Writes the verse entries of the zText module in `module_dir` (the directory holding
 * ot.bzs/ot.bzz/ot.bzv and nt.*) to `out`, one entry per line. */
int sword_dump(const char *module_dir, FILE *out, char *err, size_t errlen);

#endif
