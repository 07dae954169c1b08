-- deviation.sql
-- deviation.csv: each defendant and offense of deviation_judged (made by
-- deviation_judged.sql in this transaction) against its recommendation,
-- with its comparable cases and warning level.
-- $1 offense or NULL, $2 court code or NULL, $3 since (conviction date) or
-- NULL; $4 comparable cases taken (k); $5 fewest comparable cases for their
-- quartiles to count; $6 months outside the band from which a deviation
-- can be a warning.
--
-- Comparable cases of a defendant: the k defendants judged before (an
-- earlier conviction date), of the same kind (person or unit), with the
-- same offense and the same threshold tests met (the same threshold_basis)
-- whose recommended terms are closest
-- to this one's; the rules' term stands for the amounts and
-- circumstances, measured the same way for everyone. Their actual terms
-- (0 for a fine or an exemption) give comparable_p25, p50 and p75.
--
-- Booleans are cast to text: true / false, as every CSV of the program.
-- Warning level, with M = $6 months:
--   warning  the actual term lies more than M months outside the band,
--            and more than M months outside the comparable cases'
--            quartiles (or there are fewer than $5 comparable cases, and
--            nothing to set against it);
--   notice   outside the band, or more than M months outside the
--            comparable quartiles;
--   none     otherwise.
-- (The margin keeps a term that follows the rules from being flagged only
-- because its neighbours in the rules' scale were judged a little apart.)
SELECT j.case_no, j.defendant_no, j.offense, j.court_code,
       extract(year FROM j.conviction_date)::int AS conviction_year,
       j.defendant_kind,
       CASE WHEN j.defendant_kind = 'unit' OR j.age_at_offense IS NULL THEN ''
            WHEN j.age_at_offense < 18 THEN 'under 18'
            WHEN j.age_at_offense < 25 THEN '18-24'
            WHEN j.age_at_offense < 35 THEN '25-34'
            WHEN j.age_at_offense < 45 THEN '35-44'
            WHEN j.age_at_offense < 60 THEN '45-59'
            WHEN j.age_at_offense < 75 THEN '60-74'
            ELSE '75 and over' END AS age_band,
       j.actual_kind, j.actual_months, j.actual_suspended::text AS actual_suspended,
       round(j.actual_fine_fen / 100.0, 2) AS actual_fine_yuan,
       j.actual_ban_years, j.actual_injunction::text AS actual_injunction,
       j.recommended_kind, j.recommended_months, j.range_low_months, j.range_high_months,
       j.recommended_suspended::text AS recommended_suspended, round(j.recommended_fine_fen / 100.0, 2) AS recommended_fine_yuan,
       j.ban_eligible::text AS ban_eligible, j.ban_recommended_years,
       j.injunction_eligible::text AS injunction_eligible,
       j.actual_term - j.recommended_term AS deviation_months,
       CASE WHEN j.recommended_term > 0
            THEN round(100.0 * (j.actual_term - j.recommended_term) / j.recommended_term, 1)
       END AS deviation_pct,
       m.inside_band::text AS inside_band,
       (j.actual_kind = j.recommended_kind)::text AS kind_agrees,
       (CASE WHEN j.actual_suspended IS NOT NULL AND j.recommended_suspended IS NOT NULL
             THEN j.actual_suspended = j.recommended_suspended END)::text AS suspension_agrees,
       CASE WHEN j.actual_fine_fen > 0 AND j.recommended_fine_fen > 0
            THEN round(j.recommended_fine_fen::numeric / j.actual_fine_fen, 3) END AS fine_ratio,
       cmp.n AS comparable_n, cmp.p25 AS comparable_p25, cmp.p50 AS comparable_p50,
       cmp.p75 AS comparable_p75,
       CASE WHEN m.outside > $6
                 AND (cmp.n < $5 OR j.actual_term < cmp.p25 - $6 OR j.actual_term > cmp.p75 + $6)
            THEN 'warning'
            WHEN m.outside > 0
                 OR (cmp.n >= $5 AND (j.actual_term < cmp.p25 - $6 OR j.actual_term > cmp.p75 + $6))
            THEN 'notice'
            ELSE 'none' END AS warning_level
FROM deviation_judged j
CROSS JOIN LATERAL (
    SELECT CASE WHEN j.range_low_months IS NULL THEN j.actual_term
                ELSE greatest(j.range_low_months - j.actual_term,
                              j.actual_term - j.range_high_months, 0) END AS outside,
           (j.range_low_months IS NOT NULL
            AND j.actual_term BETWEEN j.range_low_months AND j.range_high_months) AS inside_band
) m
CROSS JOIN LATERAL (
    SELECT count(*)::int AS n,
           percentile_cont(0.25) WITHIN GROUP (ORDER BY near.actual_term) AS p25,
           percentile_cont(0.50) WITHIN GROUP (ORDER BY near.actual_term) AS p50,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY near.actual_term) AS p75
    FROM (
        SELECT both_sides.actual_term FROM (
            (SELECT k.actual_term, j.recommended_term - k.recommended_term AS d,
                    k.conviction_date, k.charge_id
             FROM deviation_judged k
             WHERE k.offense = j.offense AND k.defendant_kind = j.defendant_kind
               AND k.basis = j.basis AND k.recommended_term <= j.recommended_term
               AND k.conviction_date < j.conviction_date
             ORDER BY k.recommended_term DESC LIMIT $4)
            UNION ALL
            (SELECT k.actual_term, k.recommended_term - j.recommended_term AS d,
                    k.conviction_date, k.charge_id
             FROM deviation_judged k
             WHERE k.offense = j.offense AND k.defendant_kind = j.defendant_kind
               AND k.basis = j.basis AND k.recommended_term > j.recommended_term
               AND k.conviction_date < j.conviction_date
             ORDER BY k.recommended_term LIMIT $4)
        ) both_sides
        ORDER BY both_sides.d, both_sides.conviction_date DESC, both_sides.charge_id
        LIMIT $4
    ) near
) cmp
WHERE ($1::text IS NULL OR j.offense = $1)
  AND ($2::text IS NULL OR j.court_code = $2)
  AND ($3::date IS NULL OR j.conviction_date >= $3::date)
ORDER BY j.case_no COLLATE "C", j.defendant_no COLLATE "C", j.offense COLLATE "C"
