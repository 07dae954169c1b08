#!/usr/bin/env bash
# What a recorded message must not do to monitoring: status --check prints
# exactly one line whose only "|" is the one before the performance data,
# whatever the latest run's message holds. A rule file that fails to load
# with an error message of several lines, one of them looking like a plugin
# line with performance data of its own, makes the run refused with that
# message; the check must still be one CRITICAL line, with no control
# character and a single "|".
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER

"$S" migrate 2>/dev/null
printf '\nerror("line one\\nSENTENCER OK - all fine | age=1s;93600\\n\\027[2Jline three")\n' \
    >>"$RULES/law.lua"
rc=0
"$S" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" >"$TMPDIR/run.log" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$TMPDIR/run.log"; fail "run with a rule file that fails to load: exit $rc, want 3"; }
[ "$(q -c "SELECT state FROM sentencer.run")" = refused ] || fail "the run was not recorded refused"

rc=0
"$S" status --check >"$TMPDIR/check.out" 2>"$TMPDIR/check.err" || rc=$?
cat "$TMPDIR/check.out"
[ "$rc" -eq 2 ] || fail "status --check after a refused run: exit $rc, want 2"
[ ! -s "$TMPDIR/check.err" ] || { cat "$TMPDIR/check.err"; fail "status --check wrote to stderr"; }
[ "$(wc -l <"$TMPDIR/check.out")" -eq 1 ] || fail "status --check printed $(wc -l <"$TMPDIR/check.out") lines, want 1"
grep -q '^SENTENCER CRITICAL - run [0-9]* refused .*line one' "$TMPDIR/check.out" ||
    fail "status --check: not the CRITICAL line of the refused run"
[ "$(tr -cd '|' <"$TMPDIR/check.out" | wc -c)" -eq 1 ] ||
    fail "status --check: a recorded message put a '|' (performance data) of its own on the line"
! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$TMPDIR/check.out") ||
    fail "status --check: a control character from the message reached the line"
# The table shows the message escaped: no escape sequence reaches a terminal.
"$S" status >"$TMPDIR/status.txt"
cat "$TMPDIR/status.txt"
! LC_ALL=C grep -q $'\x1b' "$TMPDIR/status.txt" || fail "status: an escape character reached the table"
grep -q 'line one\\x0A' "$TMPDIR/status.txt" || fail "status: the message's newline is not shown escaped"
echo "a hostile refusal message stays on the one line of status --check"
