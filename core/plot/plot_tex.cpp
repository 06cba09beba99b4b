#include "core/plot/plot_writers.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace mlpify::core {

namespace {

// Math-mode spellings of the non-ASCII characters labels use; LaTeX's default
// UTF-8 input covers Latin-1 letters but not Greek or mathematical symbols.
struct TexSymbol {
    char32_t codePoint;
    const char* tex;
};
constexpr TexSymbol kTexSymbols[] = {
    {U'\u03B1', "$\\alpha$"},   {U'\u03B2', "$\\beta$"},  {U'\u03B3', "$\\gamma$"},  {U'\u03B4', "$\\delta$"},
    {U'\u03B5', "$\\epsilon$"}, {U'\u03B8', "$\\theta$"}, {U'\u03BB', "$\\lambda$"}, {U'\u03BC', "$\\mu$"},
    {U'\u03C0', "$\\pi$"},      {U'\u03C1', "$\\rho$"},   {U'\u03C3', "$\\sigma$"},  {U'\u03C4', "$\\tau$"},
    {U'\u03C6', "$\\phi$"},     {U'\u0394', "$\\Delta$"}, {U'\u03A3', "$\\Sigma$"},  {U'\u2212', "$-$"},
    {U'\u00D7', "$\\times$"},   {U'\u00B7', "$\\cdot$"},  {U'\u00B1', "$\\pm$"},     {U'\u2264', "$\\leq$"},
    {U'\u2265', "$\\geq$"},     {U'\u2192', "$\\to$"},    {U'\u2013', "--"},         {U'\u2014', "---"},
    {U'\u00B0', "$^\\circ$"},
};

// Decodes one UTF-8 sequence at s[i]; returns its length (1 for a stray byte).
size_t decodeUtf8(const std::string& s, size_t i, char32_t& cp)
{
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    if (n == 1 || i + n > s.size()) {
        cp = b;
        return 1;
    }
    cp = b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return n;
}

std::string texEscape(const std::string& s)
{
    std::string out;
    for (size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (static_cast<unsigned char>(c) >= 0x80) {
            char32_t cp = 0;
            const size_t n = decodeUtf8(s, i, cp);
            const TexSymbol* known = nullptr;
            for (const TexSymbol& t : kTexSymbols)
                if (t.codePoint == cp)
                    known = &t;
            if (known)
                out += known->tex;
            else if (n == 2 && cp >= 0xA0 && cp <= 0xFF)
                out += s.substr(i, n); // Latin-1 letters compile with T1 and UTF-8 input
            else
                out += '?'; // no glyph in the standard LaTeX fonts
            i += n;
            continue;
        }
        ++i;
        switch (c) {
        case '\\':
            out += "\\textbackslash{}";
            break;
        case '{':
        case '}':
        case '%':
        case '&':
        case '#':
        case '$':
        case '_':
            out += std::string("\\") + c;
            break;
        case '~':
            out += "\\textasciitilde{}";
            break;
        case '^':
            out += "\\textasciicircum{}";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string pt(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fpt", v);
    return buf;
}

std::string colourName(int style)
{
    return "mlpify" + std::string(1, static_cast<char>('A' + style % kSeriesStyles));
}

std::string hex(unsigned rgb)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06X", rgb & 0xFFFFFFu);
    return buf;
}

const char* texMarker(const std::string& m)
{
    if (m == "square")
        return "square*";
    if (m == "triangle")
        return "triangle*";
    if (m == "diamond")
        return "diamond*";
    if (m == "pentagon")
        return "pentagon*";
    if (m == "star")
        return "star";
    return "*";
}

const char* texDash(const std::string& d)
{
    if (d == "dashed")
        return "dash pattern=on 3pt off 1.5pt";
    if (d == "dotted")
        return "dash pattern=on 0.8pt off 1.2pt";
    if (d == "dashdotted")
        return "dash pattern=on 3pt off 1.2pt on 0.8pt off 1.2pt";
    return "solid";
}

// Numbers in math mode, for a true minus sign.
std::string tickLabel(const std::string& label, bool numeric)
{
    return numeric ? "$" + label + "$" : texEscape(label);
}

void tickOptions(std::ostringstream& o, const char* axis, const Ticks& t, bool rotate, bool numeric)
{
    o << "  " << axis << "tick={";
    for (size_t i = 0; i < t.values.size(); ++i)
        o << (i ? "," : "") << plotNumber(t.values[i]);
    o << "},\n  " << axis << "ticklabels={";
    for (size_t i = 0; i < t.labels.size(); ++i)
        o << (i ? "," : "") << "{" << tickLabel(t.labels[i], numeric) << "}";
    o << "},\n";
    if (rotate)
        o << "  " << axis << "ticklabel style={rotate=90, anchor=east},\n";
}

std::string spanFill(int shade)
{
    return shade ? "black!22" : "black!9";
}

} // namespace

std::string pgfplotsPicture(const Plot& plot, const PrintSize& size)
{
    std::ostringstream o;
    const auto ranges = plotRanges(plot);
    const auto legend = legendEntries(plot);
    const int columns = legendColumns(plot, size);
    const int legendRows = legend.empty() ? 0 : static_cast<int>((legend.size() + columns - 1) / columns);
    const double widthPt = size.widthIn * 72.0;
    const double heightPt = size.heightIn * 72.0 - legendRows * size.fontPt * 1.4;
    o << "% " << plot.name << (plot.caption.empty() ? "" : ": " + plot.caption) << "\n";
    o << "% Data as in " << plot.name
      << "-data.csv; needs \\usepackage{pgfplots} (compat 1.18) and \\usetikzlibrary{patterns}.\n";
    o << "\\begin{tikzpicture}[font=\\fontsize{" << size.fontPt << "}{" << size.fontPt * 1.2 << "}\\selectfont]\n";
    for (int s = 0; s < kSeriesStyles; ++s)
        o << "\\definecolor{" << colourName(s) << "}{HTML}{" << hex(seriesStyle(s).rgb) << "}\n";
    o << "\\definecolor{mlpifyNone}{HTML}{" << hex(kNoValueRgb) << "}\n";
    o << "\\begin{axis}[\n  width=" << pt(widthPt) << ", height=" << pt(heightPt) << ",\n";
    o << "  xmin=" << plotNumber(ranges.xMin) << ", xmax=" << plotNumber(ranges.xMax)
      << ", ymin=" << plotNumber(ranges.yMin) << ", ymax=" << plotNumber(ranges.yMax) << ",\n";
    const auto xt = axisTicks(plot, true, size), yt = axisTicks(plot, false, size);
    tickOptions(o, "x", xt, verticalXLabels(xt, size), !plot.heatmap && plot.x.categories.empty());
    tickOptions(o, "y", yt, false, !plot.heatmap && plot.y.categories.empty());
    o << "  xlabel={" << texEscape(plot.x.label) << "}, ylabel={" << texEscape(plot.y.label) << "},\n";
    o << "  scaled ticks=false, tick align=outside, tick pos=left, axis line style={line width=0.5pt},\n";
    o << "  every tick/.style={black, line width=0.5pt}, major tick length=" << pt(size.fontPt * 0.35) << ",\n";
    if (plot.heatmap) {
        const auto& h = *plot.heatmap;
        const auto [lo, hi] = heatmapRange(h);
        o << "  y dir=reverse, axis on top, enlargelimits=false,\n  colormap={mlpify}{";
        for (unsigned c : colourRamp(h.diverging))
            o << "rgb255=(" << (c >> 16 & 255) << "," << (c >> 8 & 255) << "," << (c & 255) << ") ";
        o << "},\n  point meta min=" << plotNumber(lo) << ", point meta max=" << plotNumber(hi) << ",\n";
        o << "  colorbar, colorbar style={width=" << pt(size.fontPt * 0.8) << ", ylabel={" << texEscape(h.valueLabel)
          << "},\n";
        const auto ct = colourBarTicks(h);
        std::ostringstream ticks;
        tickOptions(ticks, "y", ct, false, true);
        std::string t = ticks.str();
        for (auto& ch : t)
            if (ch == '\n')
                ch = ' ';
        o << "  " << t << "},\n";
    } else {
        o << "  ymajorgrids, grid style={black!12, line width=0.3pt},\n";
        o << "  legend style={at={(0.5,1.02)}, anchor=south, draw=none, fill=none, legend columns=" << columns
          << ",\n    /tikz/every even column/.append style={column sep=" << pt(size.fontPt) << "}},\n";
        o << "  legend cell align=left,\n";
    }
    o << "]\n";
    // Shaded ranges first, behind the data.
    for (const auto& s : plot.spans)
        o << "\\fill[" << spanFill(s.shade) << "] (axis cs:" << plotNumber(s.from) << "," << plotNumber(ranges.yMin)
          << ") rectangle (axis cs:" << plotNumber(s.to) << "," << plotNumber(ranges.yMax) << ");\n";
    if (plot.heatmap) {
        const auto& v = plot.heatmap->values;
        const size_t cols = v.empty() ? 0 : v.front().size();
        for (size_t r = 0; r < v.size(); ++r) // cells without a value, grey under the matrix (which skips them)
            for (size_t c = 0; c < v[r].size(); ++c)
                if (!std::isfinite(v[r][c]))
                    o << "\\fill[mlpifyNone] (axis cs:" << c - 0.5 << "," << r - 0.5
                      << ") rectangle (axis cs:" << c + 0.5 << "," << r + 0.5 << ");\n";
        o << "\\addplot[matrix plot*, mesh/cols=" << cols << ", mesh/rows=" << v.size()
          << ", point meta=explicit, unbounded coords=jump]\n  table[x=column, y=row, meta=value, row sep=\\\\] {row "
             "column value\\\\\n";
        for (size_t r = 0; r < v.size(); ++r)
            for (size_t c = 0; c < v[r].size(); ++c)
                o << "  " << r << " " << c << " " << plotNumber(v[r][c]) << "\\\\\n";
        o << "};\n";
        for (const auto& [r, c] : plot.heatmap->marked)
            o << "\\draw[black, line width=" << pt(size.lineWidthPt * 1.2) << "] (axis cs:" << c - 0.5 << "," << r - 0.5
              << ") rectangle (axis cs:" << c + 0.5 << "," << r + 0.5 << ");\n";
    }
    for (const auto& s : plot.series) {
        const auto& st = seriesStyle(s.style);
        const std::string c = colourName(s.style);
        const bool intervals = !s.low.empty() && !s.high.empty();
        o << "\\addplot[";
        if (s.kind == SeriesKind::Bars) {
            o << "ybar, bar width=" << plotNumber(s.barWidth) << ", bar shift=" << plotNumber(s.barOffset * s.barWidth)
              << ", fill=" << c << ", draw=black, line width=0.4pt, area legend";
            if (*st.hatch)
                o << ", postaction={pattern=" << st.hatch << ", pattern color=white}";
        } else {
            o << "color=" << c << ", line width=" << pt(size.lineWidthPt);
            if (s.kind == SeriesKind::Points)
                o << ", only marks, mark=" << texMarker(st.marker);
            else {
                o << ", " << texDash(st.dash);
                o << ", mark=" << (s.markers ? texMarker(st.marker) : "none");
            }
            o << ", mark size=" << pt(size.fontPt * 0.17) << ", mark options={solid}";
        }
        if (s.name.empty())
            o << ", forget plot";
        if (intervals)
            o << ", error bars/.cd, y dir=both, y explicit, error bar style={line width=0.5pt, solid}";
        o << "]\n  table[x=x, y=y";
        if (intervals)
            o << ", y error plus expr=\\thisrow{high}-\\thisrow{y}, y error minus expr=\\thisrow{y}-\\thisrow{low}";
        o << ", row sep=\\\\] {x y" << (intervals ? " low high" : "") << "\\\\\n";
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            o << "  " << plotNumber(s.x[i]) << " " << plotNumber(s.y[i]);
            if (intervals) {
                const bool has =
                    i < s.low.size() && i < s.high.size() && std::isfinite(s.low[i]) && std::isfinite(s.high[i]);
                o << " " << plotNumber(has ? s.low[i] : s.y[i]) << " " << plotNumber(has ? s.high[i] : s.y[i]);
            }
            o << "\\\\\n";
        }
        o << "};\n";
        if (!s.name.empty())
            o << "\\addlegendentry{" << texEscape(s.name) << "}\n";
    }
    for (const auto& r : plot.references)
        o << "\\draw[black!60, line width=" << pt(size.lineWidthPt * 0.7) << "] (axis cs:" << plotNumber(ranges.xMin)
          << "," << plotNumber(r.y) << ") -- (axis cs:" << plotNumber(ranges.xMax) << "," << plotNumber(r.y) << ");\n";
    for (const auto& e : legend) {
        if (e.kind == LegendEntry::Kind::Reference)
            o << "\\addlegendimage{black!60, line width=" << pt(size.lineWidthPt * 0.7) << "}\n";
        else if (e.kind == LegendEntry::Kind::Span)
            o << "\\addlegendimage{area legend, fill=" << spanFill(plot.spans[e.index].shade) << ", draw=none}\n";
        else
            continue;
        o << "\\addlegendentry{" << texEscape(e.name) << "}\n";
    }
    o << "\\end{axis}\n\\end{tikzpicture}\n";
    return o.str();
}

std::string pgfplotsDocument(const Plot& plot, const PrintSize& size)
{
    return "\\documentclass{standalone}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n\\usepackage{pgfplots}\n"
           "\\usetikzlibrary{patterns}\n\\pgfplotsset{compat=1.18}\n\\begin{document}\n" +
           pgfplotsPicture(plot, size) + "\\end{document}\n";
}

} // namespace mlpify::core
