#ifndef ENGINE_RUNLOG_H
#define ENGINE_RUNLOG_H
/* The run file (docs/run-file.md): HDF5, one per run. The whole log is held in
 * memory and every save rewrites the file through a temporary file and a rename,
 * so the file on disk is always complete and valid, whenever the process dies.
 * Logs are small (a row per step), so rewriting costs milliseconds. */
#include <stddef.h>
#include <stdint.h>

#define RUNLOG_SCHEMA_VERSION 1

typedef enum { ATTR_INT, ATTR_REAL, ATTR_STR } attr_type;

typedef struct attr {
    char name[64];
    attr_type type;
    int64_t i;
    double r;
    char *s;
} attr;

typedef struct attr_set {
    attr *items;
    size_t n, cap;
} attr_set;

/* A group of parallel 1-D datasets (columns) of equal length. */
#define TABLE_MAX_COLS 8
typedef struct table {
    char path[128]; /* e.g. "/train" or "/ptq/gptq" */
    int ncols;
    char col_name[TABLE_MAX_COLS][32];
    attr_type col_type[TABLE_MAX_COLS]; /* ATTR_INT or ATTR_REAL */
    void *col[TABLE_MAX_COLS];          /* int64_t[] or double[] */
    size_t rows, cap;
    attr_set attrs; /* attributes of the group */
} table;

typedef struct runlog {
    attr_set root, config, final;
    int has_final;
    table **tables; /* pointers, so a table found once stays valid as tables are added */
    size_t ntables;
} runlog;

void runlog_init(runlog *rl);
void runlog_free(runlog *rl);

void attr_set_int(attr_set *a, const char *name, int64_t v);
void attr_set_real(attr_set *a, const char *name, double v);
void attr_set_str(attr_set *a, const char *name, const char *v);
const attr *attr_get(const attr_set *a, const char *name);

struct train_config;
/* The run's knobs from its /config attributes, through config_set as sweep train reads
 * them (knobs the file predates keep their defaults). -1 with err naming file and knob. */
int runlog_config(const runlog *rl, const char *file, struct train_config *c, char *err,
                  size_t errlen);
/* Sets x (name, type and value) in a, replacing an attribute of that name. */
void attr_set_put(attr_set *a, const attr *x);
/* 1 when every attribute of now is in old with the same type and value; else 0 with the
 * name of the first that is not in which. */
int attr_set_includes(const attr_set *old, const attr_set *now, char *which, size_t len);
void attr_set_free(attr_set *a);

/* Forgets /final (a resumed run is running again). */
void runlog_clear_final(runlog *rl);

/* Finds the table at path, or creates it with the given columns ("step:i,loss:r"). */
table *runlog_table(runlog *rl, const char *path, const char *columns);
table *runlog_find_table(const runlog *rl, const char *path);
/* Appends one row; values are given in column order as doubles (ints converted). */
int table_append(table *t, const double *values);
/* Drops rows whose first column (the step) is greater than step. */
void table_truncate_after(table *t, int64_t step);
double table_get(const table *t, int col, size_t row);
/* Sorts the rows by the first column, then the second (insertion sort: stable, and the
 * tables it sorts, one row per PTQ bit width, are short). */
void table_sort_by_first_two(table *t);
/* Drops the rows whose first column is step and second is key. */
void table_drop_rows(table *t, int64_t step, double key);

/* Writes the whole log to path atomically. */
int runlog_save(const runlog *rl, const char *path, char *err, size_t errlen);
/* Reads a run file written by runlog_save (any known layout), for resuming and for
 * appending results. Refuses another schema_version. */
int runlog_load(runlog *rl, const char *path, char *err, size_t errlen);
#endif
