/* The sweep commands' option parser (cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_value(int argc, char **argv, int *i, const char *name, const char **value, char *err,
              size_t errlen) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n)) return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n]) return 0; /* --jobsx: another option */
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "%s needs a value (%s VALUE or %s=VALUE)", name, name, name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_flag(const char *arg, const char *name, char *err, size_t errlen) {
    size_t n = strlen(name);
    if (strncmp(arg, name, n)) return 0;
    if (!arg[n]) return 1;
    if (arg[n] == '=') {
        snprintf(err, errlen, "%s takes no value (got '%s')", name, arg);
        return -1;
    }
    return 0;
}

int cli_long(const char *name, const char *text, long lo, long hi, long *out, char *err,
             size_t errlen) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < lo || v > hi) {
        snprintf(err, errlen, "%s=%s: expected an integer in %ld..%ld", name, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}
