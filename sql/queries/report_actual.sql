-- report_actual.sql
-- report.html: the current recommendations (status ok) whose charge has an
-- actual judgment, by actual kind, recommended kind and deviation of the
-- term (actual minus recommended, months; a kind without a term counts 0,
-- as in deviation.csv; the tails gathered at -24 and +24). The actual
-- judgment is the first act's (the acts of a charge come from one
-- judgment).
WITH a AS (
SELECT DISTINCT ON (charge_id) charge_id, actual_kind, actual_months
FROM sentencer.act WHERE actual_kind IS NOT NULL ORDER BY charge_id, act_no)
SELECT a.actual_kind, r.recommended_kind,
       greatest(-24, least(24,
         CASE WHEN a.actual_kind IN ('fixed_term', 'detention', 'surveillance')
              THEN coalesce(a.actual_months, 0) ELSE 0 END
         - coalesce(r.recommended_months, 0))) AS months,
       count(*) AS defendants
FROM sentencer.recommendation r JOIN a ON a.charge_id = r.charge_id
WHERE r.is_current AND r.status = 'ok'
GROUP BY 1, 2, 3
ORDER BY a.actual_kind COLLATE "C", r.recommended_kind COLLATE "C", 3
