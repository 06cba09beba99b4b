#!/usr/bin/env bash
# Two builds of the CLI side by side on the analysis workload (NOSE on the default model): each
# command runs alternately with one binary, then the other, ROUNDS times; medians of wall time.
# For a before/after check of a change, build the older commit in a worktree:
#   git worktree add /tmp/before COMMIT && cmake -S /tmp/before -B /tmp/before/build -G Ninja \
#     -DCMAKE_BUILD_TYPE=Release -DMLPIFY_BUILD_GUI=OFF -DMLPIFY_BUILD_TESTS=OFF && ninja -C /tmp/before/build mlpify
#   bash scripts/measure-before-after.sh /tmp/before/build/app/mlpify build/app/mlpify
set -euo pipefail
[[ $# -eq 2 && -x $1 && -x $2 ]] || { echo "usage: $0 BEFORE_MLPIFY AFTER_MLPIFY" >&2; exit 2; }
BEFORE=$1 AFTER=$2
ROUNDS=${ROUNDS:-3}
IMAGES=${IMAGES:-1000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

wall() { # BIN ARGS...: wall seconds
  /usr/bin/time -f "%e" -o "$TMP/t" "$@" > /dev/null 2>&1
  cat "$TMP/t"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

printf '%-52s %9s %9s %7s\n' "command ($IMAGES images, median of $ROUNDS)" before after ratio
for cmd in "analyze default --images $IMAGES --out $TMP/a.json" "select default --images $IMAGES --ratio 0.5"; do
  : > "$TMP/b"; : > "$TMP/a"
  for _ in $(seq "$ROUNDS"); do
    # shellcheck disable=SC2086 # the command's words
    wall "$BEFORE" $cmd >> "$TMP/b"
    # shellcheck disable=SC2086
    wall "$AFTER" $cmd >> "$TMP/a"
  done
  b=$(median < "$TMP/b") a=$(median < "$TMP/a")
  printf '%-52s %8.1fs %8.1fs %7.2f\n' "${cmd%% --out*}" "$b" "$a" "$(echo "$b / $a" | bc -l)"
done
