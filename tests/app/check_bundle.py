#!/usr/bin/python3
"""Checks a figure bundle written by `mlpify figures` (or File > Export All Figures) as a reader of
a paper would use it: every .tex compiles with pdflatex and its tables hold the numbers of the
figure's CSV exactly, every PDF embeds its fonts, every matplotlib script runs headless and draws a
file, and the record names what produced the numbers.

Usage: check_bundle.py DIR [--expect NAME ...]"""
import csv, json, math, os, re, shutil, subprocess, sys, tempfile
from pathlib import Path

bundle = Path(sys.argv[1]).resolve()
expected = sys.argv[sys.argv.index("--expect") + 1:] if "--expect" in sys.argv else []
figures = sorted(p.stem for p in bundle.glob("*.tex"))
assert figures, f"{bundle}: no figures"
for name in expected:
    assert name in figures, f"{bundle}: no {name} figure (has {figures})"


def num(s):
    return math.nan if s in ("nan", "") else float(s)


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def tex_tables(text):
    """The rows of every inline table, in order, as floats."""
    rows, inside = [], False
    for line in text.splitlines():
        if "row sep=\\\\] {" in line:
            inside = True
            continue
        if line == "};":
            inside = False
            continue
        if inside:
            rows.append([num(w) for w in line.rstrip("\\").split()])
    return rows


work = Path(tempfile.mkdtemp())
try:
    for name in figures:
        for ext in ("pdf", "svg", "png", "tikz", "py"):
            assert (bundle / f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext} missing or empty"
        tex = (bundle / f"{name}.tex").read_text()
        assert (bundle / f"{name}.tikz").read_text() in tex, f"{name}.tikz is not the body of {name}.tex"
        # The numbers: the TeX tables against the CSV, row for row.
        with open(bundle / f"{name}-data.csv", newline="") as f:
            data = list(csv.DictReader(f))
        rows = tex_tables(tex)
        assert len(rows) == len(data), f"{name}: {len(rows)} rows in the TeX, {len(data)} in the CSV"
        for r, d in zip(rows, data):
            if "row" in d:  # a heatmap: row column value
                want = [num(d["row"]), num(d["column"]), num(d["value"])]
            else:
                want = [num(d["x"]), num(d["y"])] + ([num(d["low"]), num(d["high"])] if d["low"] else [])
            assert all(same(a, b) for a, b in zip(r, want)), f"{name}: TeX row {r} != CSV {want}"
        # pdflatex in a scratch folder, from the bundle's own file.
        shutil.copy(bundle / f"{name}.tex", work / f"{name}.tex")
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=work,
                             capture_output=True, text=True)
        assert run.returncode == 0, f"{name}.tex does not compile:\n" + run.stdout[-3000:]
        # Fonts embedded, in MLPify's PDF and in the TeX one.
        for pdf in (bundle / f"{name}.pdf", work / f"{name}.pdf"):
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
            lines = fonts.splitlines()[2:]
            assert lines, f"{pdf}: no fonts (text drawn as paths?)"
            for line in lines:
                assert re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line), f"{pdf}: font not embedded: {line}"
        # The matplotlib script, headless, from another working folder.
        out = work / f"{name}-mpl.png"
        run = subprocess.run(["/usr/bin/python3", str(bundle / f"{name}.py"), str(out)], cwd=work,
                             capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
        assert run.returncode == 0, f"{name}.py failed:\n{run.stderr[-2000:]}"
        assert out.stat().st_size > 5000, f"{name}.py drew an empty figure"
    record = json.loads((bundle / "record.json").read_text())
    for key in ("mlpify", "commit", "libtorch", "qt", "opencv", "blas", "cpu", "threads", "ranks", "device", "date",
                "seeds", "files", "commands"):
        assert key in record and record[key] not in ("", None), f"record.json: no {key}"
    assert any(f["role"] == "model" for f in record["files"]), "record.json: the model file is not hashed"
    assert any(f["role"] == "data" for f in record["files"]), "record.json: no data file is hashed"
    assert all(len(f["sha256"]) == 64 for f in record["files"])
    readme = (bundle / "README.md").read_text()
    for name in figures:
        assert f"| {name} |" in readme, f"README.md does not list {name}"
    print(f"{bundle}: {len(figures)} figures: TeX compiles and holds the CSV's numbers, fonts embedded, "
          "matplotlib scripts run, record complete")
finally:
    shutil.rmtree(work)
