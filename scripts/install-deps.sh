#!/usr/bin/env bash
# Installs, from the archive of the Debian release it runs on (12 bookworm or 13 trixie),
# everything MLPify needs to build, test and run. Only missing packages are installed; safe to
# run again.
set -euo pipefail

# The same packages on both releases, by the names both archives have.
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-pthread libopenblas0-openmp
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6svg6
  libopencv-dev zlib1g-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libbenchmark-dev libgloo-dev libonnx-dev
  dataset-fashion-mnist
  python3-torch python3-torchvision python3-onnx python3-matplotlib
  texlive-latex-base texlive-latex-extra texlive-pictures lmodern poppler-utils
  nodejs
  xvfb xauth imagemagick time
  clang libclang-rt-dev libomp-dev clang-format
)
# What differs by release: Debian 12 ships Qt 6's OpenGL module (which Qt Charts' CMake files
# ask for) in a package of its own; Debian 13 has it in qt6-base-dev.
codename=""
if [[ -r /etc/os-release ]]; then
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
fi
case "$codename" in
  bookworm) PACKAGES+=(libqt6opengl6-dev) ;;
  trixie) ;;
  *) echo "install-deps: Debian 12 (bookworm) or 13 (trixie) expected, found '${codename:-unknown}'; trying Debian 13's names" >&2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
if ((${#missing[@]})); then
  echo "install-deps ($codename): installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps ($codename): all packages present"
fi

# ONNX Runtime for the ONNX checks and bench --onnx: the npm package at the version the lock file
# pins, without its install script (it would download more, and needs nothing it fetches on CPU).
# Debian's npm where the nodejs package does not bring one (NodeSource's nodejs includes npm).
if ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
fi
ORT_DIR="$(dirname "$0")/../tools/onnxruntime"
if [[ ! -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ]]; then
  echo "install-deps: installing onnxruntime-node into tools/onnxruntime"
  (cd "$ORT_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
