#!/usr/bin/env bash
# One hostile case cannot stall the run, change another case's result or
# fail the run. A copy of lua-rules gets a last file whose evaluate(), for
# case numbers ending in 61..68 (号), first does something hostile and
# otherwise calls the real evaluate():
#   61 string.rep('', math.maxinteger)         returns '' at once: a normal result
#   62 table.concat through a C metamethod     error: time budget
#   60 table.sort of 100,000 long equal strings error: time budget
#   69 table.move over math.maxinteger slots   error: at most 1,000,000 elements
#   63 s = s .. 'xx' 300,000 times             error: time budget
#   64 scales every number in PARAMS           error: may not change PARAMS
#   65 replaces OFFENSES[*].run                error: may not change OFFENSES
#   66 changes the string metatable            error: it cannot be reached
#   67 rawset(_ENV, 'newglobal', 1)            error: may not change _ENV
#   68 64 references to a 1 MB string in trace the run asks for no trace: a normal
#                                              result; explain, which does, fails
#                                              naming the 64 KiB cap
#   59 a weak-keyed table (__mode)             error: weak tables are not allowed
# The run ends in bounded time with exit 1; every other charge gets exactly
# what the real rules give it; and the same hostile rules under another id,
# run with another chunk size and two workers, give every charge exactly the
# same result: no result depends on the order of evaluation. Finally a rule
# set whose every case runs until its time budget is stopped by SIGTERM
# within seconds, exit 143, with nothing half-written; and so is one whose
# every case spends seconds in a single step of the Lua runtime that no hook
# interrupts (a table rehash of colliding integer keys).
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
bad=$TMPDIR/hostile

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 1500 15 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
total=$(q -c "SELECT count(*) FROM sentencer.charge")

# One golden test whose case number triggers nothing (the golden tests use
# case numbers that end in 61..68 too).
mkdir -p "$TMPDIR/tests/one"
cat >"$TMPDIR/tests/one/cases.csv" <<'EOF'
case_no,defendant_no,act_no,court_code,offense,offense_date,conviction_date,defendant_kind,ordered_to_correct,refused_to_correct,illegal_videos_spread
(2022)浙0106刑初900号,1,1,330106,refuse_netsec_duty,2022-03-20,2022-11-30,unit,true,true,300
EOF
cat >"$TMPDIR/tests/one/expected.csv" <<'EOF'
case_no,defendant_no,offense,status,error,threshold_met,threshold_basis,recommended_kind,citations_include,note
(2022)浙0106刑初900号,1,refuse_netsec_duty,ok,,true,I2019:3.1,fine_only,CL:286-1,a unit over the I2019:3.1 threshold (fixture of fault_hostile_rules.sh)
EOF

run() { # run LOG ARGS...: must end within 120 s with exit 0 or 1
    local log=$1 rc=0
    shift
    timeout 120 "$S" run --tests "$TMPDIR/tests" --out "$TMPDIR/out" "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" -ne 124 ] || fail "$log: the run did not end within 120 s"
    [ "$rc" -le 1 ] || { cat "$log"; fail "$log: exit $rc"; }
}

run "$TMPDIR/good.log" --rules "$RULES"
good_rs=$(last_rule_set)

cp -r "$RULES" "$bad"
echo zz_hostile.lua >>"$bad/MANIFEST"
cat >"$bad/zz_hostile.lua" <<'EOF'
-- zz_hostile.lua: evaluate() misbehaving on purpose, for fault_hostile_rules.sh.
local real_evaluate = evaluate
-- in key order: the order of pairs() differs from one Lua state to the next
local function scale(t)
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do
        local v = t[k]
        if type(v) == "number" then t[k] = v * 2 elseif type(v) == "table" then scale(v) end
    end
end
function evaluate(case)
    -- the two digits before the closing 号 (3 bytes)
    local tag = string.sub(case.case_no, -3) == "号" and string.sub(case.case_no, -5, -4)
    if tag == "61" then string.rep("", math.maxinteger) end
    if tag == "62" then for i = 1, 1000 do table.concat(setmetatable({}, {__index = type}), "", 1, 999999) end end -- bad:62
    if tag == "60" then local s, t = string.rep("a", 1000000), {} for i = 1, 100000 do t[i] = s end table.sort(t) end -- bad:60
    if tag == "69" then table.move({}, 1, math.maxinteger, 1, {}) end -- bad:69
    if tag == "63" then local s = "" for i = 1, 300000 do s = s .. "xx" end end -- bad:63
    if tag == "64" then scale(PARAMS) end
    if tag == "65" then OFFENSES[case.offense].run = function() return true end end -- bad:65
    if tag == "66" then getmetatable("").__index = {} end -- bad:66
    if tag == "67" then rawset(_ENV, "newglobal", 1) end -- bad:67
    if tag == "59" then local w = setmetatable({}, {__mode = "k"}) end -- bad:59
    local r = real_evaluate(case)
    if tag == "68" then
        local s = string.rep("x", 1024 * 1024)
        r.trace = {}
        for i = 1, 64 do r.trace[i] = { note = s } end
    end
    return r
