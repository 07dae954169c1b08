/*-------------------------------------------------------------------------
 * output.c
 *     The files of a run and the export (see output.h): CSV files from the
 *     output queries, small-cell suppression of the court table,
 *     report.html, the codebook and the manifest.
 *
 * The statistics are PostgreSQL's (sql/queries/); this file picks columns,
 * blanks suppressed cells and lays the files out. Large results are
 * streamed (recommendations by COPY, errors through a cursor); the summary
 * tables are small whatever the number of cases (offenses x years, courts
 * x offenses), so they are read whole.
 *
 * About 760 lines: the column lists of every file (the codebook documents
 * exactly these) and the writer of each file sit with the orchestration
 * that ties them to one snapshot; suppression, the codebook's text, the
 * report and the file handling are their own modules.
 *
 * batch/outputs/output.c
 *-------------------------------------------------------------------------
 */
#include "output.h"

#include "codebook.h"
#include "csvout.h"
#include "datapackage.h"
#include "db.h"
#include "log.h"
#include "report_html.h"
#include "rules.h"
#include "suppress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------------
 * The files of a run and their columns
 * ----------------------------------------------------------------------
 */

/* The statistics of both summary tables, in file order after their keys:
 * counts, then quantiles (percentile_disc: each one defendant's value). */
static const char *const summary_stats[] = {
    "defendants",     "evaluated",           "errors",         "threshold_met", "kind_fixed_term",
    "kind_detention", "kind_surveillance",   "kind_fine_only", "kind_exempt",   "suspended",
    "ban_eligible",   "injunction_eligible", "months_p10",     "months_p25",    "months_p50",
    "months_p75",     "months_p90",          "fine_yuan_p25",  "fine_yuan_p50", "fine_yuan_p75",
};
#define NSTATS ((int)(sizeof summary_stats / sizeof summary_stats[0]))

/* Every file of the run folder names the run and its rule set in its last
 * columns (recommendations.csv has rule_set among the contract's). */
static const char *const run_tail[] = {"run_id", "rule_set"};
static const char *const offense_keys[] = {"offense", "level", "conviction_year"};
static const char *const court_keys[] = {"court_code", "offense"};
static const char *const court_tail[] = {"suppressed", "suppressed_columns"};
static const char *const basis_cols[] = {"offense",    "citation",       "title",
                                         "defendants", "defendants_met", "share_met"};
static const char *const error_cols[] = {"case_no", "defendant_no", "offense", "error",
                                         "error_kind"};
static const char *const codebook_cols[] = {"file",    "column", "type", "unit",
                                            "meaning", "source", "codes"};
