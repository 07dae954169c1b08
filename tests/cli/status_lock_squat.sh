#!/usr/bin/env bash
# A run's liveness is its session's advisory lock (1936027182, lock_key);
# pg_locks shows every session the key, and pg_advisory_lock needs no
# privilege. A role that may only connect (no member of sentencer_job)
# queues on a running run's key; when the run's session dies, the queued
# session gets the lock. The run must still be shown dead (status, status
# --check CRITICAL) and be reaped by the next run, not stay 'running' for as
# long as that other session likes.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
squatter=sentencer_squat_$$_$RANDOM
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '$squatter'" >/dev/null || true
    q -c "DROP ROLE IF EXISTS $squatter" >/dev/null || echo "could not drop role $squatter"
}
trap cleanup EXIT

"$S" migrate 2>/dev/null
"$S" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" >/dev/null 2>&1
rs=$(last_rule_set)
q -c "CREATE ROLE $squatter LOGIN"

# A run whose session stays open: run_begin, then a long sleep.
q -c "SELECT run_id FROM sentencer.run_begin('host-a', 4242, '$rs', 1)" \
    -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    key=$(q -c "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = 1936027182 AND granted")
    [ -n "$key" ] && break
    sleep 0.1
done
[ -n "$key" ] || fail "the run's lock never showed"
run=$(q -c "SELECT max(id) FROM sentencer.run")
runpid=$(q -c "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 1936027182 AND objid = $key AND granted")

# Any role that may connect queues on the key.
PGUSER=$squatter psql -XAtq -c "SELECT pg_advisory_lock(1936027182, $key)" -c "SELECT pg_sleep(300)" \
    >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $key AND NOT granted")" -eq 1 ] && break
    sleep 0.1
done

# The run's session dies (the process killed, the host crashed).
q -c "SELECT pg_terminate_backend($runpid)" >/dev/null
for _ in $(seq 50); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $runpid")" -eq 0 ] && break
    sleep 0.1
done
sleep 0.5

"$S" status --limit 1 >"$TMPDIR/status.txt"
cat "$TMPDIR/status.txt"
grep -q "^$run .* dead " "$TMPDIR/status.txt" ||
    fail "run $run, whose session died, is not shown dead while another role holds its lock key"
rc=0
"$S" status --check >"$TMPDIR/check.out" 2>&1 || rc=$?
cat "$TMPDIR/check.out"
[ "$rc" -eq 2 ] || fail "status --check with a dead run: exit $rc, want 2"
[ "$(q -c "SELECT sentencer.run_reap()")" -eq 1 ] || fail "run_reap did not reap run $run"
echo "a dead run whose lock key another session took is still dead"
