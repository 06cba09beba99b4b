#!/usr/bin/env bash
# The field's criteria over each candidate pool at one parameter budget, 17% and 33% of the default
# model: `criteria --pools all` with every unit method (NOSE, influence, angular, greedy loss and
# KL) on 1,000 calibration images, each set's TE with its 95% interval (100 resamples), training-free
# top-1 on all 10,000 test images, and top-1 after the 3-epoch dilution of
# scripts/measure-units-dilution.sh where a criterion chose the set that run diluted.
# Writes resources/docs/measurements/units/criteria/criteria-PCT.{json,csv,txt} and units-criteria-PCT.md.
# Usage: scripts/measure-units-criteria.sh [BUILD_DIR] [PCT...]   (PCT defaults to 17 33; each takes
# about half an hour on two cores, most of it the greedy loss and KL searches)
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(realpath "${1:-build}/app/mlpify")
shift || true
PCTS=("$@")
[ ${#PCTS[@]} -gt 0 ] || PCTS=(17 33)
OUT=resources/docs/measurements/units/criteria
DILUTED=resources/docs/measurements/units/dilution
mkdir -p "$OUT"
TOTAL=$("$B" info default | awk '/^parameters/ {print $2}')
for pct in "${PCTS[@]}"; do
  P=$((TOTAL * pct / 100))
  "$B" criteria default --data fashion-mnist --images 1000 --pools all \
    --methods nose,influence,angular,greedy-loss,greedy-kl --budget-params "$P" \
    --diluted "$DILUTED/attention-$pct.eval.json" --diluted "$DILUTED/mlp-$pct.eval.json" \
    --diluted "$DILUTED/block-$pct.eval.json" --diluted "$DILUTED/mixed-$pct.eval.json" \
    --out "$OUT/criteria-$pct.json" --csv "$OUT/criteria-$pct.csv" > "$OUT/criteria-$pct.txt"
done
/usr/bin/python3 - "$OUT" "$TOTAL" "${PCTS[@]}" <<'PY'
import json, sys
out, total = sys.argv[1], int(sys.argv[2])
header = ["| pool | method | units chosen | parameters removed | TE (bits) [95% interval] | top-1 x = x | top-1 x = 2x | after dilution |",
        "|---|---|---|---|---|---|---|---|"]
pct = lambda v: "-" if v is None else f"{100 * v:.2f}%"
for p in map(int, sys.argv[3:]):
    rows = list(header)
    c = json.load(open(f"{out}/criteria-{p}.json"))
    for r in c["rows"]:
        if r.get("note"):
            rows.append(f"| {r['pool']} | {r['method']} | none: {r['note']} | | | | |")
            continue
        lo, hi = r["te_interval"]
        tf = r["training_free"]
        rows.append(f"| {r['pool']} | {r['method']} | {', '.join(r['unit_names'])} | "
                    f"{r['params_removed']} ({100 * r['params_removed'] / total:.1f}%) | "
                    f"{r['transfer_entropy']:.3f} [{lo:.3f}, {hi:.3f}] | {pct(tf['skip_top1'])} | "
                    f"{pct(tf['double_top1'])} | {pct(r.get('diluted', {}).get('top1'))} |")
    open(f"{out}/units-criteria-{p}.md", "w").write("\n".join(rows) + "\n")
    print("\n".join(rows))
PY
