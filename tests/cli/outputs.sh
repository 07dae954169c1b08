#!/usr/bin/env bash
# The files of a run, checked by independent readers (Python's csv module
# and html.parser): every CSV parses with equal-width rows and every column
# is in codebook.csv; the summaries agree with the recommendations and
# cases they summarise (zero rows included); every file ends with run_id
# and rule_set; summary_court.csv shows no count from 1 to K-1 and none that
# can be pinned from the totals (the exact attack is intruder.sh's); --excel adds a byte-order
# mark (and only then) and Chinese case numbers survive; report.html parses
# and holds its charts; manifest.csv tells the truth about the files.
set -euo pipefail
S=$SENTENCER
R=(--rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules")
out=$TMPDIR/out

"$PROJECT/scripts/gen-cases" 3000 20240611 >"$TMPDIR/cases.csv"
$S migrate
$S import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
# Run 1 evaluates part of the cases, with a byte-order mark; run 2 the
# rest, without; run 3 has nothing to do and writes no files; run 2's files
# are written again, suppressed at K = 25.
rc=0
$S run "${R[@]}" --out "$out" --excel --limit 1200 2>"$TMPDIR/run1.log" || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run1.log"; exit 1; }
rc=0
$S run "${R[@]}" --out "$out" 2>"$TMPDIR/run2.log" || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run2.log"; exit 1; }
rc=0
$S run "${R[@]}" --out "$out" --min-cell 25 2>"$TMPDIR/run3.log" || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run3.log"; exit 1; }
grep -q ': nothing to do; outputs of run [0-9]* are current' "$TMPDIR/run3.log" ||
    { cat "$TMPDIR/run3.log"; exit 1; }
run2=$(ls "$out" | sort -n | tail -1)
$S outputs --run "$run2" --out "$TMPDIR/again" --min-cell 25 2>"$TMPDIR/again.log" ||
    { cat "$TMPDIR/again.log"; exit 1; }
$S export --out "$TMPDIR/current.csv"
$S run --min-cell 0 >/dev/null 2>&1 && { echo "--min-cell 0 accepted"; exit 1; }

runs=$(ls "$out" | sort -n)
set -- $runs
[ $# -eq 2 ] || { echo "expected 2 run folders, got: $runs"; exit 1; }

python3 - "$TMPDIR/cases.csv" "$TMPDIR/current.csv" "$out/$1" "$out/$2" "$TMPDIR/again/$2" <<'PY'
import csv, io, math, os, sys
from collections import defaultdict
from decimal import Decimal, ROUND_HALF_UP
from html.parser import HTMLParser

cases_path, current_path, run1, run2, run3 = sys.argv[1:6]
BOM = b"\xef\xbb\xbf"
failures = []

def fail(msg):
    failures.append(msg)
    if len(failures) > 40:
        report()

def report():
    for m in failures:
        print("FAIL:", m)
    sys.exit(1 if failures else 0)

def read_csv(path, want_bom):
    """Rows of a CSV file, checked: BOM as wanted, UTF-8, equal widths."""
    raw = open(path, "rb").read()
    if raw.startswith(BOM) != want_bom:
        fail(f"{path}: byte-order mark {'missing' if want_bom else 'present'}")
    text = raw[len(BOM):].decode("utf-8") if raw.startswith(BOM) else raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        fail(f"{path}: no header")
        return [], []
    head = rows[0]
    if len(set(head)) != len(head):
        fail(f"{path}: repeated column in {head}")
    for i, r in enumerate(rows[1:], 2):
        if len(r) != len(head):
            fail(f"{path}:{i}: {len(r)} fields, header has {len(head)}")
    return head, [dict(zip(head, r)) for r in rows[1:]]

# ---- truth: the cases and every current recommendation -------------------
with open(cases_path, newline="", encoding="utf-8") as f:
    acts = list(csv.DictReader(f))
first = {}
for a in acts:
    key = (a["case_no"], a["defendant_no"], a["offense"])
    no = int(a["act_no"] or 1)
    if key not in first or no < first[key][0]:
        first[key] = (no, a)
with open(current_path, newline="", encoding="utf-8") as f:
    recs = list(csv.DictReader(f))
if len(recs) != len(first):
    fail(f"export has {len(recs)} recommendations, cases have {len(first)} charges")

def fen(s):
    return int((Decimal(s) * 100).to_integral_value()) if s else None

def pct(values, p):
    """percentile_disc: the first value whose position (i + 1) / n reaches p."""
    v = sorted(values)
    if not v:
        return None
    return v[max(0, math.ceil(p * len(v) - 1e-9) - 1)]

class Group:
    def __init__(self):
        self.n = self.e = self.ok = self.t = self.s = self.b = self.j = 0
        self.kinds = defaultdict(int)
        self.months, self.fines = [], []
    def add(self, r):
        self.n += 1
        if r["status"] != "ok":
            self.e += 1
            return
        self.ok += 1
        self.t += r["threshold_met"] == "true"
        self.s += r["recommended_suspended"] == "true"
        self.b += r["ban_eligible"] == "true"
        self.j += r["injunction_eligible"] == "true"
        self.kinds[r["recommended_kind"]] += 1
        if r["recommended_months"]:
            self.months.append(int(r["recommended_months"]))
        if r["recommended_fine_yuan"]:
            self.fines.append(fen(r["recommended_fine_yuan"]))

by_year, by_court = defaultdict(Group), defaultdict(Group)
basis = defaultdict(int)
OFFENSES = ["refuse_netsec_duty", "illegal_use_network", "help_network_crime"]
for r in recs:
    a = first[(r["case_no"], r["defendant_no"], r["offense"])][1]
    year = a["conviction_date"][:4]
    for key in ((r["offense"], "year", year) if year else (r["offense"], "unknown_year", ""),
                (r["offense"], "offense", ""), ("all", "total", "")):
        by_year[key].add(r)
    by_court[(a["court_code"], r["offense"])].add(r)
    if r["status"] == "ok" and r["threshold_basis"]:
        for c in r["threshold_basis"].split(";"):
            basis[(r["offense"], c)] += 1

# The zero rows: every offense, every year from the first to the last.
years = sorted({k[2] for k in by_year if k[1] == "year"})
if years:
    for o in OFFENSES:
        for y in range(int(years[0]), int(years[-1]) + 1):
            by_year[(o, "year", str(y))]
for o in OFFENSES:
    by_year[(o, "unknown_year", "")], by_year[(o, "offense", "")]
by_year[("all", "total", "")]

STATS = ["defendants", "evaluated", "errors", "threshold_met", "kind_fixed_term",
         "kind_detention", "kind_surveillance", "kind_fine_only", "kind_exempt", "suspended",
         "ban_eligible", "injunction_eligible", "months_p10", "months_p25", "months_p50",
         "months_p75", "months_p90", "fine_yuan_p25", "fine_yuan_p50", "fine_yuan_p75"]
RUN = ["run_id", "rule_set"]
KINDS = ["fixed_term", "detention", "surveillance", "fine_only", "exempt"]

def expected(g):
    """The statistics of a group as the codebook defines them."""
    e = {"defendants": g.n, "errors": g.e, "evaluated": g.ok, "threshold_met": g.t,
         "suspended": g.s, "ban_eligible": g.b, "injunction_eligible": g.j}
    for k in KINDS:
        e["kind_" + k] = g.kinds[k]
    for p in (10, 25, 50, 75, 90):
        e[f"months_p{p}"] = pct(g.months, p / 100)
    for p in (25, 50, 75):
        v = pct(g.fines, p / 100)
        e[f"fine_yuan_p{p}"] = None if v is None else v / 100
    return e

def same(col, got, want, where):
    if want is None:
        if got != "":
            fail(f"{where} {col}: {got!r}, want empty")
        return
    if got == "":
        fail(f"{where} {col}: empty, want {want}")
        return
    if abs(float(got) - want) > 1e-9:
        fail(f"{where} {col}: {got}, want {want}")

# ---- every CSV of a run: parse, codebook, manifest ------------------------
def check_folder(folder, want_bom):
    files = {}
    for name in sorted(os.listdir(folder)):
        if ".tmp." in name:
            fail(f"{folder}: temporary file {name} left")
        if name.endswith(".csv"):
            files[name] = read_csv(os.path.join(folder, name), want_bom)
    for need in ("recommendations.csv", "summary_offense.csv", "summary_court.csv",
                 "basis_frequency.csv", "errors.csv", "codebook.csv", "manifest.csv"):
        if need not in files:
            fail(f"{folder}: no {need}")
    # Every file names the run and its rule set, the same in every row.
    run_id = os.path.basename(folder.rstrip("/"))
    for name, (cols, rows) in files.items():
        if "run_id" not in cols or "rule_set" not in cols:
            fail(f"{folder}: {name} lacks run_id or rule_set")
            continue
        if {r["run_id"] for r in rows} - {run_id} or len({r["rule_set"] for r in rows}) > 1:
            fail(f"{folder}: {name}: run_id or rule_set differ from the folder's")
    head, book = files["codebook.csv"]
    if head != ["file", "column", "type", "unit", "meaning", "source", "codes"] + RUN:
        fail(f"codebook header {head}")
    documented = {(b["file"], b["column"]): b for b in book}
    for name, (cols, _) in files.items():
        for c in cols:
            b = documented.get((name, c))
            if not b or not b["type"] or not b["meaning"] or "not documented" in b["meaning"]:
                fail(f"{folder}: {name} column {c} not documented in codebook.csv")
    for (name, c) in documented:
        if name in files and c not in files[name][0]:
            fail(f"codebook documents {name} {c}, which the file lacks")
    _, manifest = files["manifest.csv"]
    listed = {m["file"]: m for m in manifest}
    for name in os.listdir(folder):
        if name != "manifest.csv" and name not in listed:
            fail(f"{folder}: manifest.csv does not list {name}")
    for name, m in listed.items():
        path = os.path.join(folder, name)
        if int(m["bytes"]) != os.path.getsize(path):
            fail(f"manifest: {name} bytes {m['bytes']}, file has {os.path.getsize(path)}")
        if name.endswith(".csv") and int(m["rows"]) != len(files[name][1]):
            fail(f"manifest: {name} rows {m['rows']}, file has {len(files[name][1])}")
        if m["excel_bom"] != ("true" if want_bom else "false"):
            fail(f"manifest: excel_bom {m['excel_bom']}")
    return files

f1 = check_folder(run1, True)
f2 = check_folder(run2, False)
f3 = check_folder(run3, False)

# ---- recommendations.csv: this run's; Chinese case numbers survive --------
case_nos = {a["case_no"] for a in acts}
got = [r["case_no"] for r in f1["recommendations.csv"][1] + f2["recommendations.csv"][1]]
if sorted(got) != sorted(r["case_no"] for r in recs):
    fail("runs 1 and 2 together do not hold every recommendation once")
if len(f1["recommendations.csv"][1]) != 1200 or f3["recommendations.csv"][1] != f2["recommendations.csv"][1]:
    fail("recommendations.csv is not the run's own")
if not any("刑初" in c for c in got) or not set(got) <= case_nos:
    fail("case numbers changed on the way (Chinese characters lost?)")
m1 = f1["manifest.csv"][1][0]
if m1["evaluated"] != "1200" or m1["state"] != "done" or m1["min_cell"] != "5":
    fail(f"manifest of run 1: {m1}")
if f3["manifest.csv"][1][0]["current_recommendations"] != str(len(recs)):
    fail("manifest: current_recommendations is not the number of current recommendations")

# ---- summary_offense.csv and basis_frequency.csv against the truth -------
# (runs 2 and 3: the database after them holds every recommendation)
for files in (f2, f3):
    head, rows = files["summary_offense.csv"]
    if head != ["offense", "level", "conviction_year"] + STATS + RUN:
        fail(f"summary_offense header {head}")
    keys = [(r["offense"], r["level"], r["conviction_year"]) for r in rows]
    if set(keys) != set(by_year) or len(keys) != len(set(keys)):
        fail(f"summary_offense groups differ: {sorted(set(keys) ^ set(by_year))}")
    order = OFFENSES + ["all"]
    levels = ["year", "unknown_year", "offense", "total"]
    if keys != sorted(keys, key=lambda k: (order.index(k[0]), levels.index(k[1]), k[2])):
        fail("summary_offense rows not in article and year order")
    if not any(r["defendants"] == "0" for r in rows):
        fail("summary_offense: no zero row (every year of every offense has one)")
    for r in rows:
        e = expected(by_year[(r["offense"], r["level"], r["conviction_year"])])
        for c in STATS:
            same(c, r[c], e[c], f"summary_offense {r['offense']} {r['level']} {r['conviction_year']}")
    _, brows = files["basis_frequency.csv"]
    if {(r["offense"], r["citation"]): int(r["defendants_met"]) for r in brows} != dict(basis):
        fail("basis_frequency counts differ from the recommendations' threshold_basis")
    for r in brows:
        g = by_year[(r["offense"], "offense", "")]
        if int(r["defendants"]) != g.ok:
            fail(f"basis_frequency {r['offense']} defendants {r['defendants']}, want {g.ok}")

# ---- summary_court.csv: shown cells true, small counts hidden ------------
COUNTS = {"defendants": "n", "evaluated": "ok", "errors": "e", "threshold_met": "t",
          "suspended": "s", "ban_eligible": "b", "injunction_eligible": "j",
          **{"kind_" + k: k for k in KINDS}}

def check_court(files, K):
    head, rows = files["summary_court.csv"]
    if head != ["court_code", "offense"] + STATS + ["suppressed", "suppressed_columns"] + RUN:
        fail(f"summary_court header {head}")
    keys = [(r["court_code"], r["offense"]) for r in rows]
    if set(keys) != set(by_court):
        fail("summary_court groups differ from the cases'")
    small = 0
    for r in rows:
        g = by_court[(r["court_code"], r["offense"])]
        e = expected(g)
        where = f"summary_court K={K} {r['court_code']} {r['offense']}"
        listed = set(filter(None, r["suppressed_columns"].split(";")))
        for c in STATS:
            if r[c] != "":
                same(c, r[c], e[c], where)
            elif e[c] is not None and c not in listed:
                fail(f"{where}: {c} blank but not listed in suppressed_columns")
        if g.n < K:
            small += 1
            if r["suppressed"] != "all" or any(r[c] != "" for c in STATS):
                fail(f"{where}: {g.n} defendants, yet not wholly suppressed")
        for c in COUNTS:
            if r[c] != "" and 1 <= int(r[c]) < K:
                fail(f"{where}: {c} = {r[c]} shown")
        # Quantiles only beside every count they come from, of K or more.
        terms = ("kind_fixed_term", "kind_detention", "kind_surveillance")
        if r["months_p50"] != "" and (len(g.months) < K or any(r[c] == "" for c in terms)):
            fail(f"{where}: term quantiles of {len(g.months)} values or beside a blank")
        if r["fine_yuan_p50"] != "" and (len(g.fines) < K or any(
                r[c] == "" for c in terms + ("kind_fine_only", "kind_exempt", "evaluated"))):
            fail(f"{where}: fine quantiles of {len(g.fines)} values or beside a blank")
    if small == 0:
        fail(f"no court with fewer than {K} defendants for an offense: the test proves nothing")
    attack(rows, files["summary_offense.csv"][1], K)

# The attacker: the equations every reader knows, the values shown, and the
# offense totals of summary_offense.csv; bounds propagated to a fixed point
# (looser than the exact attack of intruder.sh: what it pins is pinned).
V = ["n", "e", "ok", "k0"] + KINDS + ["t", "nt", "s", "ns", "b", "nb", "j", "nj"]
ROW_EQS = [("n", ["ok", "e"]), ("ok", ["k0"] + KINDS)] + \
          [("ok", [x, "n" + x]) for x in "tsbj"]
INF = float("inf")

def published(r):
    """The counts a reader sees in a row: name -> value."""
    return {v: int(r[c]) for c, v in COUNTS.items() if r[c] != ""}

def truth(g):
    t = {"n": g.n, "e": g.e, "ok": g.ok, "t": g.t, "s": g.s, "b": g.b, "j": g.j}
    for k in KINDS:
        t[k] = g.kinds[k]
    t["k0"] = g.ok - sum(g.kinds[k] for k in KINDS)
    for x in "tsbj":
        t["n" + x] = g.ok - t[x]
    return t

def attack(rows, offense_rows, K):
    totals = {}
    for r in offense_rows:
        if r["level"] == "offense":
            tot = published(r)
            tot["k0"] = tot["ok"] - sum(tot[k] for k in KINDS)
            for x in "tsbj":
                tot["n" + x] = tot["ok"] - tot[x]
            totals[r["offense"]] = tot
    for offense in {r["offense"] for r in rows}:
        rs = [r for r in rows if r["offense"] == offense]
        lo, hi = {}, {}
        for i, r in enumerate(rs):
            known = published(r)
            for v in V:
                if v in known:
                    lo[i, v] = hi[i, v] = known[v]
                else:
                    lo[i, v] = (1 if r["suppressed"] == "all" else K) if v == "n" else 0
                    hi[i, v] = INF
        eqs = []  # (terms [(key, coef)], constant)
        for i in range(len(rs)):
            for total, members in ROW_EQS:
                eqs.append(([((i, total), 1)] + [((i, m), -1) for m in members], 0))
        for v in V:
            eqs.append(([((i, v), 1) for i in range(len(rs))], totals[offense][v]))
        for _ in range(10000):
            moved = False
            for terms, b in eqs:
                for key, a in terms:
                    rmin = sum((lo[k] if c > 0 else -hi[k]) for k, c in terms if k != key)
                    rmax = sum((hi[k] if c > 0 else -lo[k]) for k, c in terms if k != key)
                    nlo, nhi = (b - rmax, b - rmin) if a > 0 else (rmin - b, rmax - b)
                    if nlo > lo[key]:
                        lo[key], moved = nlo, True
                    if nhi < hi[key]:
                        hi[key], moved = nhi, True
            if not moved:
                break
        else:
            fail(f"attack on {offense} did not settle")
        shown = {v: c for c, v in COUNTS.items()}
        for i, r in enumerate(rs):
            t = truth(by_court[(r["court_code"], offense)])
            for v in V:
                blanked = v in shown and r[shown[v]] == "" and t[v] > 0
                small_hidden = v not in shown and 1 <= t[v] < K
                if (blanked or small_hidden) and lo[i, v] >= hi[i, v]:
                    fail(f"K={K} {r['court_code']} {offense}: count {v} = {t[v]} "
                         f"recovered as [{lo[i, v]}, {hi[i, v]}]")

check_court(f2, 5)
check_court(f3, 25)

# ---- report.html ----------------------------------------------------------
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source",
        "track", "wbr"}

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.tags, self.errors = [], {}, defaultdict(int), []
        self.text = []
    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = list(self.stack)
        for k, v in attrs:
            if k in ("src", "href") or (v and "url(" in v):
                self.errors.append(f"external reference {k}={v}")
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = list(self.stack)
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)

