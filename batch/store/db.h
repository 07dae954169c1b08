/*-------------------------------------------------------------------------
 * db.h
 *     Everything that talks to PostgreSQL (only db.c includes libpq):
 *     connecting, migrations, loading imported acts, claiming pending
 *     charges in chunks, storing recommendations, runs, export and the
 *     queries behind explain and status.
 *
 * All SQL is constant text with out-of-line parameters or COPY; no SQL is
 * ever built from data. Every object is schema-qualified (sentencer.*).
 *
 * batch/store/db.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_DB_H
#define SENTENCER_DB_H

#include "case.h"
#include "queries.h"
#include "result.h"
#include "status.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/* How to connect and how long to wait. */
struct db_settings {
    const char *conninfo;      /* a conninfo string or URI; NULL or "": libpq defaults */
    long lock_timeout_ms;      /* a statement waiting longer for a lock fails; 0: no limit */
    long statement_timeout_ms; /* a statement running longer fails; 0: no limit */
    /* When *interrupt (a signal handler's flag) has been non-zero for
     * interrupt_grace_ms while a statement is under way, the statement is
     * cancelled and its call returns ST_EINTR: a statement about to finish
     * (a chunk being stored) may, one waiting for a lock may not. NULL:
     * never. */
    const volatile sig_atomic_t *interrupt;
    long interrupt_grace_ms;
};

/* Defaults of the settings above: 30 s for a lock, 1 h for a statement. */
#define DB_LOCK_TIMEOUT_MS (30L * 1000)
#define DB_STATEMENT_TIMEOUT_MS (3600L * 1000)

/* Connect (s NULL: libpq defaults, no timeouts). application_name=sentencer
 * and a connect timeout of 10 s unless given. A password in the conninfo
 * never appears in a message. *out: free with db_close(). */
enum status db_connect(struct db **out, const struct db_settings *s, struct err *err);
void db_close(struct db *db);

/* ---- schema ---- */

/* Apply the migrations compiled into the program that the database lacks,
 * each in its own transaction, under an advisory lock. *applied = count. */
enum status db_migrate(struct db *db, int *applied, struct err *err);
/* Fail with ST_EDB and a hint to run `sentencer migrate` unless the schema
 * is at the version this program was built for. */
enum status db_check_schema(struct db *db, struct err *err);

/* ---- privileges and the nightly job's role ---- */

/* What the connected role may do to schema sentencer and to the nightly
 * job's role sentencer_job, read before anything is changed. Names are
 * quoted as SQL identifiers where they need it, ready for a statement. */
struct db_privileges {
    char user[136];     /* the connected role */
    char database[136]; /* the database */
    char db_owner[136]; /* its owner */
    bool superuser;
    bool createrole;         /* may create roles: CREATEROLE or superuser */
    bool db_create;          /* CREATE on the database: may create schema sentencer */
    bool schema_exists;      /* schema sentencer exists */
    char schema_owner[136];  /* its owner; "" when it does not exist */
    char foreign_owner[136]; /* an owner of the schema or of an object in it whose
                              * rights the role lacks (it may then neither migrate
                              * nor grant on them); "" when none */
    bool job_role_exists;    /* role sentencer_job exists */
    bool job_role_grantable; /* the role may grant membership in sentencer_job
                              * (superuser; ADMIN OPTION on it; CREATEROLE before
                              * PostgreSQL 16; CREATEROLE when it would create it) */
};
enum status db_privileges(struct db *db, struct db_privileges *p, struct err *err);

/* Give the nightly job's role exactly its rights in this database: create
 * it (NOLOGIN) when it does not exist (*created then true), run
 * sql/grants/job_role.sql and, when member is not NULL, grant it to the
 * role member (the login role the timer uses; quoted here). One
 * transaction, under the migration lock. Needs the schema's owner or a
 * superuser, CREATEROLE to create the role; db_privileges tells. */
enum status db_grant_job_role(struct db *db, const char *member, bool *created, struct err *err);

/* ---- import ---- */

