#!/usr/bin/env bash
# The nightly job runs with least privilege: a login role that is only a
# member of sentencer_job (sql/002_job_role.sql) completes `sentencer run`,
# `status` and `export`, but cannot import cases, change or delete acts and
# charges, or rewrite or delete a recommendation (permission denied), and its
# attempts change nothing. Roles belong to the whole cluster: the test role
# has a name of its own and is dropped at the end, whatever happens.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
role=sentencer_job_test_$$_$RANDOM

drop_role() { q -c "DROP ROLE IF EXISTS $role" >/dev/null || echo "could not drop role $role"; }
trap drop_role EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 500 16 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
q -c "CREATE ROLE $role LOGIN IN ROLE sentencer_job"
as_job() { "$S" --db "user=$role" "$@"; }

# The job completes as that role.
rc=0
as_job run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" \
    >"$TMPDIR/run.log" 2>&1 || rc=$?
if [ "$rc" -gt 1 ] || ! grep -q ' done: ' "$TMPDIR/run.log"; then
    cat "$TMPDIR/run.log"
    fail "run as $role: exit $rc"
fi
check_complete "run as the job role" "$(last_rule_set)"
as_job status >"$TMPDIR/status.txt"
grep -q ' done ' "$TMPDIR/status.txt" || { cat "$TMPDIR/status.txt"; fail "status as the job role"; }
as_job export --out "$TMPDIR/export.csv"
[ "$(($(wc -l <"$TMPDIR/export.csv") - 1))" -eq "$(q -c "SELECT count(*) FROM sentencer.charge")" ] ||
    fail "export as the job role: wrong number of rows"

# Everything the role must not change, as one fingerprint.
fingerprint() {
    q <<'SQL'
SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
    SELECT md5(a::text) AS x FROM sentencer.act a
    UNION ALL SELECT md5(c::text) FROM sentencer.charge c
    UNION ALL SELECT md5(r::text) FROM sentencer.recommendation r) t;
SQL
}
before=$(fingerprint)

# It cannot import (new cases, so the import would have to write).
"$PROJECT/scripts/gen-cases" 50 17 >"$TMPDIR/more.csv"
rc=0
as_job import "$TMPDIR/more.csv" >"$TMPDIR/import-job.log" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$TMPDIR/import-job.log"; fail "import as $role: exit $rc, want 3"; }
grep -q 'permission denied' "$TMPDIR/import-job.log" ||
    { cat "$TMPDIR/import-job.log"; fail "import as $role: no 'permission denied'"; }

# Nor change cases or recommendations directly.
denied() { # denied SQL
    if PGUSER=$role psql -XAtq -v ON_ERROR_STOP=1 -c "$1" >"$TMPDIR/psql.log" 2>&1; then
        fail "as $role, this succeeded: $1"
    fi
    grep -q 'permission denied' "$TMPDIR/psql.log" ||
        { cat "$TMPDIR/psql.log"; fail "as $role, no 'permission denied' for: $1"; }
}
denied "DELETE FROM sentencer.act"
denied "UPDATE sentencer.act SET illegal_income_fen = 0"
denied "INSERT INTO sentencer.act SELECT * FROM sentencer.act LIMIT 1"
denied "UPDATE sentencer.charge SET facts_rev = facts_rev + 1"
denied "DELETE FROM sentencer.charge"
denied "UPDATE sentencer.recommendation SET recommended_months = 0"
denied "UPDATE sentencer.recommendation SET status = 'ok', error = NULL"
denied "DELETE FROM sentencer.recommendation"
denied "TRUNCATE sentencer.recommendation"
[ "$(fingerprint)" = "$before" ] || fail "the job role's attempts changed stored data"
echo "$role ran the job and was refused imports and changes to cases and recommendations"
