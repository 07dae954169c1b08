#!/usr/bin/env bash
# A file with an unknown column is refused, naming the column, and nothing of
# it is stored; a file with some bad rows stores the good ones and reports each
# bad one as FILE:LINE: column: reason, with exit status 1.
set -euo pipefail
S=$SENTENCER
data=$PROJECT/tests/data
count() { psql -XAtqc "SELECT count(*) FROM sentencer.act"; }

$S migrate

set +e
$S import "$data/bad-unknown-column.csv" 2>"$TMPDIR/unknown.log"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "unknown column: exit $rc, want 1"; cat "$TMPDIR/unknown.log"; exit 1; }
grep -q 'helpd_parties' "$TMPDIR/unknown.log" || { cat "$TMPDIR/unknown.log"; exit 1; }
[ "$(count)" -eq 0 ] || { echo "rows stored from a refused file"; exit 1; }

set +e
$S import --rejects "$TMPDIR/rejects.csv" "$data/bad-rows.csv" 2>"$TMPDIR/bad.log"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "bad rows: exit $rc, want 1"; cat "$TMPDIR/bad.log"; exit 1; }
# Every expected LINE column pair is reported as FILE:LINE: column: reason.
while read -r line column; do
    case "$line" in ''|'#'*|stored|good_rows) continue ;; esac
    [ "$column" = - ] && column='(row)' # a problem of the whole row
    grep -qF "bad-rows.csv:$line: $column: " "$TMPDIR/bad.log" ||
        { echo "missing report for line $line column $column"; cat "$TMPDIR/bad.log"; exit 1; }
done <"$data/bad-rows.expected"
want=$(awk '$1 == "stored" || $1 == "good_rows" { print $2 }' "$data/bad-rows.expected")
[ "$(count)" -eq "$want" ] || { echo "stored $(count) rows, want $want"; exit 1; }
# The rejects file is CSV with one row per problem.
python3 - "$TMPDIR/rejects.csv" "$TMPDIR/bad.log" <<'PY'
import csv, sys
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
assert rows and list(rows[0].keys()) == ['file', 'line', 'column', 'reason'], rows[:1]
import re
reports = [l for l in open(sys.argv[2], encoding='utf-8') if re.search(r'bad-rows\.csv:\d+: ', l)]
assert len(rows) == len(reports), (len(rows), len(reports))
PY
# Importing the same bad file again changes nothing.
before=$(psql -XAtqc "SELECT string_agg(facts_rev::text, ',' ORDER BY id) FROM sentencer.charge")
$S import "$data/bad-rows.csv" 2>/dev/null || true
after=$(psql -XAtqc "SELECT string_agg(facts_rev::text, ',' ORDER BY id) FROM sentencer.charge")
[ "$before" = "$after" ]
echo "import errors reported as expected"
