/* Loading a sweep config: the Lua sandbox runs it with the prelude, each returned run
 * becomes a resolved train_config with its identity, and the list is named, checked and
 * sorted (sweepdef.h). Run names are made in sweepdef_names.c, the JSON in sweepdef_json.c. */
#include "sweepdef.h"
#include "sweepdef_names.h"

#include "lua_sandbox.h"
#include "model.h"
#include "optimizer.h"
#include "prelude_lua.h"
#include "run_config.h"
#include "run_name.h"
#include "tokfile.h"
#include "train.h"

#include <lauxlib.h>
#include <lualib.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MAX_CONFIG_BYTES = 1 << 20, MAX_DATA_DIRS = 16 };

/* Vocabulary and size of each data directory's train split, read once per load. */
typedef struct data_info {
    char dir[512];
    int64_t vocab, train_tokens;
} data_info;

typedef struct loader {
    lua_sandbox sb;
    const sweep_load_opts *o;
    sweep_def *d;
    data_info data[MAX_DATA_DIRS];
    int ndata;
    size_t nknobs;
    const knob_def *knobs;
    unsigned char *explicit_set; /* [run][knob]: set by the config (not a default) */
    char *err;
    size_t errlen;
    const char *path, *text;
    size_t len;
    int rc;
} loader;

static int fail(loader *ld, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err, ld->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* check_name(s) for the prelude: nil when s follows the rule, else the reason and s
 * quoted for a message. Also what the C side applies to everything the config returns. */
static int lua_check_name(lua_State *L) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char why[512], quoted[400];
    if (sweep_check_name(s, len, why, sizeof why) == 0) return 0;
    sweep_quote_name(s, len, quoted, sizeof quoted);
    lua_pushstring(L, why);
    lua_pushstring(L, quoted);
    return 2;
}

static int data_lookup(loader *ld, const char *dir, int64_t *vocab, int64_t *train_tokens) {
    for (int i = 0; i < ld->ndata; i++)
        if (!strcmp(ld->data[i].dir, dir)) {
            *vocab = ld->data[i].vocab, *train_tokens = ld->data[i].train_tokens;
            return 0;
        }
    char path[600], why[512];
    snprintf(path, sizeof path, "%s/train.tok", dir);
    tokfile tf;
    int64_t v, n;
    if (tokfile_open(path, &tf, why, sizeof why) == 0) {
        v = tf.vocab, n = (int64_t)tf.n;
        tokfile_close(&tf);
    } else if (ld->o->fallback_vocab > 0) {
        v = ld->o->fallback_vocab, n = 0;
        ld->d->data_missing = 1;
    } else {
        return fail(ld, "data '%s': %s (tokenize it first: sweep tokenize %s)", dir, why, dir);
    }
    if (ld->ndata < MAX_DATA_DIRS) {
        data_info *di = &ld->data[ld->ndata++];
        snprintf(di->dir, sizeof di->dir, "%s", dir);
        di->vocab = v, di->train_tokens = n;
    }
    *vocab = v, *train_tokens = n;
    return 0;
}

/* Resolves a copy of c; fills N and the flops per token. */
static int resolve(loader *ld, train_config *c, int64_t *N, double *fpt, int64_t *train_tokens,
                   char *why, size_t whylen) {
    int64_t vocab;
    if (data_lookup(ld, c->data, &vocab, train_tokens)) {
        snprintf(why, whylen, "%s", ld->err);
        return -1;
    }
    if (run_config_resolve(c, vocab, why, whylen)) return -1;
    model_shape s = config_model_shape(c);
    *N = model_params_nonembedding(&s);
    *fpt = model_flops_per_token(&s);
    return 0;
}

