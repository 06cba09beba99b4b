#!/usr/bin/env bash
# Installs what is missing, then configures and builds MLPify into build/ (Release, -j2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
