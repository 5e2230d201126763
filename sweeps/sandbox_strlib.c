/* string.find, match, gmatch, gsub and rep for the sandbox (lua_sandbox.h). They follow
 * the Lua 5.4 manual (section 6.4.1, patterns) but are written here so that their work
 * is counted: Lua's own matcher backtracks inside C, where the instruction hook never
 * fires, and `("a"):rep(30):find(("a*"):rep(30) .. "b")` would run for ages. Every
 * step of the matcher, every byte a plain find compares and every byte rep writes is
 * charged to the sandbox's instruction count (sandbox_charge), which also checks the
 * time limits. */
#include "lua_sandbox.h"

#include <lauxlib.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

enum { MAX_CAPTURES = 32, MAX_DEPTH = 200, CHARGE_EVERY = 4096 };
#define CAP_OPEN     (-1)
#define CAP_POSITION (-2)

typedef struct matcher {
    lua_State *L;
    const char *s0, *s_end; /* subject */
    const char *p_end;      /* pattern */
    int depth, ncap;
    struct {
        const char *at;
        ptrdiff_t len; /* or CAP_OPEN, CAP_POSITION */
    } cap[MAX_CAPTURES];
    long long steps; /* not yet charged */
} matcher;

static void m_init(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->s0 = s, m->s_end = s + ls;
    m->p_end = p + lp;
    m->depth = MAX_DEPTH, m->ncap = 0;
    m->steps = 0;
}

static void m_reset(matcher *m) {
    m->depth = MAX_DEPTH, m->ncap = 0;
}

static void m_flush(matcher *m) {
    long long n = m->steps;
    m->steps = 0;
    sandbox_charge(m->L, n);
}

static void m_step(matcher *m, long long n) {
    m->steps += n;
    if (m->steps >= CHARGE_EVERY) m_flush(m);
}

static int uc(char c) {
    return (unsigned char)c;
}

/* Whether character c is in class %cl (cl a letter; anything else stands for itself). */
static int in_class(int c, int cl) {
    int r;
    switch (tolower(cl)) {
    case 'a':
        r = isalpha(c);
        break;
    case 'c':
        r = iscntrl(c);
        break;
    case 'd':
        r = isdigit(c);
        break;
    case 'g':
        r = isgraph(c);
        break;
    case 'l':
        r = islower(c);
        break;
    case 'p':
        r = ispunct(c);
        break;
    case 's':
        r = isspace(c);
        break;
    case 'u':
        r = isupper(c);
        break;
    case 'w':
        r = isalnum(c);
        break;
    case 'x':
        r = isxdigit(c);
        break;
    case 'z': /* deprecated since Lua 5.2, still accepted */
        r = c == 0;
        break;
    default:
        return cl == c;
    }
    r = r != 0;
    return isupper(cl) ? !r : r;
}

/* Whether c is in the set [...] from p (at '[') to last (at its ']'). */
static int in_set(int c, const char *p, const char *last) {
    int yes = 1;
    p++;
    if (*p == '^') yes = 0, p++;
    for (; p < last; p++) {
        if (*p == '%' && p + 1 < last) {
            p++;
            if (in_class(c, uc(*p))) return yes;
        } else if (p + 2 < last && p[1] == '-') {
            if (uc(p[0]) <= c && c <= uc(p[2])) return yes;
            p += 2;
        } else if (uc(*p) == c) {
            return yes;
        }
    }
    return !yes;
}

