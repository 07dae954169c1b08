-- 004_rule_sets_and_revisions.sql: rule sets stored, facts kept by
-- revision, recommendations without their trace.
--
-- Until now a recommendation carried its trace as JSON (about 3 KB a row),
-- because nothing else could say later how it was reached. From here on the
-- rule set a run evaluates with is stored, file by file, keyed by its hash,
-- and the facts of every revision of a charge are kept; a recommendation is
-- explained by evaluating those facts with that rule set again (`sentencer
-- explain`), and stores no trace. Recommendations stored before this
-- migration keep their trace until superseded: their rule sets' files were
-- never stored, so they cannot be replayed.

-- ---- rule sets --------------------------------------------------------

-- A rule set, content-addressed: id is the first 16 hex digits of sha256,
-- the SHA-256 of its MANIFEST followed, for each file the MANIFEST lists,
-- by the file's name, a NUL byte and its content (batch/rules.c). Rows
-- made by this migration for the rule sets of earlier runs have no sha256
-- and no files (and keep whatever id those runs recorded).
CREATE TABLE sentencer.rule_set (
    id text PRIMARY KEY CHECK (id <> ''),
    sha256 text UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$' AND left(sha256, 16) = id),
    label text CHECK (octet_length(label) <= 200 AND label !~ '[[:cntrl:]]'),
    first_used timestamptz NOT NULL DEFAULT now(),
    -- the golden tests the run that registered it (or last relabelled it) ran
    tests_passed integer CHECK (tests_passed >= 0),
    tests_failed integer CHECK (tests_failed >= 0),
    tests_at timestamptz
);

-- Its files, byte for byte: position 0 is the MANIFEST, 1.. the files in
-- MANIFEST order.
CREATE TABLE sentencer.rule_file (
    rule_set text NOT NULL REFERENCES sentencer.rule_set (id),
    position integer NOT NULL CHECK (position >= 0),
    name text NOT NULL CHECK (name <> '' AND position(E'/' IN name) = 0),
    content bytea NOT NULL,
    PRIMARY KEY (rule_set, position)
);

INSERT INTO sentencer.rule_set (id, first_used)
SELECT rule_set, min(started_at) FROM sentencer.run GROUP BY rule_set;
INSERT INTO sentencer.rule_set (id, first_used)
SELECT DISTINCT rule_set, now() FROM sentencer.recommendation
ON CONFLICT (id) DO NOTHING;
ALTER TABLE sentencer.run ADD FOREIGN KEY (rule_set) REFERENCES sentencer.rule_set (id);
ALTER TABLE sentencer.recommendation
    ADD FOREIGN KEY (rule_set) REFERENCES sentencer.rule_set (id);

