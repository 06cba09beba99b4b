#!/usr/bin/env bash
# Fails when a C++ file of the product, its tests or fuzzers differs from what clang-format makes
# of it (.clang-format at the root); `bash scripts/check-format.sh --fix` rewrites them in place.
# The tree is laid out by clang-format 14 (Debian 12); other major versions place a few
# constructs differently, so with another version the check says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
want=14
have="$(clang-format --version | sed -E 's/.*version ([0-9]+).*/\1/')"
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
  'core/*.h' 'core/*.cpp' 'widgets/*.h' 'widgets/*.cpp' 'app/*.h' 'app/*.cpp' \
  'tests/*.h' 'tests/*.cpp' 'fuzz/*.cpp' | while read -r f; do [[ -f "$f" ]] && echo "$f"; done)
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  echo "check-format: formatted ${#files[@]} files with clang-format $have"
  exit 0
fi
if [[ "$have" != "$want" ]]; then
  echo "check-format: clang-format $have here; the tree is laid out by clang-format $want, so it is not checked"
  exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2> /tmp/check-format.$$; then
  grep -E '^[^ ].*: (error|warning):' /tmp/check-format.$$ | cut -d: -f1 | sort -u | sed 's/^/check-format: not formatted: /'
  rm -f /tmp/check-format.$$
  echo "check-format: run 'bash scripts/check-format.sh --fix'"
  exit 1
fi
rm -f /tmp/check-format.$$
echo "check-format: ${#files[@]} files laid out as .clang-format says"
