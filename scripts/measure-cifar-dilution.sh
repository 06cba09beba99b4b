#!/usr/bin/env bash
# DeiT-Tiny dilution throughput on CIFAR-sized images upsampled to 224 (2 cores): 512 random
# 32x32 images in CIFAR-100's binary format (the speed depends on the shapes only), a new
# 100-class head, blocks {0,2,4} diluted for one epoch at batch 64, then the fold.
# Writes resources/docs/measurements/dilution/cifar-deit-tiny.{txt,jsonl}.
set -euo pipefail
cd "$(dirname "$0")/.."
B=./build/app/mlpify
OUT=resources/docs/measurements/dilution
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
/usr/bin/python3 - "$DATA" <<'PY'
import os, random, sys
random.seed(0)
d = sys.argv[1]
for name, n in (("train.bin", 512), ("test.bin", 64)):
    with open(os.path.join(d, name), "wb") as f:
        for i in range(n):
            f.write(bytes([i % 20, i % 100]) + random.randbytes(3 * 32 * 32))
with open(os.path.join(d, "fine_label_names.txt"), "w") as f:
    f.writelines(f"class_{c}\n" for c in range(100))
PY
rm -f "$OUT/cifar-deit-tiny.jsonl"
{
  echo "# $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo '$ mlpify dilute preset:deit_tiny_patch16_224 --data cifar100:DIR --new-head --remove 0,2,4 --epochs 1 --batch 64 --out M'
  "$B" dilute preset:deit_tiny_patch16_224 --data "cifar100:$DATA" --new-head --remove 0,2,4 --epochs 1 --batch 64 \
    --json-log "$OUT/cifar-deit-tiny.jsonl" --out "$DATA/slim.mlpify"
  /usr/bin/python3 - "$OUT/cifar-deit-tiny.jsonl" <<'PY'
import json, statistics, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"step"' in l and '"images_per_s"' in l]
rates = [s["images_per_s"] for s in steps[1:]]  # the first step includes the warm-up
print(f"steps {len(steps)}, training images/s (median of steps 2..{len(steps)}): {statistics.median(rates):.1f}")
PY
} 2>&1 | tee "$OUT/cifar-deit-tiny.txt"
