-- deviation_kinds.sql
-- deviation.html: defendants by actual and recommended kind. Same filters
-- as deviation.sql ($1 offense, $2 court, $3 since).
SELECT j.actual_kind, j.recommended_kind, count(*) AS defendants
FROM deviation_judged j
WHERE ($1::text IS NULL OR j.offense = $1)
  AND ($2::text IS NULL OR j.court_code = $2)
  AND ($3::date IS NULL OR j.conviction_date >= $3::date)
GROUP BY 1, 2
