#!/usr/bin/env bash
# A rule set that misbehaves on some cases cannot hang the nightly run, exhaust
# its memory or reach outside its sandbox. A copy of lua-rules gets a last file
# whose evaluate(), for case numbers ending in 71..77 (号), runs an endless
# loop, a memory bomb, os.execute('touch FILE'), io.open(FILE, 'w'),
# dofile('/etc/passwd'), load() of string.dump() bytecode, or require('os'),
# and otherwise calls the real evaluate(). The run must end within its time
# bound, exit 1, store exactly those charges as status error with a message
# naming the rule file and the line, store every other charge exactly as the
# real rules do, and FILE must not exist. The golden tests use case numbers
# ending in 77, so the run gets a test folder of its own with one case.
set -euo pipefail
. "$PROJECT/tests/cli/_faults.sh"
S=$SENTENCER
FILE=$TMPDIR/sandbox-escaped
bad=$TMPDIR/bad-rules

"$S" migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 1500 15 >"$TMPDIR/cases.csv"
"$S" import "$TMPDIR/cases.csv" 2>"$TMPDIR/import.log"
total=$(q -c "SELECT count(*) FROM sentencer.charge")

# The real rules first: what every charge should get.
rc=0
"$S" run --rules "$RULES" --tests "$GOLDEN" --out "$TMPDIR/out" \
    >"$TMPDIR/good.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/good.log"; fail "run with the real rules: exit $rc"; }
good_rs=$(last_rule_set)

cp -r "$RULES" "$bad"
echo zz_bad.lua >>"$bad/MANIFEST"
cat >"$bad/zz_bad.lua" <<EOF
-- zz_bad.lua: evaluate() misbehaving on purpose, for the fault test.
local real_evaluate = evaluate
function evaluate(case)
    -- the two digits before the closing 号 (3 bytes); no patterns in the sandbox
    local tag = string.sub(case.case_no, -3) == "号" and string.sub(case.case_no, -5, -4)
    if tag == "71" then while true do end end -- bad:71
    if tag == "72" then local t = {}; while true do t[#t + 1] = string.rep("x", 65536) .. #t end end -- bad:72
    -- fields by string: check-rules refuses os.execute written plainly
    -- before a run; the sandbox must hold against an author who writes
    -- around a static check
    if tag == "73" then os["execute"]("touch $FILE") end -- bad:73
    if tag == "74" then io["open"]("$FILE", "w") end -- bad:74
    if tag == "75" then dofile("/etc/passwd") end -- bad:75
    if tag == "76" then load(string["dump"](function() return 1 end))() end -- bad:76
    if tag == "77" then require("os") end -- bad:77
    return real_evaluate(case)
end
EOF

# One golden test whose case number triggers nothing.
mkdir -p "$TMPDIR/tests/one"
cat >"$TMPDIR/tests/one/cases.csv" <<'EOF'
case_no,defendant_no,act_no,court_code,offense,offense_date,conviction_date,defendant_kind,ordered_to_correct,refused_to_correct,illegal_videos_spread
(2022)浙0106刑初900号,1,1,330106,refuse_netsec_duty,2022-03-20,2022-11-30,unit,true,true,300
EOF
cat >"$TMPDIR/tests/one/expected.csv" <<'EOF'
case_no,defendant_no,offense,status,error,threshold_met,threshold_basis,recommended_kind,citations_include,note
(2022)浙0106刑初900号,1,refuse_netsec_duty,ok,,true,I2019:3.1,fine_only,CL:286-1,a unit over the I2019:3.1 threshold (fixture of fault_sandbox.sh)
EOF

rc=0
start=$SECONDS
timeout 60 "$S" run --rules "$bad" --tests "$TMPDIR/tests" --out "$TMPDIR/out" --chunk 50 \
    >"$TMPDIR/bad.log" 2>&1 || rc=$?
took=$((SECONDS - start))
[ "$rc" -ne 124 ] || fail "the run with misbehaving rules did not end within 60 s"
[ "$rc" -eq 1 ] || { cat "$TMPDIR/bad.log"; fail "run with misbehaving rules: exit $rc, want 1"; }
[ ! -e "$FILE" ] || fail "a rule created $FILE"
bad_rs=$(last_rule_set)
[ "$bad_rs" != "$good_rs" ] || fail "the changed rule set has the same id"
check_complete "misbehaving rules" "$bad_rs"

# Each misbehaving charge: status error, the message names zz_bad.lua, the
# line of its misbehaviour, and why. All kinds are checked before failing.
problems=
for tag in 71 72 73 74 75 76 77; do
    line=$(grep -n -- "-- bad:$tag\$" "$bad/zz_bad.lua" | cut -d: -f1)
    case $tag in
    71) why='instruction budget' ;;
    72) why='memory cap|time budget' ;; # whichever the bomb reaches first
    73) why="unknown global 'os'" ;;
    74) why="unknown global 'io'" ;;
    75) why="unknown global 'dofile'" ;;
    76) why="unknown global 'load'" ;;
    77) why="unknown global 'require'" ;;
    esac
    n=$(q -c "SELECT count(*) FROM sentencer.charge WHERE case_no ~ '${tag}号\$'")
    [ "$n" -gt 0 ] || fail "no generated case number ends in ${tag}号"
    wrong=$(q -v tag="$tag" -v where="zz_bad.lua:$line:" -v why="$why" <<'SQL'
SELECT format('%s/%s/%s: %s %s', c.case_no, c.defendant_no, c.offense, r.status, r.error)
FROM sentencer.charge c JOIN sentencer.recommendation r ON r.charge_id = c.id AND r.is_current
WHERE c.case_no ~ (:'tag' || '号$')
  AND (r.status <> 'error' OR strpos(r.error, :'where') = 0 OR r.error !~ :'why')
LIMIT 3;
SQL
)
    if [ -n "$wrong" ]; then
        problems+=$'\n'"case numbers ending in $tag: want an error naming zz_bad.lua:$line: and"
        problems+=" '$why'; got:"$'\n'"$wrong"
    else
        echo "$n charges ending in ${tag}号: error at zz_bad.lua:$line ($why)"
    fi
