/* Cleaners for line-oriented plain-text formats. */
#include "clean.h"

#include <ctype.h>
#include <string.h>

struct lines {
    const char *p, *end;
};

static int next_line(struct lines *it, const char **line, size_t *len) {
    if (it->p >= it->end) return 0;
    *line = it->p;
    *len = corpus_line_len(it->p, it->end);
    it->p += *len + 1;
    return 1;
}

static int starts(const char *p, size_t n, const char *prefix) {
    size_t k = strlen(prefix);
    return n >= k && memcmp(p, prefix, k) == 0;
}

static int contains(const char *p, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0) return 1;
    return 0;
}

void clean_text(const char *in, size_t n, struct cbuf *out) {
    cbuf_add(out, in, n);
}

/* Keeps the text between the "*** START OF ..." and "*** END OF ..." markers (and the
 * older "*END*THE SMALL PRINT" / "End of the Project Gutenberg" forms); without
 * markers the whole file is text. */
void clean_gutenberg(const char *in, size_t n, struct cbuf *out) {
    const char *start = in, *stop = in + n;
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        const char *q = p;
        size_t m = len;
        while (m && (*q == ' ' || *q == '*')) {
            q++;
            m--;
        }
        if (start == in && (starts(q, m, "START OF THE PROJECT GUTENBERG") ||
                            starts(q, m, "START OF THIS PROJECT GUTENBERG") ||
                            contains(p, len, "END*THE SMALL PRINT"))) {
            start = p + len + 1 < in + n ? p + len + 1 : in + n;
            continue;
        }
        if (p >= start && (starts(q, m, "END OF THE PROJECT GUTENBERG") ||
                           starts(q, m, "END OF THIS PROJECT GUTENBERG") ||
                           starts(q, m, "End of the Project Gutenberg") ||
                           starts(q, m, "End of Project Gutenberg"))) {
            stop = p;
            break;
        }
    }
    if (stop > start) cbuf_add(out, start, (size_t)(stop - start));
}

/* Each fortune becomes one paragraph; blank lines inside a fortune are kept as line
 * breaks so a fortune is never split or deduplicated in halves. */
void clean_fortune(const char *in, size_t n, struct cbuf *out) {
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        if (len == 1 && p[0] == '%') {
            cbuf_break(out, 2);
            continue;
        }
        size_t k = 0;
        while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r')) k++;
        if (k == len) { /* blank line inside a fortune */
            cbuf_break(out, 1);
            continue;
        }
        cbuf_add(out, p, len);
        cbuf_addc(out, '\n');
    }
}

/* Brown corpus: "word/tag" tokens, one sentence per line, paragraphs separated by blank
 * lines. Tags are dropped and the words re-spaced by English punctuation rules. */
void clean_brown(const char *in, size_t n, struct cbuf *out) {
    int need_space = 0, at_para_start = 1;
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        size_t i = 0;
        int any = 0;
        while (i < len) {
            while (i < len && isspace((unsigned char)p[i])) i++;
            size_t s = i;
            while (i < len && !isspace((unsigned char)p[i])) i++;
            if (i == s) break;
            size_t slash = i;
            while (slash > s && p[slash - 1] != '/') slash--;
            size_t wlen = slash > s ? slash - 1 - s : i - s;
            const char *w = p + s;
            if (wlen == 0) continue;
            any = 1;
            const char *text = w;
            size_t tlen = wlen;
            int glue_left = 0, glue_right = 0;
            if (wlen == 2 && memcmp(w, "``", 2) == 0) {
                text = "\"";
                tlen = 1;
                glue_right = 1;
            } else if (wlen == 2 && memcmp(w, "''", 2) == 0) {
                text = "\"";
                tlen = 1;
                glue_left = 1;
            } else if (wlen == 1 && strchr(".,;:!?)]}", w[0])) {
                glue_left = 1;
            } else if (wlen == 1 && strchr("([{", w[0])) {
                glue_right = 1;
            }
            if (need_space && !glue_left && !at_para_start) cbuf_addc(out, ' ');
            cbuf_add(out, text, tlen);
            at_para_start = 0;
            need_space = !glue_right;
        }
        if (!any) {
            if (!at_para_start) cbuf_break(out, 2);
            at_para_start = 1;
            need_space = 0;
        }
    }
}

