-- 003_job_functions.sql: the nightly job writes only through functions that
-- check what it writes.
--
-- Until now the job's role wrote rows itself and the database trusted it: it
-- could mark any charge evaluated, supersede a current recommendation and
-- insert a forged one, or rewrite a run's state and counters. From here on
-- the job role may insert or update no table. A run is begun by run_begin(),
-- which returns the run's id and a secret token (only its SHA-256 is stored,
-- in a column the job role cannot read) and takes a session advisory lock
-- that lives as long as the run's session: a run whose lock is gone has
-- ended, whatever host it ran on, and run_reap() marks it failed. claim()
-- locks pending charges; store() writes the recommendations of a claimed
-- chunk, checking that each charge is locked by the caller, still at the
-- facts revision the recommendation records and not yet evaluated for the
-- run's rule set (so no charge is ever evaluated twice for the same facts
-- and rules); run_end() closes the run. Every function checks the token and
-- that the run is still running.
--
-- The functions run as their owner (SECURITY DEFINER) with a fixed
-- search_path, so a caller's schemas cannot stand in for pg_catalog's
-- operators. They need PostgreSQL 13 (gen_random_uuid).

ALTER TABLE sentencer.run ADD COLUMN token_hash bytea;
-- The run's session advisory lock is (1936027182, lock_key): the first key
-- is the bytes 's', 'e', 'n', '.' and keeps clear of other applications';
-- lock_key is drawn at random among the free ones, so that no session can
-- take a run's lock before it does (pg_advisory_lock needs no privilege).
ALTER TABLE sentencer.run ADD COLUMN lock_key integer;

-- Imports take this table's lock, one at a time: a lock only roles that
-- may write the table can take (an advisory lock anyone could hold).
CREATE TABLE sentencer.import_lock ();

-- The run, if p_token is its token and it is still running; raises
-- otherwise. Not callable by the job: only the functions below use it.
CREATE FUNCTION sentencer.run_check(p_run bigint, p_token text)
RETURNS sentencer.run
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r sentencer.run;
BEGIN
    SELECT * INTO r FROM sentencer.run WHERE id = p_run;
    IF NOT FOUND OR r.token_hash IS NULL
       OR r.token_hash <> sha256(convert_to(coalesce(p_token, ''), 'UTF8')) THEN
        RAISE EXCEPTION 'run % does not exist or the token is not its own', p_run
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF r.state <> 'running' THEN
        RAISE EXCEPTION 'run % is %, not running', p_run, r.state
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = coalesce(r.message, ''),
                  HINT = 'A run whose session ended is marked failed by the next run; '
                         'start a new run.';
    END IF;
    RETURN r;
END
$$;

