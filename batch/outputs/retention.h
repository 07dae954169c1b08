/*-------------------------------------------------------------------------
 * retention.h
 *     Which folders under the output folder are complete run folders, and
 *     the removal of the older ones (`sentencer prune`, `run --keep`).
 *
 * A run folder is BASE/<run-id>/ as output.c writes it. Only a folder
 * that is complete is ever removed: its name is a run number (digits, no
 * leading zero), it is a folder and not a link, it holds a manifest.csv
 * whose run_id is that number and whose state is done, and it holds
 * nothing but regular files its manifest lists. A folder without
 * manifest.csv (a run still writing it: the manifest is written last), or
 * with another state (interrupted), is incomplete and kept; anything else
 * is not a run folder and left alone. Recency is the run number (runs are
 * numbered in the order they start); age is the end time the manifest
 * records (ended_at: when the run's files were written), not the folder's
 * mtime, which copying or `sentencer outputs` changes. No database.
 *
 * batch/outputs/retention.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_RETENTION_H
#define SENTENCER_RETENTION_H

#include "status.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct prune_opts {
    const char *base;       /* the output folder: BASE/<run-id>/ */
    long keep;              /* complete run folders kept, the most recent; >= 1 */
    long long older_than_s; /* remove only folders that ended longer ago; 0: any */
    time_t now;             /* the time ages are measured from */
    bool verbose;           /* also say why each folder left alone was left */
    FILE *report;           /* "removed ..." lines and the summary; NULL: log_info */
};

struct prune_counts {
    long complete;   /* complete run folders found */
    long removed;    /* of them, removed */
    long failed;     /* of them, not (or not wholly) removed: each reported */
    long incomplete; /* run folders kept because incomplete */
    long other;      /* entries that are not run folders, left alone */
};

/* Remove the complete run folders under o->base beyond the o->keep most
 * recent (and, with older_than_s, only those that ended longer ago). A
 * folder that could not be removed is reported (log_error: path and
 * reason) and counted in n->failed; the others go on. Fails (ST_EIO,
 * ST_ENOMEM) only when the output folder cannot be read: nothing removed.
 * Never follows a link: every step is relative to an open folder, with
 * O_NOFOLLOW. */
enum status prune_runs(const struct prune_opts *o, struct prune_counts *n, struct err *err);

#endif
