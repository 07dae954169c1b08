-- run_info.sql
-- The run as the manifest and report show it, and what its files describe
-- (covers: the facts generation, for the next run's "nothing to do"; 0 when
-- something is pending; failures: the errors that are not legal
-- exclusions, which alone make the exit status 1). $1: the run.
SELECT id AS run_id, rule_set,
to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at,
to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ended_at,
evaluated, errors,
(SELECT count(*) FROM sentencer.run_error e
 JOIN sentencer.recommendation c ON c.run_id = e.run_id AND c.charge_id = e.charge_id
 WHERE e.run_id = run.id AND c.error_kind IS DISTINCT FROM 'legal') AS failures,
coalesce(sentencer.outputs_generation(rule_set), 0) AS covers
FROM sentencer.run WHERE id = $1::bigint
