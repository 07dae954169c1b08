/*-------------------------------------------------------------------------
 * output.h
 *     The CSV files a run writes into out/<run-id>/ and the export of all
 *     current recommendations. Each file is written under a temporary name
 *     and renamed when complete, so a reader never sees half a file.
 *
 * batch/output.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_OUTPUT_H
#define SENTENCER_OUTPUT_H

#include "db.h"
#include "status.h"

#include <stdbool.h>
#include <stdint.h>

struct run_totals {
    long evaluated;
    long errors;
};

/* Write recommendations.csv (this run's), summary_offense.csv and
 * errors.csv into dir (created when missing); fill *totals from the run. */
enum status output_write_run(struct db *db, int64_t run_id, const char *dir, bool excel,
                             struct run_totals *totals, struct err *err);

/* Write the current recommendation of every charge as recommendations.csv
 * to path (NULL or "-": standard output). */
enum status output_export(struct db *db, const char *path, bool excel, struct err *err);

#endif
