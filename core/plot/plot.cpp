#include "core/plot/plot.h"

#include "core/error.h"
#include "core/plot/ticks.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace mlpify::core {

const std::vector<PrintSize>& printSizes()
{
    // Journals print figure text at 8-10 pt: 8 pt at a column's width, 9 pt across the page.
    static const std::vector<PrintSize> sizes{
        {"column", 3.5, 2.45, 8.0, 0.9}, {"double", 7.16, 3.0, 9.0, 1.0}, {"slide", 10.0, 5.625, 16.0, 2.0}};
    return sizes;
}

PrintSize printSize(const std::string& spec)
{
    for (const auto& s : printSizes())
        if (s.name == spec)
            return s;
    // WxHin or WxHcm: the font of the preset nearest in width.
    double w = 0, h = 0;
    char unit[3] = {0, 0, 0};
    int used = 0;
    const bool parsed = std::sscanf(spec.c_str(), "%lfx%lf%2[a-z]%n", &w, &h, unit, &used) == 3 &&
                        used == static_cast<int>(spec.size()) &&
                        (std::string(unit) == "in" || std::string(unit) == "cm");
    if (!parsed || !(w > 0.5 && w <= 40 * (unit[0] == 'c' ? 2.54 : 1.0)) ||
        !(h > 0.5 && h <= 40 * (unit[0] == 'c' ? 2.54 : 1.0)))
        throw Error("figure size '" + spec + "': use column, double, slide, or WxHin / WxHcm (e.g. 3.5x2.4in)");
    if (std::string(unit) == "cm") {
        w /= 2.54;
        h /= 2.54;
    }
    const auto& sizes = printSizes();
    PrintSize out = *std::min_element(sizes.begin(), sizes.end(), [w](const PrintSize& a, const PrintSize& b) {
        return std::abs(a.widthIn - w) < std::abs(b.widthIn - w);
    });
    out.name = spec;
    out.widthIn = w;
    out.heightIn = h;
    return out;
}

const SeriesStyle& seriesStyle(int style)
{
    // Okabe & Ito (2008): blue, vermillion, bluish green, reddish purple, orange, sky blue.
    static const SeriesStyle styles[kSeriesStyles] = {{0x0072B2, "solid", "circle", ""},
                                                      {0xD55E00, "dashed", "square", "north east lines"},
                                                      {0x009E73, "dotted", "triangle", "dots"},
                                                      {0xCC79A7, "dashdotted", "diamond", "crosshatch"},
                                                      {0xE69F00, "solid", "pentagon", "horizontal lines"},
                                                      {0x56B4E9, "dashed", "star", "north west lines"}};
    return styles[((style % kSeriesStyles) + kSeriesStyles) % kSeriesStyles];
}

const std::vector<unsigned>& colourRamp(bool diverging)
{
    static const std::vector<unsigned> viridis{0x440154, 0x3B528B, 0x21918C, 0x5EC962, 0xFDE725};
    static const std::vector<unsigned> blueRed{0x2166AC, 0x92C5DE, 0xF7F7F7, 0xF4A582, 0xB2182B};
    return diverging ? blueRed : viridis;
}

std::pair<double, double> heatmapRange(const PlotHeatmap& h)
{
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& row : h.values)
        for (double v : row)
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    if (lo > hi)
        return {0.0, 1.0};
    if (h.diverging) {
        const double m = std::max({std::abs(lo), std::abs(hi), 1e-12});
        return {-m, m};
    }
    return lo == hi ? std::pair{lo - 0.5, hi + 0.5} : std::pair{lo, hi};
}

std::vector<LegendEntry> legendEntries(const Plot& plot)
{
    std::vector<LegendEntry> out;
    for (size_t i = 0; i < plot.series.size(); ++i)
        if (!plot.series[i].name.empty())
            out.push_back({LegendEntry::Kind::Series, static_cast<int>(i), plot.series[i].name});
    for (size_t i = 0; i < plot.references.size(); ++i)
        if (!plot.references[i].name.empty())
            out.push_back({LegendEntry::Kind::Reference, static_cast<int>(i), plot.references[i].name});
    for (size_t i = 0; i < plot.spans.size(); ++i) {
        const auto& name = plot.spans[i].name;
        if (!name.empty() && std::none_of(out.begin(), out.end(), [&](const LegendEntry& e) {
                return e.kind == LegendEntry::Kind::Span && e.name == name;
            }))
            out.push_back({LegendEntry::Kind::Span, static_cast<int>(i), name});
    }
    return out;
}

int legendColumns(const Plot& plot, const PrintSize& size)
{
    const auto entries = legendEntries(plot);
    if (entries.empty())
        return 1;
    size_t longest = 0;
    for (const auto& e : entries)
        longest = std::max(longest, e.name.size());
    // An entry: its sample (2 em), a gap, its text at about 0.55 em a character, and space after.
    const double entryPt = size.fontPt * (3.5 + 0.55 * static_cast<double>(longest));
    const int fit = static_cast<int>(size.widthIn * 72.0 * 0.9 / entryPt);
    return std::clamp(fit, 1, static_cast<int>(entries.size()));
}

