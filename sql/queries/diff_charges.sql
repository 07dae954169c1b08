-- diff_charges.sql
-- `sentencer diff`: the charges that have a current recommendation, with
-- the rule set it was computed with, in the order of recommendations.csv.
-- $1: offense code or NULL (--offense); $2: court code or NULL (--court):
-- an act of the charge was tried by that court; $3: date or NULL (--since):
-- an act of the charge was convicted on or after that day.
SELECT c.id, r.rule_set, c.case_no, c.defendant_no, c.offense
FROM sentencer.charge c
JOIN sentencer.recommendation r ON r.charge_id = c.id AND r.is_current
WHERE ($1::text IS NULL OR c.offense = $1::text)
  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM sentencer.act a
                                   WHERE a.charge_id = c.id AND a.court_code = $2::text))
  AND ($3::date IS NULL OR EXISTS (SELECT 1 FROM sentencer.act a
                                   WHERE a.charge_id = c.id AND a.conviction_date >= $3::date))
ORDER BY c.case_no COLLATE "C", c.defendant_no COLLATE "C", c.offense
