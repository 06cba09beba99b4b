#!/usr/bin/env bash
# The two ways one batch uses the threads (core/model/inference.h), side by side at the widths
# around the split threshold: each op on all threads (--parallel ops) against the batch split
# across threads (--parallel images), for inference and for training steps (forward, backward,
# AdamW), on the default model (width 48), DeiT-Ti (192) and DeiT-S (384), and training DeiT-B
# (768). The modes alternate, and every pair is measured ROUNDS times, so a change of the
# machine's speed hits both alike.
#
#   bash scripts/measure-split.sh [OUT_DIR]      (default resources/docs/measurements/split)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/app/mlpify
PY=/usr/bin/python3
OUT=${1:-resources/docs/measurements/split}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
[[ -x $BIN ]] || { echo "measure-split: build first (bash scripts/build.sh)"; exit 2; }
mkdir -p "$OUT"
RAW="$OUT/raw.jsonl"
: > "$RAW"

run() { # MODEL BATCH KIND(infer|train) WARMUP REPEATS
  local model=$1 batch=$2 kind=$3 warmup=$4 repeats=$5 mode j train=()
  [[ $kind == train ]] && train=(--train)
  for mode in ops images; do
    j=$("$BIN" --threads "$THREADS" bench "$model" --batch "$batch" "${train[@]}" --parallel "$mode" \
        --warmup "$warmup" --repeats "$repeats" --json)
    echo "$j" | $PY -c 'import json,sys; r=json.load(sys.stdin)["results"][0]
print(json.dumps({"model": sys.argv[1], "kind": sys.argv[2], "mode": sys.argv[3], "batch": r["batch"],
                  "threads": r["threads"], "images_per_s": r["images_per_s"]}))' "$model" "$kind" "$mode" >> "$RAW"
  done
}

for round in $(seq "$ROUNDS"); do
  echo "measure-split: round $round of $ROUNDS"
  run default 128 infer 3 20
  run default 128 train 3 10
  run preset:deit_tiny_patch16_224 32 infer 2 8
  run preset:deit_tiny_patch16_224 32 train 2 8
  run preset:deit_small_patch16_224 32 infer 1 5
  run preset:deit_small_patch16_224 32 train 1 5
  run preset:deit_base_patch16_224 16 train 1 2
done

$PY - "$RAW" <<'PYEOF' | tee "$OUT/summary.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = []
for r in rows:
    k = (r["model"], r["kind"], r["batch"])
    if k not in keys:
        keys.append(k)
print(f"threads {rows[0]['threads']}; images/s, median of {len(rows) // (2 * len(keys))} rounds (each round: ops, then images)\n")
print("| model | width | workload | batch | ops | images | images / ops |")
print("|---|---|---|---|---|---|---|")
width = {"default": 48, "preset:deit_tiny_patch16_224": 192, "preset:deit_small_patch16_224": 384,
         "preset:deit_base_patch16_224": 768}
for k in keys:
    med = {m: statistics.median(r["images_per_s"] for r in rows if (r["model"], r["kind"], r["batch"]) == k and r["mode"] == m)
           for m in ("ops", "images")}
    print(f"| {k[0].replace('preset:', '')} | {width.get(k[0], '?')} | {'training' if k[1] == 'train' else 'inference'} | {k[2]} "
          f"| {med['ops']:.1f} | {med['images']:.1f} | {med['images'] / med['ops']:.2f} |")
PYEOF
