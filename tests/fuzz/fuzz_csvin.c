/*-------------------------------------------------------------------------
 * fuzz_csvin.c
 *     libFuzzer target of the cases.csv reader: the input bytes are a whole
 *     file, read with csvin_open and csvin_next to the end or the first
 *     failure, with the reader's promises checked on every result.
 *
 * A broken promise aborts, so libFuzzer keeps the input as a crash; so do
 * a sanitizer report and a leak. Each check has an id (fuzz_check.h). The
 * promises (csvin.h):
 *   - a reject names the file, a line from 2 (the header is line 1) to the
 *     last line of the input, never going back; its column is "" or a
 *     column of cases.csv; its reason is non-empty, valid UTF-8 and free of
 *     control characters (it is printed as FILE:LINE: column: reason, one
 *     per line, and stored);
 *   - CSVIN_REJECT comes after at least one reject and leaves the act
 *     empty; CSVIN_ROW gives an act with the required columns, act_no >= 1,
 *     an age within 0..150 and UTF-8 text without NUL;
 *   - a failure (of the file or of a row) leaves a message that is
 *     non-empty, valid UTF-8 and free of control characters, and the
 *     reader stays failed; after EOF it stays at EOF;
 *   - every call consumes input: the loop ends.
 *
 * tests/fuzz/fuzz_csvin.c
 *-------------------------------------------------------------------------
 */
#include "case.h"
#include "csvin.h"
#include "fuzz_check.h"
#include "status.h"
#include "value.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_NAME "fuzz.csv"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the reject callback saw. */
struct seen {
    long max_line; /* last physical line of the input */
    long last_line;
    long rejects;
};

static void broken(const char *id, const char *what, const char *detail)
{
    fuzz_broken("fuzz_csvin", id, what, detail);
}

/* The run date, after which csvin_open rejects dates: fixed, so that a
 * finding replays the same on any day. */
static int64_t today(void)
{
    return days_from_civil(2025, 1, 1);
}

/* Valid UTF-8 with no C0 control character and no DEL. */
static bool printable_utf8(const char *s)
{
    size_t n = strlen(s);

    if (!utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7F)
            return false;
    }
    return true;
}

/* True when s is printable UTF-8 once every multi-byte sequence cut short
 * right before a quote is removed: a name or cell quoted in a message and
 * cut inside a character (finding "name-cut"). */
static bool cut_before_quote_only(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *t = malloc(n + 1);
    bool ok;

    if (!t)
        abort();
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1, k = 1;

        while (k < need && i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
            k++;
        if (k < need && (s[i + k] == '\'' || s[i + k] == '"')) {
            i += k; /* drop the cut sequence */
            continue;
        }
        memcpy(t + o, s + i, k);
        o += k;
        i += k;
    }
    t[o] = '\0';
    ok = printable_utf8(t);
    free(t);
    return ok;
}

/* Check a message, reporting under id unless the only fault is a cut one. */
static void check_text(const char *id, const char *what, const char *s)
{
    if (!printable_utf8(s))
        broken(cut_before_quote_only(s) ? "name-cut" : id, what, s);
}

static void check_err(const struct err *err, const char *when)
{
    if (err->msg[0] == '\0')
        broken("err-empty", when, "empty error message");
    check_text("err-text", when, err->msg);
    check_text("err-text", when, err->detail);
    check_text("err-text", when, err->hint);
}

static void on_reject(void *ud, const struct csvin_reject *rej)
{
    struct seen *s = ud;

    if (!rej->file || strcmp(rej->file, FILE_NAME) != 0)
        broken("reject-file", "reject: wrong file name", rej->file);
    if (rej->line < 2 || rej->line > s->max_line)
        broken("reject-line", "reject: line outside the data rows", NULL);
    if (rej->line < s->last_line)
        broken("reject-line", "reject: line numbers go back", NULL);
    if (!rej->column || (rej->column[0] && case_field_find(rej->column) < 0))
        broken("reject-column", "reject: column is neither \"\" nor a column of cases.csv",
               rej->column);
    if (!rej->reason || rej->reason[0] == '\0')
        broken("reject-reason", "reject: no reason", NULL);
    else
        check_text("reject-reason", "reject: reason is not printable UTF-8", rej->reason);
    s->last_line = rej->line;
    s->rejects++;
}

