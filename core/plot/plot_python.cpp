#include "core/plot/plot_writers.h"

#include <cstdio>
#include <sstream>

namespace mlpify::core {

namespace {

std::string py(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n')
            out += "\\n";
        else
            out += static_cast<char>(c);
    }
    return out + "\"";
}

std::string colour(unsigned rgb)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "\"#%06X\"", rgb & 0xFFFFFFu);
    return buf;
}

std::string list(const std::vector<double>& v)
{
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + plotNumber(v[i]);
    return out + "]";
}

std::string list(const std::vector<std::string>& v)
{
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + py(v[i]);
    return out + "]";
}

// Numeric tick labels with a true minus sign (U+2212), as TeX and MLPify's own drawing set them.
std::vector<std::string> withMinus(std::vector<std::string> labels)
{
    for (auto& l : labels)
        if (!l.empty() && l.front() == '-')
            l = "\u2212" + l.substr(1);
    return labels;
}

const char* mplDash(const std::string& d)
{
    if (d == "dashed")
        return "(0, (3, 1.5))";
    if (d == "dotted")
        return "(0, (0.8, 1.2))";
    if (d == "dashdotted")
        return "(0, (3, 1.2, 0.8, 1.2))";
    return "\"solid\"";
}

const char* mplMarker(const std::string& m)
{
    if (m == "square")
        return "s";
    if (m == "triangle")
        return "^";
    if (m == "diamond")
        return "D";
    if (m == "pentagon")
        return "p";
    if (m == "star")
        return "*";
    return "o";
}

const char* mplHatch(const std::string& h)
{
    if (h == "north east lines")
        return "////";
    if (h == "dots")
        return "..";
    if (h == "crosshatch")
        return "xx";
    if (h == "horizontal lines")
        return "--";
    if (h == "north west lines")
        return "\\\\\\\\";
    return "";
}

} // namespace

