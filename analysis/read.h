/* Reading runs: HDF5 run files (docs/run-file.md) and CSV tables (docs/csv.md). */
#ifndef PSL_ANALYSIS_READ_H
#define PSL_ANALYSIS_READ_H

#include "data.h"

typedef struct {
    int include_diverged; /* keep diverged runs whose loss is still finite */
} psl_read_opts;

/* Parses a CSV held in memory. fname names it in messages. Rows that cannot be used
 * are skipped with a note "file:line:column: problem". Returns the number of points
 * added, or -1 when the file as a whole is unusable (err says why). Never reads past
 * buf + len; buf need not be NUL-terminated. */
long psl_csv_parse(const char *buf, size_t len, const char *fname, const psl_read_opts *o,
                   psl_data *d, psl_notes *notes, char *err, size_t errlen);
long psl_csv_read(const char *path, const psl_read_opts *o, psl_data *d, psl_notes *notes,
                  char *err, size_t errlen);

/* Reads one HDF5 run file. Returns points added (0 when the run is skipped, with a note),
 * or -1 when the file is unreadable or of another schema (err says why). */
long psl_h5_read(const char *path, const psl_read_opts *o, psl_data *d, psl_notes *notes, char *err,
                 size_t errlen);

/* A run's training curves: its /train and /eval tables (docs/run-file.md), tokens and loss
 * of each row in file order. */
typedef struct {
    long ntrain, neval;
    double *train_tokens, *train_loss;
    double *eval_tokens, *eval_loss;
} psl_curve;

/* Reads the /train and /eval tables of one HDF5 run file into c (a table the file lacks
 * has 0 rows). Returns 0, or -1 when the file cannot be opened or a table is malformed
 * (columns missing, not 1-D numeric, or of different lengths; err names the file and the
 * table). c is always safe to free. */
int psl_h5_read_curve(const char *path, psl_curve *c, char *err, size_t errlen);
void psl_curve_free(psl_curve *c);

/* Reads every *.h5 under dir (recursively, in sorted order). Unreadable files become
 * notes; the rest are still read. Returns points added, or -1 when dir cannot be
 * opened. */
long psl_read_dir(const char *dir, const psl_read_opts *o, psl_data *d, psl_notes *notes, char *err,
                  size_t errlen);

#endif
