#!/usr/bin/env bash
# Retention: `sentencer prune --keep N` removes the older complete run folders
# and nothing else. Kept: the N most recent complete ones (by run number), the
# younger ones with --older-than (by the manifest's ended_at), every
# incomplete folder (no manifest.csv, or a state other than done), and every
# entry that is not a run folder (a name that is not a run number, a file, a
# link, a folder holding a file or a link its manifest does not list, a
# manifest of another run). A link is never followed. A folder that cannot
# be removed is reported with its path and reason (exit 1). `run --keep 2`
# after three runs leaves two folders. prune needs no database.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
args=(--rules "$RULES" --tests "$GOLDEN")

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 90 41 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>/dev/null

# Three runs of 30 cases each, the third with --keep 2.
for i in 1 2 3; do
    keep=()
    [ "$i" -eq 3 ] && keep=(--keep 2)
    rc=0
    "$S" run "${args[@]}" --limit 30 --out out "${keep[@]}" >"$TMPDIR/run$i.log" 2>&1 || rc=$?
    [ "$rc" -le 1 ] || { cat "$TMPDIR/run$i.log"; fail "run $i: exit $rc"; }
done
ids=$(q -c "SELECT string_agg(id::text, ' ' ORDER BY id) FROM sentencer.run")
read -r r1 r2 r3 <<<"$ids"
[ "$(ls out | sort -n | paste -sd ' ')" = "$r2 $r3" ] ||
    fail "run --keep 2 after three runs left: $(ls out | paste -sd ' '), want $r2 $r3"
grep -q "^sentencer: removed out/$r1/ (run $r1, ended " "$TMPDIR/run3.log" ||
    { cat "$TMPDIR/run3.log"; fail "run --keep 2 did not say it removed out/$r1/"; }
grep -q "^sentencer: out/: removed 1 of 3 complete run folders, kept the 2 most recent;" \
    "$TMPDIR/run3.log" || { cat "$TMPDIR/run3.log"; fail "run --keep 2: no summary"; }

