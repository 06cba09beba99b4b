#!/usr/bin/env bash
# Every selection method on the default model, 50% of the attention layers, 1,000 calibration
# images (training split, seed 0): the chosen set, its transfer entropy to the head, and its
# training-free top-1 on all 10,000 test images with the set removed (x = x and x = 2x); then
# the removal curve of each method (1..12 layers) on the first 2,000 test images. Writes
# resources/docs/measurements/criteria/{METHOD.json,curve-METHOD.json,summary.md}.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=resources/docs/measurements/criteria
mkdir -p "$OUT"
B=./build/app/mlpify
METHODS=(nose single-te entropy block-influence attention-cosine angular greedy-loss greedy-kl first random)
for m in "${METHODS[@]}"; do
  "$B" --threads 2 select default --method "$m" --ratio 0.5 --images 1000 --evaluate --out "$OUT/$m.json" > /dev/null
  "$B" --threads 2 select default --method "$m" --ratio 0.5 --images 1000 --curve --test-limit 2000 \
    --out "$OUT/curve-$m.json" > /dev/null
done
/usr/bin/python3 - "$OUT" "${METHODS[@]}" <<'PY' > "$OUT/summary.md"
import json, sys
out, methods = sys.argv[1], sys.argv[2:]
print("| method | set (in order chosen) | TE to the head (bits) | top-1 x = x | top-1 x = 2x |")
print("|---|---|---|---|---|")
for m in methods:
    j = json.load(open(f"{out}/{m}.json"))
    tf = j["training_free"]
    print(f"| {m} | {{{', '.join(map(str, j['selected']))}}} | {j['transfer_entropy']:.3f} | "
          f"{100 * tf['skip']['top1']:.2f}% | {100 * tf['double']['top1']:.2f}% |")
print()
print("Training-free top-1 (x = 2x) with the first k layers of each method's order removed, first 2,000 test images:")
print()
print("| method | " + " | ".join(f"k={k}" for k in range(1, 13)) + " |")
print("|---|" + "---|" * 12)
for m in methods:
    c = json.load(open(f"{out}/curve-{m}.json"))["curve"]
    print(f"| {m} | " + " | ".join(f"{100 * p['double']['top1']:.1f}" for p in c) + " |")
PY
cat "$OUT/summary.md"
