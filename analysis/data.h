/* Points (one measured loss each), the run set they come from, and notes. */
#ifndef PSL_ANALYSIS_DATA_H
#define PSL_ANALYSIS_DATA_H

#include <stddef.h>

/* Sizes of a point's text fields, terminating NUL included. A reader keeps a value whole
 * or refuses it with a message (csv.c: the row is skipped, naming the file, line, column
 * and the limit); it never cuts one, since formats, methods and run ids are compared
 * whole (per-format eff keys, PTQ methods, runs). */
#define PSL_FORMAT_MAX 64
#define PSL_METHOD_MAX 64
#define PSL_RUNID_MAX  128

/* One measurement a law can be fitted on: the end-of-training loss of a run, or the
 * loss of that run after post-training quantization to P_post bits. */
typedef struct {
    double N, D;                 /* non-embedding parameters, training tokens */
    double P_w, P_a, P_kv;       /* training precision in bits; >= 16 means unquantized */
    double P_post;               /* PTQ bits; 0 when the point is not post-training quantized */
    double G;                    /* training quantization group size; 0 when unknown */
    double loss;                 /* validation loss of this point (after PTQ when P_post > 0) */
    double base_loss;            /* loss of the same weights before PTQ; NAN when unknown */
    double delta;                /* loss - base_loss; NAN when unknown */
    double lnN, lnD;             /* log N, log D: set by psl_data_push (laws use them often) */
    int run;                     /* index of the run (bootstrap unit) in psl_data */
    char format[PSL_FORMAT_MAX]; /* training format of the weights (int, fp32, quest, ...) */
    char method[PSL_METHOD_MAX]; /* PTQ method: the /ptq table name (gptq, rtn_int_g128_asym) or ""
                                  */
    char run_id[PSL_RUNID_MAX];  /* run identity (file's run_id, CSV run_id column), or "" */
    char source[192];            /* where it was read: file, or file:line for CSV */
} psl_point;

typedef struct {
    psl_point *pt;
    size_t n, cap;
    int nruns;
} psl_data;

/* Messages for the user (skipped inputs, excluded runs); kept in reading order. */
typedef struct {
    char **msg;
    size_t n, cap;
} psl_notes;

void psl_data_init(psl_data *d);
void psl_data_free(psl_data *d);
/* Appends a copy of p; returns 0, or -1 when out of memory. */
int psl_data_push(psl_data *d, const psl_point *p);
/* A point with every field "unknown" (NAN, zero, empty strings). */
void psl_point_clear(psl_point *p);
/* 1 when every training part is unquantized (>= 16 bits). */
int psl_point_high_precision(const psl_point *p);

void psl_notes_init(psl_notes *n);
void psl_notes_free(psl_notes *n);
void psl_note(psl_notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills base_loss/delta of PTQ points that lack them from the unquantized point of the
 * same run, so CSVs may give only losses. */
void psl_data_fill_deltas(psl_data *d);

/* Keeps the post-training-quantized points of one PTQ method (the /ptq table name, e.g.
 * gptq, rtn, rtn_int_g128_asym) and drops the others: delta_PTQ depends on the method, so
 * the laws are fitted to one. method NULL or "auto": gptq when there are GPTQ points (the
 * paper's method), else the most frequent. The choice and what was dropped are noted. */
void psl_data_keep_ptq_method(psl_data *d, const char *method, psl_notes *notes);
/* Whether d has post-training-quantized points of method; the methods present, comma
 * separated, in list (cut short when full). */
int psl_data_has_ptq_method(const psl_data *d, const char *method, char *list, size_t len);

/* 1 when fmt names an unquantized format (fp32, bf16, fp16, tf32, ..., or empty). */
int psl_format_unquantized(const char *fmt);

/* Notes the points whose weight format names a quantized format (int, e2m1, mxfp4, ...)
 * while P_w >= 16: they are treated as unquantized, which the note says. */
void psl_data_note_format_bits(const psl_data *d, psl_notes *notes);

#endif
