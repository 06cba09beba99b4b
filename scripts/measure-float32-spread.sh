#!/usr/bin/env bash
# How far apart the float32 code paths land on the default model (resources/docs/robustness.md, "What exact means"):
# NOSE's candidate values from the prefix-reuse path (guessed, and --stepwise), the naive path,
# and 1 vs 2 threads, all on the same 1,000 calibration images; prints the largest difference of
# any candidate's transfer entropy and whether the selected sets agree.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/app/mlpify
OUT=${1:-resources/docs/measurements/float32-spread}
mkdir -p "$OUT"
IMAGES=${IMAGES:-1000}
run() { # name, then the command's arguments
  local name=$1; shift
  [ -n "${REUSE:-}" ] && [ -f "$OUT/$name.json" ] && return 0 # REUSE=1: only the comparison
  "$BIN" "$@" 2> /dev/null > /dev/null
}
run fast select default --images "$IMAGES" --ratio 0.5 --out "$OUT/fast.json"
run stepwise select default --images "$IMAGES" --ratio 0.5 --stepwise --out "$OUT/stepwise.json"
run naive select default --images "$IMAGES" --ratio 0.5 --naive --out "$OUT/naive.json"
run one-thread --threads 1 select default --images "$IMAGES" --ratio 0.5 --out "$OUT/one-thread.json"
/usr/bin/python3 - "$OUT" <<'PY' | tee "$OUT/spread.txt"
import json, math, sys, os
out = sys.argv[1]
runs = {n: json.load(open(os.path.join(out, n + ".json"))) for n in ["fast", "stepwise", "naive", "one-thread"]}
ref = runs["fast"]
def values(r):
    return [v for row in r["candidates"] for v in row]
print(f"# select default --images N --ratio 0.5: float32 paths against the default (prefix reuse, guessed path, 2 threads)")
print(f"reference set {ref['selected']}, TE of the set {ref['step_values'][-1]:.9f} {ref.get('units', '')}")
margins = []
for row in ref["candidates"]:
    vals = sorted(v for v in row if v is not None and not math.isnan(v))
    if len(vals) > 1:
        margins.append(vals[1] - vals[0])
print(f"smallest gap between a step's winner and its runner-up: {min(margins):.3g}")
for name, r in runs.items():
    if name == "fast":
        continue
    diffs = [abs(a - b) for a, b in zip(values(ref), values(r)) if a is not None and b is not None
             and not (isinstance(a, float) and math.isnan(a))]
    scale = max(abs(a) for a in values(ref) if a is not None)
    print(f"{name:12s} set {r['selected']} {'same' if r['selected'] == ref['selected'] else 'DIFFERENT'}; "
          f"largest candidate difference {max(diffs):.3g} (values up to {scale:.3g})")
PY
