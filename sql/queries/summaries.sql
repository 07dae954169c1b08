-- summaries.sql
-- summary_offense.csv and summary_court.csv in one pass over the current
-- recommendations (part = 'offense' or 'court'). A charge's court and
-- conviction year are those of its first act (lowest act_no): the acts of
-- a charge come from one judgment. Offenses and kinds travel as their
-- position (o in $1; k in the list of kinds below, case.h's
-- PENALTY_KIND_LIST order): the million-row sort and the counting are
-- cheaper on small integers.
-- Quantiles are percentile_disc: each is one defendant's value (whole
-- months, fines in fen), so no interpolated fraction tells how many values
-- lie behind it. n_months and n_fine, not written to the files, are the
-- counts behind the quantiles (for small-cell suppression). $1: the
-- offense codes in case.h's order (OFFENSE_LIST, article order), which is
-- the rows' order; years ascending, then the unknown year, the offense's
-- total, and the grand total last; courts in byte order.
WITH a AS (
SELECT DISTINCT ON (charge_id) charge_id, offense, court_code, conviction_date
FROM sentencer.act ORDER BY charge_id, act_no),
r AS (
SELECT array_position($1::text[], a.offense) AS o,
 a.court_code COLLATE "C" AS court_code,
 extract(year FROM a.conviction_date)::integer AS conviction_year,
 rec.status = 'ok' AS ok, rec.threshold_met, rec.recommended_suspended,
 rec.ban_eligible, rec.injunction_eligible,
 array_position(ARRAY['fixed_term', 'detention', 'surveillance', 'fine_only', 'exempt'],
  rec.recommended_kind) AS k,
 rec.recommended_months, rec.recommended_fine_fen
FROM sentencer.recommendation rec JOIN a ON a.charge_id = rec.charge_id
WHERE rec.is_current),
g AS (
SELECT CASE WHEN GROUPING(court_code) = 0 THEN 'court' WHEN GROUPING(o) = 1 THEN 'total'
  WHEN GROUPING(conviction_year) = 1 THEN 'offense'
  WHEN conviction_year IS NULL THEN 'unknown_year' ELSE 'year' END AS lvl,
 court_code, o, conviction_year,
 count(*) AS defendants,
 count(*) FILTER (WHERE ok) AS evaluated,
 count(*) FILTER (WHERE NOT ok) AS errors,
 count(*) FILTER (WHERE threshold_met) AS threshold_met,
 count(*) FILTER (WHERE k = 1) AS kind_fixed_term,
 count(*) FILTER (WHERE k = 2) AS kind_detention,
 count(*) FILTER (WHERE k = 3) AS kind_surveillance,
 count(*) FILTER (WHERE k = 4) AS kind_fine_only,
 count(*) FILTER (WHERE k = 5) AS kind_exempt,
 count(*) FILTER (WHERE recommended_suspended) AS suspended,
 count(*) FILTER (WHERE ban_eligible) AS ban_eligible,
 count(*) FILTER (WHERE injunction_eligible) AS injunction_eligible,
 count(recommended_months) AS n_months, count(recommended_fine_fen) AS n_fine,
 percentile_disc(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9])
  WITHIN GROUP (ORDER BY recommended_months) AS m,
 percentile_disc(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY recommended_fine_fen) AS f
FROM r
GROUP BY GROUPING SETS ((o, conviction_year), (o), (), (court_code, o))),
-- The rows to write. The offense part is a full grid: every offense,
-- every year from the first to the last conviction year of any current
-- recommendation, the unknown year, the offense's total and the grand
-- total, with zero rows where no defendant falls (a count of 0 is a fact,
-- a missing row is not). The court part: the courts and offenses that
-- have defendants.
keys AS (
SELECT ko, klvl, ky, kord, NULL::text AS kcourt FROM generate_series(1, cardinality($1::text[])) ko
CROSS JOIN LATERAL (
 SELECT ky, 'year' AS klvl, 0 AS kord FROM generate_series(
  (SELECT min(conviction_year) FROM r), (SELECT max(conviction_year) FROM r)) ky
 UNION ALL SELECT NULL, 'unknown_year', 1
 UNION ALL SELECT NULL, 'offense', 2) s
UNION ALL SELECT NULL, 'total', NULL, 3, NULL
UNION ALL SELECT o, 'court', NULL, 0, court_code FROM g WHERE lvl = 'court')
SELECT CASE WHEN klvl = 'court' THEN 'court' ELSE 'offense' END AS part,
kcourt AS court_code,
CASE WHEN klvl = 'total' THEN 'all' ELSE ($1::text[])[ko] END AS offense,
CASE WHEN klvl <> 'court' THEN klvl END AS level, ky AS conviction_year,
coalesce(defendants, 0) AS defendants, coalesce(evaluated, 0) AS evaluated,
coalesce(errors, 0) AS errors, coalesce(threshold_met, 0) AS threshold_met,
coalesce(kind_fixed_term, 0) AS kind_fixed_term, coalesce(kind_detention, 0) AS kind_detention,
coalesce(kind_surveillance, 0) AS kind_surveillance,
coalesce(kind_fine_only, 0) AS kind_fine_only, coalesce(kind_exempt, 0) AS kind_exempt,
coalesce(suspended, 0) AS suspended, coalesce(ban_eligible, 0) AS ban_eligible,
coalesce(injunction_eligible, 0) AS injunction_eligible,
m[1] AS months_p10, m[2] AS months_p25, m[3] AS months_p50, m[4] AS months_p75,
m[5] AS months_p90,
round(f[1]::numeric / 100, 2) AS fine_yuan_p25,
round(f[2]::numeric / 100, 2) AS fine_yuan_p50,
round(f[3]::numeric / 100, 2) AS fine_yuan_p75,
coalesce(n_months, 0) AS n_months, coalesce(n_fine, 0) AS n_fine
FROM keys LEFT JOIN g ON g.lvl = keys.klvl AND g.o IS NOT DISTINCT FROM keys.ko
 AND g.conviction_year IS NOT DISTINCT FROM keys.ky
 AND g.court_code IS NOT DISTINCT FROM keys.kcourt
ORDER BY klvl = 'court', kcourt COLLATE "C", klvl = 'total', ko, kord, ky
