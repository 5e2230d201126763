/* reStructuredText (Sphinx sources): drop comments, targets, substitutions and
 * non-text directives with their indented bodies; keep admonition and code bodies;
 * reduce inline roles, literals and references to their text. */
#include "clean.h"

#include <ctype.h>
#include <string.h>

static const char *const drop_directives[] = {"toctree",
                                              "index",
                                              "image",
                                              "figure",
                                              "include",
                                              "literalinclude",
                                              "highlight",
                                              "sectionauthor",
                                              "moduleauthor",
                                              "codeauthor",
                                              "currentmodule",
                                              "module",
                                              "contents",
                                              "raw",
                                              "tabularcolumns",
                                              "meta",
                                              "kernel-doc",
                                              "kernel-abi",
                                              "kernel-feat",
                                              "kernel-include",
                                              "c:namespace",
                                              "c:namespace-push",
                                              "c:namespace-pop",
                                              "automodule",
                                              "autoclass",
                                              "autofunction",
                                              "productionlist",
                                              "csv-table",
                                              "flat-table",
                                              "default-role",
                                              "role",
                                              "testsetup",
                                              "testcleanup",
                                              "sectnum",
                                              "glossary-index",
                                              "currentmodule",
                                              "program",
                                              "cssclass",
                                              "rst-class",
                                              "auto-tabs",
                                              "spelling",
                                              "only",
                                              "ifconfig",
                                              "graphviz",
                                              "digraph",
                                              "kernel-figure",
                                              "kernel-render",
                                              "svg",
                                              NULL};

static size_t indent_of(const char *p, size_t n) {
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    return i;
}

static int dropped_directive(const char *name, size_t n) {
    for (const char *const *d = drop_directives; *d; d++)
        if (strlen(*d) == n && memcmp(*d, name, n) == 0) return 1;
    return 0;
}

/* Interpreted text `...`: "title <target>" -> title, "~a.b.c" -> c, "!x" -> x. */
static void put_interpreted(const char *s, size_t n, struct cbuf *out) {
    if (n && s[n - 1] == '>') {
        for (size_t k = n; k-- > 1;)
            if (s[k] == '<' && s[k - 1] == ' ') {
                n = k - 1;
                break;
            }
    }
    if (n && s[0] == '!') {
        s++;
        n--;
    } else if (n && s[0] == '~') {
        s++;
        n--;
        for (size_t k = n; k-- > 0;)
            if (s[k] == '.') {
                s += k + 1;
                n -= k + 1;
                break;
            }
    }
    cbuf_add(out, s, n);
}

static void rst_inline(const char *p, size_t n, struct cbuf *out) {
    size_t i = 0;
    while (i < n) {
        if (p[i] == '`' && i + 1 < n && p[i + 1] == '`') {
            size_t j = i + 2;
            while (j + 1 < n && !(p[j] == '`' && p[j + 1] == '`')) j++;
            if (j + 1 < n) {
                cbuf_add(out, p + i + 2, j - i - 2);
                i = j + 2;
                continue;
            }
        }
        if (p[i] == ':' && (i == 0 || !isalnum((unsigned char)p[i - 1]))) {
            size_t j = i + 1;
            while (j < n && (isalnum((unsigned char)p[j]) || strchr(":_+-", p[j]))) j++;
            if (j > i + 2 && j < n && p[j] == '`' && p[j - 1] == ':') {
                i = j; /* drop the role; the interpreted text follows */
                continue;
            }
        }
        if (p[i] == '`') {
            size_t j = i + 1;
            while (j < n && p[j] != '`') j++;
            if (j < n && j > i + 1) {
                put_interpreted(p + i + 1, j - i - 1, out);
                i = j + 1;
                while (i < n && p[i] == '_') i++;
                continue;
            }
        }
        if (p[i] == '*' && i + 1 < n && p[i + 1] == '*') {
            int open = (i == 0 || !isalnum((unsigned char)p[i - 1])) && i + 2 < n &&
                       !isspace((unsigned char)p[i + 2]);
            int close = i > 0 && !isspace((unsigned char)p[i - 1]) &&
                        (i + 2 >= n || !isalnum((unsigned char)p[i + 2]));
            if (open || close) {
                i += 2;
                continue;
            }
        }
        cbuf_addc(out, p[i]);
        i++;
    }
}

void clean_rst(const char *in, size_t n, struct cbuf *out) {
    const char *p = in, *end = in + n;
    long skip_indent = -1;   /* dropping lines indented more than this */
    long option_indent = -1; /* after a kept directive: its :option: lines */
    while (p < end) {
        size_t len = corpus_line_len(p, end);
        size_t ind = indent_of(p, len);
        int blank = ind == len;
        const char *q = p + ind;
        size_t m = len - ind;
        const char *next = p + len + 1;
        if (skip_indent >= 0) {
            if (blank || (long)ind > skip_indent) {
                p = next;
                continue;
            }
            skip_indent = -1;
        }
        if (option_indent >= 0) {
            if (!blank && (long)ind > option_indent && m > 1 && q[0] == ':') {
                p = next;
                continue;
            }
            option_indent = -1;
        }
        if (m >= 2 && q[0] == '.' && q[1] == '.' && (m == 2 || q[2] == ' ')) {
            const char *r = q + 3;
            size_t rn = m > 3 ? m - 3 : 0;
            const char *dc = NULL;
            for (size_t k = 0; k + 1 < rn; k++)
                if (r[k] == ':' && r[k + 1] == ':') {
                    dc = r + k;
                    break;
                }
            int is_footnote = rn > 0 && r[0] == '[';
            if (is_footnote) {
                const char *rb = memchr(r, ']', rn);
                if (rb) {
                    rst_inline(rb + 1, (size_t)(r + rn - rb - 1), out);
                    cbuf_addc(out, '\n');
                }
                p = next;
                continue;
            }
            if (!dc || (rn && (r[0] == '_' || r[0] == '|'))) { /* comment, target, substitution */
                skip_indent = (long)ind;
                p = next;
                continue;
            }
            size_t namelen = (size_t)(dc - r);
            if (dropped_directive(r, namelen)) {
                skip_indent = (long)ind;
                p = next;
                continue;
            }
            const char *args = dc + 2;
            while (args < r + rn && *args == ' ') args++;
            if (args < r + rn) {
                cbuf_addc(out, '\n');
                rst_inline(args, (size_t)(r + rn - args), out);
                cbuf_addc(out, '\n');
            }
            option_indent = (long)ind;
            p = next;
            continue;
        }
        size_t l = len;
        if (m == 2 && q[0] == ':' && q[1] == ':') {
            cbuf_addc(out, '\n');
            p = next;
            continue;
        }
        int colons = 0;
        if (l >= 3 && p[l - 1] == ':' && p[l - 2] == ':') {
            colons = 1;
            l -= 2;
            while (l > 0 && p[l - 1] == ' ') {
                l--;
                colons = 2; /* "text ::" -> "text" */
            }
        }
        rst_inline(p, l, out);
        if (colons == 1) cbuf_addc(out, ':');
        cbuf_addc(out, '\n');
        p = next;
    }
}
