/*-------------------------------------------------------------------------
 * csvout.h
 *     CSV writer: RFC 4180 quoting (fields quoted only when they need it:
 *     comma, quote, CR, LF, or leading or trailing space) and UTF-8, with
 *     LF line ends where RFC 4180 names CRLF (R, pandas and Excel read
 *     both; the README documents LF), through libcsv's csv_write into a
 *     256 KiB buffer. Formula-like text cells are neutralised.
 *
 * batch/csv/csvout.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CSVOUT_H
#define SENTENCER_CSVOUT_H

#include "case.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct csvout;

/* Open a writer on fp (borrowed; the caller closes fp after csvout_close).
 * name is used in messages. With bom, the output begins with a UTF-8
 * byte-order mark (for Excel). *out: new writer, free with csvout_close(). */
enum status csvout_open(struct csvout **out, FILE *fp, const char *name, bool bom, struct err *err);

/* Write text cells as they are, formula-like or not: for a file that is
 * rewritten and must keep its other bytes (check-rules --accept). */
void csvout_verbatim(struct csvout *w);

/* Every call below returns the writer's first failure once there has been
 * one (a write, or a value that cannot be written), and writes nothing
 * more: a caller may ignore the fields' statuses and check
 * csvout_end_row's, or csvout_close's. */

/* Append one field to the current row (len bytes of s; s may be NULL for
 * an empty field). Text that a spreadsheet would take for a formula (it
 * begins with =, +, -, @, tab or CR and is not a plain number such as -3
 * or -0.5) is written as '=... in quotes, so that it shows as text. */
enum status csvout_field(struct csvout *w, const char *s, size_t len, struct err *err);
enum status csvout_str(struct csvout *w, const char *s, struct err *err); /* NUL-terminated */
enum status csvout_int(struct csvout *w, int64_t v, struct err *err);
/* A typed value (value_format); present == false writes an empty field. */
enum status csvout_value(struct csvout *w, enum ftype t, bool present, int64_t num,
                         const char *text, struct err *err);
/* End the current row. */
enum status csvout_end_row(struct csvout *w, struct err *err);

/* The header of recommendations.csv and one row of it, in contract order. */
enum status csvout_rec_header(struct csvout *w, struct err *err);
enum status csvout_rec(struct csvout *w, const struct rec *r, struct err *err);
/* The row's fields without its end, for a file that adds columns. */
enum status csvout_rec_fields(struct csvout *w, const struct rec *r, struct err *err);

/* Rows ended so far (header included). */
long csvout_rows(const struct csvout *w);

/* Flush and free w (NULL is a no-op). Returns ST_EIO when a write failed. */
enum status csvout_close(struct csvout *w, struct err *err);

#endif
