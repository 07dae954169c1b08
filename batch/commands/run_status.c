/*-------------------------------------------------------------------------
 * run_status.c
 *     `sentencer status`: the latest runs with start, end, state, counts,
 *     host, pid and rule set, as an aligned table (text), a JSON array or
 *     CSV; and `status --check`, the health of the nightly job in one line
 *     with a monitoring-plugin exit status (Nagios, Icinga, a systemd
 *     OnFailure= unit): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 *
 * batch/commands/run_status.c
 *-------------------------------------------------------------------------
 */
#include "buf.h"
#include "csvout.h"
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_COLS 10  /* the table; the message is printed on its own line */
#define CHECK_RUNS 50 /* runs read by --check: enough to pass the ones in progress */

enum monitor { MON_OK, MON_WARNING, MON_CRITICAL, MON_UNKNOWN };
static const char *const monitor_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* The columns of --format json|csv, as status.sql names them; integers
 * are written as JSON numbers. */
static const struct {
    const char *name;
    bool integer;
} machine_cols[] = {
    {"run", true},      {"started_at", false}, {"ended_at", false},    {"state", false},
    {"host", false},    {"pid", true},         {"workers", true},      {"evaluated", true},
    {"errors", true},   {"failures", true},    {"rule_set_id", false}, {"label", false},
    {"message", false},
};
#define N_MACHINE_COLS ((int)(sizeof machine_cols / sizeof machine_cols[0]))

static const char *col_out_name(int i)
{
    return strcmp(machine_cols[i].name, "rule_set_id") == 0 ? "rule_set" : machine_cols[i].name;
}

static int col_of(const struct result *t, const char *name)
{
    for (int c = 0; c < result_cols(t); c++)
        if (strcmp(result_name(t, c), name) == 0)
            return c;
    return -1;
}

static const char *get(const struct result *t, int r, const char *name)
{
    int c = col_of(t, name);
    return c < 0 ? NULL : result_get(t, r, c);
}

static long get_num(const struct result *t, int r, const char *name)
{
    const char *v = get(t, r, name);
    return v ? strtol(v, NULL, 10) : 0;
}

/* A value as the terminal may show it: controls and invisible characters
 * escaped (a host name, a label or a recorded message can hold anything). */
static const char *shown(char *buf, size_t len, const char *v)
{
    text_show(buf, len, v ? v : "", v ? strlen(v) : 0);
    return buf;
}

static enum status print_text(const struct result *t)
{
    char buf[2048];

    int nrows = result_rows(t), ncols = result_cols(t) < TEXT_COLS ? result_cols(t) : TEXT_COLS;
    int width[TEXT_COLS] = {0};

    if (nrows == 0) {
        printf("no runs yet\n");
        return ST_OK;
    }
    for (int c = 0; c < ncols; c++) {
        width[c] = (int)strlen(result_name(t, c));
        for (int r = 0; r < nrows; r++) {
            int w = (int)strlen(shown(buf, sizeof buf, result_get(t, r, c)));
            if (w > width[c])
                width[c] = w;
        }
    }
    for (int c = 0; c < ncols; c++)
        printf("%-*s%s", width[c], result_name(t, c), c + 1 < ncols ? "  " : "\n");
    for (int r = 0; r < nrows; r++) {
        const char *message = get(t, r, "message");

        for (int c = 0; c < ncols; c++)
            printf("%-*s%s", width[c], shown(buf, sizeof buf, result_get(t, r, c)),
                   c + 1 < ncols ? "  " : "\n");
        if (message && message[0])
            printf("    %s\n", shown(buf, sizeof buf, message));
    }
    return ST_OK;
}

/* A JSON array of objects, one per run, newest first; absent values null. */
static enum status print_json(const struct result *t, struct err *err)
{
    struct buf b = {0};
    bool ok = buf_addc(&b, '[');

