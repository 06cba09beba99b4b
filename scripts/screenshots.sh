#!/usr/bin/env bash
# Regenerates the README's screenshots: the guided tour on the default model under Xvfb (the
# same walk the end-to-end test makes), with the tour's 1-epoch teaching run on 6,000 images.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
XDG_CONFIG_HOME="$OUT/config" xvfb-run -a -s "-screen 0 1400x900x24" ./build/app/mlpify-gui \
  --tour-screenshots "$OUT/tour" --train-images 6000
mkdir -p resources/docs/screenshots
cp "$OUT"/tour/tour-*.png resources/docs/screenshots/
echo "screenshots in resources/docs/screenshots/"
