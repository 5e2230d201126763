#ifndef SWEEP_CLI_H
#define SWEEP_CLI_H
/* Command-line options of the sweep commands, in the GNU long form: `--name VALUE` or
 * `--name=VALUE` for an option with a value, `--name` alone for a flag. One parser, so
 * every command accepts both forms and refuses a malformed value with exit status 2. */
#include <stddef.h>

/* Whether argv[*i] is the option `name` (e.g. "--jobs") with a value: 1 and *value set
 * (and *i advanced past a separate value); 0 when argv[*i] is another argument; -1 when it
 * is this option without a value (message in err). */
int cli_value(int argc, char **argv, int *i, const char *name, const char **value, char *err,
              size_t errlen);
/* Whether argv[i] is the flag `name`: 1 when it is, 0 when not, -1 for `--name=...` (a
 * flag takes no value; message in err). */
int cli_flag(const char *arg, const char *name, char *err, size_t errlen);
/* An integer option's value: the whole text a decimal integer in lo..hi, else -1 with
 * "NAME=TEXT: expected an integer in LO..HI" in err. */
int cli_long(const char *name, const char *text, long lo, long hi, long *out, char *err,
             size_t errlen);
#endif
