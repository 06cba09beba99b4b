#!/usr/bin/env bash
# Reproduces the dilution table in resources/docs/training.md (issue 4): remove 50% of the default model's
# attention layers chosen by NOSE, first-N and random (3 seeds), dilute, fold, evaluate, and
# benchmark the folded NOSE model against the original in one run; then DeiT-B speed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/app/mlpify
OUT=${1:-resources/docs/measurements/dilution}   # logs and numbers (committed)
MODELS=${MODELS:-runs/dilution}                   # the slimmed models (not committed)
mkdir -p "$OUT" "$MODELS"
COMMON=(--data fashion-mnist --ratio 0.5 --epochs 3 --dilution-epochs 2 --train-limit 30000 --lr 5e-4
        --warmup-epochs 0.2 --no-augment)

run() { # name, then extra arguments
  local name=$1; shift
  "$BIN" dilute default "${COMMON[@]}" "$@" --json-log "$OUT/$name.jsonl" --checkpoint "$MODELS/$name.ckpt" \
    --out "$MODELS/$name.mlpify" | tee "$OUT/$name.log"
  "$BIN" eval "$MODELS/$name.mlpify" --data fashion-mnist --json > "$OUT/$name.eval.json"
}
run nose --method nose --seed 0
run first --method first --seed 0
for seed in 0 1 2; do # --seed picks the random layers and the data order
  run "random-$seed" --method random --seed "$seed"
done
"$BIN" bench default --vs "$MODELS/nose.mlpify" --batch 128 --repeats 20 | tee "$OUT/bench-micro.txt"
"$BIN" bench preset:deit_base_patch16_224 --remove 0,1,3,4,6,9 --batch 8 --repeats 5 | tee "$OUT/bench-deit-base.txt"
