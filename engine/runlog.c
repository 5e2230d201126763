#include "runlog.h"
#include "config.h"
#include "fsutil.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------- in-memory log ---------- */

void runlog_init(runlog *rl) {
    memset(rl, 0, sizeof *rl);
}

void attr_set_free(attr_set *a) {
    for (size_t i = 0; i < a->n; i++) free(a->items[i].s);
    free(a->items);
    memset(a, 0, sizeof *a);
}

void runlog_free(runlog *rl) {
    attr_set_free(&rl->root);
    attr_set_free(&rl->config);
    attr_set_free(&rl->final);
    for (size_t t = 0; t < rl->ntables; t++) {
        for (int c = 0; c < rl->tables[t]->ncols; c++) free(rl->tables[t]->col[c]);
        attr_set_free(&rl->tables[t]->attrs);
        free(rl->tables[t]);
    }
    free(rl->tables);
    memset(rl, 0, sizeof *rl);
}

void runlog_clear_final(runlog *rl) {
    attr_set_free(&rl->final);
    rl->has_final = 0;
}

static attr *attr_slot(attr_set *a, const char *name) {
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->items[i].name, name)) {
            free(a->items[i].s);
            a->items[i].s = NULL;
            return &a->items[i];
        }
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        attr *items = realloc(a->items, cap * sizeof *items);
        if (!items) return NULL;
        a->items = items, a->cap = cap;
    }
    attr *x = &a->items[a->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    return x;
}

void attr_set_int(attr_set *a, const char *name, int64_t v) {
    attr *x = attr_slot(a, name);
    if (x) x->type = ATTR_INT, x->i = v;
}
void attr_set_real(attr_set *a, const char *name, double v) {
    attr *x = attr_slot(a, name);
    if (x) x->type = ATTR_REAL, x->r = v;
}
void attr_set_str(attr_set *a, const char *name, const char *v) {
    attr *x = attr_slot(a, name);
    if (x) x->type = ATTR_STR, x->s = strdup(v ? v : "");
}
const attr *attr_get(const attr_set *a, const char *name) {
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->items[i].name, name)) return &a->items[i];
    return NULL;
}

void attr_set_put(attr_set *a, const attr *x) {
    if (x->type == ATTR_INT)
        attr_set_int(a, x->name, x->i);
    else if (x->type == ATTR_REAL)
        attr_set_real(a, x->name, x->r);
    else
        attr_set_str(a, x->name, x->s);
}

int attr_set_includes(const attr_set *old, const attr_set *now, char *which, size_t len) {
    for (size_t i = 0; i < now->n; i++) {
        const attr *x = &now->items[i], *y = attr_get(old, x->name);
        int same = y && y->type == x->type &&
                   (x->type == ATTR_INT    ? x->i == y->i
                    : x->type == ATTR_REAL ? x->r == y->r
                                           : !strcmp(x->s, y->s));
        if (!same) {
            snprintf(which, len, "%s", x->name);
            return 0;
        }
    }
    return 1;
}

table *runlog_find_table(const runlog *rl, const char *path) {
    for (size_t i = 0; i < rl->ntables; i++)
        if (!strcmp(rl->tables[i]->path, path)) return rl->tables[i];
    return NULL;
}

table *runlog_table(runlog *rl, const char *path, const char *columns) {
    table *t = runlog_find_table(rl, path);
    if (t) return t;
    table **tables = realloc(rl->tables, (rl->ntables + 1) * sizeof *tables);
    if (!tables) return NULL;
    rl->tables = tables;
    t = calloc(1, sizeof *t);
    if (!t) return NULL;
    rl->tables[rl->ntables++] = t;
    snprintf(t->path, sizeof t->path, "%s", path);
    for (const char *s = columns; *s && t->ncols < TABLE_MAX_COLS;) {
        size_t len = strcspn(s, ":");
        snprintf(t->col_name[t->ncols], sizeof t->col_name[0], "%.*s", (int)len, s);
        s += len + (s[len] == ':');
        t->col_type[t->ncols++] = *s == 'i' ? ATTR_INT : ATTR_REAL;
        s += strcspn(s, ",");
        s += *s == ',';
    }
    return t;
}

