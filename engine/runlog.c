#include "runlog.h"
#include "fsutil.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------- in-memory log ---------- */

void runlog_init(runlog *rl) {
    memset(rl, 0, sizeof *rl);
}

static void attrs_free(attr_set *a) {
    for (size_t i = 0; i < a->n; i++) free(a->items[i].s);
    free(a->items);
    memset(a, 0, sizeof *a);
}

void runlog_free(runlog *rl) {
    attrs_free(&rl->root);
    attrs_free(&rl->config);
    attrs_free(&rl->final);
    for (size_t t = 0; t < rl->ntables; t++) {
        for (int c = 0; c < rl->tables[t]->ncols; c++) free(rl->tables[t]->col[c]);
        attrs_free(&rl->tables[t]->attrs);
        free(rl->tables[t]);
    }
    free(rl->tables);
    memset(rl, 0, sizeof *rl);
}

void runlog_clear_final(runlog *rl) {
    attrs_free(&rl->final);
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
    attrs_free(&cols);
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

/* ---------- HDF5 reading ---------- */

static herr_t read_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
    (void)info;
    attr_set *a = data;
    hid_t id = H5Aopen(loc, name, H5P_DEFAULT);
    if (id < 0) return -1;
    hid_t type = H5Aget_type(id);
    H5T_class_t cls = H5Tget_class(type);
    herr_t rc = 0;
    if (cls == H5T_INTEGER) {
        int64_t v;
        rc = H5Aread(id, H5T_NATIVE_INT64, &v);
        if (rc >= 0) attr_set_int(a, name, v);
    } else if (cls == H5T_FLOAT) {
        double v;
        rc = H5Aread(id, H5T_NATIVE_DOUBLE, &v);
        if (rc >= 0) attr_set_real(a, name, v);
    } else if (cls == H5T_STRING && H5Tis_variable_str(type) > 0) {
        hid_t str = string_type();
        char *v = NULL;
        rc = H5Aread(id, str, &v);
        if (rc >= 0) {
            attr_set_str(a, name, v);
            H5free_memory(v);
        }
        H5Tclose(str);
    } else if (cls == H5T_STRING) {
        size_t n = H5Tget_size(type);
        char *v = calloc(n + 1, 1);
        if (v && H5Aread(id, type, v) >= 0) attr_set_str(a, name, v);
        free(v);
    }
    H5Tclose(type);
    H5Aclose(id);
    return rc < 0 ? -1 : 0;
}

static int read_attrs(hid_t obj, attr_set *a) {
    hsize_t idx = 0;
    return H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, read_attr_cb, a) < 0 ? -1 : 0;
}

static int read_group_attrs(hid_t f, const char *name, attr_set *a, int *present) {
    *present = H5Lexists(f, name, H5P_DEFAULT) > 0;
    if (!*present) return 0;
    hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
    if (g < 0) return -1;
    int rc = read_attrs(g, a);
    H5Gclose(g);
    return rc;
}

