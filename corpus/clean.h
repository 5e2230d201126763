/* Format-specific cleaners: raw bytes of one extracted file -> plain UTF-8 text whose
 * paragraphs are separated by blank lines. Every cleaner is followed by the same
 * normalisation (corpus_normalize), so cleaners only deal with their own markup. */
#ifndef CORPUS_CLEAN_H
#define CORPUS_CLEAN_H

#include "cbuf.h"

#include <stddef.h>

enum corpus_format {
    FMT_TEXT,      /* plain text */
    FMT_GUTENBERG, /* plain text with optional Project Gutenberg header/footer */
    FMT_FORTUNE,   /* fortune(6) file: entries separated by lines holding "%" */
    FMT_BROWN,     /* Brown corpus, word/tag tokens */
    FMT_MAN,       /* manual page already rendered by groff -Tutf8 */
    FMT_HTML,
    FMT_RST,      /* reStructuredText (Sphinx sources) */
    FMT_POD,      /* Perl POD */
    FMT_ASCIIDOC, /* git's AsciiDoc sources */
    FMT_VIMHELP,  /* vim :help files */
    FMT_DICTD,    /* dictd .dict(.dz) with its .index beside it */
    FMT_WORDNET,  /* WordNet data.* files: synset lines with glosses */
    FMT_DEBDESC,  /* Debian Translation-en: package descriptions */
    FMT_OSIS,     /* OSIS XML text (SWORD module dump) */
    FMT_COUNT
};

/* Returns 0 and sets *f, or -1 for an unknown name. */
int corpus_format_parse(const char *name, enum corpus_format *f);
const char *corpus_format_name(enum corpus_format f);
/* Collections (dictionaries, fortune files, description indexes) hold many small
 * independent texts; they are cut into parts before the split so one file does not
 * land wholly in validation. Books are not collections. */
int corpus_format_is_collection(enum corpus_format f);

/* Replaces invalid UTF-8 bytes by their Windows-1252 reading and drops a BOM, so every
 * later stage sees valid UTF-8. */
void corpus_utf8_repair(const char *in, size_t n, struct cbuf *out);

/* Cleans `n` bytes in format `f` into `out`. Input is taken as read (cleaners work on
 * ASCII markup, so any ASCII-compatible encoding passes through for corpus_utf8_repair
 * afterwards; dictd offsets count the bytes as stored). `path` names the input
 * (FMT_DICTD reads the .index file beside it). Returns 0, or -1 with a message. */
int corpus_clean(enum corpus_format f, const char *in, size_t n, const char *path, struct cbuf *out,
                 char *err, size_t errlen);

/* The common last pass: removes control characters, trailing blanks and rule lines
 * (one punctuation character repeated 4+ times), and makes paragraphs separated by
 * exactly one blank line with no blank lines at either end. */
void corpus_normalize(const char *in, size_t n, struct cbuf *out);

/* Per-format cleaners, one file per family. */
void clean_text(const char *in, size_t n, struct cbuf *out);
void clean_gutenberg(const char *in, size_t n, struct cbuf *out);
void clean_fortune(const char *in, size_t n, struct cbuf *out);
void clean_brown(const char *in, size_t n, struct cbuf *out);
void clean_man(const char *in, size_t n, struct cbuf *out);
void clean_html(const char *in, size_t n, struct cbuf *out);
void clean_rst(const char *in, size_t n, struct cbuf *out);
void clean_pod(const char *in, size_t n, struct cbuf *out);
void clean_asciidoc(const char *in, size_t n, struct cbuf *out);
void clean_vimhelp(const char *in, size_t n, struct cbuf *out);
int clean_dictd(const char *in, size_t n, const char *path, struct cbuf *out, char *err,
                size_t errlen);
void clean_wordnet(const char *in, size_t n, struct cbuf *out);
void clean_debdesc(const char *in, size_t n, struct cbuf *out);
void clean_osis(const char *in, size_t n, struct cbuf *out);

/* Line iteration helper: returns the length of the line starting at `p` (without the
 * newline) within `end`. */
size_t corpus_line_len(const char *p, const char *end);

#endif
