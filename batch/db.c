/*-------------------------------------------------------------------------
 * db.c
 *     The only file that includes libpq: connection, migrations, import
 *     stage and merge, chunk claiming and storing, runs, export, queries.
 *
 * SQL is constant text; values travel as out-of-line parameters or in COPY
 * data, never inside the SQL. Column lists are derived once from the
 * compiled-in field tables (case.c), which are constants, not data.
 *
 * batch/db.c
 *-------------------------------------------------------------------------
 */
#include "db.h"

#include "buf.h"
#include "migrations.h"
#include "queries.h"
#include "value.h"

#include <libpq-fe.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)

struct db {
    PGconn *conn;
    struct buf copybuf; /* COPY data waiting to be sent */
    char *act_cols;     /* "case_no, defendant_no, ..." of sentencer.act */
    char *rec_cols;     /* "status, error, ..., rule_set" of sentencer.recommendation */
    char *sql_copy_stage;
    char *sql_merge_insert;
    char *sql_claim;
    char *sql_copy_recs;
    char *sql_export_current;
    char *sql_export_run;
    long import_rows;
    int64_t claim_after; /* claims resume after this id (see db_claim) */
};

/* ----------------------------------------------------------------------
 * Helpers
 * ----------------------------------------------------------------------
 */

/* A number the server produced (count(*), ids, versions): well formed by
 * construction, so no error report is needed; a NULL or garbage reads as 0. */
static long strtol_or0(const char *s)
{
    return s ? strtol(s, NULL, 10) : 0;
}

/* Fill err from a failed result or the connection, with the SQLSTATE. */
static enum status db_fail(struct db *db, PGresult *res, const char *what, struct err *err)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    size_t n = strlen(msg);

    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    err_set(err, ST_EDB, "%s failed: %.*s", what, (int)n, msg);
    if (state)
        err_detail(err, "SQLSTATE %s", state);
    /* The server may report the end of the session (57P01 for a terminated
     * backend or a fast shutdown) before libpq notices the closed socket. */
    if (PQstatus(db->conn) != CONNECTION_OK ||
        (state && (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0)))
        err_hint(err, "The connection to the database was lost; the work in hand was rolled "
                      "back. Rerun when the server is back.");
    else if (state && strcmp(state, "42501") == 0)
        err_hint(err, "Connect as a role with the privilege; the nightly job's role "
                      "sentencer_job may only read cases and write recommendations, runs and "
                      "errors (import and migrate need the owner).");
    if (res)
        PQclear(res);
    return ST_EDB;
}