static int table_reserve(table *t, size_t rows) {
    if (rows <= t->cap) return 0;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < rows) cap *= 2;
    for (int c = 0; c < t->ncols; c++) {
        void *p = realloc(t->col[c], cap * 8);
        if (!p) return -1;
        t->col[c] = p;
    }
    t->cap = cap;
    return 0;
}

int table_append(table *t, const double *values) {
    if (table_reserve(t, t->rows + 1)) return -1;
    for (int c = 0; c < t->ncols; c++) {
        if (t->col_type[c] == ATTR_INT)
            ((int64_t *)t->col[c])[t->rows] = (int64_t)values[c];
        else
            ((double *)t->col[c])[t->rows] = values[c];
    }
    t->rows++;
    return 0;
}

double table_get(const table *t, int col, size_t row) {
    return t->col_type[col] == ATTR_INT ? (double)((int64_t *)t->col[col])[row]
                                        : ((double *)t->col[col])[row];
}

void table_truncate_after(table *t, int64_t step) {
    size_t keep = 0;
    while (keep < t->rows && table_get(t, 0, keep) <= (double)step) keep++;
    t->rows = keep;
}

void table_sort_by_first_two(table *t) {
    for (size_t i = 1; i < t->rows; i++)
        for (size_t j = i; j > 0; j--) {
            double s0 = table_get(t, 0, j - 1), s1 = table_get(t, 0, j);
            double b0 = table_get(t, 1, j - 1), b1 = table_get(t, 1, j);
            if (s0 < s1 || (s0 == s1 && b0 <= b1)) break;
            for (int c = 0; c < t->ncols; c++) {
                /* 8-byte cells of either type, moved as bytes */
                unsigned char *p = t->col[c], tmp[8];
                memcpy(tmp, p + 8 * (j - 1), 8);
                memcpy(p + 8 * (j - 1), p + 8 * j, 8);
                memcpy(p + 8 * j, tmp, 8);
            }
        }
}

void table_drop_rows(table *t, int64_t step, double key) {
    size_t k = 0;
    for (size_t i = 0; i < t->rows; i++) {
        if (table_get(t, 0, i) == (double)step && table_get(t, 1, i) == key) continue;
        for (int c = 0; c < t->ncols; c++)
            memmove((unsigned char *)t->col[c] + 8 * k, (unsigned char *)t->col[c] + 8 * i, 8);
        k++;
    }
    t->rows = k;
}

/* ---------- HDF5 writing ---------- */

static hid_t string_type(void) {
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_size(s, H5T_VARIABLE);
    H5Tset_cset(s, H5T_CSET_UTF8);
    return s;
}

static int write_attrs(hid_t obj, const attr_set *a) {
    hid_t space = H5Screate(H5S_SCALAR), str = string_type();
    int rc = 0;
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        const attr *x = &a->items[i];
        hid_t type = x->type == ATTR_INT    ? H5T_NATIVE_INT64
                     : x->type == ATTR_REAL ? H5T_NATIVE_DOUBLE
                                            : str;
        hid_t id = H5Acreate2(obj, x->name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (id < 0) {
            rc = -1;
            break;
        }
        const void *buf = x->type == ATTR_INT    ? (const void *)&x->i
                          : x->type == ATTR_REAL ? (const void *)&x->r
                                                 : (const void *)&x->s;
        if (H5Awrite(id, type, buf) < 0) rc = -1;
        H5Aclose(id);
    }
    H5Tclose(str);
    H5Sclose(space);
    return rc;
}

