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
--
-- The key alone is not enough: pg_locks shows it to every role, and any
-- role may queue on it with pg_advisory_lock and so hold it once the run's
-- session dies, keeping a dead run 'running'. run_begin now records the
-- backend pid of the run's session (backend_pid), and the lock counts only
-- when that backend holds it. run_reap, as of 003, is redefined the same way.

-- errors.csv, the run's exit status and `status` read the error_kind of a
-- run's errors (run_error joined to recommendation on run_id, charge_id):
-- with the run's index alone that read every recommendation of the run to
-- find its few errors. An index on both serves the lookups by run as well.
CREATE INDEX recommendation_run_charge ON sentencer.recommendation (run_id, charge_id);
DROP INDEX sentencer.recommendation_run;

ALTER TABLE sentencer.run DROP CONSTRAINT run_state_check;
ALTER TABLE sentencer.run ADD CONSTRAINT run_state_check
    CHECK (state IN ('running', 'done', 'failed', 'interrupted', 'refused'));
ALTER TABLE sentencer.run ALTER COLUMN rule_set DROP NOT NULL;
ALTER TABLE sentencer.run ADD CONSTRAINT run_rule_set_unless_refused
    CHECK (rule_set IS NOT NULL OR state = 'refused');

ALTER TABLE sentencer.run ADD COLUMN backend_pid integer;

-- As in 003, recording the session's backend pid.
CREATE OR REPLACE FUNCTION sentencer.run_begin(p_host text, p_pid integer, p_rule_set text,
                                               p_workers integer, OUT run_id bigint,
                                               OUT token text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k integer;
BEGIN
    LOOP
        k := floor(random() * 2147483647)::integer;
        EXIT WHEN pg_try_advisory_lock(1936027182, k);
    END LOOP;
    token := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
    INSERT INTO sentencer.run (host, pid, rule_set, workers, token_hash, lock_key, backend_pid)
    VALUES (p_host, p_pid, p_rule_set, p_workers, sha256(convert_to(token, 'UTF8')), k,
            pg_backend_pid())
    RETURNING id INTO run_id;
END
$$;

-- Whether run r's session holds its lock: the lock granted on its key to
-- the backend that began it (runs begun before this migration: to any).
CREATE FUNCTION sentencer.run_lock_held(r sentencer.run)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = 1936027182::oid AND l.objsubid = 2
          AND l.objid = r.lock_key::oid
          AND (r.backend_pid IS NULL OR l.pid = r.backend_pid))
$$;
REVOKE ALL ON FUNCTION sentencer.run_lock_held(sentencer.run) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sentencer.run_reap()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    UPDATE sentencer.run r
    SET state = 'failed', ended_at = now(),
        message = 'the run''s session ended before the run finished '
                  '(process killed or crashed, or connection lost)'
    WHERE r.state = 'running' AND NOT sentencer.run_lock_held(r);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

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

-- true unless run p_run is 'running' and the session that began it no
-- longer holds its lock.
CREATE FUNCTION sentencer.run_alive(p_run bigint)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.state <> 'running' OR sentencer.run_lock_held(r)
    FROM sentencer.run r WHERE r.id = p_run
$$;

REVOKE ALL ON FUNCTION sentencer.run_refused(text, integer, text, text) FROM PUBLIC;
-- run_alive stays executable by PUBLIC: it tells only whether a run is
-- alive. The job role's grants are in sql/grants/job_role.sql.