/* Run a statement without parameters that returns no rows. */
static enum status exec_cmd(struct db *db, const char *sql, const char *what, struct err *err)
{
    PGresult *res = PQexec(db->conn, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(db, res, what, err);
    PQclear(res);
    return ST_OK;
}

/* Run a parameterised statement; *out gets the result (caller PQclears) or
 * NULL when out is NULL. */
static enum status exec_params(struct db *db, const char *sql, int n, const char *const *params,
                               PGresult **out, const char *what, struct err *err)
{
    PGresult *res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(db, res, what, err);
    if (out)
        *out = res;
    else
        PQclear(res);
    return ST_OK;
}

static bool add_cols(struct buf *b, bool rec)
{
    int n = rec ? R__COUNT : F__COUNT;
    bool first = true;

    for (int i = 0; i < n; i++) {
        const struct field_def *d = rec ? &rec_fields[i] : &case_fields[i];

        if (rec && (i == R_CASE_NO || i == R_DEFENDANT_NO || i == R_OFFENSE))
            continue;
        if (!first && !buf_adds(b, ", "))
            return false;
        if (!buf_adds(b, field_db_name(d)))
            return false;
        first = false;
    }
    return true;
}

/* Build the statements that list columns, from the field tables. */
static bool build_sql(struct db *db)
{
    struct buf a = {0}, r = {0}, s = {0};

    if (!add_cols(&a, false) || !add_cols(&r, true))
        goto oom;
    db->act_cols = buf_take(&a);
    db->rec_cols = buf_take(&r);

    if (!buf_printf(&s, "COPY pg_temp.import_stage (%s, line) FROM STDIN", db->act_cols))
        goto oom;
    db->sql_copy_stage = buf_take(&s);
    if (!buf_printf(&s,
                    "INSERT INTO sentencer.act (charge_id, %s) "
                    "SELECT charge_id, %s FROM pg_temp.import_changed",
                    db->act_cols, db->act_cols))
        goto oom;
    db->sql_merge_insert = buf_take(&s);
    if (!buf_printf(&s,
                    "WITH claimed AS ("
                    " SELECT id, facts_rev FROM sentencer.charge"
                    " WHERE id > $3 AND (evaluated_rev IS DISTINCT FROM facts_rev"
                    "    OR evaluated_rule_set IS DISTINCT FROM $1)"
                    " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
                    "SELECT c.id, c.facts_rev, %s FROM claimed c"
                    " JOIN sentencer.act a ON a.charge_id = c.id ORDER BY c.id, a.act_no",
                    db->act_cols))
        goto oom;
    db->sql_claim = buf_take(&s);
    if (!buf_printf(&s,
                    "COPY sentencer.recommendation (charge_id, run_id, facts_rev, %s, trace) "
                    "FROM STDIN",
                    db->rec_cols))
        goto oom;
    db->sql_copy_recs = buf_take(&s);
    if (!buf_printf(&s,
                    "COPY (SELECT c.case_no, c.defendant_no, c.offense, %s"
                    " FROM sentencer.recommendation r"
                    " JOIN sentencer.charge c ON c.id = r.charge_id WHERE r.is_current"
                    " ORDER BY c.case_no COLLATE \"C\", c.defendant_no COLLATE \"C\", c.offense)"
                    " TO STDOUT",
                    db->rec_cols))
        goto oom;
    db->sql_export_current = buf_take(&s);
    if (!buf_printf(&s,
                    "COPY (SELECT c.case_no, c.defendant_no, c.offense, %s"
                    " FROM sentencer.recommendation r"
                    " JOIN sentencer.charge c ON c.id = r.charge_id"
                    " WHERE r.run_id = current_setting('sentencer.export_run')::bigint"
                    " ORDER BY c.case_no COLLATE \"C\", c.defendant_no COLLATE \"C\", c.offense)"
                    " TO STDOUT",
                    db->rec_cols))
        goto oom;
    db->sql_export_run = buf_take(&s);
    return true;
oom:
    buf_fini(&a);
    buf_fini(&r);
    buf_fini(&s);
    return false;
}

/* ----------------------------------------------------------------------
 * Connection
 * ----------------------------------------------------------------------
 */

enum status db_connect(struct db **out, const char *conninfo, struct err *err)
{
    const char *keys[5], *vals[5];
    int k = 0;
    struct db *db = calloc(1, sizeof *db);

    if (!db)
        return err_set(err, ST_ENOMEM, "out of memory");
    /* Defaults first: the caller's conninfo (expanded last) overrides them. */
    keys[k] = "fallback_application_name", vals[k++] = "sentencer";
    keys[k] = "client_encoding", vals[k++] = "UTF8";
    if (!getenv("PGCONNECT_TIMEOUT"))
        keys[k] = "connect_timeout", vals[k++] = "10";
    keys[k] = "dbname", vals[k++] = conninfo && *conninfo ? conninfo : NULL;
    keys[k] = NULL, vals[k] = NULL;
    if (!vals[k - 1])
        keys[k - 1] = NULL;
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
        const char *msg = db->conn ? PQerrorMessage(db->conn) : "out of memory";
        size_t n = strlen(msg);
        while (n > 0 && msg[n - 1] == '\n')
            n--;
        err_set(err, ST_EDB, "could not connect to the database: %.*s", (int)n, msg);
        err_hint(err, "Start the private cluster (scripts/local-db start, then eval \"$(scripts/"
                      "local-db env)\"), or point sentencer at a server with --db CONNINFO or "
                      "PGHOST/PGDATABASE.");
        db_close(db);
        return ST_EDB;
    }
    if (!build_sql(db)) {
        db_close(db);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    /* Dates in ISO form, whatever the server's default. */
    enum status st = exec_cmd(db, "SET datestyle = ISO, YMD; SET client_min_messages = warning",
                              "setting the date style", err);
    if (st != ST_OK) {
        db_close(db);
        return st;
    }
    *out = db;
    return ST_OK;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    if (db->conn)
        PQfinish(db->conn);
    buf_fini(&db->copybuf);
    free(db->act_cols);
    free(db->rec_cols);
    free(db->sql_copy_stage);
    free(db->sql_merge_insert);
    free(db->sql_claim);
    free(db->sql_copy_recs);
    free(db->sql_export_current);
    free(db->sql_export_run);
    free(db);
}

void db_rollback(struct db *db)
{
    if (PQstatus(db->conn) != CONNECTION_OK)
        return;
    if (PQtransactionStatus(db->conn) == PQTRANS_ACTIVE) {
        /* A COPY in progress: end it so the connection is usable again. */
        PQputCopyEnd(db->conn, "aborted by sentencer");
        PGresult *res = NULL;
        while ((res = PQgetResult(db->conn)) != NULL)
            PQclear(res);
    }
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        PQclear(PQexec(db->conn, "ROLLBACK"));
}

/* ----------------------------------------------------------------------
 * Migrations
 * ----------------------------------------------------------------------
 */

static const char *const sql_migrate_lock =
    "SELECT pg_advisory_xact_lock(hashtext('sentencer.migrate'))";
static const char *const sql_migrate_bootstrap =
    "CREATE SCHEMA IF NOT EXISTS sentencer; "
    "CREATE TABLE IF NOT EXISTS sentencer.schema_migration ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
static const char *const sql_migration_applied =
    "SELECT 1 FROM sentencer.schema_migration WHERE version = $1";
static const char *const sql_migration_record =
    "INSERT INTO sentencer.schema_migration (version, name) VALUES ($1, $2)";
static const char *const sql_schema_version =
    "SELECT coalesce(max(version), 0) FROM sentencer.schema_migration";

enum status db_migrate(struct db *db, int *applied, struct err *err)
{
    enum status st;