static int write_table(hid_t file, const table *t) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(file, t->path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (g < 0) return -1;
    int rc = write_attrs(g, &t->attrs);
    /* Column order, so readers (and runlog_load) know which column is the key. */
    char order[TABLE_MAX_COLS * 34] = "";
    for (int c = 0; c < t->ncols; c++) {
        if (c) strcat(order, ",");
        strcat(order, t->col_name[c]);
    }
    attr_set cols = {0};
    attr_set_str(&cols, "columns", order);
    rc |= write_attrs(g, &cols);
    attr_set_free(&cols);
    hsize_t dims = t->rows, maxdims = H5S_UNLIMITED, chunk = 1024;
    for (int c = 0; c < t->ncols && rc == 0; c++) {
        hid_t space = H5Screate_simple(1, &dims, &maxdims);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 1, &chunk);
        hid_t type = t->col_type[c] == ATTR_INT ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
        hid_t d = H5Dcreate2(g, t->col_name[c], type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (d < 0 || (t->rows && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->col[c]) < 0))
            rc = -1;
        if (d >= 0) H5Dclose(d);
        H5Pclose(dcpl);
        H5Sclose(space);
    }
    H5Gclose(g);
    return rc;
}

static int write_group(hid_t file, const char *name, const attr_set *a) {
    hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    int rc = write_attrs(g, a);
    H5Gclose(g);
    return rc;
}

int runlog_save(const runlog *rl, const char *path, char *err, size_t errlen) {
    char tmp[4200];
    tmp_file_name(path, tmp, sizeof tmp);
    if (make_parent_dirs(path, err, errlen)) return -1;
    H5E_auto2_t old_fn;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = 0;
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, errlen, "%s: cannot create HDF5 file", tmp);
        rc = -1;
    } else {
        rc |= write_attrs(f, &rl->root);
        rc |= write_group(f, "/config", &rl->config);
        if (rl->has_final) rc |= write_group(f, "/final", &rl->final);
        for (size_t i = 0; i < rl->ntables; i++) rc |= write_table(f, rl->tables[i]);
        if (H5Fclose(f) < 0) rc = -1;
        if (rc) snprintf(err, errlen, "%s: writing the HDF5 file failed (disk full?)", tmp);
    }
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    if (rc == 0) rc = commit_tmp_file(tmp, path, err, errlen);
    if (rc) unlink(tmp);
    return rc;
}

/* ---------- HDF5 reading ----------
 * Everything is read by name (the names docs/run-file.md defines), never by iterating
 * over a group's attributes: a damaged attribute the engine does not use is then never
 * decoded. Every attribute must be a scalar of the class its name has; every column a
 * 1-D integer or float dataset of the table's length. Whatever does not fit is an error
 * naming the file, the object and what was expected; nothing is read into a buffer
 * whose size was not checked against the file's. */

#define MAX_STRING_ATTR (1 << 20) /* the canonical config JSON is about 2 KB */
#define MAX_TABLE_ROWS  ((hsize_t)1 << 26)
#define MAX_PTQ_TABLES  256

typedef struct {
    const char *name;
    attr_type type;
} attr_name;