/* The Lua value at idx as the text config_set reads, checking its type against the knob. */
static int value_text(lua_State *L, int idx, const knob_def *k, char *buf, size_t len, char *why,
                      size_t whylen) {
    int t = lua_type(L, idx);
    if (t == LUA_TNUMBER) {
        if (k->type == KNOB_STR) {
            snprintf(why, whylen, "knob %s: expected text (a string), got the number %s", k->name,
                     lua_tostring(L, idx));
            return -1;
        }
        if (lua_isinteger(L, idx)) {
            snprintf(buf, len, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double v = lua_tonumber(L, idx);
            if (!isfinite(v)) {
                snprintf(why, whylen, "knob %s: expected a finite number, got %g", k->name, v);
                return -1;
            }
            snprintf(buf, len, "%.17g", v);
        }
        return 0;
    }
    if (t == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (k->type != KNOB_STR) {
            snprintf(why, whylen, "knob %s: expected a number, got the string \"%.60s\"", k->name,
                     s);
            return -1;
        }
        if (n >= len || strlen(s) != n) {
            snprintf(why, whylen, "knob %s: text too long or holding a NUL byte", k->name);
            return -1;
        }
        memcpy(buf, s, n + 1);
        return 0;
    }
    snprintf(why, whylen, "knob %s: expected %s, got a %s", k->name,
             k->type == KNOB_STR ? "text (a string)" : "a number", lua_typename(L, t));
    return -1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A Lua tail call (`return sweep{...}`) leaves no line to report; the first line of the
 * source that assigns the key (`key =`) is then the best guess. */
static void guess_where(const loader *ld, const char *key, char *buf, size_t len) {
    const char *text = ld->text, *end = ld->text + ld->len;
    size_t klen = key ? strlen(key) : 0;
    int line = 1;
    for (const char *p = text; klen && p + klen <= end; p++) {
        if (*p == '\n') line++;
        if (memcmp(p, key, klen)) continue;
        int before_ok = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        const char *q = p + klen;
        if (!before_ok || (q < end && (isalnum((unsigned char)*q) || *q == '_'))) continue;
        while (q < end && (*q == ' ' || *q == '\t')) q++;
        if (q < end && *q == '=' && (q + 1 >= end || q[1] != '=')) {
            snprintf(buf, len, "%s:%d", ld->path, line);
            return;
        }
    }
    snprintf(buf, len, "%s", ld->path);
}

/* Pushes t[key] without metamethods: whatever a config returns is data, and its
 * metatable (__index, __len, __pairs, ...) is never consulted. Returns the value's type. */
static int raw_field(lua_State *L, int t, const char *key) {
    lua_pushstring(L, key);
    return lua_rawget(L, t < 0 ? t - 1 : t);
}

/* A location the config could forge stays one line of a message. */
static void one_line(char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) *s = '?';
}

/* Where field `key` of the run table at `run` was set. */
static void field_where(const loader *ld, lua_State *L, int run, const char *key, const char *dflt,
                        char *buf, size_t len) {
    if (raw_field(L, run, "__where") == LUA_TTABLE)
        raw_field(L, -1, key);
    else
        lua_pushnil(L);
    const char *w = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : dflt;
    if (!strcmp(w, "?"))
        guess_where(ld, key, buf, len);
    else
        snprintf(buf, len, "%s", w);
    one_line(buf);
    lua_pop(L, 2);
}

/* The table derived fields receive: every resolved knob, plus N, N_total,
 * flops_per_token and train_tokens. */
static void push_run_view(lua_State *L, const loader *ld, const train_config *c, int64_t N,
                          double fpt, int64_t train_tokens) {
    lua_createtable(L, 0, (int)ld->nknobs + 4);
    for (size_t i = 0; i < ld->nknobs; i++) {
        const knob_def *k = &ld->knobs[i];
        const char *p = (const char *)c + k->offset;
        if (k->type == KNOB_INT)
            lua_pushinteger(L, (lua_Integer) * (const int64_t *)p);
        else if (k->type == KNOB_REAL)
            lua_pushnumber(L, *(const double *)p);
        else
            lua_pushstring(L, p);
        lua_setfield(L, -2, k->name);
    }
    model_shape s = config_model_shape(c);
    lua_pushinteger(L, N);
    lua_setfield(L, -2, "N");
    lua_pushinteger(L, model_params_total(&s));
    lua_setfield(L, -2, "N_total");
    lua_pushinteger(L, (lua_Integer)c->tokens);
    lua_setfield(L, -2, "D");
    lua_pushnumber(L, fpt);
    lua_setfield(L, -2, "flops_per_token");
    lua_pushinteger(L, train_tokens);
    lua_setfield(L, -2, "train_tokens");
}

/* Converts the run table at the top of the stack into ld->d->runs[i]. */
static int build_run(loader *ld, size_t i, const char *sweep_where) {
    lua_State *L = ld->sb.L;
    int run = lua_gettop(L);
    sweep_run *r = &ld->d->runs[i];
    memset(r, 0, sizeof *r);
    train_config c;
    config_defaults(&c);
    unsigned char *expl = ld->explicit_set + i * ld->nknobs;

    /* Keys, sorted: derived fields run in this order too. The array is Lua userdata
     * so that a Lua error (out of memory) cannot leak it. */
    size_t nkeys = 0, cap = 0;
    lua_pushnil(L);
    while (lua_next(L, run)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            return fail(ld, "%s: run %zu has a field that is not a name = value pair", sweep_where,
                        i + 1);
        }
        cap++;
    }
    const char **keys = lua_newuserdatauv(L, (cap + 1) * sizeof *keys, 0);
    lua_pushnil(L);
    while (lua_next(L, run)) {
        lua_pop(L, 1);
        const char *key = lua_tostring(L, -1); /* anchored by the run table */
        if (strcmp(key, "__where") && nkeys < cap) keys[nkeys++] = key;
    }
    qsort(keys, nkeys, sizeof *keys, cmp_str);
    snprintf(r->where, sizeof r->where, "%s", sweep_where);

    char where[160], text[1024], why[768];
    int nderived = 0, rc = -1;
    for (size_t j = 0; j < nkeys; j++) {
        field_where(ld, L, run, keys[j], sweep_where, where, sizeof where);
        if (j == 0) snprintf(r->where, sizeof r->where, "%s", where);
        const knob_def *k = knob_find(keys[j]);
        if (!k && !strcmp(keys[j], "label")) {
            /* not a knob: a name for branch_from = "@LABEL" (resolve_branches) */
            size_t n = 0;
            const char *v =
                raw_field(L, run, keys[j]) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
            int bad = !v || sweep_check_name(v, n, why, sizeof why) || n >= sizeof r->label;
            if (bad) {
                char quoted[400] = "";
                if (v) sweep_quote_name(v, n, quoted, sizeof quoted);
                fail(ld,
                     "%s: field 'label': expected a name of at most %zu letters, digits, '.', "
                     "'_', '+', '=', '-', got %s%s",
                     where, sizeof r->label - 1, v ? quoted : "a ",
                     v ? "" : lua_typename(L, lua_type(L, -1)));
                lua_pop(L, 1);
                goto out;
            }
            memcpy(r->label, v, n + 1);
            lua_pop(L, 1);
            continue;
        }
        if (!strcmp(keys[j], "out")) {
            fail(ld,
                 "%s: knob out is chosen by sweep run (<results>/<sweep>/<run name>.h5); "
                 "remove it from the config",
                 where);
            goto out;
        }
        if (!k) {
            config_set(&c, keys[j], "0", why, sizeof why); /* for its suggestion */
            fail(ld, "%s: %s", where, why);
            goto out;
        }
        raw_field(L, run, keys[j]);
        if (lua_isfunction(L, -1)) {
            nderived++;
            lua_pop(L, 1);
            continue;
        }
        int bad = value_text(L, -1, k, text, sizeof text, why, sizeof why) ||
                  config_set(&c, keys[j], text, why, sizeof why);
        lua_pop(L, 1);
        if (bad) {
            fail(ld, "%s: %s", where, why);
            goto out;
        }
        expl[k - ld->knobs] = 1;
    }

    int64_t N, train_tokens;
    double fpt;
    train_config tmp = c;
    if (resolve(ld, &tmp, &N, &fpt, &train_tokens, why, sizeof why)) {
        fail(ld, "%s: run %zu: %s", r->where, i + 1, why);
        goto out;
    }
    /* Derived fields see the resolved run, other derived fields included: they are
     * evaluated again on the result until nothing changes (a few passes at most). */
    train_config statics = c;
    uint64_t prev_id = 0;
    for (int pass = 0; nderived && pass < 5; pass++) {
        c = statics;
        for (size_t j = 0; j < nkeys; j++) {
            raw_field(L, run, keys[j]);
            if (!lua_isfunction(L, -1)) {
                lua_pop(L, 1);
                continue;
            }
            field_where(ld, L, run, keys[j], sweep_where, where, sizeof where);
            const knob_def *k = knob_find(keys[j]);
            push_run_view(L, ld, &tmp, N, fpt, train_tokens);
            if (sandbox_call(&ld->sb, 1, 1, why, sizeof why)) {
                fail(ld, "run %zu, derived field '%s' (set at %s): %s", i + 1, keys[j], where, why);
                goto out;
            }
            int bad = value_text(L, -1, k, text, sizeof text, why, sizeof why) ||
                      config_set(&c, keys[j], text, why, sizeof why);
            lua_pop(L, 1);
            if (bad) {
                fail(ld, "run %zu, derived field '%s' (set at %s): %s", i + 1, keys[j], where, why);
                goto out;
            }
            expl[k - ld->knobs] = 1;
        }
        tmp = c;
        if (resolve(ld, &tmp, &N, &fpt, &train_tokens, why, sizeof why)) {
            fail(ld, "%s: run %zu (after derived fields): %s", r->where, i + 1, why);
            goto out;
        }
        uint64_t id = config_run_id(&tmp);
        if (pass > 0 && id == prev_id) break;
        if (pass == 4) {
            fail(ld,
                 "%s: run %zu: derived fields do not settle (they depend on each other in a "
                 "cycle)",
                 r->where, i + 1);
            goto out;
        }
        prev_id = id;
    }
    /* A name the config sets (or derives) becomes file names under --results. */
    const knob_def *name_knob = knob_find("name");
    if (name_knob && expl[name_knob - ld->knobs] &&
        sweep_check_name(tmp.name, strlen(tmp.name), why, sizeof why)) {
        char quoted[400];
        sweep_quote_name(tmp.name, strlen(tmp.name), quoted, sizeof quoted);
        field_where(ld, L, run, "name", sweep_where, where, sizeof where);
        int derived = raw_field(L, run, "name") == LUA_TFUNCTION;
        lua_pop(L, 1);
        if (derived)
            fail(ld, "run %zu, derived field 'name' (set at %s): run name %s: %s", i + 1, where,
                 quoted, why);
        else
            fail(ld, "%s: run %zu, field 'name': run name %s: %s", where, i + 1, quoted, why);
        goto out;
    }
    r->cfg = tmp;
    r->named = name_knob && expl[name_knob - ld->knobs];
    r->N = N;
    r->flops_per_token = fpt;
    r->flops = fpt * (double)tmp.tokens;
    r->train_tokens = train_tokens;
    r->id = config_run_id(&tmp);
    snprintf(r->id_hex, sizeof r->id_hex, "%016llx", (unsigned long long)r->id);
    run_precision_label(&tmp, r->precision, sizeof r->precision);
    rc = 0;
out:
    lua_settop(L, run);
    return rc;
}

