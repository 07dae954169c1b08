/*-------------------------------------------------------------------------
 * codebook.h
 *     What each column of each output file means: batch/outputs/codebook.csv
 *     (file, column, type, unit, meaning, source), compiled into the
 *     program by scripts/embed-sql; an enum's row lists its codes (codes). A row whose file is
 *empty documents a statistic of both summary tables; one whose file is * a column of every file
 *(run_id, rule_set). The run's codebook.csv is written from it (output.c), one row per column the
 *files have.
 *
 * batch/outputs/codebook.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CODEBOOK_H
#define SENTENCER_CODEBOOK_H

#include "status.h"

#include <stdbool.h>

/* batch/outputs/codebook.csv, byte for byte (generated: build/gen/codebook_data.c). */
extern const char codebook_csv[];

struct col_doc {
    const char *file; /* "": both summary tables */
    const char *column;
    const char *type; /* text, integer, decimal, boolean, enum, list, timestamp */
    const char *unit; /* "" when none */
    const char *meaning;
    const char *source;
    const char *codes; /* enum: the codes, ';'-separated; "" otherwise */
};

struct codebook;

/* Parse the compiled-in codebook. *out: free with codebook_free(). */
enum status codebook_open(struct codebook **out, struct err *err);
void codebook_free(struct codebook *cb);

/* The entry of column of file: its own, else the summary tables' shared
 * one when file is a summary table, else the one for every file (*).
 * *doc points into cb. False when there is none. */
bool codebook_find(const struct codebook *cb, const char *file, const char *column,
                   struct col_doc *doc);

#endif
