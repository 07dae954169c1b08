/*-------------------------------------------------------------------------
 * csvin.c
 *     Reader of cases.csv: libcsv tokenises, this file knows lines, the
 *     header and the field table, and turns each record into a struct act
 *     or into rejects that say FILE:LINE: column: reason.
 *
 * libcsv reports fields and record ends but not where they are. To give
 * each record the physical line it starts on, input is fed to csv_parse
 * one physical line at a time (a piece ends after each CR or LF), so that
 * the reader always knows which line the parser is on. A record ends only
 * at a line end, so one piece completes at most one record, and the reader
 * never holds more than one row.
 *
 * About 740 lines: a clerk's file is checked here cell by cell (header,
 * keys, types, dates, duplicates within a charge, the law's own limits), so
 * that every reject names line, column and reason in one place.
 *
 * batch/csv/csvin.c
 *-------------------------------------------------------------------------
 */
#include "csvin.h"

#include "value.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define READ_SIZE ((size_t)64 * 1024)

/* A longer field is a quote opened and never closed, swallowing the file;
 * stop before it swallows memory too. */
#define FIELD_MAX ((size_t)1024 * 1024)

/* Strict: a stray quote is an error, not data. No CSV_EMPTY_IS_NULL: an
 * empty cell and "" both mean "not recorded", so they need not differ. */
#define PARSER_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

struct csvin {
    FILE *fp;
    char *name; /* for messages */
    csvin_reject_fn on_reject;
    void *ud;
    struct csv_parser parser;

    /* The input: rbuf[pos..len) not yet fed. */
    unsigned char rbuf[READ_SIZE];
    size_t pos, len;
    bool first_read, at_eof, finished;
    long line;      /* physical line of the next byte */
    bool prev_cr;   /* the last byte fed was a CR (a following LF is the same line end) */
    bool in_record; /* a record has begun and not yet ended */
    bool skip_line; /* after a syntax error: drop input up to the line end */
    long rec_line;  /* line where the current record began */

    /* The current record: cell i is the NUL-terminated cells + span[i].off,
     * of span[i].len bytes. */
    char *cells;
    size_t cells_len, cells_cap;
    struct span {
        size_t off, len;
    } * span;
    size_t ncells, span_cap; /* cells seen; capacity of span */
    bool row_ready, header_done, oom, failed;
    enum status fail_st; /* status of the last STEP_FAIL */

    /* The header: column i of the file is field colmap[i]. */
    int *colmap;
    size_t ncols;
    long rows;
    int64_t today; /* no date may be later (days since 1970-01-01) */
};

/* libcsv's default trims spaces and tabs around unquoted fields, which
 * would turn " 12" into a valid count and make a line of spaces vanish
 * without ending a record. Nothing is a space: a stray blank is refused. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static bool is_term(unsigned char c)
{
    return c == '\r' || c == '\n';
}

static void parser_init(struct csvin *r)
{
    csv_init(&r->parser, PARSER_OPTS);
    csv_set_space_func(&r->parser, no_space);
}

/* Make room for need elements of size elem in *p (capacity *cap). */
static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 16;
    void *q;

    while (n < need)
        n *= 2;
    q = realloc(p, n * elem);
    if (q)
        *cap = n;
    return q;
}

/* libcsv field callback: keep the cell for the end of the record. In data
 * rows cells past the header's width are only counted: the row is refused
 * for its width anyway. */
static void on_field(void *s, size_t len, void *data)
{
    struct csvin *r = data;
    size_t i = r->ncells++;

    if (r->oom || (r->header_done && i >= r->ncols))
        return;
    if (i >= r->span_cap) {
        struct span *sp = grow(r->span, &r->span_cap, i + 1, sizeof *sp);

        if (!sp) {
            r->oom = true;
            return;
        }
        r->span = sp;
    }
    if (r->cells_len + len + 1 > r->cells_cap) {
        char *c = grow(r->cells, &r->cells_cap, r->cells_len + len + 1, 1);

        if (!c) {
            r->oom = true;
            return;
        }
        r->cells = c;
    }
    if (len > 0)
        memcpy(r->cells + r->cells_len, s, len);
    r->cells[r->cells_len + len] = '\0';
    r->span[i].off = r->cells_len;
    r->span[i].len = len;
    r->cells_len += len + 1;
}

