#!/usr/bin/env bash
# Makes dump.sql: a database as the release with schema version 3 left it
# (sql/001-003, commit 9c96077), for tests/cli/migrate_v3.sh. Run once, with
# that release's program, against the private cluster:
#   git worktree add /tmp/v3 9c96077 && make -C /tmp/v3
#   tests/data/schema-v3/make-dump.sh /tmp/v3/bin/sentencer /tmp/v3
# It imports the sample, runs, re-imports it with one amount changed (line 3:
# payment_settled_yuan 199999.99 -> 250000) and runs again, so that the dump
# holds superseded recommendations with their traces, two facts revisions
# and two runs.
set -euo pipefail
S=$1 SRC=$2
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
eval "$(scripts/local-db env)"
export PGDATABASE=sentencer_v3_fixture
scripts/local-db createdb "$PGDATABASE" >/dev/null
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$S" migrate
"$S" import tests/data/sample-cases.csv || [ $? -eq 1 ]
"$S" run --rules "$SRC/lua-rules" --tests "$SRC/tests/rules" --out "$t/out" || [ $? -eq 1 ]
sed '3s/,199999\.99,/,250000,/' tests/data/sample-cases.csv >"$t/changed.csv"
"$S" import "$t/changed.csv" || [ $? -eq 1 ]
"$S" run --rules "$SRC/lua-rules" --tests "$SRC/tests/rules" --out "$t/out" || [ $? -eq 1 ]
pg_dump --no-owner --no-privileges --schema=sentencer "$PGDATABASE" |
    sed -e '/^-- Dumped from/d' -e '/^-- Dumped by/d' >"$here/dump.sql"
scripts/local-db dropdb "$PGDATABASE"