std::string matplotlibScript(const Plot& plot, const PrintSize& size, const std::string& csvName)
{
    std::ostringstream o;
    const auto r = plotRanges(plot);
    const auto xt = axisTicks(plot, true, size), yt = axisTicks(plot, false, size);
    o << "#!/usr/bin/env python3\n";
    o << "# " << plot.name << (plot.caption.empty() ? "" : ": " + plot.caption) << "\n";
    o << "# Redraws the figure from " << csvName << " with matplotlib; change the style below as you like.\n";
    o << "# Usage: python3 " << plot.name << ".py [OUTPUT.pdf|.svg|.png]\n";
    o << "import csv, math, os, sys\nimport matplotlib\nmatplotlib.use(\"Agg\")\nimport matplotlib.pyplot as plt\n";
    o << "from matplotlib.colors import LinearSegmentedColormap\nfrom matplotlib.patches import Rectangle\n\n";
    o << "HERE = os.path.dirname(os.path.abspath(__file__))\n";
    o << "with open(os.path.join(HERE, " << py(csvName)
      << "), newline=\"\") as f:\n    ROWS = list(csv.DictReader(f))\n\n";
    o << "def num(s):\n    return float(s) if s not in (\"\", None) else math.nan\n\n";
    o << "plt.rcParams.update({\"font.size\": " << size.fontPt << ", \"font.family\": \"DejaVu Sans\", "
      << "\"pdf.fonttype\": 42, \"svg.fonttype\": \"none\", \"axes.linewidth\": 0.5})\n";
    o << "fig, ax = plt.subplots(figsize=(" << size.widthIn << ", " << size.heightIn << "), layout=\"constrained\")\n";
    if (plot.heatmap) {
        const auto& h = *plot.heatmap;
        const auto [lo, hi] = heatmapRange(h);
        const size_t rows = h.values.size(), cols = rows ? h.values.front().size() : 0;
        std::vector<std::string> ramp;
        for (unsigned c : colourRamp(h.diverging))
            ramp.push_back(colour(c).substr(1, 7));
        o << "grid = [[math.nan] * " << cols << " for _ in range(" << rows << ")]\n";
        o << "for row in ROWS:\n    grid[int(row[\"row\"])][int(row[\"column\"])] = num(row[\"value\"])\n";
        o << "cmap = LinearSegmentedColormap.from_list(\"mlpify\", " << list(ramp) << ")\ncmap.set_bad("
          << colour(kNoValueRgb) << ")\n";
        o << "image = ax.imshow(grid, cmap=cmap, vmin=" << plotNumber(lo) << ", vmax=" << plotNumber(hi)
          << ", aspect=\"auto\", interpolation=\"nearest\")\n";
        o << "bar = fig.colorbar(image, ax=ax, pad=0.02)\nbar.set_label(" << py(h.valueLabel) << ")\n";
        const auto ct = colourBarTicks(h);
        o << "bar.set_ticks(" << list(ct.values) << ", labels=" << list(withMinus(ct.labels)) << ")\n";
        o << "for r, c in "
          << "[";
        for (size_t i = 0; i < h.marked.size(); ++i)
            o << (i ? ", " : "") << "(" << h.marked[i].first << ", " << h.marked[i].second << ")";
        o << "]:\n    ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=\"black\", linewidth="
          << size.lineWidthPt * 1.2 << "))\n";
    } else {
        o << "SERIES = [  # name, kind, colour, dash, marker, hatch, markers on the line, bar width, bar offset\n";
        for (const auto& s : plot.series) {
            const auto& st = seriesStyle(s.style);
            const char* kind = s.kind == SeriesKind::Bars ? "bars" : s.kind == SeriesKind::Points ? "points" : "line";
            o << "    (" << py(s.name) << ", \"" << kind << "\", " << colour(st.rgb) << ", " << mplDash(st.dash)
              << ", \"" << mplMarker(st.marker) << "\", \"" << mplHatch(st.hatch) << "\", "
              << (s.markers ? "True" : "False") << ", " << plotNumber(s.barWidth) << ", " << plotNumber(s.barOffset)
              << "),\n";
        }
        o << "]\n";
        o << "for lo, hi, name, shade in "
          << "[";
        for (size_t i = 0; i < plot.spans.size(); ++i) {
            const auto& s = plot.spans[i];
            bool first = true; // one legend entry per name
            for (size_t j = 0; j < i; ++j)
                first = first && plot.spans[j].name != s.name;
            o << (i ? ", " : "") << "(" << plotNumber(s.from) << ", " << plotNumber(s.to) << ", "
              << py(first ? s.name : std::string()) << ", " << s.shade << ")";
        }
        o << "]:\n    ax.axvspan(lo, hi, color=\"#CFCFCF\" if shade else \"#EBEBEB\", linewidth=0, zorder=0, "
             "label=name or \"_nolegend_\")\n";
        o << "for name, kind, colour, dash, marker, hatch, markers, width, offset in SERIES:\n";
        o << "    pts = [row for row in ROWS if row[\"series\"] == name]\n";
        o << "    x = [num(p[\"x\"]) for p in pts]\n    y = [num(p[\"y\"]) for p in pts]\n";
        o << "    label = name or \"_nolegend_\"\n";
        o << "    if kind == \"bars\":\n        ax.bar([v + offset * width for v in x], y, width=width, color=colour, "
             "edgecolor=\"black\", linewidth=0.4, hatch=hatch or None, label=label, zorder=2)\n";
        o << "    elif kind == \"points\":\n        ax.plot(x, y, linestyle=\"none\", marker=marker, color=colour, "
             "markersize="
          << size.fontPt * 0.45 << ", label=label, zorder=3)\n";
        o << "    else:\n        ax.plot(x, y, linestyle=dash, marker=marker if markers else None, color=colour, "
             "linewidth="
          << size.lineWidthPt << ", markersize=" << size.fontPt * 0.45 << ", label=label, zorder=3)\n";
        o << "    have = [p for p in pts if p[\"low\"] != \"\"]\n    if have:\n";
        o << "        xs = [num(p[\"x\"]) + (offset * width if kind == \"bars\" else 0) for p in have]\n";
        o << "        ys = [num(p[\"y\"]) for p in have]\n";
        o << "        err = [[v - num(p[\"low\"]) for v, p in zip(ys, have)], [num(p[\"high\"]) - v for v, p in "
             "zip(ys, "
             "have)]]\n";
        o << "        ax.errorbar(xs, ys, yerr=err, fmt=\"none\", ecolor=\"black\" if kind == \"bars\" else colour, "
             "elinewidth=0.5, capsize=1.5, zorder=4)\n";
        o << "for y, name in [";
        for (size_t i = 0; i < plot.references.size(); ++i)
            o << (i ? ", " : "") << "(" << plotNumber(plot.references[i].y) << ", " << py(plot.references[i].name)
              << ")";
        o << "]:\n    ax.axhline(y, color=\"#666666\", linewidth=" << size.lineWidthPt * 0.7
          << ", zorder=1, label=name or \"_nolegend_\")\n";
        o << "ax.grid(axis=\"y\", color=\"#E0E0E0\", linewidth=0.3)\nax.set_axisbelow(True)\n";
        o << "handles, labels = ax.get_legend_handles_labels()\n";
        o << "if handles:\n    ax.legend(loc=\"lower center\", bbox_to_anchor=(0.5, 1.0), ncol="
          << legendColumns(plot, size) << ", frameon=False)\n";
        o << "ax.set_xlim(" << plotNumber(r.xMin) << ", " << plotNumber(r.xMax) << ")\n";
        o << "ax.set_ylim(" << plotNumber(r.yMin) << ", " << plotNumber(r.yMax) << ")\n";
    }
    const bool numericX = !plot.heatmap && plot.x.categories.empty(),
               numericY = !plot.heatmap && plot.y.categories.empty();
    o << "ax.set_xticks(" << list(xt.values) << ", labels=" << list(numericX ? withMinus(xt.labels) : xt.labels)
      << ")\n";
    o << "ax.set_yticks(" << list(yt.values) << ", labels=" << list(numericY ? withMinus(yt.labels) : yt.labels)
      << ")\n";
    if (verticalXLabels(xt, size))
        o << "ax.tick_params(axis=\"x\", labelrotation=90)\n";
    o << "ax.set_xlabel(" << py(plot.x.label) << ")\nax.set_ylabel(" << py(plot.y.label) << ")\n";
    o << "out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, " << py(plot.name + "-matplotlib.pdf")
      << ")\n";
    o << "fig.savefig(out, dpi=300)\nprint(\"wrote\", out)\n";
    return o.str();
}

} // namespace mlpify::core
