#!/usr/bin/env bash
# A rule broken on purpose (a threshold moved by one yuan) fails the golden
# tests loudly, naming the test file, the case and the field; the nightly run
# then refuses to write anything (exit 3).
set -euo pipefail
S=$SENTENCER
rules=$TMPDIR/rules
cp -r "$PROJECT/lua-rules" "$rules"
# I2019:12.2: payment settlement of 200,000 yuan or more; break it to 200,001.
sed -i 's/payment = yuan(200000),/payment = yuan(200001),/' "$rules/params.lua"
grep -q 'yuan(200001)' "$rules/params.lua"

set +e
$S check-rules --rules "$rules" --tests "$PROJECT/tests/rules" >"$TMPDIR/check.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 3 ] || { echo "check-rules: exit $rc, want 3"; cat "$TMPDIR/check.log"; exit 1; }
grep -E 'thresholds-287-2/expected.csv:[0-9]+: .*/help_network_crime: threshold_(met|basis): expected' \
    "$TMPDIR/check.log" >/dev/null || { cat "$TMPDIR/check.log"; exit 1; }
grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$' "$TMPDIR/check.log"

$S migrate
$S import "$PROJECT/tests/data/sample-cases.csv" 2>/dev/null
set +e
$S run --rules "$rules" --tests "$PROJECT/tests/rules" --out "$TMPDIR/out" >"$TMPDIR/run.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 3 ] || { echo "run: exit $rc, want 3"; cat "$TMPDIR/run.log"; exit 1; }
grep -q 'nothing was evaluated' "$TMPDIR/run.log"
[ "$(psql -XAtqc 'SELECT count(*) FROM sentencer.recommendation')" -eq 0 ]
# The only trace: the run recorded as refused, with the reason (status --check).
[ "$(psql -XAtqc "SELECT string_agg(state || ' ' || evaluated, ',') FROM sentencer.run")" = "refused 0" ]
psql -XAtqc 'SELECT message FROM sentencer.run' | grep -q 'golden tests'
[ ! -e "$TMPDIR/out" ]
echo "a broken threshold is caught before the run writes"
