/*-------------------------------------------------------------------------
 * deviation.c
 *     The deviation report's files (see deviation.h): deviation.csv
 *     streamed from a cursor over deviation.sql, deviation_summary.csv
 *     from deviation_summary.sql with small cells suppressed, both inside
 *     one repeatable-read transaction.
 *
 * Suppression in deviation_summary.csv, at K = min_cell: a row of fewer
 * than K defendants is blanked whole (its quartiles too); in the others
 * the share inside the band is blanked when the defendants inside or
 * outside it number 1 to K-1. No totals are published, so no count can be
 * worked out from the others. (deviation.csv itself lists each defendant:
 * it is for the research office, the summary for publication.)
 *
 * batch/outputs/deviation.c
 *-------------------------------------------------------------------------
 */
#include "deviation.h"

#include "codebook.h"
#include "csvout.h"
#include "outfile.h"
#include "report_html.h"
#include "result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* deviation.csv's columns, in the order deviation.sql gives them (checked
 * when the first rows come): the codebook documents each. */
#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const deviation_cols[] = {
    "case_no",
    "defendant_no",
    "offense",
    "court_code",
    "conviction_year",
    "defendant_kind",
    "age_band",
    "actual_kind",
    "actual_months",
    "actual_suspended",
    "actual_fine_yuan",
    "actual_ban_years",
    "actual_injunction",
    "recommended_kind",
    "recommended_months",
    "range_low_months",
    "range_high_months",
    "recommended_suspended",
    "recommended_fine_yuan",
    "ban_eligible",
    "ban_recommended_years",
    "injunction_eligible",
    "deviation_months",
    "deviation_pct",
    "inside_band",
    "kind_agrees",
    "suspension_agrees",
    "fine_ratio",
    "comparable_n",
    "comparable_p25",
    "comparable_p50",
    "comparable_p75",
    "warning_level",
};

static const char *const summary_cols[] = {
    "court_code",       "offense",       "defendants", "share_inside_band",  "deviation_p25",
    "deviation_median", "deviation_p75", "suppressed", "suppressed_columns",
};

/* Create path and its missing parents. */
static enum status make_dirs(const char *path, struct err *err)
{
    char p[4096];

    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return err_set(err, ST_EUSAGE, "the folder name is too long: %s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return err_set(err, ST_EIO, "could not create the folder \"%s\": %s", p,
                               strerror(errno));
            *s = '/';
        }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return err_set(err, ST_EIO, "could not create the folder \"%s\": %s", p, strerror(errno));
    return ST_OK;
}

/* deviation.csv: the rows of the cursor, column by column as the query
 * names them. */
static enum status write_rows(struct db *db, const char *const *params, struct csvout *w,
                              struct deviation_counts *n, struct err *err)
{
    struct result *t = NULL;
    bool header = false;
    enum status st = db_cursor_open(db, Q_DEVIATION, 6, params, err);

    while (st == ST_OK && (st = db_cursor_fetch(db, &t, err)) == ST_OK) {
        int rows = result_rows(t), cols = result_cols(t), wl = result_col(t, "warning_level");

        if (!header) {
            for (int c = 0; c < cols; c++) {
                const char *want = (size_t)c < NCOLS(deviation_cols) ? deviation_cols[c] : "";

                if (cols != (int)NCOLS(deviation_cols) || strcmp(result_name(t, c), want) != 0) {
                    result_free(t);
                    db_cursor_close(db, err);
                    return err_set(err, ST_EDB,
                                   "deviation.sql gives column %d as \"%s\", the report expects "
                                   "\"%s\" (and %zu columns)",
                                   c + 1, result_name(t, c), want, NCOLS(deviation_cols));
                }
                csvout_str(w, want, err);
            }
            st = csvout_end_row(w, err);
            header = true;
        }
        for (int r = 0; st == ST_OK && r < rows; r++) {
            const char *level = result_get(t, r, wl);

            for (int c = 0; c < cols; c++)
                csvout_str(w, result_get(t, r, c), err);
            st = csvout_end_row(w, err);
            n->defendants++;
            n->notices += strcmp(level, "notice") == 0;
            n->warnings += strcmp(level, "warning") == 0;
        }
        result_free(t);
        t = NULL;
        if (rows == 0)
            break;
    }
    if (st == ST_OK)
        st = db_cursor_close(db, err);
    return st;
}

