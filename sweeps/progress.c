#include "progress.h"
#include "clock.h"

#include <unistd.h>

void progress_init(progress_line *p, FILE *out) {
    p->out = out;
    p->is_tty = isatty(fileno(out));
    p->last_print = -1e9;
}

void format_duration(char *buf, size_t len, double s) {
    if (!(s >= 0) || s > 1e8)
        snprintf(buf, len, "--:--");
    else if (s >= 3600)
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

void progress_show(progress_line *p, double frac, const char *text, int force) {
    double now = now_s();
    double every = p->is_tty ? 0.1 : 10.0;
    if (!force && now - p->last_print < every) return;
    p->last_print = now;
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];
    int full = (int)(frac * WIDTH + 0.5);
    for (int i = 0; i < WIDTH; i++) bar[i] = i < full ? '#' : '.';
    bar[WIDTH] = 0;
    if (p->is_tty)
        fprintf(p->out, "\r\033[K[%s] %3.0f%% %s", bar, 100 * frac, text);
    else
        fprintf(p->out, "[%s] %3.0f%% %s\n", bar, 100 * frac, text);
    fflush(p->out);
}

void progress_done(progress_line *p) {
    if (p->is_tty) fputc('\n', p->out);
    fflush(p->out);
}