static int cmp_run_id(const void *a, const void *b) {
    const sweep_run *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_run_order(const void *a, const void *b) {
    const sweep_run *x = a, *y = b;
    if (x->N != y->N) return x->N < y->N ? -1 : 1;
    if (x->cfg.tokens != y->cfg.tokens) return x->cfg.tokens < y->cfg.tokens ? -1 : 1;
    return strcmp(x->cfg.name, y->cfg.name);
}

/* Names in case-folded order (ties: byte order, so that the order is total). */
static int cmp_name_fold(const void *a, const void *b) {
    const sweep_run *x = *(const sweep_run *const *)a, *y = *(const sweep_run *const *)b;
    int c = strcasecmp(x->cfg.name, y->cfg.name);
    return c ? c : strcmp(x->cfg.name, y->cfg.name);
}

static int resolve_branches(loader *ld);

static int finish_runs(loader *ld) {
    sweep_def *d = ld->d;
    sweep_name_runs(d, ld->knobs, ld->nknobs, ld->explicit_set);
    qsort(d->runs, d->n, sizeof *d->runs, cmp_run_id);
    for (size_t i = 1; i < d->n; i++)
        if (d->runs[i].id == d->runs[i - 1].id)
            return fail(ld,
                        "two runs are the same run (run_id %s, %s): one made at %s, one at %s; "
                        "remove the duplicate",
                        d->runs[i].id_hex, d->runs[i].cfg.name, d->runs[i - 1].where,
                        d->runs[i].where);
    qsort(d->runs, d->n, sizeof *d->runs, cmp_run_order);
    /* Names must be unique, also where case does not count (file systems that fold
     * case): runs that differ only in knobs a name does not show (e.g. set by derived
     * fields) get a piece of their run id. */
    const sweep_run **by_name = malloc((d->n + 1) * sizeof *by_name);
    if (!by_name) return fail(ld, "out of memory for %zu runs", d->n);
    for (size_t i = 0; i < d->n; i++) by_name[i] = &d->runs[i];
    qsort(by_name, d->n, sizeof *by_name, cmp_name_fold);
    for (size_t i = 0; i < d->n;) {
        size_t j = i + 1;
        while (j < d->n && !strcasecmp(by_name[j]->cfg.name, by_name[i]->cfg.name)) j++;
        for (size_t k = i; j - i > 1 && k < j; k++) {
            sweep_run *r = &d->runs[by_name[k] - d->runs];
            sweep_name_add_id(r);
        }
        i = j;
    }
    int rc = 0;
    for (size_t i = 0; i < d->n && !rc; i++) {
        sweep_run *r = &d->runs[i];
        char why[512], quoted[400];
        if (sweep_check_name(r->cfg.name, strlen(r->cfg.name), why, sizeof why) == 0) continue;
        sweep_quote_name(r->cfg.name, strlen(r->cfg.name), quoted, sizeof quoted);
        rc = fail(ld,
                  "%s: run #%zu in plan order (d_model=%lld, n_layer=%lld, n_head=%lld, "
                  "tokens=%lld, seed=%lld, %s): %s run name %s %s; give the run a shorter "
                  "name (name = \"...\")",
                  r->where, i, (long long)r->cfg.d_model, (long long)r->cfg.n_layer,
                  (long long)r->cfg.n_head, (long long)r->cfg.tokens, (long long)r->cfg.seed,
                  r->precision, r->named ? "the" : "generated", quoted, why);
    }
    qsort(by_name, d->n, sizeof *by_name, cmp_name_fold);
    for (size_t i = 1; i < d->n && !rc; i++)
        if (!strcasecmp(by_name[i]->cfg.name, by_name[i - 1]->cfg.name))
            rc = fail(ld,
                      "two runs are both named %s%s%s (after run ids were added to names that "
                      "collide): one made at %s, one at %s; rename one",
                      by_name[i - 1]->cfg.name,
                      strcmp(by_name[i - 1]->cfg.name, by_name[i]->cfg.name) ? " and " : "",
                      strcmp(by_name[i - 1]->cfg.name, by_name[i]->cfg.name) ? by_name[i]->cfg.name
                                                                             : "",
                      by_name[i - 1]->where, by_name[i]->where);
    free(by_name);
    if (rc) return rc;
    for (size_t i = 0; i < d->n; i++) {
        int n = snprintf(d->runs[i].cfg.out, sizeof d->runs[i].cfg.out, "%s/%s.h5", d->dir,
                         d->runs[i].cfg.name);
        if (n < 0 || (size_t)n >= sizeof d->runs[i].cfg.out)
            return fail(ld, "run %s: results path too long", d->runs[i].cfg.name);
    }
    return resolve_branches(ld);
}

/* Steps of a resolved run, as train.c counts them: ceil(tokens / (batch ctx)), at least 1. */
static int64_t run_steps(const train_config *c) {
    int64_t per = c->batch * c->ctx, n = per > 0 ? (c->tokens + per - 1) / per : 0;
    return n < 1 ? 1 : n;
}

void sweep_kept_checkpoint(const sweep_run *r, char *buf, size_t len) {
    train_kept_checkpoint_path(r->cfg.branch_from, r->branch_step, buf, len);
}

/* branch_from naming a run of the sweep (its name, name.h5, its file, or "@LABEL") becomes
 * that run's file, and the run its parent: sweep run starts the branch once the parent
 * has kept the checkpoint at the branch's decay start, which the parent's ckpt_keep must
 * hold. Any other branch_from is a run file outside the sweep. Labels are unique and the
 * parents form no cycle. */
static int resolve_branches(loader *ld) {
    sweep_def *d = ld->d;
    for (size_t i = 0; i < d->n; i++) d->runs[i].parent = -1, d->runs[i].branch_step = 0;
    for (size_t i = 0; i < d->n; i++)
        for (size_t k = i + 1; k < d->n && d->runs[i].label[0]; k++)
            if (!strcmp(d->runs[i].label, d->runs[k].label))
                return fail(ld,
                            "label \"%s\" is on two runs (%s, made at %s, and %s, made at %s); "
                            "labels name one run each (a cooldown{} inside grid{}? give "
                            "cooldown{} the other axes instead)",
                            d->runs[i].label, d->runs[i].cfg.name, d->runs[i].where,
                            d->runs[k].cfg.name, d->runs[k].where);
    for (size_t i = 0; i < d->n; i++) {
        sweep_run *r = &d->runs[i];
        const char *ref = r->cfg.branch_from;
        if (!ref[0]) continue;
        long p = -1;
        size_t rlen = strlen(ref);
        for (size_t k = 0; k < d->n && p < 0; k++) {
            const sweep_run *q = &d->runs[k];
            size_t nlen = strlen(q->cfg.name);
            if (ref[0] == '@' ? !strcmp(q->label, ref + 1)
                              : !strcmp(q->cfg.name, ref) || !strcmp(q->cfg.out, ref) ||
                                    (rlen == nlen + 3 && !strncmp(ref, q->cfg.name, nlen) &&
                                     !strcmp(ref + nlen, ".h5")))
                p = (long)k;
        }
        if (ref[0] == '@' && p < 0)
            return fail(ld, "%s: run %s: branch_from=%s: no run of the sweep has label = \"%s\"",
                        r->where, r->cfg.name, ref, ref + 1);
        if (p == (long)i)
            return fail(ld, "%s: run %s: branch_from=%s names the run itself", r->where,
                        r->cfg.name, ref);
        int64_t steps = run_steps(&r->cfg), S = lr_decay_start(&r->cfg, steps);
        if (S < 1)
            return fail(ld,
                        "%s: run %s: branch_from: decay_frac=%g decays all %lld steps of the run, "
                        "so it starts from no step of its parent",
                        r->where, r->cfg.name, r->cfg.decay_frac, (long long)steps);
        r->branch_step = S;
        if (p < 0) continue;
        const sweep_run *q = &d->runs[p];
        char why[512];
        int has = run_ckpt_keep_has(q->cfg.ckpt_keep, S, why, sizeof why);
        if (has < 0) return fail(ld, "%s: run %s: %s", q->where, q->cfg.name, why);
        if (!has)
            return fail(ld,
                        "%s: run %s branches from %s at step %lld (its decay start), but %s keeps "
                        "no checkpoint there: add %lld to that run's ckpt_keep (now \"%s\")",
                        r->where, r->cfg.name, q->cfg.name, (long long)S, q->cfg.name, (long long)S,
                        q->cfg.ckpt_keep);
        r->parent = p;
        snprintf(r->cfg.branch_from, sizeof r->cfg.branch_from, "%s", q->cfg.out);
    }
    for (size_t i = 0; i < d->n; i++) {
        long p = d->runs[i].parent;
        for (size_t hops = 0; p >= 0 && hops <= d->n; hops++, p = d->runs[p].parent)
            if (p == (long)i)
                return fail(ld, "%s: run %s: its branch_from parents lead back to it (a cycle)",
                            d->runs[i].where, d->runs[i].cfg.name);
    }
    return 0;
}

/* Errors without a location (limits, the returned value) get the file name. */
static int name_file(loader *ld) {
    size_t n = strlen(ld->path);
    if (strncmp(ld->err, ld->path, n) != 0 && ld->errlen > n + 3) {
        char *copy = strdup(ld->err);
        if (copy) {
            snprintf(ld->err, ld->errlen, "%s: %s", ld->path, copy);
            free(copy);
        }
    }
    return -1;
}

static int run_loader(loader *ld, const char *path, const char *text, size_t len) {
    sweep_def *d = ld->d;
    const sweep_load_opts *o = ld->o;
    lua_sandbox *sb = &ld->sb;
    lua_State *L = sb->L;
    if (sandbox_seed_random(sb, tok_fnv1a64(text, len), ld->err, ld->errlen)) return -1;
    /* The prelude gets debug.getinfo (for file:line in its errors) as an argument; the
     * config never sees the debug library. */
    luaL_requiref(L, "debug", luaopen_debug, 0);
    lua_getfield(L, -1, "getinfo");
    lua_remove(L, -2);
    if (sandbox_load(sb, prelude_lua, sizeof prelude_lua, "=prelude", ld->err, ld->errlen))
        return -1;
    lua_insert(L, -2);
    lua_pushcfunction(L, lua_check_name);
    lua_pushinteger(L, o->max_runs ? o->max_runs : 100000);
    lua_pushstring(L, path);
    lua_pushlstring(L, text, len);
    lua_createtable(L, 0, (int)ld->nknobs);
    for (size_t i = 0; i < ld->nknobs; i++) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, ld->knobs[i].name);
    }
    if (sandbox_call(sb, 6, 1, ld->err, ld->errlen)) return -1;
    int finish = lua_gettop(L);

    char chunk[600];
    snprintf(chunk, sizeof chunk, "@%s", path);
    if (sandbox_load(sb, text, len, chunk, ld->err, ld->errlen)) return -1;
    if (sandbox_call(sb, 0, 1, ld->err, ld->errlen)) return name_file(ld);
    lua_pushvalue(L, finish);
    lua_insert(L, -2);
    if (sandbox_call(sb, 1, 1, ld->err, ld->errlen)) return name_file(ld);
    /* From here on, what the config returned is untrusted data: it may be any table (one
     * with the prelude's metatable, or changed after sweep{} checked it, or made while
     * error or string.match were replaced). Fields are read raw and checked here. */
    int sw = lua_gettop(L);
    if (!lua_istable(L, sw)) return fail(ld, "the config must return a table (sweep{...})");

    char sweep_where[160];
    snprintf(sweep_where, sizeof sweep_where, "%s",
             raw_field(L, sw, "where") == LUA_TSTRING ? lua_tostring(L, -1) : path);
    if (!strcmp(sweep_where, "?")) guess_where(ld, "runs", sweep_where, sizeof sweep_where);
    one_line(sweep_where);
    lua_pop(L, 1);
    int t = raw_field(L, sw, "name");
    if (t == LUA_TSTRING) {
        size_t nlen;
        const char *name = lua_tolstring(L, -1, &nlen);
        char why[512], quoted[400];
        if (sweep_check_name(name, nlen, why, sizeof why)) {
            sweep_quote_name(name, nlen, quoted, sizeof quoted);
            return fail(ld, "%s: sweep name %s: %s", path, quoted, why);
        }
        memcpy(d->name, name, nlen + 1);
    } else if (t == LUA_TNIL) {
        sweep_default_name(o->dir ? o->dir : path, d->name, sizeof d->name);
    } else {
        return fail(ld, "%s: sweep name: expected a string, got a %s", path, lua_typename(L, t));
    }
    lua_pop(L, 1);
    if (raw_field(L, sw, "description") == LUA_TSTRING)
        snprintf(d->description, sizeof d->description, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    int n = o->dir ? snprintf(d->dir, sizeof d->dir, "%s", o->dir)
                   : snprintf(d->dir, sizeof d->dir, "%s/%s", o->results ? o->results : "results",
                              d->name);
    if (n < 0 || (size_t)n >= sizeof d->dir) return fail(ld, "results directory name too long");
    for (size_t k = strlen(d->dir); k > 1 && d->dir[k - 1] == '/'; k--) d->dir[k - 1] = 0;

    raw_field(L, sw, "runs");
    int runs = lua_gettop(L);
    lua_Integer count = lua_istable(L, runs) ? (lua_Integer)lua_rawlen(L, runs) : 0;
    if (count < 1) return fail(ld, "%s: the sweep has no runs", sweep_where);
    long max_runs = o->max_runs ? o->max_runs : 100000;
    if (count > max_runs)
        return fail(ld, "%s: the sweep has %lld runs; the limit is %ld", sweep_where,
                    (long long)count, max_runs);
    d->n = (size_t)count;
    /* What the loader builds in C counts against the config's memory limit too. */
    size_t c_bytes = d->n * (sizeof *d->runs + ld->nknobs);
    if (sandbox_reserve(sb, c_bytes))
        return fail(ld,
                    "%s: memory limit exceeded (%zu MiB): %zu runs take %zu MiB in the loader "
                    "besides the %zu MiB the config built",
                    sweep_where, sb->mem_limit >> 20, d->n, c_bytes >> 20, sb->mem_used >> 20);
    d->runs = calloc(d->n, sizeof *d->runs);
    ld->explicit_set = calloc(d->n * ld->nknobs, 1);
    if (!d->runs || !ld->explicit_set) return fail(ld, "out of memory for %zu runs", d->n);
    for (size_t i = 0; i < d->n; i++) {
        sandbox_charge(L, 0); /* the time limits hold while runs are built */
        lua_rawgeti(L, runs, (lua_Integer)i + 1);
        if (!lua_istable(L, -1)) return fail(ld, "%s: run %zu is not a table", sweep_where, i + 1);
        if (build_run(ld, i, sweep_where)) return -1;
        lua_pop(L, 1);
    }
    return finish_runs(ld);
}

