/* Perl POD: commands become headings/items or are dropped, =begin/=end blocks and
 * non-POD code are dropped, formatting codes reduce to their text. */
#include "clean.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void pod_inline(const char *s, size_t n, struct cbuf *out);

static void pod_entity(const char *s, size_t n, struct cbuf *out) {
    static const struct {
        const char *name, *text;
    } names[] = {{"lt", "<"},          {"gt", ">"},
                 {"verbar", "|"},      {"sol", "/"},
                 {"amp", "&"},         {"quot", "\""},
                 {"apos", "'"},        {"nbsp", " "},
                 {"copy", "\xc2\xa9"}, {"eacute", "\xc3\xa9"},
                 {"auml", "\xc3\xa4"}, {"ouml", "\xc3\xb6"},
                 {"uuml", "\xc3\xbc"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, s, n) == 0) {
            cbuf_adds(out, names[i].text);
            return;
        }
    if (n && n < 12 && isdigit((unsigned char)s[0])) {
        char tmp[16];
        memcpy(tmp, s, n);
        tmp[n] = 0;
        unsigned long cp = strtoul(tmp, NULL, 0);
        if (cp > 0 && cp < 0x80) cbuf_addc(out, (char)cp);
    }
}

/* L<text|target> -> text; L<name/"section"> -> section; L<name> -> name. */
static void pod_link(const char *s, size_t n, struct cbuf *out) {
    int depth = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '<')
            depth++;
        else if (s[k] == '>')
            depth--;
        else if (s[k] == '|' && depth == 0) {
            pod_inline(s, k, out);
            return;
        }
    }
    int url = 0;
    for (size_t k = 0; k + 2 < n; k++)
        if (s[k] == ':' && s[k + 1] == '/' && s[k + 2] == '/') url = 1;
    const char *slash = url ? NULL : memchr(s, '/', n);
    if (slash && slash + 1 < s + n) {
        const char *t = slash + 1;
        size_t tn = (size_t)(s + n - t);
        if (tn >= 2 && t[0] == '"' && t[tn - 1] == '"') {
            t++;
            tn -= 2;
        }
        pod_inline(t, tn, out);
        return;
    }
    pod_inline(s, n, out);
}

static void pod_inline(const char *s, size_t n, struct cbuf *out) {
    size_t i = 0;
    while (i < n) {
        if (i + 1 < n && s[i + 1] == '<' && strchr("BICLEFSXZ", s[i])) {
            char code = s[i];
            size_t j = i + 1, k = 0;
            while (j < n && s[j] == '<') {
                k++;
                j++;
            }
            size_t cs = 0, ce = 0, next = 0;
            int found = 0;
            if (k >= 2 && j < n && isspace((unsigned char)s[j])) {
                for (size_t m = j; m + k < n + 1 && !found; m++) {
                    if (!isspace((unsigned char)s[m])) continue;
                    size_t r = 0;
                    while (r < k && m + 1 + r < n && s[m + 1 + r] == '>') r++;
                    if (r == k) {
                        cs = j;
                        while (cs < m && isspace((unsigned char)s[cs])) cs++;
                        ce = m;
                        next = m + 1 + k;
                        found = 1;
                    }
                }
            } else {
                int depth = 1;
                for (size_t m = i + 2; m < n; m++) {
                    if (s[m] == '<' && isupper((unsigned char)s[m - 1]))
                        depth++;
                    else if (s[m] == '>' && --depth == 0) {
                        cs = i + 2;
                        ce = m;
                        next = m + 1;
                        found = 1;
                        break;
                    }
                }
            }
            if (found) {
                if (code == 'E')
                    pod_entity(s + cs, ce - cs, out);
                else if (code == 'L')
                    pod_link(s + cs, ce - cs, out);
                else if (code != 'X' && code != 'Z')
                    pod_inline(s + cs, ce - cs, out);
                i = next;
                continue;
            }
        }
        cbuf_addc(out, s[i]);
        i++;
    }
}

static int is_blank(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)p[i])) return 0;
    return 1;
}

void clean_pod(const char *in, size_t n, struct cbuf *out) {
    const char *p = in, *end = in + n;
    int in_pod = 0, in_begin = 0;
    while (p < end) {
        /* one paragraph: lines up to a blank line */
        const char *s = p;
        while (p < end) {
            size_t len = corpus_line_len(p, end);
            int blank = is_blank(p, len);
            if (blank && p > s) {
                p += len + 1;
                break;
            }
            p += len + 1;
            if (blank) s = p;
        }
        const char *e = p > end ? end : p;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        size_t m = (size_t)(e - s);
        if (m == 0) continue;
        if (s[0] == '=' && m > 1 && isalpha((unsigned char)s[1])) {
            size_t w = 1;
            while (w < m && !isspace((unsigned char)s[w])) w++;
            const char *arg = s + w;
            while (arg < e && isspace((unsigned char)*arg)) arg++;
            size_t an = (size_t)(e - arg);
            if (w == 4 && memcmp(s, "=cut", 4) == 0) {
                in_pod = 0;
                continue;
            }
            in_pod = 1;
            if (in_begin) {
                if (w == 4 && memcmp(s, "=end", 4) == 0) in_begin = 0;
                continue;
            }
            if (w == 6 && memcmp(s, "=begin", 6) == 0) {
                in_begin = 1;
            } else if ((w == 6 && memcmp(s, "=head", 5) == 0) ||
                       (w == 5 && memcmp(s, "=item", 5) == 0)) {
                if (an && !(an == 1 && arg[0] == '*')) {
                    pod_inline(arg, an, out);
                    cbuf_adds(out, "\n\n");
                }
            }
            continue;
        }
        if (!in_pod || in_begin) continue;
        if (s[0] == ' ' || s[0] == '\t')
            cbuf_add(out, s, m);
        else
            pod_inline(s, m, out);
        cbuf_adds(out, "\n\n");
    }
}
