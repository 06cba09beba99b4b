#!/usr/bin/env bash
# Reproduces the analysis numbers in resources/docs/analysis.md on the embedded default model (issue 3):
# entropy curves, the NOSE set for 50%, TE of NOSE vs baselines, and fast vs naive selection
# (wall time and peak memory, same binary, same run of this script).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/app/mlpify
OUT=${1:-resources/docs/measurements}
mkdir -p "$OUT"
IMAGES=${IMAGES:-1000}

if [ -z "${SPEED_ONLY:-}" ]; then # SPEED_ONLY=1: only the speed table
"$BIN" analyze default --images "$IMAGES" --out "$OUT/analysis.json" --csv "$OUT/analysis.csv"
QT_QPA_PLATFORM=offscreen ./build/app/mlpify-gui --entropy-figure "$OUT/analysis.json" --out "$OUT/entropy.png"

for method in nose first entropy single-te; do
  "$BIN" select "$OUT/analysis.json" --ratio 0.5 --method "$method" --out "$OUT/select-$method.json"
done
for seed in 0 1 2; do
  "$BIN" select "$OUT/analysis.json" --ratio 0.5 --method random --random-seed "$seed" --out "$OUT/select-random-$seed.json"
done
QT_QPA_PLATFORM=offscreen ./build/app/mlpify-gui --heatmap-figure "$OUT/select-nose.json" --out "$OUT/nose-path.png"
fi

measure() { # label, then the command; prints wall seconds and peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > /dev/null 2>&1
  read -r secs kb < "$OUT/time.txt"
  printf '%-40s %8.1f s %8d MiB\n' "$label" "$secs" "$((kb / 1024))"
}
{
  echo "# analyze + select --ratio 0.5 (NOSE) on the default model; wall time and peak RSS; --batch 64 unless said"
  for n in 250 1000 4000; do
    measure "prefix reuse, streaming, $n images" sh -c "$BIN analyze default --images $n --out $OUT/tmp-analysis-$n.json && $BIN select default --images $n --ratio 0.5"
    measure "naive, all outputs kept, $n images" sh -c "$BIN analyze default --images $n --out $OUT/tmp-analysis-$n.json && $BIN select default --images $n --ratio 0.5 --naive"
  done
  # The default --batch (64) is the fast path's best; the naive path is fastest at 128, so both
  # also run at 128 (1,000 images).
  measure "prefix reuse, --batch 128, 1000 images" sh -c "$BIN analyze default --images 1000 --batch 128 --out $OUT/tmp-analysis-b.json && $BIN select default --images 1000 --batch 128 --ratio 0.5"
  measure "naive, --batch 128, 1000 images" sh -c "$BIN analyze default --images 1000 --batch 128 --out $OUT/tmp-analysis-b.json && $BIN select default --images 1000 --batch 128 --ratio 0.5 --naive"
} | tee "$OUT/speed.txt"
rm -f "$OUT/time.txt" "$OUT"/tmp-analysis-*.json
