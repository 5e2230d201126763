/* Reader of HDF5 run files, schema_version 1 (docs/run-file.md). */
#include "read.h"

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION  1
#define MAX_STRING_ATTR (1 << 20)

/* Reads a numeric attribute (any stored numeric type) as double. 0 ok, 1 absent, -1 error. */
static int attr_num(hid_t loc, const char *obj, const char *name, double *v) {
    if (H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) <= 0) return 1;
    hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a);
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    hid_t sp = H5Aget_space(a);
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int rc = -1;
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && np == 1)
        rc = H5Aread(a, H5T_NATIVE_DOUBLE, v) < 0 ? -1 : 0;
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* Reads a string attribute, variable or fixed length. 0 ok, 1 absent, -1 error, 2 longer
 * than outlen - 1 characters (out then holds its first outlen - 1: the caller refuses the
 * file for an identifying field, or marks a free text as cut; nothing is cut silently). */
static int attr_str(hid_t loc, const char *obj, const char *name, char *out, size_t outlen) {
    if (H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) <= 0) return 1;
    hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = -1;
    hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
    /* one string, of a size worth reading: an array attribute would be read past out */
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    size_t fixed = ft >= 0 && H5Tis_variable_str(ft) <= 0 ? H5Tget_size(ft) : 0;
    if (sp >= 0) H5Sclose(sp);
    if (np != 1 || fixed > MAX_STRING_ATTR) {
        /* not a single string: rc stays -1 */
    } else if (ft >= 0 && H5Tget_class(ft) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(ft) > 0) {
            char *s = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(ft));
            if (H5Aread(a, mt, &s) >= 0 && s) {
                size_t len = strnlen(s, MAX_STRING_ATTR);
                snprintf(out, outlen, "%.*s", (int)len, s);
                rc = len < outlen ? 0 : 2;
            }
            if (s) H5free_memory(s);
        } else {
            size_t n = H5Tget_size(ft);
            char *s = calloc(n + 1, 1);
            H5Tset_size(mt, n + 1);
            if (s && H5Aread(a, mt, s) >= 0) {
                snprintf(out, outlen, "%s", s);
                rc = strlen(s) < outlen ? 0 : 2;
            }
            free(s);
        }
        H5Tclose(mt);
    }
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

/* Reads a 1-D numeric dataset as doubles into a malloc'd array. Returns its length or -1. */
static long read_column(hid_t g, const char *name, double **out) {
    *out = NULL;
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t sp = H5Dget_space(ds);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    hid_t t = H5Dget_type(ds);
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t >= 0) H5Tclose(t);
    long ret = -1;
    /* a 1-D column of numbers, of a length worth reading */
    if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 &&
        (cls == H5T_INTEGER || cls == H5T_FLOAT) && n >= 0 && n < (1 << 26)) {
        *out = malloc((size_t)(n ? n : 1) * sizeof **out);
        if (*out &&
            (n == 0 || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) >= 0))
            ret = (long)n;
    }
    if (ret < 0) {
        free(*out);
        *out = NULL;
    }
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(ds);
    return ret;
}

/* A free text that attr_str cut at its buffer: ends in "..." so that a note shows the cut. */
static void too_long(char *s, size_t size) {
    if (size >= 4) memcpy(s + size - 4, "...", 4);
}

typedef struct {
    psl_point base;
    double final_step;
    psl_data *pts;
    char *err;
    size_t errlen;
    long intermediate;
} ptq_ctx;

static herr_t ptq_method(hid_t g, const char *name, const H5L_info_t *info, void *vctx) {
    (void)info;
    ptq_ctx *c = vctx;
    const char *cols[] = {"step", "bits", "val_loss", "base_loss", "delta"};
    double *v[5] = {0};
    long n = -1;
    if (strlen(name) >= sizeof c->base.method) {
        snprintf(c->err, c->errlen, "/ptq/%.64s...: table name of %zu characters, at most %zu",
                 name, strlen(name), sizeof c->base.method - 1);
        return -1;
    }
    hid_t mg = H5Gopen2(g, name, H5P_DEFAULT);
    if (mg < 0) {
        snprintf(c->err, c->errlen, "/ptq/%s is not a group", name);
        return -1;
    }
    for (int k = 0; k < 5; k++) {
        long m = read_column(mg, cols[k], &v[k]);
        if (m < 0 || (n >= 0 && m != n)) {
            snprintf(c->err, c->errlen, "/ptq/%s/%s is %s", name, cols[k],
                     m < 0 ? "missing or not a 1-D numeric dataset"
                           : "of a different length than step");
            n = -2;
            break;
        }
        n = m;
    }
    H5Gclose(mg);
    int rc = n < 0 ? -1 : 0;
    for (long i = 0; rc == 0 && i < n; i++) {
        if (v[0][i] != c->final_step) {
            c->intermediate++;
            continue;
        }
        psl_point p = c->base;
        p.P_post = v[1][i];
        p.loss = v[2][i];
        p.base_loss = v[3][i];
        p.delta = v[4][i];
        snprintf(p.method, sizeof p.method, "%s", name);
        if (!(p.P_post > 0) || !isfinite(p.loss)) continue;
        if (psl_data_push(c->pts, &p)) {
            snprintf(c->err, c->errlen, "out of memory");
            rc = -1;
        }
    }
    for (int k = 0; k < 5; k++) free(v[k]);
    return rc;
}

