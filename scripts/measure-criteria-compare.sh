#!/usr/bin/env bash
# The criteria side by side on the default model (mlpify criteria): every method's 50% set on
# 1,000 calibration images with its TE and 95% interval (100 resamples), training-free top-1 on
# the 10,000 test images, top-1 after the 3-epoch dilution of scripts/measure-criteria-dilution.sh
# and scripts/measure-dilution.sh (their eval JSONs), first without and then with 10 stability
# resamples; and NOSE alone (select) for the speed comparison. Writes
# resources/docs/measurements/criteria/compare{,-stability}.{txt,json,csv}, nose-alone.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
B=./build/app/mlpify
OUT=resources/docs/measurements/criteria
DIL=()
for f in resources/docs/measurements/dilution/{nose,first,random-0}.eval.json "$OUT"/dilution-*.eval.json; do
  DIL+=(--diluted "$f")
done
{ /usr/bin/time -f "wall %e s" "$B" --threads 2 select default --method nose --ratio 0.5 --images 1000; } \
  > "$OUT/nose-alone.txt" 2>&1
{ /usr/bin/time -f "wall %e s" "$B" --threads 2 criteria default --images 1000 "${DIL[@]}" \
    --out "$OUT/compare.json" --csv "$OUT/compare.csv"; } > "$OUT/compare.txt" 2>&1
{ /usr/bin/time -f "wall %e s" "$B" --threads 2 criteria default --images 1000 --stability 10 "${DIL[@]}" \
    --out "$OUT/compare-stability.json" --csv "$OUT/compare-stability.csv"; } > "$OUT/compare-stability.txt" 2>&1
