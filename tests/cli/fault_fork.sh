#!/usr/bin/env bash
# A --workers run whose system refuses a new process (fork fails, injected
# by an LD_PRELOAD shim built here):
#  - refused at the second worker: exit 3 naming the worker and what to do,
#    the run recorded failed, and the worker already started stops after
#    its chunk instead of doing the whole run alone;
#  - refused at the first: exit 3, nothing stored by that run;
#  - what was stored is whole, and the next run completes the job exactly
#    once.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
args=(--rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out")

cat >"$TMPDIR/failfork.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* fork() succeeds FAIL_FORK_AFTER times in this process, then fails. */
pid_t fork(void)
{
    static int forks;
    static pid_t (*real)(void);
    const char *after = getenv("FAIL_FORK_AFTER");

    if (!real)
        real = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");
    if (after && forks >= atoi(after)) {
        errno = EAGAIN;
        return -1;
    }
    forks++;
    return real();
}
C
cc -shared -fPIC -o "$TMPDIR/failfork.so" "$TMPDIR/failfork.c" -ldl

# run_failing AFTER LOG: a two-worker run with fork failing after AFTER forks.
run_failing() {
    local rc=0
    # The sanitizer runtime must otherwise come first among the libraries.
    LD_PRELOAD=$TMPDIR/failfork.so FAIL_FORK_AFTER=$1 \
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
        "$S" run "${args[@]}" --workers 2 --chunk 20 >"$2" 2>&1 || rc=$?
    echo "$rc"
}

"$PROJECT/scripts/gen-cases" 3000 20261130 >"$TMPDIR/cases.csv"
"$S" migrate >/dev/null 2>&1
"$S" import "$TMPDIR/cases.csv" >/dev/null 2>&1 || [ $? -eq 1 ]
total=$(q -c "SELECT count(*) FROM sentencer.charge")

rc=$(run_failing 1 "$TMPDIR/second.log")
[ "$rc" -eq 3 ] || { cat "$TMPDIR/second.log"; fail "fork refused at worker 2: exit $rc, want 3"; }
grep -q 'could not start worker 2' "$TMPDIR/second.log" || { cat "$TMPDIR/second.log"; fail "message"; }
grep -q 'fewer --workers' "$TMPDIR/second.log" || { cat "$TMPDIR/second.log"; fail "hint"; }
state=$(q -c "SELECT state FROM sentencer.run ORDER BY id DESC LIMIT 1")
[ "$state" = failed ] || fail "the run is $state, want failed"
done1=$(stored)
[ "$done1" -lt "$total" ] ||
    fail "the started worker evaluated all $total charges alone after the run had failed"
check_whole "after a refused second worker"

rc=$(run_failing 0 "$TMPDIR/first.log")
[ "$rc" -eq 3 ] || { cat "$TMPDIR/first.log"; fail "fork refused at worker 1: exit $rc, want 3"; }
grep -q 'could not start worker 1' "$TMPDIR/first.log" || { cat "$TMPDIR/first.log"; fail "message"; }
[ "$(stored)" -eq "$done1" ] || fail "a run that started no worker stored something"
check_whole "after a refused first worker"

rc=0
"$S" run "${args[@]}" --workers 2 >"$TMPDIR/rerun.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/rerun.log"; fail "the next run: exit $rc"; }
check_complete "after the next run" "$(last_rule_set)"
