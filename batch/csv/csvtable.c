/*-------------------------------------------------------------------------
 * csvtable.c
 *     Whole-file CSV reader through libcsv (see csvtable.h).
 *
 * batch/csv/csvtable.c
 *-------------------------------------------------------------------------
 */
#include "csvtable.h"

#include <csv.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    struct csvtable *t;
    char **row; /* cells of the row being read */
    int nrow, caprow;
    long line;     /* current physical line */
    long row_line; /* line the current row started on */
    int rows_cap;
    bool oom;
    bool too_wide;
    long wide_line;
};

static void on_field(void *s, size_t len, void *data)
{
    struct reader *r = data;

    if (r->nrow == 0 && r->row_line == 0)
        r->row_line = r->line;
    if (r->nrow == r->caprow) {
        int cap = r->caprow ? 2 * r->caprow : 16;
        char **p = realloc(r->row, (size_t)cap * sizeof *p);
        if (!p) {
            r->oom = true;
            return;
        }
        r->row = p;
        r->caprow = cap;
    }
    char *v = malloc(len + 1);
    if (!v) {
        r->oom = true;
        return;
    }
    memcpy(v, s ? s : "", s ? len : 0);
    v[s ? len : 0] = '\0';
    r->row[r->nrow++] = v;
}

static void on_row(int c, void *data)
{
    struct reader *r = data;
    struct csvtable *t = r->t;

    (void)c;
    if (r->oom)
        return;
    if (!t->names) {
        t->names = r->row;
        t->ncols = r->nrow;
        r->row = NULL;
        r->nrow = r->caprow = 0;
        r->row_line = 0;
        return;
    }
    if (r->nrow > t->ncols && !r->too_wide) {
        r->too_wide = true;
        r->wide_line = r->row_line;
    }
    if (t->nrows == r->rows_cap) {
        int cap = r->rows_cap ? 2 * r->rows_cap : 64;
        char **cells = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *cells);
        long *lines = cells ? realloc(t->lines, (size_t)cap * sizeof *lines) : NULL;
        if (cells)
            t->cells = cells;
        if (!cells || !lines) {
            r->oom = true;
            return;
        }
        t->lines = lines;
        r->rows_cap = cap;
    }
    /* The row is stored even when a missing cell's "" cannot be made
     * (NULL then, freed with the table the failed read discards). */
    for (int i = 0; i < t->ncols; i++) {
        char *v = i < r->nrow ? r->row[i] : r->oom ? NULL : strdup("");

        if (!v)
            r->oom = true;
        t->cells[t->nrows * t->ncols + i] = v;
    }
    for (int i = t->ncols; i < r->nrow; i++)
        free(r->row[i]);
    t->lines[t->nrows++] = r->row_line;
    r->nrow = 0;
    r->row_line = 0;
}

enum status csvtable_read(struct csvtable **out, const char *path, struct err *err)
{
    FILE *fp = fopen(path, "rb");
    enum status st;

    if (!fp)
        return err_set(err, ST_EIO, "could not open \"%s\": %s", path, strerror(errno));
    st = csvtable_read_fp(out, fp, path, err);
    fclose(fp);
    return st;
}

enum status csvtable_read_fp(struct csvtable **out, FILE *fp, const char *path, struct err *err)
{
    struct csv_parser p;
    struct reader r = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    enum status st = ST_OK;

    if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL) != 0)
        return err_set(err, ST_ENOMEM, "out of memory");
    if (!(r.t = calloc(1, sizeof *r.t))) {
        csv_free(&p);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    /* Feed line by line so that each row knows the line it starts on. */
    while ((errno = 0, n = getline(&line, &cap, fp)) > 0) {
        r.line++;
        const char *s = line;
        if (r.line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, n -= 3;
        if (csv_parse(&p, s, (size_t)n, on_field, on_row, &r) != (size_t)n) {
            st = err_set(err, ST_EINPUT, "%s:%ld: malformed CSV: %s", path, r.line,
                         csv_strerror(csv_error(&p)));
            break;
        }
    }
    /* getline's -1 is the end or an error (a read error, no memory for
     * the line): a table cut short must not pass for the whole file. */
    if (st == ST_OK && (ferror(fp) || errno == ENOMEM))
        st = err_set(err, ST_EIO, "could not read \"%s\": %s", path, strerror(errno ? errno : EIO));
    if (st == ST_OK && csv_fini(&p, on_field, on_row, &r) != 0)
        st = err_set(err, ST_EINPUT, "%s: malformed CSV at the end: %s", path,
                     csv_strerror(csv_error(&p)));
    csv_free(&p);
    free(line);
    for (int i = 0; i < r.nrow; i++)
        free(r.row[i]);
    free(r.row);
    if (st == ST_OK && r.oom)
        st = err_set(err, ST_ENOMEM, "out of memory reading \"%s\"", path);
    if (st == ST_OK && r.too_wide)
        st = err_set(err, ST_EINPUT, "%s:%ld: more cells than the header has columns", path,
                     r.wide_line);
    if (st == ST_OK && !r.t->names)
        st = err_set(err, ST_EINPUT, "%s: empty file (no header row)", path);
    if (st != ST_OK) {
        csvtable_free(r.t);
        return st;
    }
    *out = r.t;
    return ST_OK;
}

void csvtable_free(struct csvtable *t)
{
    if (!t)
        return;
    for (int i = 0; t->names && i < t->ncols; i++)
        free(t->names[i]);
    for (int i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->names);
    free(t->cells);
    free(t->lines);
    free(t);
}

int csvtable_col(const struct csvtable *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return -1;
}