/* codebook.csv of the report: the entry of each column of its two files
 * (batch/outputs/codebook.csv); a column without one is an error. */
static enum status write_codebook(struct csvout *w, struct err *err)
{
    static const char *const head[] = {"file",    "column", "type", "unit",
                                       "meaning", "source", "codes"};
    struct {
        const char *name;
        const char *const *cols;
        size_t n;
    } files[] = {{"deviation.csv", deviation_cols, NCOLS(deviation_cols)},
                 {"deviation_summary.csv", summary_cols, NCOLS(summary_cols)}};
    struct codebook *cb = NULL;
    enum status st = codebook_open(&cb, err);

    for (size_t c = 0; st == ST_OK && c < NCOLS(head); c++)
        csvout_str(w, head[c], err);
    if (st == ST_OK)
        st = csvout_end_row(w, err);
    for (size_t f = 0; st == ST_OK && f < NCOLS(files); f++)
        for (size_t c = 0; st == ST_OK && c < files[f].n; c++) {
            struct col_doc d;

            if (!codebook_find(cb, files[f].name, files[f].cols[c], &d)) {
                st = err_set(err, ST_EIO, "column %s of %s has no codebook entry", files[f].cols[c],
                             files[f].name);
                break;
            }
            csvout_str(w, files[f].name, err);
            csvout_str(w, d.column, err);
            csvout_str(w, d.type, err);
            csvout_str(w, d.unit, err);
            csvout_str(w, d.meaning, err);
            csvout_str(w, d.source, err);
            csvout_str(w, d.codes, err);
            st = csvout_end_row(w, err);
        }
    codebook_free(cb);
    return st;
}

/* What the page needs of the summary: the totals, and the court rows it
 * may show (those deviation_summary.csv shows whole). */
struct points {
    long defendants, inside;
    long *n;
    double *share;
    int count, left_out;
};

/* deviation_summary.csv, suppressed at K = min_cell; fills *pt. */
static enum status write_summary(struct db *db, const char *const *params, int k, struct csvout *w,
                                 struct deviation_counts *n, struct points *pt, struct err *err)
{
    struct result *t = NULL;
    enum status st = db_query(db, Q_DEVIATION_SUMMARY, 3, params, &t, err);

    if (st != ST_OK)
        return st;
    int c_court = result_col(t, "court_code"), c_off = result_col(t, "offense"),
        c_def = result_col(t, "defendants"), c_in = result_col(t, "inside_band"),
        c_p25 = result_col(t, "deviation_p25"), c_p50 = result_col(t, "deviation_median"),
        c_p75 = result_col(t, "deviation_p75");

