-- run_totals.sql
-- A run's counters, for the progress line. $1: the run.
SELECT evaluated, errors FROM sentencer.run WHERE id = $1::bigint