/* libcsv record callback. */
static void on_row(int c, void *data)
{
    struct csvin *r = data;

    (void)c;
    r->row_ready = true;
    r->in_record = false;
}

static void row_reset(struct csvin *r)
{
    r->ncells = 0;
    r->cells_len = 0;
    r->row_ready = false;
}

static const char *cell(const struct csvin *r, size_t i)
{
    return r->cells + r->span[i].off;
}

/* Count the line end that closes a piece of input ending in byte c; n is
 * the length of the piece. A CR counts at once, so the LF of a CRLF is the
 * same line end when it arrives as its own piece. */
static void count_line_end(struct csvin *r, unsigned char c, size_t n)
{
    if (c == '\n' && !(r->prev_cr && n == 1))
        r->line++;
    else if (c == '\r')
        r->line++;
    r->prev_cr = c == '\r';
}

static void reject(struct csvin *r, long line, const char *column, const char *reason)
{
    struct csvin_reject rej = {r->name, line, column, reason};

    if (r->on_reject)
        r->on_reject(r->ud, &rej);
}

static enum status fail_nomem(struct csvin *r, struct err *err)
{
    r->fail_st = err_set(err, ST_ENOMEM, "out of memory reading \"%s\"", r->name);
    err_detail(err, "%s:%ld", r->name, r->rec_line);
    return ST_ENOMEM;
}

/* What feed() and finish() found. */
enum step {
    STEP_MORE,   /* nothing complete yet */
    STEP_ROW,    /* r->row_ready: a record is complete */
    STEP_REJECT, /* a malformed record was reported and dropped */
    STEP_FAIL,   /* err is set */
};

/* Report a strict-mode syntax error in the record being read, then reset
 * the parser and drop the rest of the physical line: the next line starts
 * afresh, so one stray quote costs one row, not the file. */
static enum step syntax_error(struct csvin *r, struct err *err)
{
    size_t col = r->ncells;
    const char *column = r->header_done && col < r->ncols ? case_fields[r->colmap[col]].name : "";
    /* libcsv fails either on a quote inside an unquoted field or on
     * something after the closing quote of a quoted one. */
    const char *reason = r->parser.quoted
                             ? "text after the closing quote of a quoted cell (a quote inside a "
                               "quoted cell is written twice: \"\")"
                             : "a double quote inside a cell that does not begin with one (put "
                               "the whole cell in quotes and write the inner quote twice: \"\")";

    if (!r->header_done) {
        r->fail_st = err_set(err, ST_EINPUT, "malformed header row");
        err_detail(err, "%s:%ld: %s", r->name, r->rec_line, reason);
        return STEP_FAIL;
    }
    r->rows++;
    reject(r, r->rec_line, column, reason);
    csv_free(&r->parser);
    parser_init(r);
    row_reset(r);
    r->in_record = false;
    r->skip_line = true;
    return STEP_REJECT;
}

/* Feed the next piece of rbuf to the parser: up to and including the next
 * line end, or to the end of the buffer. */
static enum step feed(struct csvin *r, struct err *err)
{
    const unsigned char *p = r->rbuf + r->pos;
    size_t avail = r->len - r->pos;
    size_t n = 0, used;

    while (n < avail && !is_term(p[n]))
        n++;
    if (n < avail)
        n++; /* the line end belongs to this piece */

    if (r->skip_line) {
        r->pos += n;
        if (is_term(p[n - 1])) {
            count_line_end(r, p[n - 1], n);
            r->skip_line = false;
        } else {
            r->prev_cr = false;
        }
        return STEP_MORE;
    }

