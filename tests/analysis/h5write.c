#include "h5write.h"

#include <hdf5.h>
#include <math.h>
#include <string.h>

h5run h5run_default(const char *run_id, long long N, long long D, double P_w) {
    h5run r;
    memset(&r, 0, sizeof r);
    r.schema_version = 1;
    r.run_id = run_id;
    r.name = "test-run";
    r.N = N;
    r.D = D;
    r.P_w = P_w;
    r.P_a = r.P_kv = 16;
    r.format_w = P_w >= 16 ? "bf16" : "int";
    r.status = "done";
    r.val_loss = 3.5;
    r.steps = 100;
    return r;
}

static void attr_str(hid_t loc, const char *name, const char *v) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, &v);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void attr_i64(hid_t loc, const char *name, long long v) {
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_NATIVE_INT64, s, H5P_DEFAULT, H5P_DEFAULT);
    int64_t x = v;
    H5Awrite(a, H5T_NATIVE_INT64, &x);
    H5Aclose(a);
    H5Sclose(s);
}

static void attr_f64(hid_t loc, const char *name, double v) {
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_NATIVE_DOUBLE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
    H5Sclose(s);
}

/* Extendible, chunked 1-D dataset (the H5MD step/value convention). */
static void column(hid_t g, const char *name, hid_t type, const void *data, hsize_t n) {
    hsize_t dims = n, maxd = H5S_UNLIMITED, chunk = 64;
    hid_t s = H5Screate_simple(1, &dims, &maxd);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 1, &chunk);
    hid_t d = H5Dcreate2(g, name, type, s, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (n) H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Pclose(pl);
    H5Sclose(s);
}

int h5run_write(const char *path, const h5run *r) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return -1;
    attr_i64(f, "schema_version", r->schema_version);
    attr_str(f, "run_id", r->run_id);
    attr_str(f, "name", r->name);
    attr_str(f, "config", "{\"d_model\":64}");
    attr_str(f, "engine_version", "0.1.0");
    attr_str(f, "git_commit", "unknown");
    attr_str(f, "host", "test");
    attr_str(f, "created", "2026-01-01T00:00:00Z");
    hid_t c = H5Gcreate2(f, "config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    attr_i64(c, "d_model", 64);
    attr_i64(c, "N", r->N);
    attr_i64(c, "N_total", r->N * 2);
    attr_i64(c, "D", r->D);
    attr_f64(c, "P_w", r->P_w);
    attr_f64(c, "P_a", r->P_a);
    attr_f64(c, "P_kv", r->P_kv);
    attr_str(c, "format_w", r->format_w);
    attr_str(c, "format_a", r->P_a >= 16 ? "bf16" : "int");
    attr_str(c, "format_kv", r->P_kv >= 16 ? "bf16" : "int");
    attr_i64(c, "train_tokens_unique", r->D * 4);
    attr_f64(c, "flops_per_token", 6.0 * (double)r->N);
    H5Gclose(c);
    int64_t step[3] = {10, 20, 30}, tok[3] = {1000, 2000, 3000};
    double loss[3] = {5, 4.5, 4}, lr[3] = {1e-3, 1e-3, 1e-4}, gn[3] = {1, 1, 1},
           wall[3] = {1, 2, 3};
    hid_t t = H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    column(t, "step", H5T_NATIVE_INT64, step, 3);
    column(t, "tokens", H5T_NATIVE_INT64, tok, 3);
    column(t, "loss", H5T_NATIVE_DOUBLE, loss, 3);
    column(t, "lr", H5T_NATIVE_DOUBLE, lr, 3);
    column(t, "grad_norm", H5T_NATIVE_DOUBLE, gn, 3);
    column(t, "wall", H5T_NATIVE_DOUBLE, wall, 3);
    H5Gclose(t);
    hid_t e = H5Gcreate2(f, "eval", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    column(e, "step", H5T_NATIVE_INT64, step, 3);
    column(e, "tokens", H5T_NATIVE_INT64, tok, 3);
    column(e, "loss", H5T_NATIVE_DOUBLE, loss, 3);
    H5Gclose(e);
    if (r->status) {
        hid_t g = H5Gcreate2(f, "final", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        attr_str(g, "status", r->status);
        attr_f64(g, "val_loss", !strcmp(r->status, "diverged") ? NAN : r->val_loss);
        attr_f64(g, "train_loss", r->val_loss + 0.01);
        attr_i64(g, "steps", r->steps);
        attr_i64(g, "tokens", r->D);
        attr_f64(g, "epochs", 0.25);
        attr_f64(g, "flops", 6.0 * (double)r->N * (double)r->D);
        attr_f64(g, "wall_s", 3.0);
        if (strcmp(r->status, "done")) {
            attr_i64(g, "diverged_step", 50);
            attr_str(g, "reason", !strcmp(r->status, "diverged") ? "loss is NaN" : "out of memory");
        }
        H5Gclose(g);
    }
    if (r->nptq) {
        hid_t p = H5Gcreate2(f, "ptq", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hid_t m = H5Gcreate2(p, "gptq", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        int64_t st[8];
        double base[8], delta[8];
        for (int i = 0; i < r->nptq; i++) {
            st[i] = r->ptq_step[i] ? r->ptq_step[i] : r->steps;
            base[i] = r->val_loss;
            delta[i] = r->ptq_loss[i] - r->val_loss;
        }
        column(m, "step", H5T_NATIVE_INT64, st, (hsize_t)r->nptq);
        column(m, "bits", H5T_NATIVE_DOUBLE, r->ptq_bits, (hsize_t)r->nptq);
        column(m, "val_loss", H5T_NATIVE_DOUBLE, r->ptq_loss, (hsize_t)r->nptq);
        column(m, "base_loss", H5T_NATIVE_DOUBLE, base, (hsize_t)r->nptq);
        column(m, "delta", H5T_NATIVE_DOUBLE, delta, (hsize_t)r->nptq);
        attr_str(m, "format", "int");
        attr_str(m, "granularity", "channel");
        attr_i64(m, "group_size", 0);
        attr_i64(m, "symmetric", 1);
        attr_i64(m, "calib_tokens", 4096);
        H5Gclose(m);
        H5Gclose(p);
    }
    return H5Fclose(f) < 0 ? -1 : 0;
}
