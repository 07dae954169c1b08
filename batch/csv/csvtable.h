/*-------------------------------------------------------------------------
 * csvtable.h
 *     A small CSV file read whole into memory (header and rows, with the
 *     line each row starts on): the golden test expectations, and the
 *     codebook compiled into the program.
 *
 * batch/csv/csvtable.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CSVTABLE_H
#define SENTENCER_CSVTABLE_H

#include "status.h"

#include <stdio.h>

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
/* The same from fp (borrowed: the caller closes it); path names it in
 * messages. */
enum status csvtable_read_fp(struct csvtable **out, FILE *fp, const char *path, struct err *err);
void csvtable_free(struct csvtable *t);
/* Column index of name, or -1. */
int csvtable_col(const struct csvtable *t, const char *name);

#endif
