#!/usr/bin/env bash
# The intruder: on 20,000 generated cases, at --min-cell 5 and 10, an
# integer programming attack of its own (scipy.optimize.milp, HiGHS; not
# the audit's code nor its solver) on everything summary_court.csv and
# summary_offense.csv publish: every blanked count, and every unpublished
# count from 1 to K-1 (those evaluated who missed the threshold, ...), is
# minimised and maximised over every integer table that agrees with what
# is shown, the offense totals, the equations of a row and the law's
# relations (injunction eligible = suspended + surveillance, suspended <=
# fixed term + detention). A count the attack pins to one value is
# recovered; the test fails on any. It also checks what the attack takes
# for granted: shown counts are true, none is from 1 to K-1, a row with
# fewer than K defendants is blank, quantiles appear only beside every
# count they come from.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"
PY=/usr/bin/python3 # Debian's, with python3-scipy (scripts/install-deps)

$S migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 20000 20261201 --out cases.csv
$S import cases.csv 2>/dev/null
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out --min-cell 5 \
    2>run.log || [ $? -eq 1 ] || { cat run.log; exit 1; }
run=$(ls out | sort -n | tail -1)
$S outputs --run "$run" --out out10 --min-cell 10 2>outputs.log || { cat outputs.log; exit 1; }

# The truth, counted independently from the tables.
psql -XAq -F, -v ON_ERROR_STOP=1 -P footer=off >truth.csv <<'SQL'
WITH a AS (SELECT DISTINCT ON (charge_id) charge_id, court_code FROM sentencer.act
           ORDER BY charge_id, act_no)
SELECT a.court_code, c.offense, count(*) AS n,
       count(*) FILTER (WHERE r.status = 'ok') AS ok,
       count(*) FILTER (WHERE r.status = 'error') AS e,
       count(*) FILTER (WHERE r.recommended_kind = 'fixed_term') AS k1,
       count(*) FILTER (WHERE r.recommended_kind = 'detention') AS k2,
       count(*) FILTER (WHERE r.recommended_kind = 'surveillance') AS k3,
       count(*) FILTER (WHERE r.recommended_kind = 'fine_only') AS k4,
       count(*) FILTER (WHERE r.recommended_kind = 'exempt') AS k5,
       count(*) FILTER (WHERE r.status = 'ok' AND r.recommended_kind IS NULL) AS k0,
       count(*) FILTER (WHERE r.threshold_met) AS t,
       count(*) FILTER (WHERE r.recommended_suspended) AS s,
       count(*) FILTER (WHERE r.ban_eligible) AS b,
       count(*) FILTER (WHERE r.injunction_eligible) AS j,
       count(r.recommended_months) AS terms
FROM sentencer.recommendation r JOIN sentencer.charge c ON c.id = r.charge_id
JOIN a ON a.charge_id = c.id WHERE r.is_current GROUP BY 1, 2
SQL

"$PY" - truth.csv "out/$run" 5 "out10/$run" 10 <<'PY'
import csv, sys
import numpy as np
from scipy.optimize import milp, LinearConstraint, Bounds

truth = {}
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f):
        truth[(r["court_code"], r["offense"])] = {k: int(v) for k, v in r.items()
                                                  if k not in ("court_code", "offense")}

# The published columns and the attack's names for them.
COLS = {"defendants": "n", "evaluated": "ok", "errors": "e", "kind_fixed_term": "k1",
        "kind_detention": "k2", "kind_surveillance": "k3", "kind_fine_only": "k4",
        "kind_exempt": "k5", "threshold_met": "t", "suspended": "s", "ban_eligible": "b",
        "injunction_eligible": "j"}
V = list(COLS.values()) + ["k0"]           # one row's variables
HIDDEN = {"k0": {"k0": 1}, "nt": {"ok": 1, "t": -1}, "ns": {"ok": 1, "s": -1},
          "nb": {"ok": 1, "b": -1}, "nj": {"ok": 1, "j": -1}}

