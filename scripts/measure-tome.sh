#!/usr/bin/env bash
# Attention removal and token merging on the DeiT-B shape (random weights: speed does not depend
# on them): the full model, blocks {0,1,3,4,6,9} MLP-only, and each with ToMe r = 8 and r = 16,
# measured side by side in one `bench` run per batch size. Writes
# resources/docs/measurements/tome/deit-b-batch{8,64}.{txt,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=resources/docs/measurements/tome
mkdir -p "$OUT"
B=./build/app/mlpify
for batch in 8 64; do
  repeats=$([[ $batch == 8 ]] && echo 10 || echo 5)
  args=(bench preset:deit_base_patch16_224 --remove 0,1,3,4,6,9 --tome 8 --tome 16 --batch "$batch"
        --repeats "$repeats" --warmup 2)
  "$B" "${args[@]}" | tee "$OUT/deit-b-batch$batch.txt"
  "$B" "${args[@]}" --json > "$OUT/deit-b-batch$batch.json"
done
