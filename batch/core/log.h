/*-------------------------------------------------------------------------
 * log.h
 *     Messages to standard error in PostgreSQL's style: "sentencer: error:
 *     primary", then "DETAIL: ..." and "HINT: ..." lines.
 *
 * batch/core/log.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_LOG_H
#define SENTENCER_LOG_H

#include "status.h"

/* Print err as an error (primary, detail, hint). */
void log_err(const struct err *err);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
