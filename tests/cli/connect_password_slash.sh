#!/usr/bin/env bash
# A password written raw in a postgresql:// URI that holds a '/' (it should
# be %2F): libpq ends the authority at the '/', reads "user:first-part" as
# host:port and quotes the "port" in its error. No part of the password
# may reach standard error, the hint or the status --check line.
set -euo pipefail
S=$SENTENCER
for uri in 'postgresql://u:Pw1seCret/tail9X@db.invalid/x' 'postgresql://u:Pw1seCret?tail9X@db.invalid/x'; do
    rc=0
    "$S" --db "$uri" status >"$TMPDIR/out" 2>&1 || rc=$?
    "$S" --db "$uri" status --check >>"$TMPDIR/out" 2>&1 || true
    cat "$TMPDIR/out"
    [ "$rc" -eq 3 ] || { echo "FAIL: status with $uri: exit $rc, want 3"; exit 1; }
    if grep -q 'Pw1seCret\|tail9X' "$TMPDIR/out"; then
        echo "FAIL: a part of the password of $uri was shown"; exit 1
    fi
done
echo "a password with a '/' or '?' in a URI is not shown"
