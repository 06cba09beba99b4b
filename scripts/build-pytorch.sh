#!/usr/bin/env bash
# Builds MLPify against the LibTorch inside an installed PyTorch 2.x (CUDA when that PyTorch has
# it): CMake's prefix from torch.utils.cmake_prefix_path, the C++ ABI flag from its TorchConfig,
# CUDA from CUDA_HOME (default /usr/local/cuda) and NCCL from the nvidia-nccl wheel. Headless
# (core, CLI, tests) unless --gui; OpenCV and ONNX are used where installed (configure summary).
#
#   bash scripts/build-pytorch.sh [--dir DIR] [--gui] [--jobs N] [TARGET...]
#       DIR default build-torch; PYTHON (default python3) is the interpreter whose torch is used
# Where the server lacks nlohmann/json, CLI11, zlib or GoogleTest, `bash scripts/gpu-check.sh
# --pack` on a Debian machine fills .gpu-deps/, which the build takes them from.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=build-torch
GUI=OFF
JOBS=$(nproc)
TARGETS=()
while (($#)); do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --gui) GUI=ON; shift ;;
    --jobs) JOBS=$2; shift 2 ;;
    -*) echo "build-pytorch: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
PY=${PYTHON:-python3}
read -r TORCH_PREFIX TORCH_VERSION TORCH_CUDA GPUS ABI NCCL_INC < <($PY - << 'EOF' 2> /dev/null || echo "- none - 0 - -"
import os, torch
nccl = "-"
try:
    import nvidia.nccl
    for base in list(getattr(nvidia.nccl, "__path__", [])):
        if os.path.exists(os.path.join(base, "include", "nccl.h")):
            nccl = os.path.join(base, "include")
except ImportError:
    pass
print(torch.utils.cmake_prefix_path, torch.__version__, torch.version.cuda or "-",
      torch.cuda.device_count() if torch.cuda.is_available() else 0,
      int(torch._C._GLIBCXX_USE_CXX11_ABI), nccl)
EOF
)
echo "python torch: $TORCH_VERSION (CUDA $TORCH_CUDA, $GPUS GPU(s) visible, C++11 ABI $ABI)"
ARGS=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DMLPIFY_BUILD_GUI=$GUI)
if [[ -f $TORCH_PREFIX/Torch/TorchConfig.cmake ]]; then
  echo "LibTorch: PyTorch's own, $TORCH_PREFIX"
  ARGS+=(-DCMAKE_PREFIX_PATH="$TORCH_PREFIX")
elif [[ $TORCH_VERSION == none ]]; then
  echo "LibTorch: $PY has no torch (set PYTHON to the interpreter of your PyTorch): the system's LibTorch is used"
else
  echo "LibTorch: $PY's torch has no CMake files (Debian's python3-torch has none): the system's LibTorch is used"
fi
if [[ $TORCH_CUDA != - ]]; then
  export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
  [[ -x $CUDA_HOME/bin/nvcc ]] && ARGS+=(-DCMAKE_CUDA_COMPILER="$CUDA_HOME/bin/nvcc" -DCUDAToolkit_ROOT="$CUDA_HOME")
  [[ $NCCL_INC != - ]] && export NCCL_HOME=$(dirname "$NCCL_INC")
fi
mkdir -p "$DIR"
if ! cmake -S . -B "$DIR" "${ARGS[@]}" > "$DIR/configure.log" 2>&1; then
  grep -E "Error|error|not found" -A3 "$DIR/configure.log" | head -30
  echo "build-pytorch: configure FAILED ($DIR/configure.log)"
  exit 1
fi
sed -n '/MLPify configuration:/,/tests /p' "$DIR/configure.log"
# -k 0: every file that fails is reported in one go, not the first only
if ! cmake --build "$DIR" -j "$JOBS" ${TARGETS[@]+--target "${TARGETS[@]}"} -- -k 0 > "$DIR/build.log" 2>&1; then
  grep -E "error|Error" "$DIR/build.log" | head -40
  echo "build-pytorch: build FAILED ($DIR/build.log)"
  exit 1
fi
echo "build-pytorch: built into $DIR"