    *applied = 0;
    for (int i = -1; i < n_migrations; i++) {
        PGresult *res = NULL;
        char ver[16];
        const char *params[2];

        if ((st = exec_cmd(db, "BEGIN", "starting a transaction", err)) != ST_OK)
            return st;
        if ((st = exec_cmd(db, sql_migrate_lock, "taking the migration lock", err)) != ST_OK)
            goto fail;
        if (i < 0) {
            st = exec_cmd(db, sql_migrate_bootstrap, "creating the migrations table", err);
            if (st != ST_OK)
                goto fail;
        } else {
            snprintf(ver, sizeof ver, "%d", migrations[i].version);
            params[0] = ver;
            params[1] = migrations[i].name;
            st = exec_params(db, sql_migration_applied, 1, params, &res,
                             "reading the applied migrations", err);
            if (st != ST_OK)
                goto fail;
            bool done = PQntuples(res) > 0;
            PQclear(res);
            if (!done) {
                char what[128];
                snprintf(what, sizeof what, "migration %s", migrations[i].name);
                if ((st = exec_cmd(db, migrations[i].sql, what, err)) != ST_OK)
                    goto fail;
                st = exec_params(db, sql_migration_record, 2, params, NULL,
                                 "recording the migration", err);
                if (st != ST_OK)
                    goto fail;
                (*applied)++;
            }
        }
        if ((st = exec_cmd(db, "COMMIT", "committing the migration", err)) != ST_OK)
            goto fail;
    }
    return ST_OK;
fail:
    db_rollback(db);
    return st;
}

enum status db_check_schema(struct db *db, struct err *err)
{
    PGresult *res = PQexec(db->conn, sql_schema_version);
    int want = n_migrations ? migrations[n_migrations - 1].version : 0;
    int have;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        /* undefined_table / invalid_schema_name: never migrated */
        if (state && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)) {
            PQclear(res);
            err_set(err, ST_EDB, "the database has no sentencer schema");
            err_hint(err, "Run \"sentencer migrate\" first.");
            return ST_EDB;
        }
        return db_fail(db, res, "reading the schema version", err);
    }
    have = (int)strtol_or0(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (have < want) {
        err_set(err, ST_EDB, "the database schema is at version %d, this program needs %d", have,
                want);
        err_hint(err, "Run \"sentencer migrate\".");
        return ST_EDB;
    }
    if (have > want) {
        err_set(err, ST_EDB, "the database schema (version %d) is newer than this program (%d)",
                have, want);
        err_hint(err, "Install the newer sentencer that migrated this database.");
        return ST_EDB;
    }
    return ST_OK;
}

/* ----------------------------------------------------------------------
 * COPY helpers
 * ----------------------------------------------------------------------
 */

static enum status copy_flush(struct db *db, bool force, struct err *err)
{
    if (db->copybuf.len == 0 || (!force && db->copybuf.len < COPY_CHUNK))
        return ST_OK;
    if (PQputCopyData(db->conn, db->copybuf.data, (int)db->copybuf.len) <= 0)
        return db_fail(db, NULL, "sending COPY data", err);
    buf_reset(&db->copybuf);
    return ST_OK;
}

/* End a COPY FROM STDIN and read its result. */
static enum status copy_end(struct db *db, const char *what, struct err *err)
{
    enum status st = copy_flush(db, true, err);
    PGresult *res = NULL;