/* The end of the single-character class at p (p < p_end). */
static const char *class_end(matcher *m, const char *p) {
    char c = *p++;
    if (c == '%') {
        if (p >= m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (p < m->p_end && *p == '^') p++;
        for (int first = 1;; first = 0) { /* a ']' first in the set is a member */
            if (p >= m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
            if (*p == ']' && !first) return p + 1;
            p += (*p == '%' && p + 1 < m->p_end) ? 2 : 1;
        }
    }
    return p;
}

/* Whether the subject character at s matches the class p..ep. */
static int single(matcher *m, const char *s, const char *p, const char *ep) {
    m_step(m, *p == '[' ? 1 + (ep - p) / 4 : 1);
    if (s >= m->s_end) return 0;
    int c = uc(*s);
    switch (*p) {
    case '.':
        return 1;
    case '%':
        return in_class(c, uc(p[1]));
    case '[':
        return in_set(c, p, ep - 1);
    default:
        return uc(*p) == c;
    }
}

static const char *do_match(matcher *m, const char *s, const char *p);

static const char *max_expand(matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0;
    while (single(m, s + i, p, ep)) i++;
    for (; i >= 0; i--) {
        const char *r = do_match(m, s + i, ep + 1);
        if (r) return r;
    }
    return NULL;
}

static const char *min_expand(matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *r = do_match(m, s, ep + 1);
        if (r) return r;
        if (!single(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t what) {
    if (m->ncap >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->cap[m->ncap].at = s;
    m->cap[m->ncap].len = what;
    m->ncap++;
    const char *r = do_match(m, s, p);
    if (!r) m->ncap--;
    return r;
}

static const char *close_capture(matcher *m, const char *s, const char *p) {
    int l = m->ncap - 1;
    while (l >= 0 && m->cap[l].len != CAP_OPEN) l--;
    if (l < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[l].len = s - m->cap[l].at;
    const char *r = do_match(m, s, p);
    if (!r) m->cap[l].len = CAP_OPEN;
    return r;
}

/* %bxy at q (q just after "%b"): the end of a balanced run starting at s, or NULL. */
static const char *balance(matcher *m, const char *s, const char *q) {
    if (q + 1 >= m->p_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->s_end || *s != q[0]) return NULL;
    long depth = 1;
    for (const char *t = s + 1; t < m->s_end; t++) {
        m_step(m, 1);
        if (*t == q[1]) {
            if (--depth == 0) return t + 1;
        } else if (*t == q[0]) {
            depth++;
        }
    }
    return NULL;
}

/* %1..%9 at s: the end of a copy of that capture, or NULL. */
static const char *back_reference(matcher *m, const char *s, int digit) {
    int l = digit - '1';
    if (l < 0 || l >= m->ncap || m->cap[l].len == CAP_OPEN)
        luaL_error(m->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = m->cap[l].len;
    if (len < 0 || m->s_end - s < len) return NULL;
    m_step(m, 1 + len / 16);
    return memcmp(m->cap[l].at, s, (size_t)len) ? NULL : s + len;
}

/* The end of a match of pattern p.. at s, or NULL. */
static const char *do_match(matcher *m, const char *s, const char *p) {
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    const char *r = NULL;
    for (;;) {
        m_step(m, 1);
        if (p >= m->p_end) {
            r = s;
            break;
        }
        if (*p == '(') {
            if (p + 1 < m->p_end && p[1] == ')')
                r = open_capture(m, s, p + 2, CAP_POSITION);
            else
                r = open_capture(m, s, p + 1, CAP_OPEN);
            break;
        }
        if (*p == ')') {
            r = close_capture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m->p_end) {
            r = s == m->s_end ? s : NULL;
            break;
        }
        if (*p == '%' && p + 1 < m->p_end) {
            if (p[1] == 'b') {
                if (!(s = balance(m, s, p + 2))) break;
                p += 4;
                continue;
            }
            if (p[1] == 'f') {
                const char *q = p + 2;
                if (q >= m->p_end || *q != '[')
                    luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(m, q);
                int prev = s == m->s0 ? 0 : uc(s[-1]);
                int cur = s < m->s_end ? uc(*s) : 0;
                if (in_set(prev, q, ep - 1) || !in_set(cur, q, ep - 1)) break;
                p = ep;
                continue;
            }
            if (isdigit(uc(p[1]))) {
                if (!(s = back_reference(m, s, uc(p[1])))) break;
                p += 2;
                continue;
            }
        }
        const char *ep = class_end(m, p);
        char q = ep < m->p_end ? *ep : 0;
        if (!single(m, s, p, ep)) {
            if (q == '*' || q == '?' || q == '-') { /* zero repetitions are fine */
                p = ep + 1;
                continue;
            }
            break;
        }
        if (q == '?') {
            if ((r = do_match(m, s + 1, ep + 1))) break;
            p = ep + 1;
            continue;
        }
        if (q == '+' || q == '*') {
            r = max_expand(m, q == '+' ? s + 1 : s, p, ep);
            break;
        }
        if (q == '-') {
            r = min_expand(m, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    m->depth++;
    return r;
}

/* Pushes capture i (the whole match s..e when there are none and i is 0). */
static void push_capture(matcher *m, int i, const char *s, const char *e) {
    if (i >= m->ncap) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t len = m->cap[i].len;
    if (len == CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (len == CAP_POSITION)
        lua_pushinteger(m->L, (lua_Integer)(m->cap[i].at - m->s0) + 1);
    else
        lua_pushlstring(m->L, m->cap[i].at, (size_t)len);
}

/* Pushes every capture; with none, the whole match (unless s is NULL). */
static int push_captures(matcher *m, const char *s, const char *e) {
    int n = m->ncap == 0 && s ? 1 : m->ncap;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

/* A 1-based, possibly negative, position as an offset from 1 (may exceed len). */
static size_t start_offset(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos - 1;
    if (pos == 0 || pos < -(lua_Integer)len) return 0;
    return len + (size_t)pos;
}

static int has_specials(const char *p, size_t lp) {
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr("^$*+?.([%-", p[i])) return 1;
    return 0;
}

/* First occurrence of p in s (memchr for its first byte, then a comparison), charged
 * by the bytes looked at. */
static const char *plain_find(lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *at = s, *last = s + (ls - lp); /* candidates at..last */
    long long cost = 0;
    const char *r = NULL;
    while (at <= last) {
        const char *c = memchr(at, p[0], (size_t)(last - at) + 1);
        cost += 1 + (c ? c - at : last - at) / 64;
        if (!c) break;
        cost += 1 + (long long)lp / 16;
        if (!memcmp(c + 1, p + 1, lp - 1)) {
            r = c;
            break;
        }
        at = c + 1;
        if (cost >= CHARGE_EVERY) {
            sandbox_charge(L, cost);
            cost = 0;
        }
    }
    sandbox_charge(L, cost);
    return r;
}

static int find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), ls);
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        sandbox_charge(L, (long long)(lp / 16));
        const char *r = plain_find(L, s + init, ls - init, p, lp);
        if (!r) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(r - s) + 1);
        lua_pushinteger(L, (lua_Integer)(r - s) + (lua_Integer)lp);
        return 2;
    }
    int anchor = lp > 0 && *p == '^';
    if (anchor) p++, lp--;
    matcher m;
    m_init(&m, L, s, ls, p, lp);
    for (size_t i = init; i <= ls; i++) {
        m_reset(&m);
        const char *e = do_match(&m, s + i, p);
        if (e) {
            m_flush(&m);
            if (!find) return push_captures(&m, s + i, e);
            lua_pushinteger(L, (lua_Integer)i + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return push_captures(&m, NULL, NULL) + 2;
        }
        if (anchor) break;
    }
    m_flush(&m);
    luaL_pushfail(L);
    return 1;
}

static int sb_find(lua_State *L) {
    return find_or_match(L, 1);
}
static int sb_match(lua_State *L) {
    return find_or_match(L, 0);
}

/* gmatch's iterator: upvalues subject, pattern and its state. */
typedef struct gmatch_state {
    size_t pos;  /* where the next attempt starts */
    size_t last; /* end of the last match (an empty match there is skipped) */
    int have_last;
} gmatch_state;

static int gmatch_next(lua_State *L) {
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    matcher m;
    m_init(&m, L, s, ls, p, lp);
    for (size_t i = g->pos; i <= ls; i++) {
        m_reset(&m);
        const char *e = do_match(&m, s + i, p);
        if (e && !(g->have_last && (size_t)(e - s) == g->last)) {
            g->pos = g->last = (size_t)(e - s);
            g->have_last = 1;
            m_flush(&m);
            return push_captures(&m, s + i, e);
        }
    }
    g->pos = ls + 1;
    m_flush(&m);
    return 0;
}

static int sb_gmatch(lua_State *L) {
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), ls);
    lua_settop(L, 2);
    gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->pos = init > ls ? ls + 1 : init;
    g->last = 0, g->have_last = 0;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* Appends the replacement string (argument 3) with %0..%9 and %% expanded. */
static void add_template(matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = m->L;
    size_t l;
    const char *t = lua_tolstring(L, 3, &l);
    m_step(m, 1 + (long long)l / 16);
    const char *pct;
    while ((pct = memchr(t, '%', l)) != NULL) {
        luaL_addlstring(b, t, (size_t)(pct - t));
        pct++; /* at most the string's terminating NUL */
        if (*pct == '%') {
            luaL_addchar(b, '%');
        } else if (*pct == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit(uc(*pct))) {
            push_capture(m, *pct - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%%' in replacement string");
        }
        l -= (size_t)(pct + 1 - t);
        t = pct + 1;
    }
    luaL_addlstring(b, t, l);
}

/* Appends the replacement of match s..e; returns whether it changed anything. */
static int add_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e, int tr) {
    lua_State *L = m->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_template(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the match */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1))
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int sb_gsub(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(
        L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
        "string/function/table");
    int anchor = lp > 0 && *p == '^';
    if (anchor) p++, lp--;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    matcher m;
    m_init(&m, L, s, ls, p, lp);
    size_t i = 0;
    const char *last = NULL;
    lua_Integer n = 0;
    int changed = 0;
    while (n < max_n) {
        m_reset(&m);
        const char *e = do_match(&m, s + i, p);
        if (e && e != last) {
            n++;
            changed |= add_replacement(&m, &b, s + i, e, tr);
            i = (size_t)(e - s);
            last = e;
        } else if (i < ls) {
            luaL_addchar(&b, s[i++]);
        } else {
            break;
        }
        if (anchor) break;
    }
    m_flush(&m);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, s + i, ls - i);
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* string.rep: "" at once when nothing is repeated (Lua's own loops n times over empty
 * copies), refused when the result could not fit in the memory limit, and charged by
 * the bytes it writes. */
static int sb_rep(lua_State *L) {
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    size_t room = sandbox_room(L);
    if (l + lsep < l || (lua_Unsigned)n > room / (l + lsep) + 1)
        return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * l + (size_t)(n - 1) * lsep;
    if (total > room) return luaL_error(L, "resulting string too large");
    sandbox_charge(L, (long long)(total / 16) + 1);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, total);
    for (lua_Integer k = 0; k < n; k++) {
        memcpy(out, s, l);
        out += l;
        if (k + 1 < n && lsep) {
            memcpy(out, sep, lsep);
            out += lsep;
        }
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

void sandbox_open_strlib(lua_State *L) {
    static const luaL_Reg fns[] = {{"find", sb_find}, {"match", sb_match}, {"gmatch", sb_gmatch},
                                   {"gsub", sb_gsub}, {"rep", sb_rep},     {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