static const attr_name root_names[] = {
    {"schema_version", ATTR_INT},
    {"run_id", ATTR_STR},
    {"name", ATTR_STR},
    {"config", ATTR_STR},
    {"engine_version", ATTR_STR},
    {"git_commit", ATTR_STR},
    {"host", ATTR_STR},
    {"created", ATTR_STR},
    /* provenance (engine/provenance.c): kept through a resume's or PTQ's rewrite */
    {"compiler", ATTR_STR},
    {"build", ATTR_STR},
    {"cpu_model", ATTR_STR},
    {"os", ATTR_STR},
    {"libc", ATTR_STR},
    {"blas_config", ATTR_STR},
    {"blas_version", ATTR_STR},
    {"blas_core", ATTR_STR},
    {"blas_library", ATTR_STR},
    {"threads", ATTR_INT},
    {"blas_threads", ATTR_INT},
    {"omp_threads", ATTR_INT},
    {"gemm", ATTR_STR},
    {"gemm_path", ATTR_STR},
    {"gpu_model", ATTR_STR},
    {"gpu_cc", ATTR_STR},
    {"gpu_driver", ATTR_STR},
    {"cuda_driver", ATTR_INT},
    {"cuda_runtime", ATTR_INT},
    {"cublas_version", ATTR_INT},
    {"tokenizer_hash", ATTR_STR},
    {"train_data_id", ATTR_STR},
    {"val_data_id", ATTR_STR},
    {"corpus_manifest_sha256", ATTR_STR},
};
/* /config holds the knobs (engine/config.c's table) and these derived values */
static const attr_name config_derived[] = {
    {"N", ATTR_INT},
    {"N_total", ATTR_INT},
    {"D", ATTR_INT},
    {"P_w", ATTR_REAL},
    {"P_a", ATTR_REAL},
    {"P_kv", ATTR_REAL},
    {"format_w", ATTR_STR},
    {"format_a", ATTR_STR},
    {"format_kv", ATTR_STR},
    {"spec_w", ATTR_STR},
    {"spec_a", ATTR_STR},
    {"spec_kv", ATTR_STR},
    {"group_size_w", ATTR_INT},
    {"train_tokens_unique", ATTR_INT},
    {"eval_tokens_used", ATTR_INT},
    {"flops_per_token", ATTR_REAL},
    {"branch_parent_run_id", ATTR_STR}, /* a branch_from run only */
    {"branch_step", ATTR_INT},
};
static const attr_name final_names[] = {
    {"status", ATTR_STR}, {"val_loss", ATTR_REAL}, {"train_loss", ATTR_REAL},
    {"steps", ATTR_INT},  {"tokens", ATTR_INT},    {"epochs", ATTR_REAL},
    {"flops", ATTR_REAL}, {"wall_s", ATTR_REAL},   {"diverged_step", ATTR_INT},
    {"reason", ATTR_STR},
};
static const attr_name ptq_names[] = {
    {"method", ATTR_STR},     {"format", ATTR_STR},       {"granularity", ATTR_STR},
    {"group_size", ATTR_INT}, {"symmetric", ATTR_INT},    {"calib_tokens", ATTR_INT},
    {"embed_head", ATTR_INT}, {"act_order", ATTR_INT},    {"sequential", ATTR_INT},
    {"damp", ATTR_REAL},      {"calib_source", ATTR_STR},
};
#define NAMES(a) (a), sizeof(a) / sizeof *(a)

/* The columns each table must start with, in order (the engine reads them by index). */
static const struct {
    const char *path, *columns;
} table_layouts[] = {
    {"/train", "step:i,tokens:i,loss:r,lr:r,grad_norm:r,wall:r"},
    {"/eval", "step:i,tokens:i,loss:r"},
    {"/quant", "step:i,w_clipped:r,a_clipped:r,kv_clipped:r,w_masked:r,a_masked:r,kv_masked:r"},
    {"/ptq/", "step:i,bits:r,val_loss:r,base_loss:r,delta:r"},
};

static const char *type_word(attr_type t) {
    return t == ATTR_INT ? "an integer" : t == ATTR_REAL ? "a number" : "a string";
}

typedef struct {
    const char *file; /* for messages */
    char *err;
    size_t errlen;
} reader;

static int rfail(const reader *r, const char *fmt, const char *obj, const char *name,
                 const char *what) {
    char msg[512];
    snprintf(msg, sizeof msg, fmt, obj, name, what);
    snprintf(r->err, r->errlen, "%s: %s", r->file, msg);
    return -1;
}

/* Reads attribute name of obj (objname in messages) when it exists: a scalar (one
 * element) of class `want`; an integer is accepted where a number is expected. */