# Fake run folders, copies of run r3's with the manifest's run_id, state and
# ended_at (columns 1, 3 and 5) rewritten.
src=out/$r3
fake() { # fake DIR ID STATE ENDED
    mkdir "$1"
    cp "$src"/* "$1"/
    awk -F, -v OFS=, -v id="$2" -v st="$3" -v end="$4" \
        'NR > 1 { $1 = id; $3 = st; $5 = end } { print }' "$src/manifest.csv" >"$1/manifest.csv"
}
ago() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
mkdir p
fake p/10 10 done 2020-01-01T02:30:00Z
fake p/11 11 done 2021-01-01T02:30:00Z
fake p/12 12 interrupted 2021-06-01T02:30:00Z # incomplete: stopped
fake p/13 13 done 2021-07-01T02:30:00Z
rm p/13/manifest.csv # incomplete: being written
fake p/14 14 done "$(ago '100 days ago')"
fake p/15 15 done 2021-08-01T02:30:00Z
echo "an analyst's notes" >p/15/notes.txt # not only the run's files
fake p/016 16 done 2021-09-01T02:30:00Z   # not a run number
mkdir p/archive
cp "$src"/* p/archive/
fake "$TMPDIR/outside" 17 done 2021-10-01T02:30:00Z
ln -s "$TMPDIR/outside" p/17 # a link to a complete run folder elsewhere
echo "a file" >p/18
fake p/19 99 done 2021-11-01T02:30:00Z # the manifest of another run
fake p/20 20 done 2021-12-01T02:30:00Z
rm p/20/report.html
echo "<p>elsewhere</p>" >"$TMPDIR/elsewhere.html"
ln -s "$TMPDIR/elsewhere.html" p/20/report.html # a link inside
fake p/21 21 done "$(ago '1 hour ago')"
outside_before=$(ls -l "$TMPDIR/outside" | sha256sum)

# --older-than 365d with --keep 1: 21 is kept (the most recent), 14 too (it
# ended 100 days ago); 11 and 10 go. prune needs no database: it runs with
# none reachable.
rc=0
PGHOST=/nonexistent PGPORT=1 "$S" prune --keep 1 --older-than 365d --out p \
    >"$TMPDIR/prune1.out" 2>"$TMPDIR/prune1.err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$TMPDIR/prune1.out" "$TMPDIR/prune1.err"; fail "prune: exit $rc"; }
[ ! -s "$TMPDIR/prune1.err" ] || { cat "$TMPDIR/prune1.err"; fail "prune wrote to stderr"; }
cat >"$TMPDIR/want1.out" <<'EOF'
removed p/11/ (run 11, ended 2021-01-01T02:30:00Z)
removed p/10/ (run 10, ended 2020-01-01T02:30:00Z)
p/: removed 2 of 4 complete run folders, kept the 1 most recent and 1 more that ended within --older-than; left alone 2 incomplete and 7 other entries
EOF
diff -u "$TMPDIR/want1.out" "$TMPDIR/prune1.out" || fail "prune --keep 1 --older-than 365d"
want="016 12 13 14 15 17 18 19 20 21 archive"
[ "$(ls p | sort | paste -sd ' ')" = "$want" ] ||
    fail "left: $(ls p | sort | paste -sd ' '), want $want"
[ -L p/17 ] && [ -L p/20/report.html ] || fail "a link was removed"
[ "$(ls -l "$TMPDIR/outside" | sha256sum)" = "$outside_before" ] ||
    fail "the folder a link points to was changed"
[ -s "$TMPDIR/elsewhere.html" ] || fail "the file a link points to was removed"
[ -s p/15/notes.txt ] && [ -s p/12/manifest.csv ] || fail "a folder left alone was changed"

# Without --older-than, 14 goes too; the latest complete one always stays.
"$S" prune --keep 1 --out p >"$TMPDIR/prune2.out"
grep -q '^removed p/14/ (run 14, ended ' "$TMPDIR/prune2.out" || fail "prune --keep 1: 14 not removed"
"$S" prune --keep 1 --out p >"$TMPDIR/prune3.out"
grep -q '^p/: removed 0 of 1 complete run folder, kept the 1 most recent;' "$TMPDIR/prune3.out" ||
    { cat "$TMPDIR/prune3.out"; fail "prune --keep 1 again removed something"; }
want="016 12 13 15 17 18 19 20 21 archive"
[ "$(ls p | sort | paste -sd ' ')" = "$want" ] ||
    fail "left: $(ls p | sort | paste -sd ' '), want $want"

# --verbose says why each entry was left alone.
"$S" prune --keep 1 --out p --verbose >"$TMPDIR/prune4.out"
for why in "p/13 alone: no manifest.csv" "p/12 alone: its run's state is interrupted" \
    "p/15 alone: it holds \"notes.txt\"" "p/016 alone: its name is not a run number" \
    "p/17 alone: it is not a folder" "p/19 alone: its manifest.csv is of run \"99\"" \
    "p/20 alone: it holds \"report.html\""; do
    grep -qF "left $why" "$TMPDIR/prune4.out" || { cat "$TMPDIR/prune4.out"; fail "no 'left $why'"; }
done

# Usage errors: no --keep, --keep 0, a bad duration, a database option.
for bad in "--out p" "--keep 0 --out p" "--keep 1 --older-than 30 --out p" \
    "--keep 1 --older-than 1y --out p" "--keep 1 --rules x"; do
    rc=0
    # shellcheck disable=SC2086 # split on purpose
    "$S" prune $bad >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || fail "prune $bad: exit $rc, want 2"
done
rc=0
"$S" prune --keep 1 --out "$TMPDIR/nothing-here" >/dev/null 2>"$TMPDIR/none.err" || rc=$?
[ "$rc" -eq 3 ] && grep -q 'could not open the output folder' "$TMPDIR/none.err" ||
    { cat "$TMPDIR/none.err"; fail "prune of a missing folder: exit $rc, want 3"; }

# A folder that cannot be removed: reported with its path and reason, exit 1,
# the others still removed. Root may remove anything, so as root prune runs
# as nobody on a folder it can read but not change.
if [ "$(id -u)" -eq 0 ]; then
    perm=$(mktemp -d /tmp/sentencer-prune.XXXXXX)
    trap 'rm -rf "$perm"' EXIT
    chmod 755 "$perm"
    as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
else
    perm=$TMPDIR/perm
    mkdir "$perm"
    as=()
fi
mkdir "$perm/out"
fake "$perm/out/1" 1 done 2020-01-01T02:30:00Z
fake "$perm/out/2" 2 done 2020-02-01T02:30:00Z
fake "$perm/out/3" 3 done 2020-03-01T02:30:00Z
chmod -R a+rX "$perm"
if [ "$(id -u)" -eq 0 ]; then
    chown -R nobody "$perm/out/2" # nobody may empty 2, not remove it from out/
else
    chmod a-w "$perm/out/1"
fi
rc=0
"${as[@]}" "$S" prune --keep 1 --out "$perm/out" >"$TMPDIR/perm.out" 2>"$TMPDIR/perm.err" || rc=$?
[ "$rc" -eq 1 ] || { cat "$TMPDIR/perm.out" "$TMPDIR/perm.err"; fail "prune without permission: exit $rc, want 1"; }
grep -q "^sentencer: error: could not remove \"$perm/out/[12]/.*\": Permission denied$" "$TMPDIR/perm.err" ||
    { cat "$TMPDIR/perm.err"; fail "no message naming the path and the reason"; }
grep -q 'could not be removed' "$TMPDIR/perm.out" || { cat "$TMPDIR/perm.out"; fail "no count of failures"; }
[ -d "$perm/out/3" ] || fail "the latest complete folder was removed"
if [ "$(id -u)" -ne 0 ]; then
    chmod u+w "$perm/out/1"
fi

echo "run --keep 2 left runs $r2 and $r3; prune removed exactly the older complete folders," \
    "left incomplete, foreign and linked entries alone, and reported what it could not remove"
