/*-------------------------------------------------------------------------
 * datapackage.h
 *     datapackage.json of a run folder: the Frictionless Data Package
 *     descriptor (Data Package and Table Schema, version 1) of its CSV
 *     files, so that a reader loads every column with its type, and checks
 *     the files against their schemas and hashes.
 *
 * Built from the codebook (type, unit, meaning, code list of every column)
 * and the files as they are on disk (bytes and SHA-256, read back after
 * they were written). The codebook's types map to Table Schema's: text and
 * list -> string, enum -> string with constraints.enum, integer ->
 * integer, decimal -> number, boolean -> boolean (true/false), timestamp
 * -> datetime (ISO 8601, UTC). An empty cell is a missing value.
 *
 * batch/outputs/datapackage.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_DATAPACKAGE_H
#define SENTENCER_DATAPACKAGE_H

#include "status.h"

#include <stdbool.h>
#include <stdio.h>

/* One CSV file of the folder. Everything borrowed. */
struct dp_file {
    const char *name;  /* in the folder, e.g. summary_court.csv */
    const char *title; /* what one row is */
    const char *const *cols;
    int ncols;
    const char *const *key; /* the primary key's columns */
    int nkey;
    bool on_disk; /* written already: bytes and hash are given */
};

/* The package. Everything borrowed. */
struct dp_package {
    const char *run_id;
    const char *rule_set;
    const char *created; /* the snapshot's time, ISO 8601 UTC */
    bool bom;            /* the files begin with a byte-order mark (--excel) */
    int dirfd;           /* the folder, to read the files back */
    const struct dp_file *files;
    int nfiles;
};

/* Write the descriptor of pkg to fp. Fails when a file cannot be read back
 * or a column has no codebook entry (a programming error the tests catch). */
enum status datapackage_write(FILE *fp, const struct dp_package *pkg, struct err *err);

#endif