static long read_file(hid_t f, const char *path, const psl_read_opts *o, psl_data *d,
                      psl_notes *notes, char *err, size_t errlen) {
    char e[256] = "";
    double ver;
    int rc = attr_num(f, "/", "schema_version", &ver);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path,
                 rc > 0 ? "no schema_version attribute on /: not a run file"
                        : "schema_version is unreadable");
        return -1;
    }
    if (ver != SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema_version %g; this fitlaws reads version %d", path, ver,
                 SCHEMA_VERSION);
        return -1;
    }
    psl_point p;
    psl_point_clear(&p);
    snprintf(p.source, sizeof p.source, "%s", path);
    char name[256] = "";
    rc = attr_str(f, "/", "name", name, sizeof name);
    if (rc < 0) {
        snprintf(err, errlen, "%s: root attribute name is not a single string", path);
        return -1;
    }
    if (rc == 2) too_long(name, sizeof name); /* only shown in notes */
    rc = attr_str(f, "/", "run_id", p.run_id, sizeof p.run_id);
    if (rc) {
        if (rc == 2)
            snprintf(err, errlen, "%s: root attribute run_id is longer than %d characters", path,
                     PSL_RUNID_MAX - 1);
        else
            snprintf(err, errlen, "%s: root attribute run_id is %s", path,
                     rc == 1 ? "missing" : "not a single string");
        return -1;
    }
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->pt[i].run_id, p.run_id)) {
            psl_note(notes, "%s: duplicate run (run_id %s already read from %s); skipped", path,
                     p.run_id, d->pt[i].source);
            return 0;
        }
    if (H5Lexists(f, "/final", H5P_DEFAULT) <= 0) {
        psl_note(notes, "%s: no /final group (run still going or killed); skipped", path);
        return 0;
    }
    char status[32] = "", reason[512] = "";
    rc = attr_str(f, "/final", "status", status, sizeof status);
    if (rc == 2) {
        snprintf(err, errlen, "%s: /final status '%.40s...' is not done, diverged or failed", path,
                 status);
        return -1;
    }
    if (rc) {
        snprintf(err, errlen, "%s: /final has no status attribute that is a single string", path);
        return -1;
    }
    rc = attr_str(f, "/final", "reason", reason, sizeof reason);
    if (rc < 0) {
        snprintf(err, errlen, "%s: /final attribute reason is not a single string", path);
        return -1;
    }
    if (rc == 2) too_long(reason, sizeof reason); /* free text, shown in notes */
    if (!strcmp(status, "failed")) {
        psl_note(notes, "%s: failed run skipped (%s)", path, *reason ? reason : "no reason given");
        return 0;
    }
    int diverged = !strcmp(status, "diverged");
    if (!diverged && strcmp(status, "done")) {
        snprintf(err, errlen, "%s: /final status '%s' is not done, diverged or failed", path,
                 status);
        return -1;
    }
    if (diverged && !(o && o->include_diverged)) {
        double st = NAN;
        attr_num(f, "/final", "diverged_step", &st);
        psl_note(notes, "%s: diverged run %s excluded (step %g: %s)", path, name, st,
                 *reason ? reason : "no reason given");
        return 0;
    }
    const char *need[] = {"N", "D", "P_w", "P_a", "P_kv"};
    double *dst[] = {&p.N, &p.D, &p.P_w, &p.P_a, &p.P_kv};
    for (int k = 0; k < 5; k++) {
        rc = attr_num(f, "/config", need[k], dst[k]);
        if (rc || !(*dst[k] > 0) || !isfinite(*dst[k])) {
            snprintf(err, errlen, "%s: /config attribute %s is %s", path, need[k],
                     rc > 0   ? "missing"
                     : rc < 0 ? "unreadable"
                              : "not a positive number");
            return -1;
        }
    }
    rc = attr_str(f, "/config", "format_w", p.format, sizeof p.format);
    if (rc < 0 || rc == 2) {
        if (rc == 2)
            snprintf(err, errlen, "%s: /config attribute format_w is longer than %d characters",
                     path, PSL_FORMAT_MAX - 1);
        else
            snprintf(err, errlen, "%s: /config attribute format_w is not a single string", path);
        return -1;
    }
    double g;
    if (attr_num(f, "/config", "group_size_w", &g) == 0 && g > 0) p.G = g;
    double val = NAN, steps = NAN;
    if (attr_num(f, "/final", "val_loss", &val) < 0 || attr_num(f, "/final", "steps", &steps) < 0) {
        snprintf(err, errlen, "%s: /final val_loss or steps is unreadable", path);
        return -1;
    }
    p.run = d->nruns;
    psl_data local;
    psl_data_init(&local);
    if (isfinite(val) && val > 0) {
        p.loss = val;
        if (psl_data_push(&local, &p)) goto oom;
    } else {
        psl_note(notes, "%s: final val_loss is %g; end-of-training point skipped", path, val);
    }
    long intermediate = 0;
    if (H5Lexists(f, "/ptq", H5P_DEFAULT) > 0) {
        hid_t g2 = H5Gopen2(f, "/ptq", H5P_DEFAULT);
        ptq_ctx c = {p, steps, &local, e, sizeof e, 0};
        c.base.base_loss = c.base.delta = NAN;
        herr_t it = g2 < 0 ? -1 : H5Literate(g2, H5_INDEX_NAME, H5_ITER_INC, NULL, ptq_method, &c);
        if (g2 >= 0) H5Gclose(g2);
        if (it < 0) {
            snprintf(err, errlen, "%s: %s", path, *e ? e : "/ptq is unreadable");
            psl_data_free(&local);
            return -1;
        }
        intermediate = c.intermediate;
    }
    if (intermediate)
        psl_note(notes, "%s: %ld PTQ rows of intermediate checkpoints not used in fits", path,
                 intermediate);
    for (size_t i = 0; i < local.n; i++)
        if (psl_data_push(d, &local.pt[i])) goto oom;
    if (local.n) d->nruns++;
    long added = (long)local.n;
    psl_data_free(&local);
    return added;
