-- report_terms.sql
-- report.html: recommended terms by offense, kind and length in months,
-- over the current recommendations ($1: the offense codes in case.h's
-- order, the rows' order).
SELECT c.offense, r.recommended_kind AS kind, r.recommended_months AS months,
       count(*) AS defendants
FROM sentencer.recommendation r JOIN sentencer.charge c ON c.id = r.charge_id
WHERE r.is_current AND r.recommended_months IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY array_position($1::text[], c.offense), 3, r.recommended_kind COLLATE "C"
