#!/usr/bin/env bash
# Top-1 after the same 3-epoch dilution for each pool's set (resources/docs/measurements/units/
# POOL-PCT.json, written by scripts/measure-units.sh): the dilution table's settings (training.md:
# 3 epochs, lambda 1 -> 0 over 2, 30,000 training images, lr 5e-4), fold, evaluation on all 10,000
# test images, and a JSON row per set.
#
#   scripts/measure-units-dilution.sh [--build DIR] [--device cpu|cuda] [--jobs N] [--out DIR]
#       DIR default build; --jobs runs N sets at once (each with 16/N threads at most; on one GPU
#       8 small runs share it); OUT default resources/docs/measurements/units/dilution;
#       TRAIN_LIMIT (default 30000) for a quick check of the script itself
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
DEVICE=cpu
JOBS=1
OUT=resources/docs/measurements/units/dilution
while (($#)); do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "measure-units-dilution: unknown option $1" >&2; exit 2 ;;
  esac
done
B=$(realpath "$BUILD/app/mlpify")
SETS=resources/docs/measurements/units
MODELS=${MODELS:-runs/units-dilution}
mkdir -p "$OUT" "$MODELS"
THREADS=$(($(nproc) / JOBS))
((THREADS >= 1)) || THREADS=1
COMMON=(--data fashion-mnist --epochs 3 --dilution-epochs 2 --train-limit ${TRAIN_LIMIT:-30000} --lr 5e-4 --warmup-epochs 0.2
        --no-augment --seed 0)

# "attention 6", "MLP 4", "block 3" -> --remove / --remove-mlp lists
removal_args() {
  /usr/bin/env python3 - "$1" << 'PY'
import json, sys
attn, mlp = [], []
for unit in json.load(open(sys.argv[1]))["selected"]:
    kind, block = unit.split()
    if kind in ("attention", "block"):
        attn.append(int(block))
    if kind in ("MLP", "block"):
        mlp.append(int(block))
args = []
if attn:
    args += ["--remove", ",".join(map(str, sorted(attn)))]
if mlp:
    args += ["--remove-mlp", ",".join(map(str, sorted(mlp)))]
print(" ".join(args))
PY
}

one() { # pool-pct
  local name=$1 args
  args=$(removal_args "$SETS/$name.json")
  # shellcheck disable=SC2086
  "$B" --device "$DEVICE" --threads "$THREADS" dilute default "${COMMON[@]}" $args \
    --json-log "$OUT/$name.jsonl" --out "$MODELS/$name.mlpify" > "$OUT/$name.log" 2>&1
  "$B" --device "$DEVICE" --threads "$THREADS" eval "$MODELS/$name.mlpify" --data fashion-mnist --json \
    > "$OUT/$name.eval.json"
  echo "measure-units-dilution: $name done ($args)"
}

NAMES=()
for pct in 17 33; do
  for pool in attention mlp block mixed; do NAMES+=("$pool-$pct"); done
done
running=0
for name in "${NAMES[@]}"; do
  one "$name" &
  running=$((running + 1))
  if ((running >= JOBS)); then
    wait -n
    running=$((running - 1))
  fi
done
wait

/usr/bin/env python3 - "$OUT" "$SETS" "$DEVICE" << 'PY'
import json, sys
out, sets, device = sys.argv[1:]
rows = [f"| budget | pool | units | training-free top-1, x = x | training-free top-1, x = 2x | "
        f"top-1 after 3-epoch dilution ({device}) |", "|---|---|---|---|---|---|"]
for pct in (17, 33):
    for pool in ("attention", "mlp", "block", "mixed"):
        name = f"{pool}-{pct}"
        chosen = json.load(open(f"{sets}/{name}.json"))
        after = json.load(open(f"{out}/{name}.eval.json"))
        rows.append(f"| {pct}% | {pool} | {', '.join(chosen['selected'])} | "
                    f"{100 * chosen['training_free']['skip']['top1']:.2f}% | "
                    f"{100 * chosen['training_free']['double']['top1']:.2f}% | {100 * after['top1']:.2f}% |")
open(f"{out}/units-dilution.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
