/*-------------------------------------------------------------------------
 * grants.h
 *     The rights of the nightly job's role sentencer_job, as SQL
 *     (sql/grants/job_role.sql, compiled in by scripts/embed-sql): run by
 *     db_grant_job_role, printed by migrate for a superuser to run.
 *
 * batch/store/grants.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_GRANTS_H
#define SENTENCER_GRANTS_H

extern const char job_role_grants_sql[];

#endif