static const char *const manifest_cols[] = {
    "run_id",   "rule_set",  "state",  "started_at",
    "ended_at", "evaluated", "errors", "current_recommendations",
    "min_cell", "excel_bom", "file",   "scope",
    "rows",     "bytes",
};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* What a file holds: this run's cases, all current recommendations after
 * the run, or documentation of the others (manifest.csv's scope column). */
enum scope { SCOPE_RUN, SCOPE_CURRENT, SCOPE_DOC };
static const char *const scope_names[] = {"run", "current", "documentation"};

enum file_id {
    FILE_RECS,
    FILE_SUMMARY_OFFENSE,
    FILE_SUMMARY_COURT,
    FILE_BASIS,
    FILE_ERRORS,
    FILE_REPORT,
    FILE_CODEBOOK,
    FILE_DATAPACKAGE,
    FILE_MANIFEST,
    FILE__COUNT
};

static const struct {
    const char *name;
    enum scope scope;
} files[FILE__COUNT] = {
    [FILE_RECS] = {"recommendations.csv", SCOPE_RUN},
    [FILE_SUMMARY_OFFENSE] = {"summary_offense.csv", SCOPE_CURRENT},
    [FILE_SUMMARY_COURT] = {"summary_court.csv", SCOPE_CURRENT},
    [FILE_BASIS] = {"basis_frequency.csv", SCOPE_CURRENT},
    [FILE_ERRORS] = {"errors.csv", SCOPE_RUN},
    [FILE_REPORT] = {"report.html", SCOPE_CURRENT},
    [FILE_CODEBOOK] = {"codebook.csv", SCOPE_DOC},
    [FILE_DATAPACKAGE] = {"datapackage.json", SCOPE_DOC},
    [FILE_MANIFEST] = {"manifest.csv", SCOPE_DOC},
};

/* What a row of each CSV file is, and the columns that identify it, for
 * datapackage.json. */
static const char *const recs_key[] = {"case_no", "defendant_no", "offense"};
static const char *const offense_key[] = {"offense", "level", "conviction_year"};
static const char *const court_key[] = {"court_code", "offense"};
static const char *const basis_key[] = {"offense", "citation"};
static const char *const codebook_key[] = {"file", "column"};
static const char *const manifest_key[] = {"file"};
static const struct {
    const char *title;
    const char *const *key;
    enum file_id id;
    int nkey;
} described[] = {
    {"this run's recommendations: one row per defendant and offense it evaluated", recs_key,
     FILE_RECS, 3},
    {"all current recommendations per offense and conviction year, and their totals", offense_key,
     FILE_SUMMARY_OFFENSE, 3},
    {"all current recommendations per court and offense, disclosure-controlled", court_key,
     FILE_SUMMARY_COURT, 2},
    {"per offense, the evaluated defendants meeting each threshold test", basis_key, FILE_BASIS, 2},
    {"this run's cases that could not be evaluated, and why", recs_key, FILE_ERRORS, 3},
    {"every column of every file of the folder", codebook_key, FILE_CODEBOOK, 2},
    {"the run and the files of the folder (written last)", manifest_key, FILE_MANIFEST, 1},
};

/* The columns of a CSV file of the run, in file order: the codebook
 * documents exactly these. Returns the count; *names borrowed. The table
 * files have at most 2 + NSTATS + 2 columns. */
static int file_columns(enum file_id id, const char **names, int max)
{
    int n = 0;

#define ADD(s)                                                                                     \
    do {                                                                                           \
        if (n < max)                                                                               \
            names[n] = (s);                                                                        \
        n++;                                                                                       \
    } while (0)
    switch (id) {
    case FILE_RECS:
        for (int i = 0; i < R__COUNT; i++)
            ADD(rec_fields[i].name);
        ADD(run_tail[0]);
        break;
    case FILE_SUMMARY_OFFENSE:
        for (int i = 0; i < NELEM(offense_keys); i++)
            ADD(offense_keys[i]);
        for (int i = 0; i < NSTATS; i++)
            ADD(summary_stats[i]);
        break;
    case FILE_SUMMARY_COURT:
        for (int i = 0; i < NELEM(court_keys); i++)
            ADD(court_keys[i]);
        for (int i = 0; i < NSTATS; i++)
            ADD(summary_stats[i]);
        for (int i = 0; i < NELEM(court_tail); i++)
            ADD(court_tail[i]);
        break;
    case FILE_BASIS:
        for (int i = 0; i < NELEM(basis_cols); i++)
            ADD(basis_cols[i]);
        break;
    case FILE_ERRORS:
        for (int i = 0; i < NELEM(error_cols); i++)
            ADD(error_cols[i]);
        break;
    case FILE_CODEBOOK:
        for (int i = 0; i < NELEM(codebook_cols); i++)
            ADD(codebook_cols[i]);
        break;
    case FILE_MANIFEST:
        for (int i = 0; i < NELEM(manifest_cols); i++)
            ADD(manifest_cols[i]);
        break;
    case FILE_REPORT:
    case FILE_DATAPACKAGE:
    case FILE__COUNT: break;
    }
    if (id != FILE_RECS && id != FILE_MANIFEST && id != FILE_REPORT && id != FILE_DATAPACKAGE &&
        id != FILE__COUNT)
        for (int i = 0; i < NELEM(run_tail); i++)
            ADD(run_tail[i]);
#undef ADD
    return n < max ? n : max;
}

/* ----------------------------------------------------------------------
 * The codebook (codebook.c): one row per file and column
 * ----------------------------------------------------------------------
 */

static int stat_index(const char *name);

/* Write codebook.csv: a row for every column of every CSV file of the run,
 * in file and column order, each ending with run (run_id and rule_set). A
 * column without an entry (a new contract column, say) is listed as
 * undocumented and reported. */
static enum status write_codebook(struct csvout *w, const char *const *run, struct err *err)
{
    struct codebook *cb = NULL;
    const char *cols[64];
    enum status st = codebook_open(&cb, err);
    int n;

    if (st != ST_OK)
        return st;
    n = file_columns(FILE_CODEBOOK, cols, NELEM(cols));
    for (int c = 0; c < n; c++)
        csvout_str(w, cols[c], err); /* errors stick: checked at the row's end */
    st = csvout_end_row(w, err);
    for (int f = 0; f < FILE__COUNT && st == ST_OK; f++) {
        n = file_columns((enum file_id)f, cols, NELEM(cols));
        for (int c = 0; c < n && st == ST_OK; c++) {
            struct col_doc d;
            bool found = codebook_find(cb, files[f].name, cols[c], &d);
            char meaning[1024];

            if (!found)
                log_warning("column %s of %s has no codebook entry", cols[c], files[f].name);
            /* The court table's statistics are the offense table's, suppressed. */
            snprintf(meaning, sizeof meaning, "%s%s", found ? d.meaning : "(not documented)",
                     found && !d.file[0] && f == FILE_SUMMARY_COURT && stat_index(cols[c]) >= 0
                         ? "; blank when suppressed (see suppressed_columns)"
                         : "");
            csvout_str(w, files[f].name, err);
            csvout_str(w, cols[c], err);
            csvout_str(w, found ? d.type : "", err);
            csvout_str(w, found ? d.unit : "", err);
            csvout_str(w, meaning, err);
            csvout_str(w, found ? d.source : "", err);
            csvout_str(w, found ? d.codes : "", err);
            for (int i = 0; i < NELEM(run_tail); i++)
                csvout_str(w, run[i], err);
            st = csvout_end_row(w, err);
        }
    }
    codebook_free(cb);
    return st;
}

/* ----------------------------------------------------------------------
 * Reading query results by column name
 * ----------------------------------------------------------------------
 */

/* Cell (row, column named name); NULL for SQL null or a missing column. */
static const char *cell(const struct result *t, int row, const char *name)
{
    return result_get(t, row, result_col(t, name));
}

/* The integer at (row, col); 0 for SQL null or a missing column. */
static long long num_at(const struct result *t, int row, int col)
{
    const char *s = result_get(t, row, col);

    return s ? strtoll(s, NULL, 10) : 0;
}

static long long cell_num(const struct result *t, int row, const char *name)
{
    return num_at(t, row, result_col(t, name));
}

/* Fail unless every named column is in the result (a query and its file
 * out of step: a programming error, caught by the tests). */
static enum status need_columns(const struct result *t, const char *query, const char *const *names,
                                int n, struct err *err)
{
    for (int i = 0; i < n; i++)
        if (result_col(t, names[i]) < 0)
            return err_set(err, ST_EDB, "query %s returned no column %s", query, names[i]);
    return ST_OK;
}

static enum status write_header(struct csvout *w, enum file_id id, struct err *err)
{
    const char *cols[64];
    int n = file_columns(id, cols, NELEM(cols));
    enum status st = ST_OK;

    for (int c = 0; c < n && st == ST_OK; c++)
        st = csvout_str(w, cols[c], err);
    return st == ST_OK ? csvout_end_row(w, err) : st;
}

/* ----------------------------------------------------------------------
 * Small-cell suppression of summary_court.csv (suppress.c), one offense's
 * court rows at a time
 * ----------------------------------------------------------------------
 */

/* The result column of each count and the published column of each
 * statistic. */
static const char *const count_cols[SUP__NCOUNTS] = {
    [SUP_DEFENDANTS] = "defendants",       [SUP_ERRORS] = "errors",
    [SUP_EVALUATED] = "evaluated",         [SUP_FIXED_TERM] = "kind_fixed_term",
    [SUP_DETENTION] = "kind_detention",    [SUP_SURVEILLANCE] = "kind_surveillance",
    [SUP_FINE_ONLY] = "kind_fine_only",    [SUP_EXEMPT] = "kind_exempt",
    [SUP_THRESHOLD_MET] = "threshold_met", [SUP_SUSPENDED] = "suspended",
    [SUP_BAN_ELIGIBLE] = "ban_eligible",   [SUP_INJUNCTION_ELIGIBLE] = "injunction_eligible",
};
static const char *const stat_cols[SUP__NSTATS] = {
    [SUP_STAT_DEFENDANTS] = "defendants",
    [SUP_STAT_EVALUATED] = "evaluated",
    [SUP_STAT_ERRORS] = "errors",
    [SUP_STAT_FIXED_TERM] = "kind_fixed_term",
    [SUP_STAT_DETENTION] = "kind_detention",
    [SUP_STAT_SURVEILLANCE] = "kind_surveillance",
    [SUP_STAT_FINE_ONLY] = "kind_fine_only",
    [SUP_STAT_EXEMPT] = "kind_exempt",
    [SUP_STAT_THRESHOLD_MET] = "threshold_met",
    [SUP_STAT_SUSPENDED] = "suspended",
    [SUP_STAT_BAN_ELIGIBLE] = "ban_eligible",
    [SUP_STAT_INJUNCTION_ELIGIBLE] = "injunction_eligible",
};

/* What the court table blanks of each row: blank[i] for summary_stats[i]. */
struct court_view {
    bool blank[NSTATS];
};

static int stat_index(const char *name)
{
    for (int i = 0; i < NSTATS; i++)
        if (strcmp(summary_stats[i], name) == 0)
            return i;
    return -1;
}

/* Run the suppression over the court rows of the summaries result; views
 * is indexed by result row. */
static enum status suppress_courts(const struct result *t, int min_cell, struct court_view *views,
                                   struct err *err)
{
    int col_part = result_col(t, "part"), col_offense = result_col(t, "offense");
    int col_months = result_col(t, "n_months"), col_fine = result_col(t, "n_fine");
    int stat_si[SUP__NSTATS], count_col[SUP__NCOUNTS];
    bool *done = calloc((size_t)result_rows(t) + 1, sizeof *done);
    struct sup_row *rows = calloc((size_t)result_rows(t) + 1, sizeof *rows);
    int *table_row = calloc((size_t)result_rows(t) + 1, sizeof *table_row);
    enum status st = ST_OK;

    if (!done || !rows || !table_row) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto out;
    }
    for (int s = 0; s < SUP__NSTATS; s++)
        stat_si[s] = stat_index(stat_cols[s]);
    for (int c = 0; c < SUP__NCOUNTS && st == ST_OK; c++)
        if ((count_col[c] = result_col(t, count_cols[c])) < 0)
            st = err_set(err, ST_EDB, "query summaries returned no column %s", count_cols[c]);
    for (int i = 0; i < result_rows(t) && st == ST_OK; i++) {
        const char *part = result_get(t, i, col_part);
        const char *offense = result_get(t, i, col_offense);
        bool protected_all;
        int n = 0;

        if (done[i] || !part || strcmp(part, "court") != 0 || !offense)
            continue;
        /* The rows of this offense, in court order. */
        for (int j = i; j < result_rows(t); j++) {
            const char *pj = result_get(t, j, col_part);
            const char *oj = result_get(t, j, col_offense);

            if (done[j] || !pj || strcmp(pj, "court") != 0 || !oj || strcmp(oj, offense) != 0)
                continue;
            done[j] = true;
            table_row[n] = j;
            for (int c = 0; c < SUP__NCOUNTS; c++)
                rows[n].count[c] = num_at(t, j, count_col[c]);
            n++;
        }
        if ((st = suppress_rows(rows, n, min_cell, &protected_all, err)) != ST_OK)
            break;
        if (!protected_all)
            log_warning("%s: court-level counts cannot all be protected at --min-cell %d: the "
                        "offense's total is itself small; every court row of it is blanked",
                        offense, min_cell);
        for (int r = 0; r < n; r++) {
            const struct sup_row *row = &rows[r];
            int tr = table_row[r];
            struct court_view *cv = &views[tr];

            for (int s = 0; s < SUP__NSTATS; s++)
                if (stat_si[s] >= 0 && row->blank[s])
                    cv->blank[stat_si[s]] = true;
            /* Quantiles are shown only beside every count they derive
             * from, and of K values or more: the terms come from the
             * defendants of the three kinds with a term, the fines from
             * every evaluated defendant's disposition. A quantile then
             * tells nothing about a blanked count. */
            bool terms_blank = row->blank[SUP_STAT_FIXED_TERM] || row->blank[SUP_STAT_DETENTION] ||
                               row->blank[SUP_STAT_SURVEILLANCE];
            bool fines_blank = terms_blank || row->blank[SUP_STAT_FINE_ONLY] ||
                               row->blank[SUP_STAT_EXEMPT] || row->blank[SUP_STAT_EVALUATED];

            for (int si = 0; si < NSTATS; si++) {
                bool months = strncmp(summary_stats[si], "months_", 7) == 0;
                bool fines = strncmp(summary_stats[si], "fine_", 5) == 0;

                if (row->whole ||
                    (months && (terms_blank || num_at(t, tr, col_months) < min_cell)) ||
                    (fines && (fines_blank || num_at(t, tr, col_fine) < min_cell)))
                    cv->blank[si] = true;
            }
        }
    }
out:
    free(done);
    free(rows);
    free(table_row);
    return st;
}

