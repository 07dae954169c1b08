#!/usr/bin/env bash
# Exit statuses of cli.md: 2 for a wrong command line (an option the command
# does not take included), 3 when nothing can be
# done safely (database unreachable, schema missing, rule set broken), with a
# message that says what to do, and nothing written.
set -euo pipefail
S=$SENTENCER
expect() { # expect STATUS PATTERN -- command...
    local want=$1 pattern=$2 rc
    shift 3
    set +e
    "$@" >"$TMPDIR/out.log" 2>&1
    rc=$?
    set -e
    [ "$rc" -eq "$want" ] || { echo "$*: exit $rc, want $want"; cat "$TMPDIR/out.log"; exit 1; }
    grep -qi -- "$pattern" "$TMPDIR/out.log" ||
        { echo "$*: no '$pattern' in:"; cat "$TMPDIR/out.log"; exit 1; }
}

expect 2 'unknown command' -- $S frobnicate
expect 2 'workers' -- $S run --workers zero
expect 2 'Usage' -- $S explain
# An option the command does not take is refused, not ignored, before
# anything is read or written (the schema is still missing here).
expect 2 '--workers does not apply to "import"' -- $S import --workers 2 "$PROJECT/tests/data/sample-cases.csv"
expect 2 '--out does not apply to "status"' -- $S status --out "$TMPDIR/o"
expect 2 '--label does not apply to "check-rules"' -- $S check-rules --label x
expect 2 '--excel does not apply to "status"' -- $S status --excel
expect 2 '--rejects does not apply to "status"' -- $S status --rejects x
expect 2 'format must be text or json' -- $S explain --format csv X
expect 2 'unknown command "frob"' -- $S help frob
# Help: per command, on standard output, exit 0, nothing else done.
expect 0 'Usage: sentencer \[OPTION\]... status' -- $S status --help
expect 0 '--max-age D' -- $S help status
expect 0 'Commands:' -- $S --help
expect 0 'schema version' -- $S --version
expect 0 'Commands:' -- $S help help
expect 2 'help takes one command' -- $S help status extra
expect 2 'limit does not go with --check' -- $S status --check --limit 3
# Schema missing: run and import refuse before writing.
expect 3 'sentencer migrate' -- $S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out "$TMPDIR/o"
expect 3 'sentencer migrate' -- $S import "$PROJECT/tests/data/sample-cases.csv"
# Database unreachable.
expect 3 'could not connect' -- $S --db "host=$TMPDIR/nowhere connect_timeout=2" status
# A rule set that does not compile: exit 3 naming file and line, nothing
# evaluated or written; the run is recorded as refused with the reason, so
# that monitoring sees it (status --check).
$S migrate
mkdir -p "$TMPDIR/badrules"
printf 'broken.lua\n' >"$TMPDIR/badrules/MANIFEST"
printf 'function evaluate(case)\n  return {status = "ok"\nend\n' >"$TMPDIR/badrules/broken.lua"
expect 3 'broken.lua:3' -- $S run --rules "$TMPDIR/badrules" --out "$TMPDIR/o"
[ "$(psql -XAtqc 'SELECT count(*) FROM sentencer.run')" -eq 1 ]
[ "$(psql -XAtqc "SELECT count(*) FROM sentencer.run WHERE state = 'refused' AND evaluated = 0
                   AND rule_set IS NULL AND message LIKE '%broken.lua:3%'")" -eq 1 ]
[ "$(psql -XAtqc 'SELECT count(*) FROM sentencer.recommendation')" -eq 0 ]
[ ! -e "$TMPDIR/o" ]
expect 3 'broken.lua:3' -- $S check-rules --rules "$TMPDIR/badrules"
echo "exit statuses as in cli.md"
