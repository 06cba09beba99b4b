#include "core/error.h"
#include "core/plot/plot.h"
#include "core/plot/plot_writers.h"
#include "core/plot/ticks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace mlpify;

namespace {

std::vector<std::string> labels(double lo, double hi, bool integer = false, int target = 5)
{
    return core::niceTicks(lo, hi, target, integer).labels;
}

using Labels = std::vector<std::string>;

} // namespace

TEST(Ticks, RoundNumbersWithTheFewestDigits)
{
    // Throughput: whole hundreds, no ".0".
    EXPECT_EQ(labels(2000, 4000), (Labels{"2000", "2500", "3000", "3500", "4000"}));
    // Epochs 1 and 2 on an axis padded half an epoch each side: whole epochs only.
    EXPECT_EQ(labels(0.4, 2.6, true), (Labels{"1", "2"}));
    EXPECT_EQ(labels(0.5, 1.5, true), (Labels{"1"}));
    // Blocks 0..11: every other block.
    EXPECT_EQ(labels(-0.5, 11.5, true), (Labels{"0", "2", "4", "6", "8", "10"}));
    // Lambda from 0 to 1: one decimal, the step's.
    EXPECT_EQ(labels(0, 1), (Labels{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
    // Negative ranges, and a zero that is never "-0".
    EXPECT_EQ(labels(-3.7, -1.2), (Labels{"-3.5", "-3.0", "-2.5", "-2.0", "-1.5"}));
    EXPECT_EQ(labels(-1, 1), (Labels{"-1.0", "-0.5", "0.0", "0.5", "1.0"}));
    EXPECT_EQ(labels(-1, 1, false, 3), (Labels{"-1", "0", "1"})); // fewer ticks asked: a whole step
    // A tiny range far from zero: as many decimals as tell the ticks apart, no more.
    const auto tiny = labels(1.0, 1.000000001);
    ASSERT_GE(tiny.size(), 2u);
    EXPECT_EQ(tiny.front(), "1.0000000000");
    EXPECT_EQ(tiny[1], "1.0000000002");
    // A range of one value still gets ticks around it; integer steps never fall below 1.
    EXPECT_GE(labels(5, 5).size(), 2u);
    EXPECT_EQ(core::niceTicks(0, 3, 10, true).step, 1.0);
    // Ticks are exact decimal multiples: 0.1 * 3 is 0.3, not 0.30000000000000004.
    const auto t = core::niceTicks(0, 0.5, 5);
    ASSERT_EQ(t.values.size(), 6u);
    EXPECT_EQ(t.values[3], 0.3);
    for (const auto& l : labels(-1e6, 3e6))
        EXPECT_EQ(l.find('.'), std::string::npos) << l;
}

TEST(Ticks, NiceRangeReachesWholeSteps)
{
    EXPECT_EQ(core::niceRange(2013, 3987), (std::pair<double, double>{2000, 4000}));
    EXPECT_EQ(core::niceRange(0.11, 0.93), (std::pair<double, double>{0.0, 1.0}));
    const auto [lo, hi] = core::niceRange(-3.7, -1.2);
    EXPECT_LE(lo, -3.7);
    EXPECT_GE(hi, -1.2);
}

TEST(Plot, NumbersReadBackExactly)
{
    for (double v : {0.1, 1.0 / 3.0, -2.5e-300, 6.02214076e23, 123456789.0, 0.0})
        EXPECT_EQ(std::stod(core::plotNumber(v)), v) << core::plotNumber(v);
    EXPECT_EQ(core::plotNumber(std::nan("")), "nan");
    EXPECT_EQ(core::plotNumber(2000.0), "2000");
}

TEST(Plot, PrintSizesArePhysical)
{
    const auto column = core::printSize("column");
    EXPECT_DOUBLE_EQ(column.widthIn, 3.5);
    EXPECT_NEAR(column.widthIn * 2.54, 8.9, 0.01);
    EXPECT_NEAR(core::printSize("double").widthIn * 2.54, 18.2, 0.02);
    EXPECT_GE(column.fontPt, 8.0);
    EXPECT_LE(core::printSize("double").fontPt, 10.0);
    const auto cm = core::printSize("8.9x6cm");
    EXPECT_NEAR(cm.widthIn, 3.504, 1e-3);
    EXPECT_DOUBLE_EQ(cm.fontPt, column.fontPt); // the nearest preset's font
    EXPECT_DOUBLE_EQ(core::printSize("7x3in").fontPt, core::printSize("double").fontPt);
    for (const char* bad : {"900x540", "poster", "0x2in", "3x2", "3x2inch", "100x2in"})
        EXPECT_THROW(core::printSize(bad), core::Error) << bad;
}

namespace {

core::Plot linePlot()
{
    core::Plot p;
    p.name = "entropy";
    p.x = {"block", true, {}, {}, {}};
    p.y.label = "entropy (bits)";
    core::PlotSeries a, m;
    a.name = "attention";
    m.name = "MLP";
    m.style = 1;
    for (int b = 0; b < 12; ++b) {
        a.x.push_back(b);
        a.y.push_back(1.0 / (b + 3));
        m.x.push_back(b);
        m.y.push_back(std::sqrt(b + 2.0));
    }
    a.low = a.y;
    a.high = a.y;
    for (auto& v : a.low)
        v -= 0.01;
    for (auto& v : a.high)
        v += 0.02;
    a.low[4] = std::nan(""); // no interval at block 4
    p.series = {a, m};
    p.spans = {{1.5, 2.5, "removed", 0}, {5.5, 6.5, "removed", 0}};
    p.references = {{2.0, "uniform"}};
    return p;
}

// The numbers of every table row in a pgfplots picture, in order.
std::vector<std::vector<double>> texRows(const std::string& tex)
{
    std::vector<std::vector<double>> rows;
    std::istringstream in(tex);
    std::string line;
    bool inTable = false;
    while (std::getline(in, line)) {
        if (line.find("row sep=\\\\] {") != std::string::npos) {
            inTable = true;
            continue;
        }
        if (line == "};") {
            inTable = false;
            continue;
        }
        if (!inTable)
            continue;
        std::istringstream words(line.substr(0, line.rfind("\\\\")));
        std::vector<double> row;
        for (std::string w; words >> w;)
            row.push_back(w == "nan" ? std::nan("") : std::stod(w));
        rows.push_back(row);
    }
    return rows;
}

std::vector<std::vector<std::string>> csvRows(const std::string& csv)
{
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (char c : line) {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted) {
                cells.push_back(cell);
                cell.clear();
            } else
                cell += c;
        }
        cells.push_back(cell);
        rows.push_back(cells);
    }
    return rows;
}

} // namespace

TEST(Plot, TexTablesHoldTheCsvNumbers)
{
    const auto p = linePlot();
    const auto tex = core::pgfplotsPicture(p, core::printSize("column"));
    const auto csv = csvRows(core::plotCsv(p));
    const auto tables = texRows(tex);
    ASSERT_EQ(tables.size(), csv.size());
    for (size_t i = 0; i < csv.size(); ++i) {
        EXPECT_EQ(tables[i][0], std::stod(csv[i][1])) << i;
        EXPECT_EQ(tables[i][1], std::stod(csv[i][2])) << i;
        if (!csv[i][3].empty()) { // an interval: the same low and high
            ASSERT_EQ(tables[i].size(), 4u);
            EXPECT_EQ(tables[i][2], std::stod(csv[i][3]));
            EXPECT_EQ(tables[i][3], std::stod(csv[i][4]));
        }
    }
    EXPECT_EQ(csv[4][3], ""); // block 4 has no interval in the CSV
    // The same ticks in the TeX as MLPify draws, the axis ends from plotRanges.
    EXPECT_NE(tex.find("xtick={0,5,10},"), std::string::npos) << tex;
    EXPECT_NE(tex.find("xticklabels={{$0$},{$5$},{$10$}}"), std::string::npos) << tex;
    EXPECT_NE(tex.find("Data as in entropy-data.csv"), std::string::npos) << tex;
    EXPECT_NE(tex.find("xmin=-0.5, xmax=11.5"), std::string::npos) << tex;
    // One legend entry per span name, after the series and the reference line.
    const auto legend = core::legendEntries(p);
    ASSERT_EQ(legend.size(), 4u);
    EXPECT_EQ(legend[2].name, "uniform");
    EXPECT_EQ(legend[3].name, "removed");
    EXPECT_EQ(std::count(tex.begin(), tex.end(), '\n') > 20, true);
    const auto doc = core::pgfplotsDocument(p, core::printSize("column"));
    EXPECT_EQ(doc.rfind("\\documentclass{standalone}", 0), 0u);
    EXPECT_NE(doc.find(tex), std::string::npos); // the \input-able picture is the document's body
}

TEST(Plot, HeatmapCsvAndTexAgreeCellByCell)
{
    core::Plot p;
    p.name = "nose-path";
    core::PlotHeatmap h;
    h.values = {{0.5, std::nan(""), -0.25}, {1e-7, 2.0, -3.0}};
    h.rowLabels = {"1", "2"};
    h.columnLabels = {"a_b", "c", "d"};
    h.diverging = true;
    h.marked = {{1, 1}};
    p.heatmap = h;
    EXPECT_EQ(core::plotCsv(p), "row,column,value\n0,0,0.5\n0,1,nan\n0,2,-0.25\n1,0,1e-07\n1,1,2\n1,2,-3\n");
    const auto tex = core::pgfplotsPicture(p, core::printSize("column"));
    const auto rows = texRows(tex);
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[3][2], 1e-7);
    EXPECT_TRUE(std::isnan(rows[1][2]));
    EXPECT_NE(tex.find("{a\\_b}"), std::string::npos) << "labels are escaped for TeX";
    EXPECT_NE(tex.find("point meta min=-3, point meta max=3"), std::string::npos) << "symmetric about 0";
    EXPECT_EQ(core::heatmapRange(h), (std::pair<double, double>{-3.0, 3.0}));
    h.diverging = false;
    EXPECT_EQ(core::heatmapRange(h), (std::pair<double, double>{-3.0, 2.0}));
}

