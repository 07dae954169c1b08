-- explain_trace.sql
-- A trace (the JSON array explain's replay returns, or one stored before
-- schema 4) as rows, one per step, for the text of `sentencer explain`.
-- $1: the trace.
SELECT coalesce(e->>'step', '') AS step, coalesce(e->>'cite', '') AS cite,
coalesce(e->>'result', '') AS result, coalesce(e->>'pct', '') AS pct,
coalesce(e->'facts', '{}'::jsonb)::text AS facts, coalesce(e->>'note', '') AS note
FROM jsonb_array_elements($1::jsonb) e
