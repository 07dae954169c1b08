#!/usr/bin/env bash
# The files of two fixed runs, byte for byte, against the folders kept in
# tests/data/golden-run/: the sample cases with --excel (Chinese case
# numbers, cases in error, a byte-order mark) and 600 generated cases at the
# default minimum cell (suppression at work). Only the clock is masked
# (started_at, ended_at, the report's "as of"): run ids, rule set, counts,
# byte sizes and every cell must match.
#
# After an intended change (a rule edit, a new column, a new file),
# regenerate and review the difference before committing it:
#   GOLDEN_UPDATE=1 scripts/run-tests cli golden_run && git diff tests/data/golden-run
set -euo pipefail
S=$SENTENCER
R=(--rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules")
golden=$PROJECT/tests/data/golden-run

# mask DIR: the wall-clock times, the only thing a fixed run may vary in.
mask() {
    local f
    for f in "$1"/*; do
        sed -E -i 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/YYYY-MM-DDTHH:MM:SSZ/g' "$f"
    done
}

# one NAME CASES [RUN OPTIONS...]: a fresh database, import, run, mask.
one() {
    local name=$1 cases=$2
    shift 2
    local db=${PGDATABASE}_$name
    "$PROJECT/scripts/local-db" createdb "$db" >/dev/null
    local rc=0
    (
        export PGDATABASE=$db
        $S migrate >/dev/null
        $S import "$cases" 2>"$TMPDIR/$name-import.log"
        $S run "${R[@]}" --out "$TMPDIR/$name" "$@" 2>"$TMPDIR/$name-run.log"
    ) || rc=$?
    "$PROJECT/scripts/local-db" dropdb "$db" >/dev/null
    [ "$rc" -le 1 ] || { cat "$TMPDIR/$name-import.log" "$TMPDIR/$name-run.log"; exit 1; }
    mask "$TMPDIR/$name/1"
}

"$PROJECT/scripts/gen-cases" 600 20261130 >"$TMPDIR/generated.csv"
one sample "$PROJECT/tests/data/sample-cases.csv" --excel
one generated "$TMPDIR/generated.csv"

if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
    rm -rf "$golden"
    mkdir -p "$golden"
    cp -r "$TMPDIR/sample/1" "$golden/sample"
    cp -r "$TMPDIR/generated/1" "$golden/generated"
    echo "golden_run: updated $golden"
    exit 0
fi
diff -r "$golden/sample" "$TMPDIR/sample/1"
diff -r "$golden/generated" "$TMPDIR/generated/1"
