#!/usr/bin/env bash
# A run learns that it cannot write its files before it claims any work, and
# writes only into a folder it created: an --out that cannot be created, or a
# link planted where the next run's folder goes, makes the run exit 3 with
# nothing evaluated and nothing written through the link. A run's files can
# be written again from the database with `sentencer outputs --run N`: the
# run's own files come out byte for byte as the run wrote them.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
args=(--rules "$RULES" --tests "$GOLDEN")

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 300 31 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>/dev/null

refused() { # refused NAME ARGS...: the run exits 3, stores nothing, says why
    local name=$1 rc=0
    shift
    "$S" run "${args[@]}" "$@" >"$TMPDIR/$name.log" 2>&1 || rc=$?
    [ "$rc" -eq 3 ] || { cat "$TMPDIR/$name.log"; fail "$name: exit $rc, want 3"; }
    [ "$(stored)" -eq 0 ] || fail "$name: $(stored) recommendations stored"
    [ "$(q -c "SELECT state FROM sentencer.run ORDER BY id DESC LIMIT 1")" = failed ] ||
        fail "$name: the run is not recorded as failed"
}

# An output folder whose parent is a file.
echo "not a folder" >"$TMPDIR/file"
refused not-a-folder --out "$TMPDIR/file/out"
grep -q 'could not create the folder' "$TMPDIR/not-a-folder.log" ||
    { cat "$TMPDIR/not-a-folder.log"; fail "no message about the folder"; }

# A link planted where the next run's folder goes.
mkdir -p "$TMPDIR/out" "$TMPDIR/elsewhere"
next=$(q -c "SELECT coalesce(max(id), 0) + 1 FROM sentencer.run")
ln -s "$TMPDIR/elsewhere" "$TMPDIR/out/$next"
refused planted --out "$TMPDIR/out"
grep -q "could not create the run's folder" "$TMPDIR/planted.log" ||
    { cat "$TMPDIR/planted.log"; fail "no message about the planted link"; }
[ -z "$(ls -A "$TMPDIR/elsewhere")" ] || fail "the run wrote through the planted link"
[ -L "$TMPDIR/out/$next" ] || fail "the planted link was replaced"
rm "$TMPDIR/out/$next"

# A run that works, then its files written again elsewhere and in place.
rc=0
"$S" run "${args[@]}" --out "$TMPDIR/out" >"$TMPDIR/run.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run.log"; fail "run: exit $rc"; }
id=$(q -c "SELECT max(id) FROM sentencer.run")
[ -s "$TMPDIR/out/$id/manifest.csv" ] || fail "run $id wrote no manifest"
"$S" outputs --run "$id" --out "$TMPDIR/again" 2>"$TMPDIR/outputs.log" ||
    { cat "$TMPDIR/outputs.log"; fail "outputs --run $id failed"; }
for f in recommendations.csv errors.csv codebook.csv; do
    cmp -s "$TMPDIR/out/$id/$f" "$TMPDIR/again/$id/$f" || fail "outputs --run $id: $f differs"
done
for f in summary_offense.csv summary_court.csv basis_frequency.csv report.html manifest.csv; do
    [ -s "$TMPDIR/again/$id/$f" ] || fail "outputs --run $id: no $f"
done
"$S" outputs --run "$id" --out "$TMPDIR/again" 2>/dev/null || fail "outputs in place failed"
cmp -s "$TMPDIR/out/$id/recommendations.csv" "$TMPDIR/again/$id/recommendations.csv" ||
    fail "outputs in place: recommendations.csv differs"
ls "$TMPDIR/again/$id" | grep -q '\.tmp\.' && fail "temporary files left behind"

# A link where outputs would write is refused; a run that does not exist
# and a missing --run are usage errors.
ln -s "$TMPDIR/elsewhere" "$TMPDIR/linked"
mkdir -p "$TMPDIR/viaLink"
ln -s "$TMPDIR/elsewhere" "$TMPDIR/viaLink/$id"
rc=0
"$S" outputs --run "$id" --out "$TMPDIR/viaLink" >"$TMPDIR/o.log" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$TMPDIR/o.log"; fail "outputs through a link: exit $rc, want 3"; }
[ -z "$(ls -A "$TMPDIR/elsewhere")" ] || fail "outputs wrote through a link"
rc=0
"$S" outputs --run 999999 --out "$TMPDIR/again" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "outputs of a run that does not exist: exit $rc, want 2"
rc=0
"$S" outputs --out "$TMPDIR/again" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "outputs without --run: exit $rc, want 2"
echo "refused an impossible folder and a planted link with nothing evaluated;" \
    "run $id's files written again, byte for byte"