-- Register a rule set: p_files are the MANIFEST then the files it lists,
-- p_names their names. Checks that the content hashes to p_id, so no row
-- can hold other files than its key says. Idempotent: an existing rule set
-- keeps its files and first use; a label and test results, when given,
-- replace the stored ones. A rule set recorded before files were stored
-- gets them now.
CREATE FUNCTION sentencer.rule_set_register(p_id text, p_names text[], p_files bytea[],
                                            p_label text, p_tests_passed integer,
                                            p_tests_failed integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer := coalesce(array_length(p_files, 1), 0);
    digest bytea;
    full_hash text;
    had_files boolean;
BEGIN
    IF p_id !~ '^[0-9a-f]{16}$' OR n < 2 OR coalesce(array_length(p_names, 1), 0) <> n
       OR p_names[1] <> 'MANIFEST' THEN
        RAISE EXCEPTION 'a rule set is a 16-hex-digit id, its MANIFEST and at least one file'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT sha256(p_files[1] || coalesce(string_agg(convert_to(p_names[i], 'UTF8') || '\x00'::bytea
                                                    || p_files[i], ''::bytea ORDER BY i),
                                         ''::bytea))
    INTO digest
    FROM generate_series(2, n) i;
    full_hash := encode(digest, 'hex');
    IF left(full_hash, 16) <> p_id THEN
        RAISE EXCEPTION 'rule set % does not hash to its id (its files hash to %)',
            p_id, left(full_hash, 16) USING ERRCODE = 'data_exception';
    END IF;
    INSERT INTO sentencer.rule_set AS s (id, sha256, label, tests_passed, tests_failed, tests_at)
    VALUES (p_id, full_hash, p_label, p_tests_passed, p_tests_failed,
            CASE WHEN p_tests_passed IS NOT NULL THEN now() END)
    ON CONFLICT (id) DO UPDATE
    SET sha256 = EXCLUDED.sha256,
        label = coalesce(EXCLUDED.label, s.label),
        tests_passed = coalesce(EXCLUDED.tests_passed, s.tests_passed),
        tests_failed = coalesce(EXCLUDED.tests_failed, s.tests_failed),
        tests_at = coalesce(EXCLUDED.tests_at, s.tests_at);
    SELECT EXISTS (SELECT FROM sentencer.rule_file WHERE rule_set = p_id) INTO had_files;
    IF NOT had_files THEN
        INSERT INTO sentencer.rule_file (rule_set, position, name, content)
        SELECT p_id, i - 1, p_names[i], p_files[i] FROM generate_series(1, n) i;
    END IF;
END
$$;

-- ---- facts by revision --------------------------------------------------

-- rev_from: the facts revision of its charge from which an act row holds.
-- The facts of revision R of a charge are its acts with rev_from <= R,
-- and the replaced ones (act_replaced) with rev_from <= R < rev_to: an
-- import copies only the acts it changes. act_replaced has the columns of
-- act in the same order, then rev_to: a column added to act is added to
-- both. Acts stored before this
-- migration hold from their charge's current revision (the earlier ones
-- were not kept).
ALTER TABLE sentencer.act ADD COLUMN rev_from integer NOT NULL DEFAULT 1 CHECK (rev_from >= 1);
UPDATE sentencer.act a SET rev_from = c.facts_rev
FROM sentencer.charge c WHERE c.id = a.charge_id AND c.facts_rev <> 1;

CREATE TABLE sentencer.act_replaced (
    LIKE sentencer.act INCLUDING CONSTRAINTS,
    rev_to integer NOT NULL,
    PRIMARY KEY (charge_id, act_no, rev_from),
    CHECK (rev_to > rev_from)
);

-- ---- a run with nothing to do ---------------------------------------------

-- Bumped by every import that changes a fact (imports run one at a time).
CREATE TABLE sentencer.facts_generation (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    generation bigint NOT NULL DEFAULT 1
);
INSERT INTO sentencer.facts_generation DEFAULT VALUES;

-- Set when a run ended done with nothing pending for its rule set: the
-- facts generation its outputs describe. A later run with the same rule set
-- at the same generation has nothing to do, unless another run has stored
-- something since that run ended (or is running: it may).
ALTER TABLE sentencer.run ADD COLUMN covers_generation bigint;

-- The run whose outputs are current for rule set p_rule_set, or NULL when
-- something is pending (or may be).
CREATE FUNCTION sentencer.current_outputs(p_rule_set text)
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.id FROM (
        SELECT r.id FROM sentencer.run r
        WHERE r.covers_generation = (SELECT generation FROM sentencer.facts_generation)
        ORDER BY r.id DESC LIMIT 1) k
    JOIN sentencer.run r ON r.id = k.id
    WHERE r.rule_set = p_rule_set
      -- by end time, not id: a run begun before k may store after k ended
      AND NOT EXISTS (SELECT FROM sentencer.run l
                      WHERE l.id <> k.id
                        AND (l.state = 'running' OR (l.evaluated > 0 AND l.ended_at >= r.ended_at)))
$$;
CREATE INDEX run_covers_generation ON sentencer.run (covers_generation)
    WHERE covers_generation IS NOT NULL;

-- ---- charges updated in place --------------------------------------------

-- store() marks each charge evaluated. The partial index on "facts pending"
-- named evaluated_rev in its predicate, so every such update wrote a new
-- entry into all three indexes of charge; without it (a run with nothing to
-- do no longer looks for pending charges) the update changes no indexed
-- column and stays on its page (a HOT update), given room there.
DROP INDEX sentencer.charge_facts_pending;
ALTER TABLE sentencer.charge SET (fillfactor = 80);

