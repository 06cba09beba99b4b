#!/usr/bin/env bash
# Installs, from Debian 12's archive, everything MLPify needs to build, test and run.
# Only missing packages are installed; safe to run again.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-pthread libopenblas0-openmp
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev libqt6svg6
  libopencv-dev zlib1g-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libbenchmark-dev libgloo-dev
  dataset-fashion-mnist
  python3-torch python3-torchvision
  xvfb xauth imagemagick time
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
