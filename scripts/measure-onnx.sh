#!/usr/bin/env bash
# LibTorch against ONNX Runtime (onnxruntime-node 1.30, CPU) on the same weights, side by side in
# one run: the default model and its MLP-only version without NOSE's 50% set {2,4,6,8,9,10}, and
# DeiT-S (random weights, the shape is what counts) with and without the released 25% set {0,2,4}.
# bench --onnx exports each model to a temporary ONNX file and times it in ONNX Runtime right after
# LibTorch, with the same batch, repeats and threads. Writes resources/docs/measurements/onnx/bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
B=./build/app/mlpify
OUT=resources/docs/measurements/onnx
mkdir -p "$OUT"
{
  echo "# $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo '$ mlpify bench default --remove 2,4,6,8,9,10 --onnx --batch 64 --warmup 3 --repeats 20'
  "$B" bench default --remove 2,4,6,8,9,10 --onnx --batch 64 --warmup 3 --repeats 20
  echo
  echo '$ mlpify bench preset:deit_small_patch16_224 --remove 0,2,4 --onnx --batch 16 --warmup 2 --repeats 8'
  "$B" bench preset:deit_small_patch16_224 --remove 0,2,4 --onnx --batch 16 --warmup 2 --repeats 8
} | tee "$OUT/bench.txt"
