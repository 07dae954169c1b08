/*-------------------------------------------------------------------------
 * migrate.c
 *     `sentencer migrate`: bring the schema up to date (the migrations in
 *     sql/, compiled in; see db_migrate), check it, and give the nightly
 *     job's role its rights (sql/grants/job_role.sql).
 *
 * What the connected role may do is read first: a role that can change
 * nothing stops before anything is written (exit 3), naming the privilege
 * it lacks and who can grant it. A role that may apply the schema but not
 * create roles applies it, then prints on standard output the statements a
 * superuser runs to create sentencer_job and grant it its rights, and the
 * command ends "done, but partial" (exit 1) instead of succeeding with a
 * job that cannot run.
 *
 * batch/commands/migrate.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "grants.h"
#include "log.h"

#include <stdio.h>

/* ST_OK when p's role may apply the migrations; else the reason. */
static enum status check_can_migrate(const struct db_privileges *p, struct err *err)
{
    if (p->superuser)
        return ST_OK;
    if (!p->schema_exists && !p->db_create) {
        err_set(err, ST_EDB,
                "role %s may not create schema sentencer in database %s: it lacks the CREATE "
                "privilege on the database",
                p->user, p->database);
        err_detail(err, "Nothing was changed. Creating the nightly job's role sentencer_job also "
                        "needs CREATEROLE (or a superuser); without it migrate prints the "
                        "statements for a superuser to run.");
        err_hint(err,
                 "The database's owner (%s) or a superuser runs GRANT CREATE ON DATABASE %s TO "
                 "%s; or makes %s its owner (ALTER DATABASE %s OWNER TO %s;), then run sentencer "
                 "migrate again.",
                 p->db_owner, p->database, p->user, p->user, p->database, p->user);
        return ST_EDB;
    }
    if (p->foreign_owner[0]) {
        err_set(err, ST_EDB,
                "role %s may not change schema sentencer in database %s: the schema or objects "
                "in it belong to %s",
                p->user, p->database, p->foreign_owner);
        err_detail(err, "Nothing was changed. Migrating alters the schema's tables and functions "
                        "and grants on them, which only their owner may do.");
        err_hint(err,
                 "Run sentencer migrate as %s (or a role that is a member of it) or as a "
                 "superuser.",
                 p->foreign_owner);
        return ST_EDB;
    }
    return ST_OK;
}

/* The statements a superuser runs to create the job's role and give it its
 * rights, on standard output so that they can be piped to psql. */
static void print_superuser_sql(const struct db_privileges *p)
{
    printf("-- Run as a superuser, connected to database %s (sentencer migrate prints this\n"
           "-- because role %s may not create roles). Roles belong to the whole server;\n"
           "-- the grants belong to this database.\n"
           "BEGIN;\n"
           "CREATE ROLE sentencer_job NOLOGIN;\n"
           "%s"
           "COMMIT;\n",
           p->database, p->user, job_role_grants_sql);
    fflush(stdout);
}

enum status cmd_migrate(struct ctx *ctx, struct err *err)
{
    struct db *db;
    struct db_privileges p;
    enum status st;
    int applied = 0;
    bool created = false, granted = false;

    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    if ((st = db_privileges(db, &p, err)) == ST_OK)
        st = check_can_migrate(&p, err);
    if (st == ST_OK)
        st = db_migrate(db, &applied, err);
    if (st == ST_OK)
        st = db_check_schema(db, err);
    /* Read again: the migrations may have created the role, or a
     * superuser may have meanwhile. */
    if (st == ST_OK)
        st = db_privileges(db, &p, err);
    if (st == ST_OK && (p.job_role_exists || p.createrole)) {
        st = db_grant_job_role(db, NULL, &created, err);
        granted = st == ST_OK;
    }
    db_close(db);
    if (st != ST_OK)
        return st;
    log_info("schema up to date (%d migration%s applied)", applied, applied == 1 ? "" : "s");
    if (granted) {
        log_info("role sentencer_job %s its rights in database %s",
                 created ? "created, with" : "has", p.database);
        return ST_OK;
    }
    print_superuser_sql(&p);
    log_warning("the nightly job's role sentencer_job does not exist and role %s may not create "
                "it (it lacks CREATEROLE): the schema is applied, but the job cannot run yet",
                p.user);
    fprintf(stderr,
            "HINT: A superuser runs the statements printed on standard output, connected to "
            "database %s (e.g. sentencer migrate 2>/dev/null | psql -v ON_ERROR_STOP=1 -d %s). "
            "Or a superuser runs CREATE ROLE sentencer_job NOLOGIN; and then %s runs sentencer "
            "grant-job-role ROLE, ROLE being the login role of the nightly job.\n",
            p.database, p.database, p.user);
    ctx->partial = true;
    return ST_OK;
}
