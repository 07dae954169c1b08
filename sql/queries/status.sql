-- status.sql
-- `sentencer status`: the latest runs, newest first, with their rule set's label.
-- $1: how many.
SELECT r.id AS run, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,
to_char(ended_at, 'YYYY-MM-DD HH24:MI:SS') AS ended, state, host, pid, workers,
evaluated, errors,
r.rule_set || coalesce(' (' || s.label || ')', '') AS rule_set,
coalesce(message, '') AS message
FROM sentencer.run r LEFT JOIN sentencer.rule_set s ON s.id = r.rule_set
ORDER BY r.id DESC LIMIT $1::integer
