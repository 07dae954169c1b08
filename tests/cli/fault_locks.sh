#!/usr/bin/env bash
# Waiting is bounded and interruptible, and no message shows a password:
# - behind a table lock held by another session, a run with --lock-timeout 2
#   gives up within seconds, exit 3, naming the wait and the option, with
#   nothing stored;
# - behind the same lock with the default timeouts, SIGTERM ends the run
#   within seconds (the waiting statement is cancelled), exit 143, the run
#   recorded as interrupted, nothing stored;
# - two imports of the same new file at once both succeed (the second waits
#   for the first, then finds nothing to change): never a duplicate key;
# - a malformed --db URI with a password: the message does not show it.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
args=(--rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out")

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 400 41 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>/dev/null

hold_table() { # hold_table TABLE: another session holds an ACCESS EXCLUSIVE lock
    PGAPPNAME=fault_hold psql -XAtq -v ON_ERROR_STOP=1 -c "BEGIN" \
        -c "LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(120)" \
        >/dev/null 2>&1 &
    holder=$!
    local deadline=$((SECONDS + 30))
    until [ "$(q -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                      WHERE a.application_name = 'fault_hold' AND l.mode = 'AccessExclusiveLock'
                        AND l.granted")" -gt 0 ]; do
        [ $SECONDS -lt $deadline ] || fail "could not take the lock on $1"
        sleep 0.05
    done
}
trap release_run EXIT

# 1. --lock-timeout 2 behind a lock on the acts.
hold_table sentencer.act
rc=0
start=$SECONDS
"$S" run "${args[@]}" --lock-timeout 2 >"$TMPDIR/timeout.log" 2>&1 || rc=$?
took=$((SECONDS - start))
[ "$rc" -eq 3 ] || { cat "$TMPDIR/timeout.log"; fail "run behind a lock: exit $rc, want 3"; }
[ "$took" -lt 20 ] || fail "the run behind a lock took $took s with --lock-timeout 2"
grep -q 'lock timeout' "$TMPDIR/timeout.log" && grep -q -- '--lock-timeout' "$TMPDIR/timeout.log" &&
    grep -q 'claimed acts' "$TMPDIR/timeout.log" ||
    { cat "$TMPDIR/timeout.log"; fail "the message does not name the wait and the option"; }
[ "$(stored)" -eq 0 ] || fail "the run behind a lock stored $(stored)"
echo "behind a lock, --lock-timeout 2: exit 3 after ${took} s, naming what it waited for"

# 2. SIGTERM while waiting behind the lock, default timeouts.
"$S" run "${args[@]}" >"$TMPDIR/term.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 30))
until [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sentencer'
                  AND wait_event_type = 'Lock'")" -gt 0 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$TMPDIR/term.log"; fail "the run ended early"; }
    [ $SECONDS -lt $deadline ] || fail "the run did not wait for the lock within 30 s"
    sleep 0.05
done
kill -TERM "$pid"
start=$SECONDS
wait_rc "$pid"
took=$((SECONDS - start))
[ "$rc" -eq 143 ] || { cat "$TMPDIR/term.log"; fail "SIGTERM behind a lock: exit $rc, want 143"; }
[ "$took" -le 8 ] || fail "SIGTERM behind a lock took $took s"
[ "$(q -c "SELECT state FROM sentencer.run WHERE pid = $pid")" = interrupted ] ||
    fail "the run is not recorded as interrupted"
[ "$(stored)" -eq 0 ] || fail "the interrupted run stored $(stored)"
release_run
check_whole "after SIGTERM behind a lock"
echo "behind a lock, SIGTERM: exit 143 after ${took} s"

# 3. Two imports of the same new file at once, five times.
for i in 1 2 3 4 5; do
    "$PROJECT/scripts/gen-cases" 300 "$((500 + i))" | sed "s/刑初/刑初$i-/" >"$TMPDIR/new-$i.csv"
    before=$(q -c "SELECT count(*) FROM sentencer.act")
    rows=$(($(wc -l <"$TMPDIR/new-$i.csv") - 1))
    r1=0 r2=0
    "$S" import "$TMPDIR/new-$i.csv" >"$TMPDIR/imp-$i-a.log" 2>&1 &
    p1=$!
    "$S" import "$TMPDIR/new-$i.csv" >"$TMPDIR/imp-$i-b.log" 2>&1 &
    p2=$!
    wait "$p1" || r1=$?
    wait "$p2" || r2=$?
    [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] ||
        { cat "$TMPDIR/imp-$i-a.log" "$TMPDIR/imp-$i-b.log"; fail "concurrent imports: exit $r1 and $r2"; }
    after=$(q -c "SELECT count(*) FROM sentencer.act")
    [ "$((after - before))" -eq "$rows" ] || fail "concurrent imports stored $((after - before)) of $rows rows"
    grep -q "($rows new, 0 changed, 0 unchanged)" "$TMPDIR/imp-$i-a.log" "$TMPDIR/imp-$i-b.log" &&
        grep -q "(0 new, 0 changed, $rows unchanged)" "$TMPDIR/imp-$i-a.log" "$TMPDIR/imp-$i-b.log" ||
        { cat "$TMPDIR/imp-$i-a.log" "$TMPDIR/imp-$i-b.log"; fail "concurrent imports: not one new and one unchanged"; }
done
echo "two imports of the same file at once, five times: stored once, both exit 0"

# 4. Passwords stay out of the messages, whatever shape the conninfo has:
# a malformed URI, a bad percent-encoding in a URI parameter, a message long
# enough to be cut, a password quoted back inside another value.
hosts=
for i in $(seq 10 19); do hosts+="db$i.court-cluster.example.org,"; done
shown=
while IFS= read -r conninfo; do
    rc=0
    "$S" --db "$conninfo" status >"$TMPDIR/conn.log" 2>&1 || rc=$?
    [ "$rc" -eq 3 ] || { cat "$TMPDIR/conn.log"; fail "--db '$conninfo': exit $rc, want 3"; }
    if grep -q 'Secret' "$TMPDIR/conn.log"; then
        shown+=$'\n'"$conninfo: $(cat "$TMPDIR/conn.log")"
    fi
done <<EOF2
postgresql://u:Secret-pw-123@[::1:bad/x
postgresql://u:Secret%41pw@[::1:bad/x
postgresql://h/db?password=Secret%zzPWxyz&sslmode=disable
postgresql://${hosts}[fd00::1/sentencingxxxxx?user=sentencer&password=SecretPWxyzLONGPASSWORD
host=/nonexistent-sentencer port=1 password='Secret pw 456' dbname=x
dbname='host=x password=SecretQ' host=/nonexistent-sentencer
postgresql://u:SecretNoHost34
EOF2
[ -z "$shown" ] || fail "a password was shown:$shown"
echo "passwords stay out of connection errors (7 shapes of conninfo)"

# 5. Locks no unprivileged session can squat: a run's advisory lock is drawn
# among the free keys (a thousand keys held by another session do not stop
# a run), and the import lock is a table lock the job role cannot take.
PGAPPNAME=fault_hold psql -XAtq -v ON_ERROR_STOP=1 \
    -c "SELECT count(pg_advisory_lock(1936027182, g)) FROM generate_series(0, 999) g" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
holder=$!
sleep 1
rc=0
"$S" run "${args[@]}" --lock-timeout 5 >"$TMPDIR/squat.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/squat.log"; fail "a run beside squatted advisory keys: exit $rc"; }
release_run
role=sentencer_job_lock_$$_$RANDOM
q -c "CREATE ROLE $role LOGIN IN ROLE sentencer_job"
rc=0
PGUSER=$role psql -XAtq -v ON_ERROR_STOP=1 -c "BEGIN" \
    -c "LOCK TABLE sentencer.import_lock IN EXCLUSIVE MODE" >"$TMPDIR/lock.log" 2>&1 || rc=$?
q -c "DROP ROLE $role" >/dev/null
[ "$rc" -ne 0 ] && grep -q 'permission denied' "$TMPDIR/lock.log" ||
    { cat "$TMPDIR/lock.log"; fail "the job role could take the import lock"; }
echo "squatted advisory keys do not stop a run; the job role cannot take the import lock"