struct db_import_stats {
    long inserted;   /* acts new to the database */
    long updated;    /* acts whose values changed */
    long unchanged;  /* acts identical to what was stored */
    long duplicates; /* rows rejected as repeating a key of the same import */
    int analyzed;    /* statistics refreshed after a large import: 1; it failed
                      * (left to autovacuum): -1; not needed: 0 */
};

/* Reported for a row the database side rejects (a key repeated in the
 * import): line of the row, and the line it repeats. */
typedef void (*db_dup_fn)(void *ud, long line, long first_line);

/* Begin an import: one transaction that first waits for any other import to
 * end (an advisory lock: concurrent imports of the same file then change
 * nothing and never collide), then a COPY into a temporary stage table. */
enum status db_import_begin(struct db *db, struct err *err);
/* Queue one valid act (buffered; sent in large COPY chunks). */
enum status db_import_act(struct db *db, const struct act *a, struct err *err);
/* End the COPY, merge the stage into the acts (new and changed rows only,
 * bumping the facts_rev of charges whose acts changed) and commit. With
 * commit == false everything is rolled back. */
enum status db_import_end(struct db *db, bool commit, struct db_import_stats *stats,
                          db_dup_fn on_dup, void *ud, struct err *err);

/* ---- runs ---- */

/* A run as the job holds it: its id and the secret token that the
 * database's job functions ask for (sql/003_job_functions.sql). Workers
 * get a copy. */
struct db_run {
    int64_t id;
    char token[80];
    int64_t date; /* the day it began (China Standard Time), days since 1970-01-01 */
};

/* The rule set a run evaluates with, as it is stored (sql/004: rule_set,
 * rule_file). All borrowed. */
struct db_rule_set {
    const char *id; /* rules_id() */
    int nfiles;     /* the MANIFEST first, then its files in order */
    const char *const *names;
    const char *const *data;
    const size_t *lens;
    const char *label;               /* NULL: keep the stored label */
    long tests_passed, tests_failed; /* its golden tests; < 0: not run */
};

/* Register the rule set (idempotent; the database checks that the files
 * hash to its id) and record a new run (state running) through
 * sentencer.run_begin(), in one transaction. The session of db holds the
 * run's advisory lock until it ends the run or closes: keep it open for as
 * long as the run goes on. */
enum status db_run_begin(struct db *db, const struct db_rule_set *rs, int workers,
                         struct db_run *run, struct err *err);
/* End the run: state "done", "failed" or "interrupted". covers: the facts
 * generation its outputs were computed at with nothing pending (see
 * output_write_run), 0 for none; the database keeps it only if it still
 * holds. After a lost connection it reconnects once, so that the run does
 * not stay running. */
enum status db_run_end(struct db *db, const struct db_run *run, const char *state,
                       const char *out_dir, const char *message, int64_t covers, struct err *err);
/* The run whose outputs describe the current recommendations of every
 * charge, all evaluated with rule_set at the current facts: *run_id, or 0
 * when something may be pending. Reads a few rows, whatever the size of
 * the database. */
enum status db_current_outputs(struct db *db, const char *rule_set, int64_t *run_id,
                               struct err *err);
/* Mark failed every running run whose session has ended (on any host).
 * *n = how many. */
enum status db_run_reap(struct db *db, int *n, struct err *err);
/* Record a run that refused to start (state refused, sql/006) with the
 * reason, so that monitoring sees the night that did nothing. rule_set:
 * the rule set's id when it is known (NULL otherwise; kept only when the
 * database holds it). *run_id: the run recorded. */
enum status db_run_refused(struct db *db, const char *rule_set, const char *reason, int64_t *run_id,
                           struct err *err);

/* Claim up to limit pending charges of the run (locked FOR UPDATE SKIP
 * LOCKED in a transaction left open), then read their acts in a statement
 * of its own, so that they are the acts of the facts revision the lock
 * holds. *charges: array of *n charges owned by the caller, free each with
 * charge_fini() and the array with free(). *n == 0 (transaction closed)
 * when nothing is pending. */
enum status db_claim(struct db *db, const struct db_run *run, int limit, struct charge **charges,
                     size_t *n, struct err *err);
/* Store the recommendations of a claimed chunk (recs[i] for charges[i])
 * through sentencer.store(), which checks them, and COMMIT. On failure the
 * transaction is rolled back. */