/* ----------------------------------------------------------------------
 * The table files
 * ----------------------------------------------------------------------
 */

/* Write the rows of t whose part is `part` (NULL: every row) with the
 * columns of file id, after its header when header is true. views (court
 * table only, indexed by row of t) says which cells to blank. run: the
 * values of the file's last columns, run_id and rule_set; titles (by row
 * of t, or NULL) the values of a column named title. */
static enum status write_rows(struct csvout *w, const struct result *t, const char *part,
                              enum file_id id, bool header, const struct court_view *views,
                              const char *const *run, const char *const *titles, struct err *err)
{
    const char *cols[64];
    int ncols = file_columns(id, cols, NELEM(cols));
    int idx[64], stat_col[NSTATS], stat_of[64];
    int col_part = result_col(t, "part");
    enum status st = header ? write_header(w, id, err) : ST_OK;

    if (st != ST_OK)
        return st;
    for (int c = 0; c < ncols; c++) {
        idx[c] = result_col(t, cols[c]);
        stat_of[c] = views ? stat_index(cols[c]) : -1;
    }
    for (int si = 0; si < NSTATS; si++)
        stat_col[si] = result_col(t, summary_stats[si]);
    for (int r = 0; r < result_rows(t) && st == ST_OK; r++) {
        const char *p = col_part >= 0 ? result_get(t, r, col_part) : NULL;
        char list[1024] = "";
        bool any = false, all = true;

        if (part && (!p || strcmp(p, part) != 0))
            continue;
        if (views) {
            size_t len = 0;

            /* List the suppressed statistics that had a value. */
            for (int si = 0; si < NSTATS; si++) {
                const char *v = result_get(t, r, stat_col[si]);
                if (views[r].blank[si] && v) {
                    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", any ? ";" : "",
                                            summary_stats[si]);
                    if (len >= sizeof list)
                        len = sizeof list - 1;
                    any = true;
                }
                if (!views[r].blank[si] && v)
                    all = false;
            }
        }
        for (int c = 0; c < ncols && st == ST_OK; c++) {
            const char *v = result_get(t, r, idx[c]);
            int si = stat_of[c];

            if (run && c >= ncols - NELEM(run_tail))
                v = run[c - (ncols - NELEM(run_tail))];
            else if (titles && strcmp(cols[c], "title") == 0)
                v = titles[r];
            else if (views && strcmp(cols[c], "suppressed") == 0)
                v = !any ? "none" : all ? "all" : "partial";
            else if (views && strcmp(cols[c], "suppressed_columns") == 0)
                v = list;
            else if (si >= 0 && views[r].blank[si])
                v = NULL;
            st = csvout_str(w, v, err);
        }
        if (st == ST_OK)
            st = csvout_end_row(w, err);
    }
    return st;
}

