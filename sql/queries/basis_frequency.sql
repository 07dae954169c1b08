-- basis_frequency.sql
-- basis_frequency.csv: per offense, how many of the defendants evaluated
-- (status ok) met the threshold on each test (citation id). Counted per
-- distinct threshold_basis list first, then per citation: the lists are
-- few, the recommendations many. $1: the offense codes in case.h's
-- order, as for summaries.
WITH per AS (
SELECT c.offense COLLATE "C" AS offense, r.threshold_basis, r.status, count(*) AS n
FROM sentencer.recommendation r JOIN sentencer.charge c ON c.id = r.charge_id
WHERE r.is_current GROUP BY 1, 2, 3),
tot AS (SELECT offense, sum(n) FILTER (WHERE status = 'ok') AS ok FROM per GROUP BY offense)
SELECT p.offense, b.citation COLLATE "C" AS citation, t.ok AS defendants,
sum(p.n) AS defendants_met, round(sum(p.n) / nullif(t.ok, 0), 4) AS share_met
FROM per p JOIN tot t ON t.offense = p.offense
CROSS JOIN LATERAL unnest(string_to_array(p.threshold_basis, ';')) AS b(citation)
WHERE p.status = 'ok' AND b.citation <> ''
GROUP BY p.offense, b.citation, t.ok
ORDER BY coalesce(array_position($1::text[], p.offense), 2147483647), p.offense, 2
