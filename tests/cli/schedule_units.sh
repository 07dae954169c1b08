#!/usr/bin/env bash
# The schedules of scripts/schedule/ as an operator installs them:
# - the systemd units, with /usr/local rewritten to a prefix holding this
#   build (as `make install` rewrites it), pass `systemd-analyze verify` with
#   no message at all, and the service's exposure (`systemd-analyze security
#   --offline=true`) stays at most MAX_EXPOSURE, so that a weakened sandbox
#   fails here;
# - every system call a run with --workers 2 and --keep, and prune, make is
#   one the service's SystemCallFilter allows, and none maps memory writable
#   and executable (MemoryDenyWriteExecute), where strace can trace;
# - the cron line runs as written: every line timestamped, its last line
#   "exit N" and its exit status the run's, and a second night started while
#   the first holds the lock writes "exit 75" without running.
# Without systemd-analyze (scripts/install-deps installs systemd) the unit
# checks are skipped, and say so; the cron line is checked either way.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
SCHED=$PROJECT/scripts/schedule
# The exposure level the service reaches (1.1 of 10, systemd 252), in tenths.
MAX_EXPOSURE=11

# The units with /usr/local pointing at a prefix whose bin/sentencer is this
# build (the sanitizer binary).
mkdir -p "$TMPDIR/prefix/bin" "$TMPDIR/units"
ln -s "$S" "$TMPDIR/prefix/bin/sentencer"
for f in sentencer-nightly.service sentencer-nightly.timer sentencer-failure@.service; do
    sed "s|/usr/local|$TMPDIR/prefix|g" "$SCHED/$f" >"$TMPDIR/units/$f"
done
unit() { grep -E "^$1=" "$SCHED/sentencer-nightly.service" | cut -d= -f2-; }

# What the service must say, as text.
[ "$(unit ExecStart)" = "/usr/local/bin/sentencer run --workers 2 --out /var/lib/sentencer/out --keep 60" ] ||
    fail "ExecStart is \"$(unit ExecStart)\""
[ "$(unit SuccessExitStatus)" = 143 ] ||
    fail "SuccessExitStatus is \"$(unit SuccessExitStatus)\": exit 1 and 3 must fail the unit, 143 only is a stop"
[ "$(unit OnFailure)" = "sentencer-failure@%n.service" ] && [ -e "$SCHED/sentencer-failure@.service" ] ||
    fail "OnFailure must name sentencer-failure@%n.service, which must exist"
for want in StateDirectory=sentencer LogsDirectory=sentencer User=sentencer TimeoutStartSec=5h \
    TimeoutStopSec=300 ProtectSystem=strict MemoryDenyWriteExecute=yes \
    SystemCallFilter=@system-service "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
    grep -qxF "$want" "$SCHED/sentencer-nightly.service" || fail "the service lacks $want"
done
grep -q '/opt' "$SCHED"/sentencer-* && fail "a unit still names /opt"

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "skipped: systemd-analyze is not installed (scripts/install-deps installs systemd):" \
        "the units were not verified"
else
    # verify: exit 0 is not enough (an unknown key or a bad value is only a
    # message): any message at all fails. The template is checked through
    # the instance OnFailure= starts.
    cd "$TMPDIR/units"
    verify=(sentencer-nightly.service sentencer-nightly.timer sentencer-failure@.service
        sentencer-failure@sentencer-nightly.service.service)
    rc=0
    systemd-analyze verify --man=no "${verify[@]/#/./}" >"$TMPDIR/verify.log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] && [ ! -s "$TMPDIR/verify.log" ] ||
        { cat "$TMPDIR/verify.log"; fail "systemd-analyze verify: exit $rc, or messages"; }
    # ... and it does read the files: a planted unknown key is reported.
    mkdir bad
    sed 's/^Nice=5$/Nice=5\nNoSuchKey=1/' sentencer-nightly.service >bad/sentencer-nightly.service
    systemd-analyze verify --man=no ./bad/sentencer-nightly.service 2>&1 | grep -q "Unknown key" ||
        fail "systemd-analyze verify did not report a planted unknown key"
    rc=0
    systemd-analyze security --offline=true --threshold="$MAX_EXPOSURE" ./sentencer-nightly.service \
        >"$TMPDIR/security.log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || {
        grep -E '✗|Overall' "$TMPDIR/security.log"
        fail "the service's exposure is over $MAX_EXPOSURE tenths (sandbox weakened?)"
    }
    grep -o 'Overall exposure level.*' "$TMPDIR/security.log"
    cd "$TMPDIR"
fi

# The data a run needs: the cron line runs the installed program with its
# default rule set, which here is the run's working folder's lua-rules/.
state=$TMPDIR/state
mkdir -p "$state/tests" "$TMPDIR/log"
cp -r "$RULES" "$state/lua-rules"
cp -r "$GOLDEN" "$state/tests/rules"
"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 200 23 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>/dev/null

