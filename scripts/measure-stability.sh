#!/usr/bin/env bash
# How sure each method's 50% choice on the default model is: the method run on 10 bootstrap
# resamples (seed 0) of its 1,000 calibration images. Writes
# resources/docs/measurements/criteria/{stability-METHOD.json,stability.md}.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=resources/docs/measurements/criteria
mkdir -p "$OUT"
B=./build/app/mlpify
METHODS=(nose single-te entropy block-influence attention-cosine angular)
for m in "${METHODS[@]}"; do
  "$B" --threads 2 select default --method "$m" --ratio 0.5 --images 1000 --bootstrap 10 \
    --out "$OUT/stability-$m.json" > /dev/null
done
/usr/bin/python3 - "$OUT" "${METHODS[@]}" <<'PY' > "$OUT/stability.md"
import json, sys
out, methods = sys.argv[1], sys.argv[2:]
print("| method | the chosen set in | sets seen | layers chosen in every resample |")
print("|---|---|---|---|")
for m in methods:
    st = json.load(open(f"{out}/stability-{m}.json"))["stability"]
    always = [str(b) for b, f in enumerate(st["layer_frequency"]) if f >= 1.0 - 1e-12]
    print(f"| {m} | {100 * st['chosen_set_share']:.0f}% of {st['resamples']} | {len(st['sets'])} | "
          f"{{{', '.join(always)}}} |")
PY
cat "$OUT/stability.md"
