#!/usr/bin/env bash
# Top-1 after dilution for every criterion's 50% set: the same 3-epoch schedule as
# scripts/measure-dilution.sh (whose nose, first and random-0 runs this reuses), one run per
# criterion, seed 0. Writes resources/docs/measurements/criteria/dilution-METHOD.{log,jsonl,eval.json};
# a method whose eval.json exists is skipped, so the script resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/app/mlpify
OUT=resources/docs/measurements/criteria
MODELS=${MODELS:-runs/criteria}   # the slimmed models (not committed)
mkdir -p "$OUT" "$MODELS"
COMMON=(--data fashion-mnist --ratio 0.5 --epochs 3 --dilution-epochs 2 --train-limit 30000 --lr 5e-4
        --warmup-epochs 0.2 --no-augment --seed 0)
for m in single-te entropy block-influence attention-cosine angular greedy-loss greedy-kl; do
  [ -s "$OUT/dilution-$m.eval.json" ] && continue
  "$BIN" --threads 2 dilute default "${COMMON[@]}" --method "$m" --json-log "$OUT/dilution-$m.jsonl" \
    --checkpoint "$MODELS/$m.ckpt" --out "$MODELS/$m.mlpify" > "$OUT/dilution-$m.log"
  "$BIN" eval "$MODELS/$m.mlpify" --data fashion-mnist --json > "$OUT/dilution-$m.eval.json.tmp"
  mv "$OUT/dilution-$m.eval.json.tmp" "$OUT/dilution-$m.eval.json"
done