static int read_attr(const reader *r, hid_t obj, const char *objname, const char *name,
                     attr_type want, attr_set *a) {
    htri_t ex = H5Aexists(obj, name);
    if (ex == 0) return 0;
    const char *fmt = "attribute %s/%s %s";
    char what[160];
    snprintf(what, sizeof what, "is unreadable (expected %s)", type_word(want));
    if (ex < 0) return rfail(r, fmt, objname, name, what);
    hid_t id = H5Aopen(obj, name, H5P_DEFAULT);
    if (id < 0) return rfail(r, fmt, objname, name, what);
    hid_t type = H5Aget_type(id), space = H5Aget_space(id);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    H5S_class_t scls = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
    hssize_t np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    int rc = -1;
    if (scls != H5S_SCALAR && !(scls == H5S_SIMPLE && np == 1)) {
        snprintf(what, sizeof what, "has %lld elements, expected a single value (%s)",
                 (long long)np, type_word(want));
    } else if (want == ATTR_INT && cls == H5T_INTEGER) {
        int64_t v;
        if (H5Aread(id, H5T_NATIVE_INT64, &v) >= 0) attr_set_int(a, name, v), rc = 0;
    } else if (want == ATTR_REAL && (cls == H5T_FLOAT || cls == H5T_INTEGER)) {
        double v;
        if (H5Aread(id, H5T_NATIVE_DOUBLE, &v) >= 0) attr_set_real(a, name, v), rc = 0;
    } else if (want == ATTR_STR && cls == H5T_STRING && H5Tis_variable_str(type) > 0) {
        hid_t str = string_type();
        char *v = NULL;
        if (H5Aread(id, str, &v) >= 0 && v) {
            if (strnlen(v, MAX_STRING_ATTR) < MAX_STRING_ATTR) {
                attr_set_str(a, name, v);
                rc = 0;
            } else {
                snprintf(what, sizeof what, "is longer than %d bytes", MAX_STRING_ATTR);
            }
        }
        if (v) H5free_memory(v);
        H5Tclose(str);
    } else if (want == ATTR_STR && cls == H5T_STRING) {
        size_t n = H5Tget_size(type);
        if (n == 0 || n > MAX_STRING_ATTR) {
            snprintf(what, sizeof what, "is a string of %zu bytes, expected 1..%d", n,
                     MAX_STRING_ATTR);
        } else {
            char *v = calloc(n + 1, 1);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, n);
            if (v && H5Aread(id, mt, v) >= 0) attr_set_str(a, name, v), rc = 0;
            H5Tclose(mt);
            free(v);
        }
    } else {
        snprintf(what, sizeof what, "is of HDF5 class %d, expected %s", (int)cls, type_word(want));
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Aclose(id);
    return rc ? rfail(r, fmt, objname, name, what) : 0;
}

static int read_named(const reader *r, hid_t obj, const char *objname, const attr_name *names,
                      size_t n, attr_set *a) {
    for (size_t i = 0; i < n; i++)
        if (read_attr(r, obj, objname, names[i].name, names[i].type, a)) return -1;
    return 0;
}

static int read_config(const reader *r, hid_t g, attr_set *a) {
    size_t nk;
    const knob_def *k = knob_table(&nk);
    for (size_t i = 0; i < nk; i++) {
        attr_type t = k[i].type == KNOB_INT    ? ATTR_INT
                      : k[i].type == KNOB_REAL ? ATTR_REAL
                                               : ATTR_STR;
        if (read_attr(r, g, "/config", k[i].name, t, a)) return -1;
    }
    return read_named(r, g, "/config", NAMES(config_derived), a);
}

/* Opens the group at name; 0 with *g < 0 when absent, -1 when it is not a group. */
static int open_group(const reader *r, hid_t f, const char *name, hid_t *g) {
    *g = -1;
    htri_t ex = H5Lexists(f, name, H5P_DEFAULT);
    if (ex == 0) return 0;
    if (ex < 0 || (*g = H5Gopen2(f, name, H5P_DEFAULT)) < 0) {
        *g = -1;
        return rfail(r, "%s%s %s", name, "", "is not a readable group");
    }
    return 0;
}

static int read_group_attrs(const reader *r, hid_t f, const char *name, attr_set *a, int *present) {
    hid_t g;
    *present = 0;
    if (open_group(r, f, name, &g)) return -1;
    if (g < 0) return 0;
    *present = 1;
    int rc = !strcmp(name, "/config") ? read_config(r, g, a)
                                      : read_named(r, g, name, NAMES(final_names), a);
    H5Gclose(g);
    return rc;
}

