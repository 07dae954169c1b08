-- deviation_judged.sql
-- `sentencer report deviation`, first step (a script, no parameters): the
-- defendants with an actual judgment and a current ok recommendation, in a
-- temporary table of this transaction, indexed so that each defendant's
-- comparable cases are found by two short index scans (deviation.sql).
-- The actual judgment is read from the charge's first act; the conviction
-- date is the latest of its acts. A charge whose basis is empty (threshold
-- not met) gets '' and one with no term 0, so that both can be matched.
CREATE TEMP TABLE deviation_judged ON COMMIT DROP AS
SELECT c.id AS charge_id, c.case_no, c.defendant_no, c.offense,
       a.court_code, d.conviction_date, a.defendant_kind, a.age_at_offense,
       a.actual_kind, a.actual_months, a.actual_suspended, a.actual_fine_fen,
       a.actual_ban_years, a.actual_injunction,
       CASE WHEN a.actual_kind IN ('fixed_term', 'detention', 'surveillance')
            THEN coalesce(a.actual_months, 0) ELSE 0 END AS actual_term,
       coalesce(r.threshold_basis, '') AS basis,
       r.recommended_kind, coalesce(r.recommended_months, 0) AS recommended_term,
       r.recommended_months, r.range_low_months, r.range_high_months,
       r.recommended_suspended, r.recommended_fine_fen, r.ban_eligible,
       r.ban_recommended_years, r.injunction_eligible
FROM sentencer.charge c
JOIN sentencer.recommendation r ON r.charge_id = c.id AND r.is_current AND r.status = 'ok'
JOIN LATERAL (SELECT * FROM sentencer.act x WHERE x.charge_id = c.id
              ORDER BY x.act_no LIMIT 1) a ON true
JOIN LATERAL (SELECT max(x.conviction_date) AS conviction_date FROM sentencer.act x
              WHERE x.charge_id = c.id) d ON true
WHERE a.actual_kind IS NOT NULL;
CREATE INDEX ON deviation_judged (offense, defendant_kind, basis, recommended_term, conviction_date);
ANALYZE deviation_judged;
