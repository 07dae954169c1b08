-- run_state.sql
-- A run's state (`sentencer outputs` writes the files of a run that has ended).
-- $1: the run.
SELECT state FROM sentencer.run WHERE id = $1::bigint
