#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and opens the workbench on the embedded default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec ./build/app/mlpify-gui "$@"
