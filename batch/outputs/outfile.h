/*-------------------------------------------------------------------------
 * outfile.h
 *     Files that readers never see half-written: a folder claimed for one
 *     run, and files created under a temporary name in it, synced and
 *     renamed into place when complete, removed when not.
 *
 * Owns the file descriptors and FILE streams it opens; the caller owns the
 * structs (on its stack) and closes what it opened.
 *
 * batch/outputs/outfile.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_OUTFILE_H
#define SENTENCER_OUTFILE_H

#include "csvout.h"
#include "status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A run's output folder, open: files are created in it relative to fd,
 * never through a link. */
struct out_dir {
    int fd;
    char path[4096]; /* as the user sees it */
};

/* Create (base too, when missing) and claim the folder of run run_id:
 * base/<run_id>. With fresh, it must not exist (a folder, file or link
 * there is refused: run ids are used once); without, an existing folder
 * is written into (sentencer outputs), a link still refused. A probe block
 * is written and synced, so that a read-only or full disk shows before the
 * run claims any work. *d: close with outdir_close(). */
enum status outdir_claim(const char *base, int64_t run_id, bool fresh, struct out_dir *d,
                         struct err *err);
void outdir_close(struct out_dir *d);

/* A file being written: fp on tmp (created new, never through a link), in
 * the folder dirfd, renamed to name by outfile_close. w is NULL for a file
 * that is not CSV (report.html). path is name as the user sees it. */
struct outfile {
    FILE *fp;
    struct csvout *w;
    int dirfd;
    char name[4096];
    char tmp[4200];
    char path[8300];
};

/* Create name in dir (NULL: name is a path from the current folder) under
 * its temporary name; with csv, f->w writes CSV to it (excel: with a
 * byte-order mark). Finish with outfile_finish or outfile_close. */
enum status outfile_open(struct outfile *f, const struct out_dir *dir, const char *name, bool csv,
                         bool excel, struct err *err);

/* Close the file; rename it into place when ok, else remove it. When ok
 * is false the caller's error stands and this returns ST_OK. */
enum status outfile_close(struct outfile *f, bool ok, struct err *err);

/* Finish a file whose writing returned st: keep it when st is ST_OK. */
enum status outfile_finish(struct outfile *f, enum status st, struct err *err);

/* Size of the finished file, or -1. */
long long outfile_size(const struct outfile *f);

#endif