    if (st != ST_OK)
        return st;
    if (PQputCopyEnd(db->conn, NULL) <= 0)
        return db_fail(db, NULL, what, err);
    res = PQgetResult(db->conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        st = db_fail(db, res, what, err);
    else
        PQclear(res);
    while ((res = PQgetResult(db->conn)) != NULL) /* pump libpq dry */
        PQclear(res);
    return st;
}

static enum status copy_begin(struct db *db, const char *sql, const char *what, struct err *err)
{
    PGresult *res = PQexec(db->conn, sql);

    if (PQresultStatus(res) != PGRES_COPY_IN)
        return db_fail(db, res, what, err);
    PQclear(res);
    buf_reset(&db->copybuf);
    return ST_OK;
}

/* Append one typed value in COPY text form. */
static bool copy_value(struct buf *b, enum ftype t, bool present, int64_t num, const char *text)
{
    if (!present)
        return buf_add(b, "\\N", 2);
    switch (t) {
    case FT_BOOL: return buf_addc(b, num ? 't' : 'f');
    case FT_INT:
    case FT_COUNT:
    case FT_AMOUNT: return buf_addi(b, num);
    default: return text ? buf_add_copy_text(b, text, strlen(text)) : buf_add(b, "\\N", 2);
    }
}

/* ----------------------------------------------------------------------
 * Import
 * ----------------------------------------------------------------------
 */

static const char *const sql_stage =
    "CREATE TEMP TABLE import_stage (LIKE sentencer.act) ON COMMIT DROP; "
    "ALTER TABLE pg_temp.import_stage DROP COLUMN charge_id, ADD COLUMN line bigint NOT NULL";
static const char *const sql_dups =
    "SELECT line, first_line FROM ("
    " SELECT line, min(line) OVER (PARTITION BY case_no, defendant_no, offense, act_no)"
    "  AS first_line FROM pg_temp.import_stage) d"
    " WHERE line <> first_line ORDER BY line";
static const char *const sql_dups_delete =
    "DELETE FROM pg_temp.import_stage WHERE line IN (SELECT line FROM ("
    " SELECT line, min(line) OVER (PARTITION BY case_no, defendant_no, offense, act_no)"
    "  AS first_line FROM pg_temp.import_stage) d WHERE line <> first_line)";
static const char *const sql_new_charges =
    "INSERT INTO sentencer.charge (case_no, defendant_no, offense)"
    " SELECT DISTINCT case_no, defendant_no, offense FROM pg_temp.import_stage"
    " ON CONFLICT DO NOTHING";
/* Rows that are new or differ from what is stored. */
static const char *const sql_changed =
    "CREATE TEMP TABLE import_changed ON COMMIT DROP AS"
    " SELECT c.id AS charge_id, (a.charge_id IS NOT NULL) AS existed, s.*"
    " FROM pg_temp.import_stage s"
    " JOIN sentencer.charge c ON c.case_no = s.case_no AND c.defendant_no = s.defendant_no"
    "  AND c.offense = s.offense"
    " LEFT JOIN sentencer.act a ON a.charge_id = c.id AND a.act_no = s.act_no"
    " WHERE a.charge_id IS NULL"
    "  OR (to_jsonb(a) - 'charge_id') IS DISTINCT FROM (to_jsonb(s) - 'line')";
static const char *const sql_changed_counts =
    "SELECT count(*) FILTER (WHERE NOT existed), count(*) FILTER (WHERE existed),"
    " (SELECT count(*) FROM pg_temp.import_stage) - count(*) FROM pg_temp.import_changed";
static const char *const sql_delete_changed =
    "DELETE FROM sentencer.act a USING pg_temp.import_changed x"
    " WHERE x.existed AND a.charge_id = x.charge_id AND a.act_no = x.act_no";
static const char *const sql_bump_rev =
    "UPDATE sentencer.charge c SET facts_rev = c.facts_rev + 1"
    " FROM (SELECT DISTINCT charge_id FROM pg_temp.import_changed) x WHERE c.id = x.charge_id";

enum status db_import_begin(struct db *db, struct err *err)
{
    enum status st;

    if ((st = exec_cmd(db, "BEGIN", "starting the import transaction", err)) != ST_OK)
        return st;
    if ((st = exec_cmd(db, sql_stage, "creating the import stage", err)) != ST_OK)
        goto fail;
    if ((st = copy_begin(db, db->sql_copy_stage, "starting COPY", err)) != ST_OK)
        goto fail;
    db->import_rows = 0;
    return ST_OK;
fail:
    db_rollback(db);
    return st;
}

enum status db_import_act(struct db *db, const struct act *a, struct err *err)
{
    struct buf *b = &db->copybuf;

