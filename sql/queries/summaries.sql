-- summaries.sql
-- summary_offense.csv and summary_court.csv in one pass over the current
-- recommendations (part = 'offense' or 'court'). A charge's court,
-- conviction year and actual judgment are those of its first act
-- (lowest act_no): the acts of a charge come from one judgment. Offenses
-- and kinds travel as their position (o in $1; k, ak in the list of
-- kinds below, case.h's PENALTY_KIND_LIST order): the million-row sort and
-- the counting are cheaper on small integers.
-- Quantiles are percentile_disc: each is one defendant's value (whole
-- months, fines in fen), so no interpolated fraction tells how many values
-- lie behind it. Columns after the quantiles are not written to the files:
-- share_* are for report.html; n_* are the counts behind the quantiles (for
-- small-cell suppression); actual_*, n_terms* and mean_diff compare the
-- recommendation with the actual judgment where one is recorded (for
-- report.html). $1: the offense codes in case.h's order (OFFENSE_LIST,
-- article order), which is the rows' order; years ascending, then the
-- unknown year, the offense's total, and the grand total last; courts in
-- byte order.
WITH a AS (
SELECT DISTINCT ON (charge_id) charge_id, offense, court_code, conviction_date,
 actual_kind, actual_months
FROM sentencer.act ORDER BY charge_id, act_no),
r AS (
SELECT array_position($1::text[], a.offense) AS o,
 a.court_code COLLATE "C" AS court_code,
 extract(year FROM a.conviction_date)::integer AS conviction_year,
 rec.status = 'ok' AS ok, rec.threshold_met, rec.recommended_suspended,
 rec.ban_eligible, rec.injunction_eligible,
 array_position(ARRAY['fixed_term', 'detention', 'surveillance', 'fine_only', 'exempt'],
  rec.recommended_kind) AS k,
 rec.recommended_months, rec.recommended_fine_fen,
 CASE WHEN rec.status = 'ok' THEN array_position(ARRAY['fixed_term', 'detention',
  'surveillance', 'fine_only', 'exempt'], a.actual_kind) END AS ak,
 a.actual_months - rec.recommended_months AS diff,
 a.actual_months < rec.range_low_months AS below,
 a.actual_months > rec.range_high_months AS above
FROM sentencer.recommendation rec JOIN a ON a.charge_id = rec.charge_id
WHERE rec.is_current),
g AS (
SELECT GROUPING(court_code) AS no_court, GROUPING(o) AS all_offenses,
 GROUPING(conviction_year) AS all_years, court_code, o, conviction_year,
 count(*) AS defendants,
 count(*) FILTER (WHERE ok) AS n_ok,
 count(*) FILTER (WHERE threshold_met) AS n_threshold_met,
 count(*) FILTER (WHERE k = 1) AS kind_fixed_term,
 count(*) FILTER (WHERE k = 2) AS kind_detention,
 count(*) FILTER (WHERE k = 3) AS kind_surveillance,
 count(*) FILTER (WHERE k = 4) AS kind_fine_only,
 count(*) FILTER (WHERE k = 5) AS kind_exempt,
 count(*) FILTER (WHERE recommended_suspended) AS n_suspended,
 count(*) FILTER (WHERE ban_eligible) AS n_ban_eligible,
 count(*) FILTER (WHERE injunction_eligible) AS n_injunction_eligible,
 count(*) FILTER (WHERE NOT ok) AS errors,
 count(recommended_months) AS n_months, count(recommended_fine_fen) AS n_fine,
 percentile_disc(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9])
  WITHIN GROUP (ORDER BY recommended_months) AS m,
 percentile_disc(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY recommended_fine_fen) AS f,
 count(ak) AS n_actual,
 count(*) FILTER (WHERE ak = k) AS n_actual_same_kind,
 count(*) FILTER (WHERE ak = 1) AS actual_fixed_term,
 count(*) FILTER (WHERE ak = 2) AS actual_detention,
 count(*) FILTER (WHERE ak = 3) AS actual_surveillance,
 count(*) FILTER (WHERE ak = 4) AS actual_fine_only,
 count(*) FILTER (WHERE ak = 5) AS actual_exempt,
 count(*) FILTER (WHERE ak IS NOT NULL AND k = 1) AS actual_rec_fixed_term,
 count(*) FILTER (WHERE ak IS NOT NULL AND k = 2) AS actual_rec_detention,
 count(*) FILTER (WHERE ak IS NOT NULL AND k = 3) AS actual_rec_surveillance,
 count(*) FILTER (WHERE ak IS NOT NULL AND k = 4) AS actual_rec_fine_only,
 count(*) FILTER (WHERE ak IS NOT NULL AND k = 5) AS actual_rec_exempt,
 count(*) FILTER (WHERE ak IS NOT NULL AND diff IS NOT NULL) AS n_terms,
 count(*) FILTER (WHERE ak IS NOT NULL AND below) AS n_terms_below,
 count(*) FILTER (WHERE ak IS NOT NULL AND above) AS n_terms_above,
 avg(diff) FILTER (WHERE ak IS NOT NULL) AS mean_diff
