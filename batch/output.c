/*-------------------------------------------------------------------------
 * output.c
 *     The files of a run and the export (see output.h): CSV files from the
 *     output queries, small-cell suppression of the court table,
 *     report.html, the codebook and the manifest.
 *
 * The statistics are PostgreSQL's (queries.c); this file picks columns,
 * blanks suppressed cells and lays the files out. Large results are
 * streamed (recommendations by COPY, errors through a cursor); the summary
 * tables are small whatever the number of cases (offenses x years, courts
 * x offenses), so they are read whole.
 *
 * batch/output.c
 *-------------------------------------------------------------------------
 */
#include "output.h"

#include "csvout.h"
#include "log.h"
#include "report_html.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ----------------------------------------------------------------------
 * Files written under a temporary name, renamed when complete
 * ----------------------------------------------------------------------
 */

/* A file being written: fp on tmp (created new, never through a link), in
 * the folder dirfd, renamed to name by file_close. w is NULL for a file
 * that is not CSV (report.html). path is name as the user sees it. */
struct outfile {
    FILE *fp;
    struct csvout *w;
    int dirfd;
    char name[4096];
    char tmp[4200];
    char path[8300];
};

static enum status file_open(struct outfile *f, const struct out_dir *dir, const char *name,
                             bool csv, bool excel, struct err *err)
{
    int fd;

    memset(f, 0, sizeof *f);
    f->dirfd = dir ? dir->fd : AT_FDCWD;
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%ld", name, (long)getpid());
    if (dir)
        snprintf(f->path, sizeof f->path, "%s/%s", dir->path, name);
    else
        snprintf(f->path, sizeof f->path, "%s", name);
    /* O_EXCL and O_NOFOLLOW: a file or link planted under the temporary
     * name is refused, never written through. */
    fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || !(f->fp = fdopen(fd, "w"))) {
        err_set(err, ST_EIO, "could not create \"%s.tmp.%ld\": %s", f->path, (long)getpid(),
                strerror(errno));
        err_hint(err, errno == EEXIST ? "Something else created that file; remove it."
                                      : "Check that the output folder is writable (--out).");
        if (fd >= 0)
            close(fd);
        return ST_EIO;
    }
    return csv ? csvout_open(&f->w, f->fp, f->path, excel, err) : ST_OK;
}

/* Close the file; rename it into place when ok, else remove it. When ok
 * is false the caller's error stands and this returns ST_OK. */
static enum status file_close(struct outfile *f, bool ok, struct err *err)
{
    enum status st = csvout_close(f->w, ok ? err : NULL);

    f->w = NULL;
    if (f->fp && ok && st == ST_OK && (fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0))
        st = err_set(err, ST_EIO, "could not write \"%s\": %s", f->path, strerror(errno));
    if (f->fp && fclose(f->fp) != 0 && st == ST_OK && ok)
        st = err_set(err, ST_EIO, "could not write \"%s\": %s", f->path, strerror(errno));
    f->fp = NULL;
    if (ok && st == ST_OK && renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0)
        st = err_set(err, ST_EIO, "could not rename \"%s\" into place: %s", f->path,
                     strerror(errno));
    if (!ok || st != ST_OK)
        unlinkat(f->dirfd, f->tmp, 0);
    return ok ? st : ST_OK;
}

/* Finish a file whose writing returned st: keep it when st is ST_OK. */
static enum status file_finish(struct outfile *f, enum status st, struct err *err)
{
    if (st == ST_OK)
        return file_close(f, true, err);
    file_close(f, false, err);
    return st;
}