    for (int f = 0; f < F__COUNT; f++) {
        if (!copy_value(b, case_fields[f].type, a->present[f], a->num[f], a->text[f]) ||
            !buf_addc(b, '\t'))
            return err_set(err, ST_ENOMEM, "out of memory");
    }
    if (!buf_addi(b, a->line) || !buf_addc(b, '\n'))
        return err_set(err, ST_ENOMEM, "out of memory");
    db->import_rows++;
    return copy_flush(db, false, err);
}

enum status db_import_end(struct db *db, bool commit, struct db_import_stats *stats,
                          db_dup_fn on_dup, void *ud, struct err *err)
{
    enum status st;
    PGresult *res = NULL;

    memset(stats, 0, sizeof *stats);
    if (!commit) {
        db_rollback(db);
        return ST_OK;
    }
    if ((st = copy_end(db, "loading the import stage", err)) != ST_OK)
        goto fail;
    if ((st = exec_params(db, sql_dups, 0, NULL, &res, "finding repeated keys", err)) != ST_OK)
        goto fail;
    for (int i = 0; i < PQntuples(res); i++) {
        stats->duplicates++;
        if (on_dup)
            on_dup(ud, strtol_or0(PQgetvalue(res, i, 0)), strtol_or0(PQgetvalue(res, i, 1)));
    }
    PQclear(res);
    res = NULL;
    if (stats->duplicates > 0 &&
        (st = exec_cmd(db, sql_dups_delete, "dropping repeated keys", err)) != ST_OK)
        goto fail;
    if ((st = exec_cmd(db, sql_new_charges, "storing new charges", err)) != ST_OK)
        goto fail;
    if ((st = exec_cmd(db, sql_changed, "comparing with the stored acts", err)) != ST_OK)
        goto fail;
    if ((st = exec_params(db, sql_changed_counts, 0, NULL, &res, "counting changes", err)) != ST_OK)
        goto fail;
    stats->inserted = strtol_or0(PQgetvalue(res, 0, 0));
    stats->updated = strtol_or0(PQgetvalue(res, 0, 1));
    stats->unchanged = strtol_or0(PQgetvalue(res, 0, 2));
    PQclear(res);
    res = NULL;
    if ((st = exec_cmd(db, sql_delete_changed, "replacing changed acts", err)) != ST_OK)
        goto fail;
    if ((st = exec_cmd(db, db->sql_merge_insert, "storing acts", err)) != ST_OK)
        goto fail;
    if ((st = exec_cmd(db, sql_bump_rev, "marking changed charges", err)) != ST_OK)
        goto fail;
    if ((st = exec_cmd(db, "COMMIT", "committing the import", err)) != ST_OK)
        goto fail;
    return ST_OK;
fail:
    if (res)
        PQclear(res);
    db_rollback(db);
    return st;
}

/* ----------------------------------------------------------------------
 * Runs
 * ----------------------------------------------------------------------
 */

static const char *const sql_run_start =
    "INSERT INTO sentencer.run (host, pid, rule_set, workers) VALUES ($1, $2, $3, $4)"
    " RETURNING id";
static const char *const sql_run_finish =
    "UPDATE sentencer.run SET state = $2, ended_at = now(), out_dir = $3, message = $4"
    " WHERE id = $1";
static const char *const sql_run_running =
    "SELECT id, pid FROM sentencer.run WHERE state = 'running' AND host = $1";
static const char *const sql_run_mark_failed =
    "UPDATE sentencer.run SET state = 'failed', ended_at = now(),"
    " message = 'the process ended without finishing (killed or crashed)'"
    " WHERE id = $1 AND state = 'running'";

enum status db_run_start(struct db *db, const char *rule_set, int workers, int64_t *run_id,
                         struct err *err)
{
    char host[256] = "unknown", pid[24], nw[16];
    const char *params[4] = {host, pid, rule_set, nw};
    PGresult *res = NULL;
    enum status st;