namespace {

// Names along an axis: all of them (set vertically on x where they would not fit side by side),
// or every k-th where even a line of text each would not fit.
Ticks namedTicks(const std::vector<std::string>& names, double lengthPt, const PrintSize& size)
{
    Ticks t;
    if (names.empty())
        return t;
    const int fit = std::max(2, static_cast<int>(lengthPt / (size.fontPt * 1.3)));
    const double step = static_cast<int>(names.size()) <= fit
                            ? 1.0
                            : niceTicks(0, static_cast<double>(names.size() - 1), fit, true).step;
    t.step = step;
    for (size_t i = 0; i < names.size(); i += static_cast<size_t>(step)) {
        t.values.push_back(static_cast<double>(i));
        t.labels.push_back(names[i]);
    }
    return t;
}

struct Extent {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    void add(double v)
    {
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    bool empty() const { return lo > hi; }
};

std::pair<double, double> axisRange(const PlotAxis& axis, Extent e)
{
    std::pair<double, double> r{0.0, 1.0};
    if (!axis.categories.empty())
        r = {-0.5, static_cast<double>(axis.categories.size()) - 0.5};
    else if (!e.empty() && axis.integer)
        r = {std::floor(e.lo) - 0.5, std::ceil(e.hi) + 0.5};
    else if (!e.empty())
        r = niceRange(e.lo, e.hi);
    return {axis.min.value_or(r.first), axis.max.value_or(r.second)};
}

} // namespace

PlotRanges plotRanges(const Plot& plot)
{
    if (plot.heatmap) {
        const auto& h = *plot.heatmap;
        const double rows = static_cast<double>(h.values.size());
        const double cols = h.values.empty() ? 0.0 : static_cast<double>(h.values.front().size());
        return {-0.5, cols - 0.5, -0.5, rows - 0.5};
    }
    Extent x, y;
    for (const auto& s : plot.series) {
        for (double v : s.x)
            x.add(v);
        for (const auto* values : {&s.y, &s.low, &s.high})
            for (double v : *values)
                y.add(v);
        if (s.kind == SeriesKind::Bars)
            y.add(0.0);
    }
    for (const auto& s : plot.spans) {
        x.add(s.from);
        x.add(s.to);
    }
    for (const auto& r : plot.references)
        y.add(r.y);
    const auto [x0, x1] = axisRange(plot.x, x);
    const auto [y0, y1] = axisRange(plot.y, y);
    return {x0, x1, y0, y1};
}

Ticks axisTicks(const Plot& plot, bool xAxis, const PrintSize& size)
{
    const double lengthPt = (xAxis ? size.widthIn * 0.8 : size.heightIn * 0.65) * 72.0;
    if (plot.heatmap)
        return namedTicks(xAxis ? plot.heatmap->columnLabels : plot.heatmap->rowLabels, lengthPt, size);
    const auto& axis = xAxis ? plot.x : plot.y;
    if (!axis.categories.empty())
        return namedTicks(axis.categories, lengthPt, size);
    const auto r = plotRanges(plot);
    // About one tick per 6 (x) or 3.2 (y) font sizes of axis, 3 to 8 of them.
    const int target = std::clamp(static_cast<int>(lengthPt / (size.fontPt * (xAxis ? 6.0 : 3.2))), 3, 8);
    return xAxis ? niceTicks(r.xMin, r.xMax, target, axis.integer) : niceTicks(r.yMin, r.yMax, target, axis.integer);
}

Ticks colourBarTicks(const PlotHeatmap& heatmap)
{
    const auto [lo, hi] = heatmapRange(heatmap);
    return niceTicks(lo, hi, 5, false);
}

bool verticalXLabels(const Ticks& ticks, const PrintSize& size)
{
    size_t longest = 0;
    for (const auto& l : ticks.labels)
        longest = std::max(longest, l.size());
    // Each label about 0.55 em a character plus 0.8 em between labels, against 80% of the width.
    const double need =
        static_cast<double>(ticks.labels.size()) * size.fontPt * (0.55 * static_cast<double>(longest) + 0.8);
    return need > size.widthIn * 72.0 * 0.8;
}

std::string plotNumber(double v)
{
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string plotCsv(const Plot& plot)
{
    std::ostringstream out;
    if (plot.heatmap) {
        out << "row,column,value\n";
        const auto& v = plot.heatmap->values;
        for (size_t r = 0; r < v.size(); ++r)
            for (size_t c = 0; c < v[r].size(); ++c)
                out << r << ',' << c << ',' << plotNumber(v[r][c]) << '\n';
        return out.str();
    }
    auto quoted = [](const std::string& s) {
        std::string q = "\"";
        for (char ch : s)
            q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        return q + "\"";
    };
    out << "series,x,y,low,high\n";
    for (const auto& s : plot.series)
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            out << quoted(s.name) << ',' << plotNumber(s.x[i]) << ',' << plotNumber(s.y[i]) << ',';
            if (i < s.low.size() && i < s.high.size() && std::isfinite(s.low[i]) && std::isfinite(s.high[i]))
                out << plotNumber(s.low[i]) << ',' << plotNumber(s.high[i]);
            else
                out << ',';
            out << '\n';
        }
    return out.str();
}

} // namespace mlpify::core
