#!/usr/bin/env bash
# MLPify against PyTorch on the same machine, in one run: DeiT-B inference (full and with blocks
# 0,1,3,4,6,9 MLP-only), the default model's inference and training, and DeiT-B as a fraction of
# the machine's sgemm bound. PyTorch (Debian's python3-torch, the same LibTorch 1.13) runs the same
# architecture (scripts/peer_bench.py) at every thread setting tried, with OpenBLAS's pthread build
# (OPENBLAS_NUM_THREADS 1 or all) and its OpenMP build; its best is the reference.
#
#   bash scripts/peer-bench.sh [OUT_DIR]     (default resources/docs/measurements/peer)
#   QUICK=1 bash scripts/peer-bench.sh       fewer repeats, for a smoke test
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/app/mlpify
PY=/usr/bin/python3
OUT=${1:-resources/docs/measurements/peer}
CORES=$(nproc)
OMPBLAS=/usr/lib/$(gcc -print-multiarch)/openblas-openmp
[[ -x $BIN ]] || { echo "peer-bench: build first (bash scripts/build.sh)"; exit 2; }
[[ -f $OMPBLAS/libopenblas.so.0 ]] || { echo "peer-bench: needs libopenblas0-openmp (bash scripts/install-deps.sh)"; exit 2; }
mkdir -p "$OUT"
RAW="$OUT/raw.jsonl"
: > "$RAW"
if [[ ${QUICK:-0} == 1 ]]; then BIG=(--warmup 1 --repeats 5); SMALL=(--warmup 2 --repeats 10); else
  BIG=(--warmup 3 --repeats 12); SMALL=(--warmup 5 --repeats 30); fi

record() { # WORKLOAD SIDE SETTING JSON
  printf '{"workload": "%s", "side": "%s", "setting": "%s", "result": %s}\n' "$1" "$2" "$3" "$4" >> "$RAW"
}

mlpify() { # WORKLOAD THREADS ARGS...: images/s of the first (or only) result, both with --remove
  local w=$1 t=$2; shift 2
  local j
  j=$("$BIN" --threads "$t" bench "$@" --json)
  record "$w" mlpify "threads $t" "$(echo "$j" | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["results"]))')"
}

pytorch() { # WORKLOAD ARGS...: every thread setting
  local w=$1; shift
  local t b j
  for t in 1 "$CORES"; do
    for b in 1 "$CORES"; do
      j=$(OPENBLAS_NUM_THREADS=$b OMP_NUM_THREADS=$t $PY scripts/peer_bench.py "$@" --threads "$t")
      record "$w" pytorch "torch $t, openblas-pthread $b" "$j"
    done
    j=$(LD_LIBRARY_PATH=$OMPBLAS OMP_NUM_THREADS=$t $PY scripts/peer_bench.py "$@" --threads "$t")
    record "$w" pytorch "torch $t, openblas-openmp" "$j"
  done
  # Not a thread setting: glibc's allocator told what MLPify's configureAllocator() sets, to show
  # how much of the difference that alone makes.
  j=$(GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483647 \
      LD_LIBRARY_PATH=$OMPBLAS OMP_NUM_THREADS=$CORES $PY scripts/peer_bench.py "$@" --threads "$CORES")
  record "$w" pytorch-malloc "torch $CORES, openblas-openmp, MLPify's malloc settings" "$j"
}

echo "peer-bench: DeiT-B inference, batch 8"
for t in 1 "$CORES"; do
  mlpify deit_base "$t" preset:deit_base_patch16_224 --batch 8 --remove 0,1,3,4,6,9 "${BIG[@]}"
done
pytorch deit_base_full infer deit_base_patch16_224 --batch 8 "${BIG[@]}"
pytorch deit_base_removed infer deit_base_patch16_224 --batch 8 --mlp-only 0,1,3,4,6,9 "${BIG[@]}"

echo "peer-bench: default model inference and training, batch 128"
for t in 1 "$CORES"; do
  mlpify micro_infer "$t" preset:micro --batch 128 "${SMALL[@]}"
  mlpify micro_train "$t" preset:micro --batch 128 --train "${SMALL[@]}"
done
pytorch micro_infer infer micro --batch 128 "${SMALL[@]}"
pytorch micro_train train micro --batch 128 "${SMALL[@]}"

echo "peer-bench: sgemm bound of this BLAS (OpenBLAS OpenMP build, $CORES threads)"
for n in 1024 2048 3072; do
  record gemm bound "n $n" "$(LD_LIBRARY_PATH=$OMPBLAS OMP_NUM_THREADS=$CORES $PY scripts/peer_bench.py gemm --size $n \
    --threads "$CORES" --warmup 2 --repeats 10)"
done

$PY - "$RAW" "$CORES" <<'PY' | tee "$OUT/summary.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cores = int(sys.argv[2])

def mlpify(workload, threads, index=0):
    for r in rows:
        if r["side"] == "mlpify" and r["workload"] == workload and r["setting"] == f"threads {threads}":
            return r["result"][index]["images_per_s"]

def pytorch(workload, one_thread=False, side="pytorch"):
    cands = [(r["result"]["images_per_s"], r["setting"]) for r in rows if r["side"] == side and r["workload"] == workload
             and (not one_thread or r["setting"] in ("torch 1, openblas-pthread 1", "torch 1, openblas-openmp"))]
    return max(cands)

gemm = max(r["result"]["gflop_per_s"] for r in rows if r["workload"] == "gemm")
print(f"# MLPify vs PyTorch {rows[-1]['result']['torch']}, {cores} cores, one run (images/s; PyTorch: its best setting)\n")
print("| workload | MLPify | PyTorch best (setting) | ratio | PyTorch, MLPify's malloc settings | ratio | MLPify 1 thread | PyTorch 1 thread | ratio |")
print("|---|---|---|---|---|---|---|---|---|")
table = [("DeiT-B inference, batch 8", "deit_base", 0, "deit_base_full"),
         ("DeiT-B, blocks 0,1,3,4,6,9 MLP-only", "deit_base", 1, "deit_base_removed"),
         ("default model inference, batch 128", "micro_infer", 0, "micro_infer"),
         ("default model training, batch 128, AdamW", "micro_train", 0, "micro_train")]
for name, w, i, pw in table:
    m, m1 = mlpify(w, cores, i), mlpify(w, 1, i)
    (p, setting), (p1, _), (pm, _) = pytorch(pw), pytorch(pw, True), pytorch(pw, side="pytorch-malloc")
    print(f"| {name} | {m:.2f} | {p:.2f} ({setting}) | **{m / p:.2f}** | {pm:.2f} | {m / pm:.2f} | {m1:.2f} | {p1:.2f} | {m1 / p1:.2f} |")
gain_m = mlpify("deit_base", cores, 1) / mlpify("deit_base", cores, 0)
gain_p = pytorch("deit_base_removed")[0] / pytorch("deit_base_full")[0]
flops = next(r["result"][0]["gflops_per_image"] for r in rows if r["workload"] == "deit_base")
print(f"\nRemoval gain (images/s with blocks 0,1,3,4,6,9 MLP-only / full): MLPify {gain_m:.2f}x, PyTorch {gain_p:.2f}x")
print(f"sgemm bound ({cores} threads, OpenBLAS OpenMP build, best of n = 1024, 2048, 3072): {gemm:.1f} GFLOP/s;"
      f" DeiT-B inference at {mlpify('deit_base', cores) * flops:.1f} GFLOP/s = **{mlpify('deit_base', cores) * flops / gemm:.0%}** of it")
PY
