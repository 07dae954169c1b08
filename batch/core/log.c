/*-------------------------------------------------------------------------
 * log.c
 *     Messages to standard error (see log.h).
 *
 * batch/core/log.c
 *-------------------------------------------------------------------------
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void log_err(const struct err *err)
{
    fprintf(stderr, "sentencer: error: %s\n", err->msg[0] ? err->msg : "unknown error");
    if (err->detail[0])
        fprintf(stderr, "DETAIL: %s\n", err->detail);
    if (err->hint[0])
        fprintf(stderr, "HINT: %s\n", err->hint);
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
    fprintf(stderr, "sentencer: %s", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("error: ", fmt, ap);
    va_end(ap);
}

void log_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}
