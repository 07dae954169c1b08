#!/usr/bin/env bash
# migrate and grant-job-role check what the connected role may do before
# they change anything, and say who must grant what; a failed connection is
# told to start the private cluster only when it went to the private
# cluster.
#
#  1. A role with no CREATE privilege on the database: migrate exits 3,
#     names the privilege and the database's owner, creates nothing.
#  2. The owner of a database, without CREATEROLE, where role sentencer_job
#     does not exist: migrate applies the schema, prints the statements a
#     superuser runs and exits 1. Piped to psql as the superuser, they give
#     sentencer_job exactly the rights the migrations give it in a database
#     a superuser migrated, and a login member of sentencer_job completes
#     `run`. The owner's migrate then exits 0.
#  3. grant-job-role ROLE run twice by a superuser: both exit 0; by the
#     owner without CREATEROLE: exit 3, naming what is needed.
#  4. Connection failures: to an empty socket directory or a closed TCP
#     port, the hint names that server and not scripts/local-db; to the
#     directory SENTENCER_LOCAL_DB names (as scripts/local-db env exports
#     it), the hint says to start the private cluster.
#
# Roles belong to the whole cluster and sentencer_job is shared with the
# other tests: for part 2 it is renamed aside (it must be missing there) and
# renamed back at the end, the sentencer_job part 2 created being dropped
# first (its only rights were in the database this test made, dropped
# before it). The test's own roles and database have unique names and are
# dropped at the end, whatever happens.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
tag=$$_$RANDOM
owner=sentencer_owner_$tag
none=sentencer_none_$tag
login=sentencer_login_$tag
login2=sentencer_login2_$tag
saved=sentencer_job_saved_$tag
db=sentencer_priv_$tag
admin() { PGOPTIONS='-c client_min_messages=warning' q -d postgres "$@"; }
has_role() { [ "$(admin -c "SELECT count(*) FROM pg_roles WHERE rolname = '$1'")" = 1 ]; }

