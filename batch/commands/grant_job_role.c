/*-------------------------------------------------------------------------
 * grant_job_role.c
 *     `sentencer grant-job-role [ROLE]`: give the nightly job's role
 *     sentencer_job exactly its rights in this database (creating it,
 *     NOLOGIN, when missing) and, with ROLE, make the login role the timer
 *     uses a member of it; then print what the role holds. Re-runnable.
 *
 * The rights are sql/grants/job_role.sql, the same statements migrate runs.
 * What the connected role may do is checked first: without it nothing is
 * changed (exit 3) and the message names the privilege and who has it.
 *
 * batch/commands/grant_job_role.c
 *-------------------------------------------------------------------------
 */
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "value.h"

#include <stdio.h>
#include <string.h>

#define ROLE_NAME_MAX 63 /* PostgreSQL's NAMEDATALEN - 1 */

/* ST_OK when p's role may do all that was asked (member: ROLE, or NULL). */
static enum status check_can_grant(const struct db_privileges *p, const char *member,
                                   struct err *err)
{
    if (!p->schema_exists) {
        err_set(err, ST_EDB, "database %s has no sentencer schema", p->database);
        err_hint(err, "Run \"sentencer migrate\" first (it gives sentencer_job its rights too).");
        return ST_EDB;
    }
    if (p->foreign_owner[0]) {
        err_set(err, ST_EDB,
                "role %s may not grant rights on schema sentencer in database %s: the schema "
                "or objects in it belong to %s",
                p->user, p->database, p->foreign_owner);
        err_hint(err, "Run sentencer grant-job-role as %s (or a member of it) or as a superuser.",
                 p->foreign_owner);
        return ST_EDB;
    }
    if (!p->job_role_exists && !p->createrole) {
        err_set(err, ST_EDB,
                "role sentencer_job does not exist and role %s may not create it: that needs "
                "CREATEROLE or a superuser",
                p->user);
        err_hint(err,
                 "A superuser runs CREATE ROLE sentencer_job NOLOGIN; (roles belong to the whole "
                 "server), then %s runs sentencer grant-job-role again.",
                 p->user);
        return ST_EDB;
    }
    if (member && !p->job_role_grantable) {
        err_set(err, ST_EDB,
                "role %s may not grant membership in role sentencer_job: that needs a superuser "
                "or ADMIN OPTION on sentencer_job (CREATEROLE before PostgreSQL 16)",
                p->user);
        err_hint(err,
                 "Run sentencer grant-job-role without ROLE as %s, then a superuser runs GRANT "
                 "sentencer_job TO the login role; or run it all as a superuser.",
                 p->user);
        return ST_EDB;
    }
    return ST_OK;
}

enum status cmd_grant_job_role(struct ctx *ctx, struct err *err)
{
    const char *member = ctx->opt.nargs > 0 ? ctx->opt.args[0] : NULL;
    struct db *db;
    struct db_privileges p;
    struct result *t = NULL;
    bool created = false;
    enum status st;

    if (member && (!*member || strlen(member) > ROLE_NAME_MAX ||
                   !utf8_valid(member, strlen(member)) || text_has_hidden(member, strlen(member))))
        return err_set(err, ST_EUSAGE,
                       "ROLE must be a role name: 1 to %d bytes of UTF-8 text without control "
                       "characters",
                       ROLE_NAME_MAX);
    if ((st = db_connect(&db, &ctx->opt.db, err)) != ST_OK)
        return st;
    /* Privileges first: a role that may not grant is told so, not that it
     * may not read the schema's version. */
    if ((st = db_privileges(db, &p, err)) == ST_OK &&
        (st = check_can_grant(&p, member, err)) == ST_OK &&
        (st = db_check_schema(db, err)) == ST_OK &&
        (st = db_grant_job_role(db, member, &created, err)) == ST_OK) {
        const char *params[1] = {"sentencer_job"};
        st = db_query(db, Q_JOB_ROLE_PRIVILEGES, 1, params, &t, err);
    }
    db_close(db);
    if (st != ST_OK)
        return st;
    if (created)
        printf("created role sentencer_job (NOLOGIN)\n");
    printf("role sentencer_job holds in schema sentencer of database %s:\n", p.database);
    for (int r = 0; r < result_rows(t); r++)
        printf("  %s on %s %s\n", result_get(t, r, 0), result_get(t, r, 1), result_get(t, r, 2));
    if (member)
        printf("granted role sentencer_job to %s\n", member);
    result_free(t);
    return ST_OK;
}
