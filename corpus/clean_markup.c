/* Tag-soup cleaners for HTML and OSIS XML: drop tags, skip non-text elements and
 * navigation blocks, turn block elements into paragraph breaks, decode entities. */
#include "clean.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tag_rules {
    const char *const *skip;      /* elements whose content is dropped */
    const char *const *skip_attr; /* "name=word" attributes whose element is dropped */
    const char *const *para;      /* elements that start/end a paragraph */
    const char *const *line;      /* elements that start a new line */
    int collapse_space;           /* HTML: whitespace runs are one space outside <pre> */
    const char *ignore_attr;      /* tags whose attributes contain this do nothing */
};

static const char *const html_skip[] = {"script", "style",  "head", "nav", "noscript",
                                        "svg",    "button", "form", NULL};
static const char *const html_skip_attr[] = {"class=navheader",
                                             "class=navfooter",
                                             "class=related",
                                             "class=sphinxsidebar",
                                             "class=footer",
                                             "class=breadcrumb",
                                             "class=headerlink",
                                             "class=navigation",
                                             "class=sidebar",
                                             "class=toc",
                                             "class=nav",
                                             "role=navigation",
                                             "role=search",
                                             "id=hd",
                                             "id=ft",
                                             "id=global-nav",
                                             "id=sidebar",
                                             "id=footer",
                                             "id=header",
                                             NULL};
static const char *const html_para[] = {
    "p",      "div",    "h1",    "h2",         "h3",      "h4",      "h5",   "h6",    "ul",
    "ol",     "dl",     "table", "blockquote", "section", "article", "hr",   "title", "pre",
    "header", "footer", "main",  "figure",     "center",  "address", "body", "html",  NULL};
static const char *const html_line[] = {"br", "li", "dt", "dd", "tr", "caption", NULL};

static const char *const osis_skip[] = {"note", "rdg", "header", NULL};
static const char *const osis_para[] = {"title", "div", "chapter", "p", "list", "table", NULL};
static const char *const osis_line[] = {"lb", "l", "lg", "item", "row", NULL};

static int in_list(const char *const *list, const char *name) {
    for (; *list; list++)
        if (strcmp(*list, name) == 0) return 1;
    return 0;
}

/* Does the attribute text hold name="... word ..." for a "name=word" of the list? */
static int attr_matches(const char *a, size_t n, const char *const *words) {
    for (size_t i = 0; i + 3 < n; i++) {
        if (i && !isspace((unsigned char)a[i - 1])) continue;
        size_t k = i;
        while (k < n && isalpha((unsigned char)a[k])) k++;
        if (k == i || k >= n || a[k] != '=') continue;
        size_t name_len = k - i;
        size_t j = k + 1;
        char q = (j < n && (a[j] == '"' || a[j] == '\'')) ? a[j++] : ' ';
        while (j < n && a[j] != q && a[j] != '>') {
            while (j < n && a[j] == ' ') j++;
            size_t s = j;
            while (j < n && a[j] != ' ' && a[j] != q && a[j] != '>') j++;
            for (const char *const *w = words; *w; w++) {
                const char *eq = strchr(*w, '=');
                if ((size_t)(eq - *w) == name_len && memcmp(*w, a + i, name_len) == 0 &&
                    strlen(eq + 1) == j - s && memcmp(eq + 1, a + s, j - s) == 0)
                    return 1;
            }
        }
    }
    return 0;
}

static void put_utf8(struct cbuf *b, unsigned long cp) {
    char t[4];
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
    if (cp < 0x80) {
        cbuf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        cbuf_add(b, t, 2);
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        cbuf_add(b, t, 3);
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        cbuf_add(b, t, 4);
    }
}