    /* A piece that is more than a line end begins a record, unless one is
     * already open (a quoted field spanning lines). Blank lines begin none;
     * libcsv skips them too. */
    if (!r->in_record && !is_term(p[0])) {
        r->in_record = true;
        r->rec_line = r->line;
    }
    used = csv_parse(&r->parser, p, n, on_field, on_row, r);
    if (r->oom)
        return fail_nomem(r, err), STEP_FAIL;
    if (used < n) {
        if (csv_error(&r->parser) == CSV_EPARSE) {
            r->pos += used;
            r->prev_cr = false;
            return syntax_error(r, err);
        }
        return fail_nomem(r, err), STEP_FAIL;
    }
    r->pos += n;
    if (is_term(p[n - 1]))
        count_line_end(r, p[n - 1], n);
    else
        r->prev_cr = false;
    if (csv_get_buffer_size(&r->parser) > FIELD_MAX) {
        r->fail_st = err_set(err, ST_EINPUT, "cell longer than %zu MiB", FIELD_MAX / (1024 * 1024));
        err_detail(err, "%s:%ld: in the record that begins on this line", r->name, r->rec_line);
        err_hint(err, "Look for a double quote that opens a cell and is never closed.");
        return STEP_FAIL;
    }
    return r->row_ready ? STEP_ROW : STEP_MORE;
}

/* At end of input: let libcsv complete a last record with no line end. */
static enum step finish(struct csvin *r, struct err *err)
{
    r->finished = true;
    if (csv_fini(&r->parser, on_field, on_row, r) != 0) {
        r->fail_st = err_set(err, ST_EINPUT, "quoted cell not closed at end of file");
        err_detail(err, "%s:%ld: in the record that begins on this line", r->name, r->rec_line);
        err_hint(err, "Look for a double quote that opens a cell and is never closed; a quote "
                      "inside a quoted cell is written twice (\"\").");
        return STEP_FAIL;
    }
    if (r->oom)
        return fail_nomem(r, err), STEP_FAIL;
    return r->row_ready ? STEP_ROW : STEP_MORE;
}

/* Advance until a record is complete (STEP_ROW), a malformed one was
 * dropped (STEP_REJECT), input ends (STEP_MORE with r->finished) or
 * reading fails. */
static enum step advance(struct csvin *r, struct err *err)
{
    while (!r->finished) {
        enum step st;

        if (r->pos == r->len) {
            if (r->at_eof) {
                st = finish(r, err);
            } else {
                size_t got = fread(r->rbuf, 1, sizeof r->rbuf, r->fp);

                if (got == 0) {
                    if (ferror(r->fp)) {
                        r->fail_st = err_set(err, ST_EIO, "could not read \"%s\": %s", r->name,
                                             strerror(errno));
                        return STEP_FAIL;
                    }
                    r->at_eof = true;
                    continue;
                }
                r->pos = 0;
                r->len = got;
                /* Excel writes a byte-order mark before "CSV UTF-8". fread
                 * fills the buffer unless input ends, so a file that starts
                 * with one has it whole in the first read. */
                if (r->first_read && got >= 3 && memcmp(r->rbuf, "\xEF\xBB\xBF", 3) == 0)
                    r->pos = 3;
                r->first_read = false;
                continue;
            }
        } else {
            st = feed(r, err);
        }
        if (st != STEP_MORE)
            return st;
    }
    return STEP_MORE;
}

/* Edit distance of two short ASCII names, for "perhaps you meant". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t prev[64], cur[64];

    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

/* Copy a column name or a cell for a message, escaped and cut to fit
 * (text_show). */
static void show_name(char *dst, size_t dstlen, const char *s)
{
    text_show(dst, dstlen, s, strlen(s));
}

/* What the bytes of the header say about the file's encoding, before its
 * names are read: a NUL would cut a name short ("case_no\0junk" read as
 * case_no), and a second byte-order mark would make the first column an
 * unknown one whose name looks right. */
static enum status check_header_bytes(struct csvin *r, struct err *err)
{
    static const char bom[] = "\xEF\xBB\xBF";
    const char *first = r->ncells ? cell(r, 0) : "";
    int marks = 1; /* the one skipped when the file was opened */