struct rec_sink {
    struct csvout *w;
    const char *run_id; /* the run folder's last column; NULL for the export */
    struct err *err;
    enum status st;
};

static bool write_rec(void *ud, const struct rec *r)
{
    struct rec_sink *s = ud;

    if (!s->run_id) {
        s->st = csvout_rec(s->w, r, s->err);
    } else if ((s->st = csvout_rec_fields(s->w, r, s->err)) == ST_OK &&
               (s->st = csvout_str(s->w, s->run_id, s->err)) == ST_OK) {
        s->st = csvout_end_row(s->w, s->err);
    }
    return s->st == ST_OK;
}

/* The current recommendations (run_id 0: the export) or those of run
 * run_id, whose folder's recommendations.csv ends with the run_id column
 * (run_id_text). */
static enum status write_recs(struct db *db, int64_t run_id, const char *run_id_text,
                              struct csvout *w, struct err *err)
{
    struct rec_sink sink = {w, run_id > 0 ? run_id_text : NULL, err, ST_OK};
    enum status st = run_id > 0 ? write_header(w, FILE_RECS, err) : csvout_rec_header(w, err);

    if (st != ST_OK)
        return st;
    st = db_each_rec(db, run_id, write_rec, &sink, err);
    return st != ST_OK ? st : sink.st;
}

