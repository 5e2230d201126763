/* Names: the rule for sweep and run names, the names a sweep gives its runs (shape, D,
 * precision, the knobs that vary) and itself, and --only matching (sweepdef.h). */
#include "sweepdef.h"
#include "sweepdef_names.h"

#include "run_name.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_RULE                                                                                  \
    "use letters, digits, '.', '_', '+', '=' and '-', not '.' or '-' first, no '..', at most "     \
    "200 characters"

static int name_char_ok(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '+' || ch == '=' || ch == '-';
}

int sweep_check_name(const char *name, size_t len, char *why, size_t whylen) {
    _Static_assert(SWEEP_NAME_MAX == 200, "NAME_RULE states the limit");
    if (len == 0) {
        snprintf(why, whylen, "is empty; " NAME_RULE);
        return -1;
    }
    if (len > SWEEP_NAME_MAX) {
        snprintf(why, whylen,
                 "is %zu characters; the limit is %d (room for the suffixes of the run's "
                 "files)",
                 len, SWEEP_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (name_char_ok(ch)) continue;
        if (ch < 0x20 || ch == 0x7f)
            snprintf(why, whylen, "holds the control character 0x%02x at position %zu; " NAME_RULE,
                     ch, i + 1);
        else if (ch >= 0x80)
            snprintf(why, whylen, "holds the byte 0x%02x at position %zu; " NAME_RULE, ch, i + 1);
        else
            snprintf(why, whylen, "holds '%c' at position %zu; " NAME_RULE, ch, i + 1);
        return -1;
    }
    if (name[0] == '.' || name[0] == '-') {
        snprintf(why, whylen, "starts with '%c'; " NAME_RULE, name[0]);
        return -1;
    }
    for (size_t i = 0; i + 1 < len; i++)
        if (name[i] == '.' && name[i + 1] == '.') {
            snprintf(why, whylen, "holds '..'; " NAME_RULE);
            return -1;
        }
    return 0;
}

void sweep_quote_name(const char *name, size_t len, char *buf, size_t buflen) {
    if (!buflen) return;
    size_t at = 0;
    buf[0] = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(buf + at, buflen - at, __VA_ARGS__);                                     \
        if (w_ < 0 || (size_t)w_ >= buflen - at) return;                                           \
        at += (size_t)w_;                                                                          \
    } while (0)
    PUT("\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (i == 80) {
            PUT("...");
            break;
        }
        if (ch == '"' || ch == '\\')
            PUT("\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            PUT("\\x%02x", ch);
        else
            PUT("%c", ch);
    }
    PUT("\"");
#undef PUT
}

/* Knobs the readable name already shows, or that follow from ones it shows. */
static int in_base_name(const char *name) {
    static const char *shown[] = {"d_model",          "n_layer", "n_head",  "tokens",
                                  "tokens_per_param", "seed",    "w_quant", "a_quant",
                                  "kv_quant",         "q_quant", "name",    "out"};
    for (size_t i = 0; i < sizeof shown / sizeof *shown; i++)
        if (!strcmp(name, shown[i])) return 1;
    return 0;
}

void sweep_name_runs(sweep_def *d, const knob_def *knobs, size_t nknobs,
                     const unsigned char *explicit_set) {
    const knob_def *name_knob = knob_find("name");
    size_t name_idx = (size_t)(name_knob - knobs);
    /* Knobs set by the config whose values differ between runs go into the names. */
    unsigned char *varies = calloc(nknobs, 1);
    for (size_t k = 0; varies && k < nknobs; k++) {
        const knob_def *kd = &knobs[k];
        if (!kd->identity || in_base_name(kd->name)) continue;
        /* Among the runs that get a generated name (named runs speak for themselves). */
        int set = 0;
        long first_run = -1;
        for (size_t i = 0; i < d->n; i++) {
            if (explicit_set[i * nknobs + name_idx]) continue;
            set |= explicit_set[i * nknobs + k];
            if (first_run < 0) first_run = (long)i;
        }
        if (!set) continue;
        char first[600], v[600];
        config_format_value(&d->runs[first_run].cfg, kd, first, sizeof first);
        for (size_t i = 0; i < d->n && !varies[k]; i++) {
            if (explicit_set[i * nknobs + name_idx]) continue;
            config_format_value(&d->runs[i].cfg, kd, v, sizeof v);
            if (strcmp(first, v)) varies[k] = 1;
        }
    }
    for (size_t i = 0; i < d->n; i++) {
        sweep_run *r = &d->runs[i];
        train_config *c = &r->cfg;
        if (explicit_set[i * nknobs + name_idx]) continue;
        char name[sizeof c->name];
        run_base_name(c, r->N, name, sizeof name);
        for (size_t kk = 0; varies && kk < nknobs; kk++) {
            if (!varies[kk] || !explicit_set[i * nknobs + kk]) continue;
            char v[600];
            config_format_value(c, &knobs[kk], v, sizeof v);
            run_name_append(name, sizeof name, "_%s%s%s", knobs[kk].name,
                            knobs[kk].type == KNOB_STR ? "-" : "", v);
        }
        run_name_sanitize(name);
        snprintf(c->name, sizeof c->name, "%s", name);
    }
    free(varies);
}

void sweep_name_add_id(sweep_run *r) {
    run_name_append(r->cfg.name, sizeof r->cfg.name, "_%.6s", r->id_hex);
}

/* The sweep's name when the config gives none: the file name without ".lua", or for the
 * saved copy in a results directory, that directory's name. */
void sweep_default_name(const char *path, char *buf, size_t len) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/') tmp[--n] = 0;
    const char *base = strrchr(tmp, '/');
    base = base ? base + 1 : tmp;
    while (*base == '.' || *base == '-') base++; /* ".x.lua" names the sweep "x" */
    snprintf(buf, len, "%s", base);
    n = strlen(buf);
    if (n > 4 && !strcmp(buf + n - 4, ".lua")) buf[n - 4] = 0;
    run_name_sanitize(buf);
    for (char *p = buf; (p = strstr(p, ".."));) *p = '-';
    if (strlen(buf) > SWEEP_NAME_MAX) buf[SWEEP_NAME_MAX] = 0;
    if (!buf[0]) snprintf(buf, len, "sweep");
}

int sweep_name_matches(const char *pattern, const char *name) {
    if (!pattern || !*pattern) return 1;
    if (strpbrk(pattern, "*?[")) return fnmatch(pattern, name, 0) == 0;
    return strstr(name, pattern) != NULL;
}
