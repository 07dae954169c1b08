-- deviation_summary.sql
-- deviation_summary.csv before suppression: per court and offense, the
-- defendants judged, how many of them inside the band, and the quartiles
-- of the deviation (actual minus recommended term, months). Same filters
-- as deviation.sql ($1 offense, $2 court, $3 since).
SELECT j.court_code, j.offense, count(*) AS defendants,
       count(*) FILTER (WHERE j.range_low_months IS NOT NULL
                          AND j.actual_term BETWEEN j.range_low_months AND j.range_high_months)
           AS inside_band,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY j.actual_term - j.recommended_term)
           AS deviation_p25,
       percentile_cont(0.50) WITHIN GROUP (ORDER BY j.actual_term - j.recommended_term)
           AS deviation_median,
       percentile_cont(0.75) WITHIN GROUP (ORDER BY j.actual_term - j.recommended_term)
           AS deviation_p75
FROM deviation_judged j
WHERE ($1::text IS NULL OR j.offense = $1)
  AND ($2::text IS NULL OR j.court_code = $2)
  AND ($3::date IS NULL OR j.conviction_date >= $3::date)
GROUP BY 1, 2
ORDER BY j.court_code COLLATE "C", j.offense COLLATE "C"
