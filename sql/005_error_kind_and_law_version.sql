-- 005_error_kind_and_law_version.sql: two columns of the contract
-- (case-interchange.md, "Columns being added"): why an error is one
-- (error_kind: legal, data, rule) and the versions of the law a case was
-- judged under (law_version, e.g. 'CL2015;I2019;TF2021;G2021';
-- legal-rules.md 6.3). Rows stored before have neither: NULL, "not
-- recorded", and `explain` does not compare them on a replay.

ALTER TABLE sentencer.recommendation
    ADD COLUMN error_kind text
        CHECK (error_kind IN ('legal', 'data', 'rule')),
    ADD COLUMN law_version text;
ALTER TABLE sentencer.recommendation
    ADD CONSTRAINT recommendation_error_kind_only_for_errors
        CHECK (error_kind IS NULL OR status = 'error') NOT VALID;

-- store(): as in 004, with the two columns.
CREATE OR REPLACE FUNCTION sentencer.store(p_run bigint, p_token text, p_recs jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r sentencer.run := sentencer.run_check(p_run, p_token);
    recs sentencer.recommendation[];
    ids bigint[];
    bad record;
    n bigint;
    nerr bigint;
BEGIN
    SELECT array_agg(x ORDER BY x.charge_id) INTO recs
    FROM jsonb_populate_recordset(NULL::sentencer.recommendation, p_recs) x;
    SELECT array_agg(x.charge_id ORDER BY x.charge_id), count(*),
           count(*) FILTER (WHERE x.status = 'error')
    INTO ids, n, nerr
    FROM unnest(recs) x;
    IF n = 0 THEN
        RETURN;
    END IF;
    PERFORM FROM sentencer.charge c WHERE c.id = ANY (ids) ORDER BY c.id FOR UPDATE NOWAIT;
    SELECT x.charge_id, x.facts_rev, c.id AS found, c.facts_rev AS now_rev,
           c.evaluated_rev, c.evaluated_rule_set,
           count(*) OVER (PARTITION BY x.charge_id) AS times
    INTO bad
    FROM unnest(recs) x
    LEFT JOIN sentencer.charge c ON c.id = x.charge_id
    ORDER BY (c.id IS NULL) DESC, (x.facts_rev IS DISTINCT FROM c.facts_rev) DESC,
             (c.evaluated_rev = c.facts_rev AND c.evaluated_rule_set = r.rule_set) DESC,
             count(*) OVER (PARTITION BY x.charge_id) DESC
    LIMIT 1;
    IF bad.found IS NULL THEN
        RAISE EXCEPTION 'no charge %', bad.charge_id USING ERRCODE = 'foreign_key_violation';
    ELSIF bad.facts_rev IS DISTINCT FROM bad.now_rev THEN
        RAISE EXCEPTION 'charge % is at facts revision %, the recommendation records %',
            bad.charge_id, bad.now_rev, bad.facts_rev USING ERRCODE = 'serialization_failure';
    ELSIF bad.evaluated_rev = bad.now_rev AND bad.evaluated_rule_set = r.rule_set THEN
        RAISE EXCEPTION 'charge % is already evaluated at facts revision % with rule set %',
            bad.charge_id, bad.now_rev, r.rule_set USING ERRCODE = 'unique_violation';
    ELSIF bad.times > 1 THEN
        RAISE EXCEPTION 'charge % appears % times in one chunk', bad.charge_id, bad.times
            USING ERRCODE = 'unique_violation';
    END IF;

    UPDATE sentencer.recommendation SET is_current = false, superseded_at = now()
    WHERE charge_id = ANY (ids) AND is_current;
    INSERT INTO sentencer.recommendation (
        charge_id, run_id, facts_rev, status, error, threshold_met, threshold_basis,
        statutory_kinds, statutory_max_months, fine_rule, fine_min_fen, recommended_kind,
        recommended_months, range_low_months, range_high_months, suspension_allowed,
        recommended_suspended, probation_min_months, probation_max_months,
        recommended_fine_fen, ban_eligible, ban_min_years, ban_max_years,
        ban_recommended_years, injunction_eligible, review_flags, citations, rule_set,
        error_kind, law_version)
    SELECT x.charge_id, p_run, x.facts_rev, x.status, x.error, x.threshold_met,
           x.threshold_basis, x.statutory_kinds, x.statutory_max_months, x.fine_rule,
           x.fine_min_fen, x.recommended_kind, x.recommended_months, x.range_low_months,
           x.range_high_months, x.suspension_allowed, x.recommended_suspended,
           x.probation_min_months, x.probation_max_months, x.recommended_fine_fen,
           x.ban_eligible, x.ban_min_years, x.ban_max_years, x.ban_recommended_years,
           x.injunction_eligible, x.review_flags, x.citations, r.rule_set,
           x.error_kind, x.law_version
    FROM unnest(recs) x
    ORDER BY x.charge_id;
    UPDATE sentencer.charge c SET evaluated_rev = x.facts_rev, evaluated_rule_set = r.rule_set
    FROM unnest(recs) x
    WHERE c.id = x.charge_id;
    INSERT INTO sentencer.run_error (run_id, charge_id, message)
    SELECT p_run, x.charge_id, x.error
    FROM unnest(recs) x
    WHERE x.status = 'error' ORDER BY x.charge_id;
    UPDATE sentencer.run SET evaluated = evaluated + n, errors = errors + nerr
    WHERE id = p_run AND state = 'running';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % ended while its chunk was being stored', p_run
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$$;
