#!/usr/bin/env bash
# A nightly run killed with SIGKILL leaves whole chunks or nothing, and the
# next run finishes the job exactly once:
#  - runs killed at ~0.2 s (starting up), at ~0.5 s (first chunks), right
#    after a chunk commits, inside a chunk's transaction (held there by a row
#    lock), half-way through, and a --workers 2 run with one worker child
#    killed; after each kill every stored recommendation has
#    its charge marked evaluated for the same facts_rev and rule set, the
#    run's counters match its rows, and a one-worker run stored a whole
#    number of chunks;
#  - the run with a killed worker fails on its own (exit 3, "workers failed");
#  - the next run completes: one current recommendation per charge (none
#    missing, none doubled), each for the charge's current facts_rev and the
#    rule set, and no charge evaluated twice for the same facts and rules;
#  - every killed run that got as far as recording itself shows 'failed' in
#    `sentencer status`.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
CHUNK=50
run_args=(run --rules "$RULES" --tests "$GOLDEN" --chunk "$CHUNK"
          --out "$TMPDIR/out")
killed=() # pids of the killed runs
trap release_run EXIT

# start_run NAME [OPTION...]: a run in the background, its pid in $pid
start_run() {
    name=$1
    shift
    before=$(stored)
    "$S" "${run_args[@]}" "$@" >"$TMPDIR/$name.log" 2>&1 &
    pid=$!
}

# SIGKILL the run, which must not have ended before.
kill_run() {
    kill -KILL "$pid"
    wait_rc "$pid"
    [ "$rc" -eq 137 ] || { cat "$TMPDIR/$name.log"; fail "$name: exit $rc, want 137 (SIGKILL)"; }
    killed+=("$pid")
}

# After a one-worker run was killed: what it stored is whole and a whole
# number of chunks.
after_kill() {
    local new
    wait_detached
    check_whole "$name"
    new=$(($(stored) - before))
    if [ $((new % CHUNK)) -ne 0 ] &&
        [ "$(q -c "SELECT count(*) FROM sentencer.charge WHERE evaluated_rev IS NULL")" -ne 0 ]; then
        fail "$name: stored $new recommendations, not a whole number of $CHUNK-charge chunks"
    fi
    if [ -z "$(q -c "SELECT id FROM sentencer.run WHERE pid = $pid")" ] && [ "$new" -ne 0 ]; then
        fail "$name: $new recommendations stored by a run that was never recorded"
    fi
    echo "$name: $new stored before the kill"
}

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 3000 11 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
total=$(q -c "SELECT count(*) FROM sentencer.charge")

start_run kill-0.2s
sleep 0.2
kill_run
after_kill

start_run kill-0.5s
sleep 0.5
kill_run
after_kill

start_run kill-after-chunk
wait_evaluated "$pid" "$CHUNK"
kill_run
after_kill

# Killed in the middle of a chunk's transaction, deterministically: the run is
# held at the chunk's last statement (its recommendations stored, its charges
# marked), so a chunk committed in pieces would show.
start_run kill-in-chunk
wait_evaluated "$pid" "$CHUNK"
hold_run "$pid"
kill_run
release_run
after_kill

start_run kill-halfway
wait_evaluated "$pid" $(((total - $(stored)) / 2))
kill_run
after_kill

# One of two worker children killed: the other goes on, and the run ends
# failed, saying why.
# Both workers are held at their first store (a SHARE lock on the
# recommendations, taken before the run starts) while one is killed: a fast
# run could otherwise end before the kill.
PGAPPNAME=fault_hold psql -XAtq -v ON_ERROR_STOP=1 -c "BEGIN" \
    -c "LOCK TABLE sentencer.recommendation IN SHARE MODE" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
holder=$!
until [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fault_hold'
                  AND query LIKE '%pg_sleep%'")" -gt 0 ]; do sleep 0.02; done
start_run kill-worker --workers 2
deadline=$((SECONDS + 60))
until [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                  AND application_name = 'sentencer' AND wait_event_type = 'Lock'")" -ge 2 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$TMPDIR/$name.log"; fail "$name: ended early"; }
    [ $SECONDS -lt $deadline ] || fail "$name: its workers were not held within 60 s"
    sleep 0.02
done
child=$(pgrep -P "$pid" | head -1)
[ -n "$child" ] || fail "kill-worker: no worker process under $pid"
kill -KILL "$child"
release_run
wait_rc "$pid"
[ "$rc" -eq 3 ] || { cat "$TMPDIR/$name.log"; fail "$name: exit $rc, want 3"; }
grep -q '1 of 2 workers failed' "$TMPDIR/$name.log" ||
    { cat "$TMPDIR/$name.log"; fail "$name: no message about the failed worker"; }
[ "$(q -c "SELECT state FROM sentencer.run WHERE pid = $pid")" = failed ] ||
    fail "$name: run not recorded as failed"
check_whole "$name"
echo "$name: $(($(stored) - before)) stored by the surviving worker"

# The next run finishes the rest.
rc=0
"$S" "${run_args[@]}" >"$TMPDIR/final.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/final.log"; fail "final run: exit $rc"; }
grep -q ' done: ' "$TMPDIR/final.log" || { cat "$TMPDIR/final.log"; fail "final run not done"; }
[ "$(q -c "SELECT count(DISTINCT rule_set) FROM sentencer.run")" = 1 ] ||
    fail "the runs used different rule sets"
check_complete "final run" "$(last_rule_set)"

# Every killed run that had recorded itself is shown failed.
"$S" status --limit 100 >"$TMPDIR/status.txt"
for k in "${killed[@]}"; do
    id=$(q -c "SELECT id FROM sentencer.run WHERE pid = $k")
    [ -n "$id" ] || continue # killed before it recorded the run, so it wrote nothing
    grep -Eq "^$id +.* failed +[^ ]+ +$k " "$TMPDIR/status.txt" ||
        { cat "$TMPDIR/status.txt"; fail "run $id (pid $k) not shown as failed"; }
done
[ "$(q -c "SELECT count(*) FROM sentencer.run WHERE state = 'running'")" = 0 ] ||
    fail "a run is still recorded as running"
echo "$total charges, one current recommendation each after 6 kills"
