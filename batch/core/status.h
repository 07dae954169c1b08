/*-------------------------------------------------------------------------
 * status.h
 *     Status codes returned by every fallible function, and the error
 *     record that carries a message a user can act on.
 *
 * A failing function fills a struct err (what failed, where, what to do)
 * and returns a status other than ST_OK. Only main.c maps a status to an
 * exit status (enum exit_code in main.c, as cli.md lists them).
 *
 * batch/core/status.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_STATUS_H
#define SENTENCER_STATUS_H

#include <stddef.h>

enum status {
    ST_OK = 0,
    ST_EUSAGE, /* the command line was wrong */
    ST_EINPUT, /* bad input data (rows are reported one by one) */
    ST_EDB,    /* database unreachable, query failed, schema too old */
    ST_ERULES, /* rule set fails to load, compile or pass its tests */
    ST_EIO,    /* file system */
    ST_ENOMEM, /* out of memory */
    ST_EINTR,  /* interrupted by a signal after committing the work in hand */
};

/* An error message in PostgreSQL style: a short lowercase primary message
 * with no period, an optional detail (where: file:line, case number) and an
 * optional hint (what to do). Fixed buffers: an err never allocates. */
struct err {
    char msg[512];
    char detail[1024];
    char hint[512];
};

void err_clear(struct err *err);

/* Set the primary message (printf-style). Returns st so that callers can
 * write `return err_set(err, ST_EDB, "...")`. Detail and hint are cleared. */
enum status err_set(struct err *err, enum status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void err_detail(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_hint(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
