#!/usr/bin/env bash
# check-rules --accept rewrites the failing rows of expected.csv from the
# rules' results (showing each change) and leaves every other byte as it
# was; a charge with no expected row gets one, with a note that asks for
# its reason; --run limits what is accepted. check-rules --properties N
# runs the property tests on any rule set and fails a rule set that
# breaks one, showing a shrunk charge.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"
cp -r "$PROJECT/tests/rules" t

# Two wrong cells on one row, one on another: with --run, only the first
# row is accepted; the other still fails.
f=t/law-in-time/expected.csv
sed -i '5s/,ok,,,true,I2019:12.2,/,ok,,,false,I2019:12.1,/' "$f"
sed -i '6s/,ok,,,true,/,ok,,,false,/' "$f"
! cmp -s "$f" "$PROJECT/tests/rules/law-in-time/expected.csv"
key5=$(sed -n '5p' "$f" | cut -d, -f1-3)
rc=0
$S check-rules --rules "$PROJECT/lua-rules" --tests t/law-in-time --accept \
    --run "^law-in-time/$(printf '%s' "$key5" | sed 's/[][().*^$]/\\&/g; s/,/\//g') " >a.log 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat a.log; exit 1; }
grep -q "threshold_met: 'false' -> 'true' (accepted)" a.log || { cat a.log; exit 1; }
grep -q "threshold_basis: 'I2019:12.1' -> 'I2019:12.2' (accepted)" a.log || { cat a.log; exit 1; }
grep -qx '0 passed, 0 failed, 1 accepted' a.log || { cat a.log; exit 1; }
[ "$(sed -n 5p "$f")" = "$(sed -n 5p "$PROJECT/tests/rules/law-in-time/expected.csv")" ] ||
    { echo "row 5 not restored"; exit 1; }
rc=0
$S check-rules --rules "$PROJECT/lua-rules" --tests t/law-in-time >b.log 2>&1 || rc=$?
[ "$rc" -eq 3 ] && grep -q ' 1 failed$' b.log || { cat b.log; exit 1; }
# Without --run: the rest is accepted and the file is the original, byte for byte.
$S check-rules --rules "$PROJECT/lua-rules" --tests t/law-in-time --accept >c.log 2>&1 ||
    { cat c.log; exit 1; }
cmp "$f" "$PROJECT/tests/rules/law-in-time/expected.csv" || { diff "$f" "$PROJECT/tests/rules/law-in-time/expected.csv"; exit 1; }

# A new charge in every topic's cases.csv: --accept adds its row (every
# other byte unchanged), and the topic passes afterwards.
for d in t/*/; do
    topic=$(basename "$d")
    orig=$(wc -l <"$d/expected.csv")
    sed -n 2p "$d/cases.csv" | sed 's/^[^,]*,/(2024)新增刑初1号,/' >>"$d/cases.csv"
    $S check-rules --rules "$PROJECT/lua-rules" --tests "$d" --accept >"add-$topic.log" 2>&1 ||
        { cat "add-$topic.log"; exit 1; }
    grep -q 'no expected row for this charge (accepted' "add-$topic.log" ||
        { cat "add-$topic.log"; exit 1; }
    head -n "$orig" "$d/expected.csv" | cmp - "$PROJECT/tests/rules/$topic/expected.csv" ||
        { echo "$topic: rows other than the new one changed"; exit 1; }
    [ "$(wc -l <"$d/expected.csv")" -eq $((orig + 1)) ]
    tail -1 "$d/expected.csv" | grep -q '^(2024)新增刑初1号,.*say which provision' ||
        { tail -1 "$d/expected.csv"; exit 1; }
    $S check-rules --rules "$PROJECT/lua-rules" --tests "$d" >"re-$topic.log" 2>&1 ||
        { cat "re-$topic.log"; exit 1; }
done
echo "accept: failing rows rewritten, new rows added, nothing else touched"

# Properties on the shipped rules.
$S check-rules --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --properties 40 \
    >p.log 2>&1 || { cat p.log; exit 1; }
[ "$(grep -c '^property: .*, 0 failed$' p.log)" -eq 4 ] || { cat p.log; exit 1; }
grep -q '^property: mitigating circumstance never harsher: 840 checks, 0 failed$' p.log ||
    { cat p.log; exit 1; }

# A rule set in which a guilty plea raises the term to the top of its band.
cp -r "$PROJECT/lua-rules" broken
cat >>broken/evaluate.lua <<'LUA'
local real = evaluate
function evaluate(case, explain)
    local r = real(case, explain)
    if r.recommended_months and case.acts[1].guilty_plea == true then
        r.recommended_months = r.range_high_months
    end
    return r
end
LUA
rc=0
$S check-rules --rules broken --tests "$PROJECT/tests/rules/persons" --run 'no-such-test' \
    --properties 40 >q.log 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { echo "broken rules: exit $rc, want 3"; cat q.log; exit 1; }
grep -q '^FAIL mitigating circumstance never harsher: guilty_plea made the recommendation harsher' q.log ||
    { cat q.log; exit 1; }
grep -q '^  shrunk charge' q.log || { cat q.log; exit 1; }
grep -q 'breaks a property in' q.log || { cat q.log; exit 1; }
echo "properties: pass on the shipped rules, a harsher plea caught and shrunk"
