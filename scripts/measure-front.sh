#!/usr/bin/env bash
# The default model's accuracy-throughput front, as a figure made by the project: NOSE's 50% set
# diluted and folded (the 3-epoch run of training.md, 87.07%), a project holding the original and
# the slimmed model, `mlpify front` at ToMe r = 0..3, and `mlpify figures`. Writes
# resources/docs/measurements/tome/front-default.{png,csv,txt} and the Front tab's screenshot.
# SLIM=path/to/slim.mlpify skips the dilution run.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=resources/docs/measurements/tome
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
B=./build/app/mlpify
SLIM=${SLIM:-$TMP/slim.mlpify}
if [[ ! -f $SLIM ]]; then
  "$B" --threads 2 dilute default --data fashion-mnist --ratio 0.5 --method nose --epochs 3 --dilution-epochs 2 \
    --train-limit 30000 --lr 5e-4 --warmup-epochs 0.2 --no-augment --seed 0 --out "$SLIM"
fi
printf '{"kind": "mlpify-project", "version": 1, "model": "default", "data": "fashion-mnist", "slimmed_model": "%s"}\n' \
  "$SLIM" > "$TMP/front.mlpify-project"
"$B" --threads 2 front "$TMP/front.mlpify-project" --tome-max 3 --csv "$TMP/front.csv" | tee "$OUT/front-default.txt"
"$B" figures "$TMP/front.mlpify-project" --out "$TMP/figures" > /dev/null
mkdir -p "$OUT"
cp "$TMP/figures/front.png" "$OUT/front-default.png"
cp "$TMP/front.csv" "$OUT/front-default.csv"
# The window's Front tab on the same project (the README's picture).
XDG_CONFIG_HOME="$TMP/config" xvfb-run -a -s "-screen 0 1400x900x24" ./build/app/mlpify-gui \
  --project "$TMP/front.mlpify-project" --screenshot resources/docs/screenshots/front.png --tab 6
echo "wrote $OUT/front-default.{png,csv,txt}"
