/* Input from other tools: a column mapping for CSV tables (--map) and JSON Lines
 * (--jsonl), both read by analysis/csv.c into the same points as --csv
 * (docs/fitlaws.md, "Input from other tools"). */
#ifndef PSL_ANALYSIS_INPUT_H
#define PSL_ANALYSIS_INPUT_H

#include "read.h"

/* fitlaws' columns (docs/csv.md): N, D, loss, P_w, P_a, P_kv, P, format, P_post, method,
 * base_loss, delta, G, seed, run_id, name, status */
#define PSL_NCOLS       17
#define PSL_COLMAP_NAME 128 /* longest source column name + 1 */

/* For each fitlaws column, the name of the file's own column (or JSON key) that holds
 * it; "" where the file uses fitlaws' name. */
typedef struct {
    char src[PSL_NCOLS][PSL_COLMAP_NAME];
} psl_colmap;

/* Parses "N=params,D=tokens,loss=val_loss,..." (fitlaws column = the file's column) into
 * *m. 0, or -1 with err saying what is wrong (an unknown fitlaws column, one mapped
 * twice, an empty or too long name). */
int psl_colmap_parse(const char *spec, psl_colmap *m, char *err, size_t errlen);

/* psl_csv_parse / psl_csv_read with the columns found by map (NULL: by fitlaws' names).
 * A column the map names that the header lacks makes the file unusable. */
long psl_csv_parse_map(const char *buf, size_t len, const char *fname, const psl_read_opts *o,
                       const psl_colmap *map, psl_data *d, psl_notes *notes, char *err,
                       size_t errlen);
long psl_csv_read_map(const char *path, const psl_read_opts *o, const psl_colmap *map, psl_data *d,
                      psl_notes *notes, char *err, size_t errlen);

/* JSON Lines: one object per line whose keys are the CSV's column names (or map's),
 * values numbers, strings or null (= empty); blank lines and lines starting with # are
 * skipped. A line that is not such an object, or lacks N, D or loss, is skipped with a
 * note "file:line:column: what"; the rest is used as a CSV row would be. Returns the
 * points added, or -1 when the file cannot be read (err says why). Never reads past buf +
 * len. */
long psl_jsonl_parse(const char *buf, size_t len, const char *fname, const psl_read_opts *o,
                     const psl_colmap *map, psl_data *d, psl_notes *notes, char *err,
                     size_t errlen);
long psl_jsonl_read(const char *path, const psl_read_opts *o, const psl_colmap *map, psl_data *d,
                    psl_notes *notes, char *err, size_t errlen);

#endif
