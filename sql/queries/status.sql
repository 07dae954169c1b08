-- status.sql
-- `sentencer status`: the latest runs, newest first, with their rule set's
-- label. A run still 'running' whose session's advisory lock is free
-- (sentencer.run_alive) is shown 'dead' at once, wherever it ran; the next
-- run records it failed. The first eleven columns are the text table (the
-- message on a line of its own); the rest are for --format json|csv and
-- --check: UTC timestamps, failures (errors that are not legal
-- exclusions), age_s (seconds since the run ended, or started when it has
-- not). $1: how many.
SELECT r.id AS run, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,
to_char(ended_at, 'YYYY-MM-DD HH24:MI:SS') AS ended, v.state, host, pid, workers,
evaluated, errors,
r.rule_set || coalesce(' (' || s.label || ')', '') AS rule_set,
CASE WHEN v.state = 'dead'
     THEN 'the run''s session ended before the run finished (process killed or crashed, '
          'or connection lost)'
     ELSE coalesce(message, '') END AS message,
to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at,
to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ended_at,
(SELECT count(*) FROM sentencer.run_error e
 JOIN sentencer.recommendation c ON c.run_id = e.run_id AND c.charge_id = e.charge_id
 WHERE e.run_id = r.id AND c.error_kind IS DISTINCT FROM 'legal') AS failures,
r.rule_set AS rule_set_id, s.label,
floor(extract(epoch FROM now() - coalesce(ended_at, started_at)))::bigint AS age_s
FROM sentencer.run r LEFT JOIN sentencer.rule_set s ON s.id = r.rule_set
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.state = 'running' AND NOT sentencer.run_alive(r.id) THEN 'dead'
                ELSE r.state END AS state) v
ORDER BY r.id DESC LIMIT $1::integer
