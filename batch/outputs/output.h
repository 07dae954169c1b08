/*-------------------------------------------------------------------------
 * output.h
 *     The files a run writes into out/<run-id>/, and the export of all
 *     current recommendations.
 *
 * A run's folder holds recommendations.csv and errors.csv (this run's
 * cases), summary_offense.csv, summary_court.csv, basis_frequency.csv and
 * report.html (all current recommendations: the database after the run),
 * codebook.csv (every column of every file), datapackage.json (the
 * Frictionless descriptor: every column's type, the files' hashes) and
 * manifest.csv (the run and the files, written last). Every file is written under a temporary name
 * and renamed when complete, so a reader never sees half a file; all of
 * them are read from one database snapshot, so they agree with each other.
 *
 * batch/outputs/output.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_OUTPUT_H
#define SENTENCER_OUTPUT_H

#include "outfile.h"
#include "status.h"

#include <stdbool.h>
#include <stdint.h>

struct db; /* db.h: the connection the files are read through */

struct run_totals {
    long evaluated;
    long errors;
    long failures; /* of them, those not legal exclusions (error_kind data or rule) */
    /* The facts generation the files describe when nothing was pending for
     * the run's rule set in their snapshot, else 0 (see db_run_end). */
    int64_t covers;
};

/* Write the files of run run_id into dir and fill
 * *totals from the run record. excel: CSV files begin with a UTF-8
 * byte-order mark. min_cell: K of the small-cell suppression of
 * summary_court.csv (K <= 1: none). state: the run's state as the manifest
 * reports it ("done" or "interrupted"). On failure the files written so far
 * stay, but manifest.csv is missing: its presence marks a complete folder. */
enum status output_write_run(struct db *db, int64_t run_id, const struct out_dir *dir, bool excel,
                             int min_cell, const char *state, struct run_totals *totals,
                             struct err *err);

/* Write the current recommendation of every charge as recommendations.csv
 * to path (NULL or "-": standard output). */
enum status output_export(struct db *db, const char *path, bool excel, struct err *err);

#endif
