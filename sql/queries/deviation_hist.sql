-- deviation_hist.sql
-- deviation.html: defendants by deviation of the term (actual minus
-- recommended, months), the tails gathered at -24 and +24. Same filters as
-- deviation.sql ($1 offense, $2 court, $3 since).
SELECT greatest(-24, least(24, j.actual_term - j.recommended_term)) AS months,
       count(*) AS defendants
FROM deviation_judged j
WHERE ($1::text IS NULL OR j.offense = $1)
  AND ($2::text IS NULL OR j.court_code = $2)
  AND ($3::date IS NULL OR j.conviction_date >= $3::date)
GROUP BY 1 ORDER BY 1
