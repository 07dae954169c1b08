/*-------------------------------------------------------------------------
 * db.c
 *     The only file that includes libpq: connection, migrations, import
 *     stage and merge, chunk claiming and storing, runs, export, queries.
 *
 * SQL is constant text; values travel as out-of-line parameters or in COPY
 * data, never inside the SQL. Column lists are derived once from the
 * compiled-in field tables (case.c), which are constants, not data.
 *
 * Its length (about 1,800 lines) is on purpose: it is the one place where
 * libpq, the result statuses, cancellation on a signal and the job
 * functions' tokens are handled, so that a reviewer of what reaches the
 * database reads one file. Its sections follow the commands: connection,
 * migrations, import, runs, claim and store, export, replay, query
 * results. Splitting it would spread libpq over several files.
 *
 * batch/store/db.c
 *-------------------------------------------------------------------------
 */
#include "db.h"

#include "buf.h"
#include "grants.h"
#include "migrations.h"
#include "queries.h"
#include "value.h"

#include <libpq-fe.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)

struct db {
    PGconn *conn;
    struct db_settings set; /* conninfo is not kept */
    struct buf copybuf;     /* COPY data waiting to be sent */
    char *act_cols;         /* "case_no, defendant_no, ..." of sentencer.act */
    char *rec_cols;         /* "status, error, ..., rule_set" of sentencer.recommendation */
    char *sql_copy_stage;
    char *sql_merge_insert;
    char *sql_changed;
    char *sql_claimed_acts;
    char *sql_acts_of;
    char *sql_export_current;
    char *sql_export_run;
    char *sql_stored_recs;
    char *sql_acts_at;
    long import_rows;
    int64_t claim_after; /* claims resume after this id (see db_claim) */
};

/* The day a run (alias run) began, in days since 1970-01-01, on the courts'
 * calendar (China Standard Time): the trial date of a charge whose
 * conviction date is not recorded (legal-rules.md 6.3). The same
 * expression for the run and for a replay, whatever the session's zone. */
#define SQL_RUN_DATE "((run.started_at AT TIME ZONE 'Asia/Shanghai')::date - DATE '1970-01-01')"

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

/* Fill err from a failed result or the connection, with the SQLSTATE and a
 * hint for the failures an operator meets: a lost connection, a missing
 * privilege, a lock or statement timeout. */
static enum status db_fail(struct db *db, PGresult *res, const char *what, struct err *err)
{
    /* The server's primary message and detail, without the statement
     * quoted back; libpq's own message when there is no result. */
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *msg = primary ? primary
                      : res   ? PQresultErrorMessage(res)
                              : PQerrorMessage(db->conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    size_t n = strlen(msg);

    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    err_set(err, ST_EDB, "%s failed: %.*s", what, (int)n, msg);
    if (state && detail)
        err_detail(err, "%s (SQLSTATE %s)", detail, state);
    else if (state)
        err_detail(err, "SQLSTATE %s", state);
    /* The server may report the end of the session (57P01 for a terminated
     * backend or a fast shutdown) before libpq notices the closed socket. */
    if (PQstatus(db->conn) != CONNECTION_OK ||
        (state && (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0)))
        err_hint(err, "The connection to the database was lost; the work in hand was rolled "
                      "back. Rerun when the server is back.");
    else if (state && strcmp(state, "42501") == 0 && strstr(msg, "schema sentencer"))
        /* The job's login role without the rights of sentencer_job here:
         * the role was created after the schema, or never granted. */
        err_hint(err,
                 "Role %s may not use schema sentencer in this database: the nightly job's "
                 "role sentencer_job has not been given its rights here, or %s is not a member "
                 "of it. The schema's owner or a superuser runs \"sentencer grant-job-role %s\".",
                 PQuser(db->conn), PQuser(db->conn), PQuser(db->conn));
    else if (state && strcmp(state, "42501") == 0)
        err_hint(err, "Connect as a role with the privilege; the nightly job's role "
                      "sentencer_job may only read cases and call the job's functions "
                      "(import and migrate need the owner). If the nightly job was refused, "
                      "the schema's owner or a superuser runs \"sentencer grant-job-role "
                      "ROLE\".");
    else if (state && strcmp(state, "55P03") == 0)
        err_hint(err,
                 "Waited more than %ld s (--lock-timeout) for a lock while %s: another session "
                 "holds it (a migration, an import, VACUUM FULL, a LOCK TABLE or a transaction "
                 "left open). Find it with \"SELECT pid, usename, state, query FROM "
                 "pg_stat_activity WHERE datname = current_database()\", then rerun, or raise "
                 "--lock-timeout.",
                 db->set.lock_timeout_ms / 1000, what);
    else if (state && strcmp(state, "57014") == 0 && strstr(msg, "statement timeout"))
        err_hint(err,
                 "The statement ran longer than --statement-timeout (%ld s) while %s; nothing "
                 "of it was kept. Rerun when the server is less busy, or raise the timeout.",
                 db->set.statement_timeout_ms / 1000, what);
    if (res)
        PQclear(res);
    return ST_EDB;
}

/* Cancel the statement under way (PQcancel: a request on a connection of
 * its own). */
static void cancel(struct db *db)
{
    PGcancel *c = PQgetCancel(db->conn);

    if (c) {
        char buf[256];
        PQcancel(c, buf, sizeof buf);
        PQfreeCancel(c);
    }
}

/* Wait for the results of a statement sent, polling so that a signal can
 * cancel it (libpq's own wait resumes after a signal). The first failed
 * result is the one reported. Otherwise the last must have status want
 * (PGRES_COMMAND_OK for statements, PGRES_TUPLES_OK for queries, the COPY
 * status for a COPY, whose start ends the wait), or want is -1 for either
 * of the first two (scripts, and the named queries of db_query): rows where
 * none were expected, or none where rows were, is a programming error
 * named as such. *out gets that result (caller PQclears); it is cleared
 * when out is NULL. */
static enum status wait_results(struct db *db, PGresult **out, int want, const char *what,
                                struct err *err)
{
    PGresult *res, *last = NULL, *failed = NULL;
    bool cancelled = false;
    long waited_ms = 0; /* since the interrupt was seen */

    while (PQisBusy(db->conn)) {
        struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLIN};

        if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
            break;
        if (!cancelled && db->set.interrupt && *db->set.interrupt &&
            (waited_ms += 100) > db->set.interrupt_grace_ms) {
            cancel(db);
            cancelled = true;
        }
        if (!PQconsumeInput(db->conn))
            break;
    }
    while ((res = PQgetResult(db->conn)) != NULL) {
        ExecStatusType rs = PQresultStatus(res);

        if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK && rs != PGRES_COPY_IN &&
            rs != PGRES_COPY_OUT && !failed) {
            failed = res;
            continue;
        }
        if (rs == PGRES_COPY_IN || rs == PGRES_COPY_OUT) {
            PQclear(last); /* a COPY goes on: its result is the last */
            last = res;
            break;
        }
        PQclear(last);
        last = res;
    }
    if (failed || !last) {
        PQclear(last);
        if (cancelled && failed && PQresultErrorField(failed, PG_DIAG_SQLSTATE) &&
            strcmp(PQresultErrorField(failed, PG_DIAG_SQLSTATE), "57014") == 0) {
            PQclear(failed);
            err_set(err, ST_EINTR, "interrupted while %s", what);
            return ST_EINTR;
        }
        return db_fail(db, failed, what, err);
    }
    if (want >= 0 && PQresultStatus(last) != (ExecStatusType)want) {
        err_set(err, ST_EDB, "%s: the statement returned %s where %s was expected", what,
                PQresStatus(PQresultStatus(last)), PQresStatus((ExecStatusType)want));
        PQclear(last);
        return ST_EDB;
    }
    if (out)
        *out = last;
    else
        PQclear(last);
    return ST_OK;
}

/* Run statements that return no rows, without parameters (several may be
 * separated by ';': the last one's status counts). */
static enum status exec_command(struct db *db, const char *sql, const char *what, struct err *err)
{
    if (!PQsendQuery(db->conn, sql))
        return db_fail(db, NULL, what, err);
    return wait_results(db, NULL, PGRES_COMMAND_OK, what, err);
}

