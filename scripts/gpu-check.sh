#!/usr/bin/env bash
# Builds MLPify headless against the LibTorch of the installed PyTorch 2.x (CUDA when it has it),
# runs every GPU test and the GPU benchmarks, and writes one log with every number. On a machine
# without a GPU it does the same and says what it skipped. Sized for a 16-core machine with one
# GPU: under 8 minutes.
#
#   bash scripts/gpu-check.sh [--log FILE] [--jobs N]
#       FILE default build-gpu/gpu-check.log; needs python3 with torch, CMake and Ninja (pip's do);
#       the build is scripts/build-pytorch.sh's, into build-gpu/
#   bash scripts/gpu-check.sh --pack
#       on a Debian machine with the project's packages: copies into .gpu-deps/ what a GPU server
#       with PyTorch may lack (nlohmann/json, CLI11, zlib and Gloo headers, GoogleTest's sources, Debian's
#       Fashion-MNIST files; about 35 MB), which the build and the tests then take from there.
#
# Environment: PYTHON (default python3), CUDA_HOME (default /usr/local/cuda), as build-pytorch.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
DEPS=$REPO/.gpu-deps

if [[ ${1:-} == --pack ]]; then
  set -e
  rm -rf "$DEPS"
  mkdir -p "$DEPS/include" "$DEPS/fashion-mnist"
  cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/gloo "$DEPS/include/"
  cp /usr/include/zlib.h /usr/include/zconf.h "$DEPS/include/"
  cp -r /usr/src/googletest "$DEPS/googletest"
  cp /usr/share/datasets/fashion-mnist/*-ubyte.gz "$DEPS/fashion-mnist/"
  echo "gpu-check: packed $(du -sh "$DEPS" | cut -f1) into $DEPS"
  exit 0
fi

LOG=build-gpu/gpu-check.log
JOBS=$(nproc)
while (($#)); do
  case $1 in
    --log) LOG=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p build-gpu "$(dirname "$LOG")"
exec > >(tee "$LOG") 2>&1
T0=$(date +%s)
section() { echo; echo "== $* (at $(($(date +%s) - T0)) s)"; }
FAILED=()

section "machine"
PY=${PYTHON:-python3}
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $(uname -sr); $(nproc) cores; commit $(git rev-parse --short HEAD 2> /dev/null)"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
read -r GPUS < <($PY -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)' 2> /dev/null || echo 0)
[[ -d $DEPS/fashion-mnist ]] && export MLPIFY_FASHION_MNIST_DIR=$DEPS/fashion-mnist
[[ -d ${MLPIFY_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist} ]] ||
  echo "gpu-check: no Fashion-MNIST (Debian's dataset-fashion-mnist, or --pack on a Debian machine): the tests that read it fail"

section "configure and build (headless, $JOBS jobs)"
bash scripts/build-pytorch.sh --dir build-gpu --jobs "$JOBS" mlpify mlpify_core_tests || exit 1
B=build-gpu/app/mlpify
T=build-gpu/tests/mlpify_core_tests

section "GPU tests (CUDA against the CPU; they skip, saying why, without a GPU)"
$T --gtest_filter='Gpu.*:VisionTransformer.Fused*:TorchLoad.*:Benchmark.Bf16*:Distributed.Backend*' --gtest_brief=0 2>&1 |
  grep -E "^\[ +(OK|FAILED|SKIPPED|PASSED) +\]|no CUDA|no scaled_dot|Failure|expected|Which is|largest" || true
[[ ${PIPESTATUS[0]} -eq 0 ]] || FAILED+=("GPU tests")

if ((GPUS == 0)); then
  section "GPU benchmarks: skipped (no GPU visible to this LibTorch)"
else
  section "benchmarks on the GPU (images/s; the comparisons run side by side in this one run)"
  bench() { echo "-- mlpify $*"; $B --device cuda "$@" | grep -E "images/s|latency|batch|params" || FAILED+=("mlpify $*"); }
  for kernel in explicit fused; do
    bench --attention "$kernel" bench preset:deit_base_patch16_224 --batch 64 --warmup 10 --repeats 30
    bench --attention "$kernel" bench preset:deit_base_patch16_224 --batch 256 --warmup 5 --repeats 20
  done
  bench bench preset:deit_base_patch16_224 --batch 256 --warmup 5 --repeats 20 --bf16
  bench bench preset:deit_base_patch16_224 --remove 0,1,3,4,6,9 --batch 256 --warmup 5 --repeats 20
  bench bench preset:deit_small_patch16_224 --train --batch 128 --warmup 5 --repeats 20
  bench bench preset:deit_small_patch16_224 --train --batch 128 --warmup 5 --repeats 20 --bf16
  echo "-- PyTorch $TORCH_VERSION on the same GPU: timm's DeiT-B, eager and torch.compile"
  $PY scripts/gpu_peer_bench.py --batch 64 256 || FAILED+=("gpu_peer_bench.py")

  section "NOSE on DeiT-B at 1,000 images (Fashion-MNIST as 3-channel CIFAR-format images, upsampled to 224)"
  CIFAR=build-gpu/fmnist-as-cifar
  $PY scripts/gpu_peer_bench.py --write-cifar "$CIFAR" --images 2000 || FAILED+=("CIFAR-format data")
  for dev in cuda; do
    start=$(date +%s.%N)
    $B --device "$dev" select preset:deit_base_patch16_224 --data "cifar10:$CIFAR" --images 1000 --ratio 0.5 \
      --method nose --out build-gpu/nose-deit-b.json > build-gpu/nose.txt 2>&1 || FAILED+=("NOSE on DeiT-B")
    echo "NOSE DeiT-B 1000 images on $dev: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s wall"
    tail -3 build-gpu/nose.txt
  done
  section "dilution throughput of DeiT-S (CIFAR-format images at 224, 1 epoch over 2,000 images)"
  $B --device cuda dilute preset:deit_small_patch16_224 --data "cifar10:$CIFAR" --new-head --remove 0,1,2,3,4,5 \
    --epochs 1 --batch 128 --no-augment --out build-gpu/deit-s-slim.mlpify 2>&1 | grep -E "img/s|images/s|wrote|top-1" | tail -5 ||
    FAILED+=("dilution on DeiT-S")
fi

section "core tests against this LibTorch (everything but the whole-program runs)"
$T --gtest_filter='-Gpu.*:DefaultModel.*:Distributed.*' 2>&1 | grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" || true
[[ ${PIPESTATUS[0]} -eq 0 ]] || FAILED+=("core tests")

section "done in $(($(date +%s) - T0)) s"
if ((${#FAILED[@]})); then
  printf 'gpu-check: FAILED: %s\n' "${FAILED[@]}"
  exit 1
fi
echo "gpu-check: every check passed$( ((GPUS == 0)) && echo ' (GPU parts skipped: no GPU)')"
