# tests/cli/_faults.sh: checks and helpers shared by the fault tests
# (fault_*.sh) and job_role.sh. Sourced, not run (scripts/run-tests skips
# files starting with _). Needs the PG* variables of the test's database.

q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

# A snapshot of the rule set and its golden tests in $RULES and $GOLDEN: all
# runs of a test must see the same rule set id, whatever happens to the
# working tree meanwhile.
RULES=$TMPDIR/rules
GOLDEN=$TMPDIR/golden
cp -r "$PROJECT/lua-rules" "$RULES"
cp -r "$PROJECT/tests/rules" "$GOLDEN"

fail() {
    echo "FAIL: $*"
    exit 1
}

stored() { q -c "SELECT count(*) FROM sentencer.recommendation"; }

# The stored work is whole, whatever was killed or lost: a committed chunk
# wrote its recommendations, marked its charges evaluated for the same
# facts_rev and rule set, recorded its errors and counted itself in its run,
# all or nothing. Prints one line per problem, nothing when all is well.
whole_problems() {
    q <<'SQL'
SELECT format('charge %s: current recommendation for rev %s rules %s, charge marked %s %s',
              c.id, r.facts_rev, r.rule_set, c.evaluated_rev, c.evaluated_rule_set)
FROM sentencer.recommendation r JOIN sentencer.charge c ON c.id = r.charge_id
WHERE r.is_current AND (c.evaluated_rev IS DISTINCT FROM r.facts_rev
                        OR c.evaluated_rule_set IS DISTINCT FROM r.rule_set)
UNION ALL
SELECT format('charge %s: marked evaluated with %s current recommendations', c.id, count(r.id))
FROM sentencer.charge c
LEFT JOIN sentencer.recommendation r ON r.charge_id = c.id AND r.is_current
WHERE c.evaluated_rev IS NOT NULL GROUP BY c.id HAVING count(r.id) <> 1
UNION ALL
SELECT format('charge %s: evaluated %s times for rev %s rules %s', charge_id, count(*),
              facts_rev, rule_set)
FROM sentencer.recommendation GROUP BY charge_id, facts_rev, rule_set HAVING count(*) > 1
UNION ALL
SELECT format('run %s: counts %s evaluated, %s errors; rows %s, error rows %s, run_error %s',
              u.id, u.evaluated, u.errors,
              (SELECT count(*) FROM sentencer.recommendation r WHERE r.run_id = u.id),
              (SELECT count(*) FROM sentencer.recommendation r
               WHERE r.run_id = u.id AND r.status = 'error'),
              (SELECT count(*) FROM sentencer.run_error e WHERE e.run_id = u.id))
FROM sentencer.run u
WHERE u.evaluated <> (SELECT count(*) FROM sentencer.recommendation r WHERE r.run_id = u.id)
   OR u.errors <> (SELECT count(*) FROM sentencer.recommendation r
                   WHERE r.run_id = u.id AND r.status = 'error')
   OR u.errors <> (SELECT count(*) FROM sentencer.run_error e WHERE e.run_id = u.id)
LIMIT 20;
SQL
}

# Everything is evaluated, once, for the current facts and the rule set $1:
# as many current recommendations as charges, exactly one per charge, each for
# the charge's facts_rev and rule set $1, and as many rows for rule set $1 as
# charges (no charge evaluated twice for the same facts and rules).
complete_problems() {
    q -v rs="$1" <<'SQL'
SELECT format('%s charges but %s current recommendations', (SELECT count(*) FROM sentencer.charge),
              (SELECT count(*) FROM sentencer.recommendation WHERE is_current))
WHERE (SELECT count(*) FROM sentencer.charge)
   <> (SELECT count(*) FROM sentencer.recommendation WHERE is_current)
UNION ALL
SELECT format('charge %s: %s current recommendations', c.id, count(r.id))
FROM sentencer.charge c
LEFT JOIN sentencer.recommendation r ON r.charge_id = c.id AND r.is_current
GROUP BY c.id HAVING count(r.id) <> 1
UNION ALL
SELECT format('charge %s at rev %s marked %s %s; current recommendation rev %s rules %s',
              c.id, c.facts_rev, c.evaluated_rev, c.evaluated_rule_set, r.facts_rev, r.rule_set)
FROM sentencer.charge c JOIN sentencer.recommendation r ON r.charge_id = c.id AND r.is_current
WHERE r.facts_rev <> c.facts_rev OR r.rule_set <> :'rs'
   OR c.evaluated_rev IS DISTINCT FROM c.facts_rev OR c.evaluated_rule_set IS DISTINCT FROM :'rs'
UNION ALL
SELECT format('%s recommendation rows for rule set %s, %s charges',
              (SELECT count(*) FROM sentencer.recommendation WHERE rule_set = :'rs'), :'rs',
              (SELECT count(*) FROM sentencer.charge))
WHERE (SELECT count(*) FROM sentencer.recommendation WHERE rule_set = :'rs')
   <> (SELECT count(*) FROM sentencer.charge)
LIMIT 20;
SQL
}