/* The current facts of the charges ids (n of them), in that order, each
 * tried on run_date when no conviction date is recorded; a charge with no
 * act is left out. *charges: *nc charges, free each with charge_fini() and
 * the array with free(). Read-only: what `diff` evaluates. */
enum status db_charges_of(struct db *db, const int64_t *ids, size_t n, int64_t run_date,
                          struct charge **charges, size_t *nc, struct err *err);

enum status db_store(struct db *db, const struct db_run *run, const struct charge *charges,
                     const struct rec *recs, size_t n, struct err *err);
/* Roll back an open transaction (after a failure; never fails). */
void db_rollback(struct db *db);

/* ---- reading recommendations ---- */

/* Called once per recommendation; return false to stop. */
typedef bool (*db_rec_fn)(void *ud, const struct rec *r);

/* Stream the current recommendation of every charge (run_id == 0) or those
 * of one run, ordered by case_no, defendant_no, offense (byte order). */
enum status db_each_rec(struct db *db, int64_t run_id, db_rec_fn fn, void *ud, struct err *err);

/* ---- replaying (explain) ---- */

/* A stored recommendation: rec holds its columns, keys and rule set, and
 * trace_json the trace stored with it by releases before rule sets were
 * stored (NULL since). */
struct db_stored {
    int64_t charge_id, facts_rev, run_id;
    int64_t run_date; /* the day its run began (struct db_run's date) */
    struct rec rec;
};
void db_stored_free(struct db_stored *s, size_t n);

/* The recommendations of case_no (and defendant_no, NULL: all defendants)
 * that are current (run_id 0) or that run run_id stored, by defendant and
 * offense. *out: array of *n, free with db_stored_free(). */
enum status db_stored_recs(struct db *db, int64_t run_id, const char *case_no,
                           const char *defendant_no, struct db_stored **out, size_t *n,
                           struct err *err);

/* The facts of charge charge_id as they were at facts revision rev (acts
 * replaced since included, acts added since left out), by act_no, into
 * *out (charge_fini it). */
enum status db_charge_at(struct db *db, int64_t charge_id, int64_t rev, struct charge *out,
                         struct err *err);

/* The stored files of a rule set, byte for byte (owned; db_files_fini). */
struct db_files {
    int n;
    char **names;
    char **data;
    size_t *lens;
    char *label; /* "" when none */
};
void db_files_fini(struct db_files *f);
/* Fails with ST_EDB and a hint when the rule set's files were never stored
 * (rule sets of runs before schema version 4). */
enum status db_rule_set_files(struct db *db, const char *id, struct db_files *out, struct err *err);

/* Run query q (sql/queries/, see queries.h) with its parameters. */
enum status db_query(struct db *db, enum query_id q, int nparams, const char *const *params,
                     struct result **out, struct err *err);

/* One read-only snapshot (repeatable read) for every query until
 * db_snapshot_end: the files of a run agree with each other. On failure of
 * anything in between, end it with db_rollback. */
enum status db_snapshot_begin(struct db *db, struct err *err);
enum status db_snapshot_end(struct db *db, struct err *err);
/* The id of the open snapshot, for another connection to see the same
 * database (db_snapshot_import, in a worker): valid while this
 * connection's snapshot stays open. */
enum status db_snapshot_export(struct db *db, char *id, size_t len, struct err *err);
/* Begin a snapshot (as db_snapshot_begin) that is the exported one. */
enum status db_snapshot_import(struct db *db, const char *id, struct err *err);

/* Begin the deviation report's transaction (repeatable read) with its
 * temporary table of judged defendants; end it with db_snapshot_end, or
 * db_rollback on failure. */
enum status db_deviation_begin(struct db *db, struct err *err);

/* A cursor over query q, inside a transaction (a snapshot): fetch its rows
 * 2,000 at a time until a result has none, then close it. One at a time. */
enum status db_cursor_open(struct db *db, enum query_id q, int nparams, const char *const *params,
                           struct err *err);
enum status db_cursor_fetch(struct db *db, struct result **out, struct err *err);
enum status db_cursor_close(struct db *db, struct err *err);

#endif
