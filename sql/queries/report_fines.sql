-- report_fines.sql
-- report.html: recommended fines by offense, in bins of yuan: bin 0 below
-- 1,000, then from each bound to the next (1,000, 2,000, 3,000, 5,000,
-- 10,000, 20,000, 50,000, 100,000, 500,000 and over: bin 9); report_html.c
-- labels the same bounds. $1: the offense codes in case.h's order.
SELECT c.offense,
       width_bucket(r.recommended_fine_fen,
                    ARRAY[100000, 200000, 300000, 500000, 1000000, 2000000, 5000000, 10000000,
                          50000000]::bigint[]) AS bin,
       count(*) AS defendants
FROM sentencer.recommendation r JOIN sentencer.charge c ON c.id = r.charge_id
WHERE r.is_current AND r.recommended_fine_fen IS NOT NULL
GROUP BY 1, 2
ORDER BY array_position($1::text[], c.offense), 2
