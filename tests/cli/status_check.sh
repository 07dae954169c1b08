#!/usr/bin/env bash
# What monitoring sees (issue "Operating it on a court's server"):
#  - `status --check` prints one line and exits 3 (UNKNOWN) before any run,
#    0 (OK) after a fresh run, 1 (WARNING) when the last run is older than
#    --max-age (26h by default), 2 (CRITICAL) when the last run was refused
#    (its golden tests fail: recorded as 'refused' with the reason) or died;
#  - a run killed with SIGKILL shows 'dead' at once, without another run
#    starting (its session's advisory lock is free);
#  - with several hosts, a host whose latest run was refused is a WARNING
#    even when another host's run is done;
#  - legal exclusions (a defendant under 16) are errors of kind legal: a
#    night with only those exits 0; a rule error exits 1, and errors.csv
#    says which is which;
#  - --format json and csv carry the same runs as the table;
#  - the database unreachable: UNKNOWN, one line.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
trap release_run EXIT

check() { # check WANT_RC PATTERN [ARGS...]: status --check's exit and its one line
    local want=$1 pattern=$2 rc=0
    shift 2
    "$S" status --check "$@" >"$TMPDIR/check.out" 2>"$TMPDIR/check.err" || rc=$?
    [ "$rc" -eq "$want" ] || { cat "$TMPDIR/check.out" "$TMPDIR/check.err"; fail "status --check $*: exit $rc, want $want"; }
    [ "$(wc -l <"$TMPDIR/check.out")" -eq 1 ] || { cat "$TMPDIR/check.out"; fail "status --check: not one line"; }
    [ ! -s "$TMPDIR/check.err" ] || { cat "$TMPDIR/check.err"; fail "status --check wrote to stderr"; }
    grep -q -- "$pattern" "$TMPDIR/check.out" ||
        { cat "$TMPDIR/check.out"; fail "status --check $*: no '$pattern'"; }
    echo "exit $rc: $(cat "$TMPDIR/check.out")"
}

check 3 '^SENTENCER UNKNOWN - ' --db "host=$TMPDIR/nowhere connect_timeout=2"
"$S" migrate 2>/dev/null
check 3 '^SENTENCER UNKNOWN - no run recorded yet'

# A night whose only errors are legal exclusions: two defendants under 16.
cat >"$TMPDIR/young.csv" <<'CSV'
case_no,defendant_no,act_no,court_code,offense,offense_date,conviction_date,defendant_kind,age_at_offense,payment_settled_yuan
(2023)京0108刑初627号,1,1,110108,help_network_crime,2022-08-20,2023-03-28,person,14,300000
(2023)京0108刑初627号,2,1,110108,help_network_crime,2022-08-20,2023-03-28,person,15,300000
(2023)京0108刑初627号,3,1,110108,help_network_crime,2022-08-20,2023-03-28,person,30,300000
CSV
"$S" import "$TMPDIR/young.csv" 2>/dev/null
rc=0
"$S" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" >"$TMPDIR/legal.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$TMPDIR/legal.log"; fail "a night with only legal exclusions: exit $rc, want 0"; }
grep -q '2 errors (2 legal exclusions)' "$TMPDIR/legal.log" || { cat "$TMPDIR/legal.log"; fail "run: no count of legal exclusions"; }
run1=$(q -c "SELECT max(id) FROM sentencer.run")
python3 - "$TMPDIR/out/$run1/errors.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert [r["error_kind"] for r in rows] == ["legal", "legal"], rows
assert list(rows[0])[-3:] == ["error_kind", "run_id", "rule_set"], list(rows[0])
PY
grep -q '^errors.csv,error_kind,enum,' "$TMPDIR/out/$run1/codebook.csv" || fail "codebook: no errors.csv error_kind"
check 0 "^SENTENCER OK - run $run1 done .*: 3 evaluated, 0 failed, 2 legal exclusions | age="

# Machine formats: the same runs as the table.
"$S" status --format json >"$TMPDIR/status.json"
"$S" status --format csv >"$TMPDIR/status.csv"
python3 - "$TMPDIR/status.json" "$TMPDIR/status.csv" "$run1" <<'PY'
import csv, json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
c = list(csv.DictReader(open(sys.argv[2], encoding="utf-8", newline="")))
run = int(sys.argv[3])
assert len(j) == len(c) == 1, (j, c)
assert j[0]["run"] == run and j[0]["state"] == "done" and j[0]["errors"] == 2, j
assert j[0]["failures"] == 0 and j[0]["evaluated"] == 3 and j[0]["label"] is None, j
assert j[0]["ended_at"].endswith("Z") and isinstance(j[0]["pid"], int), j
for k, v in j[0].items():
    assert c[0][k] == ("" if v is None else str(v)), (k, v, c[0][k])
PY

# Stale: the same run, ended 30 hours ago (default --max-age 26h), or
# checked with a shorter --max-age.
q -c "UPDATE sentencer.run SET started_at = started_at - interval '30 hours',
                               ended_at = ended_at - interval '30 hours' WHERE id = $run1"
check 1 "^SENTENCER WARNING - run $run1 done 30h.*older than 26h"
check 0 "^SENTENCER OK - " --max-age 2d
rc=0
"$S" status --max-age 2d >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--max-age without --check: exit $rc, want 2"

