-- run_info.sql
-- The run as the manifest and report show it, and what its files describe
-- (covers: the facts generation, for the next run's "nothing to do"; 0 when
-- something is pending). $1: the run.
SELECT id AS run_id, rule_set,
to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at,
to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ended_at,
evaluated, errors,
coalesce(sentencer.outputs_generation(rule_set), 0) AS covers
FROM sentencer.run WHERE id = $1::bigint
