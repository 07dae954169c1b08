/*-------------------------------------------------------------------------
 * deviation.h
 *     The deviation report (`sentencer report deviation`): every defendant
 *     with an actual judgment against the recommendation, with comparable
 *     cases and a warning level (deviation.csv), and per court and offense
 *     the share inside the band and the quartiles of the deviation, small
 *     cells suppressed (deviation_summary.csv), and codebook.csv for both.
 *     The figures come from sql/queries/deviation*.sql; this file writes
 *     them.
 *
 * batch/outputs/deviation.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_DEVIATION_H
#define SENTENCER_DEVIATION_H

#include "db.h"
#include "status.h"

#include <stdbool.h>

/* Comparable cases taken per defendant, the fewest whose quartiles count,
 * and the months outside the band from which a deviation can be a warning
 * (sql/queries/deviation.sql says how they combine). */
#define DEVIATION_COMPARABLE_K 20
#define DEVIATION_COMPARABLE_MIN 5
#define DEVIATION_WARNING_MONTHS 3

struct deviation_opts {
    const char *dir;     /* the folder to write into (created when missing) */
    const char *offense; /* NULL: every offense */
    const char *court;   /* NULL: every court */
    const char *since;   /* YYYY-MM-DD, conviction dates from; NULL: all */
    bool excel;          /* a UTF-8 byte-order mark first */
    int min_cell;        /* K of small-cell suppression */
};

struct deviation_counts {
    long defendants, notices, warnings, summary_rows, suppressed_rows;
};

/* Write the report's files into o->dir, each under a temporary name
 * renamed into place when complete; counts into *n. */
enum status deviation_write(struct db *db, const struct deviation_opts *o,
                            struct deviation_counts *n, struct err *err);

#endif