/* errors.csv through a cursor, a few thousand rows at a time; run: run_id
 * and rule_set. */
static enum status write_errors(struct db *db, const char *const *run, struct csvout *w,
                                struct err *err)
{
    const char *params[1] = {run[0]};
    struct result *t = NULL;
    enum status st;

    if ((st = write_header(w, FILE_ERRORS, err)) != ST_OK)
        return st;
    if ((st = db_cursor_open(db, Q_ERRORS, 1, params, err)) != ST_OK)
        return st;
    for (;;) {
        if ((st = db_cursor_fetch(db, &t, err)) != ST_OK)
            return st;
        if (result_rows(t) == 0)
            break;
        if ((st = need_columns(t, "errors", error_cols, NELEM(error_cols), err)) == ST_OK)
            st = write_rows(w, t, NULL, FILE_ERRORS, false, NULL, run, NULL, err);
        result_free(t);
        t = NULL;
        if (st != ST_OK)
            return st;
    }
    result_free(t);
    return db_cursor_close(db, err);
}

/* ----------------------------------------------------------------------
 * The run's folder
 * ----------------------------------------------------------------------
 */

struct written {
    long rows; /* data rows; -1: not CSV */
    long long bytes;
};

/* Everything read from the database for the folder. */
struct run_data {
    struct result *info;      /* run_info */
    struct result *summaries; /* summaries */
    struct result *basis;     /* basis_frequency */
    struct result *terms;     /* report_terms */
    struct result *fines;     /* report_fines */
    struct result *actual;    /* report_actual */
    char **titles;            /* per row of basis: the test in words ("" when unknown) */
};

