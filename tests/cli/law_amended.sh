#!/usr/bin/env bash
# The law in time under amendment: a copy of the rule set with the two
# hypothetical amendments of tests/rules-amended/amendments.lua (a stricter
# one from 2031-01-01, a more lenient one from 2033-01-01) passes the golden
# tests of tests/rules-amended/golden (both sides of each date; the lighter
# law when act and trial fall under different versions, CL:12) and still
# every shipped golden test (all dated before the amendments). Then a run
# on such cases stores law_version and explain replays the choice.
set -euo pipefail
S=$SENTENCER
rules=$TMPDIR/rules
cp -r "$PROJECT/lua-rules" "$rules"
cp "$PROJECT/tests/rules-amended/amendments.lua" "$rules/"
sed -i 's/^law\.lua$/law.lua\namendments.lua/' "$rules/MANIFEST"
grep -qx amendments.lua "$rules/MANIFEST"
# luacheck (run by check-rules where installed) learns what the new file reads.
echo 'files["amendments.lua"] = { read_globals = { "LAW", "yuan" } }' >>"$rules/.luacheckrc"

$S check-rules --rules "$rules" --tests "$PROJECT/tests/rules-amended/golden" >"$TMPDIR/a.log" 2>&1 ||
    { cat "$TMPDIR/a.log"; exit 1; }
grep -Eq '^12 passed, 0 failed$' "$TMPDIR/a.log" || { cat "$TMPDIR/a.log"; exit 1; }
$S check-rules --rules "$rules" --tests "$PROJECT/tests/rules" >"$TMPDIR/s.log" 2>&1 ||
    { cat "$TMPDIR/s.log"; exit 1; }

# The shipped rule set knows no amendment: the same cases are judged by
# CL2015;I2019 throughout, so the rows that the amendments decide fail.
set +e
$S check-rules --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules-amended/golden" \
    >"$TMPDIR/plain.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 3 ] || { echo "shipped rules on the amended tests: exit $rc, want 3"; exit 1; }
grep -q "law_version: expected 'HYPO2031-STRICT" "$TMPDIR/plain.log"

# A run stores the version applied (cases.csv refuses future dates, so the
# run takes the sample cases: all of them before the amendments) and
# explain replays the choice with its reason.
$S migrate
$S import "$PROJECT/tests/data/sample-cases.csv" 2>/dev/null
# (exit 1: the sample holds two cases the law excludes)
rc=0
$S run --rules "$rules" --tests "$PROJECT/tests/rules-amended/golden" --out "$TMPDIR/out" \
    >"$TMPDIR/run.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run.log"; exit 1; }
bad=$(psql -XAtqc "SELECT count(*) FROM sentencer.recommendation
                   WHERE status = 'ok' AND law_version NOT LIKE 'CL2015;I2019%'
                      OR status = 'error' AND (law_version IS NOT NULL OR error_kind IS NULL)")
[ "$bad" -eq 0 ] || { echo "$bad recommendations with a wrong law_version or error_kind"; exit 1; }
head -1 "$TMPDIR/out/"*/recommendations.csv | grep -q ',rule_set,error_kind,law_version,run_id$'
case_no=$(psql -XAtqc "SELECT c.case_no FROM sentencer.recommendation r
                       JOIN sentencer.charge c ON c.id = r.charge_id
                       WHERE r.status = 'ok' ORDER BY c.case_no LIMIT 1")
$S explain "$case_no" >"$TMPDIR/explain.log" 2>&1 || { cat "$TMPDIR/explain.log"; exit 1; }
grep -q 'law in time' "$TMPDIR/explain.log" || { cat "$TMPDIR/explain.log"; exit 1; }
echo "amendments: the lighter law chosen; law_version stored and replayed"
