/* Format table, encoding repair, dispatch and the normalisation shared by all formats. */
#include "clean.h"

#include <stdio.h>
#include <string.h>

static const char *const format_names[FMT_COUNT] = {
    "text", "gutenberg", "fortune", "brown", "man",     "html",    "rst",
    "pod",  "asciidoc",  "vimhelp", "dictd", "wordnet", "debdesc", "osis"};

int corpus_format_parse(const char *name, enum corpus_format *f) {
    for (int i = 0; i < FMT_COUNT; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *f = (enum corpus_format)i;
            return 0;
        }
    return -1;
}

const char *corpus_format_name(enum corpus_format f) {
    return (f >= 0 && f < FMT_COUNT) ? format_names[f] : "?";
}

int corpus_format_is_collection(enum corpus_format f) {
    return f == FMT_FORTUNE || f == FMT_DICTD || f == FMT_WORDNET || f == FMT_DEBDESC ||
           f == FMT_OSIS;
}

size_t corpus_line_len(const char *p, const char *end) {
    const char *q = memchr(p, '\n', (size_t)(end - p));
    return q ? (size_t)(q - p) : (size_t)(end - p);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. Rejects overlong
 * forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

static void put_codepoint(struct cbuf *b, unsigned cp) {
    char t[4];
    if (cp < 0x80) {
        cbuf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        cbuf_add(b, t, 2);
    } else {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        cbuf_add(b, t, 3);
    }
}

void corpus_utf8_repair(const char *in, size_t n, struct cbuf *out) {
    /* Windows-1252 0x80..0x9F; 0 = undefined there, dropped. */
    static const unsigned short cp1252[32] = {
        0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) i = 3;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] < 0x80) run++;
        cbuf_add(out, s + i, run - i);
        i = run;
        if (i >= n) break;
        size_t len = utf8_seq(s + i, n - i);
        if (len) {
            cbuf_add(out, s + i, len);
            i += len;
        } else {
            unsigned c = s[i++];
            unsigned cp = c < 0xA0 ? cp1252[c - 0x80] : c;
            if (cp) put_codepoint(out, cp);
        }
    }
}

int corpus_clean(enum corpus_format f, const char *in, size_t n, const char *path, struct cbuf *out,
                 char *err, size_t errlen) {
    switch (f) {
    case FMT_TEXT:
        clean_text(in, n, out);
        break;
    case FMT_GUTENBERG:
        clean_gutenberg(in, n, out);
        break;
    case FMT_FORTUNE:
        clean_fortune(in, n, out);
        break;
    case FMT_BROWN:
        clean_brown(in, n, out);
        break;
    case FMT_MAN:
        clean_man(in, n, out);
        break;
    case FMT_HTML:
        clean_html(in, n, out);
        break;
    case FMT_RST:
        clean_rst(in, n, out);
        break;
    case FMT_POD:
        clean_pod(in, n, out);
        break;
    case FMT_ASCIIDOC:
        clean_asciidoc(in, n, out);
        break;
    case FMT_VIMHELP:
        clean_vimhelp(in, n, out);
        break;
    case FMT_DICTD:
        return clean_dictd(in, n, path, out, err, errlen);
    case FMT_WORDNET:
        clean_wordnet(in, n, out);
        break;
    case FMT_DEBDESC:
        clean_debdesc(in, n, out);
        break;
    case FMT_OSIS:
        clean_osis(in, n, out);
        break;
    default:
        snprintf(err, errlen, "%s: unknown format %d", path, (int)f);
        return -1;
    }
    return 0;
}

/* A rule line: only one punctuation character repeated at least 4 times (section
 * underlines, separators), possibly indented or separated by spaces. */
static int is_rule_line(const char *p, size_t n) {
    char c = 0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ' ' || p[i] == '\t') continue;
        if (!strchr("=-_*~^#+.`'\"<>:/\\|", p[i])) return 0;
        if (c && p[i] != c) return 0;
        c = p[i];
        count++;
    }
    return count >= 4;
}

void corpus_normalize(const char *in, size_t n, struct cbuf *out) {
    const char *p = in, *end = in + n;
    int pending_blank = 0;
    struct cbuf line = {0};
    while (p < end) {
        size_t len = corpus_line_len(p, end);
        line.n = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c == '\b') { /* overstrike: drop the struck character */
                if (line.n) line.n--;
                continue;
            }
            if ((c < 0x20 && c != '\t') || c == 0x7F) continue;
            cbuf_addc(&line, (char)c);
        }
        while (line.n && (line.p[line.n - 1] == ' ' || line.p[line.n - 1] == '\t')) line.n--;
        if (line.n && is_rule_line(line.p, line.n)) line.n = 0;
        if (line.n == 0) {
            pending_blank = 1;
        } else {
            if (out->n) cbuf_add(out, pending_blank ? "\n\n" : "\n", pending_blank ? 2 : 1);
            cbuf_add(out, line.p, line.n);
            pending_blank = 0;
        }
        p += len + 1;
    }
    if (line.oom) out->oom = 1;
    cbuf_free(&line);
}
