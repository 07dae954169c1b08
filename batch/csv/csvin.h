/*-------------------------------------------------------------------------
 * csvin.h
 *     Reader of cases.csv (../shared/spec/case-interchange.md, section 1)
 *     through libcsv: header checks, per-row validation into struct act,
 *     and rejects reported as FILE:LINE: column: reason.
 *
 * The reader streams: it holds one row at a time, whatever the file size.
 *
 * batch/csv/csvin.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_CSVIN_H
#define SENTENCER_CSVIN_H

#include "case.h"
#include "status.h"

#include <stdint.h>
#include <stdio.h>

struct csvin;

/* One problem with one row. All pointers borrow and are valid only during
 * the callback. column is "" when the problem concerns the whole row. */
struct csvin_reject {
    const char *file;
    long line; /* physical line where the record begins; the header is line 1 */
    const char *column;
    const char *reason;
};

/* Called once per problem; a row with several bad cells gives several calls. */
typedef void (*csvin_reject_fn)(void *ud, const struct csvin_reject *rej);

/* today for csvin_open when no date is too late: the golden rule tests
 * describe hypothetical cases, which may lie ahead of a new provision. */
#define CSVIN_ANY_DAY INT64_MAX

/* Open a reader on fp (borrowed; the caller closes it). name is used in
 * messages ("-" for standard input is shown as "<stdin>"). today is the run
 * date in days since 1970-01-01 (import passes the machine's local date):
 * dates after it are rejected. The reader never reads the clock itself, so
 * that a test can fix the date. Reads and checks the header, failing with
 * ST_EINPUT and a message that names the column: a NUL in any name (the
 * file may be UTF-16), a first name that starts with a second byte-order
 * mark (the first is skipped), an unknown name (shown with control and
 * invisible characters escaped), a duplicated or empty one, or a missing
 * required column (case-interchange.md "required unless marked"). On
 * success *out is a new reader, free with csvin_close(). */
enum status csvin_open(struct csvin **out, FILE *fp, const char *name, int64_t today,
                       csvin_reject_fn on_reject, void *ud, struct err *err);

/* Result of csvin_next. */
enum csvin_result {
    CSVIN_ROW,    /* *a holds a valid act */
    CSVIN_REJECT, /* the row was rejected; each problem went to on_reject */
    CSVIN_EOF,    /* no more rows */
    CSVIN_FAIL,   /* read error or malformed CSV that stops the file; err is set */
};

/* Read the next row. *a is act_fini()'d first and then filled (owned by the
 * caller); a->line is the row's line. Absent optional columns and empty cells
 * leave present[f] = 0. act_no defaults to 1 (present set). Row checks, each
 * reported with its column (limits and reasons in README.md, "Limits of the
 * values"):
 *   - every cell parses as its type (value_parse): ints within 32 bits, with
 *     no "+" and no "-0"; counts at most 10^12 and amounts at most 10^12
 *     yuan; dates real days 1900..2199; text valid UTF-8 with no NUL and no
 *     C0, DEL or C1 control; case_no and court_code at most 200 bytes,
 *     defendant_no at most 100;
 *   - required cells not empty;
 *   - act_no 1..2147483647;
 *   - age_at_offense within 0..150 and absent for a unit;
 *   - offense_date and conviction_date not after today (csvin_open), and
 *     conviction_date not before offense_date;
 *   - knowledge_basis a ';'-list of integers 1..7;
 *   - a wrong number of cells rejects the row. */
enum csvin_result csvin_next(struct csvin *r, struct act *a, struct err *err);

/* Rows read so far (accepted + rejected). */
long csvin_rows(const struct csvin *r);

void csvin_close(struct csvin *r);

#endif
