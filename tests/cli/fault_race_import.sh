#!/usr/bin/env bash
# A recommendation is always computed from the facts revision it records,
# however imports and runs interleave. After a first run has evaluated every
# charge, runs follow each other while imports change the facts of one set of
# 100 Art. 287-2 charges after another, each set twice (helped_parties moved
# across the threshold of I2019:12.1, then back): the second import of a set
# may commit while a run is claiming the charges the first made pending, and
# no later import touches them again to hide what that race left. The racing
# runs' sessions are slowed down (a comparison operator that sleeps, found
# first on their search_path), so that their statements last long enough for
# imports to commit while they are under way: what a big table or a busy
# server brings about. Two settling runs finish what is pending. Finally
# every current recommendation is compared, field by field, with a fresh
# evaluation of the stored facts: the same rules under another rule set id
# (a comment added), so that the fresh run evaluates every charge again.
# RACE_SECONDS (default 20) bounds the racing.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
# The racing runs use the optimised build (make test builds both): the
# sanitizer build spends a second per run on its own overhead, so its claims,
# where the race is, would be too rare a moment for imports to hit.
RACER=$PROJECT/bin/sentencer
[ -x "$RACER" ] || RACER=$S
SECONDS_RACING=${RACE_SECONDS:-20}

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" "${RACE_CASES:-8000}" 9 >"$TMPDIR/all.csv"
# Pairs of files over disjoint sets of 100 Art. 287-2 charges: flip-K-b.csv
# sets helped_parties to 5 where the generated value is below 3 (or
# missing), else to 1; flip-K-a.csv puts the generated rows back. Each pair
# is imported once, b then a, so that the a import may race the claims of
# the charges b made pending, and no later import hides what that race left.
python3 - "$TMPDIR/all.csv" "$TMPDIR" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
head = rows[0]
col, off = head.index("helped_parties"), head.index("offense")
key = lambda r: (r[0], r[1], r[off])
order = []
for r in rows[1:]:
    if r[off] == "help_network_crime" and key(r) not in order:
        order.append(key(r))
sets = [set(order[i:i + 100]) for i in range(0, len(order) - 99, 100)]
for k, chosen in enumerate(sets):
    a = [r for r in rows[1:] if key(r) in chosen]
    b = [list(r) for r in a]
    for r in b:
        r[col] = "5" if (r[col] == "" or int(r[col]) < 3) else "1"
    for name, body in (("a", a), ("b", b)):
        with open(f"{sys.argv[2]}/flip-{k}-{name}.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([head] + body)
PY
"$S" import "$TMPDIR/all.csv" 2>/dev/null

# The slow comparison: bigint > bigint taking 0.2 ms, for sessions that put
# schema slow before pg_catalog.
q <<'SQL'
CREATE SCHEMA slow;
CREATE FUNCTION slow.gt(a bigint, b bigint) RETURNS boolean LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$BEGIN PERFORM pg_sleep(0.0002); RETURN a > b; END$$;
CREATE OPERATOR slow.> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = slow.gt);
GRANT USAGE ON SCHEMA slow TO PUBLIC;
SQL

# Racing runs check one golden case only, so that their time goes to the
# cases (the full golden tests run in the settling runs).
mkdir -p "$TMPDIR/one/t"
for f in cases expected; do
    head -2 "$GOLDEN/thresholds-287-2/$f.csv" >"$TMPDIR/one/t/$f.csv"
done

run() { # run BINARY LOG [ARGS...]: a run that must end done (exit 0, or 1 for case errors)
    local bin=$1 log=$2 rc=0
    shift 2
    "$bin" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" -le 1 ] || { cat "$log"; fail "run: exit $rc"; }
}
run "$RACER" "$TMPDIR/first.log"

# Runs back to back in the background, imports in the foreground.
end=$((SECONDS + SECONDS_RACING))
(
    n=0
    while [ ! -e "$TMPDIR/imports-done" ]; do
        n=$((n + 1))
        PGOPTIONS=${RACE_PGOPTIONS-"-c search_path=slow,pg_catalog"} \
            run "$RACER" "$TMPDIR/race-$n.log" --workers 2 --chunk 50 --tests "$TMPDIR/one"
    done
    echo "$n" >"$TMPDIR/runs"
) &
runner=$!
imports=0
k=0
while [ $SECONDS -lt $end ] && [ -e "$TMPDIR/flip-$k-a.csv" ]; do
    for f in b a; do
        "$S" import "$TMPDIR/flip-$k-$f.csv" 2>>"$TMPDIR/imports.log" ||
            { cat "$TMPDIR/imports.log"; fail "import of flip-$k-$f.csv failed"; }
        imports=$((imports + 1))
    done
    k=$((k + 1))
done
touch "$TMPDIR/imports-done"
wait "$runner" || fail "a racing run failed"
run "$S" "$TMPDIR/settle-1.log"
run "$S" "$TMPDIR/settle-2.log"
rs=$(last_rule_set)
check_whole "after $imports imports racing $(cat "$TMPDIR/runs") runs"
[ "$(q -c "SELECT count(*) FROM sentencer.charge
           WHERE evaluated_rev IS DISTINCT FROM facts_rev")" = 0 ] ||
    fail "charges still pending after two settling runs"

q -c "CREATE TABLE raced AS SELECT r.* FROM sentencer.recommendation r WHERE r.is_current"

# The fresh evaluation: the same rules under another id.
cp -r "$RULES" "$TMPDIR/fresh"
echo "-- a comment: the same rules under another rule set id" >>"$TMPDIR/fresh/evaluate.lua"
"$RACER" run --rules "$TMPDIR/fresh" --tests "$GOLDEN" --out "$TMPDIR/out" >"$TMPDIR/fresh.log" 2>&1 ||
    [ $? -le 1 ] || { cat "$TMPDIR/fresh.log"; fail "the fresh run failed"; }
fresh=$(last_rule_set)
[ "$fresh" != "$rs" ] || fail "the fresh rule set has the same id"

stale=$(q <<'SQL'
WITH diff AS (
    SELECT c.case_no, c.defendant_no, g.facts_rev
    FROM raced g
    JOIN sentencer.recommendation f ON f.charge_id = g.charge_id AND f.is_current
    JOIN sentencer.charge c ON c.id = g.charge_id
    WHERE g.facts_rev <> f.facts_rev
       OR to_jsonb(g) - '{id,run_id,is_current,created_at,superseded_at,rule_set}'::text[]
       <> to_jsonb(f) - '{id,run_id,is_current,created_at,superseded_at,rule_set}'::text[])
SELECT format('%s of %s current recommendations differ from a fresh evaluation of the facts '
              'they record, e.g. %s', count(*), (SELECT count(*) FROM raced),
              (SELECT string_agg(case_no || '/' || defendant_no, ', ')
               FROM (SELECT * FROM diff LIMIT 3) d))
FROM diff HAVING count(*) > 0;
SQL
)
[ -z "$stale" ] || fail "$stale"
echo "$imports imports racing $(cat "$TMPDIR/runs") runs, $(stored) recommendations stored, 100 charges flipped by each:" \
    "every current recommendation equals a fresh evaluation of its stored facts"
