/*-------------------------------------------------------------------------
 * value.h
 *     Conversion between the text of a CSV cell (or a database column in
 *     COPY text form) and the typed value of a field. Pure functions: no
 *     I/O, no allocation.
 *
 * batch/core/value.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_VALUE_H
#define SENTENCER_VALUE_H

#include "case.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest values accepted (README.md, "Limits of the values").
 * An int field is a PostgreSQL integer column: 32 bits. Counts and amounts
 * are bigint; their limits, a trillion (records, clicks) and a trillion
 * yuan, are beyond any real case and keep what the rules compute from a
 * charge's acts far from int64 overflow: a count times the largest
 * conversion weight (100) and an amount in fen are each at most 10^14 per
 * act, so a charge needs over 90,000 acts at the limit to overflow a sum,
 * and over 900 (a total of 9 * 10^14 yuan) to overflow the fine, which
 * multiplies the summed illegal income by a percentage of up to 100. */
#define VALUE_INT_MAX INT64_C(2147483647)
#define VALUE_COUNT_MAX INT64_C(1000000000000)
#define VALUE_AMOUNT_MAX_YUAN INT64_C(1000000000000)

/* Parse the non-empty text s as a value of field def. On success store the
 * integer form in *num (count, int, fen, 0/1, days since 1970-01-01 for
 * dates, enum index) and return true. FT_TEXT and FT_LIST succeed (num
 * untouched) unless s is not valid UTF-8, holds a control character (C0,
 * DEL, C1), is longer than def->max_bytes or breaks def->form (an
 * identifier beginning with =, + , - or @; a court code that is not six
 * digits of GB/T 2260). On failure write a reason for
 * the user into reason (e.g. "not a date (YYYY-MM-DD): '2021-13-01'",
 * "more than two decimals: '12.345'", "not one of person, unit: 'firm'") and
 * return false.
 *   bool:   true/false, 1/0, yes/no, any case
 *   count:  digits only, no sign, at most VALUE_COUNT_MAX
 *   int:    optional '-', digits, within a 32-bit integer; no "-0"
 *   amount: digits with optional '.' and one or two decimals, at most
 *           VALUE_AMOUNT_MAX_YUAN; result in fen
 *   date:   YYYY-MM-DD, a real calendar day between 1900 and 2199 */
bool value_parse(const struct field_def *def, const char *s, int64_t *num, char *reason,
                 size_t reason_len);

/* Format the integer form of a value of type t into buf (NUL-terminated),
 * returning the length written, or 0 when buf is too small or t is textual.
 *   bool -> "true"/"false"; amount -> "12000" or "12000.50" (fen != 0);
 *   date -> "YYYY-MM-DD"; counts and ints -> decimal. */
size_t value_format(enum ftype t, int64_t num, char *buf, size_t len);

/* Calendar helpers (proleptic Gregorian). */
int64_t days_from_civil(int y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

/* True when the len bytes at s are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

/* Copy the len bytes of text at s into dst (dstlen bytes, always
 * NUL-terminated when dstlen > 0) so that printing it can neither disturb a
 * terminal nor hide anything: valid UTF-8 is copied as is, except
 *   C0 controls, DEL and bytes that are not UTF-8 -> \xNN   (ESC -> \x1B)
 *   C1 controls U+0080..U+009F and invisible characters (soft hyphen,
 *   zero-width and direction marks, U+2028/9, U+FEFF, tags) -> \uNNNN
 *   (\UNNNNNNNN past U+FFFF)
 * Stops before the first character whose copy does not fit; returns the
 * number of bytes of s consumed (len when everything fit). A backslash is
 * copied as is. */
size_t text_escape(char *dst, size_t dstlen, const char *s, size_t len);

/* text_escape, ending with "..." when s does not fit whole (dstlen >= 4;
 * a smaller dst gets ""). Returns the bytes of s shown. For quoting a cell
 * or a name in a message. */
size_t text_show(char *dst, size_t dstlen, const char *s, size_t len);

/* True when text_escape would escape something in the len bytes at s: a
 * control or invisible character, or a byte that is not UTF-8. */
bool text_has_hidden(const char *s, size_t len);

/* Parse a duration of the command line (--older-than, --max-age): a whole
 * number and a unit, s, m, h, d or w ("30d", "12h"), at most 100 years.
 * Returns false for anything else. */
bool duration_parse(const char *s, long long *seconds);

#endif
