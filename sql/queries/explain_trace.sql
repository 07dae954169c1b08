-- explain_trace.sql
-- A trace (the JSON array explain's replay returns, or one stored before
-- schema 4) as rows, one per step, for the text of `sentencer explain`.
-- A fact the case did not record (listed under "assumed") shows as "not
-- recorded", not as the 0 or false the rules read it as.
-- $1: the trace.
SELECT coalesce(e->>'step', '') AS step, coalesce(e->>'cite', '') AS cite,
coalesce(e->>'result', '') AS result, coalesce(e->>'pct', '') AS pct,
coalesce((SELECT jsonb_object_agg(f.k, CASE WHEN coalesce(e->'assumed', '{}'::jsonb) ? f.k
                                           THEN to_jsonb('not recorded'::text) ELSE f.v END)
          FROM jsonb_each(CASE WHEN jsonb_typeof(e->'facts') = 'object' THEN e->'facts'
                               ELSE '{}'::jsonb END) AS f(k, v)), '{}'::jsonb)::text AS facts,
coalesce(e->'threshold', '{}'::jsonb)::text AS threshold,
coalesce(e->>'note', '') AS note
FROM jsonb_array_elements($1::jsonb) e
