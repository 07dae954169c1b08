#!/usr/bin/env bash
# check-rules helps the maintainer who reads it: one topic at a time
# (--tests DIR/TOPIC) or by regular expression (--run); with --explain
# the trace of each failing case; a list column names only the items missing or extra;
# each failure names the cases.csv line of its input and the test's note;
# a runtime error in a helper names the rule lines that called it; findings
# and errors piped together come out as whole lines.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"

# One topic.
$S check-rules --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules/thresholds-287-2" >one.log 2>&1 ||
    { cat one.log; exit 1; }
n=$(grep -c . "$PROJECT/tests/rules/thresholds-287-2/expected.csv")
grep -qx "$((n - 1)) passed, 0 failed" one.log || { cat one.log; exit 1; }

# A selection by regular expression over topic, key and note.
$S check-rules --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --run 'thresholds-287-2/.*TF2021' \
    >sel.log 2>&1 ||
    { cat sel.log; exit 1; }
sel=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' sel.log)
[ -n "$sel" ] && [ "$sel" -gt 0 ] && [ "$sel" -lt $((n - 1)) ] || { cat sel.log; exit 1; }
rc=0
$S check-rules --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --run '(' >re.log 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q 'is not a regular expression' re.log || { cat re.log; exit 1; }

# A list column: only what is missing; the input line and the note.
mkdir -p t/acc
printf '%s\n' 'case_no,defendant_no,act_no,court_code,offense,offense_date,conviction_date,defendant_kind,age_at_offense,helped_parties' \
    '(2023)沪0115刑初7号,1,1,310115,help_network_crime,2022-06-01,2023-03-01,person,30,3' >t/acc/cases.csv
printf '%s\n' 'case_no,defendant_no,offense,citations_include,citations_exclude,threshold_basis,note' \
    '(2023)沪0115刑初7号,1,help_network_crime,CL:287-2;I2019:16,I2019:12.1,I2019:12.1;I2019:12.2,"three parties helped, one act"' >t/acc/expected.csv
rc=0
$S check-rules --rules "$PROJECT/lua-rules" --tests t/acc --explain >acc.log 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat acc.log; exit 1; }
grep -q "citations: missing 'I2019:16' (got '" acc.log || { cat acc.log; exit 1; }
grep -q "citations: present but excluded: 'I2019:12.1' (got '" acc.log || { cat acc.log; exit 1; }
grep -q "threshold_basis: expected 'I2019:12.1;I2019:12.2', got 'I2019:12.1' (missing 'I2019:12.2')" acc.log ||
    { cat acc.log; exit 1; }
grep -q "\[cases.csv:2; three parties helped, one act\]" acc.log || { cat acc.log; exit 1; }
grep -q '^t/acc/expected.csv:2: trace: \[{' acc.log || { cat acc.log; exit 1; }
if grep "citations: missing" acc.log | grep -q "'CL:287-2'"; then
    echo "an item that is there is reported missing"; cat acc.log; exit 1
fi

# A runtime error in a helper (common.round) names the rule lines that
# called it.
cp -r "$PROJECT/lua-rules" broken
sed -i 's/^    return floor(x + 0.5 + 1e-9)$/    return floor(x + 0.5 + nil)/' broken/common.lua
! cmp -s "$PROJECT/lua-rules/common.lua" broken/common.lua
rc=0
$S check-rules --rules broken --tests "$PROJECT/tests/rules/persons" >tb.log 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat tb.log; exit 1; }
grep -Eq "common\.lua:[0-9]+: attempt to perform arithmetic on a nil value; called from sentencing\.lua:[0-9]+" tb.log ||
    { head -5 tb.log; exit 1; }

# Piped together, every line is whole: each starts as a finding, a failure,
# a count or a message of the program.
bad=$(grep -Ev '^(/|[0-9]+ passed|static checks|rule set |sentencer: |HINT: |t/acc)' acc.log tb.log || true)
[ -z "$bad" ] || { echo "lines interleaved:"; echo "$bad"; exit 1; }
echo "check-rules output: one topic, list items, input line and note, traceback"