# A rule error: a copy of the rules that fails on one case number.
bad=$TMPDIR/badrules
cp -r "$RULES" "$bad"
echo zz_fail.lua >>"$bad/MANIFEST"
cat >"$bad/zz_fail.lua" <<'LUA'
-- zz_fail.lua: evaluate() fails on one case number, for status_check.sh.
local real_evaluate = evaluate
function evaluate(case)
    if case.case_no == "(2023)京0108刑初700号" then
        error("planted failure")
    end
    return real_evaluate(case)
end
LUA
cat >"$TMPDIR/more.csv" <<'CSV'
case_no,defendant_no,act_no,court_code,offense,offense_date,conviction_date,defendant_kind,age_at_offense,payment_settled_yuan
(2023)京0108刑初700号,1,1,110108,help_network_crime,2022-08-20,2023-03-28,person,30,300000
(2023)京0108刑初701号,1,1,110108,help_network_crime,2022-08-20,2023-03-28,person,13,300000
CSV
"$S" import "$TMPDIR/more.csv" 2>/dev/null
rc=0
"$S" run --rules "$bad" --tests "$GOLDEN" --out "$TMPDIR/out" >"$TMPDIR/rule.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$TMPDIR/rule.log"; fail "a night with a rule error: exit $rc, want 1"; }
run2=$(q -c "SELECT max(id) FROM sentencer.run")
python3 - "$TMPDIR/out/$run2/errors.csv" <<'PY'
import csv, sys
rows = {r["case_no"]: r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}
assert rows["(2023)京0108刑初700号"]["error_kind"] == "rule", rows
assert "planted failure" in rows["(2023)京0108刑初700号"]["error"], rows
assert rows["(2023)京0108刑初701号"]["error_kind"] == "legal", rows
PY
check 1 "^SENTENCER WARNING - run $run2 done .* 1 failed, "

# Refused: the golden tests fail. Recorded with the reason, exit 3, CRITICAL.
mkdir -p "$TMPDIR/wrong/one"
cp "$GOLDEN/persons/cases.csv" "$TMPDIR/wrong/one/"
sed 's/,error,14,/,ok,,/' "$GOLDEN/persons/expected.csv" >"$TMPDIR/wrong/one/expected.csv"
! cmp -s "$GOLDEN/persons/expected.csv" "$TMPDIR/wrong/one/expected.csv" || fail "the wrong expectation was not planted"
rc=0
"$S" run --rules "$RULES" --tests "$TMPDIR/wrong" --out "$TMPDIR/out" >"$TMPDIR/refused.log" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$TMPDIR/refused.log"; fail "refused run: exit $rc, want 3"; }
run3=$(q -c "SELECT max(id) FROM sentencer.run")
[ "$(q -c "SELECT state || ' ' || evaluated FROM sentencer.run WHERE id = $run3")" = "refused 0" ] ||
    fail "the refused run is not recorded as refused"
[ ! -e "$TMPDIR/out/$run3" ] || fail "the refused run wrote a folder"
check 2 "^SENTENCER CRITICAL - run $run3 refused .*golden tests"
"$S" status >"$TMPDIR/status.txt"
grep -q "^$run3 .* refused " "$TMPDIR/status.txt" || { cat "$TMPDIR/status.txt"; fail "status: no refused run"; }

# A run killed with SIGKILL while it works: dead at once, no other run needed.
"$PROJECT/scripts/gen-cases" 2000 21 >"$TMPDIR/many.csv"
"$S" import "$TMPDIR/many.csv" 2>/dev/null
"$S" run --rules "$RULES" --tests "$GOLDEN" --chunk 50 --out "$TMPDIR/out" >"$TMPDIR/kill.log" 2>&1 &
pid=$!
wait_evaluated "$pid" 50
hold_run "$pid"
run4=$(q -c "SELECT id FROM sentencer.run WHERE pid = $pid")
"$S" status >"$TMPDIR/status.txt"
grep -q "^$run4 .* running " "$TMPDIR/status.txt" || { cat "$TMPDIR/status.txt"; fail "status: the live run is not running"; }
# A live run is passed over: the last finished run (refused) is judged.
check 2 "^SENTENCER CRITICAL - last finished run $run3 refused"
kill -KILL "$pid"
wait_rc "$pid"
release_run
wait_detached
"$S" status >"$TMPDIR/status.txt"
grep -q "^$run4 .* dead " "$TMPDIR/status.txt" || { cat "$TMPDIR/status.txt"; fail "status: the killed run is not shown dead"; }
grep -q "session ended before the run finished" "$TMPDIR/status.txt" || fail "status: no reason for the dead run"
[ "$(q -c "SELECT state FROM sentencer.run WHERE id = $run4")" = running ] ||
    fail "the killed run's row changed without another run"
check 2 "^SENTENCER CRITICAL - run $run4 dead "

# The next run reaps the dead one and finishes the work: OK again, the
# refused run behind it being this host's past.
"$S" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" >"$TMPDIR/after.log" 2>&1 ||
    { cat "$TMPDIR/after.log"; fail "the run after the kill"; }
[ "$(q -c "SELECT state FROM sentencer.run WHERE id = $run4")" = failed ] || fail "the dead run was not reaped"
check 0 "^SENTENCER OK - "
# Had the refused run come from another host, that host's latest run is
# refused: WARNING, naming it, though this host's last run is done.
q -c "UPDATE sentencer.run SET host = 'host-b' WHERE id = $run3"
check 1 "^SENTENCER WARNING - run [0-9]* done .*; but host host-b: run $run3 refused"
echo "status --check: 3 before any run, 0 fresh, 1 stale or failed cases or another host refused, 2 refused or dead"
