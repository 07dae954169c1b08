/*-------------------------------------------------------------------------
 * status.c
 *     The error record: formatting of primary message, detail and hint.
 *
 * batch/core/status.c
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