    pt->n = calloc((size_t)result_rows(t) + 1, sizeof *pt->n);
    pt->share = calloc((size_t)result_rows(t) + 1, sizeof *pt->share);
    if (!pt->n || !pt->share) {
        result_free(t);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    for (size_t c = 0; c < NCOLS(summary_cols); c++)
        csvout_str(w, summary_cols[c], err);
    st = csvout_end_row(w, err);
    for (int r = 0; st == ST_OK && r < result_rows(t); r++) {
        long long def = strtoll(result_get(t, r, c_def), NULL, 10),
                  in = strtoll(result_get(t, r, c_in), NULL, 10);
        bool whole = def < k, share_hidden = (in > 0 && in < k) || (def - in > 0 && def - in < k);
        char share[32];

        snprintf(share, sizeof share, "%.3f", def > 0 ? (double)in / (double)def : 0.0);
        csvout_str(w, result_get(t, r, c_court), err);
        csvout_str(w, result_get(t, r, c_off), err);
        csvout_str(w, whole ? "" : result_get(t, r, c_def), err);
        csvout_str(w, whole || share_hidden ? "" : share, err);
        csvout_str(w, whole ? "" : result_get(t, r, c_p25), err);
        csvout_str(w, whole ? "" : result_get(t, r, c_p50), err);
        csvout_str(w, whole ? "" : result_get(t, r, c_p75), err);
        csvout_str(w, whole || share_hidden ? "true" : "false", err);
        csvout_str(w,
                   whole          ? "defendants;share_inside_band;deviation_p25;deviation_median;"
                                    "deviation_p75"
                   : share_hidden ? "share_inside_band"
                                  : "",
                   err);
        st = csvout_end_row(w, err);
        n->summary_rows++;
        n->suppressed_rows += whole;
        pt->defendants += def;
        pt->inside += in;
        if (whole || share_hidden) {
            pt->left_out++;
        } else {
            pt->n[pt->count] = def;
            pt->share[pt->count++] = (double)in / (double)def;
        }
    }
    result_free(t);
    return st;
}

/* deviation.html from the totals, the court points and two small queries. */
static enum status write_page(struct db *db, const char *const *params,
                              const struct deviation_opts *o, const struct deviation_counts *n,
                              const struct points *pt, FILE *fp, const char *name, struct err *err)
{
    struct result *hist = NULL, *kinds = NULL;
    char filters[600];
    enum status st;

    snprintf(filters, sizeof filters, "%s%s, %s%s, %s%s", o->offense ? "offense " : "",
             o->offense ? o->offense : "all offenses", o->court ? "court " : "",
             o->court ? o->court : "all courts", o->since ? "convicted from " : "",
             o->since ? o->since : "all years");
    if ((st = db_query(db, Q_DEVIATION_HIST, 3, params, &hist, err)) == ST_OK &&
        (st = db_query(db, Q_DEVIATION_KINDS, 3, params, &kinds, err)) == ST_OK) {
        struct deviation_page page = {filters,     pt->defendants, pt->inside,  n->notices,
                                      n->warnings, hist,           kinds,       pt->count,
                                      pt->n,       pt->share,      pt->left_out};

        st = deviation_html_write(fp, name, &page, err);
    }
    result_free(hist);
    result_free(kinds);
    return st;
}

enum status deviation_write(struct db *db, const struct deviation_opts *o,
                            struct deviation_counts *n, struct err *err)
{
    struct points pt = {0};
    char k[16], min[16], months[16], path[4200];
    const char *params[6] = {o->offense, o->court, o->since, k, min, months};
    struct outfile f;
    enum status st;

    memset(n, 0, sizeof *n);
    snprintf(k, sizeof k, "%d", DEVIATION_COMPARABLE_K);
    snprintf(min, sizeof min, "%d", DEVIATION_COMPARABLE_MIN);
    snprintf(months, sizeof months, "%d", DEVIATION_WARNING_MONTHS);
    if ((st = make_dirs(o->dir, err)) != ST_OK || (st = db_deviation_begin(db, err)) != ST_OK)
        return st;
    snprintf(path, sizeof path, "%s/deviation.csv", o->dir);
    if ((st = outfile_open(&f, NULL, path, true, o->excel, err)) == ST_OK) {
        st = write_rows(db, params, f.w, n, err);
        st = outfile_finish(&f, st, err);
    }
    snprintf(path, sizeof path, "%s/deviation_summary.csv", o->dir);
    if (st == ST_OK && (st = outfile_open(&f, NULL, path, true, o->excel, err)) == ST_OK) {
        st = write_summary(db, params, o->min_cell, f.w, n, &pt, err);
        st = outfile_finish(&f, st, err);
    }
    snprintf(path, sizeof path, "%s/deviation.html", o->dir);
    if (st == ST_OK && (st = outfile_open(&f, NULL, path, false, false, err)) == ST_OK) {
        st = write_page(db, params, o, n, &pt, f.fp, path, err);
        st = outfile_finish(&f, st, err);
    }
    free(pt.n);
    free(pt.share);
    snprintf(path, sizeof path, "%s/codebook.csv", o->dir);
    if (st == ST_OK && (st = outfile_open(&f, NULL, path, true, o->excel, err)) == ST_OK) {
        st = write_codebook(f.w, err);
        st = outfile_finish(&f, st, err);
    }
    if (st == ST_OK)
        st = db_snapshot_end(db, err);
    else
        db_rollback(db);
    return st;
}
