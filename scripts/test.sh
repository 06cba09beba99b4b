#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds, and runs the whole test suite, then
# replays the fuzz corpora and fuzzes every reader of user files briefly (scripts/fuzz.sh --ci).
# Fails when a source is not laid out as .clang-format says, when any test fails, when no test
# ran, or on any fuzz finding.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/check-format.sh
ctest --preset release
bash scripts/fuzz.sh --ci
