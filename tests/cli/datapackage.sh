#!/usr/bin/env bash
# datapackage.json against the Data Package and Table Schema specifications
# (v1), checked by a reader written here from the specifications, not from
# the writer: the descriptor's required properties, names, profiles, types
# and keys; then every file against its schema (header, every cell of its
# type, codes, required cells, primary keys unique, size and SHA-256). Then
# R (read.csv) and pandas (read_csv) load every CSV file with the readers
# the README gives, taken from the README as written, and get logical,
# integer, numeric and date-time columns where the descriptor says so. With
# --excel the descriptor names the byte-order mark (utf-8-sig) and the
# readers still load the files.
set -euo pipefail
S=$SENTENCER
cd "$TMPDIR"
PY=/usr/bin/python3 # Debian's, with python3-pandas (scripts/install-deps)

$S migrate 2>/dev/null
"$PROJECT/scripts/gen-cases" 3000 7 --out cases.csv
$S import cases.csv 2>/dev/null
$S run --rules "$PROJECT/lua-rules" --tests "$PROJECT/tests/rules" --out out \
    2>run.log || [ $? -eq 1 ] || { cat run.log; exit 1; }
run=$(ls out | sort -n | tail -1)
$S outputs --run "$run" --out excel --excel 2>/dev/null

# The readers, as the README gives them.
"$PY" - "$PROJECT/README.md" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for lang, out in (("R", "reader.R"), ("pandas", "reader.py")):
    m = re.search(r"<!-- reader: " + lang + r" -->\n```\w+\n(.*?)```", text, re.S)
    assert m, f"README: no {lang} reader"
    code = m.group(1)
    # Drop the example call after the function (it names out/42).
    code = "\n".join(l for l in code.splitlines() if not l.startswith("s ="))
    code = "\n".join(l for l in code.splitlines() if not l.startswith("s <-"))
    open(out, "w", encoding="utf-8").write(code + "\n")
PY

for folder in "out/$run" "excel/$run"; do
"$PY" - "$folder" <<'PY'
import csv, datetime, hashlib, io, json, os, re, sys
folder = sys.argv[1]
fails = []
def fail(m):
    fails.append(m)

dp = json.load(open(os.path.join(folder, "datapackage.json"), encoding="utf-8"))
NAME = re.compile(r"^[a-z0-9._-]+$")  # Data Package v1: lower case, digits, . _ -
TYPES = {"string", "number", "integer", "boolean", "object", "array", "date", "time",
         "datetime", "year", "yearmonth", "duration", "geopoint", "geojson", "any"}
if dp.get("profile") != "tabular-data-package":
    fail(f"package profile {dp.get('profile')}")
if not NAME.match(dp.get("name", "")):
    fail(f"package name {dp.get('name')!r}")
if not isinstance(dp.get("resources"), list) or not dp["resources"]:
    fail("no resources")
csvs = sorted(n for n in os.listdir(folder) if n.endswith(".csv"))
if sorted(r.get("path") for r in dp["resources"]) != csvs:
    fail(f"resources {sorted(r.get('path') for r in dp['resources'])} are not the CSV files {csvs}")
names = [r.get("name") for r in dp["resources"]]
if len(set(names)) != len(names):
    fail("resource names repeat")

def cell_ok(f, v):
    t = f["type"]
    if t == "string":
        return True
    if t == "integer":
        return re.fullmatch(r"-?[0-9]+", v) is not None
    if t == "number":
        return re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", v) is not None
    if t == "boolean":
        return v in f.get("trueValues", ["true", "True", "TRUE", "1"]) + \
            f.get("falseValues", ["false", "False", "FALSE", "0"])
    if t == "datetime":
        try:
            datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ")
            return True
        except ValueError:
            return False
    return False

