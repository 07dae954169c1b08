/*-------------------------------------------------------------------------
 * csvout.c
 *     CSV writer (see csvout.h): fields go into one 256 KiB buffer that is written
 *     with fwrite when full, so a million-row export makes no stdio call
 *     and no allocation per field.
 *
 * Most fields need no quotes and are copied as they are; a field that
 * does is quoted by libcsv's csv_write, straight into the buffer.
 *
 * batch/csv/csvout.c
 *-------------------------------------------------------------------------
 */
#include "csvout.h"

#include "value.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define OUT_SIZE ((size_t)256 * 1024)

struct csvout {
    FILE *fp;
    char *name;       /* for messages */
    size_t nfields;   /* fields in the current row */
    size_t row_bytes; /* bytes of the current row so far, separators included */
    long rows;
    bool verbatim; /* text as it is, formula-like or not */
    /* The first failure (a write, a value that cannot be written): every
     * later call repeats it, so a caller may check once a row or at close. */
    enum status st;
    struct err first;
    size_t len; /* bytes used in buf */
    char buf[OUT_SIZE];
};

/* Give err the first failure again. */
static enum status repeat(const struct csvout *w, struct err *err)
{
    *err = w->first;
    return w->st;
}

/* Record the failure err describes, unless one came first; either way
 * err describes the first. */
static enum status stick(struct csvout *w, enum status st, struct err *err)
{
    if (w->st == ST_OK) {
        w->st = st;
        w->first = *err;
    }
    return repeat(w, err);
}

/* Record a failed write (errnum 0 when unknown). */
static enum status write_failed(struct csvout *w, int errnum, struct err *err)
{
    err_set(err, ST_EIO, "could not write \"%s\": %s", w->name,
            errnum ? strerror(errnum) : "write error");
    err_hint(err, "Check that the disk is not full and the directory is writable.");
    return stick(w, ST_EIO, err);
}

static enum status flush(struct csvout *w, struct err *err)
{
    if (w->len > 0) {
        size_t n = w->len;

        errno = 0;
        w->len = 0;
        if (fwrite(w->buf, 1, n, w->fp) != n)
            return write_failed(w, errno, err);
    }
    return ST_OK;
}

enum quoting {
    Q_NEVER,  /* numbers, booleans, dates, names of ours */
    Q_NEEDED, /* text: quoted when it needs it */
    Q_ALWAYS, /* a neutralised formula */
};

/* Write len bytes of s as one field; with Q_NEEDED, quote only when the
 * field needs it: separators, quotes, line ends, or blanks at either end
 * (which many readers, libcsv among them, would strip). */
static enum status put(struct csvout *w, const char *s, size_t len, enum quoting q, struct err *err)
{
    size_t sep = w->nfields > 0;
    size_t need = sep + len;
    bool quote = q == Q_ALWAYS;

    if (w->st != ST_OK)
        return repeat(w, err);
    if (q != Q_NEVER && len > 0) {
        size_t quotes = 0;

        quote |= s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t';
        for (size_t i = 0; i < len; i++) {
            char c = s[i];

            if (c == '"')
                quotes++;
            else if (c == ',' || c == '\n' || c == '\r')
                quote = true;
        }
        if (quotes > 0)
            quote = true;
        if (quote)
            need += 2 + quotes;
    }
    if (w->len + need > OUT_SIZE && flush(w, err) != ST_OK)
        return ST_EIO;
    if (need > OUT_SIZE) {
        /* A field larger than the buffer (never seen in practice) bypasses it. */
        int rc;

        errno = 0;
        if (sep && fputc(',', w->fp) == EOF)
            return write_failed(w, errno, err);
        if (quote)
            rc = csv_fwrite(w->fp, s, len);
        else
            rc = fwrite(s, 1, len, w->fp) == len ? 0 : EOF;
        if (rc != 0)
            return write_failed(w, errno, err);
    } else {
        if (sep)
            w->buf[w->len++] = ',';
        if (quote)
            w->len += csv_write(w->buf + w->len, OUT_SIZE - w->len, s, len);
        else if (len > 0)
            memcpy(w->buf + w->len, s, len);
        if (!quote)
            w->len += len;
    }
    w->nfields++;
    w->row_bytes += need;
    return ST_OK;
}

enum status csvout_open(struct csvout **out, FILE *fp, const char *name, bool bom, struct err *err)
{
    struct csvout *w = malloc(sizeof *w);

    if (!w)
        return err_set(err, ST_ENOMEM, "out of memory");
    w->name = strdup(name);
    if (!w->name) {
        free(w);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    w->fp = fp;
    w->nfields = 0;
    w->row_bytes = 0;
    w->rows = 0;
    w->verbatim = false;
    w->st = ST_OK;
    memset(&w->first, 0, sizeof w->first);
    w->len = 0;
    if (bom) {
        memcpy(w->buf, "\xEF\xBB\xBF", 3);
        w->len = 3;
    }
    *out = w;
    return ST_OK;
}

/* A cell a spreadsheet would take for a formula: it begins with =, +, -,
 * @, tab or CR and is not a plain number (-3 and -0.5 are numbers; -2+3
 * would be computed). */
static bool formula_like(const char *s, size_t len)
{
    size_t i = 0, digits = 0;

    if (len == 0 || s[0] == '\0' || !strchr("=+-@\t\r", s[0]))
        return false;
    if (s[0] != '-')
        return true;
    for (i = 1; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.' && digits > 0) {
        size_t frac = 0;

        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            frac++;
        if (frac == 0)
            return true;
    }
    return i < len || digits == 0;
}

/* Text goes out as it is, except a formula-like cell, which is written
 * with a leading apostrophe and quoted, as spreadsheet-safety guides
 * (OWASP, "CSV Injection") recommend: every spreadsheet shows it as text. */
static enum status put_text(struct csvout *w, const char *s, size_t len, struct err *err)
{
    char *t;
    enum status st;

