#!/usr/bin/env bash
# The same workloads on whichever Debian release this runs on (12: LibTorch 1.13, 13: 2.6), one
# after another on an idle machine, into resources/docs/measurements/releases/CODENAME.jsonl:
# DeiT-B inference (batch 8; explicit and, with LibTorch 2.x, fused attention), the default
# model's inference (batch 256) and training step (batch 128), NOSE on DeiT-S (random weights,
# Fashion-MNIST as 3-channel CIFAR-format images upsampled to 224), and the same release's
# python3-torch on the same architecture (scripts/peer_bench.py) at 1 and all threads.
#   bash scripts/measure-releases.sh [NOSE_IMAGES]     (default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
B=./build/app/mlpify
PY=/usr/bin/python3
IMAGES=${1:-64}
CODENAME=$(. /etc/os-release && echo "$VERSION_CODENAME")
OUT=resources/docs/measurements/releases/$CODENAME.jsonl
mkdir -p "$(dirname "$OUT")"
: > "$OUT"
T=$(nproc)
record() { # NAME JSON
  printf '{"release": "%s", "libtorch": "%s", "name": "%s", "result": %s}\n' "$CODENAME" \
    "$(dpkg-query -W -f='${Version}' libtorch-dev)" "$1" "$2" | tee -a "$OUT"
}
images_per_s() { $PY -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(json.dumps({k: r[k] for k in ("images_per_s", "latency_ms_median", "latency_ms_iqr", "threads", "parallel", "precision")}))'; }
kernels=(explicit)
$B --attention fused info default > /dev/null 2>&1 && kernels+=(fused)
for k in "${kernels[@]}"; do
  record "deit_b infer b8 $k" "$($B --attention "$k" bench preset:deit_base_patch16_224 --batch 8 --warmup 2 --repeats 8 --json | images_per_s)"
  record "default infer b256 $k" "$($B --attention "$k" bench default --batch 256 --warmup 3 --repeats 20 --json | images_per_s)"
  record "default train b128 $k" "$($B --attention "$k" bench default --train --batch 128 --warmup 3 --repeats 20 --json | images_per_s)"
done
for t in 1 "$T"; do
  record "pytorch deit_b infer b8 threads $t" "$($PY scripts/peer_bench.py infer deit_base_patch16_224 --batch 8 --threads "$t" --warmup 2 --repeats 8)"
  record "pytorch default infer b256 threads $t" "$($PY scripts/peer_bench.py infer micro --batch 256 --threads "$t" --warmup 3 --repeats 20)"
  record "pytorch default train b128 threads $t" "$($PY scripts/peer_bench.py train micro --batch 128 --threads "$t" --warmup 3 --repeats 20)"
done
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
$PY scripts/gpu_peer_bench.py --write-cifar "$DATA" --images $((IMAGES * 2)) > /dev/null
start=$(date +%s.%N)
$B select preset:deit_small_patch16_224 --data "cifar10:$DATA" --images "$IMAGES" --ratio 0.5 --method nose \
  --out "$DATA/nose.json" > "$DATA/nose.txt"
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
record "nose deit_s $IMAGES images" "{\"seconds\": $secs, \"selected\": $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["selected"])' "$DATA/nose.json")}"