static void run_data_free(struct run_data *d)
{
    for (int i = 0; d->titles && d->basis && i < result_rows(d->basis); i++)
        free(d->titles[i]);
    free(d->titles);
    result_free(d->info);
    result_free(d->summaries);
    result_free(d->basis);
    result_free(d->terms);
    result_free(d->fines);
    result_free(d->actual);
}

/* Write one CSV file of the folder: fn fills it; its rows and size go to
 * *out. */
typedef enum status (*fill_fn)(void *ud, struct csvout *w, struct err *err);

static enum status write_csv(const struct out_dir *dir, enum file_id id, bool excel, fill_fn fn,
                             void *ud, struct written *out, struct err *err)
{
    struct outfile f;
    enum status st = outfile_open(&f, dir, files[id].name, true, excel, err);

    if (st != ST_OK)
        return st;
    st = fn(ud, f.w, err);
    out->rows = csvout_rows(f.w) - 1;
    if ((st = outfile_finish(&f, st, err)) != ST_OK)
        return st;
    out->bytes = outfile_size(&f);
    return ST_OK;
}

struct run_ctx {
    struct db *db;
    const char *run_id;
    int64_t run;
    struct run_data *data;
    struct court_view *views;
    struct written written[FILE__COUNT];
    bool excel;
    int min_cell;
    const char *state;
    const char *run_vals[2]; /* run_id and rule_set: every file's last columns */
};

static enum status fill_recs(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_recs(c->db, c->run, c->run_id, w, err);
}

static enum status fill_offense(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_rows(w, c->data->summaries, "offense", FILE_SUMMARY_OFFENSE, true, NULL,
                      c->run_vals, NULL, err);
}

static enum status fill_court(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    /* c->views is output_write_run's to free; the analyzer loses it on
     * the way through write_csv's function pointer. */
    return write_rows(w, c->data->summaries, "court", FILE_SUMMARY_COURT, true, // NOLINT
                      c->views, c->run_vals, NULL, err);
}

static enum status fill_basis(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_rows(w, c->data->basis, NULL, FILE_BASIS, true, NULL, c->run_vals,
                      (const char *const *)c->data->titles, err);
}

static enum status fill_errors(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_errors(c->db, c->run_vals, w, err);
}

static enum status fill_codebook(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_codebook(w, c->run_vals, err);
}

static enum status fill_manifest(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    const struct result *info = c->data->info;
    const struct result *sm = c->data->summaries;
    const char *current = "0";
    char min_cell[16];
    enum status st = write_header(w, FILE_MANIFEST, err);

    snprintf(min_cell, sizeof min_cell, "%d", c->min_cell);
    /* The grand total is the summaries' row of level total. */
    for (int r = 0; r < result_rows(sm); r++) {
        const char *level = cell(sm, r, "level");
        if (level && strcmp(level, "total") == 0)
            current = cell(sm, r, "defendants");
    }
    for (int f = 0; f < FILE__COUNT && st == ST_OK; f++) {
        const char *run_cols[] = {"run_id", "rule_set"};
        char rows[32] = "", bytes[32] = "";

        if (f == FILE_MANIFEST)
            continue;
        if (c->written[f].rows >= 0)
            snprintf(rows, sizeof rows, "%ld", c->written[f].rows);
        if (c->written[f].bytes >= 0)
            snprintf(bytes, sizeof bytes, "%lld", c->written[f].bytes);
        /* The writer's errors stick: one check at the row's end. */
        for (int i = 0; i < 2; i++)
            csvout_str(w, cell(info, 0, run_cols[i]), err);
        csvout_str(w, c->state, err);
        csvout_str(w, cell(info, 0, "started_at"), err);
        csvout_str(w, cell(info, 0, "ended_at"), err);
        csvout_str(w, cell(info, 0, "evaluated"), err);
        csvout_str(w, cell(info, 0, "errors"), err);
        csvout_str(w, current, err);
        csvout_str(w, min_cell, err);
        csvout_str(w, c->excel ? "true" : "false", err);
        csvout_str(w, files[f].name, err);
        csvout_str(w, scope_names[files[f].scope], err);
        csvout_str(w, rows, err);
        csvout_str(w, bytes, err);
        st = csvout_end_row(w, err);
    }
    return st;
}

static enum status write_report(struct run_ctx *c, const struct out_dir *dir, struct err *err)
{
    const struct result *info = c->data->info;
    struct report_input in = {
        .run_id = c->run_id,
        .rule_set = cell(info, 0, "rule_set"),
        .state = c->state,
        .started_at = cell(info, 0, "started_at"),
        .ended_at = cell(info, 0, "ended_at"),
        .evaluated = (long)cell_num(info, 0, "evaluated"),
        .errors = (long)cell_num(info, 0, "errors"),
        .summaries = c->data->summaries,
        .basis = c->data->basis,
        .basis_title = (const char *const *)c->data->titles,
        .terms = c->data->terms,
        .fines = c->data->fines,
        .actual = c->data->actual,
    };
    struct outfile f;
    enum status st = outfile_open(&f, dir, files[FILE_REPORT].name, false, false, err);

