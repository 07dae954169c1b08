#!/usr/bin/env bash
# sentencer diff shows what a rule edit would change before it runs. The
# 287-2 settlement threshold (I2019:12.2) is raised from 200,000 to 300,000
# yuan in a copy of the rules; diff on 3,000 generated cases must:
#   - report the candidate's golden tests (which now fail) and evaluate anyway;
#   - leave every stored recommendation byte-identical;
#   - list in changes.csv exactly the fields that change, old and new value,
#     when the candidate is really run (it is, afterwards, and the two
#     exports are compared), with a summary that adds up.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"

$S migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 3000 20261201 >cases.csv
$S import cases.csv 2>/dev/null || [ $? -eq 1 ]
rc=0
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out1 2>run1.log || rc=$?
[ "$rc" -le 1 ] || { cat run1.log; exit 1; }

cp -r "$PROJECT/lua-rules" cand
sed -i 's/payment = yuan(200000),/payment = yuan(300000),/' cand/params.lua
grep -q 'payment = yuan(300000),' cand/params.lua

stored() {
    psql -XAtqc "SELECT md5(string_agg(r::text, E'\n' ORDER BY r.id)) FROM sentencer.recommendation r"
}
before=$(stored)
$S export --out before.csv

$S diff --rules cand --tests "$PROJECT/tests/rules" --out d >diff.log 2>diff.err ||
    { cat diff.log diff.err; exit 1; }
grep -Eq '^candidate rule set [0-9a-f]{16}: static checks 0 findings; golden tests [0-9]+ passed, [1-9][0-9]* failed \(evaluated anyway' diff.log ||
    { cat diff.log; exit 1; }
grep -Eq '^diff: [0-9]+ charges evaluated, [1-9][0-9]* changed' diff.log || { cat diff.log; exit 1; }
[ "$(stored)" = "$before" ] || { echo "diff changed the stored recommendations"; exit 1; }
# Two workers on one snapshot give the same files, byte for byte.
$S diff --rules cand --tests "$PROJECT/tests/rules" --out d2 --workers 2 >diff2.log 2>/dev/null ||
    { cat diff2.log; exit 1; }
cmp d/changes.csv d2/changes.csv
cmp d/changes_summary.csv d2/changes_summary.csv
[ -z "$(find d2 -name '.diff-blocks*')" ] || { echo "work folder left behind"; exit 1; }
[ "$(grep '^diff: ' diff.log)" = "$(grep '^diff: ' diff2.log)" ]

# The truth: run the candidate for real (with a golden test it passes).
mkdir -p tests/one
printf '%s\n' 'case_no,defendant_no,act_no,court_code,offense,offense_date,conviction_date,defendant_kind,age_at_offense,crime_sites' \
    '(2023)沪0115刑初1号,1,1,310115,illegal_use_network,2022-06-01,2023-03-01,person,30,3' >tests/one/cases.csv
printf '%s\n' 'case_no,defendant_no,offense,status,threshold_met,threshold_basis' \
    '(2023)沪0115刑初1号,1,illegal_use_network,ok,true,I2019:10.2' >tests/one/expected.csv
rc=0
$S run --rules cand --tests tests --out out2 2>run2.log || rc=$?
[ "$rc" -le 1 ] || { cat run2.log; exit 1; }
$S export --out after.csv

python3 - <<'PY'
import csv
def load(p):
    with open(p, encoding='utf-8-sig', newline='') as f:
        return {(r['case_no'], r['defendant_no'], r['offense']): r for r in csv.DictReader(f)}
old, new = load('before.csv'), load('after.csv')
assert old.keys() == new.keys(), 'the run changed the set of charges'
truth = set()
for k, o in old.items():
    for field, v in o.items():
        if field in ('case_no', 'defendant_no', 'offense', 'rule_set'):
            continue
        if new[k][field] != v:
            truth.add(k + (field, v, new[k][field]))
with open('d/changes.csv', encoding='utf-8', newline='') as f:
    rows = list(csv.reader(f))
assert rows[0] == ['case_no', 'defendant_no', 'offense', 'field', 'old', 'new'], rows[0]
listed = set(tuple(r) for r in rows[1:])
assert len(listed) == len(rows) - 1, 'a change listed twice'
missing, extra = truth - listed, listed - truth
assert not missing and not extra, ('missing %d, e.g. %s; extra %d, e.g. %s'
                                   % (len(missing), sorted(missing)[:3], len(extra), sorted(extra)[:3]))
assert truth, 'the edit changed nothing: the test proves nothing'
changed = {r[:3] for r in listed}
assert all(k[2] == 'help_network_crime' for k in changed), 'only 287-2 can change'
# the summary adds up
with open('d/changes_summary.csv', encoding='utf-8', newline='') as f:
    summ = list(csv.DictReader(f))
per = {}
for r in listed:
    per[(r[2], r[3])] = per.get((r[2], r[3]), 0) + 1
assert {(s['offense'], s['field']): int(s['charges_changed']) for s in summ} == per, summ
tm = [s for s in summ if s['field'] == 'threshold_met'][0]
assert int(tm['down']) > 0 and int(tm['up']) == 0, tm
print('diff: %d changed fields of %d charges, all confirmed by the real run' % (len(listed), len(changed)))
PY
