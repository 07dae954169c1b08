#!/usr/bin/env bash
# Import -> run -> export round-trips the sample: one row per defendant and
# offense, in the contract's columns and order, Chinese case numbers byte for
# byte; a second import and a second run change nothing.
set -euo pipefail
S=$SENTENCER
sample=$PROJECT/tests/data/sample-cases.csv
out=$TMPDIR/out

$S migrate
$S import "$sample" 2>"$TMPDIR/import1.log"
# Exit 1: the sample holds cases the law excludes (an act before 2015-11-01,
# a defendant under 16), which become status=error rows.
rc=0
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out "$out" 2>"$TMPDIR/run1.log" || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run1.log"; exit 1; }
grep -q ' done: ' "$TMPDIR/run1.log"
$S export --out "$TMPDIR/rec1.csv"

# A second import stores nothing new, a second run evaluates nothing.
$S import "$sample" 2>"$TMPDIR/import2.log"
grep -q '(0 new, 0 changed, ' "$TMPDIR/import2.log" || { cat "$TMPDIR/import2.log"; exit 1; }
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out "$out" 2>"$TMPDIR/run2.log"
grep -q ': nothing to do; outputs of run [0-9]* are current' "$TMPDIR/run2.log" ||
    { cat "$TMPDIR/run2.log"; exit 1; }
$S export --out "$TMPDIR/rec2.csv"
cmp "$TMPDIR/rec1.csv" "$TMPDIR/rec2.csv"

run1=$(ls "$out" | sort -n | head -1)
python3 - "$sample" "$TMPDIR/rec1.csv" "$out/$run1/recommendations.csv" \
    "$PROJECT/../shared/spec/case-interchange.md" <<'PY'
import csv, sys
sample, export, runfile, spec = sys.argv[1:5]
with open(sample, newline='', encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
keys = {(r['case_no'], r['defendant_no'], r['offense']) for r in rows}
header = ("case_no,defendant_no,offense,status,error,threshold_met,threshold_basis,"
          "statutory_kinds,statutory_max_months,fine_rule,fine_min_yuan,recommended_kind,"
          "recommended_months,range_low_months,range_high_months,suspension_allowed,"
          "recommended_suspended,probation_min_months,probation_max_months,"
          "recommended_fine_yuan,ban_eligible,ban_min_years,ban_max_years,"
          "ban_recommended_years,injunction_eligible,review_flags,citations,rule_set,"
          "error_kind,law_version").split(',')
# The run folder's file ends with the run's id (every file of a folder does).
for path, want in ((export, header), (runfile, header + ['run_id'])):
    with open(path, newline='', encoding='utf-8') as f:
        r = csv.reader(f)
        head = next(r)
        assert head == want, f"{path}: header {head}"
        out = [dict(zip(head, row)) for row in r]
    got = [(o['case_no'], o['defendant_no'], o['offense']) for o in out]
    assert len(got) == len(set(got)), f"{path}: duplicated keys"
    assert set(got) == keys, f"{path}: keys differ: missing {keys - set(got)}, extra {set(got) - keys}"
    assert got == sorted(got, key=lambda k: (k[0].encode(), k[1].encode(), k[2])), f"{path}: not sorted"
    assert any(any(ord(ch) > 0x4e00 for ch in k[0]) for k in got), "no Chinese case number"
    for o in out:
        assert o['status'] in ('ok', 'error'), o
        assert o['rule_set'], o
print(f"{len(keys)} charges round-tripped")
PY