/* Splits "a,b,c" into names (each 1..31 characters, no '/', no '.' alone, no
 * duplicates); returns the count or -1 with what set. */
static int split_columns(const char *s, char names[TABLE_MAX_COLS][32], char *what, size_t wlen) {
    int n = 0;
    if (!*s) {
        snprintf(what, wlen, "names no columns");
        return -1;
    }
    for (;;) {
        size_t len = strcspn(s, ",");
        if (n == TABLE_MAX_COLS) {
            snprintf(what, wlen, "names more than %d columns", TABLE_MAX_COLS);
            return -1;
        }
        if (len == 0 || len >= 32 || memchr(s, '/', len) || (len == 1 && s[0] == '.') ||
            (len == 2 && !strncmp(s, "..", 2))) {
            snprintf(what, wlen, "has a column name \"%.*s\" (expected 1..31 characters, no '/')",
                     (int)(len < 40 ? len : 40), s);
            return -1;
        }
        snprintf(names[n], 32, "%.*s", (int)len, s);
        for (int k = 0; k < n; k++)
            if (!strcmp(names[k], names[n])) {
                snprintf(what, wlen, "names column %.31s twice", names[n]);
                return -1;
            }
        n++;
        if (!s[len]) break;
        s += len + 1;
    }
    return n;
}

/* The layout a table must start with: names and types of its first columns. */
static int layout_of(const char *path, char names[TABLE_MAX_COLS][32], attr_type *types) {
    for (size_t i = 0; i < sizeof table_layouts / sizeof *table_layouts; i++) {
        size_t pl = strlen(table_layouts[i].path);
        int match = table_layouts[i].path[pl - 1] == '/' ? !strncmp(path, table_layouts[i].path, pl)
                                                         : !strcmp(path, table_layouts[i].path);
        if (!match) continue;
        int n = 0;
        for (const char *s = table_layouts[i].columns; *s && n < TABLE_MAX_COLS; n++) {
            size_t len = strcspn(s, ":");
            snprintf(names[n], 32, "%.*s", (int)len, s);
            types[n] = s[len + 1] == 'i' ? ATTR_INT : ATTR_REAL;
            s += len + 2;
            s += *s == ',';
        }
        return n;
    }
    return 0;
}

