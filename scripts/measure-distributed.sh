#!/usr/bin/env bash
# Images/s of dilution training with 1 process (2 threads) and 2 local ranks (1 thread each,
# c10d/Gloo over 127.0.0.1) at the same global batch, and the all-reduce time per step (issue 6).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/app/mlpify
OUT=${1:-resources/docs/measurements/distributed}
mkdir -p "$OUT" runs/distributed
COMMON=(dilute default --data fashion-mnist --remove 0,1,3,4,6,9 --epochs 1 --train-limit 16384 --eval-limit 2000
        --no-augment --lr 5e-4)
rm -f "$OUT"/*.jsonl
"$BIN" --threads 2 "${COMMON[@]}" --batch 128 --json-log "$OUT/one-process.jsonl" \
  --out runs/distributed/one.mlpify | tee "$OUT/one-process.log"
"$BIN" launch --nproc 2 --port 29577 -- --threads 1 "${COMMON[@]}" --batch 64 --distributed \
  --json-log "$OUT/two-ranks.jsonl" --out runs/distributed/two.mlpify | tee "$OUT/two-ranks.log"
/usr/bin/python3 - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import json, sys, statistics
from pathlib import Path
out = Path(sys.argv[1])
print("# global batch 128, 16,384 training images, steps after the first 5; same binary, same run")
for name in ("one-process", "two-ranks"):
    steps = [json.loads(l) for l in (out / f"{name}.jsonl").read_text().splitlines() if '"step"' in l]
    steps = [s for s in steps if s["step"] > 5]
    ips = statistics.median(s["images_per_s"] for s in steps)
    comm = statistics.median(s.get("comm_s", 0.0) for s in steps) * 1000
    print(f"{name:12s} {ips:8.1f} images/s (median step)   all-reduce {comm:6.1f} ms/step   {len(steps)} steps")
PY