for r in dp["resources"]:
    where = r.get("path")
    for k in ("name", "path", "schema"):
        if k not in r:
            fail(f"{where}: no {k}")
    if not NAME.match(r["name"]) or r.get("profile") != "tabular-data-resource":
        fail(f"{where}: name {r['name']!r} or profile {r.get('profile')}")
    if os.path.isabs(r["path"]) or ".." in r["path"].split("/"):
        fail(f"{where}: path not relative to the package")
    raw = open(os.path.join(folder, r["path"]), "rb").read()
    if "hash" in r:
        if r["hash"] != "sha256:" + hashlib.sha256(raw).hexdigest():
            fail(f"{where}: hash differs")
        if r.get("bytes") != len(raw):
            fail(f"{where}: bytes {r.get('bytes')}, file has {len(raw)}")
    elif r["path"] != "manifest.csv":
        fail(f"{where}: no hash")
    bom = raw.startswith(b"\xef\xbb\xbf")
    if r.get("encoding") != ("utf-8-sig" if bom else "utf-8"):
        fail(f"{where}: encoding {r.get('encoding')} for a file {'with' if bom else 'without'} BOM")
    d = r.get("dialect", {})
    if d.get("delimiter", ",") != "," or d.get("header", True) is not True:
        fail(f"{where}: dialect {d}")
    schema = r["schema"]
    fields = schema.get("fields", [])
    for f in fields:
        if f.get("type") not in TYPES or not f.get("name"):
            fail(f"{where}: field {f}")
        if not f.get("description"):
            fail(f"{where}: field {f.get('name')} undescribed")
    fnames = [f["name"] for f in fields]
    key = schema.get("primaryKey", [])
    if not key or any(k not in fnames for k in key):
        fail(f"{where}: primaryKey {key} not among the fields")
    missing = schema.get("missingValues", [""])
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    if rows[0] != fnames:
        fail(f"{where}: header {rows[0]} is not the schema's {fnames}")
        continue
    seen = set()
    for n, row in enumerate(rows[1:], 2):
        for f, v in zip(fields, row):
            c = f.get("constraints", {})
            if v in missing:
                if c.get("required"):
                    fail(f"{where}:{n}: {f['name']} required, empty")
                continue
            if not cell_ok(f, v):
                fail(f"{where}:{n}: {f['name']} = {v!r} is not a {f['type']}")
            if "enum" in c and v not in c["enum"]:
                fail(f"{where}:{n}: {f['name']} = {v!r} not in {c['enum']}")
        k = tuple(row[fnames.index(x)] for x in key)
        if k in seen:
            fail(f"{where}:{n}: primary key {k} repeated")
        seen.add(k)
    if len(fails) > 30:
        break
for m in fails[:30]:
    print("FAIL:", m)
if fails:
    sys.exit(1)
print(f"{folder}: {len(dp['resources'])} resources valid, every cell of its type")
PY

# R: every file, typed as the descriptor says.
Rscript --vanilla - "$folder" <<'R'
source("reader.R")
folder <- commandArgs(trailingOnly = TRUE)[1]
dp <- jsonlite::fromJSON(file.path(folder, "datapackage.json"), simplifyVector = FALSE)
want <- c(string = "character", integer = "integer", number = "numeric",
          boolean = "logical", datetime = "POSIXct")
seen <- character(0)
for (r in dp$resources) {
  d <- read_sentencer(folder, r$path)
  for (f in r$schema$fields) {
    got <- class(d[[f$name]])[1]
    if (got != want[[f$type]])
      stop(sprintf("%s %s: %s, want %s", r$path, f$name, got, want[[f$type]]))
    seen <- c(seen, got)
  }
}
for (k in c("logical", "integer", "numeric", "POSIXct"))
  if (!(k %in% seen)) stop(paste("no", k, "column loaded"))
cat(sprintf("R: %d files, %d columns typed\n", length(dp$resources), length(seen)))
R

# pandas: the same.
"$PY" - "$folder" <<'PY'
import json, sys
exec(open("reader.py", encoding="utf-8").read())
folder = sys.argv[1]
dp = json.load(open(f"{folder}/datapackage.json", encoding="utf-8"))
want = {"string": "string", "integer": "Int64", "number": "float64", "boolean": "boolean",
        "datetime": "datetime64[ns, UTC]"}
seen = set()
for r in dp["resources"]:
    d = read_sentencer(folder, r["path"])
    for f in r["schema"]["fields"]:
        got = str(d[f["name"]].dtype)
        assert got == want[f["type"]], f"{r['path']} {f['name']}: {got}, want {want[f['type']]}"
        seen.add(got)
assert {"boolean", "Int64", "float64", "datetime64[ns, UTC]"} <= seen, seen
print(f"pandas: {len(dp['resources'])} files typed")
PY
done