    if (w->verbatim || !s || !formula_like(s, len))
        return put(w, s, len, Q_NEEDED, err);
    if (w->st != ST_OK)
        return repeat(w, err);
    t = malloc(len + 1);
    if (!t) {
        err_set(err, ST_ENOMEM, "out of memory writing \"%s\"", w->name);
        return stick(w, ST_ENOMEM, err);
    }
    t[0] = '\'';
    memcpy(t + 1, s, len);
    st = put(w, t, len + 1, Q_ALWAYS, err);
    free(t);
    return st;
}

void csvout_verbatim(struct csvout *w)
{
    w->verbatim = true;
}

enum status csvout_field(struct csvout *w, const char *s, size_t len, struct err *err)
{
    return put_text(w, s, s ? len : 0, err);
}

enum status csvout_str(struct csvout *w, const char *s, struct err *err)
{
    return put_text(w, s, s ? strlen(s) : 0, err);
}

enum status csvout_int(struct csvout *w, int64_t v, struct err *err)
{
    char tmp[32];
    size_t n = value_format(FT_INT, v, tmp, sizeof tmp);

    return put(w, tmp, n, Q_NEVER, err);
}

enum status csvout_value(struct csvout *w, enum ftype t, bool present, int64_t num,
                         const char *text, struct err *err)
{
    char tmp[32];
    size_t n;

    if (!present)
        return put(w, NULL, 0, Q_NEVER, err);
    switch (t) {
    case FT_TEXT:
    case FT_ENUM:
    case FT_LIST: return csvout_str(w, text, err);
    case FT_INT:
    case FT_COUNT:
    case FT_AMOUNT:
    case FT_BOOL:
    case FT_DATE: break;
    }
    n = value_format(t, num, tmp, sizeof tmp);
    if (n == 0) {
        err_set(err, ST_EINPUT, "value %" PRId64 " cannot be written to \"%s\"", num, w->name);
        return stick(w, ST_EINPUT, err);
    }
    /* Numbers, booleans and dates never need quotes. */
    return put(w, tmp, n, Q_NEVER, err);
}

enum status csvout_end_row(struct csvout *w, struct err *err)
{
    if (w->st != ST_OK)
        return repeat(w, err);
    if (w->len + 3 > OUT_SIZE && flush(w, err) != ST_OK)
        return ST_EIO;
    /* A row of one empty field would be a blank line, which readers skip. */
    if (w->row_bytes == 0) {
        w->buf[w->len++] = '"';
        w->buf[w->len++] = '"';
    }
    w->buf[w->len++] = '\n';
    w->nfields = 0;
    w->row_bytes = 0;
    w->rows++;
    return ST_OK;
}

enum status csvout_rec_header(struct csvout *w, struct err *err)
{
    for (int i = 0; i < R__COUNT; i++)
        if (put(w, rec_fields[i].name, strlen(rec_fields[i].name), Q_NEVER, err) != ST_OK)
            return ST_EIO;
    return csvout_end_row(w, err);
}

enum status csvout_rec_fields(struct csvout *w, const struct rec *r, struct err *err)
{
    for (int i = 0; i < R__COUNT; i++) {
        const struct field_def *def = &rec_fields[i];
        const char *text = r->text[i];
        enum status st;

        /* An enum set by number only is written by its name. */
        if (def->type == FT_ENUM && !text && r->present[i] && r->num[i] >= 0) {
            for (int64_t k = 0; def->enum_values[k]; k++) {
                if (k == r->num[i]) {
                    text = def->enum_values[k];
                    break;
                }
            }
        }
        st = csvout_value(w, def->type, r->present[i], r->num[i], text, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

enum status csvout_rec(struct csvout *w, const struct rec *r, struct err *err)
{
    enum status st = csvout_rec_fields(w, r, err);

    return st != ST_OK ? st : csvout_end_row(w, err);
}

long csvout_rows(const struct csvout *w)
{
    return w->rows;
}

enum status csvout_close(struct csvout *w, struct err *err)
{
    struct err local;
    enum status st = ST_OK;

    if (!w)
        return ST_OK;
    if (!err)
        err = &local;
    if (w->st != ST_OK)
        st = repeat(w, err);
    else if (flush(w, err) != ST_OK)
        st = ST_EIO;
    else {
        errno = 0;
        if (fflush(w->fp) != 0 || ferror(w->fp))
            st = write_failed(w, errno, err);
    }
    free(w->name);
    free(w);
    return st;
}
