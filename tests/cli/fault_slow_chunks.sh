#!/usr/bin/env bash
# Slow rules hold no lock for long, and a slow or stopped machine turns no
# sound case into an error:
# - with rules costing about 40 ms a case, a chunk of 500 would hold its
#   charges for 20 s; it is stored as far as it got after 10 s, so an import
#   changing those charges waits for it well within its --lock-timeout 15;
# - the same run, stopped with SIGSTOP five times for half a second, gets
#   no "time budget" error: the budget counts processor time.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 500 51 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>/dev/null

# The real rules, slowed down: each case sorts 40,000 numbers first.
cp -r "$RULES" "$TMPDIR/slow"
echo zz_slow.lua >>"$TMPDIR/slow/MANIFEST"
cat >"$TMPDIR/slow/zz_slow.lua" <<'EOF2'
local real_evaluate = evaluate
function evaluate(case)
    local t = {}
    for i = 1, 40000 do t[i] = (i * 7919) % 40009 end
    table.sort(t)
    return real_evaluate(case)
end
EOF2
# Changed facts for the first 40 rows: helped_parties moved by one.
python3 - "$TMPDIR/cases.csv" "$TMPDIR/changed.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
col = rows[0].index("helped_parties")
for r in rows[1:41]:
    r[col] = str(int(r[col] or 0) + 1)
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\n").writerows(rows[:41])
PY

# One golden case: the run's time goes to the cases.
mkdir -p "$TMPDIR/one/t"
for f in cases expected; do
    head -2 "$GOLDEN/thresholds-287-2/$f.csv" >"$TMPDIR/one/t/$f.csv"
done
"$S" run --rules "$TMPDIR/slow" --tests "$TMPDIR/one" --out "$TMPDIR/out" --case-time 2000 \
    >"$TMPDIR/run.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 60))
until [ "$(q -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                  WHERE a.application_name = 'sentencer' AND l.locktype = 'tuple'
                     OR (a.application_name = 'sentencer' AND a.state = 'idle in transaction')")" -gt 0 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$TMPDIR/run.log"; fail "the slow run ended early"; }
    [ $SECONDS -lt $deadline ] || fail "the slow run claimed nothing within 60 s"
    sleep 0.1
done
# Stop and resume the run while it evaluates its first chunk (which it
# holds for 10 s: the run is still there, however fast the machine).
for i in 1 2 3 4 5; do
    kill -STOP "$pid"
    sleep 0.5
    kill -CONT "$pid"
    sleep 0.3
done
rc=0
start=$SECONDS
"$S" import --lock-timeout 15 "$TMPDIR/changed.csv" >"$TMPDIR/import.log" 2>&1 || rc=$?
took=$((SECONDS - start))
[ "$rc" -eq 0 ] || { cat "$TMPDIR/import.log"; fail "the import behind a slow chunk: exit $rc"; }
wait_rc "$pid"
[ "$rc" -le 1 ] || { cat "$TMPDIR/run.log"; fail "the slow run: exit $rc"; }
slow=$(q -c "SELECT count(*) FROM sentencer.recommendation WHERE error ~ 'time budget'")
[ "$slow" -eq 0 ] || fail "$slow cases got a time budget error although none costs 2 s"
check_whole "after a slow, stopped run and an import"
echo "an import behind a slow run's chunk waited ${took} s; a stopped run got no time errors"
