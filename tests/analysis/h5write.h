/* Test helper: writes run files in exactly the schema of docs/run-file.md (version 1),
 * so the reader can be tested without the engine. */
#ifndef PSL_TESTS_H5WRITE_H
#define PSL_TESTS_H5WRITE_H

typedef struct {
    long long schema_version; /* 1 */
    const char *run_id;       /* 16 hex digits */
    const char *name;
    long long N, D;
    double P_w, P_a, P_kv;
    const char *format_w;
    const char *status; /* "done", "diverged", "failed", or NULL for no /final */
    double val_loss;
    long long steps;
    int nptq; /* PTQ rows in /ptq/gptq */
    double ptq_bits[8];
    double ptq_loss[8];
    long long ptq_step[8]; /* 0 = the final step */
} h5run;

/* A done run with sensible defaults. */
h5run h5run_default(const char *run_id, long long N, long long D, double P_w);

/* Writes path; returns 0 on success. */
int h5run_write(const char *path, const h5run *r);

#endif
