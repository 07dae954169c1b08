-- grants/job_role.sql: exactly the rights of the nightly job's role,
-- sentencer_job, in schema sentencer, and nothing more.
--
-- `sentencer migrate` runs this after the migrations and `sentencer
-- grant-job-role` runs it on demand, both as the schema's owner or a
-- superuser; where the migrating role may not create roles, migrate prints
-- it for a superuser to run. It is not a migration: rights are not schema,
-- and the role may be created long after the schema (roles belong to the
-- whole server). It can be run again and again: it first takes everything
-- back, so that rights given by hand beyond these go too.
--
-- The job reads cases, rule sets, recommendations and runs (not a run's
-- token hash nor its lock key) and writes only through the job functions of
-- 003_job_functions.sql and 004, which check its token; it may insert,
-- update or delete no table itself (tests/cli/job_role.sh). This is what
-- the grants and revokes of 002, 003 and 004 add up to. A migration that
-- gives the job a new table or function adds it here, not a grant of its own.
REVOKE ALL ON SCHEMA sentencer FROM sentencer_job;
REVOKE ALL ON ALL TABLES IN SCHEMA sentencer FROM sentencer_job;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA sentencer FROM sentencer_job;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sentencer FROM sentencer_job;
GRANT USAGE ON SCHEMA sentencer TO sentencer_job;
GRANT SELECT ON sentencer.schema_migration, sentencer.charge, sentencer.act,
                sentencer.act_replaced, sentencer.recommendation, sentencer.run_error,
                sentencer.rule_set, sentencer.rule_file, sentencer.facts_generation
    TO sentencer_job;
GRANT SELECT (id, started_at, ended_at, state, host, pid, rule_set, workers, evaluated, errors,
              out_dir, message, covers_generation) ON sentencer.run TO sentencer_job;
GRANT EXECUTE ON FUNCTION
    sentencer.run_begin(text, integer, text, integer),
    sentencer.run_reap(),
    sentencer.claim(bigint, text, integer, bigint),
    sentencer.store(bigint, text, jsonb),
    sentencer.run_end(bigint, text, text, text, text, bigint),
    sentencer.rule_set_register(text, text[], bytea[], text, integer, integer),
    sentencer.current_outputs(text),
    sentencer.outputs_generation(text),
    sentencer.run_refused(text, integer, text, text),
    sentencer.run_alive(bigint)
    TO sentencer_job;
