#!/usr/bin/env bash
# A nightly run that loses its database connection mid-run stops with exit 3
# and a message saying the connection was lost; the chunk in hand is rolled
# back, so what is stored is whole (and a whole number of chunks with one
# worker); the next run completes the job, each charge evaluated once:
#  (a) the job's backends terminated by an administrator
#      (pg_terminate_backend), with one worker and with --workers 2: the
#      server is still up, so the run itself records that it failed;
#  (b) the server stopped (scripts/local-db stop) during a run, then started
#      again: the run could not record its end, so the next run marks it
#      failed.
# (b) stops the whole private cluster; tests run one after another, and the
# EXIT trap starts it again whatever happens.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
LOCALDB=$PROJECT/scripts/local-db
CHUNK=50

restart_cluster() {
    if ! "$LOCALDB" status >/dev/null 2>&1; then
        "$LOCALDB" start >/dev/null 2>&1 || echo "FAIL: could not start the cluster again"
    fi
}
trap restart_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# lost NAME STOP_HOW [OPTION...]: start a run, wait until it has committed two
# chunks, cut it off from the database with STOP_HOW (a shell function), and
# check that it failed cleanly.
lost() {
    local name=$1 how=$2 before new
    shift 2
    before=$(stored)
    "$S" "${args[@]}" "$@" >"$TMPDIR/$name.log" 2>&1 &
    pid=$!
    wait_evaluated "$pid" $((2 * CHUNK))
    "$how"
    wait_rc "$pid"
    restart_cluster
    [ "$rc" -eq 3 ] || { cat "$TMPDIR/$name.log"; fail "$name: exit $rc, want 3"; }
    grep -q 'connection to the database was lost' "$TMPDIR/$name.log" ||
        { cat "$TMPDIR/$name.log"; fail "$name: no message about the lost connection"; }
    check_whole "$name"
    new=$(($(stored) - before))
    if [ $# -eq 0 ] && [ $((new % CHUNK)) -ne 0 ]; then
        fail "$name: stored $new, not a whole number of $CHUNK-charge chunks"
    fi
    echo "$name: exit 3 after $new stored"
}

# Only this test's database: other databases of the cluster are not ours.
terminate_backends() {
    q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'sentencer' AND pid <> pg_backend_pid()
            AND datname = current_database()" >/dev/null
}

stop_cluster() { "$LOCALDB" stop >/dev/null 2>&1; }

# complete NAME: the next run finishes the rest, each charge evaluated once.
complete() {
    rc=0
    "$S" "${args[@]}" >"$TMPDIR/$1.log" 2>&1 || rc=$?
    [ "$rc" -le 1 ] || { cat "$TMPDIR/$1.log"; fail "$1: exit $rc"; }
    check_complete "$1" "$(last_rule_set)"
}

"$S" migrate 2>/dev/null
# Enough cases that two workers are still busy when the backends are
# terminated (with 2,000 they could finish first on a fast machine, and the
# termination then hit the outputs instead).
"$PROJECT/scripts/gen-cases" 6000 14 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
args=(run --rules "$RULES" --tests "$GOLDEN" --chunk "$CHUNK"
      --out "$TMPDIR/out")

# (a) Backends terminated: the run reconnects to record that it failed.
lost terminated terminate_backends
[ "$(q -c "SELECT state FROM sentencer.run WHERE pid = $pid")" = failed ] ||
    { cat "$TMPDIR/terminated.log"; fail "terminated: the run is not recorded as failed"; }
lost terminated-workers terminate_backends --workers 2
grep -q 'workers failed' "$TMPDIR/terminated-workers.log" ||
    { cat "$TMPDIR/terminated-workers.log"; fail "terminated-workers: no message"; }
[ "$(q -c "SELECT state FROM sentencer.run WHERE pid = $pid")" = failed ] ||
    fail "terminated-workers: the run is not recorded as failed"
complete after-terminated

# (b) The server stopped, with a new rule set so that everything is pending.
cp -r "$RULES" "$TMPDIR/rules2"
echo "# fault_db_lost: another rule set id" >>"$TMPDIR/rules2/MANIFEST"
args=(run --rules "$TMPDIR/rules2" --tests "$GOLDEN" --chunk "$CHUNK"
      --out "$TMPDIR/out")
lost server-stopped stop_cluster
stopped_pid=$pid
complete after-stop
[ "$(q -c "SELECT state FROM sentencer.run WHERE pid = $stopped_pid")" = failed ] ||
    fail "server-stopped: the run is not marked failed by the next run"
[ "$(q -c "SELECT count(*) FROM sentencer.run WHERE state = 'running'")" = 0 ] ||
    fail "a run is still recorded as running"
echo "lost connections left whole chunks; the next runs completed the job"