oom:
    psl_data_free(&local);
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
}

/* One table's tokens and loss columns (both or none: absent table, 0 rows). */
static int curve_table(hid_t f, const char *path, const char *table, long *n, double **tok,
                       double **loss, char *err, size_t errlen) {
    *n = 0;
    *tok = *loss = NULL;
    if (H5Lexists(f, table, H5P_DEFAULT) <= 0) return 0;
    hid_t g = H5Gopen2(f, table, H5P_DEFAULT);
    if (g < 0) {
        snprintf(err, errlen, "%s: %s is not a group", path, table);
        return -1;
    }
    long a = read_column(g, "tokens", tok), b = read_column(g, "loss", loss);
    H5Gclose(g);
    if (a < 0 || b < 0 || a != b) {
        snprintf(err, errlen, "%s: %s/%s", path, table,
                 a < 0   ? "tokens is missing or not a 1-D numeric dataset"
                 : b < 0 ? "loss is missing or not a 1-D numeric dataset"
                         : "tokens and loss differ in length");
        free(*tok);
        free(*loss);
        *tok = *loss = NULL;
        return -1;
    }
    *n = a;
    return 0;
}

void psl_curve_free(psl_curve *c) {
    free(c->train_tokens);
    free(c->train_loss);
    free(c->eval_tokens);
    free(c->eval_loss);
    memset(c, 0, sizeof *c);
}

int psl_h5_read_curve(const char *path, psl_curve *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    int rc = -1;
    H5E_BEGIN_TRY {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) {
            snprintf(err, errlen, "%s: not a readable HDF5 file (truncated or corrupt?)", path);
        } else {
            rc = curve_table(f, path, "/train", &c->ntrain, &c->train_tokens, &c->train_loss, err,
                             errlen);
            if (!rc)
                rc = curve_table(f, path, "/eval", &c->neval, &c->eval_tokens, &c->eval_loss, err,
                                 errlen);
            H5Fclose(f);
        }
    }
    H5E_END_TRY;
    if (rc) psl_curve_free(c);
    return rc;
}

long psl_h5_read(const char *path, const psl_read_opts *o, psl_data *d, psl_notes *notes, char *err,
                 size_t errlen) {
    long r = -1;
    /* The library prints its error stack by default; our message says it better. */
    H5E_BEGIN_TRY {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) {
            snprintf(err, errlen, "%s: not a readable HDF5 file (truncated or corrupt?)", path);
        } else {
            r = read_file(f, path, o, d, notes, err, errlen);
            H5Fclose(f);
        }
    }
    H5E_END_TRY;
    return r;
}
