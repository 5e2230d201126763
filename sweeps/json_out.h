#ifndef SWEEP_JSON_OUT_H
#define SWEEP_JSON_OUT_H
/* Writing JSON (RFC 8259) to a stream: strings escaped so that any bytes give valid
 * JSON in UTF-8, numbers that a parser reads back exactly. */
#include <stdio.h>

/* s as a JSON string, quoted: '"' and '\\' escaped, control characters (and DEL) as
 * \b \f \n \r \t or \u00XX, valid UTF-8 sequences copied, every byte that is not part of
 * one (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, a cut
 * sequence) as \ufffd. NULL is written as null. */
void json_string(FILE *f, const char *s);
/* x with %.17g (read back bit for bit); null when it is not finite (JSON has no NaN). */
void json_number(FILE *f, double x);
/* "true" or "false". */
void json_bool(FILE *f, int b);
#endif