/* Run a script of statements (a migration): any may return rows. */
static enum status exec_script(struct db *db, const char *sql, const char *what, struct err *err)
{
    if (!PQsendQuery(db->conn, sql))
        return db_fail(db, NULL, what, err);
    return wait_results(db, NULL, -1, what, err);
}

/* Run a parameterised statement that returns no rows. */
static enum status exec_command_params(struct db *db, const char *sql, int n,
                                       const char *const *params, const char *what, struct err *err)
{
    if (!PQsendQueryParams(db->conn, sql, n, NULL, params, NULL, NULL, 0))
        return db_fail(db, NULL, what, err);
    return wait_results(db, NULL, PGRES_COMMAND_OK, what, err);
}

/* Run a parameterised query (rows expected, possibly none); *out gets the
 * result (caller PQclears), or the rows are dropped when out is NULL (a
 * SELECT of a function run for its effect). */
static enum status exec_query(struct db *db, const char *sql, int n, const char *const *params,
                              PGresult **out, const char *what, struct err *err)
{
    if (!PQsendQueryParams(db->conn, sql, n, NULL, params, NULL, NULL, 0))
        return db_fail(db, NULL, what, err);
    return wait_results(db, out, PGRES_TUPLES_OK, what, err);
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
    {
        /* x.case_no, x.defendant_no, ...; and (a.f1, ...) vs (s.f1, ...) */
        struct buf x = {0}, ca = {0}, cs = {0};
        bool ok = true;
        for (int i = 0; ok && i < F__COUNT; i++) {
            const char *name = field_db_name(&case_fields[i]);
            ok = buf_printf(&x, "%sx.%s", i ? ", " : "", name) &&
                 buf_printf(&ca, "%sa.%s", i ? ", " : "", name) &&
                 buf_printf(&cs, "%ss.%s", i ? ", " : "", name);
        }
        ok = ok && buf_printf(&s,
                              "INSERT INTO sentencer.act (charge_id, rev_from, %s) "
                              "SELECT x.charge_id, c.facts_rev, %s FROM pg_temp.import_changed x"
                              " JOIN sentencer.charge c ON c.id = x.charge_id",
                              db->act_cols, x.data);
        if (ok)
            db->sql_merge_insert = buf_take(&s);
        ok = ok && buf_printf(&s,
                              "CREATE TEMP TABLE import_changed ON COMMIT DROP AS"
                              " SELECT c.id AS charge_id, (a.charge_id IS NOT NULL) AS existed, s.*"
                              " FROM pg_temp.import_stage s"
                              " JOIN sentencer.charge c ON c.case_no = s.case_no"
                              "  AND c.defendant_no = s.defendant_no AND c.offense = s.offense"
                              " LEFT JOIN sentencer.act a ON a.charge_id = c.id"
                              "  AND a.act_no = s.act_no"
                              " WHERE a.charge_id IS NULL OR (%s) IS DISTINCT FROM (%s)",
                              ca.data, cs.data);
        if (ok)
            db->sql_changed = buf_take(&s);
        buf_fini(&x);
        buf_fini(&ca);
        buf_fini(&cs);
        if (!ok)
            goto oom;
    }
    if (!buf_printf(&s,
                    "SELECT c.id, c.facts_rev, %s FROM sentencer.act a"
                    " JOIN (SELECT id, facts_rev FROM sentencer.charge"
                    "  WHERE id = ANY ($1::bigint[])) c ON a.charge_id = c.id"
                    " ORDER BY c.id, a.act_no",
                    db->act_cols))
        goto oom;
    db->sql_claimed_acts = buf_take(&s);
    if (!buf_printf(&s,
                    "SELECT c.id, c.facts_rev, %s FROM sentencer.act a"
                    " JOIN (SELECT u.ord, ch.id, ch.facts_rev"
                    "  FROM unnest($1::bigint[]) WITH ORDINALITY u(id, ord)"
                    "  JOIN sentencer.charge ch ON ch.id = u.id) c ON a.charge_id = c.id"
                    " ORDER BY c.ord, a.act_no",
                    db->act_cols))
        goto oom;
    db->sql_acts_of = buf_take(&s);
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
    if (!buf_printf(&s,
                    "SELECT r.charge_id, r.facts_rev, r.run_id, r.trace::text,"
                    " c.case_no, c.defendant_no, c.offense, %s,"
                    " (SELECT " SQL_RUN_DATE " FROM sentencer.run run WHERE run.id = r.run_id)"
                    " FROM sentencer.recommendation r"
                    " JOIN sentencer.charge c ON c.id = r.charge_id"
                    " WHERE c.case_no = $1 AND ($2::text IS NULL OR c.defendant_no = $2)"
                    "  AND CASE WHEN $3::bigint IS NULL THEN r.is_current ELSE r.run_id = $3 END"
                    " ORDER BY c.defendant_no COLLATE \"C\", c.offense",
                    db->rec_cols))
        goto oom;
    db->sql_stored_recs = buf_take(&s);
    if (!buf_printf(&s,
                    "SELECT %s FROM sentencer.act"
                    " WHERE charge_id = $1::bigint AND rev_from <= $2::integer"
                    " UNION ALL SELECT %s FROM sentencer.act_replaced"
                    " WHERE charge_id = $1::bigint AND rev_from <= $2::integer"
                    "  AND rev_to > $2::integer"
                    " ORDER BY act_no",
                    db->act_cols, db->act_cols))
        goto oom;
    db->sql_acts_at = buf_take(&s);
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

/* Replace by asterisks every occurrence in s of the n bytes at secret. */
static void mask(char *s, const char *secret, size_t n)
{
    if (n == 0)
        return;
    for (char *p = s; (p = memmem(p, strlen(p), secret, n)) != NULL; p += n)
        memset(p, '*', n);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Mask in msg the value at v (n bytes) as written and, for a URI, as
 * percent-decoded (libpq may quote either back). */
static void mask_value(char *msg, const char *v, size_t n)
{
    char dec[1024];
    size_t o = 0;

    mask(msg, v, n);
    for (size_t i = 0; i < n && o + 1 < sizeof dec; i++) {
        int hi = i + 2 < n ? hex_digit(v[i + 1]) : -1, lo = i + 2 < n ? hex_digit(v[i + 2]) : -1;
        if (v[i] == '%' && hi >= 0 && lo >= 0) {
            dec[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dec[o++] = v[i];
        }
    }
    mask(msg, dec, o);
}

/* Mask in msg every password conninfo holds: as libpq reads it, and as
 * written in a URI's user info, a password= parameter of a URI or a
 * password keyword, which a conninfo too malformed for libpq to parse may
 * still hold (libpq quotes it back). */
static void redact(char *msg, const char *conninfo)
{
    PQconninfoOption *opts;
    const char *p, *q;
    bool uri;

    if (!conninfo || !*conninfo)
        return;
    if ((opts = PQconninfoParse(conninfo, NULL)) != NULL) {
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, "password") == 0 && o->val)
                mask(msg, o->val, strlen(o->val));
        PQconninfoFree(opts);
    }
    uri = (p = strstr(conninfo, "://")) != NULL;
    if (uri) {
        const char *at = strchr(p + 3, '@');
        const char *colon = memchr(p + 3, ':', at ? (size_t)(at - (p + 3)) : 0);
        if (at && colon) {
            mask_value(msg, colon + 1, (size_t)(at - colon - 1));
            /* A raw '/', '?' or '#' in the password ends the authority
             * there: libpq then quotes the pieces (the first as a port,
             * the rest in the database name). Mask each piece too. */
            for (const char *v = colon + 1; v < at;) {
                size_t n = 0;
                while (v + n < at && !strchr("/?#", v[n]))
                    n++;
                if (v + n < at || v != colon + 1)
                    mask_value(msg, v, n);
                v += n + 1;
            }
        } else if (!at) {
            /* No host: "u:secret" of a URI whose @host was left out reads
             * as host:port, and libpq quotes the "port". Mask it, up to
             * the path, the parameters or the next host, unless it is a
             * port number. */
            const char *end = p + 3 + strcspn(p + 3, "/?#,");
            if ((colon = memchr(p + 3, ':', (size_t)(end - (p + 3)))) != NULL &&
                strspn(colon + 1, "0123456789") < (size_t)(end - colon - 1))
                mask_value(msg, colon + 1, (size_t)(end - colon - 1));
        }
    }
    for (p = conninfo; (p = strstr(p, "password")) != NULL;) {
        p += strlen("password");
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\'') {
            for (q = ++p; *q && *q != '\''; q++)
                if (*q == '\\' && q[1])
                    q++;
        } else {
            /* A URI parameter ends at & or #; a keyword value at a blank. */
            for (q = p; *q && *q != ' ' && *q != '\t' && *q != '\'' && *q != '"' &&
                        !(uri && (*q == '&' || *q == '#'));
                 q++)
                ;
        }
        mask_value(msg, p, (size_t)(q - p));
        p = q;
    }
}