# Put sentencer_job back as it was (idempotent).
restore_job_role() {
    has_role "$saved" || return 0
    admin -c "DROP ROLE IF EXISTS sentencer_job" -c "ALTER ROLE $saved RENAME TO sentencer_job"
}
cleanup() {
    admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || echo "could not drop database $db"
    for r in "$login" "$login2" "$owner" "$none"; do
        admin -c "DROP ROLE IF EXISTS $r" >/dev/null || echo "could not drop role $r"
    done
    restore_job_role || echo "could not rename $saved back to sentencer_job"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The test's database, migrated by the superuser: the reference.
"$S" migrate 2>/dev/null
want_version=$(q -c "SELECT max(version) FROM sentencer.schema_migration")
# What ROLE holds in schema sentencer of database DB, by the query
# grant-job-role prints (sql/queries/job_role_privileges.sql).
privileges() { # privileges DB ROLE
    { echo "PREPARE p(text) AS"; grep -v '^--' "$PROJECT/sql/queries/job_role_privileges.sql"
      echo ";"; echo "EXECUTE p('$2');"; } | q -d "$1"
}
privileges "$PGDATABASE" sentencer_job >"$TMPDIR/want.txt"
grep -q '^EXECUTE|function|sentencer.store(' "$TMPDIR/want.txt" || { cat "$TMPDIR/want.txt"; fail "reference privileges"; }

admin -c "CREATE ROLE $owner LOGIN NOCREATEROLE" -c "CREATE ROLE $none LOGIN" \
    -c "CREATE DATABASE $db OWNER $owner"
as() { # as ROLE COMMAND...: sentencer connected to the test's own database as ROLE
    local r=$1
    shift
    PGUSER=$r PGDATABASE=$db "$S" "$@"
}

# 1. No CREATE privilege at all: exit 3, nothing created.
rc=0
as "$none" migrate >"$TMPDIR/none.out" 2>"$TMPDIR/none.log" || rc=$?
[ "$rc" -eq 3 ] || { cat "$TMPDIR/none.log"; fail "migrate as $none: exit $rc, want 3"; }
grep -q "role $none may not create schema sentencer in database $db: it lacks the CREATE privilege" \
    "$TMPDIR/none.log" || { cat "$TMPDIR/none.log"; fail "migrate as $none: no reason"; }
grep -q "HINT: The database's owner ($owner) or a superuser runs GRANT CREATE ON DATABASE $db TO $none" \
    "$TMPDIR/none.log" || { cat "$TMPDIR/none.log"; fail "migrate as $none: no hint naming the owner"; }
[ ! -s "$TMPDIR/none.out" ] || fail "migrate as $none printed: $(cat "$TMPDIR/none.out")"
[ "$(q -d "$db" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'sentencer'")" = 0 ] ||
    fail "migrate as $none created schema sentencer"
echo "a role without CREATE on the database: exit 3, nothing created"

# 2. The owner, without CREATEROLE, and no sentencer_job in the cluster.
if has_role sentencer_job; then
    admin -c "ALTER ROLE sentencer_job RENAME TO $saved"
fi
rc=0
as "$owner" migrate >"$TMPDIR/grants.sql" 2>"$TMPDIR/owner.log" || rc=$?
[ "$rc" -eq 1 ] || { cat "$TMPDIR/owner.log"; fail "migrate as $owner: exit $rc, want 1"; }
grep -q "warning: the nightly job's role sentencer_job does not exist and role $owner may not create it" \
    "$TMPDIR/owner.log" || { cat "$TMPDIR/owner.log"; fail "migrate as $owner: no warning"; }
grep -qx 'CREATE ROLE sentencer_job NOLOGIN;' "$TMPDIR/grants.sql" &&
    grep -q '^GRANT SELECT ON sentencer.schema_migration' "$TMPDIR/grants.sql" &&
    grep -q '^GRANT EXECUTE ON FUNCTION' "$TMPDIR/grants.sql" ||
    { cat "$TMPDIR/grants.sql"; fail "migrate as $owner: the statements for a superuser"; }
[ "$(q -d "$db" -c "SELECT max(version) FROM sentencer.schema_migration")" = "$want_version" ] ||
    fail "migrate as $owner did not apply the schema"
has_role sentencer_job && fail "migrate as $owner created sentencer_job"
# The superuser runs what was printed.
q -d "$db" <"$TMPDIR/grants.sql"
privileges "$db" sentencer_job >"$TMPDIR/got.txt"
diff "$TMPDIR/want.txt" "$TMPDIR/got.txt" ||
    fail "the printed statements give sentencer_job other rights than the migrations"
rc=0
as "$owner" migrate >"$TMPDIR/again.out" 2>"$TMPDIR/again.log" || rc=$?
[ "$rc" -eq 0 ] || { cat "$TMPDIR/again.log"; fail "migrate as $owner after the grants: exit $rc"; }
[ ! -s "$TMPDIR/again.out" ] || fail "migrate as $owner after the grants printed statements again"
echo "the owner without CREATEROLE: exit 1 and the statements; a superuser ran them"

# The nightly job as a login member of sentencer_job.
admin -c "CREATE ROLE $login LOGIN IN ROLE sentencer_job"
"$PROJECT/scripts/gen-cases" 200 7 >"$TMPDIR/cases.csv"
as "$owner" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
rc=0
as "$login" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" >"$TMPDIR/run.log" 2>&1 || rc=$?
if [ "$rc" -gt 1 ] || ! grep -q ' done: ' "$TMPDIR/run.log"; then
    cat "$TMPDIR/run.log"
    fail "run as $login: exit $rc"
fi
PGDATABASE=$db check_complete "run as $login" "$(PGDATABASE=$db last_rule_set)"
echo "$login, a member of sentencer_job, completed run"
# The owner may give sentencer_job its rights again, but not make a role a
# member of it (no CREATEROLE, no ADMIN OPTION): exit 3, naming that.
as "$owner" grant-job-role >"$TMPDIR/owner-grant.out" 2>&1 ||
    { cat "$TMPDIR/owner-grant.out"; fail "grant-job-role as $owner"; }
rc=0
as "$owner" grant-job-role "$login" >"$TMPDIR/owner-member.out" 2>"$TMPDIR/owner-member.log" || rc=$?
[ "$rc" -eq 3 ] || { cat "$TMPDIR/owner-member.log"; fail "grant-job-role $login as $owner: exit $rc, want 3"; }
grep -q "role $owner may not grant membership in role sentencer_job: that needs a superuser or ADMIN OPTION" \
    "$TMPDIR/owner-member.log" || { cat "$TMPDIR/owner-member.log"; fail "grant-job-role as $owner: no reason"; }

# Back to the shared sentencer_job.
admin -c "DROP DATABASE $db WITH (FORCE)" -c "DROP ROLE $login"
restore_job_role

# 3. grant-job-role ROLE, twice, by the superuser, in the test's database.
admin -c "CREATE ROLE $login2 LOGIN"
for i in 1 2; do
    rc=0
    "$S" grant-job-role "$login2" >"$TMPDIR/grant$i.out" 2>"$TMPDIR/grant$i.log" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$TMPDIR/grant$i.log"; fail "grant-job-role $login2 (time $i): exit $rc"; }
    grep -qx "granted role sentencer_job to $login2" "$TMPDIR/grant$i.out" &&
        grep -q '^  SELECT on table sentencer.act$' "$TMPDIR/grant$i.out" ||
        { cat "$TMPDIR/grant$i.out"; fail "grant-job-role $login2 (time $i): what it granted"; }
done
privileges "$PGDATABASE" sentencer_job >"$TMPDIR/after-grant.txt"
diff "$TMPDIR/want.txt" "$TMPDIR/after-grant.txt" || fail "grant-job-role changed the job role's rights"
[ "$(q -c "SELECT pg_has_role('$login2', 'sentencer_job', 'MEMBER')")" = t ] ||
    fail "$login2 is not a member of sentencer_job"
PGUSER=$login2 "$S" status >/dev/null || fail "status as $login2"
# A role that owns nothing there may not grant: exit 3, naming the owner.
rc=0
PGUSER=$none "$S" grant-job-role "$login2" >"$TMPDIR/deny.out" 2>"$TMPDIR/deny.log" || rc=$?
[ "$rc" -eq 3 ] || { cat "$TMPDIR/deny.log"; fail "grant-job-role as $none: exit $rc, want 3"; }
grep -q "role $none may not grant rights on schema sentencer" "$TMPDIR/deny.log" ||
    { cat "$TMPDIR/deny.log"; fail "grant-job-role as $none: no reason"; }
echo "grant-job-role $login2 twice: exit 0 both times, the same rights; refused to a non-owner"

# 4. The hints of a failed connection.
mkdir "$TMPDIR/empty"
expect_hint() { # expect_hint local|other COMMAND...
    local want=$1 rc=0
    shift
    "$@" >"$TMPDIR/conn.log" 2>&1 || rc=$?
    [ "$rc" -eq 3 ] || { cat "$TMPDIR/conn.log"; fail "$*: exit $rc, want 3"; }
    grep -q '^HINT: ' "$TMPDIR/conn.log" || { cat "$TMPDIR/conn.log"; fail "$*: no hint"; }
    if [ "$want" = local ]; then
        grep -q '^HINT: .*scripts/local-db start' "$TMPDIR/conn.log" ||
            { cat "$TMPDIR/conn.log"; fail "$*: the hint does not say to start the private cluster"; }
    elif grep -qi 'local-db\|private\|development' "$TMPDIR/conn.log"; then
        cat "$TMPDIR/conn.log"
        fail "$*: the hint speaks of the private cluster"
    fi
}
expect_hint other env PGHOST="$TMPDIR/empty" "$S" status
expect_hint other "$S" --db "host=127.0.0.1 port=1 connect_timeout=2" status
grep -q 'server at 127.0.0.1, port 1' "$TMPDIR/conn.log" || { cat "$TMPDIR/conn.log"; fail "no server named"; }
expect_hint local env PGHOST="$TMPDIR/empty" SENTENCER_LOCAL_DB="$TMPDIR/empty/" "$S" status
echo "connection hints: the private cluster only for its own socket directory"
