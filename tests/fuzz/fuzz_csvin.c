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
 *     control characters, C1 included (it is printed as FILE:LINE: column:
 *     reason, one per line, and stored);
 *   - CSVIN_REJECT comes after at least one reject and leaves the act
 *     empty; CSVIN_ROW gives an act that keeps every row check of csvin.h:
 *     the required columns, each value within the limits of its type,
 *     printable UTF-8 text within its length, act_no >= 1, an age within
 *     0..150 and none for a unit, dates not after the run date nor the
 *     conviction before the offense, knowledge_basis a list of 1..7;
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

/* Valid UTF-8 with no control character: C0, DEL or C1 (U+0080..U+009F,
 * which some terminals obey: U+009B is CSI). */
static bool printable_utf8(const char *s)
{
    size_t n = strlen(s);

    if (!utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7F)
            return false;
        if (c == 0xC2 && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F)
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

/* A present cell against the limits of its type (value.h, csvin.h). */
static void check_value(const struct act *a, int f)
{
    const struct field_def *d = &case_fields[f];
    int64_t v = a->num[f];
    char buf[32];

    switch (d->type) {
    case FT_TEXT:
    case FT_LIST:
        if (!printable_utf8(a->text[f]))
            broken("row-value", "row: text is not printable UTF-8", d->name);
        else if (d->max_bytes && strlen(a->text[f]) > d->max_bytes)
            broken("row-value", "row: text longer than its limit", d->name);
        break;
    case FT_ENUM:
        if (v < 0 || strcmp(a->text[f], d->enum_values[v]) != 0)
            broken("row-value", "row: an enum's text and number differ", d->name);
        break;
    case FT_DATE:
        if (v < days_from_civil(1900, 1, 1) || v > days_from_civil(2199, 12, 31) ||
            !value_format(FT_DATE, v, buf, sizeof buf) || strcmp(buf, a->text[f]) != 0)
            broken("row-value", "row: a date outside 1900..2199 or not in its canonical form",
                   d->name);
        break;
    case FT_INT:
        if (v > VALUE_INT_MAX || v < -VALUE_INT_MAX - 1)
            broken("row-value", "row: an int outside 32 bits", d->name);
        break;
    case FT_COUNT:
        if (v < 0 || v > VALUE_COUNT_MAX)
            broken("row-value", "row: a count outside 0..VALUE_COUNT_MAX", d->name);
        break;
    case FT_AMOUNT:
        if (v < 0 || v > VALUE_AMOUNT_MAX_YUAN * 100)
            broken("row-value", "row: an amount outside 0..VALUE_AMOUNT_MAX_YUAN", d->name);
        break;
    case FT_BOOL:
        if (v != 0 && v != 1)
            broken("row-value", "row: a boolean neither 0 nor 1", d->name);
        break;
    }
}

/* knowledge_basis: items 1..7 separated by ';'. */
static bool knowledge_basis_ok(const char *s)
{
    for (;; s += 2) {
        if (s[0] < '1' || s[0] > '7')
            return false;
        if (s[1] == '\0')
            return true;
        if (s[1] != ';')
            return false;
    }
}

static void check_row(const struct act *a, const struct seen *s)
{
    if (a->line < 2 || a->line > s->max_line)
        broken("row-line", "row: line outside the data rows", NULL);
    for (int f = 0; f < F__COUNT; f++) {
        const struct field_def *d = &case_fields[f];
        bool textual =
            d->type == FT_TEXT || d->type == FT_LIST || d->type == FT_ENUM || d->type == FT_DATE;

        if ((d->flags & FF_REQUIRED) && !a->present[f])
            broken("row-value", "row: required column missing", d->name);
        if (!a->present[f] && a->text[f])
            broken("row-value", "row: text of an absent column", d->name);
        if (a->present[f] && textual && !a->text[f])
            broken("row-value", "row: no text for a text column", d->name);
        else if (a->present[f])
            check_value(a, f);
    }
    if (!a->present[F_ACT_NO] || a->num[F_ACT_NO] < 1)
        broken("row-value", "row: act_no missing or below 1", NULL);
    if (a->present[F_AGE_AT_OFFENSE] &&
        (a->num[F_AGE_AT_OFFENSE] < 0 || a->num[F_AGE_AT_OFFENSE] > 150))
        broken("row-value", "row: age_at_offense outside 0..150", NULL);
    if (a->present[F_AGE_AT_OFFENSE] && a->present[F_DEFENDANT_KIND] &&
        strcmp(a->text[F_DEFENDANT_KIND], "unit") == 0)
        broken("row-value", "row: age_at_offense for a unit", NULL);
    if ((a->present[F_OFFENSE_DATE] && a->num[F_OFFENSE_DATE] > today()) ||
        (a->present[F_CONVICTION_DATE] && a->num[F_CONVICTION_DATE] > today()))
        broken("row-value", "row: a date after the run date", NULL);
    if (a->present[F_OFFENSE_DATE] && a->present[F_CONVICTION_DATE] &&
        a->num[F_CONVICTION_DATE] < a->num[F_OFFENSE_DATE])
        broken("row-value", "row: conviction_date before offense_date", NULL);
    if (a->present[F_KNOWLEDGE_BASIS] && a->text[F_KNOWLEDGE_BASIS] &&
        !knowledge_basis_ok(a->text[F_KNOWLEDGE_BASIS]))
        broken("row-value", "row: knowledge_basis not a list of items 1..7", NULL);
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