    for (int r = 0; ok && r < result_rows(t); r++) {
        ok = buf_adds(&b, r ? ",\n {" : "\n {");
        for (int i = 0; ok && i < N_MACHINE_COLS; i++) {
            const char *v = get(t, r, machine_cols[i].name);
            const char *key = col_out_name(i);

            ok = (i == 0 || buf_adds(&b, ", ")) && buf_add_json_str(&b, key, strlen(key)) &&
                 buf_adds(&b, ": ");
            if (ok && !v)
                ok = buf_adds(&b, "null");
            else if (ok && machine_cols[i].integer)
                ok = buf_adds(&b, v);
            else if (ok)
                ok = buf_add_json_str(&b, v, strlen(v));
        }
        ok = ok && buf_addc(&b, '}');
    }
    ok = ok && buf_adds(&b, result_rows(t) ? "\n]\n" : "]\n");
    if (ok && fwrite(b.data, 1, b.len, stdout) != b.len)
        ok = false;
    buf_fini(&b);
    return ok ? ST_OK : err_set(err, ST_EIO, "could not write the status");
}

/* CSV as the other outputs write it (csvout: RFC 4180, UTF-8). */
static enum status print_csv(const struct result *t, struct err *err)
{
    struct csvout *w = NULL;
    enum status st;

    if ((st = csvout_open(&w, stdout, "standard output", false, err)) != ST_OK)
        return st;
    for (int i = 0; i < N_MACHINE_COLS; i++)
        csvout_str(w, col_out_name(i), err);
    st = csvout_end_row(w, err);
    for (int r = 0; st == ST_OK && r < result_rows(t); r++) {
        for (int i = 0; i < N_MACHINE_COLS; i++) {
            const char *v = get(t, r, machine_cols[i].name);
            csvout_str(w, v ? v : "", err);
        }
        st = csvout_end_row(w, err);
    }
    if (st == ST_OK)
        return csvout_close(w, err);
    csvout_close(w, NULL);
    return st;
}

