#!/usr/bin/env bash
# The nightly job runs with least privilege: a login role that is only a
# member of sentencer_job (sql/002_job_role.sql, 003_job_functions.sql)
# completes `sentencer run`, `status` and `export`, but cannot import cases,
# change or delete acts and charges, or rewrite or delete a recommendation
# (permission denied). It writes only through the job's functions, which
# refuse every forgery: superseding a current recommendation or inserting a
# forged one, marking a charge evaluated, rewriting a run's state or
# counters, reading a run's token, writing under another run's token, or
# writing for a charge already evaluated. Its attempts change nothing. Roles
# belong to the whole cluster: the test role has a name of its own and is
# dropped at the end, whatever happens.
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
# The forgeries an adversarial pass found possible with the old column grants.
denied "UPDATE sentencer.recommendation SET is_current = false, superseded_at = now() WHERE is_current"
denied "INSERT INTO sentencer.recommendation (charge_id, run_id, facts_rev, status, recommended_kind, rule_set)
        SELECT charge_id, run_id, facts_rev, 'ok', 'exempt', 'forged' FROM sentencer.recommendation LIMIT 1"
denied "UPDATE sentencer.charge SET evaluated_rev = facts_rev, evaluated_rule_set = 'forged'"
denied "UPDATE sentencer.run SET state = 'done', evaluated = 0, errors = 0"
denied "INSERT INTO sentencer.run (host, pid, rule_set) VALUES ('h', 1, 'forged')"
denied "INSERT INTO sentencer.run_error (run_id, charge_id, message) SELECT run_id, charge_id, 'x' FROM sentencer.recommendation LIMIT 1"
denied "SELECT token_hash FROM sentencer.run"
denied "SELECT sentencer.run_check(1, 'x')"

# refused SQL PATTERN: the job's functions refuse, saying PATTERN.
refused() {
    if PGUSER=$role psql -XAtq -v ON_ERROR_STOP=1 <<<"$1" >"$TMPDIR/psql.log" 2>&1; then
        fail "as $role, this succeeded: $1"
    fi
    grep -q "$2" "$TMPDIR/psql.log" || { cat "$TMPDIR/psql.log"; fail "as $role, no '$2' for: $1"; }
}
done_run=$(q -c "SELECT max(id) FROM sentencer.run WHERE state = 'done'")
one='[{"charge_id": 1, "facts_rev": 1, "status": "ok", "recommended_kind": "exempt"}]'
refused "SELECT sentencer.store($done_run, 'guess', '$one')" "token is not its own"
refused "SELECT sentencer.run_end($done_run, 'guess', 'failed', NULL, 'forged', NULL)" "token is not its own"
# A run references a stored rule set, and a stored rule set is what its id
# says: files that do not hash to the id are refused.
refused "SELECT sentencer.run_begin('forger', 1, 'forged-rules', 1)" "foreign key"
refused "SELECT sentencer.rule_set_register('0123456789abcdef', '{MANIFEST,x.lua}', '{\\\\x0a,\\\\x0a}', 'forged', 1, 0)" "does not hash to its id"
refused "SELECT * FROM sentencer.claim($done_run, 'guess', 10, 0)" "token is not its own"
# With a run of its own (token in hand), it still cannot write for a charge
# already evaluated with that rule set, nor at a stale facts revision.
rs=$(q -c "SELECT rule_set FROM sentencer.run WHERE id = $done_run")
charge=$(q -c "SELECT id FROM sentencer.charge ORDER BY id LIMIT 1")
rev=$(q -c "SELECT facts_rev FROM sentencer.charge WHERE id = $charge")
cat >"$TMPDIR/own.sql" <<SQL
SELECT run_id AS run, token FROM sentencer.run_begin('forger', 1, '$rs', 1) \gset
SELECT sentencer.store(:run, :'token',
       '[{"charge_id": $charge, "facts_rev": $rev, "status": "ok", "recommended_kind": "exempt"}]');
SQL
refused "$(cat "$TMPDIR/own.sql")" "already evaluated"
cat >"$TMPDIR/stale.sql" <<SQL
SELECT run_id AS run, token FROM sentencer.run_begin('forger', 1, '$rs', 1) \gset
SELECT sentencer.store(:run, :'token',
       '[{"charge_id": $charge, "facts_rev": $((rev - 1)), "status": "ok", "recommended_kind": "exempt"}]');
SQL
refused "$(cat "$TMPDIR/stale.sql")" "facts revision"
[ "$(fingerprint)" = "$before" ] || fail "the job role's attempts changed stored data"
echo "$role ran the job and was refused imports, changes to cases and recommendations, and every forgery through the job's functions"
