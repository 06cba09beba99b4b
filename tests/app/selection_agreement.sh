#!/usr/bin/env bash
# `select` and `dilute` choose the same layers for the same method, ratio and calibration images
# (both through core::selectLayers; dilute's calibration is the training split with seed 0, as
# select's default), for every method dilute offers that needs no analysis file (the greedy and
# exhaustive searches are left out for time; they run through the same dispatcher).
set -euo pipefail
BIN=$1
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
status=0
for method in nose single-te entropy block-influence attention-cosine angular first random; do
  "$BIN" --threads 2 select default --method "$method" --ratio 0.5 --images 200 --out "$OUT/$method.json" > /dev/null
  chosen=$(python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["selected"])))' \
    "$OUT/$method.json")
  line=$("$BIN" --threads 2 dilute default --data fashion-mnist --method "$method" --ratio 0.5 --select-images 200 \
    --epochs 1 --train-limit 64 --batch 64 --no-augment --out "$OUT/$method.mlpify" 2>/dev/null |
    sed -n "s/^$method selected blocks //p")
  if [[ $line == "$chosen" ]]; then
    echo "$method: both choose $chosen"
  else
    echo "$method: select chose '$chosen', dilute chose '$line'"
    status=1
  fi
done
exit $status