/* Whether two socket directories are the same: by their real paths when
 * both exist, else as written (a stopped cluster's directory may be gone),
 * trailing slashes aside. */
static bool same_dir(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    size_t na = strlen(a), nb = strlen(b);

    if (realpath(a, ra) && realpath(b, rb))
        return strcmp(ra, rb) == 0;
    while (na > 1 && a[na - 1] == '/')
        na--;
    while (nb > 1 && b[nb - 1] == '/')
        nb--;
    return na == nb && memcmp(a, b, na) == 0;
}

/* The hint of a failed connection. Only a connection to the project's
 * private cluster is told to start it: `scripts/local-db env` exports its
 * socket directory as SENTENCER_LOCAL_DB, and the failed connection went to
 * that directory. Anything else (a production server, a socket directory
 * of the system) is a server this program does not run: the hint names it
 * and where its address came from. */
static void connect_hint(const PGconn *conn, const char *conninfo, struct err *err)
{
    const char *local = getenv("SENTENCER_LOCAL_DB");
    /* Copies masked whole before they are cut to fit: a malformed URI can
     * put its password where libpq reads a host or a port
     * (postgresql://u:secret with no host). */
    char *host = conn && PQhost(conn) ? strdup(PQhost(conn)) : NULL;
    char *port = conn && PQport(conn) ? strdup(PQport(conn)) : NULL;

    if (host)
        redact(host, conninfo);
    if (port)
        redact(port, conninfo);
    if (!host || !*host)
        err_hint(err, "Check the server named by --db, PGHOST, PGPORT or PGSERVICE (the service "
                      "file): is it up, and does it let this user in?");
    else if (local && *local && host[0] == '/' && same_dir(host, local))
        err_hint(err,
                 "This is the project's private development cluster (socket directory %.200s, "
                 "from scripts/local-db env): start it with scripts/local-db start.",
                 host);
    else
        err_hint(err,
                 "Check that the server %s %.200s, port %.20s, is up and lets this user in; it "
                 "was chosen by --db, else PGHOST, PGPORT, PGSERVICE (the service file) and the "
                 "libpq defaults. Connect to another server with --db or those variables.",
                 host[0] == '/' ? "on the Unix socket in" : "at", host,
                 port && *port ? port : "5432");
    free(host);
    free(port);
}

enum status db_connect(struct db **out, const struct db_settings *set, struct err *err)
{
    static const struct db_settings none = {0};
    const char *keys[5], *vals[5];
    const char *conninfo;
    int k = 0;
    struct db *db = calloc(1, sizeof *db);

