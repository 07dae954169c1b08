#!/usr/bin/env bash
# Overlapping nightly runs share the work and never do it twice: two
# `sentencer run` processes and a third with --workers 2, started together on
# the same cases, end with exactly one current recommendation per charge and
# exactly as many recommendation rows as charges (no charge evaluated twice for
# the same facts and rule set); the runs' counters add up to the charges, and
# every run did a share of the work (so they really overlapped). Started
# together once more, they find nothing left to do.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
run_args=(run --rules "$RULES" --tests "$GOLDEN" --chunk 25)

# start_all ROUND: the three runs in the background, their pids in pids[]
start_all() {
    pids=()
    "$S" "${run_args[@]}" --out "$TMPDIR/out-a" >"$TMPDIR/$1-a.log" 2>&1 &
    pids+=($!)
    "$S" "${run_args[@]}" --out "$TMPDIR/out-b" >"$TMPDIR/$1-b.log" 2>&1 &
    pids+=($!)
    "$S" "${run_args[@]}" --workers 2 --out "$TMPDIR/out-c" >"$TMPDIR/$1-c.log" 2>&1 &
    pids+=($!)
}

# wait_all ROUND: each run ends done, exit 0 or 1 (1: some cases are errors)
wait_all() {
    local i=0 x
    for x in a b c; do
        wait_rc "${pids[$i]}"
        if [ "$rc" -gt 1 ] || ! grep -qE ' done: |: nothing to do; ' "$TMPDIR/$1-$x.log"; then
            cat "$TMPDIR/$1-$x.log"
            fail "$1 run $x: exit $rc"
        fi
        i=$((i + 1))
    done
}

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 3000 12 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
total=$(q -c "SELECT count(*) FROM sentencer.charge")

start_all first
wait_all first
[ "$(q -c "SELECT count(DISTINCT rule_set) FROM sentencer.run")" = 1 ] ||
    fail "the runs used different rule sets"
check_complete "three overlapping runs" "$(last_rule_set)"
rows=$(stored)
[ "$rows" -eq "$total" ] || fail "$rows recommendation rows for $total charges"
[ "$(q -c "SELECT sum(evaluated) FROM sentencer.run")" -eq "$total" ] ||
    fail "the runs counted $(q -c "SELECT sum(evaluated) FROM sentencer.run") evaluations"
idle=$(q -c "SELECT count(*) FROM sentencer.run WHERE evaluated = 0")
[ "$idle" -eq 0 ] ||
    { "$S" status; fail "$idle of the 3 runs evaluated nothing: they did not overlap"; }
echo "shared: $(q -c "SELECT string_agg(evaluated::text, ' + ' ORDER BY id) FROM sentencer.run")" \
    "= $total"

# Again: nothing is pending, nothing is evaluated (each says "nothing to
# do", or, started before the last one recorded that, evaluates nothing).
start_all second
wait_all second
[ "$(stored)" -eq "$total" ] || fail "the second round stored $(($(stored) - total)) more"
check_complete "second round" "$(last_rule_set)"
echo "$total charges, each evaluated once by three overlapping runs"
