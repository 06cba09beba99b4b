#!/usr/bin/env bash
# End to end under Xvfb: mlpify-gui walks the guided tour on the default model as a person
# would (analysis, attention distance and map, a short dilution run, spectra, comparison), saving a
# screenshot per step,
# the project and every figure; then `mlpify front` measures the accuracy-throughput front into
# the project (r = 0, 1 on 256 test images), and `mlpify figures` renders every figure again; both
# bundles are checked as a paper's author would use them (check_bundle.py: pdflatex, pdffonts, matplotlib).
set -euo pipefail
BIN_DIR=$1
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export XDG_CONFIG_HOME="$OUT/config"
xvfb-run -a -s "-screen 0 1400x900x24" "$BIN_DIR/mlpify-gui" --tour-screenshots "$OUT/tour" --train-images 1024
cp "$OUT/tour/tour.mlpify-project" "$OUT/front.mlpify-project"
"$BIN_DIR/mlpify" --threads 2 front "$OUT/front.mlpify-project" --tome-max 1 --limit 256 --repeats 2 --csv "$OUT/front.csv"
"$BIN_DIR/mlpify" figures "$OUT/front.mlpify-project" --out "$OUT/again" --size double --dpi 120
/usr/bin/python3 - "$OUT" <<'PY'
import json, struct, sys, xml.etree.ElementTree as ET
from pathlib import Path
out = Path(sys.argv[1])
def png_size(p):
    b = p.read_bytes()
    assert b[:8] == b"\x89PNG\r\n\x1a\n", f"{p}: not a PNG"
    w, h = struct.unpack(">II", b[16:24])
    return w, h, len(b)
shots = [out / "tour" / f"tour-{i}.png" for i in range(1, 8)] + [out / "tour" / "tour-dialog.png"]
for p in shots:
    w, h, n = png_size(p)
    assert w >= 800 and h >= 500 and n > 20000, f"{p}: {w}x{h}, {n} bytes: too small to be a real screenshot"
project = json.loads((out / "tour" / "tour.mlpify-project").read_text())
assert project["kind"] == "mlpify-project"
results = project["results"]
assert len(results["compare"]) == 2, "the comparison has the original and the slimmed model"
assert results["compare"][1]["parameters"] < results["compare"][0]["parameters"]
assert results["training_curves"]["steps"]["rows"], "training curves were recorded"
attention = results["attention"]
assert attention["images"] == 256 and len(attention["blocks"]) == 12, "every block's heads measured on 256 images"
assert all(0 < b["mean_distance_px"] < 28 * 2 ** 0.5 for b in attention["blocks"]), attention["blocks"]
assert len(results["attention_map"]["patches"]) == 7 * 7, "the class token's map over the 7 x 7 patches"
for d in ("tour/figures", "again"):
    for name in ("entropy", "nose-path", "training-loss", "training-lambda", "training-accuracy", "spectrum", "compare",
                 "attention-distance", "attention-map"):
        root = ET.parse(out / d / f"{name}.svg").getroot()
        assert root.tag.endswith("svg"), f"{d}/{name}.svg is not SVG"
        assert (out / d / f"{name}.pdf").read_bytes()[:5] == b"%PDF-", f"{d}/{name}.pdf is not PDF"
        png_size(out / d / f"{name}.png")
front = json.loads((out / "front.mlpify-project").read_text())["results"]["front"]
points = front["points"]
assert [(p["label"], p["r"]) for p in points] == [("original", 0), ("original", 1), ("slimmed", 0), ("slimmed", 1)], points
assert all(0 < p["top1"] <= 1 and p["images_per_s"] > 0 for p in points), points
assert points[1]["gflops_per_image"] < points[0]["gflops_per_image"], "merging lowers the FLOPs"
assert (out / "again" / "front.csv").read_text() == (out / "front.csv").read_text()
png_size(out / "again" / "front.png")
w, h, _ = png_size(out / "again" / "compare.png")
assert (w, h) == (round(7.16 * 120), round(3.0 * 120)), f"--size double at 120 dpi not honoured: {w}x{h}"
print("tour end-to-end: 7 steps, screenshots, project and figures checked")
PY
HERE=$(dirname "$0")
/usr/bin/python3 "$HERE/check_bundle.py" "$OUT/tour/figures" --expect entropy nose-path training-loss spectrum compare \
  attention-distance attention-map
/usr/bin/python3 "$HERE/check_bundle.py" "$OUT/again" --expect entropy front compare