    for (size_t i = 0; i < r->ncells; i++) {
        if (memchr(cell(r, i), '\0', r->span[i].len)) {
            err_set(err, ST_EINPUT, "NUL character in column %zu of the header", i + 1);
            err_detail(err, "%s:%ld", r->name, r->rec_line);
            err_hint(err, "The file may be UTF-16 (Excel's \"Unicode Text\"): save it as \"CSV "
                          "UTF-8\" and import it again.");
            return ST_EINPUT;
        }
    }
    while (strncmp(first, bom, 3) == 0) {
        first += 3;
        marks++;
    }
    if (marks > 1) {
        if (marks == 2)
            err_set(err, ST_EINPUT,
                    "the header starts with two byte-order marks; save the file again as CSV "
                    "UTF-8");
        else
            err_set(err, ST_EINPUT,
                    "the header starts with %d byte-order marks; save the file again as CSV UTF-8",
                    marks);
        err_detail(err, "%s:%ld", r->name, r->rec_line);
        err_hint(err, "A program added a byte-order mark (U+FEFF) to a file that had one. Open "
                      "the file and save it as \"CSV UTF-8\", then import it again.");
        return ST_EINPUT;
    }
    return ST_OK;
}

static enum status check_header(struct csvin *r, struct err *err)
{
    bool seen[F__COUNT] = {false};
    size_t seen_at[F__COUNT] = {0};
    char shown[256];

    if (check_header_bytes(r, err) != ST_OK)
        return ST_EINPUT;
    r->colmap = malloc((r->ncells ? r->ncells : 1) * sizeof *r->colmap);
    if (!r->colmap)
        return fail_nomem(r, err);
    r->ncols = r->ncells;
    for (size_t i = 0; i < r->ncells; i++) {
        const char *name = cell(r, i);
        int f = case_field_find(name);

        if (name[0] == '\0') {
            err_set(err, ST_EINPUT, "empty column name in column %zu of the header", i + 1);
            err_detail(err, "%s:%ld", r->name, r->rec_line);
            err_hint(err, "Name the column, or remove it (a comma at the end of the header "
                          "row makes an empty column).");
            return ST_EINPUT;
        }
        if (f < 0) {
            const char *best = NULL;
            size_t best_d = 3; /* suggest only names within two edits */

            for (int k = 0; k < F__COUNT; k++) {
                size_t d = distance(name, case_fields[k].name);

                if (d < best_d) {
                    best_d = d;
                    best = case_fields[k].name;
                }
            }
            show_name(shown, sizeof shown, name);
            err_set(err, ST_EINPUT, "unknown column \"%s\"", shown);
            err_detail(err, "%s:%ld", r->name, r->rec_line);
            if (text_has_hidden(name, strlen(name)))
                err_hint(err, "The name holds characters that cannot be seen or printed, shown "
                              "as \\x.. or \\u....: type it again. The column names are listed in "
                              "case-interchange.md, section 1.");
            else if (best)
                err_hint(err,
                         "Perhaps you meant \"%s\". The column names are listed in "
                         "case-interchange.md, section 1.",
                         best);
            else
                err_hint(err, "The column names are listed in case-interchange.md, section 1.");
            return ST_EINPUT;
        }
        if (seen[f]) {
            err_set(err, ST_EINPUT, "duplicate column \"%s\"", case_fields[f].name);
            err_detail(err, "%s:%ld: columns %zu and %zu", r->name, r->rec_line, seen_at[f] + 1,
                       i + 1);
            err_hint(err, "Each column may appear only once.");
            return ST_EINPUT;
        }
        seen[f] = true;
        seen_at[f] = i;
        r->colmap[i] = f;
    }
    for (int f = 0; f < F__COUNT; f++) {
        if ((case_fields[f].flags & FF_REQUIRED) && !seen[f]) {
            char list[512];
            size_t o = 0;

            for (int k = 0; k < F__COUNT && o < sizeof list; k++)
                if (case_fields[k].flags & FF_REQUIRED)
                    o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "",
                                          case_fields[k].name);
            err_set(err, ST_EINPUT, "missing required column \"%s\"", case_fields[f].name);
            err_detail(err, "%s:%ld", r->name, r->rec_line);
            err_hint(err, "Every file needs the columns %s (case-interchange.md, section 1).",
                     list);
            return ST_EINPUT;
        }
    }
    r->header_done = true;
    return ST_OK;
}