/* groff -Tutf8 -man output: drop the running header and footer (first and last
 * non-blank lines) and the fixed indentation, and squeeze justification spaces. */
void clean_man(const char *in, size_t n, struct cbuf *out) {
    const char *first = NULL, *last = NULL;
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        size_t k = 0;
        while (k < len && isspace((unsigned char)p[k])) k++;
        if (k < len) {
            if (!first) first = p;
            last = p;
        }
    }
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        if (p == first || p == last) continue;
        size_t i = 0;
        while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
        int space = 0;
        for (; i < len; i++) {
            if (p[i] == ' ' || p[i] == '\t') {
                space = 1;
                continue;
            }
            if (space) cbuf_addc(out, ' ');
            space = 0;
            cbuf_addc(out, p[i]);
        }
        cbuf_addc(out, '\n');
    }
}

/* vim help: drop *tag* anchors, the modeline and the ">"/"<" example markers; |link|
 * becomes link. */
void clean_vimhelp(const char *in, size_t n, struct cbuf *out) {
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        if (starts(p, len, " vim:") || starts(p, len, "vim:")) continue;
        size_t l = len;
        if (l == 1 && p[0] == '<') continue;
        size_t line_start = out->n;
        int tag_at_start = 0; /* a dropped leading *tag* takes its spacing with it */
        if (l >= 2 && p[l - 1] == '>' && p[l - 2] == ' ')
            l -= 2;
        else if (l == 1 && p[0] == '>')
            l = 0;
        for (size_t i = 0; i < l; i++) {
            char c = p[i];
            if ((c == '*' || c == '|') && (i == 0 || isspace((unsigned char)p[i - 1]))) {
                size_t j = i + 1;
                while (j < l && p[j] != c && !isspace((unsigned char)p[j])) j++;
                if (j < l && p[j] == c && j > i + 1 &&
                    (j + 1 == l || isspace((unsigned char)p[j + 1]) || strchr(".,;:)", p[j + 1]))) {
                    if (c == '|')
                        cbuf_add(out, p + i + 1, j - i - 1);
                    else if (out->n == line_start)
                        tag_at_start = 1;
                    i = j;
                    continue;
                }
            }
            if (tag_at_start && (c == ' ' || c == '\t')) continue;
            tag_at_start = 0;
            cbuf_addc(out, c);
        }
        cbuf_addc(out, '\n');
    }
}

/* git's AsciiDoc: drop conditionals, includes, anchors, attribute and block-delimiter
 * lines; linkgit:git-x[1] becomes git-x(1). */
void clean_asciidoc(const char *in, size_t n, struct cbuf *out) {
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        if (starts(p, len, "ifdef::") || starts(p, len, "ifndef::") || starts(p, len, "endif::") ||
            starts(p, len, "include::") || starts(p, len, "[[") ||
            (len >= 2 && p[0] == '[' && p[len - 1] == ']') ||
            (len >= 2 && p[0] == ':' && memchr(p + 1, ':', len - 1)) || (len == 1 && p[0] == '+') ||
            (len == 2 && memcmp(p, "--", 2) == 0) || starts(p, len, "////"))
            continue;
        for (size_t i = 0; i < len; i++) {
            if (len - i > 8 && memcmp(p + i, "linkgit:", 8) == 0) {
                size_t j = i + 8;
                while (j < len && p[j] != '[' && !isspace((unsigned char)p[j])) j++;
                if (j < len && p[j] == '[') {
                    size_t k = j + 1;
                    while (k < len && p[k] != ']') k++;
                    if (k < len) {
                        cbuf_add(out, p + i + 8, j - i - 8);
                        cbuf_addc(out, '(');
                        cbuf_add(out, p + j + 1, k - j - 1);
                        cbuf_addc(out, ')');
                        i = k;
                        continue;
                    }
                }
            }
            cbuf_addc(out, p[i]);
        }
        cbuf_addc(out, '\n');
    }
}