/* "26h", "90m": a duration as --max-age reads it, for the line. */
static void fmt_age(char *out, size_t len, long s)
{
    if (s >= 2 * 86400 && s % 86400 == 0)
        snprintf(out, len, "%ldd", s / 86400);
    else if (s >= 2 * 86400)
        snprintf(out, len, "%ldd%ldh", s / 86400, s % 86400 / 3600);
    else if (s >= 3600 && s % 3600 < 60)
        snprintf(out, len, "%ldh", s / 3600);
    else if (s >= 3600)
        snprintf(out, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else
        snprintf(out, len, "%ldm", s / 60);
}

static bool bad_state(const char *state)
{
    return strcmp(state, "failed") == 0 || strcmp(state, "refused") == 0 ||
           strcmp(state, "dead") == 0;
}

/* Several hosts may run the job: the latest done run can hide a host whose
 * own latest run, within max_age, failed, was refused or died. WARNING
 * then, naming it; OK otherwise (line kept). */
static enum monitor other_host_down(const struct result *t, long max_age_s, char *line, size_t len)
{
    for (int r = 1; r < result_rows(t) && get_num(t, r, "age_s") <= max_age_s; r++) {
        const char *host = get(t, r, "host");
        bool newer_same_host = false;

        for (int q = 0; q < r && !newer_same_host; q++)
            newer_same_host = strcmp(get(t, q, "host"), host) == 0;
        if (newer_same_host || !bad_state(get(t, r, "state")))
            continue;
        size_t used = strlen(line);
        snprintf(line + used, len - used, "; but host %s: run %ld %s", host, get_num(t, r, "run"),
                 get(t, r, "state"));
        return MON_WARNING;
    }
    return MON_OK;
}

/* The health of the nightly job from the latest runs (newest first):
 * CRITICAL when the latest run failed, was refused or died; WARNING when
 * the last finished run is older than max_age, was interrupted or has
 * failed cases (data or rule errors), or a run has been going on for
 * longer than max_age, or another host's latest run within max_age
 * failed, was refused or died; OK otherwise. Runs in progress are passed
 * over to judge the last finished one. */
static enum monitor judge(const struct result *t, long max_age_s, char *line, size_t len)
{
    char age[32], limit[32];
    int r = 0, n = result_rows(t);

    fmt_age(limit, sizeof limit, max_age_s);
    if (n == 0) {
        snprintf(line, len, "no run recorded yet");
        return MON_UNKNOWN;
    }
    const char *state = get(t, 0, "state");
    long run = get_num(t, 0, "run");
    const char *msg = get(t, 0, "message");

    if (bad_state(state)) {
        fmt_age(age, sizeof age, get_num(t, 0, "age_s"));
        snprintf(line, len, "run %ld %s %s ago: %s", run, state, age,
                 msg && *msg ? msg : "no reason recorded");
        return MON_CRITICAL;
    }
    while (r < n && strcmp(get(t, r, "state"), "running") == 0) {
        if (get_num(t, r, "age_s") > max_age_s) {
            fmt_age(age, sizeof age, get_num(t, r, "age_s"));
            snprintf(line, len, "run %ld has been running for %s (more than %s)",
                     get_num(t, r, "run"), age, limit);
            return MON_WARNING;
        }
        r++;
    }
    if (r == n) {
        snprintf(line, len, "run %ld is running; no run has finished yet", run);
        return MON_UNKNOWN;
    }
    state = get(t, r, "state");
    run = get_num(t, r, "run");
    long age_s = get_num(t, r, "age_s"), failures = get_num(t, r, "failures");
    long evaluated = get_num(t, r, "evaluated"), errors = get_num(t, r, "errors");
    fmt_age(age, sizeof age, age_s);
    if (strcmp(state, "done") != 0) {
        /* failed, refused or dead behind a run in progress */
        snprintf(line, len, "last finished run %ld %s %s ago", run, state, age);
        return strcmp(state, "interrupted") == 0 ? MON_WARNING : MON_CRITICAL;
    }
    snprintf(line, len, "run %ld done %s ago: %ld evaluated, %ld failed, %ld legal exclusions", run,
             age, evaluated, failures, errors - failures);
    if (age_s > max_age_s) {
        size_t used = strlen(line);
        snprintf(line + used, len - used, "; older than %s", limit);
        return MON_WARNING;
    }
    if (failures > 0)
        return MON_WARNING;
    return other_host_down(t, max_age_s, line, len);
}

static enum status check(struct ctx *ctx, struct result *t, const struct err *failed)
{
    char line[1024];
    enum monitor m;

    if (failed) {
        /* The database or schema: say which in one line (stderr stays quiet). */
        snprintf(line, sizeof line, "%.*s", (int)strcspn(failed->msg, "\n"), failed->msg);
        m = MON_UNKNOWN;
    } else {
        m = judge(t, ctx->opt.max_age_s, line, sizeof line);
    }
    /* Plugin output: one line; the performance data after "|". A recorded
     * message (a rule file's error, a database's) may hold newlines,
     * control characters or a "|" of its own: each becomes a space, so
     * that the line stays one and its performance data stay ours. */
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '|')
            *p = ' ';
    printf("SENTENCER %s - %s", monitor_names[m], line);
    if (!failed && result_rows(t) > 0)
        printf(" | age=%lds;%ld", get_num(t, 0, "age_s"), ctx->opt.max_age_s);
    putchar('\n');
    ctx->monitor = (int)m;
    return ST_OK;
}

enum status cmd_status(struct ctx *ctx, struct err *err)
{
    struct db *db = NULL;
    struct result *t = NULL;
    char limit[24];
    enum status st;

    snprintf(limit, sizeof limit, "%ld",
             ctx->opt.check       ? CHECK_RUNS
             : ctx->opt.limit > 0 ? ctx->opt.limit
                                  : 10);
    if ((st = db_connect(&db, &ctx->opt.db, err)) == ST_OK &&
        (st = db_check_schema(db, err)) == ST_OK) {
        const char *params[1] = {limit};
        st = db_query(db, Q_STATUS, 1, params, &t, err);
    }
    db_close(db);
    if (ctx->opt.check) {
        st = check(ctx, t, st == ST_OK ? NULL : err);
    } else if (st == ST_OK) {
        switch (ctx->opt.format) {
        case FORMAT_TEXT: st = print_text(t); break;
        case FORMAT_JSON: st = print_json(t, err); break;
        case FORMAT_CSV: st = print_csv(t, err); break;
        }
    }
    result_free(t);
    return st;
}