    if (st != ST_OK)
        return st;
    st = report_html_write(f.fp, f.path, &in, err);
    if ((st = outfile_finish(&f, st, err)) != ST_OK)
        return st;
    c->written[FILE_REPORT].rows = -1;
    c->written[FILE_REPORT].bytes = outfile_size(&f);
    return ST_OK;
}

/* datapackage.json, after every CSV file but the manifest. */
static enum status write_datapackage(struct run_ctx *c, const struct out_dir *dir, struct err *err)
{
    struct dp_file dp[sizeof described / sizeof described[0]];
    const char *cols[NELEM(described)][64];
    struct dp_package pkg = {
        .run_id = c->run_vals[0],
        .rule_set = c->run_vals[1],
        .created = cell(c->data->info, 0, "ended_at"),
        .bom = c->excel,
        .dirfd = dir->fd,
        .files = dp,
        .nfiles = NELEM(described),
    };
    struct outfile f;
    enum status st;

    for (int i = 0; i < NELEM(described); i++) {
        struct dp_file *one = &dp[i];

        one->name = files[described[i].id].name;
        one->title = described[i].title;
        one->cols = cols[i];
        one->ncols = file_columns(described[i].id, cols[i], 64);
        one->key = described[i].key;
        one->nkey = described[i].nkey;
        one->on_disk = described[i].id != FILE_MANIFEST;
    }
    if (!pkg.created)
        pkg.created = "";
    if ((st = outfile_open(&f, dir, files[FILE_DATAPACKAGE].name, false, false, err)) != ST_OK)
        return st;
    st = datapackage_write(f.fp, &pkg, err);
    if ((st = outfile_finish(&f, st, err)) != ST_OK)
        return st;
    c->written[FILE_DATAPACKAGE].rows = -1;
    c->written[FILE_DATAPACKAGE].bytes = outfile_size(&f);
    return ST_OK;
}

/* The threshold tests of basis_frequency in words, from the run's rule
 * set (stored in the database: title(cite) of lua-rules/law.lua). A rule
 * set that cannot be loaded leaves them empty, with a warning: the ids
 * still say which test. */
static enum status basis_titles(struct db *db, const char *rule_set, struct run_data *d,
                                struct err *err)
{
    int n = result_rows(d->basis);
    struct rules *rules = NULL;
    struct rules_limits lim;
    struct db_files f;
    struct err e2 = {0};

    if (!(d->titles = calloc((size_t)n + 1, sizeof *d->titles)))
        return err_set(err, ST_ENOMEM, "out of memory");
    rules_limits_default(&lim);
    if (rule_set && db_rule_set_files(db, rule_set, &f, &e2) == ST_OK) {
        if (rules_load_stored(&rules, rule_set, f.n, (const char *const *)f.names,
                              (const char *const *)f.data, f.lens, &lim, &e2) != ST_OK)
            rules = NULL;
        db_files_fini(&f);
    }
    if (!rules && n > 0)
        log_warning("the threshold tests are shown by id only: rule set %s could not be read "
                    "(%s)",
                    rule_set ? rule_set : "?", e2.msg[0] ? e2.msg : "not stored");
    for (int r = 0; r < n; r++) {
        char title[512] = "";
        const char *cite = result_get(d->basis, r, result_col(d->basis, "citation"));

        if (rules && cite && !rules_title(rules, cite, title, sizeof title))
            title[0] = '\0';
        if (!(d->titles[r] = strdup(title))) {
            rules_free(rules);
            return err_set(err, ST_ENOMEM, "out of memory");
        }
    }
    rules_free(rules);
    return ST_OK;
}

/* Read the small results and write everything that needs the snapshot. */
static enum status write_from_snapshot(struct run_ctx *c, const struct out_dir *dir,
                                       struct err *err)
{
    char codes[256] = "{";
    const char *offenses[1] = {codes};
    const char *params[1] = {c->run_id};
    struct run_data *d = c->data;
    enum status st;