enum status csvin_open(struct csvin **out, FILE *fp, const char *name, int64_t today,
                       csvin_reject_fn on_reject, void *ud, struct err *err)
{
    struct csvin *r = calloc(1, sizeof *r);
    enum status st;

    if (!r)
        return err_set(err, ST_ENOMEM, "out of memory");
    r->name = strdup(strcmp(name, "-") == 0 ? "<stdin>" : name);
    if (!r->name) {
        free(r);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    r->fp = fp;
    r->today = today;
    r->on_reject = on_reject;
    r->ud = ud;
    r->first_read = true;
    r->line = 1;
    r->rec_line = 1;
    parser_init(r);

    switch (advance(r, err)) {
    case STEP_ROW: st = check_header(r, err); break;
    case STEP_MORE:
        st = err_set(err, ST_EINPUT, "no header row in \"%s\"", r->name);
        err_hint(err, "The first line must name the columns (case-interchange.md, section 1).");
        break;
    case STEP_REJECT: /* not before the header */
    case STEP_FAIL:
    default: st = r->fail_st; break;
    }
    if (st != ST_OK) {
        csvin_close(r);
        return st;
    }
    row_reset(r);
    *out = r;
    return ST_OK;
}

/* Store cell i (field f, non-empty) into a, or report why not. */
static bool take_cell(struct csvin *r, struct act *a, size_t i, int f, long line)
{
    const struct field_def *def = &case_fields[f];
    const char *s = cell(r, i);
    char reason[256];
    int64_t num = 0;

    if (memchr(s, '\0', r->span[i].len)) {
        reject(r, line, def->name,
               "contains a NUL character (is the file UTF-16? save it as \"CSV UTF-8\")");
        return false;
    }
    if (!value_parse(def, s, &num, reason, sizeof reason)) {
        reject(r, line, def->name, reason);
        return false;
    }
    a->present[f] = 1;
    a->num[f] = num;
    switch (def->type) {
    case FT_TEXT:
    case FT_LIST:
    case FT_DATE:
        if (!act_set_text(a, (enum case_field)f, s))
            r->oom = true;
        break;
    case FT_ENUM:
        if (!act_set_text(a, (enum case_field)f, def->enum_values[num]))
            r->oom = true;
        break;
    case FT_INT:
    case FT_COUNT:
    case FT_AMOUNT:
    case FT_BOOL: break;
    }
    return true;
}

/* knowledge_basis: items of the Art. 11 presumption, e.g. "1;3". */
static bool knowledge_basis_ok(const char *s)
{
    for (;;) {
        if (s[0] < '1' || s[0] > '7')
            return false;
        if (s[1] == '\0')
            return true;
        if (s[1] != ';')
            return false;
        s += 2;
    }
}

/* Checks across cells and of ranges, on the cells that parsed; returns the
 * number of problems reported. */
static int check_row(struct csvin *r, struct act *a, long line)
{
    static const int dates[] = {F_OFFENSE_DATE, F_CONVICTION_DATE};
    char reason[256];
    int bad = 0;

    if (a->present[F_ACT_NO] && a->num[F_ACT_NO] < 1) {
        snprintf(reason, sizeof reason, "must be 1 or more: '%" PRId64 "'", a->num[F_ACT_NO]);
        reject(r, line, case_fields[F_ACT_NO].name, reason);
        bad++;
    }
    if (a->present[F_AGE_AT_OFFENSE]) {
        int64_t age = a->num[F_AGE_AT_OFFENSE];

        if (age < 0 || age > 150) {
            snprintf(reason, sizeof reason, "not an age between 0 and 150: '%" PRId64 "'", age);
            reject(r, line, case_fields[F_AGE_AT_OFFENSE].name, reason);
            bad++;
        }
        if (a->present[F_DEFENDANT_KIND] && a->num[F_DEFENDANT_KIND] == DEFENDANT_UNIT) {
            reject(r, line, case_fields[F_AGE_AT_OFFENSE].name,
                   "must be empty for a unit (defendant_kind is unit)");
            bad++;
        }
    }
    if (a->present[F_CONVICTION_DATE] && a->present[F_OFFENSE_DATE] &&
        a->num[F_CONVICTION_DATE] < a->num[F_OFFENSE_DATE]) {
        snprintf(reason, sizeof reason, "before offense_date (%s): '%s'", a->text[F_OFFENSE_DATE],
                 a->text[F_CONVICTION_DATE]);
        reject(r, line, case_fields[F_CONVICTION_DATE].name, reason);
        bad++;
    }
    /* An act or a judgment in the future is a typo (2150 for 2015). */
    for (size_t k = 0; k < sizeof dates / sizeof dates[0]; k++) {
        int f = dates[k];

        if (a->present[f] && a->num[f] > r->today) {
            char day[16];

            value_format(FT_DATE, r->today, day, sizeof day);
            snprintf(reason, sizeof reason, "after today (%s): '%s'", day, a->text[f]);
            reject(r, line, case_fields[f].name, reason);
            bad++;
        }
    }
    if (a->present[F_KNOWLEDGE_BASIS] && !knowledge_basis_ok(a->text[F_KNOWLEDGE_BASIS])) {
        char shown[64];

        show_name(shown, sizeof shown, a->text[F_KNOWLEDGE_BASIS]);
        snprintf(reason, sizeof reason, "not a list of items 1 to 7 separated by ';': '%s'", shown);
        reject(r, line, case_fields[F_KNOWLEDGE_BASIS].name, reason);
        bad++;
    }
    return bad;
}

/* Turn the complete record into *a, or reject it. */
static enum csvin_result take_row(struct csvin *r, struct act *a, struct err *err)
{
    long line = r->rec_line;
    int bad = 0;

    r->rows++;
    a->line = line;
    if (r->ncells != r->ncols) {
        char reason[160];

        snprintf(reason, sizeof reason,
                 "wrong number of cells: %zu instead of %zu (one per column of the header)",
                 r->ncells, r->ncols);
        reject(r, line, "", reason);
        row_reset(r);
        return CSVIN_REJECT;
    }
    /* Check every cell, so that a clerk fixes a row in one pass. */
    for (size_t i = 0; i < r->ncols; i++) {
        int f = r->colmap[i];

        if (r->span[i].len == 0) {
            if (case_fields[f].flags & FF_REQUIRED) {
                reject(r, line, case_fields[f].name, "required, but empty");
                bad++;
            }
        } else if (!take_cell(r, a, i, f, line)) {
            bad++;
        }
    }
    row_reset(r);
    if (r->oom) {
        fail_nomem(r, err);
        act_fini(a);
        return CSVIN_FAIL;
    }
    if (!a->present[F_ACT_NO]) {
        a->present[F_ACT_NO] = 1;
        a->num[F_ACT_NO] = 1;
    }
    /* Only cells that parsed are present, so these checks see sound values
     * even in a row already refused for another cell. */
    bad += check_row(r, a, line);
    if (bad > 0) {
        /* Nothing of a rejected row may be stored. */
        act_fini(a);
        a->line = line;
        return CSVIN_REJECT;
    }
    return CSVIN_ROW;
}

enum csvin_result csvin_next(struct csvin *r, struct act *a, struct err *err)
{
    enum csvin_result res = CSVIN_FAIL;

    act_fini(a);
    /* After a failure the parser state is unknown: stay failed. */
    if (r->failed) {
        err_set(err, r->fail_st, "reading \"%s\" stopped after an earlier error", r->name);
        return CSVIN_FAIL;
    }
    switch (advance(r, err)) {
    case STEP_ROW: res = take_row(r, a, err); break;
    case STEP_REJECT:
        a->line = r->rec_line;
        res = CSVIN_REJECT;
        break;
    case STEP_MORE: res = CSVIN_EOF; break;
    case STEP_FAIL: res = CSVIN_FAIL; break;
    }
    r->failed = res == CSVIN_FAIL;
    return res;
}

long csvin_rows(const struct csvin *r)
{
    return r->rows;
}

void csvin_close(struct csvin *r)
{
    if (!r)
        return;
    csv_free(&r->parser);
    free(r->cells);
    free(r->span);
    free(r->colmap);
    free(r->name);
    free(r);
}
