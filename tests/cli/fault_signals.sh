#!/usr/bin/env bash
# SIGTERM and SIGINT stop a nightly run cleanly: the run finishes and commits
# the chunk in hand, records itself as 'interrupted' and exits 143 (SIGTERM)
# or 130 (SIGINT); what it stored is whole (and, with one worker, a whole
# number of chunks); the next run completes the rest, each charge evaluated
# once. Five rounds, each with a rule set of its own so that every charge is
# pending again: SIGTERM and SIGINT with one worker; SIGTERM while a chunk's
# transaction is held at its last statement by a row lock (the run waits,
# commits exactly that chunk, then stops); with --workers 2, SIGTERM to the
# main process (which passes it on) and SIGINT to the whole process group, as
# Ctrl-C in a terminal does.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
CHUNK=50

# round NAME SIGNAL WANT_EXIT TARGET [OPTION...]: TARGET is "process", "group"
# (the run's process group) or "held" (the process, while a chunk is held)
round() {
    local name=$1 sig=$2 want=$3 target=$4 rules=$TMPDIR/rules-$1 before new state
    shift 4
    # Same rules, another rule set id: the id covers the MANIFEST text.
    cp -r "$RULES" "$rules"
    echo "# fault_signals round $name" >>"$rules/MANIFEST"
    local args=(run --rules "$rules" --tests "$GOLDEN" --chunk "$CHUNK"
                --out "$TMPDIR/out" "$@")
    before=$(stored)

    # setsid: the run leads a process group of its own, to be signalled whole.
    setsid "$S" "${args[@]}" >"$TMPDIR/$name.log" 2>&1 &
    pid=$!
    wait_evaluated "$pid" $((2 * CHUNK))
    case $target in
    group)
        [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "$name: not a group leader"
        kill "-$sig" -- "-$pid"
        ;;
    held)
        # The signal comes while a chunk waits at its last statement: the run
        # must wait too, then commit that chunk, and start no other.
        hold_run "$pid"
        held=$(q -c "SELECT evaluated FROM sentencer.run WHERE pid = $pid")
        kill "-$sig" "$pid"
        sleep 0.5
        kill -0 "$pid" 2>/dev/null || fail "$name: the run ended without its chunk in hand"
        release_run
        ;;
    *) kill "-$sig" "$pid" ;;
    esac
    wait_rc "$pid"
    [ "$rc" -eq "$want" ] || { cat "$TMPDIR/$name.log"; fail "$name: exit $rc, want $want"; }
    state=$(q -c "SELECT state FROM sentencer.run WHERE pid = $pid")
    [ "$state" = interrupted ] || { cat "$TMPDIR/$name.log"; fail "$name: run state '$state'"; }
    grep -q ' interrupted: ' "$TMPDIR/$name.log" ||
        { cat "$TMPDIR/$name.log"; fail "$name: the log does not say interrupted"; }
    check_whole "$name"
    if [ "$target" = held ] &&
        [ "$(q -c "SELECT evaluated FROM sentencer.run WHERE pid = $pid")" -ne $((held + CHUNK)) ]; then
        fail "$name: the run did not commit exactly the chunk in hand after the signal"
    fi
    new=$(($(stored) - before))
    [ "$new" -lt "$total" ] || fail "$name: the run finished before the signal; nothing proven"
    if [ $# -eq 0 ] && [ $((new % CHUNK)) -ne 0 ]; then
        fail "$name: stored $new, not a whole number of $CHUNK-charge chunks"
    fi

    # The next run completes the rest.
    rc=0
    "$S" "${args[@]}" >"$TMPDIR/$name-rerun.log" 2>&1 || rc=$?
    [ "$rc" -le 1 ] || { cat "$TMPDIR/$name-rerun.log"; fail "$name: rerun exit $rc"; }
    check_complete "$name" "$(last_rule_set)"
    echo "$name: stopped after $new of $total; the rerun (exit $rc) did the rest"
}

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 1500 13 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
total=$(q -c "SELECT count(*) FROM sentencer.charge")

trap release_run EXIT
round sigterm TERM 143 process
round sigterm-in-chunk TERM 143 held
round sigint INT 130 process
round sigterm-workers TERM 143 process --workers 2
round sigint-workers-group INT 130 group --workers 2
[ "$(q -c "SELECT count(*) FROM sentencer.run WHERE state = 'running'")" = 0 ] ||
    fail "a run is still recorded as running"
echo "interrupted runs left whole chunks; reruns completed them"