for folder in (run1, run2, run3):
    raw = open(os.path.join(folder, "report.html"), encoding="utf-8").read()
    p = Page()
    p.feed(raw)
    p.close()
    if not raw.startswith("<!DOCTYPE html>"):
        fail("report.html: no doctype")
    if p.stack or p.errors:
        fail(f"report.html: {p.errors[:3]} unclosed {p.stack}")
    if p.tags["script"] or p.tags["link"] or p.tags["img"] or p.tags["iframe"]:
        fail("report.html: scripts or external files")
    charts = ["headline", "kinds-per-offense", "year-trend", "fine-distribution",
              "recommended-vs-actual", "actual-deviation"]
    charts += [f"{c}-{o}" for c in ("terms", "threshold-tests") for o in OFFENSES]
    for chart in charts:
        if chart not in p.ids:
            fail(f"report.html: no #{chart}")
    if p.tags["svg"] < 8 or p.tags["rect"] < 40 or p.tags["table"] < 8:
        fail(f"report.html: {p.tags['svg']} charts, {p.tags['rect']} bars, "
             f"{p.tags['table']} tables")
    text = " ".join(p.text)
    for want in ("Recommended kinds per offense", "Defendants per conviction year",
                 "Recommended terms, Art. 287-2", "Recommended fines", "Threshold tests met",
                 "Recommended against actual", "Art. 287-2", "Figure 11."):
        if want not in text:
            fail(f"report.html: no '{want}'")

if failures:
    report()
print(f"{len(recs)} recommendations, 3 runs: files parse, are documented, agree with the cases;"
      " small court counts hidden at K=5 and K=25")
PY
