#!/usr/bin/env bash
# The man page (man/sentencer.1) says what the program's help says: the
# same commands, and for each its usage line and its options with the same
# words ("sentencer help COMMAND"), and the options of every command and
# --version as "sentencer --help" lists them. groff formats it without a
# warning.
set -euo pipefail
S=$SENTENCER
man=$PROJECT/man/sentencer.1

"$S" --help >"$TMPDIR/help.txt"
mkdir -p "$TMPDIR/cmd"
for c in $(sed -n '/^Commands:/,/^$/p' "$TMPDIR/help.txt" | awk 'NF > 1 && $1 != "help" {print $1}'); do
    "$S" help "$c" >"$TMPDIR/cmd/$c.txt"
    # The same text through COMMAND --help.
    "$S" "$c" --help | cmp -s - "$TMPDIR/cmd/$c.txt" || { echo "FAIL: $c --help differs from help $c"; exit 1; }
done

python3 - "$man" "$TMPDIR/help.txt" "$TMPDIR/cmd" <<'PY'
import os, re, sys

man_path, help_path, cmd_dir = sys.argv[1:]

def norm(s):
    s = re.sub(r'\\f[BIRP]', '', s).replace('\\-', '-').replace('\\(em', '-')
    return ' '.join(s.split())

# The man page: per .SS "sentencer X" (and the OPTIONS OF EVERY COMMAND
# section), its usage line and its .TP options.
sections, cur = {}, None
lines = open(man_path, encoding='utf-8').read().splitlines()
i = 0
while i < len(lines):
    ln = lines[i]
    m = re.match(r'\.SS "sentencer (.+)"', ln)
    if m:
        cur = sections.setdefault(m.group(1), {'usage': None, 'opts': []})
    elif ln.startswith('.SH'):
        cur = sections.setdefault('*', {'usage': None, 'opts': []}) if 'EVERY COMMAND' in ln else None
    elif cur is not None and ln == '.B sentencer' and cur['usage'] is None:
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith('.'):
            body.append(lines[i])
            i += 1
        cur['usage'] = norm('sentencer ' + ' '.join(body))
        continue
    elif cur is not None and ln == '.TP' and i + 1 < len(lines) and lines[i + 1].startswith('.B '):
        form = norm(lines[i + 1][3:])
        body = []
        i += 2
        while i < len(lines) and not lines[i].startswith('.'):
            body.append(lines[i])
            i += 1
        cur['opts'].append((form, norm(' '.join(body))))
        continue
    i += 1

def help_opts(text, header):
    """The options listed under header in a help text: (form, words)."""
    out, on, form, body = [], False, None, []
    for ln in text.splitlines():
        if ln == header:
            on = True
            continue
        if on and (ln == '' or not ln.startswith('  ')):
            break
        if on:
            m = re.match(r'  (--\S+(?: \S+)?)(?:\s{2,}(.*))?$', ln)
            if m and not ln.startswith('   '):
                if form:
                    out.append((form, norm(' '.join(body))))
                form, body = m.group(1), [m.group(2) or '']
            else:
                body.append(ln)
    if form:
        out.append((form, norm(' '.join(body))))
    return out

problems = []
global_help = open(help_path, encoding='utf-8').read()
commands = sorted(f[:-4] for f in os.listdir(cmd_dir))
for c in commands:
    text = open(os.path.join(cmd_dir, c + '.txt'), encoding='utf-8').read()
    sec = sections.get(c)
    if sec is None:
        problems.append(f'{c}: no section .SS "sentencer {c}" in the man page')
        continue
    usage = norm(' '.join(ln for ln in text.split('\n\n')[1].splitlines()))
    usage = usage.removeprefix('Usage: ')
    if sec['usage'] != usage:
        problems.append(f'{c}: usage differs\n  help: {usage}\n  man:  {sec["usage"]}')
    want = help_opts(text, 'Options:')
    if want != sec['opts']:
        problems.append(f'{c}: options differ\n  help: {want}\n  man:  {sec["opts"]}')
    if help_opts(text, 'Options of every command:') != [o for o in sections.get('*', {'opts': []})['opts'] if o[0] != '--version']:
        problems.append(f'{c}: the options of every command differ from the man page')
extra = set(sections) - set(commands) - {'*'}
if extra:
    problems.append(f'the man page documents commands the program does not have: {sorted(extra)}')
if help_opts(global_help, 'Options of every command:') != sections.get('*', {'opts': []})['opts']:
    problems.append('sentencer --help: the options of every command differ from the man page')
if problems:
    print('FAIL: the man page and the help disagree:')
    print('\n'.join(problems))
    sys.exit(1)
print(f'man page in step with the help of {len(commands)} commands')
PY

# groff formats it without warnings.
groff -man -Tutf8 -ww -z "$man" 2>"$TMPDIR/groff.log"
[ ! -s "$TMPDIR/groff.log" ] || { cat "$TMPDIR/groff.log"; echo "FAIL: groff warns"; exit 1; }