def attack(folder, K):
    with open(f"{folder}/summary_court.csv", newline="", encoding="utf-8") as f:
        court = list(csv.DictReader(f))
    with open(f"{folder}/summary_offense.csv", newline="", encoding="utf-8") as f:
        totals = {r["offense"]: r for r in csv.DictReader(f) if r["level"] == "offense"}
    fails, blanks, checked, widths = [], 0, 0, []
    for offense in sorted({r["offense"] for r in court}):
        rows = [r for r in court if r["offense"] == offense]
        tot = {COLS[c]: int(totals[offense][c]) for c in COLS}
        tot["k0"] = tot["ok"] - sum(tot[f"k{i}"] for i in range(1, 6))
        nv = len(rows) * len(V)
        ix = lambda i, v: i * len(V) + V.index(v)
        lo, hi = np.zeros(nv), np.full(nv, np.inf)
        A, blo, bhi = [], [], []
        def row(coefs, a, b):
            x = np.zeros(nv)
            for k, c in coefs.items():
                x[k] += c
            A.append(x); blo.append(a); bhi.append(b)
        for i, r in enumerate(rows):
            t = truth[(r["court_code"], offense)]
            whole = r["suppressed"] == "all"
            for c, v in COLS.items():
                if r[c] != "":
                    val = int(r[c])
                    if val != t[v]:
                        fails.append(f"K={K} {r['court_code']} {offense}: {c} shows {val}, truth {t[v]}")
                    if 1 <= val < K:
                        fails.append(f"K={K} {r['court_code']} {offense}: {c} = {val} shown")
                    lo[ix(i, v)] = hi[ix(i, v)] = val
                else:
                    blanks += 1
            lo[ix(i, "n")] = max(lo[ix(i, "n")], 1 if whole else K)
            if t["n"] < K and not whole:
                fails.append(f"K={K} {r['court_code']} {offense}: {t['n']} defendants, row not blank")
            if r["months_p50"] != "" and (t["terms"] < K or any(r[c] == "" for c in
                    ("kind_fixed_term", "kind_detention", "kind_surveillance"))):
                fails.append(f"K={K} {r['court_code']} {offense}: term quantiles beside a blank")
            g = lambda v: ix(i, v)
            row({g("n"): 1, g("ok"): -1, g("e"): -1}, 0, 0)
            row({g("ok"): 1, g("k0"): -1, **{g(f"k{j}"): -1 for j in range(1, 6)}}, 0, 0)
            for v in "tsbj":
                row({g("ok"): 1, g(v): -1}, 0, np.inf)
            row({g("j"): 1, g("s"): -1, g("k3"): -1}, 0, 0)      # the law: Arts. 38, 72
            row({g("s"): 1, g("k1"): -1, g("k2"): -1}, -np.inf, 0)
        for v in V:
            row({ix(i, v): 1 for i in range(len(rows))}, tot[v], tot[v])
        cons = LinearConstraint(np.array(A), np.array(blo), np.array(bhi))
        bounds = Bounds(lo, hi)
        integ = np.ones(nv)
        # The true table is a solution: a model without one assumes a
        # relation the data breaks, and would prove nothing.
        probe = milp(np.zeros(nv), constraints=cons, bounds=bounds, integrality=integ)
        if probe.status != 0:
            fails.append(f"K={K} {offense}: the attack's model has no solution")
            continue
        def extreme(coefs, sign):
            c = np.zeros(nv)
            for k, a in coefs.items():
                c[k] = sign * a
            res = milp(c, constraints=cons, bounds=bounds, integrality=integ)
            assert res.status == 0, res.message
            return round(sign * res.fun)
        for i, r in enumerate(rows):
            t = truth[(r["court_code"], offense)]
            targets = [(c, {ix(i, v): 1}, t[v]) for c, v in COLS.items()
                       if r[c] == "" and t[v] > 0]
            targets += [(h, {ix(i, v): a for v, a in e.items()},
                         t["ok"] - t[h[1]] if h != "k0" else t["k0"])
                        for h, e in HIDDEN.items()]
            for name, coefs, val in targets:
                if name in HIDDEN and not (1 <= val < K):
                    continue
                checked += 1
                a, b = extreme(coefs, 1), extreme(coefs, -1)
                if not a <= val <= b:
                    fails.append(f"K={K} {r['court_code']} {offense}: {name} = {val} outside [{a}, {b}]")
                if a == b:
                    fails.append(f"K={K} {r['court_code']} {offense}: {name} = {val} recovered")
                widths.append(b - a)
    widths.sort()
    med = widths[len(widths) // 2] if widths else 0
    print(f"K={K}: {len(court)} court rows, {blanks} blank cells; {checked} counts attacked, "
          f"{sum(1 for f in fails if 'recovered' in f)} recovered; median range width {med}, "
          f"narrowest {widths[0] if widths else '-'}")
    return fails

fails = attack(sys.argv[2], int(sys.argv[3])) + attack(sys.argv[4], int(sys.argv[5]))
for f in fails[:40]:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