/* Physical lines of the input: a line end is CR, LF or CRLF; text after
 * the last one is a line too. */
static long count_lines(const uint8_t *data, size_t size)
{
    long lines = 1;

    for (size_t i = 0; i < size; i++) {
        if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n')))
            lines++;
    }
    return lines;
}

static void check_row(const struct act *a, const struct seen *s)
{
    if (a->line < 2 || a->line > s->max_line)
        broken("row-line", "row: line outside the data rows", NULL);
    for (int f = 0; f < F__COUNT; f++) {
        const struct field_def *d = &case_fields[f];

        if ((d->flags & FF_REQUIRED) && !a->present[f])
            broken("row-value", "row: required column missing", d->name);
        if (!a->present[f] && a->text[f])
            broken("row-value", "row: text of an absent column", d->name);
        if (a->present[f] && (d->type == FT_TEXT || d->type == FT_ENUM || d->type == FT_DATE)) {
            if (!a->text[f])
                broken("row-value", "row: no text for a text column", d->name);
            else if (!utf8_valid(a->text[f], strlen(a->text[f])))
                broken("row-value", "row: text is not UTF-8", d->name);
        }
    }
    if (!a->present[F_ACT_NO] || a->num[F_ACT_NO] < 1)
        broken("row-value", "row: act_no missing or below 1", NULL);
    if (a->present[F_AGE_AT_OFFENSE] &&
        (a->num[F_AGE_AT_OFFENSE] < 0 || a->num[F_AGE_AT_OFFENSE] > 150))
        broken("row-value", "row: age_at_offense outside 0..150", NULL);
}

static void check_empty(const struct act *a)
{
    for (int f = 0; f < F__COUNT; f++)
        if (a->present[f] || a->text[f])
            broken("reject-empty", "reject: the act keeps a value", case_fields[f].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen seen = {.max_line = count_lines(data, size)};
    struct csvin *r = NULL;
    struct act a = {0};
    struct err err;
    char *copy;
    FILE *fp;
    long results = 0;
    enum csvin_result res;

    /* A copy of exactly size bytes: ASan sees any read past the end.
     * fmemopen refuses a zero size; an empty file reads as /dev/null. */
    copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    fp = size ? fmemopen(copy, size, "r") : fopen("/dev/null", "r");
    if (!fp) {
        perror("fuzz_csvin: harness: fmemopen");
        abort();
    }

    err_clear(&err);
    if (csvin_open(&r, fp, FILE_NAME, today(), on_reject, &seen, &err) != ST_OK) {
        if (r)
            broken("open", "failed but returned a reader", NULL);
        check_err(&err, "open");
        if (seen.rejects)
            broken("open", "rejects before the header was accepted", NULL);
        goto out;
    }

    for (;;) {
        long before = seen.rejects;

        err_clear(&err);
        res = csvin_next(r, &a, &err);
        if (res == CSVIN_EOF || res == CSVIN_FAIL)
            break;
        /* Each row or reject consumes at least one byte of input. */
        if (++results > (long)size)
            broken("next-ends", "more results than input bytes", NULL);
        if (res == CSVIN_ROW) {
            if (seen.rejects != before)
                broken("row-rejects", "rejects reported for an accepted row", NULL);
            check_row(&a, &seen);
        } else if (res == CSVIN_REJECT) {
            if (seen.rejects == before)
                broken("reject-reason", "CSVIN_REJECT without a reason", NULL);
            check_empty(&a);
        } else {
            broken("next", "unknown result", NULL);
        }
    }
    if (csvin_rows(r) != results)
        broken("rows", "csvin_rows differs from the rows returned", NULL);
    if (res == CSVIN_FAIL) {
        check_err(&err, "next");
        check_empty(&a);
        err_clear(&err);
        if (csvin_next(r, &a, &err) != CSVIN_FAIL)
            broken("next-ends", "reading goes on after a failure", NULL);
        check_err(&err, "next after a failure");
    } else if (csvin_next(r, &a, &err) != CSVIN_EOF) {
        broken("next-ends", "reading goes on after EOF", NULL);
    }

out:
    act_fini(&a);
    csvin_close(r);
    fclose(fp);
    free(copy);
    return 0;
}