    if (!set)
        set = &none;
    conninfo = set->conninfo;
    if (!db)
        return err_set(err, ST_ENOMEM, "out of memory");
    db->set = *set;
    db->set.conninfo = NULL;
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
        /* Masked whole, before the message is cut to fit: a cut could
         * leave part of a password that no longer matches. */
        char *msg = strdup(db->conn ? PQerrorMessage(db->conn) : "out of memory");
        size_t n = msg ? strlen(msg) : 0;
        if (msg)
            redact(msg, conninfo);
        while (n > 0 && msg[n - 1] == '\n')
            n--;
        err_set(err, ST_EDB, "could not connect to the database: %.*s", (int)n,
                msg ? msg : "out of memory");
        free(msg);
        connect_hint(db->conn, conninfo, err);
        db_close(db);
        return ST_EDB;
    }
    if (!build_sql(db)) {
        db_close(db);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    /* Dates in ISO form, whatever the server's default; the timeouts. */
    enum status st = exec_command(db, "SET datestyle = ISO, YMD; SET client_min_messages = warning",
                                  "setting the date style", err);
    if (st == ST_OK) {
        char l[32], s2[32];
        const char *p[2] = {l, s2};
        snprintf(l, sizeof l, "%ld", set->lock_timeout_ms);
        snprintf(s2, sizeof s2, "%ld", set->statement_timeout_ms);
        st = exec_query(db,
                        "SELECT set_config('lock_timeout', $1, false),"
                        " set_config('statement_timeout', $2, false)",
                        2, p, NULL, "setting the timeouts", err);
    }
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
    free(db->sql_changed);
    free(db->sql_claimed_acts);
    free(db->sql_acts_of);
    free(db->sql_export_current);
    free(db->sql_export_run);
    free(db->sql_stored_recs);
    free(db->sql_acts_at);
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
/* The schema is created only when missing: CREATE SCHEMA IF NOT EXISTS
 * asks for CREATE on the database even when the schema is there, which its
 * owner need not have. */
static const char *const sql_migrate_bootstrap =
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace"
    " WHERE nspname = 'sentencer') THEN CREATE SCHEMA sentencer; END IF; END $$; "
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

        if ((st = exec_command(db, "BEGIN", "starting a transaction", err)) != ST_OK)
            return st;
        if ((st = exec_query(db, sql_migrate_lock, 0, NULL, NULL, "taking the migration lock",
                             err)) != ST_OK)
            goto fail;
        if (i < 0) {
            st = exec_command(db, sql_migrate_bootstrap, "creating the migrations table", err);
            if (st != ST_OK)
                goto fail;
        } else {
            snprintf(ver, sizeof ver, "%d", migrations[i].version);
            params[0] = ver;
            params[1] = migrations[i].name;
            st = exec_query(db, sql_migration_applied, 1, params, &res,
                            "reading the applied migrations", err);
            if (st != ST_OK)
                goto fail;
            bool done = PQntuples(res) > 0;
            PQclear(res);
            if (!done) {
                char what[128];
                snprintf(what, sizeof what, "migration %s", migrations[i].name);
                if ((st = exec_script(db, migrations[i].sql, what, err)) != ST_OK)
                    goto fail;
                st = exec_command_params(db, sql_migration_record, 2, params,
                                         "recording the migration", err);
                if (st != ST_OK)
                    goto fail;
                (*applied)++;
            }
        }
        if ((st = exec_command(db, "COMMIT", "committing the migration", err)) != ST_OK)
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
 * Privileges and the nightly job's role
 * ----------------------------------------------------------------------
 */

/* One row: what db_privileges reports, in its order. The owners are those
 * of the schema and of every table, function and type in it: migrating
 * alters them and granting on them needs their rights (a GRANT without them
 * only warns, so it is checked here, not left to fail). */
static const char *const sql_privileges =
    "SELECT quote_ident(current_user::text), quote_ident(current_database()::text),"
    " quote_ident(pg_catalog.pg_get_userbyid(d.datdba)::text),"
    " r.rolsuper, r.rolsuper OR r.rolcreaterole,"
    " pg_catalog.has_database_privilege(current_database(), 'CREATE'),"
    " n.oid IS NOT NULL,"
    " coalesce(quote_ident(pg_catalog.pg_get_userbyid(n.nspowner)::text), ''),"
    " coalesce((SELECT quote_ident(pg_catalog.pg_get_userbyid(o.owner)::text) FROM ("
    "   SELECT n.nspowner AS owner"
    "   UNION SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid"
    "   UNION SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid"
    "   UNION SELECT t.typowner FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid) o"
    "  WHERE NOT pg_catalog.pg_has_role(o.owner, 'USAGE') LIMIT 1), ''),"
    " j.oid IS NOT NULL,"
    " CASE WHEN r.rolsuper THEN true WHEN j.oid IS NULL THEN r.rolcreaterole"
    "  ELSE pg_catalog.pg_has_role(j.oid, 'USAGE WITH ADMIN OPTION')"
    "   OR (r.rolcreaterole AND current_setting('server_version_num')::integer < 160000) END"
    " FROM pg_catalog.pg_roles r"
    " JOIN pg_catalog.pg_database d ON d.datname = current_database()"
    " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = 'sentencer'"
    " LEFT JOIN pg_catalog.pg_roles j ON j.rolname = 'sentencer_job'"
    " WHERE r.rolname = current_user";
static const char *const sql_job_role_exists =
    "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'sentencer_job'";
static const char *const sql_role_exists = "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1";
static const char *const sql_job_role_create = "CREATE ROLE sentencer_job NOLOGIN";

static void copy_name(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

enum status db_privileges(struct db *db, struct db_privileges *p, struct err *err)
{
    PGresult *res = NULL;
    enum status st;

    memset(p, 0, sizeof *p);
    st = exec_query(db, sql_privileges, 0, NULL, &res, "reading the privileges of this role", err);
    if (st != ST_OK)
        return st;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return err_set(err, ST_EDB, "reading the privileges of this role: no row for it");
    }
    copy_name(p->user, sizeof p->user, PQgetvalue(res, 0, 0));
    copy_name(p->database, sizeof p->database, PQgetvalue(res, 0, 1));
    copy_name(p->db_owner, sizeof p->db_owner, PQgetvalue(res, 0, 2));
    p->superuser = PQgetvalue(res, 0, 3)[0] == 't';
    p->createrole = PQgetvalue(res, 0, 4)[0] == 't';
    p->db_create = PQgetvalue(res, 0, 5)[0] == 't';
    p->schema_exists = PQgetvalue(res, 0, 6)[0] == 't';
    copy_name(p->schema_owner, sizeof p->schema_owner, PQgetvalue(res, 0, 7));
    copy_name(p->foreign_owner, sizeof p->foreign_owner, PQgetvalue(res, 0, 8));
    p->job_role_exists = PQgetvalue(res, 0, 9)[0] == 't';
    p->job_role_grantable = PQgetvalue(res, 0, 10)[0] == 't';
    PQclear(res);
    return ST_OK;
}

enum status db_grant_job_role(struct db *db, const char *member, bool *created, struct err *err)
{
    PGresult *res = NULL;
    char *ident = NULL;
    struct buf sql = {0};
    bool create;
    enum status st;

    *created = false;
    /* An identifier cannot be a parameter: quoted by libpq instead. */
    if (member && !(ident = PQescapeIdentifier(db->conn, member, strlen(member))))
        return db_fail(db, NULL, "quoting the member role's name", err);
    if ((st = exec_command(db, "BEGIN", "starting a transaction", err)) != ST_OK) {
        PQfreemem(ident);
        return st;
    }
    /* One at a time with migrate, which runs this after the migrations. */
    st = exec_query(db, sql_migrate_lock, 0, NULL, NULL, "taking the migration lock", err);
    if (st == ST_OK)
        st = exec_query(db, sql_job_role_exists, 0, NULL, &res, "looking up role sentencer_job",
                        err);
    if (st != ST_OK)
        goto fail;
    create = PQntuples(res) == 0;
    PQclear(res);
    res = NULL;
    if (member) {
        const char *params[1] = {member};
        st = exec_query(db, sql_role_exists, 1, params, &res, "looking up the member role", err);
        if (st != ST_OK)
            goto fail;
        bool found = PQntuples(res) > 0;
        PQclear(res);
        res = NULL;
        if (!found) {
            st = err_set(err, ST_EDB, "role %s does not exist", ident);
            err_hint(err,
                     "Name the login role the nightly job connects as, or create it first (a "
                     "superuser or a role with CREATEROLE runs CREATE ROLE %s LOGIN;), then "
                     "run sentencer grant-job-role again.",
                     ident);
            goto fail;
        }
    }
    if (create &&
        (st = exec_command(db, sql_job_role_create, "creating role sentencer_job", err)) != ST_OK)
        goto fail;
    st = exec_script(db, job_role_grants_sql, "granting role sentencer_job its rights", err);
    if (st != ST_OK)
        goto fail;
    if (member) {
        if (!buf_printf(&sql, "GRANT sentencer_job TO %s", ident)) {
            st = err_set(err, ST_ENOMEM, "out of memory");
            goto fail;
        }
        st = exec_command(db, sql.data, "granting role sentencer_job to the member role", err);
        if (st != ST_OK)
            goto fail;
    }
    if ((st = exec_command(db, "COMMIT", "committing the grants", err)) != ST_OK)
        goto fail;
    *created = create;
    PQfreemem(ident);
    buf_fini(&sql);
    return ST_OK;
fail:
    db_rollback(db);
    PQfreemem(ident);
    buf_fini(&sql);
    return st;
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

static const char *const sql_import_lock =
    "SET LOCAL lock_timeout = 0; LOCK TABLE sentencer.import_lock IN EXCLUSIVE MODE";
static const char *const sql_lock_timeout = "SELECT set_config('lock_timeout', $1, true)";
static const char *const sql_stage =
    "CREATE TEMP TABLE import_stage (LIKE sentencer.act) ON COMMIT DROP; "
    "ALTER TABLE pg_temp.import_stage DROP COLUMN charge_id, DROP COLUMN rev_from,"
    " ADD COLUMN line bigint NOT NULL";
static const char *const sql_dups =
    "SELECT line, first_line FROM ("
    " SELECT line, min(line) OVER (PARTITION BY case_no, defendant_no, offense, act_no)"
    "  AS first_line FROM pg_temp.import_stage) d"
    " WHERE line <> first_line ORDER BY line";
static const char *const sql_any_dups =
    "SELECT EXISTS (SELECT FROM pg_temp.import_stage"
    " GROUP BY case_no, defendant_no, offense, act_no HAVING count(*) > 1)";
static const char *const sql_dups_delete =
    "DELETE FROM pg_temp.import_stage WHERE line IN (SELECT line FROM ("
    " SELECT line, min(line) OVER (PARTITION BY case_no, defendant_no, offense, act_no)"
    "  AS first_line FROM pg_temp.import_stage) d WHERE line <> first_line)";
/* Only the keys not stored yet (an anti-join): ON CONFLICT alone would try,
 * and fail, to insert every stored charge again. */
static const char *const sql_new_charges =
    "INSERT INTO sentencer.charge (case_no, defendant_no, offense)"
    " SELECT DISTINCT s.case_no, s.defendant_no, s.offense FROM pg_temp.import_stage s"
    " WHERE NOT EXISTS (SELECT FROM sentencer.charge c WHERE c.case_no = s.case_no"
    "  AND c.defendant_no = s.defendant_no AND c.offense = s.offense)"
    " ON CONFLICT DO NOTHING";
/* Rows that are new or differ from what is stored: sql_changed (built from
 * the field table, see build_sql) compares the typed columns row against
 * row. */
static const char *const sql_changed_counts =
    "SELECT count(*) FILTER (WHERE NOT existed), count(*) FILTER (WHERE existed),"
    " (SELECT count(*) FROM pg_temp.import_stage) - count(*) FROM pg_temp.import_changed";
/* A charge that had acts gets a new facts revision; a new one stays at 1. */
static const char *const sql_bump_rev =
    "UPDATE sentencer.charge c SET facts_rev = c.facts_rev + 1"
    " FROM (SELECT DISTINCT charge_id FROM pg_temp.import_changed) x"
    " WHERE c.id = x.charge_id"
    "  AND EXISTS (SELECT FROM sentencer.act a WHERE a.charge_id = c.id)";
/* The acts about to be replaced are kept, valid up to the new revision. */
static const char *const sql_keep_replaced =
    "INSERT INTO sentencer.act_replaced"
    " SELECT a.*, c.facts_rev FROM sentencer.act a"
    " JOIN pg_temp.import_changed x ON x.existed AND a.charge_id = x.charge_id"
    "  AND a.act_no = x.act_no"
    " JOIN sentencer.charge c ON c.id = a.charge_id";
static const char *const sql_delete_changed =
    "DELETE FROM sentencer.act a USING pg_temp.import_changed x"
    " WHERE x.existed AND a.charge_id = x.charge_id AND a.act_no = x.act_no";
static const char *const sql_bump_generation =
    "UPDATE sentencer.facts_generation SET generation = generation + 1"
    " WHERE EXISTS (SELECT FROM pg_temp.import_changed)";

enum status db_import_begin(struct db *db, struct err *err)
{
    enum status st;

    if ((st = exec_command(db, "BEGIN", "starting the import transaction", err)) != ST_OK)
        return st;
    /* One import at a time: a second waits, bounded by the statement
     * timeout rather than the lock timeout (an import of a large file may
     * hold the lock for minutes), then finds the first one's rows stored.
     * A table lock: only a role that may import can take it. */
    if ((st = exec_command(db, sql_import_lock, "waiting for another import to finish", err)) !=
        ST_OK)
        goto fail;
    {
        char ms[32];
        const char *p[1] = {ms};
        snprintf(ms, sizeof ms, "%ld", db->set.lock_timeout_ms);
        if ((st = exec_query(db, sql_lock_timeout, 1, p, NULL, "setting the lock timeout", err)) !=
            ST_OK)
            goto fail;
    }
    if ((st = exec_command(db, sql_stage, "creating the import stage", err)) != ST_OK)
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

/* Acts stored or changed by one import from which it refreshes the
 * tables' statistics. */
#define IMPORT_ANALYZE_ROWS 10000

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
    /* Repeated keys are rare: a hash aggregate says whether there are any
     * before the window query sorts the stage to name them. */
    if ((st = exec_query(db, sql_any_dups, 0, NULL, &res, "finding repeated keys", err)) != ST_OK)
        goto fail;
    bool any = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    res = NULL;
    if (any &&
        (st = exec_query(db, sql_dups, 0, NULL, &res, "finding repeated keys", err)) != ST_OK)
        goto fail;
    for (int i = 0; res && i < PQntuples(res); i++) {
        stats->duplicates++;
        if (on_dup)
            on_dup(ud, strtol_or0(PQgetvalue(res, i, 0)), strtol_or0(PQgetvalue(res, i, 1)));
    }
    PQclear(res);
    res = NULL;
    if (stats->duplicates > 0 &&
        (st = exec_command(db, sql_dups_delete, "dropping repeated keys", err)) != ST_OK)
        goto fail;
    if ((st = exec_command(db, sql_new_charges, "storing new charges", err)) != ST_OK)
        goto fail;
    if ((st = exec_command(db, db->sql_changed, "comparing with the stored acts", err)) != ST_OK)
        goto fail;
    if ((st = exec_query(db, sql_changed_counts, 0, NULL, &res, "counting changes", err)) != ST_OK)
        goto fail;
    stats->inserted = strtol_or0(PQgetvalue(res, 0, 0));
    stats->updated = strtol_or0(PQgetvalue(res, 0, 1));
    stats->unchanged = strtol_or0(PQgetvalue(res, 0, 2));
    PQclear(res);
    res = NULL;
    if ((st = exec_command(db, sql_bump_rev, "marking changed charges", err)) != ST_OK)
        goto fail;
    if ((st = exec_command(db, sql_keep_replaced, "keeping the replaced acts", err)) != ST_OK)
        goto fail;
    if ((st = exec_command(db, sql_delete_changed, "replacing changed acts", err)) != ST_OK)
        goto fail;
    if ((st = exec_command(db, db->sql_merge_insert, "storing acts", err)) != ST_OK)
        goto fail;
    if ((st = exec_command(db, sql_bump_generation, "recording the change", err)) != ST_OK)
        goto fail;
    if ((st = exec_command(db, "COMMIT", "committing the import", err)) != ST_OK)
        goto fail;
    /* A large import changes the tables faster than autovacuum notices:
     * without fresh statistics the next run's claim queries took the wrong
     * plans (1,400 charges/s instead of 12,800 on a million just imported).
     * ANALYZE samples, so this costs seconds; as a role that does not own
     * the tables it only warns. The import is committed by now: a failure
     * here leaves the statistics to autovacuum, and stats->analyzed says
     * so. */
    if (stats->inserted + stats->updated >= IMPORT_ANALYZE_ROWS) {
        struct err ignored;

        stats->analyzed = exec_command(db, "ANALYZE sentencer.charge, sentencer.act",
                                       "updating the tables' statistics", &ignored) == ST_OK
                              ? 1
                              : -1;
    }
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

static const char *const sql_run_begin =
    "SELECT run_id, token FROM sentencer.run_begin($1, $2::integer, $3, $4::integer)";
/* A statement of its own: the one that called run_begin() does not see the
 * row it inserted. */
static const char *const sql_run_date =
    "SELECT " SQL_RUN_DATE " FROM sentencer.run run WHERE run.id = $1::bigint";
static const char *const sql_register =
    "SELECT sentencer.rule_set_register($1, $2::text[], $3::bytea[], $4, $5::integer, "
    "$6::integer)";
static const char *const sql_run_end =
    "SELECT sentencer.run_end($1::bigint, $2, $3, $4, $5, $6::bigint)";
static const char *const sql_run_reap = "SELECT sentencer.run_reap()";
static const char *const sql_run_refused = "SELECT sentencer.run_refused($1, $2::integer, $3, $4)";

/* An array literal of the names ({"a","b"}) and one of the contents as hex
 * bytea ({"\\x0a1b",...}): parameters, never SQL. */
static bool add_file_arrays(struct buf *names, struct buf *data, const struct db_rule_set *rs)
{
    static const char hex[] = "0123456789abcdef";
    bool ok = buf_addc(names, '{') && buf_addc(data, '{');

    for (int i = 0; ok && i < rs->nfiles; i++) {
        const unsigned char *p = (const unsigned char *)rs->data[i];

        ok = (i == 0 || (buf_addc(names, ',') && buf_addc(data, ','))) && buf_addc(names, '"');
        for (const char *c = rs->names[i]; ok && *c; c++)
            ok = (*c != '"' && *c != '\\' ? true : buf_addc(names, '\\')) && buf_addc(names, *c);
        ok = ok && buf_addc(names, '"') && buf_adds(data, "\"\\\\x");
        for (size_t k = 0; ok && k < rs->lens[i]; k++)
            ok = buf_addc(data, hex[p[k] >> 4]) && buf_addc(data, hex[p[k] & 15]);
        ok = ok && buf_addc(data, '"');
    }
    return ok && buf_addc(names, '}') && buf_addc(data, '}');
}

enum status db_run_begin(struct db *db, const struct db_rule_set *rs, int workers,
                         struct db_run *run, struct err *err)
{
    char host[256] = "unknown", pid[24], nw[16], passed[24], failed[24];
    const char *params[4] = {host, pid, rs->id, nw};
    struct buf names = {0}, data = {0};
    PGresult *res = NULL;
    enum status st;

    gethostname(host, sizeof host - 1);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    snprintf(nw, sizeof nw, "%d", workers);
    snprintf(passed, sizeof passed, "%ld", rs->tests_passed);
    snprintf(failed, sizeof failed, "%ld", rs->tests_failed);
    if (!add_file_arrays(&names, &data, rs)) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    /* The rule set is registered in the run's first transaction: no run
     * ever references a rule set the database does not hold. */
    if ((st = exec_command(db, "BEGIN", "recording the run", err)) != ST_OK)
        goto done;
    {
        const char *p[6] = {rs->id,
                            names.data,
                            data.data,
                            rs->label,
                            rs->tests_passed >= 0 ? passed : NULL,
                            rs->tests_failed >= 0 ? failed : NULL};
        if ((st = exec_query(db, sql_register, 6, p, NULL, "storing the rule set", err)) != ST_OK)
            goto fail;
    }
    if ((st = exec_query(db, sql_run_begin, 4, params, &res, "recording the run", err)) != ST_OK)
        goto fail;
    run->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(run->token, sizeof run->token, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    res = NULL;
    {
        char id[24];
        const char *p[1] = {id};

        snprintf(id, sizeof id, "%" PRId64, run->id);
        if ((st = exec_query(db, sql_run_date, 1, p, &res, "recording the run", err)) != ST_OK) {
            run->id = 0;
            goto fail;
        }
        run->date = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
        PQclear(res);
        res = NULL;
    }
    if ((st = exec_command(db, "COMMIT", "recording the run", err)) != ST_OK) {
        run->id = 0;
        goto fail;
    }
    goto done;
fail:
    db_rollback(db);
done:
    buf_fini(&names);
    buf_fini(&data);
    return st;
}

enum status db_run_end(struct db *db, const struct db_run *run, const char *state,
                       const char *out_dir, const char *message, int64_t covers, struct err *err)
{
    char id[24], cov[24];
    const char *params[6] = {id, run->token, state, out_dir, message, covers > 0 ? cov : NULL};
    enum status st;

    snprintf(id, sizeof id, "%" PRId64, run->id);
    snprintf(cov, sizeof cov, "%" PRId64, covers);
    st = exec_query(db, sql_run_end, 6, params, NULL, "recording the end of the run", err);
    /* A run that lost its connection (terminated backend, restarted server)
     * reconnects once to record how it ended; else it would stay 'running'
     * until a later run reaps it. The token is all the call needs. */
    if (st != ST_OK && PQstatus(db->conn) != CONNECTION_OK) {
        PQreset(db->conn);
        if (PQstatus(db->conn) == CONNECTION_OK)
            st = exec_query(db, sql_run_end, 6, params, NULL, "recording the end of the run", err);
    }
    return st;
}

static const char *const sql_current_outputs = "SELECT sentencer.current_outputs($1)";

enum status db_current_outputs(struct db *db, const char *rule_set, int64_t *run_id,
                               struct err *err)
{
    const char *p[1] = {rule_set};
    PGresult *res = NULL;
    enum status st;

    *run_id = 0;
    st = exec_query(db, sql_current_outputs, 1, p, &res, "looking for pending cases", err);
    if (st != ST_OK)
        return st;
    if (!PQgetisnull(res, 0, 0))
        *run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return ST_OK;
}

enum status db_run_reap(struct db *db, int *n, struct err *err)
{
    PGresult *res = NULL;
    enum status st;

    *n = 0;
    st = exec_query(db, sql_run_reap, 0, NULL, &res, "marking ended runs failed", err);
    if (st != ST_OK)
        return st;
    *n = (int)strtol_or0(PQgetvalue(res, 0, 0));
    PQclear(res);
    return ST_OK;
}

enum status db_run_refused(struct db *db, const char *rule_set, const char *reason, int64_t *run_id,
                           struct err *err)
{
    char host[256] = "unknown", pid[24];
    const char *params[4] = {host, pid, rule_set, reason};
    PGresult *res = NULL;
    enum status st;

    gethostname(host, sizeof host - 1);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    *run_id = 0;
    st = exec_query(db, sql_run_refused, 4, params, &res, "recording the refused run", err);
    if (st != ST_OK)
        return st;
    *run_id = strtol_or0(PQgetvalue(res, 0, 0));
    PQclear(res);
    return ST_OK;
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

/* Set field d of a value set (an act's or a rec's present/num/text) from
 * its text as the database gives it; s NULL: SQL null, left absent. */
static enum status set_from_db(const struct field_def *d, const char *s, unsigned char *present,
                               int64_t *num, char **text, struct err *err)
{
    if (!s)
        return ST_OK;
    if (!parse_db_value(d, s, num, text))
        return err_set(err, ST_EDB, "unexpected value in column %s: '%s'", d->name, s);
    *present = 1;
    return ST_OK;
}

/* The act in row `row` of res, its columns (case_fields order) from col0. */
static enum status act_from_row(PGresult *res, int row, int col0, struct act *a, struct err *err)
{
    enum status st = ST_OK;

    for (int f = 0; f < F__COUNT && st == ST_OK; f++)
        st = set_from_db(&case_fields[f],
                         PQgetisnull(res, row, col0 + f) ? NULL : PQgetvalue(res, row, col0 + f),
                         &a->present[f], &a->num[f], &a->text[f], err);
    return st;
}

static const char *const sql_claim =
    "SELECT id, rev FROM sentencer.claim($1::bigint, $2, $3::integer, $4::bigint)";

/* Append the ids of res's first column as an array literal {1,2,3}. */
static bool add_id_array(struct buf *b, PGresult *res)
{
    bool ok = buf_addc(b, '{');

    for (int i = 0; ok && i < PQntuples(res); i++)
        ok = (i == 0 || buf_addc(b, ',')) && buf_adds(b, PQgetvalue(res, i, 0));
    return ok && buf_addc(b, '}');
}

/* Fill cs[] (room for the claimed charges) from the rows of the act read:
 * one row per act, ordered by charge and act. The facts revision each row
 * shows must be the one claimed: the locks keep imports out until commit. */
static enum status fill_charges(PGresult *acts, PGresult *claimed, struct charge *cs, size_t *nc,
                                struct err *err)
{
    int rows = PQntuples(acts);

    *nc = 0;
    for (int i = 0; i < rows; i++) {
        int64_t id = strtoll(PQgetvalue(acts, i, 0), NULL, 10);
        struct act *a;

        if (*nc == 0 || cs[*nc - 1].id != id) {
            int k = (int)*nc;
            if (k >= PQntuples(claimed) || strtoll(PQgetvalue(claimed, k, 0), NULL, 10) != id ||
                strcmp(PQgetvalue(claimed, k, 1), PQgetvalue(acts, i, 1)) != 0)
                return err_set(err, ST_EDB,
                               "charge %" PRId64 " changed between its claim and the reading of "
                               "its acts",
                               id);
            cs[*nc].id = id;
            cs[*nc].facts_rev = strtoll(PQgetvalue(acts, i, 1), NULL, 10);
            (*nc)++;
        }
        if (!(a = charge_add_act(&cs[*nc - 1])))
            return err_set(err, ST_ENOMEM, "out of memory");
        enum status st = act_from_row(acts, i, 2, a, err);
        if (st != ST_OK)
            return st;
    }
    if (*nc != (size_t)PQntuples(claimed))
        return err_set(err, ST_EDB, "%d charges claimed but %zu have acts", PQntuples(claimed),
                       *nc);
    return ST_OK;
}

enum status db_claim(struct db *db, const struct db_run *run, int limit, struct charge **charges,
                     size_t *n, struct err *err)
{
    char id[24], lim[16], after[24];
    const char *params[4] = {id, run->token, lim, after};
    PGresult *claimed = NULL, *acts = NULL;
    struct buf ids = {0};
    struct charge *cs = NULL;
    size_t nc = 0;
    enum status st;
    int rows;

    *n = 0;
    *charges = NULL;
    snprintf(id, sizeof id, "%" PRId64, run->id);
    snprintf(lim, sizeof lim, "%d", limit);
    if ((st = exec_command(db, "BEGIN", "starting a chunk", err)) != ST_OK)
        return st;
    /* Claims walk the ids upwards from the last chunk, so that a run scans
     * the table once instead of once per chunk; when the end is reached,
     * one more pass from the start picks up what was locked or changed. */
    for (;;) {
        snprintf(after, sizeof after, "%" PRId64, db->claim_after);
        if ((st = exec_query(db, sql_claim, 4, params, &claimed, "claiming pending cases", err)) !=
            ST_OK)
            goto fail;
        rows = PQntuples(claimed);
        if (rows > 0 || db->claim_after == 0)
            break;
        PQclear(claimed);
        claimed = NULL;
        db->claim_after = 0;
    }
    if (rows == 0) {
        PQclear(claimed);
        return exec_command(db, "COMMIT", "ending an empty chunk", err);
    }
    db->claim_after = strtoll(PQgetvalue(claimed, rows - 1, 0), NULL, 10);
    /* The acts in a statement of their own: its snapshot is taken after the
     * locks, so it holds every import committed before them. (Read in the
     * claiming statement, they would come from a snapshot taken before the
     * locks, older than the facts revision the lock returns.) */
    if (!add_id_array(&ids, claimed)) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto fail;
    }
    {
        const char *p[1] = {ids.data};
        if ((st = exec_query(db, db->sql_claimed_acts, 1, p, &acts, "reading the claimed acts",
                             err)) != ST_OK)
            goto fail;
    }
    if (!(cs = calloc((size_t)rows, sizeof *cs))) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto fail;
    }
    if ((st = fill_charges(acts, claimed, cs, &nc, err)) != ST_OK)
        goto fail;
    PQclear(claimed);
    PQclear(acts);
    buf_fini(&ids);
    for (size_t i = 0; i < nc; i++)
        cs[i].run_date = run->date; /* tried today when no conviction date is recorded */
    *charges = cs;
    *n = nc;
    return ST_OK;
fail:
    if (cs) {
        for (size_t i = 0; i < (size_t)rows; i++)
            charge_fini(&cs[i]);
        free(cs);
    }
    PQclear(claimed);
    PQclear(acts);
    buf_fini(&ids);
    db_rollback(db);
    return st;
}

/* Append one recommendation as a JSON object keyed by the columns of
 * sentencer.recommendation. */
static bool add_rec_json(struct buf *b, const struct charge *c, const struct rec *r)
{
    bool ok = buf_adds(b, "{\"charge_id\":") && buf_addi(b, c->id) &&
              buf_adds(b, ",\"facts_rev\":") && buf_addi(b, c->facts_rev);

    for (int f = 0; ok && f < R__COUNT; f++) {
        const struct field_def *d = &rec_fields[f];

        if (f == R_CASE_NO || f == R_DEFENDANT_NO || f == R_OFFENSE || f == R_RULE_SET ||
            !r->present[f])
            continue;
        ok = buf_addc(b, ',') && buf_add_json_str(b, field_db_name(d), strlen(field_db_name(d))) &&
             buf_addc(b, ':');
        switch (d->type) {
        case FT_BOOL: ok = ok && buf_adds(b, r->num[f] ? "true" : "false"); break;
        case FT_INT:
        case FT_COUNT:
        case FT_AMOUNT: ok = ok && buf_addi(b, r->num[f]); break;
        default:
            ok = ok && (r->text[f] ? buf_add_json_str(b, r->text[f], strlen(r->text[f]))
                                   : buf_adds(b, "null"));
            break;
        }
    }
    if (ok && r->trace_json)
        ok = buf_adds(b, ",\"trace\":") && buf_adds(b, r->trace_json);
    return ok && buf_addc(b, '}');
}

static const char *const sql_store = "SELECT sentencer.store($1::bigint, $2, $3::jsonb)";

enum status db_charges_of(struct db *db, const int64_t *ids, size_t n, int64_t run_date,
                          struct charge **charges, size_t *nc, struct err *err)
{
    struct buf arr = {0};
    PGresult *acts = NULL;
    struct charge *cs = NULL;
    enum status st = ST_OK;
    size_t k = 0;
    bool ok = buf_addc(&arr, '{');

    *charges = NULL;
    *nc = 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = (i == 0 || buf_addc(&arr, ',')) && buf_addi(&arr, ids[i]);
    if (!ok || !buf_addc(&arr, '}') || !(cs = calloc(n ? n : 1, sizeof *cs))) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    {
        const char *p[1] = {arr.data};
        if ((st = exec_query(db, db->sql_acts_of, 1, p, &acts, "reading the facts", err)) != ST_OK)
            goto done;
    }
    for (int i = 0; i < PQntuples(acts) && st == ST_OK; i++) {
        int64_t id = strtoll(PQgetvalue(acts, i, 0), NULL, 10);
        struct act *a;

        if (k == 0 || cs[k - 1].id != id) {
            if (k == n) {
                st = err_set(err, ST_EDB, "charge %" PRId64 " was not asked for", id);
                break;
            }
            cs[k].id = id;
            cs[k].facts_rev = strtoll(PQgetvalue(acts, i, 1), NULL, 10);
            cs[k].run_date = run_date;
            k++;
        }
        if (!(a = charge_add_act(&cs[k - 1])))
            st = err_set(err, ST_ENOMEM, "out of memory");
        else
            st = act_from_row(acts, i, 2, a, err);
    }
done:
    PQclear(acts);
    buf_fini(&arr);
    if (st != ST_OK) {
        for (size_t i = 0; cs && i < k; i++)
            charge_fini(&cs[i]);
        free(cs);
        return st;
    }
    *charges = cs;
    *nc = k;
    return ST_OK;
}

enum status db_store(struct db *db, const struct db_run *run, const struct charge *charges,
                     const struct rec *recs, size_t n, struct err *err)
{
    struct buf json = {0};
    char id[24];
    enum status st = ST_OK;
    bool ok = buf_addc(&json, '[');

    snprintf(id, sizeof id, "%" PRId64, run->id);
    for (size_t i = 0; ok && i < n; i++)
        ok = (i == 0 || buf_addc(&json, ',')) && add_rec_json(&json, &charges[i], &recs[i]);
    if (!ok || !buf_addc(&json, ']')) {
        st = err_set(err, ST_ENOMEM, "out of memory");
        goto done;
    }
    {
        const char *p[3] = {id, run->token, json.data};
        if ((st = exec_query(db, sql_store, 3, p, NULL, "storing recommendations", err)) != ST_OK)
            goto done;
    }
    st = exec_command(db, "COMMIT", "committing the chunk", err);
done:
    if (st != ST_OK)
        db_rollback(db);
    buf_fini(&json);
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
        st = exec_query(db, "SELECT set_config('sentencer.export_run', $1, false)", 1, p, NULL,
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
                for (int f = 0; f < R__COUNT && st == ST_OK; f++)
                    st = set_from_db(&rec_fields[f], fields[f], &r.present[f], &r.num[f],
                                     &r.text[f], err);
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
 * Replaying: stored recommendations, facts by revision, stored rule sets
 * ----------------------------------------------------------------------
 */

void db_stored_free(struct db_stored *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        rec_fini(&s[i].rec);
    free(s);
}

enum status db_stored_recs(struct db *db, int64_t run_id, const char *case_no,
                           const char *defendant_no, struct db_stored **out, size_t *n,
                           struct err *err)
{
    char id[24];
    const char *p[3] = {case_no, defendant_no, run_id > 0 ? id : NULL};
    PGresult *res = NULL;
    struct db_stored *v = NULL;
    enum status st;
    int rows;

    *out = NULL;
    *n = 0;
    snprintf(id, sizeof id, "%" PRId64, run_id);
    if ((st = exec_query(db, db->sql_stored_recs, 3, p, &res, "reading the recommendation", err)) !=
        ST_OK)
        return st;
    rows = PQntuples(res);
    if (rows > 0 && !(v = calloc((size_t)rows, sizeof *v))) {
        PQclear(res);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    for (int i = 0; i < rows && st == ST_OK; i++) {
        int col = 7; /* after charge_id, facts_rev, run_id, trace and the keys */

        v[i].charge_id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        v[i].facts_rev = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        v[i].run_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        if (!PQgetisnull(res, i, 3) && !(v[i].rec.trace_json = strdup(PQgetvalue(res, i, 3))))
            st = err_set(err, ST_ENOMEM, "out of memory");
        /* case_no, defendant_no, offense, then the rec_cols, then the run date */
        for (int f = 0; f < R__COUNT && st == ST_OK; f++) {
            int c = f == R_CASE_NO ? 4 : f == R_DEFENDANT_NO ? 5 : f == R_OFFENSE ? 6 : col++;

            st = set_from_db(&rec_fields[f], PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c),
                             &v[i].rec.present[f], &v[i].rec.num[f], &v[i].rec.text[f], err);
        }
        v[i].run_date = strtoll(PQgetvalue(res, i, col), NULL, 10);
    }
    PQclear(res);
    if (st != ST_OK) {
        db_stored_free(v, (size_t)rows);
        return st;
    }
    *out = v;
    *n = (size_t)rows;
    return ST_OK;
}

enum status db_charge_at(struct db *db, int64_t charge_id, int64_t rev, struct charge *out,
                         struct err *err)
{
    char id[24], r[24];
    const char *p[2] = {id, r};
    PGresult *res = NULL;
    enum status st;

    memset(out, 0, sizeof *out);
    snprintf(id, sizeof id, "%" PRId64, charge_id);
    snprintf(r, sizeof r, "%" PRId64, rev);
    if ((st = exec_query(db, db->sql_acts_at, 2, p, &res, "reading the facts of the case", err)) !=
        ST_OK)
        return st;
    out->id = charge_id;
    out->facts_rev = rev;
    for (int i = 0; i < PQntuples(res) && st == ST_OK; i++) {
        struct act *a = charge_add_act(out);

        if (!a) {
            st = err_set(err, ST_ENOMEM, "out of memory");
            break;
        }
        st = act_from_row(res, i, 0, a, err);
    }
    PQclear(res);
    if (st != ST_OK)
        charge_fini(out);
    return st;
}

void db_files_fini(struct db_files *f)
{
    for (int i = 0; f->names && f->data && i < f->n; i++) {
        free(f->names[i]);
        free(f->data[i]);
    }
    free(f->names);
    free(f->data);
    free(f->lens);
    free(f->label);
    memset(f, 0, sizeof *f);
}

static const char *const sql_rule_set =
    "SELECT coalesce(label, ''), sha256 IS NOT NULL FROM sentencer.rule_set WHERE id = $1";
static const char *const sql_rule_files =
    "SELECT name, content FROM sentencer.rule_file WHERE rule_set = $1 ORDER BY position";

enum status db_rule_set_files(struct db *db, const char *id, struct db_files *out, struct err *err)
{
    const char *p[1] = {id};
    PGresult *res = NULL;
    enum status st;
    int rows;

    memset(out, 0, sizeof *out);
    if ((st = exec_query(db, sql_rule_set, 1, p, &res, "reading the rule set", err)) != ST_OK)
        return st;
    if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        PQclear(res);
        err_set(err, ST_EDB, "the files of rule set %s are not stored", id);
        err_hint(err, "Rule sets are stored from schema version 4 on; a recommendation made with "
                      "an earlier one shows its stored trace instead.");
        return ST_EDB;
    }
    out->label = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    if (!out->label)
        return err_set(err, ST_ENOMEM, "out of memory");
    /* Binary results: the files come back byte for byte. */
    if (!PQsendQueryParams(db->conn, sql_rule_files, 1, NULL, p, NULL, NULL, 1))
        return db_fail(db, NULL, "reading the rule files", err);
    if ((st = wait_results(db, &res, PGRES_TUPLES_OK, "reading the rule files", err)) != ST_OK)
        return st;
    rows = PQntuples(res);
    out->names = calloc((size_t)rows + 1, sizeof *out->names);
    out->data = calloc((size_t)rows + 1, sizeof *out->data);
    out->lens = calloc((size_t)rows + 1, sizeof *out->lens);
    if (!out->names || !out->data || !out->lens)
        goto oom;
    for (int i = 0; i < rows; i++) {
        size_t nl = (size_t)PQgetlength(res, i, 0), dl = (size_t)PQgetlength(res, i, 1);

        if (!(out->names[i] = malloc(nl + 1)) || !(out->data[i] = malloc(dl + 1)))
            goto oom;
        memcpy(out->names[i], PQgetvalue(res, i, 0), nl);
        out->names[i][nl] = '\0';
        memcpy(out->data[i], PQgetvalue(res, i, 1), dl);
        out->data[i][dl] = '\0';
        out->lens[i] = dl;
        out->n = i + 1;
    }
    PQclear(res);
    return ST_OK;
oom:
    PQclear(res);
    db_files_fini(out);
    return err_set(err, ST_ENOMEM, "out of memory");
}

/* ----------------------------------------------------------------------
 * Named queries
 * ----------------------------------------------------------------------
 */

/* A named query's result, the PGresult itself (see result.h). */
struct result {
    PGresult *pg;
};

int result_rows(const struct result *r)
{
    return r ? PQntuples(r->pg) : 0;
}

int result_cols(const struct result *r)
{
    return r ? PQnfields(r->pg) : 0;
}

const char *result_name(const struct result *r, int col)
{
    return PQfname(r->pg, col);
}

int result_col(const struct result *r, const char *name)
{
    /* PQfnumber would fold an unquoted name to lower case: these are exact. */
    for (int c = 0; r && c < PQnfields(r->pg); c++)
        if (strcmp(PQfname(r->pg, c), name) == 0)
            return c;
    return -1;
}

const char *result_get(const struct result *r, int row, int col)
{
    if (!r || row < 0 || row >= PQntuples(r->pg) || col < 0 || col >= PQnfields(r->pg) ||
        PQgetisnull(r->pg, row, col))
        return NULL;
    return PQgetvalue(r->pg, row, col);
}

void result_free(struct result *r)
{
    if (!r)
        return;
    PQclear(r->pg);
    free(r);
}

/* Run sql (a named query's text, or a statement of db.c's own) and wrap
 * its result; what: the query's name, for messages. */
static enum status run_query(struct db *db, const char *sql, const char *what, int nparams,
                             const char *const *params, int want, struct result **out,
                             struct err *err)
{
    PGresult *res = NULL;
    struct result *r;
    enum status st;

    *out = NULL;
    if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0))
        return db_fail(db, NULL, what, err);
    if ((st = wait_results(db, &res, want, what, err)) != ST_OK)
        return st;
    if (!(r = malloc(sizeof *r))) {
        PQclear(res);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    r->pg = res;
    *out = r;
    return ST_OK;
}

enum status db_query(struct db *db, enum query_id q, int nparams, const char *const *params,
                     struct result **out, struct err *err)
{
    return run_query(db, query_texts[q], query_names[q], nparams, params, PGRES_TUPLES_OK, out,
                     err);
}

/* ---- one snapshot for the files of a run ---- */

/* Read only, repeatable read: every query until db_snapshot_end sees the
 * same database. A handful of large aggregates: no JIT compilation (it
 * costs more than it saves here), and sorts held in memory; both local to
 * the transaction. */
static const char *const sql_snapshot_begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                                              "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'";

/* The deviation report's transaction: repeatable read like a snapshot,
 * but not read only, because it makes a temporary table (dropped at
 * commit) of the judged defendants to find comparable cases with an index
 * (sql/queries/deviation_judged.sql). */
enum status db_deviation_begin(struct db *db, struct err *err)
{
    enum status st = exec_command(db,
                                  "BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL jit = off; "
                                  "SET LOCAL work_mem = '64MB'",
                                  "starting the deviation report", err);

    if (st == ST_OK)
        st = exec_script(db, query_texts[Q_DEVIATION_JUDGED],
                         "collecting the judged defendants (deviation_judged.sql)", err);
    if (st != ST_OK)
        db_rollback(db);
    return st;
}

enum status db_snapshot_begin(struct db *db, struct err *err)
{
    enum status st = exec_command(db, sql_snapshot_begin, "starting the outputs' snapshot", err);

    if (st != ST_OK)
        db_rollback(db);
    return st;
}

enum status db_snapshot_end(struct db *db, struct err *err)
{
    return exec_command(db, "COMMIT", "ending the outputs' snapshot", err);
}

enum status db_snapshot_export(struct db *db, char *id, size_t len, struct err *err)
{
    PGresult *res = NULL;
    enum status st;

    if ((st = exec_query(db, "SELECT pg_export_snapshot()", 0, NULL, &res, "sharing the snapshot",
                         err)) != ST_OK)
        return st;
    snprintf(id, len, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return ST_OK;
}

enum status db_snapshot_import(struct db *db, const char *id, struct err *err)
{
    char sql[128];
    enum status st;

    /* SET TRANSACTION SNAPSHOT takes no parameter: the id, which the
     * server made (hex digits and dashes), is checked and quoted here, as
     * pg_dump does. */
    if (!*id || strlen(id) > 64 || strspn(id, "0123456789ABCDEFabcdef-") != strlen(id))
        return err_set(err, ST_EDB, "not a snapshot id: \"%s\"", id);
    if ((st = exec_command(db, sql_snapshot_begin, "starting the shared snapshot", err)) != ST_OK)
        return st;
    snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", id);
    if ((st = exec_command(db, sql, "taking the shared snapshot", err)) != ST_OK)
        db_rollback(db);
    return st;
}

/* ---- a cursor, for results too large to hold ---- */

enum status db_cursor_open(struct db *db, enum query_id q, int nparams, const char *const *params,
                           struct err *err)
{
    struct buf sql = {0};
    enum status st;

    /* Two constants joined: the statement is still fixed text. */
    if (!buf_adds(&sql, "DECLARE sentencer_cursor NO SCROLL CURSOR FOR\n") ||
        !buf_adds(&sql, query_texts[q])) {
        buf_fini(&sql);
        return err_set(err, ST_ENOMEM, "out of memory");
    }
    if (!PQsendQueryParams(db->conn, sql.data, nparams, NULL, params, NULL, NULL, 0))
        st = db_fail(db, NULL, query_names[q], err);
    else
        st = wait_results(db, NULL, PGRES_COMMAND_OK, query_names[q], err);
    buf_fini(&sql);
    return st;
}

enum status db_cursor_fetch(struct db *db, struct result **out, struct err *err)
{
    return run_query(db, "FETCH FORWARD 2000 FROM sentencer_cursor", "reading through a cursor", 0,
                     NULL, PGRES_TUPLES_OK, out, err);
}

enum status db_cursor_close(struct db *db, struct err *err)
{
    return exec_command(db, "CLOSE sentencer_cursor", "closing a cursor", err);
}