static int read_table(runlog *rl, hid_t f, const char *path) {
    hid_t g = H5Gopen2(f, path, H5P_DEFAULT);
    if (g < 0) return -1;
    attr_set attrs = {0};
    int rc = read_attrs(g, &attrs);
    const attr *cols = attr_get(&attrs, "columns");
    if (rc || !cols || cols->type != ATTR_STR) {
        attrs_free(&attrs);
        H5Gclose(g);
        return -1;
    }
    char spec[TABLE_MAX_COLS * 320] = "";
    char names[TABLE_MAX_COLS][32];
    int n = 0;
    for (const char *s = cols->s; *s && n < TABLE_MAX_COLS;) {
        size_t len = strcspn(s, ",");
        snprintf(names[n], sizeof names[0], "%.*s", (int)len, s);
        hid_t d = H5Dopen2(g, names[n], H5P_DEFAULT);
        if (d < 0) {
            rc = -1;
            break;
        }
        hid_t type = H5Dget_type(d);
        int is_int = H5Tget_class(type) == H5T_INTEGER;
        H5Tclose(type);
        H5Dclose(d);
        char piece[320];
        snprintf(piece, sizeof piece, "%s%s:%c", n ? "," : "", names[n], is_int ? 'i' : 'r');
        strcat(spec, piece);
        n++;
        s += len + (s[len] == ',');
    }
    table *t = rc ? NULL : runlog_table(rl, path, spec);
    if (!t) rc = -1;
    for (int c = 0; t && c < n && rc == 0; c++) {
        hid_t d = H5Dopen2(g, names[c], H5P_DEFAULT);
        hid_t space = H5Dget_space(d);
        hsize_t dims = 0;
        H5Sget_simple_extent_dims(space, &dims, NULL);
        if (c == 0) {
            if (table_reserve(t, (size_t)dims)) rc = -1;
            t->rows = (size_t)dims;
        } else if (dims != t->rows) {
            rc = -1; /* columns of unequal length: not a file we wrote */
        }
        hid_t type = t->col_type[c] == ATTR_INT ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
        if (rc == 0 && dims && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->col[c]) < 0)
            rc = -1;
        H5Sclose(space);
        H5Dclose(d);
    }
    if (t) {
        for (size_t i = 0; i < attrs.n; i++) {
            const attr *x = &attrs.items[i];
            if (!strcmp(x->name, "columns")) continue;
            if (x->type == ATTR_INT)
                attr_set_int(&t->attrs, x->name, x->i);
            else if (x->type == ATTR_REAL)
                attr_set_real(&t->attrs, x->name, x->r);
            else
                attr_set_str(&t->attrs, x->name, x->s);
        }
    }
    attrs_free(&attrs);
    H5Gclose(g);
    return rc;
}

typedef struct {
    runlog *rl;
    hid_t file;
    int rc;
} ptq_iter;

static herr_t ptq_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    (void)g, (void)info;
    ptq_iter *it = data;
    char path[128];
    snprintf(path, sizeof path, "/ptq/%s", name);
    if (read_table(it->rl, it->file, path)) it->rc = -1;
    return 0;
}

int runlog_load(runlog *rl, const char *path, char *err, size_t errlen) {
    runlog_init(rl);
    H5E_auto2_t old_fn;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = 0, present;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, errlen, "%s: not a readable HDF5 file", path);
        rc = -1;
        goto out;
    }
    if (read_attrs(f, &rl->root)) {
        snprintf(err, errlen, "%s: cannot read the root attributes", path);
        rc = -1;
        goto out;
    }
    const attr *v = attr_get(&rl->root, "schema_version");
    if (!v || v->type != ATTR_INT || v->i != RUNLOG_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema_version %lld, expected %d", path,
                 v && v->type == ATTR_INT ? (long long)v->i : -1LL, RUNLOG_SCHEMA_VERSION);
        rc = -1;
        goto out;
    }
    if (read_group_attrs(f, "/config", &rl->config, &present) ||
        read_group_attrs(f, "/final", &rl->final, &rl->has_final)) {
        snprintf(err, errlen, "%s: cannot read /config or /final", path);
        rc = -1;
        goto out;
    }
    /* Every table the engine writes (docs/run-file.md): a table missing here would be
     * dropped from the file by the next save (a resumed run, a PTQ request). */
    const char *fixed[] = {"/train", "/eval", "/quant"};
    for (int i = 0; i < 3; i++)
        if (H5Lexists(f, fixed[i], H5P_DEFAULT) > 0 && read_table(rl, f, fixed[i])) {
            snprintf(err, errlen, "%s: cannot read %s", path, fixed[i]);
            rc = -1;
            goto out;
        }
    if (H5Lexists(f, "/ptq", H5P_DEFAULT) > 0) {
        ptq_iter it = {rl, f, 0};
        hid_t g = H5Gopen2(f, "/ptq", H5P_DEFAULT);
        hsize_t idx = 0;
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, ptq_cb, &it);
        H5Gclose(g);
        if (it.rc) {
            snprintf(err, errlen, "%s: cannot read /ptq", path);
            rc = -1;
        }
    }
out:
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    if (rc) runlog_free(rl);
    return rc;
}