end
EOF

start=$SECONDS
run "$TMPDIR/bad.log" --rules "$bad" --chunk 50
took=$((SECONDS - start))
bad_rs=$(last_rule_set)
check_complete "hostile rules" "$bad_rs"

problems=
for tag in 59 60 62 63 64 65 66 67 69; do
    line=$(grep -n -- "-- bad:$tag\$" "$bad/zz_hostile.lua" | cut -d: -f1 || true)
    case $tag in
    60 | 62 | 63) why='time budget of 250 ms \(processor time\) exceeded' ;;
    69) why='rules may walk at most 1000000 elements' ;;
    64) why='may not change PARAMS\.' ;;
    65) why='may not change OFFENSES\.[a-z_]+\.run' ;;
    66) why='attempt to index a boolean value' ;;
    67) why='may not change _ENV' ;;
    59) why='weak tables \(__mode\) are not allowed' ;;
    esac
    n=$(q -c "SELECT count(*) FROM sentencer.charge WHERE case_no ~ '${tag}号\$'")
    [ "$n" -gt 0 ] || fail "no generated case number ends in ${tag}号"
    wrong=$(q -v tag="$tag" -v good="$good_rs" -v where="${line:+zz_hostile.lua:$line:}" -v why="$why" <<'SQL'
SELECT format('%s/%s/%s: %s %s', c.case_no, c.defendant_no, c.offense, r.status, r.error)
FROM sentencer.charge c JOIN sentencer.recommendation r ON r.charge_id = c.id AND r.is_current
JOIN sentencer.recommendation g ON g.charge_id = c.id AND g.rule_set = :'good' AND g.status = 'ok'
WHERE c.case_no ~ (:'tag' || '号$')
  AND (r.status <> 'error' OR strpos(r.error, :'where') = 0 OR r.error !~ :'why')
LIMIT 3;
SQL
)
    if [ -n "$wrong" ]; then
        problems+=$'\n'"case numbers ending in $tag: want an error ${line:+at zz_hostile.lua:$line }"
        problems+="matching '$why'; got:"$'\n'"$wrong"
    else
        echo "$n charges ending in ${tag}号: error ($why)"
    fi
done

# Every other charge (61 included): exactly what the real rules gave it.
same() { # same RULE_SET_A RULE_SET_B WHERE: charges whose results differ (in
    # error messages, the rule folder's path does not count)
    q -v a="$1" -v b="$2" <<SQL
SELECT format('%s/%s/%s differs: %s | %s', c.case_no, c.defendant_no, c.offense,
              x.status || ' ' || coalesce(x.error, x.recommended_kind),
              y.status || ' ' || coalesce(y.error, y.recommended_kind))
FROM sentencer.charge c
JOIN sentencer.recommendation x ON x.charge_id = c.id AND x.rule_set = :'a'
JOIN sentencer.recommendation y ON y.charge_id = c.id AND y.rule_set = :'b'
WHERE $3
  AND to_jsonb(x) - '{id,run_id,is_current,created_at,superseded_at,rule_set,error}'::text[]
      || jsonb_build_object('error', regexp_replace(x.error, '\S*/([a-z_0-9]+\.lua:)', '\1', 'g'))
   <> to_jsonb(y) - '{id,run_id,is_current,created_at,superseded_at,rule_set,error}'::text[]
      || jsonb_build_object('error', regexp_replace(y.error, '\S*/([a-z_0-9]+\.lua:)', '\1', 'g'))
LIMIT 5;
SQL
}
diff=$(same "$good_rs" "$bad_rs" "c.case_no !~ '(59|6[02-79])号\$'")
[ -z "$diff" ] || problems+=$'\n'"charges the hostile code does not touch were stored differently:"$'\n'"$diff"
[ -z "$problems" ] || fail "hostile rules not handled as wanted:$problems"
echo "$total charges with hostile rules in ${took} s: every other charge as the real rules give it"

# 68: stored as the real rules give it (no trace asked for); explain asks
# for one and fails, naming the cap.
c68=$(q -c "SELECT case_no FROM sentencer.charge WHERE case_no ~ '68号\$' ORDER BY id LIMIT 1")
rc=0
"$S" explain "$c68" >"$TMPDIR/explain68.log" 2>&1 || rc=$?
[ "$rc" -eq 3 ] && grep -q 'trace: longer than 64 KiB' "$TMPDIR/explain68.log" ||
    { cat "$TMPDIR/explain68.log"; fail "explain of $c68: exit $rc, want 3 naming the trace cap"; }
