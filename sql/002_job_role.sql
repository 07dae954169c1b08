-- 002_job_role.sql: the role of the nightly job, with least privilege.
--
-- sentencer_job may read cases, mark charges evaluated, write
-- recommendations, runs and run errors, and nothing else: it cannot change
-- or delete a case, nor rewrite a recommendation beyond marking it
-- superseded. Give a login role its rights with
--   CREATE ROLE nightly LOGIN IN ROLE sentencer_job;
-- Roles belong to the whole server: where the migrating user may not create
-- roles, this migration only says so (a notice); a superuser then creates
-- sentencer_job and runs the GRANTs below by hand.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sentencer_job') THEN
        BEGIN
            CREATE ROLE sentencer_job NOLOGIN;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'no privilege to create role sentencer_job; skipping its grants';
            RETURN;
        END;
    END IF;
    GRANT USAGE ON SCHEMA sentencer TO sentencer_job;
    GRANT SELECT ON sentencer.schema_migration, sentencer.charge, sentencer.act
        TO sentencer_job;
    -- FOR UPDATE needs UPDATE on a column; the job changes only these.
    GRANT UPDATE (evaluated_rev, evaluated_rule_set) ON sentencer.charge TO sentencer_job;
    GRANT SELECT, INSERT ON sentencer.recommendation, sentencer.run, sentencer.run_error
        TO sentencer_job;
    GRANT UPDATE (is_current, superseded_at) ON sentencer.recommendation TO sentencer_job;
    GRANT UPDATE (state, ended_at, out_dir, message, evaluated, errors) ON sentencer.run
        TO sentencer_job;
END
$$;
