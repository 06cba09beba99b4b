#!/usr/bin/env bash
# Where the default model's inference spends its time, for two builds of the CLI (perf's
# cpu-clock samples of the whole `bench` process, one thread): images/s, the share of each
# library, and of the kernel's page-fault handling. For a before/after check, build the older
# commit as scripts/measure-before-after.sh says, then
#   bash scripts/measure-perf.sh /tmp/before/build/app/mlpify build/app/mlpify
set -euo pipefail
[[ $# -eq 2 && -x $1 && -x $2 ]] || { echo "usage: $0 BEFORE_MLPIFY AFTER_MLPIFY" >&2; exit 2; }
command -v perf >/dev/null || { echo "measure-perf: needs perf (apt-get install linux-perf)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for side in before after; do
  bin=$1; [[ $side == after ]] && bin=$2
  perf record -q -F 1999 -o "$TMP/$side.data" -- "$bin" --threads 1 bench default --batch 128 \
    --warmup 3 --repeats 40 > "$TMP/$side.txt" 2> /dev/null
  echo "== $side: $(grep 'images / s' "$TMP/$side.txt" | awk '{print $NF}') images/s, 1 thread, batch 128"
  perf report -i "$TMP/$side.data" --no-children --sort dso --stdio 2> /dev/null | grep -v '^#' | grep . | head -6 |
    awk '{printf "  %-8s %s\n", $1, $2}'
  perf report -i "$TMP/$side.data" --no-children --sort sym --stdio 2> /dev/null |
    awk '/\[k\]/ {k += $1} /exc_page_fault|clear_page/ {f += $1} END {printf "  kernel %.2f%%, of it page faults and page clearing %.2f%%\n", k, f}'
done
