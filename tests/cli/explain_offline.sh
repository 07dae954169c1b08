#!/usr/bin/env bash
# explain --cases FILE: a case evaluated from a cases.csv file with a rule
# folder, no database: the whole recommendation, each provision with its
# Chinese title, unrecorded facts as "not recorded", thresholds beside the
# facts. Offline it gives, charge by charge, what a run stores for the same
# file (compared field by field through --format json).
set -euo pipefail
S=$SENTENCER
sample=$PROJECT/tests/data/sample-cases.csv
case='(2022)京0105刑初123号'
cd "$TMPDIR"

# No database: libpq pointed at nothing.
PGHOST=/nonexistent PGPORT=1 $S explain --cases "$sample" --rules "$PROJECT/lua-rules" "$case" 2 \
    >off.txt 2>&1 || { cat off.txt; exit 1; }
for want in '^  rule set [0-9a-f]{16}, offline from .*sample-cases.csv line [0-9]+: status ok' \
    '^  recommended: detention of 5 months \(band 4-6\)' \
    '^  provisions:$' \
    '^    CL:287-2 +中华人民共和国刑法 第二百八十七条之二（帮助信息网络犯罪活动罪）$' \
    '^    I2019:18 +最高人民法院 最高人民检察院关于办理非法利用信息网络.*第十八条$' \
    '^    G2021:3.1 +.*量刑指导意见.* 第三部分第1项$' \
    '"helped_parties": "not recorded"' 'threshold: \{"payment_settled_yuan": 200000\}' \
    'nothing is read from or written to a database'; do
    grep -Eq "$want" off.txt || { cat off.txt; echo "offline explain lacks: $want"; exit 1; }
done
# Default rule folder: lua-rules of the working directory.
(cd "$PROJECT" && PGHOST=/nonexistent $S explain --cases "$sample" "$case" 2) >def.txt 2>&1 ||
    { cat def.txt; exit 1; }
cmp <(sed 1,2d off.txt) <(sed 1,2d def.txt)

# Usage: --run is for stored results, --rules only with --cases.
rc=0; $S explain --cases "$sample" --run 1 "$case" >u1.log 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--run and --cases do not go together' u1.log || { cat u1.log; exit 1; }
rc=0; $S explain --rules "$PROJECT/lua-rules" "$case" >u2.log 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--rules applies to explain only with --cases' u2.log || { cat u2.log; exit 1; }
rc=0; PGHOST=/nonexistent $S explain --cases "$sample" --rules "$PROJECT/lua-rules" 'no such case' \
    >u3.log 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q 'no case "no such case" in' u3.log || { cat u3.log; exit 1; }
echo "explain --cases: no database, titles, not recorded, usage errors"

# The same results as a run stores.
$S migrate 2>/dev/null
$S import "$sample" 2>/dev/null || [ $? -eq 1 ]
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out 2>run.log || [ $? -eq 1 ]
n=0
while IFS= read -r c; do
    $S explain --format json "$c" >db.json 2>db.err || { cat db.err; exit 1; }
    PGHOST=/nonexistent $S explain --format json --cases "$sample" --rules "$PROJECT/lua-rules" "$c" \
        >file.json 2>file.err || { cat file.err; exit 1; }
    python3 - db.json file.json <<'PY'
import json, sys
db = {(r["defendant_no"], r["offense"]): r for r in json.load(open(sys.argv[1], encoding="utf-8"))}
fi = {(r["defendant_no"], r["offense"]): r for r in json.load(open(sys.argv[2], encoding="utf-8"))}
assert db.keys() == fi.keys(), (sorted(db), sorted(fi))
for k in db:
    a, b = db[k]["recommendation"], fi[k]["recommendation"]
    assert a == b, (k, {f: (a.get(f), b.get(f)) for f in set(a) | set(b) if a.get(f) != b.get(f)})
    assert fi[k]["cases_file"] and fi[k]["run"] is None, fi[k]
    if a["status"] == "ok":
        assert db[k]["provisions"] == fi[k]["provisions"] and a["offense"] != "" and \
            any("刑法" in t for t in fi[k]["provisions"].values()), fi[k]["provisions"]
PY
    n=$((n + 1))
done < <(python3 -c '
import csv, sys
seen = []
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["case_no"] not in seen:
        seen.append(r["case_no"])
print("\n".join(seen))' "$sample" | while IFS= read -r c; do
    psql -XAtqc "SELECT 1 FROM sentencer.recommendation r JOIN sentencer.charge ch ON ch.id = r.charge_id
                 WHERE r.is_current AND ch.case_no = \$\$$c\$\$ LIMIT 1" | grep -q 1 && echo "$c"; done)
[ "$n" -gt 5 ] || { echo "only $n cases compared"; exit 1; }
echo "explain --cases gives what the run stored, for all $n stored cases of the sample"
