/*-------------------------------------------------------------------------
 * result.h
 *     The rows a query returned, read in place: text cells, NULL for SQL
 *     null. What the output writers, the report, status and explain read;
 *     they see this header, never libpq (db.c implements it over the
 *     PGresult, without copying a cell).
 *
 * Look a column up once per result (result_col), then read cells by index.
 * A result is owned by whoever received it: free with result_free().
 *
 * batch/store/result.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RESULT_H
#define SENTENCER_RESULT_H

struct result;

int result_rows(const struct result *r);
int result_cols(const struct result *r);
const char *result_name(const struct result *r, int col);
/* The index of the column named name, or -1. */
int result_col(const struct result *r, const char *name);
/* The cell at (row, col): NULL for SQL null, and for a row or column out
 * of range (a column result_col did not find), so that a missing column
 * reads as empty. Valid until result_free. */
const char *result_get(const struct result *r, int row, int col);
void result_free(struct result *r);

#endif
