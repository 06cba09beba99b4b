#!/usr/bin/env bash
# Measures what resources/docs/attention.md reports, into resources/docs/measurements/attention/:
#  * NOSE's 50% set on the default model (`select`, 1,000 calibration images, as criteria.md);
#  * every head's mean attention distance and entropy on 256 test images, that set marked
#    (JSON, CSV, both figures), and maps of one test image;
#  * the same statistics on the whole test split against an independent python3-torch
#    computation (scripts/attention_crosscheck.py);
#  * the time and peak memory of the statistics on a DeiT-S-shaped model (preset, 224 x 224, 6
#    heads, 197 tokens) for 256 images, on this machine's cores.
# Needs a release build (scripts/build.sh) and python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(pwd)/build/app/mlpify
OUT=resources/docs/measurements/attention
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

"$B" select default --ratio 0.5 --method nose --out "$OUT/nose.json" > /dev/null
NOSE=$(/usr/bin/python3 -c 'import json, sys; print(",".join(map(str, json.load(open(sys.argv[1]))["selected"])))' \
  "$OUT/nose.json")
echo "NOSE's 50% set: $NOSE"
"$B" attention default --distance --images 256 --mark "$NOSE" --mark-label "NOSE's 50% set" --json "$OUT/default.json" --csv "$OUT/default.csv" \
  --out "$OUT/default-distance.png" | tee "$OUT/default.txt"
"$B" attention default --distance --images 256 --mark "$NOSE" --mark-label "NOSE's 50% set" --entropy --out "$OUT/default-entropy.png" > /dev/null
"$B" attention default --block 0 --image 0 --out "$OUT/map-block0.png"
"$B" attention default --block 11 --image 0 --out "$OUT/map-block11.png"
"$B" attention default --block 11 --image 0 --rollout --out "$OUT/map-rollout11.png"
"$B" attention default --block 2 --image 0 --patch 3,3 --out "$OUT/map-block2-patch33.png"

"$B" attention default --distance --images 10000 --json "$TMP/all.json" > /dev/null
/usr/bin/python3 scripts/attention_crosscheck.py resources/models/default.mlpify "$TMP/all.json" | tee "$OUT/crosscheck.txt"

# DeiT-S shape: random weights, and random 32 x 32 CIFAR-10-format images upsampled to 224 (the
# statistics' cost does not depend on what the weights or images are).
/usr/bin/python3 - "$TMP/c10" <<'PY'
import os, sys
os.makedirs(sys.argv[1])
with open(os.path.join(sys.argv[1], "test_batch.bin"), "wb") as f:
    for i in range(256):
        f.write(bytes([i % 10]) + os.urandom(3072))
PY
{
  echo "$(date -u +%F) $(git rev-parse --short HEAD), $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p'))"
  /usr/bin/time -f "wall %e s, peak RSS %M KiB" "$B" attention preset:deit_small_patch16_224 --data "cifar10:$TMP/c10" \
    --split test --distance --images 256 --json "$TMP/deit.json" 2>&1 | grep -E "^wall|^  block  0"
} | tee "$OUT/deit-s-time.txt"