# The system calls of a run with workers and of prune, against the filter.
if command -v systemd-analyze >/dev/null 2>&1 && command -v strace >/dev/null 2>&1 &&
    strace -f -qq -o /dev/null true 2>/dev/null; then
    expand() { # the system calls of a filter set, its nested sets expanded
        systemd-analyze syscall-filter "$1" | sed -n '2,$p' | grep -vE '^\s*(#|$)' | tr -d ' ' |
            while read -r x; do case $x in @*) expand "$x" ;; *) echo "$x" ;; esac; done
    }
    # SystemCallFilter=@system-service, then ~@privileged @resources.
    expand @system-service | sort -u >"$TMPDIR/allow"
    { expand @privileged && expand @resources; } | sort -u >"$TMPDIR/deny"
    comm -23 "$TMPDIR/allow" "$TMPDIR/deny" >"$TMPDIR/allowed"
    grep -qx clone "$TMPDIR/allowed" && grep -qx wait4 "$TMPDIR/allowed" ||
        fail "the filter does not allow fork and wait"
    (cd "$state" && ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$TMPDIR/trace.run" \
        "$S" run --workers 2 --limit 100 --chunk 20 --out "$TMPDIR/traced" --keep 1 >/dev/null 2>&1 &&
        ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$TMPDIR/trace.prune" \
            "$S" prune --keep 1 --out "$TMPDIR/traced" >/dev/null) ||
        fail "the traced run or prune failed"
    grep -q 'clone' "$TMPDIR/trace.run" || fail "the traced run started no worker"
    sed -E 's/^[0-9]+ +//; s/^([a-z0-9_]+)\(.*/\1/' "$TMPDIR"/trace.* | grep -E '^[a-z0-9_]+$' |
        sort -u >"$TMPDIR/used"
    outside=$(comm -23 "$TMPDIR/used" "$TMPDIR/allowed" | paste -sd ' ')
    [ -z "$outside" ] || fail "system calls the service's filter refuses: $outside"
    ! grep -E 'PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE' "$TMPDIR"/trace.* ||
        fail "memory mapped writable and executable: MemoryDenyWriteExecute would refuse it"
    echo "$(wc -l <"$TMPDIR/used") system calls used, all allowed by the service's filter"
else
    echo "skipped: no strace, or tracing is not permitted here: the system calls were not checked"
fi

# The cron line, as cron runs it: its command (after the five time fields
# and the user), \% unescaped, run by the SHELL it sets, with /usr/local,
# /var/lib/sentencer and /var/log/sentencer moved here. The test's database
# is in the PG* variables; PGSERVICE is left out.
grep -qx 'SHELL=/bin/bash' "$SCHED/crontab.example" || fail "the cron file does not set SHELL=/bin/bash"
line=$(grep -E '^[0-9*]' "$SCHED/crontab.example")
[ "$(wc -l <<<"$line")" -eq 1 ] || fail "the cron file has more than one job line"
read -r min hour dom mon dow user cmd <<<"$line"
[ "$min $hour $dom $mon $dow $user" = "30 2 * * * sentencer" ] || fail "cron schedule: $line"
for want in 'flock -n -E 75 /var/lib/sentencer/nightly.lock /usr/local/bin/sentencer run' \
    'set -o pipefail' 'echo "exit $s"; exit $s;' '\%(\%Y-\%m-\%dT\%H:\%M:\%S\%z)T'; do
    grep -qF -- "$want" <<<"$cmd" || fail "the cron line lacks: $want"
done
cmd=${cmd//\\%/%}
cmd=${cmd//\/usr\/local/$TMPDIR/prefix}
cmd=${cmd//\/var\/lib\/sentencer/$state}
cmd=${cmd//\/var\/log\/sentencer/$TMPDIR/log}
log=$TMPDIR/log/nightly.log
rc=0
env -u PGSERVICE bash -c "$cmd" || rc=$?
[ "$rc" -le 1 ] || { cat "$log"; fail "the cron line: exit $rc"; }
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4} '
grep -vE "^$ts" "$log" && fail "lines of the log without a timestamp"
tail -n 1 "$log" | grep -qE "^${ts}exit $rc$" || { cat "$log"; fail "the last line is not \"exit $rc\""; }
grep -qE "^${ts}sentencer: run [0-9]+ done: " "$log" || { cat "$log"; fail "no run in the log"; }
ls "$state/out" | grep -qE '^[0-9]+$' || fail "the cron run wrote no run folder"

# A night still running holds the lock: the next writes "exit 75", runs nothing.
runs=$(q -c "SELECT count(*) FROM sentencer.run")
exec 9>>"$state/nightly.lock"
flock -n 9 || fail "could not take the lock for the test"
rc=0
env -u PGSERVICE bash -c "$cmd" 9>&- || rc=$?
exec 9>&-
[ "$rc" -eq 75 ] || { cat "$log"; fail "a second night while the first runs: exit $rc, want 75"; }
tail -n 1 "$log" | grep -qE "^${ts}exit 75$" || { cat "$log"; fail "no \"exit 75\" line"; }
[ "$(q -c "SELECT count(*) FROM sentencer.run")" -eq "$runs" ] || fail "the second night ran"

echo "units verified; the cron line ran, timestamped every line, ended \"exit N\" and stepped" \
    "aside for a night still running"