/* Size of the file name in the folder of f, or -1. */
static long long file_size(const struct outfile *f)
{
    struct stat sb;

    return fstatat(f->dirfd, f->name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? (long long)sb.st_size : -1;
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

enum status output_claim_dir(const char *base, int64_t run_id, bool fresh, struct out_dir *d,
                             struct err *err)
{
    char probe[64], block[4096];
    enum status st;
    int fd;

    d->fd = -1;
    if ((st = make_dirs(base, err)) != ST_OK)
        return st;
    snprintf(d->path, sizeof d->path, "%s/%" PRId64, base, run_id);
    /* mkdir creates it or fails: a folder, file or link already there is
     * not the run's (a run id is used once). */
    if (mkdir(d->path, 0777) != 0 && (fresh || errno != EEXIST)) {
        err_set(err, ST_EIO, "could not create the run's folder \"%s\": %s", d->path,
                strerror(errno));
        err_hint(err, errno == EEXIST ? "Something else is there already (run folders are never "
                                        "reused); move it away, or choose another --out."
                                      : "Choose a writable output folder with --out.");
        return ST_EIO;
    }
    if ((d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        err_set(err, ST_EIO, "could not open the run's folder \"%s\": %s", d->path,
                strerror(errno));
        err_hint(err, "It must be a folder, not a link to one.");
        return ST_EIO;
    }
    /* A block written and synced: a read-only or full disk shows now,
     * before the run has claimed any work. */
    memset(block, '\n', sizeof block);
    snprintf(probe, sizeof probe, ".probe.%ld", (long)getpid());
    fd = openat(d->fd, probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, block, sizeof block) != (ssize_t)sizeof block || fsync(fd) != 0) {
        err_set(err, ST_EIO, "could not write in the run's folder \"%s\": %s", d->path,
                strerror(errno));
        err_hint(err, "Free some space or choose another --out; nothing was evaluated.");
        if (fd >= 0)
            close(fd);
        unlinkat(d->fd, probe, 0);
        output_dir_close(d);
        return ST_EIO;
    }
    close(fd);
    unlinkat(d->fd, probe, 0);
    return ST_OK;
}

void output_dir_close(struct out_dir *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

/* ----------------------------------------------------------------------
 * The files of a run and their columns
 * ----------------------------------------------------------------------
 */

/* The statistics of both summary tables, in file order after their keys. */
static const char *const summary_stats[] = {
    "defendants",     "share_threshold_met", "kind_fixed_term",
    "kind_detention", "kind_surveillance",   "kind_fine_only",
    "kind_exempt",    "share_suspended",     "months_p10",
    "months_p25",     "months_p50",          "months_p75",
    "months_p90",     "fine_yuan_p25",       "fine_yuan_p50",
    "fine_yuan_p75",  "share_ban_eligible",  "share_injunction_eligible",
    "errors",
};
#define NSTATS ((int)(sizeof summary_stats / sizeof summary_stats[0]))

static const char *const offense_keys[] = {"offense", "conviction_year"};
static const char *const court_keys[] = {"court_code", "offense"};
static const char *const court_tail[] = {"suppressed", "suppressed_columns"};
static const char *const basis_cols[] = {"offense", "citation", "defendants", "defendants_met",
                                         "share_met"};
static const char *const error_cols[] = {"case_no", "defendant_no", "offense", "error"};
static const char *const codebook_cols[] = {"file", "column", "type", "unit", "meaning", "source"};
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
    [FILE_MANIFEST] = {"manifest.csv", SCOPE_DOC},
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
        break;
    case FILE_SUMMARY_OFFENSE:
    case FILE_SUMMARY_COURT: {
        const char *const *keys = id == FILE_SUMMARY_OFFENSE ? offense_keys : court_keys;
        for (int i = 0; i < 2; i++)
            ADD(keys[i]);
        for (int i = 0; i < NSTATS; i++)
            ADD(summary_stats[i]);
        if (id == FILE_SUMMARY_COURT)
            for (int i = 0; i < NELEM(court_tail); i++)
                ADD(court_tail[i]);
        break;
    }
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
    case FILE__COUNT: break;
    }
#undef ADD
    return n < max ? n : max;
}

/* ----------------------------------------------------------------------
 * The codebook: one entry per file and column
 * ----------------------------------------------------------------------
 */

struct col_doc {
    const char *file; /* NULL: both summary tables */
    const char *column;
    const char *type; /* text, integer, decimal, boolean, enum, list, timestamp */
    const char *unit; /* "" when none */
    const char *meaning;
    const char *source;
};

#define REC_SRC "rules (lua-rules), stored in sentencer.recommendation"
#define AGG "PostgreSQL over the current recommendations (sentencer.recommendation.is_current): "
#define OFFENSE_CODES                                                                              \
    "refuse_netsec_duty (Criminal Law Art. 286-1), illegal_use_network (Art. 287-1), "             \
    "help_network_crime (Art. 287-2)"

static const struct col_doc col_docs[] = {
    /* recommendations.csv: the contract, case-interchange.md section 2 */
    {"recommendations.csv", "case_no", "text", "", "court case number (key)", "cases.csv"},
    {"recommendations.csv", "defendant_no", "text", "", "defendant's number within the case (key)",
     "cases.csv"},
    {"recommendations.csv", "offense", "enum", "", "charged offense (key): " OFFENSE_CODES,
     "cases.csv"},
    {"recommendations.csv", "status", "enum", "",
     "ok, or error when the case could not be evaluated (then only error is filled)", REC_SRC},
    {"recommendations.csv", "error", "text", "",
     "why the case could not be evaluated; empty when status is ok", REC_SRC},
    {"recommendations.csv", "threshold_met", "boolean", "",
     "the facts reach the offense's threshold (serious circumstances, or the Art. 286-1 "
     "conditions)",
     REC_SRC},
    {"recommendations.csv", "threshold_basis", "list", "citation ids",
     "the threshold tests met, ';'-separated (e.g. I2019:10.2;I2019:10.5); empty when "
     "threshold_met is false",
     REC_SRC},
    {"recommendations.csv", "statutory_kinds", "list", "",
     "principal penalties the article allows the defendant: fixed_term, detention, surveillance "
     "(empty for a unit, which can only be fined)",
     REC_SRC},
    {"recommendations.csv", "statutory_max_months", "integer", "months",
     "upper limit of fixed-term imprisonment", REC_SRC},
    {"recommendations.csv", "fine_rule", "enum", "",
     "with_or_alone: a fine imposed together with, or instead of, the principal penalty", REC_SRC},
    {"recommendations.csv", "fine_min_yuan", "decimal", "yuan",
     "legal minimum fine for this defendant: 1000, or 500 for a person under 18 at the act; "
     "empty for a unit",
     REC_SRC " (fine_min_fen / 100)"},
    {"recommendations.csv", "recommended_kind", "enum", "",
     "recommended principal penalty: fixed_term, detention, surveillance, fine_only, exempt",
     REC_SRC},
    {"recommendations.csv", "recommended_months", "integer", "months",
     "recommended term; empty for fine_only and exempt", REC_SRC},
    {"recommendations.csv", "range_low_months", "integer", "months",
     "lower end of the recommended band around the term", REC_SRC},
    {"recommendations.csv", "range_high_months", "integer", "months",
     "upper end of the recommended band around the term", REC_SRC},
    {"recommendations.csv", "suspension_allowed", "boolean", "",
     "the law allows a suspended sentence (not a recidivist nor a ringleader)", REC_SRC},
    {"recommendations.csv", "recommended_suspended", "boolean", "",
     "a suspended sentence is recommended", REC_SRC},
    {"recommendations.csv", "probation_min_months", "integer", "months",
     "shortest lawful probation for the recommended term, when suspended", REC_SRC},
    {"recommendations.csv", "probation_max_months", "integer", "months",
     "longest lawful probation for the recommended term, when suspended", REC_SRC},
    {"recommendations.csv", "recommended_fine_yuan", "decimal", "yuan", "recommended fine",
     REC_SRC " (recommended_fine_fen / 100)"},
    {"recommendations.csv", "ban_eligible", "boolean", "",
     "an occupational ban may be declared (Criminal Law Art. 37-1, I2019:17)", REC_SRC},
    {"recommendations.csv", "ban_min_years", "integer", "years",
     "shortest lawful occupational ban (3) when eligible; empty otherwise", REC_SRC},
    {"recommendations.csv", "ban_max_years", "integer", "years",
     "longest lawful occupational ban (5) when eligible; empty otherwise", REC_SRC},
    {"recommendations.csv", "ban_recommended_years", "integer", "years",
     "recommended ban length when eligible", REC_SRC},
    {"recommendations.csv", "injunction_eligible", "boolean", "",
     "an injunction may be declared: the recommended disposition is surveillance or a "
     "suspended sentence (Arts. 38, 72, I2019:17)",
     REC_SRC},
    {"recommendations.csv", "review_flags", "list", "",
     "points a judge or researcher should check, e.g. below_threshold, heavier_offense_check, "
     "leniency_candidate, pre_interpretation_conduct, assumed_facts",
     REC_SRC},
    {"recommendations.csv", "citations", "list", "citation ids",
     "every provision the recommendation rests on", REC_SRC},
    {"recommendations.csv", "rule_set", "text", "",
     "identifier (content hash) of the rule set that produced the recommendation", REC_SRC},

    /* summary_offense.csv keys */
    {"summary_offense.csv", "offense", "enum", "",
     "offense: " OFFENSE_CODES "; all = every offense together (a defendant charged with two "
     "offenses counts in each)",
     "sentencer.charge.offense; all = GROUP BY ROLLUP total"},
    {"summary_offense.csv", "conviction_year", "text", "year",
     "year of the conviction_date of the charge's first act (lowest act_no); unknown = no "
     "conviction date recorded; all = every year together (the offense's total)",
     "sentencer.act.conviction_date; all = GROUP BY ROLLUP total"},
    /* summary_court.csv keys and suppression */
    {"summary_court.csv", "court_code", "text", "",
     "code of the trial court: court_code of the charge's first act (lowest act_no); one row "
     "per court and offense tried there, no totals (they are in summary_offense.csv)",
     "sentencer.act.court_code"},
    {"summary_court.csv", "offense", "enum", "", "offense: " OFFENSE_CODES,
     "sentencer.charge.offense"},
    {"summary_court.csv", "suppressed", "enum", "",
     "small-cell suppression of the row: none; partial = some statistics blanked; all = every "
     "statistic blanked (fewer than min_cell defendants, or blanked so that another row's "
     "small counts cannot be worked out from the totals)",
     "sentencer run --min-cell K (manifest.csv min_cell)"},
    {"summary_court.csv", "suppressed_columns", "list", "",
     "the columns of the row blanked by suppression, ';'-separated; a blank cell not listed "
     "here is a value that does not exist (e.g. no term to take a quantile of)",
     "sentencer run --min-cell K"},

    /* both summary tables */
    {NULL, "defendants", "integer", "defendants",
     "defendants (one per defendant and offense) in the group, over all current "
     "recommendations: the database after this run, not only the cases this run evaluated",
     AGG "count(*)"},
    {NULL, "share_threshold_met", "decimal", "share (0 to 1)",
     "share of the group's evaluated defendants (status ok) whose facts reach the threshold; "
     "empty when none was evaluated",
     AGG "count(threshold_met) / count(status = ok), 4 decimals"},
    {NULL, "kind_fixed_term", "integer", "defendants",
     "defendants recommended fixed-term imprisonment", AGG "count(recommended_kind = fixed_term)"},
    {NULL, "kind_detention", "integer", "defendants", "defendants recommended criminal detention",
     AGG "count(recommended_kind = detention)"},
    {NULL, "kind_surveillance", "integer", "defendants",
     "defendants recommended public surveillance", AGG "count(recommended_kind = surveillance)"},
    {NULL, "kind_fine_only", "integer", "defendants",
     "defendants recommended a fine alone (units always)",
     AGG "count(recommended_kind = fine_only)"},
    {NULL, "kind_exempt", "integer", "defendants",
     "defendants recommended exemption from punishment", AGG "count(recommended_kind = exempt)"},
    {NULL, "share_suspended", "decimal", "share (0 to 1)",
     "share of the group's evaluated defendants recommended a suspended sentence",
     AGG "count(recommended_suspended) / count(status = ok), 4 decimals"},
    {NULL, "months_p10", "decimal", "months",
     "10th percentile of the recommended terms of the group's defendants who have one "
     "(fixed_term, detention and surveillance pooled); empty when none",
     AGG "percentile_cont(0.10) WITHIN GROUP (ORDER BY recommended_months), 1 decimal"},
    {NULL, "months_p25", "decimal", "months", "25th percentile of the recommended terms",
     AGG "percentile_cont(0.25) WITHIN GROUP (ORDER BY recommended_months), 1 decimal"},
    {NULL, "months_p50", "decimal", "months", "median recommended term",
     AGG "percentile_cont(0.50) WITHIN GROUP (ORDER BY recommended_months), 1 decimal"},
    {NULL, "months_p75", "decimal", "months", "75th percentile of the recommended terms",
     AGG "percentile_cont(0.75) WITHIN GROUP (ORDER BY recommended_months), 1 decimal"},
    {NULL, "months_p90", "decimal", "months", "90th percentile of the recommended terms",
     AGG "percentile_cont(0.90) WITHIN GROUP (ORDER BY recommended_months), 1 decimal"},
    {NULL, "fine_yuan_p25", "decimal", "yuan",
     "25th percentile of the recommended fines of the group's defendants who have one; empty "
     "when none",
     AGG "percentile_cont(0.25) WITHIN GROUP (ORDER BY recommended_fine_fen) / 100"},
    {NULL, "fine_yuan_p50", "decimal", "yuan", "median recommended fine",
     AGG "percentile_cont(0.50) WITHIN GROUP (ORDER BY recommended_fine_fen) / 100"},
    {NULL, "fine_yuan_p75", "decimal", "yuan", "75th percentile of the recommended fines",
     AGG "percentile_cont(0.75) WITHIN GROUP (ORDER BY recommended_fine_fen) / 100"},
    {NULL, "share_ban_eligible", "decimal", "share (0 to 1)",
     "share of the group's evaluated defendants eligible for an occupational ban",
     AGG "count(ban_eligible) / count(status = ok), 4 decimals"},
    {NULL, "share_injunction_eligible", "decimal", "share (0 to 1)",
     "share of the group's evaluated defendants eligible for an injunction",
     AGG "count(injunction_eligible) / count(status = ok), 4 decimals"},
    {NULL, "errors", "integer", "defendants",
     "defendants whose case could not be evaluated (status error): counted in defendants, not "
     "in the shares or quantiles",
     AGG "count(status = error)"},

    /* basis_frequency.csv */
    {"basis_frequency.csv", "offense", "enum", "", "offense: " OFFENSE_CODES,
     "sentencer.charge.offense"},
    {"basis_frequency.csv", "citation", "text", "citation id",
     "a threshold test (see legal-rules.md), e.g. I2019:12.2; tests met by no defendant have "
     "no row; rows in byte order of the id",
     "threshold_basis of the current recommendations"},
    {"basis_frequency.csv", "defendants", "integer", "defendants",
     "evaluated defendants (status ok) charged with the offense, over all current "
     "recommendations",
     AGG "count(status = ok)"},
    {"basis_frequency.csv", "defendants_met", "integer", "defendants",
     "of them, those whose threshold_basis lists this test (a defendant meeting several tests "
     "counts for each)",
     AGG "count per element of string_to_array(threshold_basis, ';')"},
    {"basis_frequency.csv", "share_met", "decimal", "share (0 to 1)", "defendants_met / defendants",
     AGG "4 decimals"},

    /* errors.csv */
    {"errors.csv", "case_no", "text", "", "court case number (key)", "cases.csv"},
    {"errors.csv", "defendant_no", "text", "", "defendant's number within the case (key)",
     "cases.csv"},
    {"errors.csv", "offense", "enum", "", "charged offense (key): " OFFENSE_CODES, "cases.csv"},
    {"errors.csv", "error", "text", "",
     "why this run could not evaluate the case (the failing rule file and line, or the check "
     "that failed)",
     "sentencer.run_error.message"},

    /* codebook.csv */
    {"codebook.csv", "file", "text", "", "the file of the run folder the row documents",
     "sentencer"},
    {"codebook.csv", "column", "text", "", "the column documented", "sentencer"},
    {"codebook.csv", "type", "enum", "",
     "text, integer, decimal, boolean (true/false), enum (one of the listed codes), list "
     "(';'-separated), timestamp (UTC, ISO 8601)",
     "sentencer"},
    {"codebook.csv", "unit", "text", "",
     "defendants, months, years, yuan, share (0 to 1), citation ids, rows or bytes; empty when "
     "the column has no unit",
     "sentencer"},
    {"codebook.csv", "meaning", "text", "", "what a value says, and what an empty cell means",
     "sentencer"},
    {"codebook.csv", "source", "text", "",
     "where the value comes from: the cases (cases.csv), the rules (sentencer.recommendation) "
     "or the PostgreSQL aggregate that computes it",
     "sentencer"},

    /* manifest.csv */
    {"manifest.csv", "run_id", "integer", "", "the run (see sentencer status)", "sentencer.run.id"},
    {"manifest.csv", "rule_set", "text", "", "identifier (content hash) of the rule set of the run",
     "sentencer.run.rule_set"},
    {"manifest.csv", "state", "enum", "",
     "done = every pending charge was evaluated; interrupted = stopped by a signal after "
     "committing the work in hand (recommendations.csv and errors.csv then hold what was done)",
     "sentencer run"},
    {"manifest.csv", "started_at", "timestamp", "", "start of the run (UTC)",
     "sentencer.run.started_at"},
    {"manifest.csv", "ended_at", "timestamp", "",
     "end of the evaluation: the moment of the database snapshot that every file of the folder "
     "describes (UTC)",
     "PostgreSQL now() of the output transaction"},
    {"manifest.csv", "evaluated", "integer", "defendants",
     "charges (defendant and offense) this run evaluated", "sentencer.run.evaluated"},
    {"manifest.csv", "errors", "integer", "defendants",
     "of them, those that could not be evaluated (errors.csv)", "sentencer.run.errors"},
    {"manifest.csv", "current_recommendations", "integer", "defendants",
     "current recommendations after the run: the population of the summaries and the report",
     AGG "count(*)"},
    {"manifest.csv", "min_cell", "integer", "defendants",
     "K of the small-cell suppression: counts from 1 to K-1 in summary_court.csv are blanked",
     "sentencer run --min-cell (default 5)"},
    {"manifest.csv", "excel_bom", "boolean", "",
     "the CSV files begin with a UTF-8 byte-order mark (sentencer run --excel)",
     "sentencer run --excel"},
    {"manifest.csv", "file", "text", "", "a file of the folder (manifest.csv does not list itself)",
     "sentencer"},
    {"manifest.csv", "scope", "enum", "",
     "run = this run's cases; current = all current recommendations after the run; "
     "documentation = describes the other files",
     "sentencer"},
    {"manifest.csv", "rows", "integer", "rows",
     "data rows, the header excluded; empty for report.html", "sentencer"},
    {"manifest.csv", "bytes", "integer", "bytes", "size of the file", "sentencer"},
};

static const struct col_doc *col_doc_find(const char *file, const char *column)
{
    const struct col_doc *shared = NULL;
    bool summary = strncmp(file, "summary_", 8) == 0;

    for (size_t i = 0; i < sizeof col_docs / sizeof col_docs[0]; i++) {
        const struct col_doc *d = &col_docs[i];

        if (strcmp(d->column, column) != 0)
            continue;
        if (d->file && strcmp(d->file, file) == 0)
            return d;
        if (!d->file && summary)
            shared = d;
    }
    return shared;
}

/* Write codebook.csv: a row for every column of every CSV file of the run,
 * in file and column order. A column without an entry (a new contract
 * column, say) is listed as undocumented and reported. */
static enum status write_codebook(struct csvout *w, struct err *err)
{
    enum status st = ST_OK;
    const char *cols[64];
    int n;

    n = file_columns(FILE_CODEBOOK, cols, NELEM(cols));
    for (int c = 0; c < n && st == ST_OK; c++)
        st = csvout_str(w, cols[c], err);
    if (st == ST_OK)
        st = csvout_end_row(w, err);
    for (int f = 0; f < FILE__COUNT && st == ST_OK; f++) {
        n = file_columns((enum file_id)f, cols, NELEM(cols));
        for (int c = 0; c < n && st == ST_OK; c++) {
            const struct col_doc *d = col_doc_find(files[f].name, cols[c]);
            char meaning[1024];

            if (!d)
                log_warning("column %s of %s has no codebook entry", cols[c], files[f].name);
            /* The court table's statistics are the offense table's, suppressed. */
            snprintf(meaning, sizeof meaning, "%s%s", d ? d->meaning : "(not documented)",
                     d && !d->file && f == FILE_SUMMARY_COURT
                         ? "; blank when suppressed (see suppressed_columns)"
                         : "");
            if ((st = csvout_str(w, files[f].name, err)) != ST_OK ||
                (st = csvout_str(w, cols[c], err)) != ST_OK ||
                (st = csvout_str(w, d ? d->type : "", err)) != ST_OK ||
                (st = csvout_str(w, d ? d->unit : "", err)) != ST_OK ||
                (st = csvout_str(w, meaning, err)) != ST_OK ||
                (st = csvout_str(w, d ? d->source : "", err)) != ST_OK)
                break;
            st = csvout_end_row(w, err);
        }
    }
    return st;
}

/* ----------------------------------------------------------------------
 * Reading query results by column name
 * ----------------------------------------------------------------------
 */

static int col_index(const struct db_table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return c;
    return -1;
}

/* Cell (row, column named name); NULL for SQL null or a missing column. */
static const char *cell(const struct db_table *t, int row, const char *name)
{
    int c = col_index(t, name);

    return c < 0 ? NULL : t->cells[row * t->ncols + c];
}

static long long cell_num(const struct db_table *t, int row, const char *name)
{
    const char *s = cell(t, row, name);

    return s ? strtoll(s, NULL, 10) : 0;
}

/* Fail unless every named column is in the result (a query and its file
 * out of step: a programming error, caught by the tests). */
static enum status need_columns(const struct db_table *t, const char *query,
                                const char *const *names, int n, struct err *err)
{
    for (int i = 0; i < n; i++)
        if (col_index(t, names[i]) < 0)
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
 * Small-cell suppression of summary_court.csv
 *
 * Per offense, each court's row is a set of counts: the published ones
 * (defendants, errors, the five kinds) and the ones behind the shares
 * (those evaluated, those meeting the threshold and not, suspended and
 * not, ...). They are tied by equations an attacker knows: within a row
 * (defendants = evaluated + errors; evaluated = the kinds plus those with
 * no kind; evaluated = met + not met, ...) and down the courts (the courts'
 * counts add up to the offense's total in summary_offense.csv).
 *
 * 1. Primary: a row with fewer than K defendants is blanked whole; in the
 *    other rows every count from 1 to K-1 is blanked (a share when its
 *    count or the complement is). A 0 describes no one and stays.
 * 2. Complementary: on every equation, a lone blank, or blanks adding up
 *    to less than K while the total is known, get company: the cheapest
 *    other count of the equation (fewest published cells lost, then the
 *    smallest), repeated until nothing changes. A share is shown only with
 *    its denominator.
 * 3. Audit: the bounds an attacker derives equation by equation from what
 *    is shown (interval propagation to a fixed point) must leave every
 *    count from 1 to K-1 able to reach K. If not, the row is blanked whole,
 *    then the smallest other row of the offense, and 2 and 3 run again.
 * ----------------------------------------------------------------------
 */

enum var {
    V_N,  /* defendants */
    V_E,  /* errors */
    V_OK, /* evaluated (status ok); not published */
    V_K1, /* kind_fixed_term ... */
    V_K2,
    V_K3,
    V_K4,
    V_K5, /* ... kind_exempt */
    V_K0, /* evaluated with no recommended kind; not published */
    V_T,  /* threshold met; published through share_threshold_met */
    V_NT, /* not met */
    V_S,  /* suspended */
    V_NS,
    V_B, /* ban eligible */
    V_NB,
    V_J, /* injunction eligible */
    V_NJ,
    V__COUNT
};

/* The result column of each count; NULL: derived (see sup_load). */
static const char *const var_cols[V__COUNT] = {
    [V_N] = "defendants",       [V_E] = "errors",          [V_OK] = "n_ok",
    [V_K1] = "kind_fixed_term", [V_K2] = "kind_detention", [V_K3] = "kind_surveillance",
    [V_K4] = "kind_fine_only",  [V_K5] = "kind_exempt",    [V_T] = "n_threshold_met",
    [V_S] = "n_suspended",      [V_B] = "n_ban_eligible",  [V_J] = "n_injunction_eligible",
};

/* The published statistic that shows a count; NULL: not published. */
static const char *const var_stat[V__COUNT] = {
    [V_N] = "defendants",
    [V_E] = "errors",
    [V_K1] = "kind_fixed_term",
    [V_K2] = "kind_detention",
    [V_K3] = "kind_surveillance",
    [V_K4] = "kind_fine_only",
    [V_K5] = "kind_exempt",
    [V_T] = "share_threshold_met",
    [V_NT] = "share_threshold_met",
    [V_S] = "share_suspended",
    [V_NS] = "share_suspended",
    [V_B] = "share_ban_eligible",
    [V_NB] = "share_ban_eligible",
    [V_J] = "share_injunction_eligible",
    [V_NJ] = "share_injunction_eligible",
};

/* The equations within a row: total = sum of members. */
static const struct {
    enum var total;
    int nmembers;
    enum var members[6];
} row_eqs[] = {
    {V_N, 2, {V_OK, V_E}},  {V_OK, 6, {V_K0, V_K1, V_K2, V_K3, V_K4, V_K5}},
    {V_OK, 2, {V_T, V_NT}}, {V_OK, 2, {V_S, V_NS}},
    {V_OK, 2, {V_B, V_NB}}, {V_OK, 2, {V_J, V_NJ}},
};
#define NROW_EQS NELEM(row_eqs)

/* A share's two counts: blanked together (the share shows both). */
static const enum var share_pairs[][2] = {{V_T, V_NT}, {V_S, V_NS}, {V_B, V_NB}, {V_J, V_NJ}};

struct sup_row {
    long long val[V__COUNT];
    bool blank[V__COUNT];
    bool whole;    /* every statistic blanked */
    int table_row; /* row of the summaries result */
};

/* One offense's rows. Terms address counts as row * V__COUNT + var. */
struct sup {
    struct sup_row *rows;
    int n;
    long long k;
    long long total[V__COUNT]; /* the offense's totals: known to everyone */
};

#define SUP_INF (1LL << 52)

static bool sup_sensitive(const struct sup *s, long long v)
{
    return v >= 1 && v < s->k;
}

static void sup_load(struct sup_row *r, const struct db_table *t, int row)
{
    memset(r, 0, sizeof *r);
    r->table_row = row;
    for (int v = 0; v < V__COUNT; v++)
        if (var_cols[v])
            r->val[v] = cell_num(t, row, var_cols[v]);
    r->val[V_K0] = r->val[V_OK];
    for (int v = V_K1; v <= V_K5; v++)
        r->val[V_K0] -= r->val[v];
    r->val[V_NT] = r->val[V_OK] - r->val[V_T];
    r->val[V_NS] = r->val[V_OK] - r->val[V_S];
    r->val[V_NB] = r->val[V_OK] - r->val[V_B];
    r->val[V_NJ] = r->val[V_OK] - r->val[V_J];
}

/* Published cells lost by blanking count v of row r (with what it drags
 * along: the shares go with their denominator). */
static int sup_cost(const struct sup_row *r, enum var v)
{
    if (v == V_OK) {
        int cost = 0;

        for (int p = 0; p < NELEM(share_pairs); p++)
            cost += !r->blank[share_pairs[p][0]];
        return cost;
    }
    return var_stat[v] && !r->blank[v] ? 1 : 0;
}

/* Blank v in row r with its couplings; true when something changed. */
static bool sup_blank(struct sup_row *r, enum var v)
{
    bool changed = !r->blank[v];

    r->blank[v] = true;
    for (int p = 0; p < NELEM(share_pairs); p++) {
        bool pair = r->blank[share_pairs[p][0]] || r->blank[share_pairs[p][1]] || r->blank[V_OK];
        for (int i = 0; i < 2; i++) {
            if (pair && !r->blank[share_pairs[p][i]]) {
                r->blank[share_pairs[p][i]] = true;
                changed = true;
            }
        }
    }
    return changed;
}

static bool sup_blank_row(struct sup_row *r)
{
    bool changed = !r->whole;

    r->whole = true;
    for (int v = 0; v < V__COUNT; v++)
        changed |= sup_blank(r, (enum var)v);
    return changed;
}

/* The line rule on one equation, given as counts (row * V__COUNT + var):
 * with has_total_var, terms[0] is the total and the others its members;
 * without, the total is the offense's, known to everyone. A lone blank
 * that hides something, or blanked members adding up to less than K under
 * a known total, get one more blank. Returns true when it blanked one. */
static bool sup_line(struct sup *s, const int *terms, int nterms, bool has_total_var)
{
    int nblank = 0;
    long long sum = 0, hidden = 0;
    bool total_known = !has_total_var;
    int best = -1, best_cost = 0;
    long long best_val = 0;
    bool best_reaches = false;

    for (int i = 0; i < nterms; i++) {
        const struct sup_row *r = &s->rows[terms[i] / V__COUNT];
        int v = terms[i] % V__COUNT;

        if (has_total_var && i == 0) {
            if (r->blank[v]) {
                nblank++;
                hidden += r->val[v];
            } else {
                total_known = true;
            }
            continue;
        }
        if (r->blank[v]) {
            nblank++;
            sum += r->val[v];
            hidden += r->val[v];
        }
    }
    if (hidden == 0)
        return false; /* nothing hidden, or only zeros, which describe no one */
    if (nblank > 1 && !(total_known && sum < s->k))
        return false;
    for (int i = 0; i < nterms; i++) {
        struct sup_row *r = &s->rows[terms[i] / V__COUNT];
        enum var v = (enum var)(terms[i] % V__COUNT);
        long long val = r->val[v];
        int cost;
        bool reaches;

        if (r->blank[v] || val <= 0)
            continue; /* a 0 adds no uncertainty */
        cost = sup_cost(r, v);
        reaches = sum + val >= s->k;
        /* Prefer what protects enough, then fewest cells lost, then the
         * smallest count (when it reaches K) or the largest (when not). */
        if (best < 0 || (reaches && !best_reaches) ||
            (reaches == best_reaches &&
             (cost < best_cost ||
              (cost == best_cost && (reaches ? val < best_val : val > best_val))))) {
            best = i;
            best_cost = cost;
            best_val = val;
            best_reaches = reaches;
        }
    }
    if (best < 0)
        return false; /* left to the audit */
    return sup_blank(&s->rows[terms[best] / V__COUNT], (enum var)(terms[best] % V__COUNT));
}

/* Apply the line rule to every equation until nothing changes. */
static void sup_complement(struct sup *s)
{
    int *terms = malloc(sizeof *terms * (size_t)(s->n > 8 ? s->n : 8));
    bool changed = true;

    if (!terms)
        return; /* the audit then blanks whole rows */
    while (changed) {
        changed = false;
        for (int r = 0; r < s->n; r++) {
            for (int e = 0; e < NROW_EQS; e++) {
                int t[8], n = 0;

                t[n++] = r * V__COUNT + (int)row_eqs[e].total;
                for (int m = 0; m < row_eqs[e].nmembers; m++)
                    t[n++] = r * V__COUNT + (int)row_eqs[e].members[m];
                changed |= sup_line(s, t, n, true);
            }
        }
        for (int v = 0; v < V__COUNT; v++) {
            for (int r = 0; r < s->n; r++)
                terms[r] = r * V__COUNT + v;
            changed |= sup_line(s, terms, s->n, false);
        }
    }
    free(terms);
}

/* Tighten [lo, hi] of the counts of one equation sum(coef * x) = b.
 * Infinite bounds are +-SUP_INF. Returns true when a bound moved. */
static bool sup_propagate(long long *lo, long long *hi, const int *terms, const int *coef, int n,
                          long long b)
{
    long long min_sum = 0, max_sum = 0;
    int min_inf = 0, max_inf = 0;
    bool changed = false;

    for (int i = 0; i < n; i++) {
        int x = terms[i];
        long long cmin = coef[i] > 0 ? lo[x] : -hi[x];
        long long cmax = coef[i] > 0 ? hi[x] : -lo[x];

        if (cmin <= -SUP_INF)
            min_inf++;
        else
            min_sum += cmin;
        if (cmax >= SUP_INF)
            max_inf++;
        else
            max_sum += cmax;
    }
    for (int i = 0; i < n; i++) {
        int x = terms[i];
        long long cmin = coef[i] > 0 ? lo[x] : -hi[x];
        long long cmax = coef[i] > 0 ? hi[x] : -lo[x];
        bool rest_min_inf = min_inf - (cmin <= -SUP_INF) > 0;
        bool rest_max_inf = max_inf - (cmax >= SUP_INF) > 0;
        long long rest_min = min_sum - (cmin <= -SUP_INF ? 0 : cmin);
        long long rest_max = max_sum - (cmax >= SUP_INF ? 0 : cmax);
        /* coef * x = b - rest, rest in [rest_min, rest_max] */
        long long a_lo = rest_max_inf ? -SUP_INF : b - rest_max;
        long long a_hi = rest_min_inf ? SUP_INF : b - rest_min;
        long long new_lo = coef[i] > 0 ? a_lo : (a_hi >= SUP_INF ? -SUP_INF : -a_hi);
        long long new_hi = coef[i] > 0 ? a_hi : (a_lo <= -SUP_INF ? SUP_INF : -a_lo);

        if (new_lo > lo[x] && new_lo > -SUP_INF) {
            lo[x] = new_lo;
            changed = true;
        }
        if (new_hi < hi[x] && new_hi < SUP_INF) {
            hi[x] = new_hi;
            changed = true;
        }
    }
    return changed;
}

/* The attacker's view: the bounds of every count from what is shown, the
 * offense totals and the row's existence (defendants >= 1). Returns the
 * term of an exposed count from 1 to K-1, -1 when there is none, -2 when
 * out of memory. */
static int sup_audit(const struct sup *s)
{
    size_t nv = (size_t)(s->n > 0 ? s->n : 1) * V__COUNT;
    long long *lo = malloc(sizeof *lo * nv), *hi = malloc(sizeof *hi * nv);
    int *terms = malloc(sizeof *terms * (size_t)(s->n + 8));
    int *coef = malloc(sizeof *coef * (size_t)(s->n + 8));
    int found = -2;
    bool changed = true;

    if (s->n == 0 || !lo || !hi || !terms || !coef) {
        found = s->n == 0 ? -1 : -2;
        goto done;
    }
    for (int r = 0; r < s->n; r++) {
        for (int v = 0; v < V__COUNT; v++) {
            size_t x = (size_t)r * V__COUNT + (size_t)v;
            bool blank = s->rows[r].blank[v];

            lo[x] = blank ? (v == V_N ? 1 : 0) : s->rows[r].val[v];
            hi[x] = blank ? SUP_INF : s->rows[r].val[v];
        }
    }
    /* Each pass either moves a bound or ends; integer bounds that only
     * tighten cannot move forever, but a slow cycle is cut short and then
     * counts as a failure, which only blanks more. */
    for (int pass = 0; changed && pass < 10000; pass++) {
        changed = false;
        for (int r = 0; r < s->n; r++) {
            for (int e = 0; e < NROW_EQS; e++) {
                int n = 0;

                terms[n] = r * V__COUNT + (int)row_eqs[e].total;
                coef[n++] = 1;
                for (int m = 0; m < row_eqs[e].nmembers; m++) {
                    terms[n] = r * V__COUNT + (int)row_eqs[e].members[m];
                    coef[n++] = -1;
                }
                changed |= sup_propagate(lo, hi, terms, coef, n, 0);
            }
        }
        for (int v = 0; v < V__COUNT; v++) {
            for (int r = 0; r < s->n; r++) {
                terms[r] = r * V__COUNT + v;
                coef[r] = 1;
            }
            changed |= sup_propagate(lo, hi, terms, coef, s->n, s->total[v]);
        }
    }
    /* A count from 1 to K-1 is exposed when it is pinned, or shown to be
     * below K while the offense's total is not (a total below K bounds
     * every court's count already; that is summary_offense.csv's). */
    found = -1;
    for (int r = 0; r < s->n && found == -1; r++) {
        for (int v = 0; v < V__COUNT; v++) {
            size_t x = (size_t)r * V__COUNT + (size_t)v;
            long long need = s->total[v] < s->k ? s->total[v] : s->k;

            if (sup_sensitive(s, s->rows[r].val[v]) &&
                (changed || lo[x] >= hi[x] || hi[x] < need)) {
                found = (int)x;
                break;
            }
        }
    }
done:
    free(lo);
    free(hi);
    free(terms);
    free(coef);
    return found;
}

/* Suppress one offense's rows; false when a count stays exposed (the
 * offense's total itself is then small, which summary_offense.csv shows). */
static bool sup_run(struct sup *s)
{
    for (int r = 0; r < s->n; r++) {
        struct sup_row *row = &s->rows[r];

        if (row->val[V_N] < s->k) {
            sup_blank_row(row);
            continue;
        }
        for (int v = 0; v < V__COUNT; v++)
            if (sup_sensitive(s, row->val[v]))
                sup_blank(row, (enum var)v);
    }
    /* Each round blanks one more row whole, so this ends. */
    for (;;) {
        int x, r, best = -1;

        sup_complement(s);
        x = sup_audit(s);
        if (x == -1)
            return true;
        r = x / V__COUNT;
        if (x >= 0 && !s->rows[r].whole) {
            sup_blank_row(&s->rows[r]);
            continue;
        }
        /* The exposed count's row is blanked already (or memory ran out):
         * blank the smallest row that is not. */
        for (int i = 0; i < s->n; i++)
            if (!s->rows[i].whole && (best < 0 || s->rows[i].val[V_N] < s->rows[best].val[V_N]))
                best = i;
        if (best < 0 || x == -2) {
            for (int i = 0; i < s->n; i++)
                sup_blank_row(&s->rows[i]);
            return false;
        }
        sup_blank_row(&s->rows[best]);
    }
}

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
static enum status suppress_courts(const struct db_table *t, int min_cell, struct court_view *views,
                                   struct err *err)
{
    int col_part = col_index(t, "part"), col_offense = col_index(t, "offense");
    struct sup s = {0};
    bool *done = calloc((size_t)t->nrows + 1, sizeof *done);
    enum status st = ST_OK;

    s.rows = calloc((size_t)t->nrows + 1, sizeof *s.rows);
    s.k = min_cell;
    if (!done || !s.rows) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < t->nrows; i++) {
        const char *part = t->cells[i * t->ncols + col_part];
        const char *offense = t->cells[i * t->ncols + col_offense];

        if (done[i] || !part || strcmp(part, "court") != 0 || !offense)
            continue;
        /* The rows of this offense, in court order. */
        s.n = 0;
        memset(s.total, 0, sizeof s.total);
        for (int j = i; j < t->nrows; j++) {
            const char *pj = t->cells[j * t->ncols + col_part];
            const char *oj = t->cells[j * t->ncols + col_offense];

            if (done[j] || !pj || strcmp(pj, "court") != 0 || !oj || strcmp(oj, offense) != 0)
                continue;
            done[j] = true;
            sup_load(&s.rows[s.n], t, j);
            for (int v = 0; v < V__COUNT; v++)
                s.total[v] += s.rows[s.n].val[v];
            s.n++;
        }
        if (min_cell > 1 && !sup_run(&s))
            log_warning("%s: court-level counts cannot all be protected at --min-cell %d: the "
                        "offense's total is itself small; every court row of it is blanked",
                        offense, min_cell);
        for (int r = 0; r < s.n; r++) {
            const struct sup_row *row = &s.rows[r];
            struct court_view *cv = &views[row->table_row];

            for (int v = 0; v < V__COUNT; v++) {
                int si = var_stat[v] ? stat_index(var_stat[v]) : -1;
                if (si >= 0 && (row->blank[v] || row->whole))
                    cv->blank[si] = true;
            }
            for (int si = 0; si < NSTATS; si++) {
                bool months = strncmp(summary_stats[si], "months_", 7) == 0;
                bool fines = strncmp(summary_stats[si], "fine_", 5) == 0;

                /* Quantiles of fewer than K values are blanked too. */
                if (row->whole || (months && cell_num(t, row->table_row, "n_months") < s.k) ||
                    (fines && cell_num(t, row->table_row, "n_fine") < s.k))
                    cv->blank[si] = true;
            }
        }
    }
out:
    free(done);
    free(s.rows);
    return st;
}

/* ----------------------------------------------------------------------
 * The table files
 * ----------------------------------------------------------------------
 */

/* Write the rows of t whose part is `part` (NULL: every row) with the
 * columns of file id, after its header when header is true. views (court
 * table only, indexed by row of t) says which cells to blank. */
static enum status write_rows(struct csvout *w, const struct db_table *t, const char *part,
                              enum file_id id, bool header, const struct court_view *views,
                              struct err *err)
{
    const char *cols[64];
    int ncols = file_columns(id, cols, NELEM(cols));
    int idx[64];
    int col_part = col_index(t, "part");
    enum status st = header ? write_header(w, id, err) : ST_OK;

    if (st != ST_OK)
        return st;
    for (int c = 0; c < ncols; c++)
        idx[c] = col_index(t, cols[c]);
    for (int r = 0; r < t->nrows && st == ST_OK; r++) {
        const char *p = col_part >= 0 ? t->cells[r * t->ncols + col_part] : NULL;
        char list[1024] = "";
        bool any = false, all = true;

        if (part && (!p || strcmp(p, part) != 0))
            continue;
        if (views) {
            size_t len = 0;

            /* List the suppressed statistics that had a value. */
            for (int si = 0; si < NSTATS; si++) {
                const char *v = cell(t, r, summary_stats[si]);
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
            const char *v = idx[c] >= 0 ? t->cells[r * t->ncols + idx[c]] : NULL;
            int si = views ? stat_index(cols[c]) : -1;

            if (views && strcmp(cols[c], "suppressed") == 0)
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

/* errors.csv through a cursor, a few thousand rows at a time. */
static enum status write_errors(struct db *db, const char *run_id, struct csvout *w,
                                struct err *err)
{
    const char *params[1] = {run_id};
    struct db_table *t = NULL;
    enum status st;

    if ((st = write_header(w, FILE_ERRORS, err)) != ST_OK)
        return st;
    if ((st = db_query(db, "errors_open", 1, params, &t, err)) != ST_OK)
        return st;
    db_table_free(t);
    for (;;) {
        t = NULL;
        if ((st = db_query(db, "errors_fetch", 0, NULL, &t, err)) != ST_OK)
            return st;
        if (t->nrows == 0)
            break;
        if ((st = need_columns(t, "errors_fetch", error_cols, NELEM(error_cols), err)) == ST_OK)
            st = write_rows(w, t, NULL, FILE_ERRORS, false, NULL, err);
        db_table_free(t);
        if (st != ST_OK)
            return st;
    }
    db_table_free(t);
    t = NULL;
    st = db_query(db, "errors_close", 0, NULL, &t, err);
    db_table_free(t);
    return st;
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
    struct db_table *info;      /* run_info */
    struct db_table *summaries; /* summaries */
    struct db_table *basis;     /* basis_frequency */
    struct db_table *terms;     /* report_terms */
};

static void run_data_free(struct run_data *d)
{
    db_table_free(d->info);
    db_table_free(d->summaries);
    db_table_free(d->basis);
    db_table_free(d->terms);
}

/* Write one CSV file of the folder: fn fills it; its rows and size go to
 * *out. */
typedef enum status (*fill_fn)(void *ud, struct csvout *w, struct err *err);

static enum status write_csv(const struct out_dir *dir, enum file_id id, bool excel, fill_fn fn,
                             void *ud, struct written *out, struct err *err)
{
    struct outfile f;
    enum status st = file_open(&f, dir, files[id].name, true, excel, err);

    if (st != ST_OK)
        return st;
    st = fn(ud, f.w, err);
    out->rows = csvout_rows(f.w) - 1;
    if ((st = file_finish(&f, st, err)) != ST_OK)
        return st;
    out->bytes = file_size(&f);
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
};

static enum status fill_recs(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_recs(c->db, c->run, w, err);
}

static enum status fill_offense(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_rows(w, c->data->summaries, "offense", FILE_SUMMARY_OFFENSE, true, NULL, err);
}

static enum status fill_court(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_rows(w, c->data->summaries, "court", FILE_SUMMARY_COURT, true, c->views, err);
}

static enum status fill_basis(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_rows(w, c->data->basis, NULL, FILE_BASIS, true, NULL, err);
}

static enum status fill_errors(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    return write_errors(c->db, c->run_id, w, err);
}

static enum status fill_codebook(void *ud, struct csvout *w, struct err *err)
{
    (void)ud;
    return write_codebook(w, err);
}

static enum status fill_manifest(void *ud, struct csvout *w, struct err *err)
{
    struct run_ctx *c = ud;
    const struct db_table *info = c->data->info;
    const struct db_table *sm = c->data->summaries;
    const char *current = "0";
    char min_cell[16];
    enum status st = write_header(w, FILE_MANIFEST, err);

    snprintf(min_cell, sizeof min_cell, "%d", c->min_cell);
    /* The grand total is the summaries' row offense = all, year = all. */
    for (int r = 0; r < sm->nrows; r++) {
        const char *o = cell(sm, r, "offense"), *y = cell(sm, r, "conviction_year");
        if (o && y && strcmp(o, "all") == 0 && strcmp(y, "all") == 0)
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
        for (int i = 0; i < 2 && st == ST_OK; i++)
            st = csvout_str(w, cell(info, 0, run_cols[i]), err);
        if (st != ST_OK || (st = csvout_str(w, c->state, err)) != ST_OK ||
            (st = csvout_str(w, cell(info, 0, "started_at"), err)) != ST_OK ||
            (st = csvout_str(w, cell(info, 0, "ended_at"), err)) != ST_OK ||
            (st = csvout_str(w, cell(info, 0, "evaluated"), err)) != ST_OK ||
            (st = csvout_str(w, cell(info, 0, "errors"), err)) != ST_OK ||
            (st = csvout_str(w, current, err)) != ST_OK ||
            (st = csvout_str(w, min_cell, err)) != ST_OK ||
            (st = csvout_str(w, c->excel ? "true" : "false", err)) != ST_OK ||
            (st = csvout_str(w, files[f].name, err)) != ST_OK ||
            (st = csvout_str(w, scope_names[files[f].scope], err)) != ST_OK ||
            (st = csvout_str(w, rows, err)) != ST_OK || (st = csvout_str(w, bytes, err)) != ST_OK)
            break;
        st = csvout_end_row(w, err);
    }
    return st;
}

static enum status write_report(struct run_ctx *c, const struct out_dir *dir, struct err *err)
{
    const struct db_table *info = c->data->info;
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
        .terms = c->data->terms,
    };
    struct outfile f;
    enum status st = file_open(&f, dir, files[FILE_REPORT].name, false, false, err);

    if (st != ST_OK)
        return st;
    st = report_html_write(f.fp, f.path, &in, err);
    if ((st = file_finish(&f, st, err)) != ST_OK)
        return st;
    c->written[FILE_REPORT].rows = -1;
    c->written[FILE_REPORT].bytes = file_size(&f);
    return ST_OK;
}

/* Read the small results and write everything that needs the snapshot. */
static enum status write_from_snapshot(struct run_ctx *c, const struct out_dir *dir,
                                       struct err *err)
{
    const char *params[1] = {c->run_id};
    struct run_data *d = c->data;
    enum status st;

    if ((st = db_query(c->db, "run_info", 1, params, &d->info, err)) != ST_OK)
        return st;
    if (d->info->nrows != 1)
        return err_set(err, ST_EDB, "run %s is not in sentencer.run", c->run_id);
    if ((st = write_csv(dir, FILE_RECS, c->excel, fill_recs, c, &c->written[FILE_RECS], err)) !=
        ST_OK)
        return st;
    if ((st = db_query(c->db, "summaries", 0, NULL, &d->summaries, err)) != ST_OK ||
        (st = need_columns(d->summaries, "summaries", summary_stats, NSTATS, err)) != ST_OK)
        return st;
    if (!(c->views = calloc((size_t)d->summaries->nrows + 1, sizeof *c->views)))
        return err_set(err, ST_ENOMEM, "out of memory");
    if ((st = suppress_courts(d->summaries, c->min_cell, c->views, err)) != ST_OK)
        return st;
    if ((st = write_csv(dir, FILE_SUMMARY_OFFENSE, c->excel, fill_offense, c,
                        &c->written[FILE_SUMMARY_OFFENSE], err)) != ST_OK ||
        (st = write_csv(dir, FILE_SUMMARY_COURT, c->excel, fill_court, c,
                        &c->written[FILE_SUMMARY_COURT], err)) != ST_OK)
        return st;
    if ((st = db_query(c->db, "basis_frequency", 0, NULL, &d->basis, err)) != ST_OK ||
        (st = need_columns(d->basis, "basis_frequency", basis_cols, NELEM(basis_cols), err)) !=
            ST_OK)
        return st;
    if ((st = write_csv(dir, FILE_BASIS, c->excel, fill_basis, c, &c->written[FILE_BASIS], err)) !=
        ST_OK)
        return st;
    if ((st = write_csv(dir, FILE_ERRORS, c->excel, fill_errors, c, &c->written[FILE_ERRORS],
                        err)) != ST_OK)
        return st;
    if ((st = db_query(c->db, "report_terms", 0, NULL, &d->terms, err)) != ST_OK)
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
    struct db_table *t = NULL;
    enum status st;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    /* One snapshot for every file, so that they agree with each other. */
    if ((st = db_query(db, "output_begin", 0, NULL, &t, err)) != ST_OK)
        return st;
    db_table_free(t);
    t = NULL;
    if ((st = db_query(db, "output_settings", 0, NULL, &t, err)) == ST_OK)
        st = write_from_snapshot(&c, dir, err);
    db_table_free(t);
    t = NULL;
    if (st == ST_OK && (st = db_query(db, "output_end", 0, NULL, &t, err)) == ST_OK) {
        db_table_free(t);
        st =
            write_csv(dir, FILE_CODEBOOK, excel, fill_codebook, &c, &c.written[FILE_CODEBOOK], err);
        if (st == ST_OK)
            st = write_csv(dir, FILE_MANIFEST, excel, fill_manifest, &c, &c.written[FILE_MANIFEST],
                           err);
    } else {
        db_rollback(db);
    }
    if (st == ST_OK) {
        totals->evaluated = (long)cell_num(data.info, 0, "evaluated");
        totals->errors = (long)cell_num(data.info, 0, "errors");
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
        st = write_recs(db, 0, w, err);
        enum status cst = csvout_close(w, err);
        if (fflush(stdout) != 0 && st == ST_OK)
            st = err_set(err, ST_EIO, "could not write to standard output");
        return st != ST_OK ? st : cst;
    }
    if ((st = file_open(&f, NULL, path, true, excel, err)) != ST_OK)
        return st;
    return file_finish(&f, write_recs(db, 0, f.w, err), err);
}