-- ---- job functions, new versions ----------------------------------------

-- store() no longer keeps the trace, and reads the chunk's JSON once (into an
-- array of rows) instead of once per statement.
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
        ban_recommended_years, injunction_eligible, review_flags, citations, rule_set)
    SELECT x.charge_id, p_run, x.facts_rev, x.status, x.error, x.threshold_met,
           x.threshold_basis, x.statutory_kinds, x.statutory_max_months, x.fine_rule,
           x.fine_min_fen, x.recommended_kind, x.recommended_months, x.range_low_months,
           x.range_high_months, x.suspension_allowed, x.recommended_suspended,
           x.probation_min_months, x.probation_max_months, x.recommended_fine_fen,
           x.ban_eligible, x.ban_min_years, x.ban_max_years, x.ban_recommended_years,
           x.injunction_eligible, x.review_flags, x.citations, r.rule_set
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

-- run_end() also records what the run's outputs cover: p_covers is the
-- facts generation the caller read, in the snapshot its outputs were
-- computed in, together with "nothing pending for the rule set". It is kept
-- only if the run ends done and both still hold now.
DROP FUNCTION sentencer.run_end(bigint, text, text, text, text);
CREATE FUNCTION sentencer.run_end(p_run bigint, p_token text, p_state text, p_out_dir text,
                                  p_message text, p_covers bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r sentencer.run := sentencer.run_check(p_run, p_token);
    covers bigint;
BEGIN
    IF p_state NOT IN ('done', 'failed', 'interrupted') THEN
        RAISE EXCEPTION 'a run ends done, failed or interrupted, not %', p_state
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_state = 'done' AND p_covers IS NOT NULL
       AND p_covers = (SELECT generation FROM sentencer.facts_generation)
       AND NOT EXISTS (SELECT FROM sentencer.charge c
                       WHERE c.evaluated_rev IS DISTINCT FROM c.facts_rev
                          OR c.evaluated_rule_set IS DISTINCT FROM r.rule_set) THEN
        covers := p_covers;
    END IF;
    UPDATE sentencer.run SET state = p_state, ended_at = now(), out_dir = p_out_dir,
                             message = p_message, covers_generation = covers
    WHERE id = p_run AND state = 'running';
    IF EXISTS (SELECT FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                 AND l.classid = 1936027182::oid AND l.objsubid = 2
                 AND l.objid = r.lock_key::oid) THEN
        PERFORM pg_advisory_unlock(1936027182, r.lock_key);
    END IF;
END
$$;

-- What the outputs of a run describe, read in their snapshot: the facts
-- generation, or NULL when something is pending for the rule set.
CREATE FUNCTION sentencer.outputs_generation(p_rule_set text)
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN NOT EXISTS (
               SELECT FROM sentencer.charge c
               WHERE c.evaluated_rev IS DISTINCT FROM c.facts_rev
                  OR c.evaluated_rule_set IS DISTINCT FROM p_rule_set)
           THEN (SELECT generation FROM sentencer.facts_generation) END
$$;

REVOKE ALL ON FUNCTION sentencer.rule_set_register(text, text[], bytea[], text, integer, integer)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.run_end(bigint, text, text, text, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.current_outputs(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sentencer.outputs_generation(text) FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sentencer_job') THEN
        RAISE NOTICE 'role sentencer_job does not exist; skipping its grants';
        RETURN;
    END IF;
    GRANT SELECT ON sentencer.rule_set, sentencer.rule_file, sentencer.act_replaced,
                    sentencer.facts_generation TO sentencer_job;
    GRANT SELECT (covers_generation) ON sentencer.run TO sentencer_job;
    GRANT EXECUTE ON FUNCTION
        sentencer.rule_set_register(text, text[], bytea[], text, integer, integer),
        sentencer.run_end(bigint, text, text, text, text, bigint),
        sentencer.current_outputs(text),
        sentencer.outputs_generation(text)
        TO sentencer_job;
END
$$;
