-- report_terms.sql
-- report.html: recommended terms by length and kind.
SELECT recommended_kind AS kind, recommended_months AS months, count(*) AS defendants
FROM sentencer.recommendation
WHERE is_current AND recommended_months IS NOT NULL
GROUP BY 1, 2 ORDER BY recommended_months, recommended_kind COLLATE "C"