    gethostname(host, sizeof host - 1);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    snprintf(nw, sizeof nw, "%d", workers);
    st = exec_params(db, sql_run_start, 4, params, &res, "recording the run", err);
    if (st != ST_OK)
        return st;
    *run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return ST_OK;
}

enum status db_run_finish(struct db *db, int64_t run_id, const char *state, const char *out_dir,
                          const char *message, struct err *err)
{
    char id[24];
    const char *params[4] = {id, state, out_dir, message};
    enum status st;

    snprintf(id, sizeof id, "%" PRId64, run_id);
    st = exec_params(db, sql_run_finish, 4, params, NULL, "recording the end of the run", err);
    /* A run that lost its connection (terminated backend, restarted server)
     * reconnects once to record how it ended; else it would stay 'running'
     * until a later run on the same host reaps it, and for ever when the
     * later runs are on other hosts. The statement needs no session state. */
    if (st != ST_OK && PQstatus(db->conn) != CONNECTION_OK) {
        PQreset(db->conn);
        if (PQstatus(db->conn) == CONNECTION_OK)
            st = exec_params(db, sql_run_finish, 4, params, NULL, "recording the end of the run",
                             err);
    }
    return st;
}

enum status db_run_reap(struct db *db, const char *host, bool (*alive)(long pid), int *n,
                        struct err *err)
{
    const char *params[1] = {host};
    PGresult *res = NULL;
    enum status st;

