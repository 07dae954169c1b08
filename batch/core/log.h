/*-------------------------------------------------------------------------
 * log.h
 *     Messages to standard error in PostgreSQL's style: "sentencer: error:
 *     primary", then "DETAIL: ..." and "HINT: ..." lines.
 *
 * When standard error is systemd's journal stream (JOURNAL_STREAM names
 * its device and inode), every line starts with its syslog priority,
 * "<3>" for an error and its DETAIL and HINT lines, "<4>" a warning, "<6>"
 * information, "<7>" debugging; the journal reads the prefix as the
 * line's priority and strips it. Anywhere else the lines are unchanged.
 *
 * batch/core/log.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_LOG_H
#define SENTENCER_LOG_H

#include "status.h"

#include <stdbool.h>

/* Syslog priorities (RFC 5424), named apart from <syslog.h>'s macros. */
enum log_priority {
    LOG_PRIO_ERROR = 3,
    LOG_PRIO_WARNING = 4,
    LOG_PRIO_INFO = 6,
    LOG_PRIO_DEBUG = 7,
};

/* Print err as an error (primary, detail, hint). */
void log_err(const struct err *err);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line of its own form (no "sentencer: "), such as import's
 * "FILE:LINE: column: reason" or the rules' "rules: ..." output, at prio. */
void log_line(enum log_priority prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether standard error is the journal stream JOURNAL_STREAM names:
 * decided on each call, since a process may redirect its standard error
 * (or inherit the variable with another one). */
bool log_to_journal(void);

#endif
