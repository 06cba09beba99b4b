#!/usr/bin/env bash
# Installs what is missing, then configures and builds MLPify into build/ (Release, -j2), every
# target with -Wall -Wextra; MLPIFY_WERROR=ON (as CI sets it) makes a warning an error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release -DMLPIFY_WERROR="${MLPIFY_WERROR:-OFF}"
cmake --build --preset release