TEST(Plot, TexLabelsSpellGreekAndSymbolsInMathMode)
{
    // pdflatex stops at a Greek letter in text: labels reach TeX in math mode.
    auto p = linePlot();
    p.x.label = "normalised frequency (1 = \xCF\x80)";
    p.y.label = "\xCE\x94 log amplitude, dilution \xCE\xBB";
    p.series[0].name = "caf\xC3\xA9 \xE2\x88\x92 \xE4\xB8\xAD \xFF";
    const auto tex = core::pgfplotsPicture(p, core::printSize("column"));
    EXPECT_NE(tex.find("xlabel={normalised frequency (1 = $\\pi$)}"), std::string::npos) << tex;
    EXPECT_NE(tex.find("ylabel={$\\Delta$ log amplitude, dilution $\\lambda$}"), std::string::npos) << tex;
    // Latin-1 letters stay (T1 and UTF-8 input set them); a CJK glyph and a stray byte become '?'.
    EXPECT_NE(tex.find("{caf\xC3\xA9 $-$ ? ?}"), std::string::npos) << tex;
    size_t nonAscii = 0;
    for (unsigned char c : tex)
        nonAscii += c >= 0x80;
    EXPECT_EQ(nonAscii, 2u) << "the two bytes of the e-acute";
}