static const struct {
    const char *name;
    unsigned cp;
} entities[] = {{"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
                {"apos", '\''},     {"nbsp", ' '},     {"mdash", 0x2014}, {"ndash", 0x2013},
                {"hellip", 0x2026}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
                {"rdquo", 0x201D},  {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122},
                {"laquo", 0xAB},    {"raquo", 0xBB},   {"middot", 0xB7},  {"bull", 0x2022},
                {"times", 0xD7},    {"minus", 0x2212}, {"eacute", 0xE9},  {"para", 0xB6},
                {"sect", 0xA7},     {"deg", 0xB0},     {"rarr", 0x2192},  {"larr", 0x2190},
                {"zwsp", 0},        {"shy", 0},        {"thinsp", ' '}};

/* Decodes the entity at s[0]=='&'; returns bytes consumed (0 if not an entity). */
static size_t decode_entity(const char *s, size_t n, struct cbuf *out) {
    size_t j = 1;
    while (j < n && j < 12 && s[j] != ';' && (isalnum((unsigned char)s[j]) || s[j] == '#')) j++;
    if (j >= n || s[j] != ';' || j == 1) return 0;
    if (s[1] == '#') {
        unsigned long cp;
        char tmp[16];
        memcpy(tmp, s + 2, j - 2);
        tmp[j - 2] = 0;
        if (tmp[0] == 'x' || tmp[0] == 'X')
            cp = strtoul(tmp + 1, NULL, 16);
        else
            cp = strtoul(tmp, NULL, 10);
        put_utf8(out, cp == 0xA0 ? ' ' : cp);
        return j + 1;
    }
    for (size_t e = 0; e < sizeof entities / sizeof entities[0]; e++)
        if (strlen(entities[e].name) == j - 1 && memcmp(entities[e].name, s + 1, j - 1) == 0) {
            put_utf8(out, entities[e].cp);
            return j + 1;
        }
    return 0;
}

static void clean_tags(const char *in, size_t n, struct cbuf *out, const struct tag_rules *r) {
    size_t i = 0;
    int pre = 0, skip_depth = 0, word_gap = 0;
    char skip_tag[16] = "";
    while (i < n) {
        char c = in[i];
        if (c == '<' && i + 3 < n && memcmp(in + i, "<!--", 4) == 0) {
            const char *e = NULL;
            for (size_t k = i + 4; k + 2 < n; k++)
                if (in[k] == '-' && in[k + 1] == '-' && in[k + 2] == '>') {
                    e = in + k;
                    break;
                }
            i = e ? (size_t)(e - in) + 3 : n;
            continue;
        }
        if (c == '<' && i + 1 < n &&
            (isalpha((unsigned char)in[i + 1]) || in[i + 1] == '/' || in[i + 1] == '!' ||
             in[i + 1] == '?')) {
            size_t j = i + 1;
            int closing = 0;
            if (in[j] == '/') {
                closing = 1;
                j++;
            }
            char name[16];
            size_t k = 0;
            while (j < n && (isalnum((unsigned char)in[j]) || in[j] == ':' || in[j] == '-')) {
                if (k < sizeof name - 1) name[k++] = (char)tolower((unsigned char)in[j]);
                j++;
            }
            name[k] = 0;
            size_t attr = j;
            char q = 0;
            while (j < n && (q || in[j] != '>')) {
                if (q && in[j] == q)
                    q = 0;
                else if (!q && (in[j] == '"' || in[j] == '\''))
                    q = in[j];
                j++;
            }
            int selfclose = j > attr && in[j - 1] == '/';
            size_t attrlen = j - attr;
            i = j < n ? j + 1 : n;
            if (skip_depth) {
                if (strcmp(name, skip_tag) == 0 && !selfclose) skip_depth += closing ? -1 : 1;
                if (!skip_depth) word_gap = 1;
                continue;
            }
            if (!closing && !selfclose &&
                (in_list(r->skip, name) ||
                 (r->skip_attr && attr_matches(in + attr, attrlen, r->skip_attr)))) {
                if (strcmp(name, "br") != 0 && strcmp(name, "hr") != 0 &&
                    strcmp(name, "img") != 0 && strcmp(name, "input") != 0 &&
                    strcmp(name, "meta") != 0 && strcmp(name, "link") != 0) {
                    snprintf(skip_tag, sizeof skip_tag, "%s", name);
                    skip_depth = 1;
                }
                continue;
            }
            if (r->ignore_attr &&
                memmem(in + attr, attrlen, r->ignore_attr, strlen(r->ignore_attr)))
                continue;
            if (strcmp(name, "pre") == 0) pre = !closing;
            if (in_list(r->para, name))
                cbuf_break(out, 2);
            else if (in_list(r->line, name))
                cbuf_break(out, 1);
            else if ((strcmp(name, "td") == 0 || strcmp(name, "th") == 0) && out->n &&
                     out->p[out->n - 1] != '\n')
                cbuf_addc(out, ' ');
            continue;
        }
        if (skip_depth) {
            i++;
            continue;
        }
        if (c == '&') {
            size_t used = decode_entity(in + i, n - i, out);
            if (used) {
                i += used;
                continue;
            }
        }
        if (r->collapse_space && !pre && isspace((unsigned char)c)) {
            if (out->n && out->p[out->n - 1] != ' ' && out->p[out->n - 1] != '\n')
                cbuf_addc(out, ' ');
            i++;
            continue;
        }
        if (word_gap && out->n && isalnum((unsigned char)c) &&
            isalnum((unsigned char)out->p[out->n - 1]))
            cbuf_addc(out, ' '); /* a dropped footnote stood between two words */
        word_gap = 0;
        cbuf_addc(out, c);
        i++;
    }
}

void clean_html(const char *in, size_t n, struct cbuf *out) {
    static const struct tag_rules rules = {html_skip, html_skip_attr, html_para, html_line, 1,
                                           NULL};
    clean_tags(in, n, out, &rules);
}

void clean_osis(const char *in, size_t n, struct cbuf *out) {
    static const struct tag_rules rules = {osis_skip, NULL, osis_para, osis_line, 0, "x-milestone"};
    clean_tags(in, n, out, &rules);
}
