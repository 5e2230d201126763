#ifndef SWEEP_PROGRESS_H
#define SWEEP_PROGRESS_H
/* One-line progress display: redrawn in place on a terminal, a line every few
 * seconds otherwise (logs, Slurm output). */
#include <stdio.h>

typedef struct progress_line {
    FILE *out;
    int is_tty;
    double last_print;
} progress_line;

void progress_init(progress_line *p, FILE *out);
/* frac in [0,1]; text follows the bar. force prints even when throttled. */
void progress_show(progress_line *p, double frac, const char *text, int force);
void progress_done(progress_line *p);
void format_duration(char *buf, size_t len, double seconds);
#endif
