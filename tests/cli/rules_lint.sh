#!/usr/bin/env bash
# check-rules refuses rule sets the golden tests alone would pass, each with
# the file and line: a misspelt name in a branch no golden row reaches, a
# malformed citation id, a guideline adjustment outside its band, a fine
# parameter with the wrong sign, a number that cites no provision, a .lua
# file MANIFEST does not list; and a
# suspended sentence citing the accessory article instead of CL:72 (the
# contract's required citations). The shipped rule set has no finding.
set -euo pipefail
S=$SENTENCER
fails=0

$S check-rules --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" >"$TMPDIR/ok.log" 2>&1 ||
    { cat "$TMPDIR/ok.log"; exit 1; }
grep -qx 'static checks: 0 findings' "$TMPDIR/ok.log"

# bad NAME FILE SED-EXPRESSION GREP-PATTERN: a copy of the rules with one
# edit must fail check-rules (exit 3) with a line matching the pattern.
bad() {
    local name=$1 file=$2 expr=$3 want=$4 rules=$TMPDIR/$1 rc=0
    cp -r "$PROJECT/lua-rules" "$rules"
    if [ -n "$file" ]; then
        sed -i "$expr" "$rules/$file"
        cmp -s "$PROJECT/lua-rules/$file" "$rules/$file" && { echo "$name: the edit changed nothing"; exit 1; }
    else
        eval "$expr"
    fi
    $S check-rules --rules "$rules" --tests "$PROJECT/tests/rules" >"$TMPDIR/$name.log" 2>&1 || rc=$?
    if [ "$rc" -ne 3 ] || ! grep -Eq "$want" "$TMPDIR/$name.log"; then
        echo "FAIL: $name: exit $rc, want 3 and a line matching: $want"
        head -20 "$TMPDIR/$name.log"
        fails=$((fails + 1))
    else
        echo "$name: $(grep -Em1 "$want" "$TMPDIR/$name.log")"
    fi
}

bad misspelt sentencing.lua 's/p = p + A.forgiveness_only.pct/p = p + A.forgivness_only.pct/' \
    "/misspelt/sentencing.lua:[0-9]+: 'forgivness_only' is defined nowhere"
bad citation-no-colon params.lua 's/law = "CL:67" },/law = "CL67" },/' \
    '/citation-no-colon/params.lua:[0-9]+: malformed citation id .CL67.'
bad citation-space params.lua 's/cite = "G2021:3.6"/cite = "G2021 3.6"/' \
    '/citation-space/params.lua:[0-9]+: malformed citation id .G2021 3.6.'
bad citation-unknown params.lua 's/cite = "G2021:3.6"/cite = "G2021:3.66"/' \
    "/citation-unknown/params.lua:[0-9]+: citation id 'G2021:3.66' is not in legal-rules.md 8.1"
bad band params.lua 's/surrender = { pct = -20,/surrender = { pct = -70,/' \
    "/band/params.lua:$(grep -n 'surrender = { pct = -20,' "$PROJECT/lua-rules/params.lua" | cut -d: -f1): PARAMS.adjust.surrender.pct = -70 lies outside its guideline band -40..0"
bad sign params.lua 's/person_base = yuan(3000),/person_base = yuan(-3000),/' \
    "/sign/params.lua:$(grep -n 'person_base = ' "$PROJECT/lua-rules/params.lua" | cut -d: -f1): PARAMS.fine.person_base = -300000 is negative"
bad uncited params.lua 's/-- G2021 II(3)(4): the judge/-- The judge/' \
    '/uncited/params.lua:[0-9]+: PARAMS.sentencing.band_pct = 20 cites no provision'
bad unlisted '' 'cp "$rules/art287_2.lua" "$rules/helping_extra.lua"' \
    '/unlisted/helping_extra.lua:1: not listed in MANIFEST'
bad suspension-article sentencing.lua 's/if susp then cite(res, "CL:72") end/if susp then cite(res, "CL:27") end/' \
    'a suspended sentence must cite CL:72'

# luacheck too, where installed (make test installs it), with the folder's
# .luacheckrc: an unused variable.
if command -v luacheck >/dev/null; then
    bad luacheck evaluate.lua 's/^function evaluate(case, explain)$/local unused_thing = 1\nfunction evaluate(case, explain)/' \
        "/luacheck/evaluate.lua:[0-9]+:[0-9]+: \\(W211\\) unused variable 'unused_thing'"
fi

[ "$fails" -eq 0 ] || exit 1
echo "every bad rule set refused"
