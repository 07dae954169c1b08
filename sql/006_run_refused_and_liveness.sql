-- 006_run_refused_and_liveness.sql: what monitoring must see.
--
-- A run that refused to start (its rule set does not compile, has findings
-- or fails its golden tests) is recorded as state 'refused' with the reason,
-- so that a night that did nothing is not taken for a quiet one. Such a run
-- evaluated nothing; its rule set may never have been registered, so it may
-- have none.
--
-- run_alive() tells whether a 'running' run still holds its session's
-- advisory lock (003): a run whose lock is free is dead, wherever it ran,
-- at once rather than when the next run reaps it. It reads only the run's
-- lock key, which the job role cannot select.

ALTER TABLE sentencer.run DROP CONSTRAINT run_state_check;
ALTER TABLE sentencer.run ADD CONSTRAINT run_state_check
    CHECK (state IN ('running', 'done', 'failed', 'interrupted', 'refused'));
ALTER TABLE sentencer.run ALTER COLUMN rule_set DROP NOT NULL;
ALTER TABLE sentencer.run ADD CONSTRAINT run_rule_set_unless_refused
    CHECK (rule_set IS NOT NULL OR state = 'refused');

-- Record a refused run: ended at once, nothing evaluated. p_rule_set is the
-- rule set's id when it is registered, else NULL (its hash, if known, goes
-- in the reason).
CREATE FUNCTION sentencer.run_refused(p_host text, p_pid integer, p_rule_set text,
                                      p_reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO sentencer.run AS r (host, pid, rule_set, state, ended_at, message)
    VALUES (left(p_host, 255), p_pid,
            (SELECT s.id FROM sentencer.rule_set s WHERE s.id = p_rule_set),
            'refused', now(), left(coalesce(p_reason, 'refused'), 2000))
    RETURNING r.id INTO id;
    RETURN id;
END
$$;

-- true unless run p_run is 'running' and its session's lock is free.
CREATE FUNCTION sentencer.run_alive(p_run bigint)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.state <> 'running' OR EXISTS (
        SELECT FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = 1936027182::oid AND l.objsubid = 2
          AND l.objid = r.lock_key::oid)
    FROM sentencer.run r WHERE r.id = p_run
$$;

REVOKE ALL ON FUNCTION sentencer.run_refused(text, integer, text, text) FROM PUBLIC;
-- run_alive stays executable by PUBLIC: it tells only whether a run is
-- alive. The job role's grants are in sql/grants/job_role.sql.
