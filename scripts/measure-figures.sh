#!/usr/bin/env bash
# Figures in print style on the default model: a project with the entropy curves, NOSE's selection
# and the criteria comparison (the CLI's own JSON outputs), `mlpify figures` timed at a single and a
# double column, and the same entropy and criteria data drawn by matplotlib's defaults beside them.
# Writes resources/docs/measurements/figures/. Usage: scripts/measure-figures.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}/app/mlpify
OUT=resources/docs/measurements/figures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
"$B" analyze default --data fashion-mnist --out "$TMP/analysis.json" > /dev/null
"$B" select default --data fashion-mnist --ratio 0.5 --method nose --out "$TMP/selection.json" > /dev/null
"$B" criteria default --data fashion-mnist --ratio 0.5 --test-limit 2000 --out "$TMP/criteria.json" > /dev/null
/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
read = lambda n: json.load(open(f"{t}/{n}.json"))
project = {"kind": "mlpify-project", "version": 1, "model": "default", "data": "fashion-mnist",
           "analysis": {"images": 1000, "tokens": "cls", "ratio": 0.5}, "method": "nose",
           "results": {"entropy_profile": read("analysis"), "selection": read("selection"), "criteria": read("criteria")}}
json.dump(project, open(f"{t}/p.mlpify-project", "w"))
PY
for size in column double; do
  /usr/bin/time -f "%e s, %M KiB" -o "$TMP/time-$size" "$B" figures "$TMP/p.mlpify-project" --out "$TMP/$size" --size $size > /dev/null
  for f in entropy criteria; do
    pdftoppm -r 200 -png -singlefile "$TMP/$size/$f.pdf" "$OUT/$f-$size"
  done
done
# The same numbers with matplotlib's defaults (figure size, colours, legend placement), for comparison.
/usr/bin/python3 - "$TMP/column" "$OUT" <<'PY'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
src, out = sys.argv[1], sys.argv[2]
for name in ("entropy", "criteria"):
    rows = list(csv.DictReader(open(f"{src}/{name}-data.csv")))
    fig, ax = plt.subplots()
    series = list(dict.fromkeys(r["series"] for r in rows))
    for i, s in enumerate(series):
        pts = [r for r in rows if r["series"] == s]
        x = [float(p["x"]) for p in pts]
        y = [float(p["y"]) for p in pts]
        if name == "criteria":
            ax.bar([v + (i - 1) * 0.27 for v in x], y, width=0.27, label=s)
        else:
            ax.plot(x, y, label=s)
    ax.legend()
    fig.savefig(f"{out}/{name}-matplotlib-defaults.png", dpi=100)
PY
{
  echo "| size | mlpify figures (wall, peak RSS) | figures |"
  echo "|---|---|---|"
  for size in column double; do
    echo "| $size | $(cat "$TMP/time-$size") | $(ls "$TMP/$size"/*.tex | wc -l) |"
  done
} > "$OUT/timing.md"
cat "$OUT/timing.md"
