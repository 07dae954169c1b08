#!/usr/bin/env bash
# report.html and deviation.html in a real browser: headless Chromium
# loads each page without a failed load or a console message, prints it
# to PDF (A4) and takes a screenshot; the PDF (read back with poppler's
# pdftotext) shows the run and "page K of M" on every page, every figure
# of the HTML, and each figure whole on one page (its title and its
# source line, the figure's last line, on the same page).
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"
browser() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$TMPDIR/chromium" --enable-logging=stderr --v=0 "$@"
}

$S migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 3000 11 --out cases.csv
$S import cases.csv 2>/dev/null
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out \
    2>run.log || [ $? -eq 1 ] || { cat run.log; exit 1; }
run=$(ls out | sort -n | tail -1)
$S report deviation --out dev >dev.log 2>&1 || { cat dev.log; exit 1; }

check() { # page.html name running-head
    local page=$1 name=$2 head=$3
    browser --no-pdf-header-footer --print-to-pdf="$name.pdf" "file://$PWD/$page" \
        2>"$name.pdf.log" || { cat "$name.pdf.log"; exit 1; }
    browser --window-size=900,1400 --screenshot="$name.png" "file://$PWD/$page" \
        2>"$name.png.log" || { cat "$name.png.log"; exit 1; }
    if grep -E "Page load failed|CONSOLE|Failed to load|Uncaught" "$name.pdf.log" "$name.png.log"; then
        echo "$page: the browser reported the above"
        exit 1
    fi
    [ -s "$name.png" ] && [ "$(head -c 8 "$name.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
    python3 - "$page" "$name.pdf" "$head" <<'PY'
import re, subprocess, sys
page, pdf, head = sys.argv[1:4]
html = open(page, encoding="utf-8").read()
figures = len(re.findall(r"<figure id=", html))
info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
npages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
fails, title_at, source_at = [], {}, {}
for k in range(1, npages + 1):
    text = subprocess.run(["pdftotext", "-f", str(k), "-l", str(k), "-layout", pdf, "-"],
                          capture_output=True, text=True, check=True).stdout
    if head not in text:
        fails.append(f"page {k}: no running head {head!r}")
    if f"page {k} of {npages}" not in text:
        fails.append(f"page {k}: no 'page {k} of {npages}'")
    for m in re.finditer(r"Figure (\d+)\. ", text):
        title_at.setdefault(int(m.group(1)), k)
    for m in re.finditer(r"Figure (\d+) · source", text):
        source_at[int(m.group(1))] = k
if sorted(title_at) != list(range(1, figures + 1)):
    fails.append(f"figures in the PDF {sorted(title_at)}, the page has {figures}")
for f, k in sorted(title_at.items()):
    if source_at.get(f) != k:
        fails.append(f"figure {f} cut: title on page {k}, its end on page {source_at.get(f)}")
for m in fails:
    print("FAIL:", m)
if fails:
    sys.exit(1)
print(f"{page}: {npages} pages, {figures} figures, none cut")
PY
}
check "out/$run/report.html" report "sentencer run $run"
check dev/deviation.html deviation "sentencer deviation report"
