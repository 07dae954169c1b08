/*-------------------------------------------------------------------------
 * fuzz_check.h
 *     What the fuzz targets share: a broken promise aborts (libFuzzer then
 *     keeps the input as a crash), unless it is a known, still open
 *     finding named in FUZZ_KNOWN.
 *
 * Every check has an id ("reject-reason", "msg-utf8"). FUZZ_KNOWN holds
 * the ids of open findings, separated by blanks; scripts/fuzz and the
 * fuzz tier of scripts/run-tests fill it from tests/fuzz/known, so that a
 * bug already reported does not hide new ones. Run a target without it
 * to see every finding.
 *
 * tests/fuzz/fuzz_check.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_FUZZ_CHECK_H
#define SENTENCER_FUZZ_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when id is one of the blank-separated words of FUZZ_KNOWN. */
static inline bool fuzz_known(const char *id)
{
    const char *list = getenv("FUZZ_KNOWN");
    size_t n = strlen(id);

    while (list && *list) {
        size_t w;

        list += strspn(list, " \t\n,");
        w = strcspn(list, " \t\n,");
        if (w == n && strncmp(list, id, n) == 0)
            return true;
        list += w;
    }
    return false;
}

/* Print detail with bytes that are not printable ASCII as \xNN: it is
 * often the very text that broke the promise. */
static inline void fuzz_print_escaped(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20 || c >= 0x7F)
            fprintf(stderr, "\\x%02X", c);
        else
            fputc(c, stderr);
    }
}

/* A promise is broken: report and abort, unless id is a known finding
 * (then return, and the target carries on with the input). */
static inline void fuzz_broken(const char *target, const char *id, const char *what,
                               const char *detail)
{
    if (fuzz_known(id))
        return;
    fprintf(stderr, "%s: broken promise [%s]: %s", target, id, what);
    if (detail) {
        fputs(": ", stderr);
        fuzz_print_escaped(detail);
    }
    fputc('\n', stderr);
    abort();
}

#endif