    /* The offense codes in case.h's order, as a text[] parameter: the
     * summaries' row order. */
    for (int i = 0; i < OFFENSE__COUNT; i++)
        snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s%s", i ? "," : "",
                 offense_values[i]);
    snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "}");
    if ((st = db_query(c->db, Q_RUN_INFO, 1, params, &d->info, err)) != ST_OK)
        return st;
    if (result_rows(d->info) != 1)
        return err_set(err, ST_EDB, "run %s is not in sentencer.run", c->run_id);
    c->run_vals[0] = c->run_id;
    c->run_vals[1] = cell(d->info, 0, "rule_set");
    if ((st = write_csv(dir, FILE_RECS, c->excel, fill_recs, c, &c->written[FILE_RECS], err)) !=
        ST_OK)
        return st;
    if ((st = db_query(c->db, Q_SUMMARIES, 1, offenses, &d->summaries, err)) != ST_OK ||
        (st = need_columns(d->summaries, "summaries", summary_stats, NSTATS, err)) != ST_OK)
        return st;
    if (!(c->views = calloc((size_t)result_rows(d->summaries) + 1, sizeof *c->views)))
        return err_set(err, ST_ENOMEM, "out of memory");
    if ((st = suppress_courts(d->summaries, c->min_cell, c->views, err)) != ST_OK)
        return st;
    if ((st = write_csv(dir, FILE_SUMMARY_OFFENSE, c->excel, fill_offense, c,
                        &c->written[FILE_SUMMARY_OFFENSE], err)) != ST_OK ||
        (st = write_csv(dir, FILE_SUMMARY_COURT, c->excel, fill_court, c,
                        &c->written[FILE_SUMMARY_COURT], err)) != ST_OK)
        return st;
    if ((st = db_query(c->db, Q_BASIS_FREQUENCY, 1, offenses, &d->basis, err)) != ST_OK ||
        (st = basis_titles(c->db, cell(d->info, 0, "rule_set"), d, err)) != ST_OK)
        return st;
    if ((st = write_csv(dir, FILE_BASIS, c->excel, fill_basis, c, &c->written[FILE_BASIS], err)) !=
        ST_OK)
        return st;
    if ((st = write_csv(dir, FILE_ERRORS, c->excel, fill_errors, c, &c->written[FILE_ERRORS],
                        err)) != ST_OK)
        return st;
    if ((st = db_query(c->db, Q_REPORT_TERMS, 1, offenses, &d->terms, err)) != ST_OK ||
        (st = db_query(c->db, Q_REPORT_FINES, 1, offenses, &d->fines, err)) != ST_OK ||
        (st = db_query(c->db, Q_REPORT_ACTUAL, 0, NULL, &d->actual, err)) != ST_OK)
        return st;
    return write_report(c, dir, err);
}

enum status output_write_run(struct db *db, int64_t run_id, const struct out_dir *dir, bool excel,
                             int min_cell, const char *state, struct run_totals *totals,
                             struct err *err)
{
    char id[24];
    struct run_data data = {0};
    struct run_ctx c = {
        .db = db,
        .run_id = id,
        .run = run_id,
        .data = &data,
        .excel = excel,
        .min_cell = min_cell,
        .state = state,
    };
    enum status st;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    /* One snapshot for every file, so that they agree with each other. */
    if ((st = db_snapshot_begin(db, err)) != ST_OK)
        return st;
    st = write_from_snapshot(&c, dir, err);
    if (st == ST_OK && (st = db_snapshot_end(db, err)) == ST_OK) {
        st =
            write_csv(dir, FILE_CODEBOOK, excel, fill_codebook, &c, &c.written[FILE_CODEBOOK], err);
        if (st == ST_OK)
            st = write_datapackage(&c, dir, err);
        if (st == ST_OK)
            st = write_csv(dir, FILE_MANIFEST, excel, fill_manifest, &c, &c.written[FILE_MANIFEST],
                           err);
    } else {
        db_rollback(db);
    }
    if (st == ST_OK) {
        totals->evaluated = (long)cell_num(data.info, 0, "evaluated");
        totals->errors = (long)cell_num(data.info, 0, "errors");
        totals->failures = (long)cell_num(data.info, 0, "failures");
        totals->covers = cell_num(data.info, 0, "covers");
    }
    free(c.views);
    run_data_free(&data);
    return st;
}

enum status output_export(struct db *db, const char *path, bool excel, struct err *err)
{
    struct outfile f;
    enum status st;

    if (!path || strcmp(path, "-") == 0) {
        struct csvout *w;
        if ((st = csvout_open(&w, stdout, "<stdout>", excel, err)) != ST_OK)
            return st;
        st = write_recs(db, 0, NULL, w, err);
        enum status cst = csvout_close(w, err);
        if (fflush(stdout) != 0 && st == ST_OK)
            st = err_set(err, ST_EIO, "could not write to standard output");
        return st != ST_OK ? st : cst;
    }
    if ((st = outfile_open(&f, NULL, path, true, excel, err)) != ST_OK)
        return st;
    return outfile_finish(&f, write_recs(db, 0, NULL, f.w, err), err);
}