check_whole() { # check_whole WHEN
    local p
    p=$(whole_problems)
    [ -z "$p" ] || fail "$1: stored work is not whole:"$'\n'"$p"
}

check_complete() { # check_complete WHEN RULE_SET
    local p
    check_whole "$1"
    p=$(complete_problems "$2")
    [ -z "$p" ] || fail "$1: not everything evaluated exactly once:"$'\n'"$p"
}

# The rule set id of the latest run.
last_rule_set() { q -c "SELECT rule_set FROM sentencer.run ORDER BY id DESC LIMIT 1"; }

# wait_evaluated PID N: poll until the running run of process PID has
# committed at least N charges; fail if the process ends first or after 30 s.
wait_evaluated() {
    local pid=$1 want=$2 deadline=$((SECONDS + 30))
    until [ "$(q -c "SELECT count(*) FROM sentencer.run WHERE pid = $pid AND state = 'running'
                      AND evaluated >= $want")" = 1 ]; do
        kill -0 "$pid" 2>/dev/null || fail "run $pid ended before committing $want charges"
        [ $SECONDS -lt $deadline ] || fail "run $pid did not commit $want charges in 30 s"
        sleep 0.02
    done
}

# wait_rc PID: wait for a background job and set rc to its exit status, with
# the shell's "Killed" notice suppressed. (Not in a $(...): a subshell cannot
# wait for its parent's jobs.)
# shellcheck disable=SC2034 # rc is for the caller
wait_rc() {
    rc=0
    { wait "$1"; } 2>/dev/null || rc=$?
}

# hold_run PID: stall the run of process PID inside a chunk transaction, at
# its last statement (counting the chunk in its run row), by holding that row
# locked from another session; returns once the run waits for the lock. The
# lock is FOR NO KEY UPDATE, which lets the chunk's recommendations reference
# the run row (their foreign key takes FOR KEY SHARE) but not update it. The
# locking psql's pid is in $holder; release_run lets the run go on.
hold_run() {
    local id deadline=$((SECONDS + 30))
    id=$(q -c "SELECT id FROM sentencer.run WHERE pid = $1")
    PGAPPNAME=fault_hold psql -XAtq -v ON_ERROR_STOP=1 -c "BEGIN" \
        -c "SELECT 1 FROM sentencer.run WHERE id = $id FOR NO KEY UPDATE" \
        -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
    holder=$!
    until [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                      AND application_name = 'sentencer' AND wait_event_type = 'Lock'")" -gt 0 ]; do
        kill -0 "$1" 2>/dev/null || fail "run $1 ended before it could be held"
        [ $SECONDS -lt $deadline ] || fail "run $1 was not held within 30 s"
        sleep 0.02
    done
}

# release_run: let a held run go on. The holder's backend is terminated, as
# it sleeps and would not notice its client's end. Safe to call when nothing
# is held, e.g. from a trap.
release_run() {
    [ -n "${holder:-}" ] || return 0
    q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'fault_hold'" >/dev/null
    { wait "$holder"; } 2>/dev/null || true
    holder=
}

# wait_detached: until no session of the job is left in this database (a
# killed client's backend ends its transaction only when it notices).
wait_detached() {
    local deadline=$((SECONDS + 30))
    until [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                      AND application_name = 'sentencer'")" = 0 ]; do
        [ $SECONDS -lt $deadline ] || fail "the job's sessions did not end within 30 s"
        sleep 0.02
    done
}
