#!/usr/bin/env bash
# The views of the criteria comparison on the default model: NOSE's 50% path on 1,000
# calibration images with a 95% interval per heatmap cell and its stability over 10 resamples
# (select --bootstrap 10), put in a project with the comparison of scripts/measure-criteria-compare.sh,
# and screenshots of the Criteria tab and the NOSE path under Xvfb. Writes
# resources/docs/measurements/criteria/nose-bootstrap.json, criteria.mlpify-project and
# resources/docs/screenshots/{criteria,nose-stability}.png.
set -euo pipefail
cd "$(dirname "$0")/.."
B=./build/app/mlpify
OUT=resources/docs/measurements/criteria
"$B" --threads 2 select default --method nose --ratio 0.5 --images 1000 --bootstrap 10 --out "$OUT/nose-bootstrap.json"
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
project = {"kind": "mlpify-project", "model": "default", "data": "fashion-mnist", "method": "nose",
           "analysis": {"images": 1000, "tokens": "cls", "ratio": 0.5},
           "training": {"remove": [6, 2, 9, 10, 8, 4]},
           "results": {"selection": json.load(open(f"{out}/nose-bootstrap.json")),
                       "criteria": json.load(open(f"{out}/compare-stability.json"))}}
json.dump(project, open(f"{out}/criteria.mlpify-project", "w"), indent=1)
PY
for shot in "7 criteria" "2 nose-stability"; do
  read -r tab name <<< "$shot"
  xvfb-run -a -s "-screen 0 1400x900x24" ./build/app/mlpify-gui --project "$OUT/criteria.mlpify-project" \
    --screenshot "resources/docs/screenshots/$name.png" --tab "$tab"
done