echo "explain of a case whose trace is oversized fails naming the cap"
# 65: a rule error naming its file and line replays to the same message
# (chunks are named by file name, wherever the rule set was loaded from).
c65=$(q -c "SELECT case_no FROM sentencer.charge WHERE case_no ~ '65号\$' ORDER BY id LIMIT 1")
"$S" explain "$c65" >"$TMPDIR/explain65.log" 2>&1 ||
    { cat "$TMPDIR/explain65.log"; fail "explain of $c65 (a rule error) did not replay"; }
grep -q 'zz_hostile.lua:[0-9]*: rules may not change OFFENSES' "$TMPDIR/explain65.log" &&
    grep -q 'replayed: the same result as stored' "$TMPDIR/explain65.log" ||
    { cat "$TMPDIR/explain65.log"; fail "explain of $c65"; }
echo "a rule error naming its file and line replays to the stored message"

# The same rules under another id, another chunk size and two workers.
cp -r "$bad" "$bad-2"
echo "# the same hostile rules, another rule set id" >>"$bad-2/MANIFEST"
run "$TMPDIR/bad-2.log" --rules "$bad-2" --chunk 7 --workers 2
bad2_rs=$(last_rule_set)
check_complete "hostile rules, chunks of 7, two workers" "$bad2_rs"
diff=$(same "$bad_rs" "$bad2_rs" "true")
[ -z "$diff" ] || fail "results depend on chunk size and worker count:"$'\n'"$diff"
echo "chunks of 50 with one worker and of 7 with two give every charge the same result"

# stop_by_sigterm NAME LIMIT WHAT RUN_OPTION...: start a run of the rule set
# in $TMPDIR/NAME, SIGTERM it 2 s into its work; it must exit 143 within
# LIMIT seconds, recorded interrupted, having stored nothing of its chunk.
stop_by_sigterm() {
    local name=$1 limit=$2 what=$3 pid t0 took
    shift 3
    before=$(stored)
    "$S" run --rules "$TMPDIR/$name" --tests "$TMPDIR/tests" --out "$TMPDIR/out" "$@" \
        >"$TMPDIR/$name.log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + 30))
    until [ "$(q -c "SELECT count(*) FROM sentencer.run WHERE pid = $pid AND state = 'running'")" = 1 ]; do
        kill -0 "$pid" 2>/dev/null || { cat "$TMPDIR/$name.log"; fail "the $name run ended early"; }
        [ $SECONDS -lt $deadline ] || fail "the $name run did not start within 30 s"
        sleep 0.1
    done
    sleep 2 # well into its first chunk
    kill -TERM "$pid"
    t0=$(date +%s.%N)
    wait_rc "$pid"
    took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    [ "$rc" -eq 143 ] || { cat "$TMPDIR/$name.log"; fail "$name run after SIGTERM: exit $rc, want 143"; }
    awk -v t="$took" -v l="$limit" 'BEGIN { exit !(t < l) }' ||
        fail "the $name run took ${took} s to stop after SIGTERM"
    [ "$(q -c "SELECT state FROM sentencer.run WHERE pid = $pid")" = interrupted ] ||
        fail "the $name run is not recorded as interrupted"
    [ "$(stored)" -eq "$before" ] || fail "the $name run stored $(($(stored) - before)) of a half chunk"
    check_whole "after SIGTERM to the $name run"
    echo "a run whose every case $what stopped ${took} s after SIGTERM"
}

# A rule set where every case runs until its time budget: a chunk of 500
# would take more than a minute. SIGTERM must end the run within seconds,
# giving up the chunk in hand.
cp -r "$RULES" "$TMPDIR/slow"
echo zz_slow.lua >>"$TMPDIR/slow/MANIFEST"
cat >"$TMPDIR/slow/zz_slow.lua" <<'EOF'
local real_evaluate = evaluate
function evaluate(case)
    if string.sub(case.case_no, -6) ~= "900号" then
        for i = 1, 1e9 do table.concat(setmetatable({}, {__index = type}), "", 1, 999999) end
    end
    return real_evaluate(case)
end
EOF
stop_by_sigterm slow 5 "takes its whole time budget" --case-time 150

# Every case spends seconds in one rehash of colliding integer keys, where
# the clock of the rules cannot stop it: the watchdog ends each worker 4 s
# after SIGTERM, giving up the chunk in hand.
cp -r "$RULES" "$TMPDIR/rehash"
echo zz_rehash.lua >>"$TMPDIR/rehash/MANIFEST"
cat >"$TMPDIR/rehash/zz_rehash.lua" <<'EOF'
local real_evaluate = evaluate
function evaluate(case)
    if string.sub(case.case_no, -6) ~= "900号" then
        local m, t = (1 << 18) - 1, {}
        for i = 1, (1 << 17) + 1 do t[i * m] = true end
    end
    return real_evaluate(case)
end
EOF
stop_by_sigterm rehash 8 "spends seconds in one rehash" --workers 2