static int read_table(const reader *r, runlog *rl, hid_t f, const char *path) {
    hid_t g;
    if (open_group(r, f, path, &g)) return -1;
    if (g < 0) return 0;
    attr_set attrs = {0};
    int rc = read_attr(r, g, path, "columns", ATTR_STR, &attrs);
    if (rc == 0 && !strncmp(path, "/ptq/", 5))
        rc = read_named(r, g, path, NAMES(ptq_names), &attrs);
    const attr *cols = attr_get(&attrs, "columns");
    char names[TABLE_MAX_COLS][32], what[200], want[TABLE_MAX_COLS][32];
    attr_type want_type[TABLE_MAX_COLS], types[TABLE_MAX_COLS];
    int n = 0, nwant = layout_of(path, want, want_type);
    if (rc == 0 && !cols) rc = rfail(r, "%s%s %s", path, "", "has no columns attribute");
    if (rc == 0 && (n = split_columns(cols->s, names, what, sizeof what)) < 0)
        rc = rfail(r, "%s/columns%s %s", path, "", what);
    if (rc == 0 && n < nwant)
        rc = rfail(r, "%s has %s columns, expected at least %s", path, cols->s, "");
    for (int c = 0; rc == 0 && c < nwant; c++)
        if (strcmp(names[c], want[c])) {
            snprintf(what, sizeof what, "is %.31s, expected %.31s", names[c], want[c]);
            rc = rfail(r, "%s column %s %s", path, want[c], what);
        }
    /* each column: a 1-D integer or float dataset, all of one length */
    hsize_t rows = 0;
    for (int c = 0; rc == 0 && c < n; c++) {
        char full[200];
        snprintf(full, sizeof full, "%s/%s", path, names[c]);
        hid_t d = -1, space = -1, type = -1;
        if (H5Lexists(g, names[c], H5P_DEFAULT) <= 0 ||
            (d = H5Dopen2(g, names[c], H5P_DEFAULT)) < 0) {
            rc = rfail(r, "%s%s %s", full, "", "is missing or not a dataset");
            break;
        }
        space = H5Dget_space(d);
        type = H5Dget_type(d);
        H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
        int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
        hsize_t dims[1] = {0};
        if (rank != 1 || H5Sget_simple_extent_type(space) != H5S_SIMPLE) {
            snprintf(what, sizeof what, "has rank %d, expected a 1-D dataset", rank);
            rc = -1;
        } else if (H5Sget_simple_extent_dims(space, dims, NULL) != 1 || dims[0] > MAX_TABLE_ROWS) {
            snprintf(what, sizeof what, "has %llu rows, expected at most %llu",
                     (unsigned long long)dims[0], (unsigned long long)MAX_TABLE_ROWS);
            rc = -1;
        } else if (c > 0 && dims[0] != rows) {
            snprintf(what, sizeof what, "has %llu rows, %s has %llu", (unsigned long long)dims[0],
                     names[0], (unsigned long long)rows);
            rc = -1;
        } else if (cls != H5T_INTEGER &&
                   !(cls == H5T_FLOAT && (c >= nwant || want_type[c] == ATTR_REAL))) {
            snprintf(what, sizeof what, "is of HDF5 class %d, expected %s", (int)cls,
                     c < nwant && want_type[c] == ATTR_INT ? "integers" : "numbers");
            rc = -1;
        }
        types[c] = c < nwant ? want_type[c] : cls == H5T_INTEGER ? ATTR_INT : ATTR_REAL;
        rows = dims[0];
        if (type >= 0) H5Tclose(type);
        if (space >= 0) H5Sclose(space);
        H5Dclose(d);
        if (rc) rfail(r, "%s%s %s", full, "", what);
    }
    table *t = NULL;
    if (rc == 0) {
        char spec[TABLE_MAX_COLS * 36] = "";
        for (int c = 0; c < n; c++) {
            char piece[40];
            snprintf(piece, sizeof piece, "%s%s:%c", c ? "," : "", names[c],
                     types[c] == ATTR_INT ? 'i' : 'r');
            strcat(spec, piece);
        }
        if (runlog_find_table(rl, path))
            rc = rfail(r, "%s%s %s", path, "", "is there twice");
        else if (!(t = runlog_table(rl, path, spec)) || table_reserve(t, (size_t)rows))
            rc = rfail(r, "%s%s %s", path, "", "does not fit in memory");
    }
    for (int c = 0; t && rc == 0 && c < n; c++) {
        hid_t d = H5Dopen2(g, names[c], H5P_DEFAULT);
        hid_t type = types[c] == ATTR_INT ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
        hsize_t dims[1] = {rows};
        hid_t mem = H5Screate_simple(1, dims, NULL);
        if (d < 0 || mem < 0 ||
            (rows && H5Dread(d, type, mem, H5S_ALL, H5P_DEFAULT, t->col[c]) < 0)) {
            char full[200];
            snprintf(full, sizeof full, "%s/%s", path, names[c]);
            rc = rfail(r, "%s%s %s", full, "", "cannot be read");
        }
        if (mem >= 0) H5Sclose(mem);
        if (d >= 0) H5Dclose(d);
    }
    if (t && rc == 0) {
        t->rows = (size_t)rows;
        for (size_t i = 0; i < attrs.n; i++) {
            const attr *x = &attrs.items[i];
            if (!strcmp(x->name, "columns")) continue;
            attr_set_put(&t->attrs, x);
        }
    }
    attr_set_free(&attrs);
    H5Gclose(g);
    return rc;
}

