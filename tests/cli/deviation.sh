#!/usr/bin/env bash
# sentencer report deviation: on generated cases whose actual judgments
# follow the recommendations except for 25 planted deviations (scripts/
# gen-cases --actual-from --plant), the warnings are exactly the planted
# charges; deviation_summary.csv agrees with an independent computation
# from deviation.csv, its small cells suppressed; deviation.html shows
# the same figures; the filters narrow the
# rows; its codebook documents every column; the report writes nothing
# to the database.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"
gen=$PROJECT/scripts/gen-cases

$S migrate 2>/dev/null
"$gen" 3000 11 --out c1.csv
$S import c1.csv 2>/dev/null
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out 2>run1.log || [ $? -eq 1 ]
$S export --out r1.csv
"$gen" 3000 11 --actual-from r1.csv --plant 25 --planted planted.csv --out c2.csv
$S import c2.csv 2>/dev/null
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out 2>run2.log || [ $? -eq 1 ]
before=$(psql -XAtqc "SELECT count(*), sum(hashtext(r::text)) FROM sentencer.recommendation r")

$S report deviation --out dev >dev.log 2>&1 || { cat dev.log; exit 1; }
grep -q '^deviation report: [0-9]* defendants with an actual judgment: 25 warnings' dev.log ||
    { cat dev.log; exit 1; }
[ "$(psql -XAtqc "SELECT count(*), sum(hashtext(r::text)) FROM sentencer.recommendation r")" = "$before" ]

python3 - dev/deviation.csv dev/deviation_summary.csv planted.csv <<'PY'
import csv, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
summary = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
planted = {(r["case_no"], r["defendant_no"], r["offense"])
           for r in csv.DictReader(open(sys.argv[3], encoding="utf-8"))}
need = ["case_no", "defendant_no", "offense", "actual_kind", "actual_months", "recommended_kind",
        "recommended_months", "deviation_months", "inside_band", "fine_ratio", "warning_level",
        "comparable_n", "comparable_p25", "comparable_p50", "comparable_p75", "court_code",
        "conviction_year", "defendant_kind", "age_band"]
missing = [c for c in need if c not in rows[0]]
assert not missing, missing
warned = {(r["case_no"], r["defendant_no"], r["offense"]) for r in rows
          if r["warning_level"] == "warning"}
assert warned == planted, (sorted(warned - planted)[:5], sorted(planted - warned)[:5])
for r in rows:
    assert r["inside_band"] in ("true", "false") and r["warning_level"] in ("none", "notice", "warning"), r
    if r["warning_level"] != "none":
        continue
    # a followed recommendation: no deviation at all
    k = (r["case_no"], r["defendant_no"], r["offense"])
    assert k in planted or r["deviation_months"] == "0", r

def quantile(v, q):  # PostgreSQL's percentile_cont: linear between ranks
    v = sorted(v)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)

groups = defaultdict(list)
for r in rows:
    groups[(r["court_code"], r["offense"])].append(r)
assert {(s["court_code"], s["offense"]) for s in summary} == set(groups), "summary groups"
K = 5
checked = suppressed = 0
for s in summary:
    g = groups[(s["court_code"], s["offense"])]
    n = len(g)
    inside = sum(r["inside_band"] == "true" for r in g)
    dev = [float(r["deviation_months"]) for r in g]
    if n < K:
        assert s["defendants"] == "" and s["deviation_median"] == "" and s["suppressed"] == "true", s
        suppressed += 1
        continue
    assert int(s["defendants"]) == n, (s, n)
    hide = 0 < inside < K or 0 < n - inside < K
    if hide:
        assert s["share_inside_band"] == "" and s["suppressed"] == "true", s
    else:
        assert abs(float(s["share_inside_band"]) - inside / n) < 0.0006, (s, inside, n)
    for col, q in (("deviation_p25", 0.25), ("deviation_median", 0.5), ("deviation_p75", 0.75)):
        assert abs(float(s[col]) - quantile(dev, q)) < 1e-9, (s, col, quantile(dev, q))
    checked += 1
assert checked > 10 and suppressed > 0, (checked, suppressed)
print(f"deviation: {len(rows)} defendants, warnings = the {len(planted)} planted; "
      f"summary: {checked} rows recomputed, {suppressed} suppressed")
PY

# The report's codebook documents each column of both files.
python3 - dev/codebook.csv dev/deviation.csv dev/deviation_summary.csv <<'PY'
import csv, sys
cb = {(r["file"], r["column"]) for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}
for path in sys.argv[2:]:
    name = path.rsplit("/", 1)[1]
    cols = next(csv.reader(open(path, encoding="utf-8")))
    assert all((name, c) in cb for c in cols), [c for c in cols if (name, c) not in cb]
PY

# The page: every figure, one point per court row the summary shows whole,
# the histogram's bars adding up to the defendants, the kind table's
# diagonal to the agreeing kinds.
python3 - dev/deviation.html dev/deviation.csv dev/deviation_summary.csv <<'PY'
import csv, re, sys
from html.parser import HTMLParser
page = open(sys.argv[1], encoding="utf-8").read()
rows = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
summary = list(csv.DictReader(open(sys.argv[3], encoding="utf-8")))
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.ids = set(); self.circles = 0; self.stack = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a: self.ids.add(a["id"])
        if tag == "circle": self.circles += 1
p = P(); p.feed(page)
assert {"deviation-histogram", "deviation-kinds", "deviation-funnel"} <= p.ids, p.ids
assert p.circles == sum(s["suppressed"] == "false" for s in summary), p.circles
bars = [int(float(m)) for m in re.findall(r"<title>[^<]*, defendants: (\d+)</title>", page)]
assert sum(bars) == len(rows), (sum(bars), len(rows))
diag = [int(m.replace(",", "")) for m in
        re.findall(r'<td style="background:#e8f1f8;font-weight:600">([\d,]+)</td>', page)]
assert sum(diag) == sum(r["kind_agrees"] == "true" for r in rows), (sum(diag),)
PY

# Filters.
$S report deviation --out dev2 --offense help_network_crime --since 2022-01-01 >/dev/null
python3 - dev2/deviation.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert rows and all(r["offense"] == "help_network_crime" and r["conviction_year"] and
                    int(r["conviction_year"]) >= 2022 for r in rows), len(rows)
PY
rc=0; $S report nothing >u.log 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q 'unknown report "nothing"' u.log || { cat u.log; exit 1; }
echo "report deviation: filters, usage"
