// A figure as plain data: axes, series, shaded ranges and heatmaps, with the print sizes a paper
// uses. One Plot is drawn to PDF/SVG/PNG (widgets/print_figure.h), written as pgfplots TeX and as
// a matplotlib script (plot_writers.h), and its numbers as CSV, so every form shows the same data.
#pragma once

#include "core/plot/ticks.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlpify::core {

struct PlotAxis {
    std::string label;                   // with the unit: "entropy (bits)"
    bool integer = false;                // blocks, steps, epochs: integer ticks only
    std::optional<double> min, max;      // fixed ends; otherwise from the data
    std::vector<std::string> categories; // a categorical axis: positions 0..n-1 carry these names
};

enum class SeriesKind { Line, Points, Bars };

struct PlotSeries {
    std::string name; // the legend entry
    SeriesKind kind = SeriesKind::Line;
    std::vector<double> x, y;
    std::vector<double> low, high; // optional interval of each point (error bars); NaN: none
    int style = 0;                 // a palette entry: colour, dash and marker together
    bool markers = true;           // lines: a marker on every point
    double barWidth = 0.8;         // bars: width in x units
    double barOffset = 0.0;        // bars: shift from the x position, in bar widths
};

// A shaded x range (e.g. the layers a method removes); ranges with the same name are one legend entry.
struct PlotSpan {
    double from = 0.0, to = 0.0;
    std::string name;
    int shade = 0; // 0: light, 1: darker (reads apart in greyscale)
};

// A horizontal reference line (e.g. what uniform attention gives).
struct PlotReference {
    double y = 0.0;
    std::string name;
};

struct PlotHeatmap {
    std::vector<std::vector<double>> values; // rows x columns, row 0 drawn at the top; NaN: no value
    std::vector<std::string> rowLabels, columnLabels;
    std::string valueLabel;                  // the colour bar's label, with the unit
    bool diverging = false;                  // a blue-white-red ramp centred on 0; otherwise viridis
    std::vector<std::pair<int, int>> marked; // (row, column) cells outlined
};

struct Plot {
    std::string name;    // the file stem: entropy, nose-path, ...
    std::string caption; // what the figure shows; written beside it, not drawn on it
    PlotAxis x, y;
    std::vector<PlotSeries> series;
    std::vector<PlotSpan> spans;
    std::vector<PlotReference> references;
    std::optional<PlotHeatmap> heatmap; // when set, x and y label its columns and rows
};

// A printed size: the figure's width and height and the font size a journal prints at that width.
struct PrintSize {
    std::string name;
    double widthIn = 3.5, heightIn = 2.4;
    double fontPt = 8.0;
    double lineWidthPt = 1.0;
};
// "column" (3.5 in, 8.9 cm), "double" (7.16 in, 18.2 cm) and "slide" (10 in, 16:9).
const std::vector<PrintSize>& printSizes();
// A preset by name, or WxHin / WxHcm (0.5 to 40 in a side) with the font of the preset nearest in
// width; throws core::Error naming the choices otherwise.
PrintSize printSize(const std::string& spec);

// The palette: Okabe and Ito's colour-blind-safe colours, each with its own dash pattern and marker
// so that series differ in greyscale too.
struct SeriesStyle {
    unsigned rgb;       // 0xRRGGBB
    const char* dash;   // "solid", "dashed", "dotted", "dashdotted"
    const char* marker; // "circle", "square", "triangle", "diamond", "pentagon", "star"
    const char* hatch;  // bars: "", "north east lines", "dots", "crosshatch", "horizontal lines", "north west lines"
};
const SeriesStyle& seriesStyle(int style);
constexpr int kSeriesStyles = 6;

// The heatmap ramps, from low to high: viridis, and blue-white-red for signed values.
const std::vector<unsigned>& colourRamp(bool diverging);
constexpr unsigned kNoValueRgb = 0xE1E1E1; // a heatmap cell without a value
// A heatmap's colour range: the finite values' range, symmetric about 0 when diverging.
std::pair<double, double> heatmapRange(const PlotHeatmap& heatmap);

// The legend, in its order: named series, then reference lines, then each span name once.
struct LegendEntry {
    enum class Kind { Series, Reference, Span } kind;
    int index; // into series, references or spans
    std::string name;
};
std::vector<LegendEntry> legendEntries(const Plot& plot);
// Entries per legend row, from the entries' lengths and the width (the legend sits above the axes).
int legendColumns(const Plot& plot, const PrintSize& size);

// The x and y ranges the figure shows: fixed ends where the axis has them; otherwise the data's
// range, out to whole tick steps on a continuous axis and half a step beyond the ends on an
// integer or categorical one.
struct PlotRanges {
    double xMin = 0, xMax = 1, yMin = 0, yMax = 1;
};
PlotRanges plotRanges(const Plot& plot);

// The ticks of an axis at a print size: round numbers on a numeric axis, names on a categorical or
// heatmap axis (every k-th where they would crowd); the colour bar's over heatmapRange.
Ticks axisTicks(const Plot& plot, bool xAxis, const PrintSize& size);
Ticks colourBarTicks(const PlotHeatmap& heatmap);
// Whether the x tick labels, side by side, would not fit the axis at this size: then they are set vertically.
bool verticalXLabels(const Ticks& ticks, const PrintSize& size);

// The shortest text that reads back as the same double ("nan" for NaN); the one number format of
// the CSV, the TeX and the script.
std::string plotNumber(double v);

// The figure's numbers, one row per point: series,x,y,low,high (a heatmap: row,column,value).
std::string plotCsv(const Plot& plot);

} // namespace mlpify::core