typedef struct {
    const reader *r;
    runlog *rl;
    hid_t file;
    int rc, count;
} ptq_iter;

static herr_t ptq_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    (void)g;
    ptq_iter *it = data;
    char path[sizeof((table *)0)->path];
    if (info->type != H5L_TYPE_HARD) {
        it->rc = rfail(it->r, "/ptq/%s%s %s", name, "", "is a link, expected a group");
    } else if (++it->count > MAX_PTQ_TABLES) {
        it->rc = rfail(it->r, "/ptq %s%s%s", "holds more than 256 tables", "", "");
    } else if (snprintf(path, sizeof path, "/ptq/%s", name) >= (int)sizeof path) {
        it->rc = rfail(it->r, "/ptq/%.40s...%s %s", name, "", "has too long a name");
    } else {
        it->rc = read_table(it->r, it->rl, it->file, path);
    }
    return it->rc ? 1 : 0; /* stop at the first error */
}

int runlog_load(runlog *rl, const char *path, char *err, size_t errlen) {
    runlog_init(rl);
    reader r = {path, err, errlen};
    H5E_auto2_t old_fn;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = 0, present;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        struct stat sb;
        if (stat(path, &sb) != 0)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        else
            snprintf(err, errlen, "%s: not a readable HDF5 file (truncated or corrupt?)", path);
        rc = -1;
        goto out;
    }
    if (read_named(&r, f, "", NAMES(root_names), &rl->root)) {
        rc = -1;
        goto out;
    }
    const attr *v = attr_get(&rl->root, "schema_version");
    if (!v || v->i != RUNLOG_SCHEMA_VERSION) {
        if (v)
            snprintf(err, errlen, "%s: schema_version %lld, expected %d", path, (long long)v->i,
                     RUNLOG_SCHEMA_VERSION);
        else
            snprintf(err, errlen, "%s: no schema_version attribute on /: not a run file", path);
        rc = -1;
        goto out;
    }
    if (read_group_attrs(&r, f, "/config", &rl->config, &present) ||
        read_group_attrs(&r, f, "/final", &rl->final, &rl->has_final)) {
        rc = -1;
        goto out;
    }
    /* Every table the engine writes (docs/run-file.md): a table missing here would be
     * dropped from the file by the next save (a resumed run, a PTQ request). */
    const char *fixed[] = {"/train", "/eval", "/quant"};
    for (int i = 0; i < 3; i++)
        if (read_table(&r, rl, f, fixed[i])) {
            rc = -1;
            goto out;
        }
    hid_t g;
    if (open_group(&r, f, "/ptq", &g)) {
        rc = -1;
        goto out;
    }
    if (g >= 0) {
        ptq_iter it = {&r, rl, f, 0, 0};
        hsize_t idx = 0;
        herr_t ir = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, ptq_cb, &it);
        H5Gclose(g);
        if (it.rc || ir < 0) {
            if (!it.rc) snprintf(err, errlen, "%s: cannot list the tables of /ptq", path);
            rc = -1;
        }
    }
out:
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    if (rc) runlog_free(rl);
    return rc;
}

int runlog_config(const runlog *rl, const char *file, train_config *c, char *err, size_t errlen) {
    config_defaults(c);
    size_t nk;
    const knob_def *k = knob_table(&nk);
    for (size_t i = 0; i < nk; i++) {
        const attr *a = attr_get(&rl->config, k[i].name);
        if (!a) continue;
        char text[600], sub[400];
        if (a->type == ATTR_INT)
            snprintf(text, sizeof text, "%lld", (long long)a->i);
        else if (a->type == ATTR_REAL)
            snprintf(text, sizeof text, "%.17g", a->r);
        else
            snprintf(text, sizeof text, "%s", a->s);
        if (config_set(c, k[i].name, text, sub, sizeof sub)) {
            snprintf(err, errlen, "%s: /config: %s", file, sub);
            return -1;
        }
    }
    return 0;
}
