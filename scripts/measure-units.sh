#!/usr/bin/env bash
# Attention, MLP, whole blocks and a mixed pool side by side on the default model: NOSE's choice
# under a parameter budget of 17% and 33% of the model, the set's TE with its 95% interval (100
# resamples), training-free test top-1 on all 10,000 test images by both removal rules, and the
# images/s of the slimmed architecture against the original (bench, batch 64, same run).
# Writes resources/docs/measurements/units/. Usage: scripts/measure-units.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(realpath "${1:-build}/app/mlpify")
OUT=resources/docs/measurements/units
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
TOTAL=$("$B" info default | awk '/^parameters/ {print $2}')
for pct in 17 33; do
  P=$((TOTAL * pct / 100))
  for pool in attention mlp block mixed; do
    "$B" select default --units "$pool" --budget-params "$P" --bootstrap 100 --evaluate \
      --out "$OUT/$pool-$pct.json" > "$TMP/$pool-$pct.txt"
    # the chosen architecture, for its speed: a one-step dilution on 256 images, folded
    line=$(grep "to remove them" "$TMP/$pool-$pct.txt" | sed 's/.*mlpify dilute default//; s/--out OUT.mlpify//')
    # shellcheck disable=SC2086
    "$B" dilute default --data fashion-mnist $line --epochs 1 --train-limit 256 --eval-limit 256 --batch 256 \
      --out "$TMP/$pool-$pct.mlpify" > /dev/null
    "$B" bench default --vs "$TMP/$pool-$pct.mlpify" --batch 64 --repeats 10 > "$OUT/bench-$pool-$pct.txt"
  done
done
/usr/bin/python3 - "$OUT" "$TOTAL" <<'PY'
import json, re, sys
out, total = sys.argv[1], int(sys.argv[2])
rows = ["| budget | pool | units chosen | parameters removed | TE (bits) [95% interval] | top-1 x = x | top-1 x = 2x | images/s vs original |",
        "|---|---|---|---|---|---|---|---|"]
for pct in (17, 33):
    for pool in ("attention", "mlp", "block", "mixed"):
        j = json.load(open(f"{out}/{pool}-{pct}.json"))
        ci = j.get("transfer_entropy_interval", {})
        bench = open(f"{out}/bench-{pool}-{pct}.txt").read()
        speed = re.search(r"images / s\s+([\d.]+)\s+([\d.]+)", bench) # original, slimmed
        ratio = float(speed.group(2)) / float(speed.group(1))
        tf = j["training_free"]
        rows.append(f"| {pct}% | {pool} | {', '.join(j['selected'])} | {j['params_removed']} ({100 * j['params_removed'] / total:.1f}%) | "
                    f"{j['transfer_entropy']:.3f} [{ci.get('low', float('nan')):.3f}, {ci.get('high', float('nan')):.3f}] | "
                    f"{100 * tf['skip']['top1']:.2f}% | {100 * tf['double']['top1']:.2f}% | {ratio:.2f}x |")
open(f"{out}/units.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