done

# Every other charge: exactly what the real rules gave it (errors included).
diff=$(q -v good="$good_rs" <<'SQL'
SELECT format('%s/%s/%s differs', c.case_no, c.defendant_no, c.offense)
FROM sentencer.charge c
JOIN sentencer.recommendation g ON g.charge_id = c.id AND g.rule_set = :'good'
JOIN sentencer.recommendation b ON b.charge_id = c.id AND b.is_current
WHERE c.case_no !~ '7[1-7]号$'
  AND to_jsonb(g) - '{id,run_id,is_current,created_at,superseded_at,rule_set}'::text[]
   <> to_jsonb(b) - '{id,run_id,is_current,created_at,superseded_at,rule_set}'::text[]
LIMIT 5;
SQL
)
[ -z "$diff" ] || problems+=$'\n'"charges the bad code does not touch were stored differently:"$'\n'"$diff"
errors=$(q -c "SELECT errors FROM sentencer.run WHERE rule_set = '$bad_rs'")
want=$(q -v good="$good_rs" <<'SQL'
SELECT count(*) FROM sentencer.charge c
JOIN sentencer.recommendation g ON g.charge_id = c.id AND g.rule_set = :'good'
WHERE c.case_no ~ '7[1-7]号$' OR g.status = 'error';
SQL
)
[ "$errors" -eq "$want" ] || problems+=$'\n'"the run counted $errors errors, want $want"
[ -z "$problems" ] || fail "misbehaving rules not handled as wanted:$problems"
echo "$total charges in ${took} s: $errors errors, exactly the misbehaving and the invalid cases"