CREATE FUNCTION sentencer.run_begin(p_host text, p_pid integer, p_rule_set text,
                                    p_workers integer, OUT run_id bigint, OUT token text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k integer;
BEGIN
    LOOP
        k := floor(random() * 2147483647)::integer;
        EXIT WHEN pg_try_advisory_lock(1936027182, k);
    END LOOP;
    token := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
    INSERT INTO sentencer.run (host, pid, rule_set, workers, token_hash, lock_key)
    VALUES (p_host, p_pid, p_rule_set, p_workers, sha256(convert_to(token, 'UTF8')), k)
    RETURNING id INTO run_id;
END
$$;

-- Mark failed every run still 'running' whose session is gone. Returns how
-- many.
CREATE FUNCTION sentencer.run_reap()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    UPDATE sentencer.run r
    SET state = 'failed', ended_at = now(),
        message = 'the run''s session ended before the run finished '
                  '(process killed or crashed, or connection lost)'
    WHERE r.state = 'running'
      AND NOT EXISTS (
        SELECT FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = 1936027182::oid AND l.objsubid = 2
          AND l.objid = r.lock_key::oid);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Lock up to p_limit charges pending for the run's rule set with ids above
-- p_after, in id order, skipping those another session holds. The locks
-- last until the caller's transaction ends; the caller reads the acts in a
-- later statement, which sees every change committed before the lock.
CREATE FUNCTION sentencer.claim(p_run bigint, p_token text, p_limit integer, p_after bigint)
RETURNS TABLE (id bigint, rev integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rs text := (sentencer.run_check(p_run, p_token)).rule_set;
BEGIN
    RETURN QUERY
    SELECT c.id, c.facts_rev FROM sentencer.charge c
    WHERE c.id > p_after
      AND (c.evaluated_rev IS DISTINCT FROM c.facts_rev OR c.evaluated_rule_set IS DISTINCT FROM rs)
    ORDER BY c.id LIMIT p_limit
    FOR UPDATE SKIP LOCKED;
END
$$;

-- Store one chunk: p_recs is a JSON array of objects keyed by the columns
-- of sentencer.recommendation (charge_id and facts_rev name the claim; id,
-- run_id, is_current, created_at, superseded_at and rule_set are the
-- database's to set). Supersedes the charges' current recommendations,
-- inserts the new ones, marks the charges evaluated, records the errors and
-- counts them in the run, or raises and changes nothing.
CREATE FUNCTION sentencer.store(p_run bigint, p_token text, p_recs jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r sentencer.run := sentencer.run_check(p_run, p_token);
    ids bigint[];
    bad record;
    n bigint;
    nerr bigint;
BEGIN
    SELECT array_agg(x.charge_id ORDER BY x.charge_id), count(*),
           count(*) FILTER (WHERE x.status = 'error')
    INTO ids, n, nerr
    FROM jsonb_populate_recordset(NULL::sentencer.recommendation, p_recs) x;
    IF n = 0 THEN
        RETURN;
    END IF;
    -- Ours already when claimed; NOWAIT refuses a charge another session holds.
    PERFORM FROM sentencer.charge c WHERE c.id = ANY (ids) ORDER BY c.id FOR UPDATE NOWAIT;
    SELECT x.charge_id, x.facts_rev, c.id AS found, c.facts_rev AS now_rev,
           c.evaluated_rev, c.evaluated_rule_set,
           count(*) OVER (PARTITION BY x.charge_id) AS times
    INTO bad
    FROM jsonb_populate_recordset(NULL::sentencer.recommendation, p_recs) x
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
        ban_recommended_years, injunction_eligible, review_flags, citations, rule_set, trace)
    SELECT x.charge_id, p_run, x.facts_rev, x.status, x.error, x.threshold_met,
           x.threshold_basis, x.statutory_kinds, x.statutory_max_months, x.fine_rule,
           x.fine_min_fen, x.recommended_kind, x.recommended_months, x.range_low_months,
           x.range_high_months, x.suspension_allowed, x.recommended_suspended,
           x.probation_min_months, x.probation_max_months, x.recommended_fine_fen,
           x.ban_eligible, x.ban_min_years, x.ban_max_years, x.ban_recommended_years,
           x.injunction_eligible, x.review_flags, x.citations, r.rule_set, x.trace
    FROM jsonb_populate_recordset(NULL::sentencer.recommendation, p_recs) x
    ORDER BY x.charge_id;
    UPDATE sentencer.charge c SET evaluated_rev = x.facts_rev, evaluated_rule_set = r.rule_set
    FROM jsonb_populate_recordset(NULL::sentencer.recommendation, p_recs) x
    WHERE c.id = x.charge_id;
    INSERT INTO sentencer.run_error (run_id, charge_id, message)
    SELECT p_run, x.charge_id, x.error
    FROM jsonb_populate_recordset(NULL::sentencer.recommendation, p_recs) x
    WHERE x.status = 'error' ORDER BY x.charge_id;
    UPDATE sentencer.run SET evaluated = evaluated + n, errors = errors + nerr
    WHERE id = p_run AND state = 'running';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % ended while its chunk was being stored', p_run
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$$;

-- Close a running run: state done, failed or interrupted.
CREATE FUNCTION sentencer.run_end(p_run bigint, p_token text, p_state text, p_out_dir text,
                                  p_message text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM sentencer.run_check(p_run, p_token);
    IF p_state NOT IN ('done', 'failed', 'interrupted') THEN
        RAISE EXCEPTION 'a run ends done, failed or interrupted, not %', p_state
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE sentencer.run SET state = p_state, ended_at = now(), out_dir = p_out_dir,
                             message = p_message
    WHERE id = p_run AND state = 'running';
    IF EXISTS (SELECT FROM pg_locks l JOIN sentencer.run r ON r.id = p_run
               WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                 AND l.classid = 1936027182::oid AND l.objsubid = 2
                 AND l.objid = r.lock_key::oid) THEN
        PERFORM pg_advisory_unlock(1936027182, lock_key) FROM sentencer.run WHERE id = p_run;
    END IF;
END
$$;

-- Functions are executable by PUBLIC unless revoked.
REVOKE ALL ON FUNCTION sentencer.run_check(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.run_begin(text, integer, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.run_reap() FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.claim(bigint, text, integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.store(bigint, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.run_end(bigint, text, text, text, text) FROM PUBLIC;

-- The job role: no more direct writes; the functions instead. It may read
-- every column of run but the token's hash.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sentencer_job') THEN
        RAISE NOTICE 'role sentencer_job does not exist; skipping its grants';
        RETURN;
    END IF;
    REVOKE UPDATE ON sentencer.charge FROM sentencer_job;
    REVOKE INSERT, UPDATE ON sentencer.recommendation, sentencer.run, sentencer.run_error
        FROM sentencer_job;
    REVOKE SELECT ON sentencer.run FROM sentencer_job;
    GRANT SELECT (id, started_at, ended_at, state, host, pid, rule_set, workers, evaluated,
                  errors, out_dir, message) ON sentencer.run TO sentencer_job;
    GRANT EXECUTE ON FUNCTION sentencer.run_begin(text, integer, text, integer),
                              sentencer.run_reap(),
                              sentencer.claim(bigint, text, integer, bigint),
                              sentencer.store(bigint, text, jsonb),
                              sentencer.run_end(bigint, text, text, text, text)
        TO sentencer_job;
END
$$;