static int loader_main(lua_State *L) {
    loader *ld = lua_touserdata(L, 1);
    lua_settop(L, 0);
    ld->rc = run_loader(ld, ld->path, ld->text, ld->len);
    return 0;
}

int sweep_load_text(const char *path, const char *text, size_t len, const sweep_load_opts *o,
                    sweep_def *out, char *err, size_t errlen) {
    static const sweep_load_opts defaults = {0};
    memset(out, 0, sizeof *out);
    loader ld;
    memset(&ld, 0, sizeof ld);
    ld.o = o ? o : &defaults;
    ld.d = out;
    ld.err = err, ld.errlen = errlen;
    ld.knobs = knob_table(&ld.nknobs);
    snprintf(out->path, sizeof out->path, "%s", path);
    ld.path = path, ld.text = text, ld.len = len;
    ld.rc = -1;
    out->source = malloc(len + 1);
    if (!out->source) {
        snprintf(err, errlen, "out of memory");
    } else if (sandbox_open(&ld.sb, ld.o->mem_limit ? ld.o->mem_limit : (size_t)256 << 20,
                            ld.o->instruction_limit ? ld.o->instruction_limit : 200000000LL, err,
                            errlen) == 0) {
        memcpy(out->source, text, len);
        out->source[len] = 0;
        out->source_len = len;
        /* Everything that touches the Lua state runs inside one protected call, so a Lua
         * error anywhere (even out of memory in the C side) unwinds to here. */
        lua_pushcfunction(ld.sb.L, loader_main);
        lua_pushlightuserdata(ld.sb.L, &ld);
        char why[1024];
        if (sandbox_call(&ld.sb, 1, 0, why, sizeof why)) {
            snprintf(err, errlen, "%s", why);
            ld.rc = -1;
        }
    }
    int rc = ld.rc;
    sandbox_close(&ld.sb);
    free(ld.explicit_set);
    if (rc) sweep_free(out);
    return rc;
}

int sweep_load_file(const char *path, const sweep_load_opts *o, sweep_def *out, char *err,
                    size_t errlen) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(MAX_CONFIG_BYTES + 1);
    size_t len = text ? fread(text, 1, MAX_CONFIG_BYTES + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!text || bad || len > MAX_CONFIG_BYTES) {
        snprintf(err, errlen, "%s: %s", path,
                 !text ? "out of memory"
                 : bad ? "read error"
                       : "larger than 1 MiB");
        free(text);
        return -1;
    }
    int rc = sweep_load_text(path, text, len, o, out, err, errlen);
    free(text);
    return rc;
}

void sweep_free(sweep_def *d) {
    free(d->runs);
    free(d->source);
    d->runs = NULL, d->source = NULL, d->n = 0;
}

long sweep_find(const sweep_def *d, const char *name) {
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->runs[i].cfg.name, name)) return (long)i;
    return -1;
}
