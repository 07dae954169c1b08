/*-------------------------------------------------------------------------
 * status.c
 *     The error record: formatting of primary message, detail and hint.
 *
 * batch/status.c
 *-------------------------------------------------------------------------
 */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

void err_clear(struct err *err)
{
    err->msg[0] = err->detail[0] = err->hint[0] = '\0';
}

enum status err_set(struct err *err, enum status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->detail[0] = err->hint[0] = '\0';
    return st;
}

void err_detail(struct err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

void err_hint(struct err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

const char *status_name(enum status st)
{
    switch (st) {
    case ST_OK: return "ok";
    case ST_EUSAGE: return "usage";
    case ST_EINPUT: return "input";
    case ST_EDB: return "database";
    case ST_ERULES: return "rules";
    case ST_EIO: return "io";
    case ST_ENOMEM: return "out of memory";
    case ST_EINTR: return "interrupted";
    }
    return "unknown";
}
