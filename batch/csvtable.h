/*-------------------------------------------------------------------------
 * csvtable.h
 *     A small CSV file read whole into memory (header and rows, with the
 *     line each row starts on), for the golden test expectations.
 *
 * batch/csvtable.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CSVTABLE_H
#define SENTENCER_CSVTABLE_H

#include "status.h"

struct csvtable {
    int ncols;
    int nrows;
    char **names; /* ncols header cells */
    char **cells; /* nrows * ncols; "" for empty or missing cells */
    long *lines;  /* nrows starting lines (header = 1) */
};

/* Read path. A row with more cells than the header is an error.
 * *out: new table, free with csvtable_free(). */
enum status csvtable_read(struct csvtable **out, const char *path, struct err *err);
void csvtable_free(struct csvtable *t);
/* Column index of name, or -1. */
int csvtable_col(const struct csvtable *t, const char *name);

#endif
