/*-------------------------------------------------------------------------
 * import.c
 *     `sentencer import FILE...`: cases.csv files
 *     streamed through the reader (csvin) into the database (db), one
 *     transaction per file, rejected rows reported as FILE:LINE: column:
 *     reason on standard error and, with --rejects, in a CSV.
 *
 * batch/commands/import.c
 *-------------------------------------------------------------------------
 */
#include "csvin.h"
#include "csvout.h"
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "value.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct import_state {
    int64_t today;          /* the run date: later dates are rejected */
    struct csvout *rejects; /* NULL without --rejects */
    const char *file;
    long rejected_rows;
    long last_rejected_line;
    enum status rejects_st;
    struct err rejects_err;
};

static void report(struct import_state *s, long line, const char *column, const char *reason)
{
    /* A row left out is a warning: the rest of the file is stored. */
    log_line(LOG_PRIO_WARNING, "%s:%ld: %s: %s", s->file, line, column[0] ? column : "(row)",
             reason);
    if (s->rejects && s->rejects_st == ST_OK) {
        struct err *e = &s->rejects_err;
        /* The writer's errors stick: one check at the row's end. */
        csvout_str(s->rejects, s->file, e);
        csvout_int(s->rejects, line, e);
        csvout_str(s->rejects, column, e);
        csvout_str(s->rejects, reason, e);
        s->rejects_st = csvout_end_row(s->rejects, e);
    }
    if (line != s->last_rejected_line) {
        s->rejected_rows++;
        s->last_rejected_line = line;
    }
}

static void on_reject(void *ud, const struct csvin_reject *rej)
{
    report(ud, rej->line, rej->column, rej->reason);
}

static void on_dup(void *ud, long line, long first_line)
{
    char reason[160];

    snprintf(reason, sizeof reason,
             "repeats the case_no, defendant_no, offense and act_no of line %ld", first_line);
    report(ud, line, "act_no", reason);
}

/* Import one file in one transaction. *stored is false when the file was
 * refused as a whole. */
static enum status import_file(struct db *db, const char *path, struct import_state *s,
                               struct err *err)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    struct csvin *in = NULL;
    struct act a = {0};
    struct db_import_stats stats;
    enum csvin_result r;
    enum status st;
    long good = 0;

    s->file = strcmp(path, "-") == 0 ? "<stdin>" : path;
    s->rejected_rows = 0;
    s->last_rejected_line = 0;
    if (!fp) {
        err_set(err, ST_EINPUT, "could not open \"%s\": %s", path, strerror(errno));
        return ST_EINPUT;
    }
    if ((st = csvin_open(&in, fp, s->file, s->today, on_reject, s, err)) != ST_OK)
        goto done;
    if ((st = db_import_begin(db, err)) != ST_OK)
        goto done;
    while ((r = csvin_next(in, &a, err)) != CSVIN_EOF) {
        if (r == CSVIN_FAIL) {
            st = ST_EINPUT;
            break;
        }
        if (r == CSVIN_REJECT)
            continue;
        if ((st = db_import_act(db, &a, err)) != ST_OK)
            break;
        good++;
    }
    if (st == ST_EINPUT)
        err_hint(err, "Nothing of \"%s\" was stored. Fix the file and import it again.", s->file);
    st = db_import_end(db, st == ST_OK, &stats, on_dup, s, st == ST_OK ? err : &s->rejects_err) ==
                 ST_OK
             ? st
             : ST_EDB;
    if (st == ST_OK)
        log_info("%s: %ld rows read, %ld stored (%ld new, %ld changed, %ld unchanged), %ld "
                 "rejected",
                 s->file, csvin_rows(in), good - stats.duplicates, stats.inserted, stats.updated,
                 stats.unchanged, s->rejected_rows);
    if (st == ST_OK && stats.analyzed < 0)
        log_warning("%s: the tables' statistics could not be refreshed; the next run may be slow "
                    "until autovacuum analyzes them (or run ANALYZE as the tables' owner)",
                    s->file);
done:
    act_fini(&a);
    csvin_close(in);
    if (fp != stdin)
        fclose(fp);
    return st;
}

/* The importing machine's local date, in days since 1970-01-01: no act or
 * judgment of a file can be later. Read once, so that every file of a run
 * is held to the same day. */
static enum status local_today(int64_t *today, struct err *err)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now == (time_t)-1 || !localtime_r(&now, &tm)) {
        err_set(err, ST_EIO, "could not read today's date from the system clock");
        err_hint(err, "Check the clock and the time zone (TZ) of this machine.");
        return ST_EIO;
    }
    *today = days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
    return ST_OK;
}

enum status cmd_import(struct ctx *ctx, struct err *err)
{
    struct import_state s = {0};
    struct db *db = NULL;
    FILE *rfp = NULL;
    enum status st;

    if ((st = local_today(&s.today, err)) != ST_OK)
        return st;
    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_check_schema(db, err)) != ST_OK)
        goto done;
    if (ctx->opt.rejects) {
        if (!(rfp = fopen(ctx->opt.rejects, "w"))) {
            st = err_set(err, ST_EIO, "could not create \"%s\": %s", ctx->opt.rejects,
                         strerror(errno));
            goto done;
        }
        if ((st = csvout_open(&s.rejects, rfp, ctx->opt.rejects, ctx->opt.excel, err)) != ST_OK)
            goto done;
        const char *const head[] = {"file", "line", "column", "reason"};
        for (int i = 0; i < 4 && st == ST_OK; i++)
            st = csvout_str(s.rejects, head[i], err);
        if (st != ST_OK || (st = csvout_end_row(s.rejects, err)) != ST_OK)
            goto done;
    }
    for (int i = 0; i < ctx->opt.nargs; i++) {
        struct err ferr;

        err_clear(&ferr);
        st = import_file(db, ctx->opt.args[i], &s, &ferr);
        if (st == ST_EINPUT) {
            log_err(&ferr); /* this file refused; the others go on */
            ctx->partial = true;
            st = ST_OK;
            continue;
        }
        if (st != ST_OK) {
            *err = ferr;
            goto done;
        }
        if (s.rejected_rows > 0)
            ctx->partial = true;
    }
    if (s.rejects_st != ST_OK) {
        *err = s.rejects_err;
        st = s.rejects_st;
    }
done:
    if (s.rejects) {
        enum status cst = csvout_close(s.rejects, st == ST_OK ? err : &s.rejects_err);
        if (st == ST_OK)
            st = cst;
    }
    if (rfp && fclose(rfp) != 0 && st == ST_OK)
        st = err_set(err, ST_EIO, "could not write \"%s\"", ctx->opt.rejects);
    db_close(db);
    return st;
}