    *n = 0;
    st = exec_params(db, sql_run_running, 1, params, &res, "reading running runs", err);
    if (st != ST_OK)
        return st;
    for (int i = 0; i < PQntuples(res) && st == ST_OK; i++) {
        const char *id[1] = {PQgetvalue(res, i, 0)};
        if (alive(strtol_or0(PQgetvalue(res, i, 1))))
            continue;
        st = exec_params(db, sql_run_mark_failed, 1, id, NULL, "marking a dead run", err);
        (*n)++;
    }
    PQclear(res);
    return st;
}

/* Parse a value read back from the database in text form. */
static bool parse_db_value(const struct field_def *d, const char *s, int64_t *num, char **text)
{
    char reason[128];

    switch (d->type) {
    case FT_BOOL: *num = s[0] == 't'; return true;
    case FT_INT:
    case FT_COUNT:
    case FT_AMOUNT: *num = strtoll(s, NULL, 10); return true;
    case FT_DATE:
        if (!value_parse(d, s, num, reason, sizeof reason))
            return false;
        break;
    case FT_ENUM: {
        int k = enum_find(d->enum_values, s);
        if (k < 0)
            return false;
        *num = k;
        break;
    }
    default: break;
    }
    *text = strdup(s);
    return *text != NULL;
}

enum status db_claim(struct db *db, const char *rule_set, int limit, struct charge **charges,
                     size_t *n, struct err *err)
{
    char lim[16], after[24];
    const char *params[3] = {rule_set, lim, after};
    PGresult *res = NULL;
    enum status st;
    struct charge *cs = NULL;
    size_t nc = 0;
    int rows;

    *n = 0;
    *charges = NULL;
    snprintf(lim, sizeof lim, "%d", limit);
    if ((st = exec_cmd(db, "BEGIN", "starting a chunk", err)) != ST_OK)
        return st;
    /* Claims walk the ids upwards from the last chunk, so that a run scans
     * the table once instead of once per chunk; when the end is reached,
     * one more pass from the start picks up what was locked or changed. */
    for (;;) {
        snprintf(after, sizeof after, "%" PRId64, db->claim_after);
        if ((st = exec_params(db, db->sql_claim, 3, params, &res, "claiming pending cases", err)) !=
            ST_OK)
            goto fail;
        rows = PQntuples(res);
        if (rows > 0 || db->claim_after == 0)
            break;
        PQclear(res);
        db->claim_after = 0;
    }
    if (rows == 0) {
        PQclear(res);
        return exec_cmd(db, "COMMIT", "ending an empty chunk", err);
    }
    db->claim_after = strtoll(PQgetvalue(res, rows - 1, 0), NULL, 10);
    cs = calloc(rows > 0 ? (size_t)rows : 1, sizeof *cs);
    if (!cs) {
        PQclear(res);
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < rows; i++) {
        int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        struct act *a;

        if (nc == 0 || cs[nc - 1].id != id) {
            cs[nc].id = id;
            cs[nc].facts_rev = strtoll(PQgetvalue(res, i, 1), NULL, 10);
            nc++;
        }
        if (!(a = charge_add_act(&cs[nc - 1]))) {
            st = err_set(err, ST_ENOMEM, "out of memory");
            break;
        }
        for (int f = 0; f < F__COUNT; f++) {
            if (PQgetisnull(res, i, f + 2))
                continue;
            if (!parse_db_value(&case_fields[f], PQgetvalue(res, i, f + 2), &a->num[f],
                                &a->text[f])) {
                st = err_set(err, ST_EDB, "unexpected value in column %s: '%s'",
                             case_fields[f].name, PQgetvalue(res, i, f + 2));
                break;
            }
            a->present[f] = 1;
        }
        if (st != ST_OK)
            break;
    }
    PQclear(res);
    if (st != ST_OK) {
        for (size_t i = 0; i < nc; i++)
            charge_fini(&cs[i]);
        free(cs);
        goto fail;
    }
    *charges = cs;
    *n = nc;
    return ST_OK;
fail:
    db_rollback(db);
    return st;
}

static const char *const sql_supersede =
    "UPDATE sentencer.recommendation SET is_current = false, superseded_at = now()"
    " WHERE charge_id = ANY($1::bigint[]) AND is_current";
static const char *const sql_mark_evaluated =
    "UPDATE sentencer.charge c SET evaluated_rev = x.rev, evaluated_rule_set = $3"
    " FROM unnest($1::bigint[], $2::integer[]) AS x(id, rev) WHERE c.id = x.id";
static const char *const sql_record_errors =
    "INSERT INTO sentencer.run_error (run_id, charge_id, message)"
    " SELECT run_id, charge_id, error FROM sentencer.recommendation"
    " WHERE run_id = $1 AND charge_id = ANY($2::bigint[]) AND is_current AND status = 'error'";
static const char *const sql_run_counts =
    "UPDATE sentencer.run SET evaluated = evaluated + $2, errors = errors + $3 WHERE id = $1";

enum status db_store(struct db *db, int64_t run_id, const struct charge *charges,
                     const struct rec *recs, size_t n, struct err *err)
{
    struct buf ids = {0}, revs = {0};
    char run[24], nev[24], nerr[24];
    long errors = 0;
    enum status st = ST_OK;

    snprintf(run, sizeof run, "%" PRId64, run_id);
    buf_addc(&ids, '{');
    buf_addc(&revs, '{');
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            buf_addc(&ids, ',');
            buf_addc(&revs, ',');
        }
        buf_addi(&ids, charges[i].id);
        buf_addi(&revs, charges[i].facts_rev);
        if (recs[i].num[R_STATUS] == 1)
            errors++;
    }
    if (!buf_addc(&ids, '}') || !buf_addc(&revs, '}')) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    {
        const char *p[1] = {ids.data};
        if ((st = exec_params(db, sql_supersede, 1, p, NULL, "superseding recommendations", err)) !=
            ST_OK)
            goto done;
    }
    if ((st = copy_begin(db, db->sql_copy_recs, "starting COPY of recommendations", err)) != ST_OK)
        goto done;
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        struct buf *b = &db->copybuf;
        const struct rec *r = &recs[i];
        bool ok = buf_addi(b, charges[i].id) && buf_addc(b, '\t') && buf_adds(b, run) &&
                  buf_addc(b, '\t') && buf_addi(b, charges[i].facts_rev);

        for (int f = 0; ok && f < R__COUNT; f++) {
            if (f == R_CASE_NO || f == R_DEFENDANT_NO || f == R_OFFENSE)
                continue;
            ok = buf_addc(b, '\t') &&
                 copy_value(b, rec_fields[f].type, r->present[f], r->num[f], r->text[f]);
        }
        ok = ok && buf_addc(b, '\t') &&
             (r->trace_json ? buf_add_copy_text(b, r->trace_json, strlen(r->trace_json))
                            : buf_add(b, "\\N", 2)) &&
             buf_addc(b, '\n');
        st = ok ? copy_flush(db, false, err) : err_set(err, ST_ENOMEM, "out of memory");
    }
    if (st != ST_OK || (st = copy_end(db, "storing recommendations", err)) != ST_OK)
        goto done;
    {
        const char *p[3] = {ids.data, revs.data, recs[0].text[R_RULE_SET]};
        if ((st = exec_params(db, sql_mark_evaluated, 3, p, NULL, "marking cases evaluated",
                              err)) != ST_OK)
            goto done;
    }
    if (errors > 0) {
        const char *p[2] = {run, ids.data};
        if ((st = exec_params(db, sql_record_errors, 2, p, NULL, "recording case errors", err)) !=
            ST_OK)
            goto done;
    }
    snprintf(nev, sizeof nev, "%zu", n);
    snprintf(nerr, sizeof nerr, "%ld", errors);
    {
        const char *p[3] = {run, nev, nerr};
        if ((st = exec_params(db, sql_run_counts, 3, p, NULL, "counting the run's work", err)) !=
            ST_OK)
            goto done;
    }
    st = exec_cmd(db, "COMMIT", "committing the chunk", err);
done:
    if (st != ST_OK)
        db_rollback(db);
    buf_fini(&ids);
    buf_fini(&revs);
    return st;
}

/* ----------------------------------------------------------------------
 * Reading recommendations back
 * ----------------------------------------------------------------------
 */