FROM r
GROUP BY GROUPING SETS ((o, conviction_year), (o), (), (court_code, o))),
-- The offense part is a full grid: every offense, every year from the
-- first to the last conviction year of any current recommendation, the
-- unknown year, the offense's total and the grand total, with zero rows
-- where no defendant falls (a count of 0 is a fact, a missing row is not).
grid AS (
SELECT o, y, lvl, n AS ord FROM generate_series(1, cardinality($1::text[])) o
CROSS JOIN LATERAL (
 SELECT y, 'year' AS lvl, 0 AS n FROM generate_series(
  (SELECT min(conviction_year) FROM r), (SELECT max(conviction_year) FROM r)) y
 UNION ALL SELECT NULL, 'unknown_year', 1
 UNION ALL SELECT NULL, 'offense', 2) s
UNION ALL SELECT NULL, NULL, 'total', 3),
k AS (
SELECT g.*, CASE WHEN all_offenses = 1 THEN 'total' WHEN all_years = 1 THEN 'offense'
 WHEN conviction_year IS NULL THEN 'unknown_year' ELSE 'year' END AS lvl
FROM g WHERE no_court = 1),
rows AS (
SELECT 'offense' AS part, NULL::text AS court_code, grid.o, grid.lvl, grid.y, grid.ord,
 defendants, n_ok, n_threshold_met, kind_fixed_term, kind_detention,
 kind_surveillance, kind_fine_only, kind_exempt, n_suspended, n_ban_eligible,
 n_injunction_eligible, errors, n_months, n_fine, m, f, n_actual, n_actual_same_kind,
 actual_fixed_term, actual_detention, actual_surveillance, actual_fine_only, actual_exempt,
 actual_rec_fixed_term, actual_rec_detention, actual_rec_surveillance, actual_rec_fine_only,
 actual_rec_exempt, n_terms, n_terms_below, n_terms_above, mean_diff
FROM grid LEFT JOIN k ON k.lvl = grid.lvl AND k.o IS NOT DISTINCT FROM grid.o
 AND k.conviction_year IS NOT DISTINCT FROM grid.y
UNION ALL
SELECT 'court', court_code, o, NULL, NULL, 0,
 defendants, n_ok, n_threshold_met, kind_fixed_term, kind_detention,
 kind_surveillance, kind_fine_only, kind_exempt, n_suspended, n_ban_eligible,
 n_injunction_eligible, errors, n_months, n_fine, m, f, n_actual, n_actual_same_kind,
 actual_fixed_term, actual_detention, actual_surveillance, actual_fine_only, actual_exempt,
 actual_rec_fixed_term, actual_rec_detention, actual_rec_surveillance, actual_rec_fine_only,
 actual_rec_exempt, n_terms, n_terms_below, n_terms_above, mean_diff
FROM g WHERE no_court = 0)
SELECT part, court_code,
CASE WHEN lvl = 'total' THEN 'all' ELSE ($1::text[])[rows.o] END AS offense,
lvl AS level, y AS conviction_year,
coalesce(defendants, 0) AS defendants, coalesce(n_ok, 0) AS evaluated,
coalesce(errors, 0) AS errors, coalesce(n_threshold_met, 0) AS threshold_met,
coalesce(kind_fixed_term, 0) AS kind_fixed_term, coalesce(kind_detention, 0) AS kind_detention,
coalesce(kind_surveillance, 0) AS kind_surveillance,
coalesce(kind_fine_only, 0) AS kind_fine_only, coalesce(kind_exempt, 0) AS kind_exempt,
coalesce(n_suspended, 0) AS suspended, coalesce(n_ban_eligible, 0) AS ban_eligible,
coalesce(n_injunction_eligible, 0) AS injunction_eligible,
m[1] AS months_p10, m[2] AS months_p25, m[3] AS months_p50, m[4] AS months_p75,
m[5] AS months_p90,
round(f[1]::numeric / 100, 2) AS fine_yuan_p25,
round(f[2]::numeric / 100, 2) AS fine_yuan_p50,
round(f[3]::numeric / 100, 2) AS fine_yuan_p75,
round(n_threshold_met::numeric / nullif(n_ok, 0), 4) AS share_threshold_met,
round(n_suspended::numeric / nullif(n_ok, 0), 4) AS share_suspended,
round(n_ban_eligible::numeric / nullif(n_ok, 0), 4) AS share_ban_eligible,
round(n_injunction_eligible::numeric / nullif(n_ok, 0), 4) AS share_injunction_eligible,
coalesce(n_ok, 0) AS n_ok, coalesce(n_months, 0) AS n_months, coalesce(n_fine, 0) AS n_fine,
coalesce(n_actual, 0) AS n_actual, coalesce(n_actual_same_kind, 0) AS n_actual_same_kind,
actual_fixed_term, actual_detention,
actual_surveillance, actual_fine_only, actual_exempt, actual_rec_fixed_term,
actual_rec_detention, actual_rec_surveillance, actual_rec_fine_only, actual_rec_exempt,
n_terms, n_terms_below, n_terms_above, round(mean_diff, 1) AS mean_diff
FROM rows
ORDER BY part DESC, court_code, lvl = 'total', rows.o, ord, y
