#!/usr/bin/env bash
# A database made by the release with schema version 3 (tests/data/schema-v3:
# two runs, a re-imported case, superseded recommendations with their
# traces) migrates to the current schema with nothing lost: every run,
# charge, act and recommendation (trace included) reads back as it was.
# Then it works on: a re-import of the same file changes nothing; a run
# with the current rule set evaluates every charge; explain replays the new
# recommendations and shows the old ones' stored traces; a changed amount
# is explained old and new.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
sample=$PROJECT/tests/data/sample-cases.csv

psql -XAtq -v ON_ERROR_STOP=1 -f "$PROJECT/tests/data/schema-v3/dump.sql" >/dev/null
[ "$(q -c "SELECT max(version) FROM sentencer.schema_migration")" = 3 ] || fail "the dump is not at version 3"

# Everything version 3 stored, as text, in a fixed order.
snapshot() {
    q <<'SQL'
SELECT 'run', id, started_at, ended_at, state, host, pid, rule_set, workers, evaluated, errors,
       out_dir, message, token_hash, lock_key FROM sentencer.run ORDER BY id;
SELECT 'charge', id, case_no, defendant_no, offense, facts_rev, evaluated_rev, evaluated_rule_set
FROM sentencer.charge ORDER BY id;
SELECT 'act', charge_id, act_no, md5(row(case_no, defendant_no, act_no, court_code, offense,
       offense_date, conviction_date, defendant_kind, age_at_offense, payment_settled_fen,
       illegal_income_fen, helped_parties, actual_kind, actual_months, actual_fine_fen)::text)
FROM sentencer.act ORDER BY charge_id, act_no;
SELECT 'rec', id, charge_id, run_id, facts_rev, is_current, created_at, superseded_at, status,
       error, threshold_met, threshold_basis, recommended_kind, recommended_months,
       recommended_fine_fen, citations, review_flags, rule_set, md5(trace::text)
FROM sentencer.recommendation ORDER BY id;
SELECT 'err', run_id, charge_id, message FROM sentencer.run_error ORDER BY run_id, charge_id;
SQL
}
snapshot >"$TMPDIR/before.txt"
recs=$(q -c "SELECT count(*) FROM sentencer.recommendation")
traced=$(q -c "SELECT count(*) FROM sentencer.recommendation WHERE trace IS NOT NULL")
ok=$(q -c "SELECT count(*) FROM sentencer.recommendation WHERE status = 'ok'")
[ "$recs" -ge 30 ] && [ "$traced" -eq "$ok" ] || fail "fixture: $recs recommendations, $traced traced"

"$S" migrate 2>"$TMPDIR/migrate.log"
# Every migration after version 3 applies, and no other.
want=$(find "$PROJECT/sql" -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' | awk -F/ '$NF > "004"' | wc -l)
grep -q "($want migrations applied)" "$TMPDIR/migrate.log" ||
    { cat "$TMPDIR/migrate.log"; fail "migrate: want $want migrations applied"; }
snapshot >"$TMPDIR/after.txt"
diff "$TMPDIR/before.txt" "$TMPDIR/after.txt" >"$TMPDIR/diff.txt" ||
    { head -20 "$TMPDIR/diff.txt"; fail "the migration changed stored data"; }
old_rs=$(q -c "SELECT DISTINCT rule_set FROM sentencer.run")
[ "$(q -c "SELECT count(*) FROM sentencer.rule_set WHERE id = '$old_rs' AND sha256 IS NULL")" = 1 ] ||
    fail "the old rule set is not recorded (without files)"
[ "$(q -c "SELECT count(DISTINCT rev_from) FROM sentencer.act a JOIN sentencer.charge c ON c.id = a.charge_id WHERE a.rev_from <> c.facts_rev")" = 0 ] ||
    fail "acts do not hold from their charge's current revision"
echo "migrated: $recs recommendations ($traced with a trace), runs, charges and acts unchanged"

# The same file again changes nothing.
"$S" import "$sample" 2>"$TMPDIR/import.log" || [ $? -eq 1 ]
grep -q '(0 new, 1 changed, ' "$TMPDIR/import.log" ||
    { cat "$TMPDIR/import.log"; fail "re-import after the migration"; }
# (1 changed: the dump holds the sample with one amount changed; this puts
# it back.)

# A run with the current rules evaluates every charge; the new
# recommendations are replayed by explain; the superseded ones of the old
# release show their stored trace.
rc=0
"$S" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" 2>"$TMPDIR/run.log" || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run.log"; fail "run after the migration: exit $rc"; }
new=$(q -c "SELECT count(*) FROM sentencer.recommendation WHERE run_id = (SELECT max(id) FROM sentencer.run)")
[ "$new" = "$(q -c "SELECT count(*) FROM sentencer.charge")" ] || fail "$new new recommendations"
case='(2022)京0105刑初123号'
"$S" explain "$case" 2 >"$TMPDIR/explain-new.txt"
grep -q 'replayed: the same result as stored' "$TMPDIR/explain-new.txt" &&
    grep -q '"payment_settled_yuan": 199999.9' "$TMPDIR/explain-new.txt" ||
    { cat "$TMPDIR/explain-new.txt"; fail "explain of the new recommendation"; }
"$S" explain --run 2 "$case" 2 >"$TMPDIR/explain-old.txt"
grep -q 'the trace stored with it' "$TMPDIR/explain-old.txt" &&
    grep -q '"payment_settled_yuan": 250000' "$TMPDIR/explain-old.txt" ||
    { cat "$TMPDIR/explain-old.txt"; fail "explain of run 2's recommendation"; }
check_whole "after the migration and a run"
echo "after the migration: re-import, run and explain (replayed and stored traces) work"