TEST(Plot, MatplotlibScriptReadsItsCsvWithTheSameTicksAndRanges)
{
    const auto p = linePlot();
    const auto py = core::matplotlibScript(p, core::printSize("double"), "entropy-data.csv");
    EXPECT_NE(py.find("\"entropy-data.csv\""), std::string::npos);
    EXPECT_NE(py.find("figsize=(7.16, 3)"), std::string::npos) << py;
    EXPECT_NE(py.find("ax.set_xticks([0, 2, 4, 6, 8, 10]"), std::string::npos) << py;
    EXPECT_NE(py.find("ax.set_xlim(-0.5, 11.5)"), std::string::npos) << py;
    EXPECT_NE(py.find("\"#0072B2\""), std::string::npos) << "Okabe-Ito blue for the first series";
}

TEST(Plot, RangesFollowTheData)
{
    auto p = linePlot();
    auto r = core::plotRanges(p);
    EXPECT_EQ(r.xMin, -0.5);
    EXPECT_EQ(r.xMax, 11.5);
    EXPECT_LE(r.yMin, 1.0 / 14);
    EXPECT_GE(r.yMax, std::sqrt(13.0));
    p.y.min = 0.0;
    p.y.max = 5.0;
    r = core::plotRanges(p);
    EXPECT_EQ(r.yMin, 0.0);
    EXPECT_EQ(r.yMax, 5.0);
    // Bars start at 0.
    core::Plot bars;
    core::PlotSeries s;
    s.kind = core::SeriesKind::Bars;
    s.x = {0, 1};
    s.y = {91, 93};
    bars.series = {s};
    bars.x.categories = {"a", "b"};
    r = core::plotRanges(bars);
    EXPECT_EQ(r.yMin, 0.0);
    EXPECT_EQ(r.xMin, -0.5);
    EXPECT_EQ(r.xMax, 1.5);
}

TEST(Plot, SeriesStylesDifferInMoreThanColour)
{
    for (int a = 0; a < core::kSeriesStyles; ++a)
        for (int b = a + 1; b < core::kSeriesStyles; ++b) {
            const auto &sa = core::seriesStyle(a), &sb = core::seriesStyle(b);
            EXPECT_NE(std::string(sa.marker), std::string(sb.marker));
            EXPECT_NE(std::string(sa.hatch), std::string(sb.hatch));
        }
    EXPECT_EQ(core::seriesStyle(core::kSeriesStyles).rgb, core::seriesStyle(0).rgb);
}