/* WordNet data.* lines: "offset lexfile pos count word lexid ... | gloss". Output
 * "word, word (pos): gloss", one synset a line, 32 synsets a paragraph. */
void clean_wordnet(const char *in, size_t n, struct cbuf *out) {
    int in_para = 0;
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        if (len == 0 || p[0] == ' ') continue; /* the licence header lines start with two spaces */
        const char *bar = memchr(p, '|', len);
        if (!bar) continue;
        /* fields: offset lex_filenum ss_type w_cnt(hex) {word lex_id} */
        const char *f[4];
        size_t fl[4];
        size_t i = 0;
        int k;
        for (k = 0; k < 4; k++) {
            while (i < len && p[i] == ' ') i++;
            f[k] = p + i;
            while (i < len && p[i] != ' ') i++;
            fl[k] = (size_t)(p + i - f[k]);
        }
        unsigned long words = 0;
        for (size_t j = 0; j < fl[3]; j++) {
            int c = tolower((unsigned char)f[3][j]);
            if (!isxdigit(c)) break;
            words = words * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
        }
        const char *pos = fl[2] ? (f[2][0] == 'n'   ? "noun"
                                   : f[2][0] == 'v' ? "verb"
                                   : f[2][0] == 'r' ? "adverb"
                                                    : "adjective")
                                : "?";
        for (unsigned long w = 0; w < words && i < len; w++) {
            while (i < len && p[i] == ' ') i++;
            size_t s = i;
            while (i < len && p[i] != ' ') i++;
            size_t e = i;
            /* adjective markers like "(a)" and the trailing lex id */
            if (e > s && p[e - 1] == ')') {
                size_t q = e;
                while (q > s && p[q - 1] != '(') q--;
                if (q > s) e = q - 1;
            }
            if (w) cbuf_adds(out, ", ");
            for (size_t j = s; j < e; j++) cbuf_addc(out, p[j] == '_' ? ' ' : p[j]);
            while (i < len && p[i] == ' ') i++;
            while (i < len && p[i] != ' ') i++; /* lex_id */
        }
        cbuf_adds(out, " (");
        cbuf_adds(out, pos);
        cbuf_adds(out, "): ");
        const char *g = bar + 1;
        const char *ge = p + len;
        while (g < ge && *g == ' ') g++;
        cbuf_add(out, g, (size_t)(ge - g));
        cbuf_addc(out, '\n');
        if (++in_para == 32) {
            cbuf_break(out, 2);
            in_para = 0;
        }
    }
}

/* Translation-en stanzas: "Package: p", "Description-en: short", continuation lines
 * starting with a space. Each package starts a new paragraph. */
void clean_debdesc(const char *in, size_t n, struct cbuf *out) {
    const char *pkg = NULL;
    size_t pkglen = 0;
    int in_desc = 0;
    for (struct lines it = {in, in + n};;) {
        const char *p;
        size_t len;
        if (!next_line(&it, &p, &len)) break;
        if (starts(p, len, "Package: ")) {
            cbuf_break(out, 2);
            pkg = p + 9;
            pkglen = len - 9;
            in_desc = 0;
        } else if (starts(p, len, "Description-en: ")) {
            if (pkg) {
                cbuf_add(out, pkg, pkglen);
                cbuf_adds(out, ": ");
            }
            cbuf_add(out, p + 16, len - 16);
            cbuf_addc(out, '\n');
            in_desc = 1;
        } else if (in_desc && len > 0 && p[0] == ' ') {
            if (len == 2 && p[1] == '.')
                cbuf_addc(out, '\n'); /* " ." is an empty line: a paragraph break */
            else {
                cbuf_add(out, p + 1, len - 1);
                cbuf_addc(out, '\n');
            }
        } else {
            in_desc = 0;
        }
    }
}
