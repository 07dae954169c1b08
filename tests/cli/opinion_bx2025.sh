#!/usr/bin/env bash
# The 2025 opinion (BX2025, UNVERIFIED) ships switched off: the shipped
# rule set names lua-rules/bx2025.lua only in a MANIFEST comment, and its
# golden tests (tests/rules-bx2025) fail there. One line switches it on:
# then all of its tests pass, the shipped golden tests still pass, and the
# properties hold.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"
grep -qx '# bx2025.lua' "$PROJECT/lua-rules/MANIFEST"
! grep -qx 'bx2025.lua' "$PROJECT/lua-rules/MANIFEST"
rc=0
$S check-rules --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules-bx2025/golden" \
    >off.log 2>&1 || rc=$?
[ "$rc" -eq 3 ] && grep -qx '10 passed, 32 failed' off.log || { cat off.log; exit 1; }

cp -r "$PROJECT/lua-rules" rules
sed -i 's/^# bx2025\.lua$/bx2025.lua/' rules/MANIFEST
[ "$(diff "$PROJECT/lua-rules/MANIFEST" rules/MANIFEST | grep -c '^[<>]')" -eq 2 ] # one line
$S check-rules --rules rules --tests "$PROJECT/tests/rules-bx2025/golden" >on.log 2>&1 ||
    { cat on.log; exit 1; }
grep -qx '42 passed, 0 failed' on.log || { cat on.log; exit 1; }
$S check-rules --rules rules --tests "$PROJECT/tests/rules" --properties 60 >all.log 2>&1 ||
    { cat all.log; exit 1; }
grep -q '^static checks: 0 findings$' all.log || { cat all.log; exit 1; }
echo "bx2025: off by default; on with one line, its 42 tests and the shipped ones pass"