/* Split one COPY text line into fields in place, undoing its escapes.
 * fields[i] is NULL for \N. Returns the number of fields. */
static int copy_split(char *line, char **fields, int max)
{
    int n = 0;
    bool null_field = false;
    char *r = line, *w = line;

    fields[n++] = w;
    for (;; r++) {
        char c = *r;
        if (c == '\0' || c == '\n' || c == '\t') {
            *w++ = '\0';
            if (null_field)
                fields[n - 1] = NULL;
            null_field = false;
            if (c != '\t' || n == max)
                break;
            fields[n++] = w;
            continue;
        }
        if (c == '\\' && r[1]) {
            r++;
            switch (*r) {
            case 't': *w++ = '\t'; break;
            case 'n': *w++ = '\n'; break;
            case 'r': *w++ = '\r'; break;
            case 'N': null_field = true; break;
            default: *w++ = *r; break;
            }
            continue;
        }
        *w++ = c;
    }
    return n;
}

enum status db_each_rec(struct db *db, int64_t run_id, db_rec_fn fn, void *ud, struct err *err)
{
    PGresult *res = NULL;
    char *line = NULL;
    char *fields[R__COUNT + 1];
    enum status st = ST_OK;
    bool stop = false;
    int len;

    if (run_id > 0) {
        char id[24];
        const char *p[1] = {id};
        snprintf(id, sizeof id, "%" PRId64, run_id);
        st = exec_params(db, "SELECT set_config('sentencer.export_run', $1, false)", 1, p, NULL,
                         "selecting the run", err);
        if (st != ST_OK)
            return st;
    }
    res = PQexec(db->conn, run_id > 0 ? db->sql_export_run : db->sql_export_current);
    if (PQresultStatus(res) != PGRES_COPY_OUT)
        return db_fail(db, res, "reading recommendations", err);
    PQclear(res);
    while ((len = PQgetCopyData(db->conn, &line, 0)) > 0) {
        if (!stop && st == ST_OK) {
            struct rec r = {0};
            int nf = copy_split(line, fields, R__COUNT);

            if (nf != R__COUNT) {
                st = err_set(err, ST_EDB, "unexpected recommendation row (%d fields)", nf);
            } else {
                for (int f = 0; f < R__COUNT && st == ST_OK; f++) {
                    if (!fields[f])
                        continue;
                    if (!parse_db_value(&rec_fields[f], fields[f], &r.num[f], &r.text[f]))
                        st = err_set(err, ST_EDB, "unexpected value in column %s: '%s'",
                                     rec_fields[f].name, fields[f]);
                    r.present[f] = 1;
                }
                if (st == ST_OK && !fn(ud, &r))
                    stop = true;
            }
            rec_fini(&r);
        }
        PQfreemem(line);
        line = NULL;
    }
    if (len == -2)
        return db_fail(db, NULL, "reading recommendations", err);
    while ((res = PQgetResult(db->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && st == ST_OK)
            st = db_fail(db, res, "reading recommendations", err);
        else
            PQclear(res);
    }
    return st;
}

/* ----------------------------------------------------------------------
 * Named queries
 * ----------------------------------------------------------------------
 */

void db_table_free(struct db_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->ncols; i++)
        free(t->names[i]);
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->names);
    free(t->cells);
    free(t);
}

enum status db_query(struct db *db, const char *name, int nparams, const char *const *params,
                     struct db_table **out, struct err *err)
{
    const char *sql = query_sql(name);
    PGresult *res = NULL;
    struct db_table *t;
    enum status st;

    if (!sql)
        return err_set(err, ST_EDB, "no query named \"%s\"", name);
    if ((st = exec_params(db, sql, nparams, params, &res, name, err)) != ST_OK)
        return st;
    t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->nrows = PQntuples(res);
    t->ncols = PQnfields(res);
    t->names = calloc((size_t)t->ncols + 1, sizeof *t->names);
    t->cells = calloc((size_t)t->nrows * (size_t)t->ncols + 1, sizeof *t->cells);
    if (!t->names || !t->cells)
        goto oom;
    for (int c = 0; c < t->ncols; c++)
        if (!(t->names[c] = strdup(PQfname(res, c))))
            goto oom;
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++)
            if (!PQgetisnull(res, r, c) &&
                !(t->cells[r * t->ncols + c] = strdup(PQgetvalue(res, r, c))))
                goto oom;
    PQclear(res);
    *out = t;
    return ST_OK;
oom:
    PQclear(res);
    db_table_free(t);
    return err_set(err, ST_ENOMEM, "out of memory");
}
