/*-------------------------------------------------------------------------
 * output.c
 *     The run's CSV files and the export (see output.h).
 *
 * batch/output.c
 *-------------------------------------------------------------------------
 */
#include "output.h"

#include "csvout.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file being written: fp on path.tmp, renamed to path by file_commit. */
struct outfile {
    FILE *fp;
    struct csvout *w;
    char path[4096];
    char tmp[4200];
};

static enum status file_open(struct outfile *f, const char *dir, const char *name, bool excel,
                             struct err *err)
{
    memset(f, 0, sizeof *f);
    if (dir)
        snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
    else
        snprintf(f->path, sizeof f->path, "%s", name);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%ld", f->path, (long)getpid());
    if (!(f->fp = fopen(f->tmp, "w"))) {
        err_set(err, ST_EIO, "could not create \"%s\": %s", f->tmp, strerror(errno));
        err_hint(err, "Check that the output folder is writable (--out).");
        return ST_EIO;
    }
    return csvout_open(&f->w, f->fp, f->path, excel, err);
}

/* Close the file; rename it into place when ok, else remove it. */
static enum status file_close(struct outfile *f, bool ok, struct err *err)
{
    enum status st = csvout_close(f->w, err);

    f->w = NULL;
    if (f->fp && fclose(f->fp) != 0 && st == ST_OK)
        st = err_set(err, ST_EIO, "could not write \"%s\": %s", f->tmp, strerror(errno));
    f->fp = NULL;
    if (ok && st == ST_OK && rename(f->tmp, f->path) != 0)
        st = err_set(err, ST_EIO, "could not rename \"%s\": %s", f->tmp, strerror(errno));
    if (!ok || st != ST_OK)
        remove(f->tmp);
    return ok ? st : ST_OK;
}

struct rec_sink {
    struct csvout *w;
    struct err *err;
    enum status st;
};

static bool write_rec(void *ud, const struct rec *r)
{
    struct rec_sink *s = ud;

    s->st = csvout_rec(s->w, r, s->err);
    return s->st == ST_OK;
}

static enum status write_recs(struct db *db, int64_t run_id, struct csvout *w, struct err *err)
{
    struct rec_sink sink = {w, err, ST_OK};
    enum status st = csvout_rec_header(w, err);

    if (st != ST_OK)
        return st;
    st = db_each_rec(db, run_id, write_rec, &sink, err);
    return st != ST_OK ? st : sink.st;
}

/* Write a query result as a CSV file: header, then rows. */
static enum status write_table(const struct db_table *t, struct csvout *w, struct err *err)
{
    enum status st = ST_OK;

    for (int c = 0; c < t->ncols && st == ST_OK; c++)
        st = csvout_str(w, t->names[c], err);
    if (st == ST_OK)
        st = csvout_end_row(w, err);
    for (int r = 0; r < t->nrows && st == ST_OK; r++) {
        for (int c = 0; c < t->ncols && st == ST_OK; c++)
            st = csvout_str(w, t->cells[r * t->ncols + c] ? t->cells[r * t->ncols + c] : "", err);
        if (st == ST_OK)
            st = csvout_end_row(w, err);
    }
    return st;
}

static enum status query_to_file(struct db *db, const char *query, int nparams,
                                 const char *const *params, const char *dir, const char *name,
                                 bool excel, struct err *err)
{
    struct db_table *t = NULL;
    struct outfile f;
    enum status st = db_query(db, query, nparams, params, &t, err);

    if (st != ST_OK)
        return st;
    if ((st = file_open(&f, dir, name, excel, err)) == ST_OK)
        st = write_table(t, f.w, err);
    st = st == ST_OK ? file_close(&f, true, err) : (file_close(&f, false, err), st);
    db_table_free(t);
    return st;
}

static enum status make_dirs(const char *dir, struct err *err)
{
    char tmp[4096];

    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        goto fail;
    return ST_OK;
fail:
    err_set(err, ST_EIO, "could not create the folder \"%s\": %s", tmp, strerror(errno));
    err_hint(err, "Choose a writable output folder with --out.");
    return ST_EIO;
}

enum status output_write_run(struct db *db, int64_t run_id, const char *dir, bool excel,
                             struct run_totals *totals, struct err *err)
{
    char id[24];
    const char *params[1] = {id};
    struct outfile f;
    struct db_table *t = NULL;
    enum status st;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    if ((st = make_dirs(dir, err)) != ST_OK)
        return st;
    if ((st = file_open(&f, dir, "recommendations.csv", excel, err)) == ST_OK)
        st = write_recs(db, run_id, f.w, err);
    st = st == ST_OK ? file_close(&f, true, err) : (file_close(&f, false, err), st);
    if (st != ST_OK)
        return st;
    if ((st = query_to_file(db, "summary_offense", 0, NULL, dir, "summary_offense.csv", excel,
                            err)) != ST_OK)
        return st;
    if ((st = query_to_file(db, "run_errors", 1, params, dir, "errors.csv", excel, err)) != ST_OK)
        return st;
    if ((st = db_query(db, "run_totals", 1, params, &t, err)) != ST_OK)
        return st;
    if (t->nrows == 1) {
        totals->evaluated = atol(t->cells[0] ? t->cells[0] : "0");
        totals->errors = atol(t->cells[1] ? t->cells[1] : "0");
    }
    db_table_free(t);
    return ST_OK;
}

enum status output_export(struct db *db, const char *path, bool excel, struct err *err)
{
    struct outfile f;
    enum status st;

    if (!path || strcmp(path, "-") == 0) {
        struct csvout *w;
        if ((st = csvout_open(&w, stdout, "<stdout>", excel, err)) != ST_OK)
            return st;
        st = write_recs(db, 0, w, err);
        enum status cst = csvout_close(w, err);
        if (fflush(stdout) != 0 && st == ST_OK)
            st = err_set(err, ST_EIO, "could not write to standard output");
        return st != ST_OK ? st : cst;
    }
    if ((st = file_open(&f, NULL, path, excel, err)) == ST_OK)
        st = write_recs(db, 0, f.w, err);
    return st == ST_OK ? file_close(&f, true, err) : (file_close(&f, false, err), st);
}
