#!/usr/bin/env bash
# make install, as an operator uses it:
#  - PREFIX=$TMPDIR/prefix installs the program, the rule set and its golden
#    tests (PREFIX/share/sentencer), the man page and the systemd units; the
#    installed program, started from /, finds its rule set and tests without
#    --rules or --tests: check-rules passes and a run against the test
#    database completes with the installed rule set;
#  - the installed program does not depend on the source tree;
#  - DESTDIR=$TMPDIR/stage PREFIX=/usr stages the same tree under the stage,
#    pointing at /usr;
#  - make uninstall removes what was installed.
set -euo pipefail
prefix=$TMPDIR/prefix
stage=$TMPDIR/stage

make -s -C "$PROJECT" install PREFIX="$prefix" >"$TMPDIR/install.log" 2>&1 ||
    { cat "$TMPDIR/install.log"; echo "FAIL: make install"; exit 1; }
for f in bin/sentencer share/sentencer/lua-rules/MANIFEST share/sentencer/tests/rules/persons/cases.csv \
    share/man/man1/sentencer.1 lib/systemd/system/sentencer-nightly.service \
    lib/systemd/system/sentencer-nightly.timer share/sentencer/crontab.example; do
    [ -f "$prefix/$f" ] || { echo "FAIL: $prefix/$f not installed"; exit 1; }
done
[ -x "$prefix/bin/sentencer" ] || { echo "FAIL: the program is not executable"; exit 1; }
# Every rule file and every golden test, as in the source tree.
(cd "$PROJECT" && find lua-rules tests/rules -type f ! -name '.*' | LC_ALL=C sort) >"$TMPDIR/want"
(cd "$prefix/share/sentencer" && find lua-rules tests/rules -type f | LC_ALL=C sort) >"$TMPDIR/got"
diff "$TMPDIR/want" "$TMPDIR/got" || { echo "FAIL: installed rule files differ"; exit 1; }
if grep -rl "/usr/local" "$prefix/lib/systemd/system" "$prefix/share/man" "$prefix/share/sentencer/crontab.example"; then
    echo "FAIL: /usr/local left in an installed file"; exit 1
fi
grep -q "^ExecStart=$prefix/bin/sentencer run" "$prefix/lib/systemd/system/sentencer-nightly.service" ||
    { echo "FAIL: the unit does not run the installed program"; exit 1; }

# From /, with nothing of the source tree on the way.
cd /
"$prefix/bin/sentencer" --version >"$TMPDIR/version.txt"
cat "$TMPDIR/version.txt"
grep -q "^default rule set [0-9a-f]\{16\} ($prefix/share/sentencer/lua-rules)$" "$TMPDIR/version.txt" ||
    { echo "FAIL: --version does not show the installed rule set"; exit 1; }
# (Its debugging sections name the build folder, which is no dependency.)
strip -o "$TMPDIR/stripped" "$prefix/bin/sentencer"
if strings "$TMPDIR/stripped" | grep -qF "$PROJECT"; then
    echo "FAIL: the installed program names the source tree"; exit 1
fi
"$prefix/bin/sentencer" check-rules >"$TMPDIR/check.log" 2>&1 || { cat "$TMPDIR/check.log"; echo "FAIL: check-rules from /"; exit 1; }
tail -n 1 "$TMPDIR/check.log" | grep -Eq '^[1-9][0-9]* passed, 0 failed$' ||
    { cat "$TMPDIR/check.log"; echo "FAIL: check-rules from / ran no tests"; exit 1; }
"$prefix/bin/sentencer" migrate 2>/dev/null
"$prefix/bin/sentencer" import "$PROJECT/tests/data/sample-cases.csv" 2>/dev/null
rc=0
"$prefix/bin/sentencer" run --out "$TMPDIR/out" >"$TMPDIR/run.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$TMPDIR/run.log"; echo "FAIL: run from /: exit $rc"; exit 1; }
rs=$(sed -n 's/^default rule set \([0-9a-f]*\) .*/\1/p' "$TMPDIR/version.txt")
[ "$(psql -XAtqc "SELECT state || ' ' || rule_set FROM sentencer.run")" = "done $rs" ] ||
    { cat "$TMPDIR/run.log"; echo "FAIL: the run did not use the installed rule set $rs"; exit 1; }
# --rules and --tests still override.
rc=0
"$prefix/bin/sentencer" check-rules --rules "$TMPDIR/none" >"$TMPDIR/none.log" 2>&1 || rc=$?
[ "$rc" -eq 3 ] && grep -q "$TMPDIR/none" "$TMPDIR/none.log" ||
    { cat "$TMPDIR/none.log"; echo "FAIL: --rules does not override the installed rule set"; exit 1; }
MANWIDTH=80 man -l "$prefix/share/man/man1/sentencer.1" 2>&1 | grep -q "status --check" ||
    { echo "FAIL: the installed man page"; exit 1; }

# Staged for a package: the same tree under DESTDIR, for PREFIX=/usr.
make -s -C "$PROJECT" install DESTDIR="$stage" PREFIX=/usr >"$TMPDIR/stage.log" 2>&1 ||
    { cat "$TMPDIR/stage.log"; echo "FAIL: make install DESTDIR"; exit 1; }
(cd "$prefix" && find . | LC_ALL=C sort) >"$TMPDIR/tree.prefix"
(cd "$stage/usr" && find . | LC_ALL=C sort) >"$TMPDIR/tree.stage"
diff "$TMPDIR/tree.prefix" "$TMPDIR/tree.stage" || { echo "FAIL: the staged tree differs"; exit 1; }
[ "$(find "$stage" -mindepth 1 -maxdepth 1)" = "$stage/usr" ] || { echo "FAIL: files staged outside usr/"; exit 1; }
"$stage/usr/bin/sentencer" --version | grep -q "(/usr/share/sentencer/lua-rules)" ||
    { echo "FAIL: the staged program does not point at /usr/share/sentencer"; exit 1; }
grep -q "^ExecStart=/usr/bin/sentencer run" "$stage/usr/lib/systemd/system/sentencer-nightly.service" ||
    { echo "FAIL: the staged unit"; exit 1; }

make -s -C "$PROJECT" uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f)
[ -z "$left" ] || { echo "FAIL: make uninstall left: $left"; exit 1; }
echo "installed under a PREFIX and staged under a DESTDIR; runs from / with the installed rules"
