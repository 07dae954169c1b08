#!/usr/bin/env bash
# The calibration figures (scripts/calibration-figures, what `make
# calibration` prints) on the published judgments agree with a count made
# here from the same export: the defendants, those with a term, those
# inside the band, and the kind agreements; and every published defendant
# is listed with --each.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"
cases=$PROJECT/tests/data/published/published-cases.csv
$S migrate 2>/dev/null
$S import "$cases" 2>/dev/null
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out 2>run.log || [ $? -eq 1 ]
$S export --out recs.csv
"$PROJECT/scripts/calibration-figures" --each "$cases" recs.csv >fig.txt
python3 - "$cases" recs.csv fig.txt <<'PY'
import csv, sys
acts = {}
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    acts.setdefault((r["case_no"], r["defendant_no"], r["offense"]), r)
recs = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
lines = open(sys.argv[3], encoding="utf-8").read().splitlines()
pairs = [(acts[(r["case_no"], r["defendant_no"], r["offense"])], r) for r in recs if r["status"] == "ok"]
terms = [(a, r) for a, r in pairs if a["actual_kind"] in ("fixed_term", "detention") and a["actual_months"]]
inside = sum(1 for a, r in terms if r["range_low_months"]
             and int(r["range_low_months"]) <= int(a["actual_months"]) <= int(r["range_high_months"]))
kind = sum(1 for a, r in pairs if a["actual_kind"] == r["recommended_kind"])
allrow = [l for l in lines if l.startswith("all ")][0].split()
assert allrow[1] == str(len(pairs)), allrow
assert allrow[2] == f"{inside}/{len(terms)}", (allrow, inside, len(terms))
assert f"{kind}/{len(pairs)}" in allrow, (allrow, kind)
for a, r in pairs:
    assert any(l.startswith(r["case_no"]) for l in lines), r["case_no"]
print(f"calibration figures: {len(pairs)} defendants, {inside}/{len(terms)} in band, kind {kind}")
PY
