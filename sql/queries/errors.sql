-- errors.sql
-- errors.csv: the cases of a run in error, streamed through a cursor
-- (db_cursor_open) so that memory stays flat. $1: the run.
SELECT c.case_no, c.defendant_no, c.offense, e.message AS error, r.error_kind
FROM sentencer.run_error e JOIN sentencer.charge c ON c.id = e.charge_id
LEFT JOIN sentencer.recommendation r ON r.run_id = e.run_id AND r.charge_id = e.charge_id
WHERE e.run_id = $1::bigint
ORDER BY c.case_no COLLATE "C", c.defendant_no COLLATE "C", c.offense COLLATE "C"
