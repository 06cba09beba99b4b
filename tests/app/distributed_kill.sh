#!/usr/bin/env bash
# Two real ranks on 127.0.0.1 (c10d/Gloo); rank 1 is killed mid-run: rank 0 must stop with an
# error naming itself within the timeout, not hang, and its last checkpoint must stay loadable.
set -euo pipefail
BIN=$1
OUT=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$OUT"' EXIT
PORT=$((20000 + $$ % 20000))
TIMEOUT=8
run_rank() { # rank
  RANK=$1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT MLPIFY_DIST_TIMEOUT=$TIMEOUT \
    exec "$BIN" --threads 1 train --model default --data fashion-mnist --epochs 1 --train-limit 20000 --batch 32 \
    --lr 1e-5 --no-augment --distributed --checkpoint-every 2 --out "$OUT/r.mlpify" --json-log "$OUT/log.jsonl"
}
run_rank 0 > "$OUT/rank0.out" 2> "$OUT/rank0.err" & R0=$!
run_rank 1 > /dev/null 2>&1 & R1=$!
for _ in $(seq 600); do # until rank 0 has logged a few steps
  [ -f "$OUT/log.jsonl" ] && [ "$(wc -l < "$OUT/log.jsonl")" -ge 6 ] && break
  sleep 0.1
done
[ "$(wc -l < "$OUT/log.jsonl")" -ge 6 ] || { echo "rank 0 never trained"; cat "$OUT/rank0.err"; exit 1; }
kill -9 $R1
START=$(date +%s)
set +e
wait $R0
CODE=$?
set -e
ELAPSED=$(( $(date +%s) - START ))
echo "rank 0 exited with code $CODE after ${ELAPSED} s: $(tail -1 "$OUT/rank0.err")"
[ "$CODE" -ne 0 ] || { echo "rank 0 reported success although rank 1 died"; exit 1; }
[ "$ELAPSED" -le $((TIMEOUT + 10)) ] || { echo "rank 0 took ${ELAPSED} s to notice"; exit 1; }
grep -q "rank 0 of 2" "$OUT/rank0.err" || { echo "the error does not name the rank"; exit 1; }
"$BIN" info "$OUT/r.mlpify.ckpt" > /dev/null || { echo "the last checkpoint does not load"; exit 1; }
echo "a killed rank stops the other with a clear error; the checkpoint loads"
