/*-------------------------------------------------------------------------
 * log.c
 *     Messages to standard error (see log.h): their wording, and the
 *     journal's priority prefixes when standard error is the journal.
 *
 * batch/core/log.c
 *-------------------------------------------------------------------------
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A message this long or shorter is written to stderr in one piece, so
 * that the lines of parallel workers do not interleave within a line. */
#define LOG_LINE_MAX 4096

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connects
 * to standard output and error. Its children inherit the variable even
 * when their stderr goes elsewhere (a pipe, a file), so the variable alone
 * is not enough: stderr must be that very stream (sd_journal_stream_fd(3)). */
bool log_to_journal(void)
{
    const char *v = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char *end;

    if (!v || !*v)
        return false;
    errno = 0;
    dev = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != ':')
        return false;
    v = end + 1;
    ino = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0')
        return false;
    if (fstat(fileno(stderr), &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Write head and text as one line to stderr. With journal, each line of
 * text (it may hold several) starts with "<prio>", so that none falls back
 * to the journal's default priority; without, the bytes are as given. */
static void emit(bool journal, enum log_priority prio, const char *head, const char *text)
{
    char line[LOG_LINE_MAX];

    for (const char *p = text;;) {
        const char *nl = journal ? strchr(p, '\n') : NULL;
        int len = (int)(nl ? (size_t)(nl - p) : strlen(p));
        const char *h = p == text ? head : "";
        int w;

        if (journal)
            w = snprintf(line, sizeof line, "<%d>%s%.*s\n", (int)prio, h, len, p);
        else
            w = snprintf(line, sizeof line, "%s%.*s\n", h, len, p);
        if (w >= 0 && (size_t)w < sizeof line) {
            fputs(line, stderr);
        } else { /* too long for one piece: the same bytes in pieces */
            if (journal)
                fprintf(stderr, "<%d>", (int)prio);
            fprintf(stderr, "%s%.*s\n", h, len, p);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
}

/* Format fmt and emit it; a message longer than the stack buffer is
 * formatted on the heap, or, without memory, written as it comes. */
static void vlog(enum log_priority prio, const char *head, const char *fmt, va_list ap)
{
    bool journal = log_to_journal();
    char buf[LOG_LINE_MAX];
    va_list again;
    int n;

    va_copy(again, ap);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n >= 0 && (size_t)n < sizeof buf) {
        emit(journal, prio, head, buf);
    } else if (n >= 0) {
        char *big = malloc((size_t)n + 1);
        if (big && vsnprintf(big, (size_t)n + 1, fmt, again) == n) {
            emit(journal, prio, head, big);
        } else {
            if (journal)
                fprintf(stderr, "<%d>", (int)prio);
            fputs(head, stderr);
            fputs(buf, stderr); /* the first LOG_LINE_MAX - 1 bytes */
            fputc('\n', stderr);
        }
        free(big);
    }
    va_end(again);
}

void log_err(const struct err *err)
{
    bool journal = log_to_journal();

    emit(journal, LOG_PRIO_ERROR, "sentencer: error: ", err->msg[0] ? err->msg : "unknown error");
    if (err->detail[0])
        emit(journal, LOG_PRIO_ERROR, "DETAIL: ", err->detail);
    if (err->hint[0])
        emit(journal, LOG_PRIO_ERROR, "HINT: ", err->hint);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_PRIO_ERROR, "sentencer: error: ", fmt, ap);
    va_end(ap);
}

void log_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_PRIO_WARNING, "sentencer: warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_PRIO_INFO, "sentencer: ", fmt, ap);
    va_end(ap);
}

void log_line(enum log_priority prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(prio, "", fmt, ap);
    va_end(ap);
}
