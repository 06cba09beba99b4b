// The views added for training, spectra and comparison show the numbers they are given.
#include "widgets/attention_map_view.h"
#include "widgets/attention_stats_view.h"
#include "widgets/colour_scale.h"
#include "widgets/compare_view.h"
#include "widgets/criteria_view.h"
#include "widgets/figure_export.h"
#include "widgets/front_view.h"
#include "widgets/line_chart_view.h"
#include "widgets/spectrum_view.h"
#include "widgets/training_view.h"

#include <QAbstractAxis>
#include <QApplication>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QChart>
#include <QFile>
#include <QLineSeries>
#include <QPainter>
#include <QScatterSeries>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QValueAxis>
#include <QXmlStreamReader>
#include <gtest/gtest.h>

#include <cmath>

using namespace mlpify;

TEST(LineChartView, GrowsWithTheDataAndSkipsNonFiniteValues)
{
    widgets::LineChartView chart("t", "x", "y");
    const int a = chart.addSeries("a", Qt::blue);
    chart.append(a, 1, 5);
    chart.append(a, 2, std::nan(""));
    chart.append(a, 3, 9);
    EXPECT_EQ(chart.pointCount(a), 2);
    EXPECT_EQ(chart.lastPoint(a), QPointF(3, 9));
    auto* y = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).first());
    EXPECT_LE(y->min(), 5.0);
    EXPECT_GE(y->max(), 9.0);
    chart.setPoints(a, {{0, -1}, {1, INFINITY}, {2, 2}});
    EXPECT_EQ(chart.pointCount(a), 2);
    EXPECT_LE(y->min(), -1.0);
}

TEST(TrainingView, PlotsStepsAndEpochsAsReported)
{
    widgets::TrainingView view;
    view.addStep(1, 10, 2.5, 0.9, 300);
    view.addStep(2, 10, 2.0, 0.8, 310);
    view.addEpoch(1, 0.75, 0.7, 0.8);
    EXPECT_EQ(view.lossChart()->pointCount(0), 2);
    EXPECT_EQ(view.lossChart()->lastPoint(0), QPointF(2, 2.0));
    EXPECT_EQ(view.lambdaChart()->lastPoint(0), QPointF(2, 0.8));
    EXPECT_EQ(view.speedChart()->lastPoint(0), QPointF(2, 310));
    EXPECT_NEAR(view.accuracyChart()->lastPoint(0).y(), 70.0, 1e-9); // test top-1, in percent
    EXPECT_NEAR(view.accuracyChart()->lastPoint(1).y(), 75.0, 1e-9); // train top-1
    view.clear();
    EXPECT_EQ(view.lossChart()->pointCount(0), 0);
}

namespace {
core::SpectrumResult spectrum(double scale)
{
    core::SpectrumResult r;
    for (int b = 0; b < 3; ++b)
        r.blocks.push_back({b, {0.0, 0.5, 1.0}, {0.0, -scale * (b + 1), -2 * scale * (b + 1)}});
    return r;
}
} // namespace

TEST(SpectrumView, ShowsTheChosenBlockBeforeAndAfter)
{
    widgets::SpectrumView view;
    const auto slim = spectrum(0.5);
    view.setSpectra(spectrum(1.0), &slim);
    EXPECT_EQ(view.shownBlock(), 2); // the last block by default
    ASSERT_EQ(view.chart()->seriesCount(), 2);
    EXPECT_EQ(view.chart()->lastPoint(0), QPointF(1.0, -6.0));
    EXPECT_EQ(view.chart()->lastPoint(1), QPointF(1.0, -3.0));
    view.showBlock(-1);
    EXPECT_EQ(view.chart()->seriesCount(), 6); // every block, original and slimmed
    view.showBlock(0);
    EXPECT_EQ(view.chart()->lastPoint(0), QPointF(1.0, -2.0));
}

TEST(CompareView, TabulatesBothModelsAndTheirRatio)
{
    widgets::CompareView view;
    view.setModels(
        {{"original", 0.9017, 343114, 0.0390, 600.0, 30.0}, {"slimmed", 0.8707, 286090, 0.0306, 900.0, 24.0}});
    ASSERT_EQ(view.rowCount(), 5);
    EXPECT_EQ(view.cell(0, 1), "90.17%");
    EXPECT_EQ(view.cell(0, 2), "87.07%");
    EXPECT_EQ(view.cell(1, 3), "0.834");
    EXPECT_EQ(view.cell(3, 3), "1.500");
    EXPECT_EQ(view.cell(4, 3), "0.800");
}

TEST(CompareView, ExportsAnSvgThatParses)
{
    widgets::CompareView view;
    view.setModels({{"original", 0.9, 100, 1, 10, 5}, {"slimmed", 0.89, 80, 0.8, 12, 4}});
    QTemporaryDir dir;
    const QString path = dir.filePath("compare.svg");
    ASSERT_TRUE(widgets::exportFigure(*view.chartView(), path, QSize(800, 500), 96).isEmpty());
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    QXmlStreamReader xml(&f);
    bool sawSvg = false;
    while (!xml.atEnd())
        if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("svg"))
            sawSvg = true;
    EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
    EXPECT_TRUE(sawSvg);
}

TEST(ChartTheme, ChartsFollowTheApplicationPaletteThemselves)
{
    widgets::LineChartView chart("t", "x", "y");
    widgets::CompareView compare;
    compare.setModels({{"original", 0.9, 100, 0.5, 10, 3}, {"slimmed", 0.8, 80, 0.4, 12, -1}}); // a new chart
    const QPalette before = QApplication::palette();
    QPalette dark = before;
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    QApplication::setPalette(dark);
    QApplication::processEvents();
    for (QChart* c : {chart.chart(), compare.chartView()->chart()}) {
        EXPECT_EQ(c->backgroundBrush().color(), QColor(0x1e, 0x1e, 0x1e));
        EXPECT_EQ(c->titleBrush().color(), QColor(0xe6, 0xe6, 0xe6));
        for (auto* axis : c->axes())
            EXPECT_EQ(axis->labelsBrush().color(), QColor(0xe6, 0xe6, 0xe6));
    }
    QApplication::setPalette(before);
    QApplication::processEvents();
    EXPECT_EQ(chart.chart()->backgroundBrush().color(), before.color(QPalette::Base));
}

namespace {
mlpify::core::FrontPoint point(const char* label, int64_t r, double top1, double ips)
{
    mlpify::core::FrontPoint p;
    p.model = std::string(label) + ".mlpify";
    p.label = label;
    p.r = r;
    p.top1 = top1;
    p.imagesPerSecond = ips;
    return p;
}
} // namespace

TEST(FrontView, DrawsTheParetoFrontThroughThePointsNoOtherBeats)
{
    using mlpify::core::paretoFront;
    // (top-1, images/s): b beats c on both; a and d and e trade one for the other; e equals d.
    const std::vector<mlpify::core::FrontPoint> points = {
        point("original", 0, 0.90, 100), point("original", 1, 0.89, 150), point("slimmed", 0, 0.88, 140),
        point("slimmed", 1, 0.86, 200), point("slimmed", 2, 0.86, 200)};
    EXPECT_EQ(paretoFront(points), (std::vector<size_t>{0, 1, 3, 4}));
    EXPECT_TRUE(paretoFront({}).empty());
    const auto csv = mlpify::core::frontCsv(points);
    EXPECT_NE(csv.find("\"slimmed.mlpify\",slimmed,0,0.88,140,0,0,0,0\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find("\"original.mlpify\",original,1,0.89,150,0,0,0,1\n"), std::string::npos) << csv;

    mlpify::widgets::FrontView view;
    view.setPoints(points);
    QLineSeries* front = nullptr;
    int scatters = 0;
    for (auto* s : view.chartView()->chart()->series()) {
        if (auto* line = qobject_cast<QLineSeries*>(s); line && !qobject_cast<QScatterSeries*>(s))
            front = line;
        scatters += qobject_cast<QScatterSeries*>(s) ? 1 : 0;
    }
    ASSERT_NE(front, nullptr);
    EXPECT_EQ(scatters, 2); // one per model
    ASSERT_EQ(front->count(), 4);
    EXPECT_EQ(front->at(0), QPointF(100, 90));
    EXPECT_EQ(front->at(3), QPointF(200, 86));
    EXPECT_TRUE(view.describe(3).contains("ToMe r = 1")) << view.describe(3).toStdString();
    int chosen = -2;
    QObject::connect(&view, &mlpify::widgets::FrontView::pointChosen, [&chosen](int i) { chosen = i; });
    view.choose(2);
    EXPECT_EQ(chosen, 2);
    EXPECT_EQ(view.chosen(), 2);
}

TEST(CriteriaView, ShowsEachCriterionWithItsIntervalStabilityAndDilution)
{
    mlpify::core::CriteriaComparison c;
    c.count = 2;
    c.calibrationImages = 100;
    c.testImages = 500;
    c.units = "bits";
    mlpify::core::CriterionRow a;
    a.method = "nose";
    a.selected = {6, 2};
    a.transferEntropy = 0.5;
    a.teLow = 0.25;
    a.teHigh = 0.75;
    a.skipTop1 = 0.662;
    a.doubleTop1 = 0.4707;
    a.stabilityResamples = 10;
    a.chosenSetShare = 0.4;
    a.dilutedTop1 = 0.8707;
    auto b = a;
    b.method = "first";
    b.selected = {0, 1};
    b.transferEntropy = 5.5;
    b.teLow = b.teHigh = std::nan("");
    b.dilutedTop1.reset();
    c.rows = {a, b};
    mlpify::widgets::CriteriaView view;
    view.setComparison(c);
    EXPECT_EQ(view.cell(0, 1), "{6, 2}");
    EXPECT_EQ(view.cell(0, 3), "0.250 to 0.750");
    EXPECT_EQ(view.cell(0, 5), "47.07%");
    EXPECT_EQ(view.cell(0, 6), "40% of 10");
    EXPECT_EQ(view.cell(0, 7), "87.07%");
    EXPECT_EQ(view.cell(1, 3), "–");
    EXPECT_EQ(view.cell(1, 7), "–");
    // Bars for both training-free rules and the dilution; a TE point per method; one whisker
    // (nose's interval), on the TE axis from its low to its high end.
    int bars = 0, whiskers = 0;
    QScatterSeries* te = nullptr;
    for (auto* s : view.chartView()->chart()->series()) {
        if (auto* bar = qobject_cast<QBarSeries*>(s))
            bars = static_cast<int>(bar->count());
        else if (auto* sc = qobject_cast<QScatterSeries*>(s))
            te = sc;
        else if (auto* line = qobject_cast<QLineSeries*>(s)) {
            ++whiskers;
            ASSERT_EQ(line->count(), 2);
            EXPECT_EQ(line->at(0), QPointF(0, 0.25));
            EXPECT_EQ(line->at(1), QPointF(0, 0.75));
        }
    }
    EXPECT_EQ(bars, 4); // and the share of resamples choosing each set
    EXPECT_EQ(whiskers, 1);
    ASSERT_NE(te, nullptr);
    EXPECT_EQ(te->at(1), QPointF(1, 5.5));
    // Without a dilution or a stability run those bar sets are left out.
    for (auto& r : c.rows) {
        r.dilutedTop1.reset();
        r.stabilityResamples = 0;
    }
    view.setComparison(c);
    for (auto* s : view.chartView()->chart()->series()) {
        if (auto* bar = qobject_cast<QBarSeries*>(s)) {
            EXPECT_EQ(bar->count(), 2);
        }
    }
}

TEST(CriteriaView, ShowsPoolsAtOneBudgetWithTheirUnitsAndWhyAPoolHasNoSet)
{
    mlpify::core::CriteriaComparison c;
    c.budget = "at most 57000 parameters";
    c.calibrationImages = 100;
    c.testImages = 500;
    c.units = "bits";
    mlpify::core::CriterionRow a;
    a.method = "nose";
    a.pool = "attention";
    a.selected = {6, 2};
    a.unitNames = {"attention 6", "attention 2"};
    a.transferEntropy = 0.7;
    a.teLow = 0.6;
    a.teHigh = 0.8;
    a.skipTop1 = 0.662;
    a.doubleTop1 = 0.4707;
    a.paramsRemoved = 19008;
    a.flopsRemoved = 1.5e6;
    mlpify::core::CriterionRow b;
    b.method = "nose";
    b.pool = "block";
    b.note = "a budget of 10 parameters is below the cheapest block unit (28272)";
    c.rows = {a, b};
    mlpify::widgets::CriteriaView view;
    view.setComparison(c);
    ASSERT_EQ(view.table()->columnCount(), 11);
    EXPECT_EQ(view.table()->horizontalHeaderItem(0)->text(), "pool");
    EXPECT_EQ(view.cell(0, 0), "attention");
    EXPECT_EQ(view.cell(0, 1), "attention 6, attention 2");
    EXPECT_EQ(view.cell(0, 9), "19008");
    EXPECT_EQ(view.cell(1, 0), "block");
    EXPECT_TRUE(view.cell(1, 1).startsWith("none: a budget of 10")) << view.cell(1, 1).toStdString();
    EXPECT_EQ(view.cell(1, 9), "–");
    EXPECT_TRUE(view.chartView()->chart()->title().contains("at most 57000 parameters"));
    for (auto* s : view.chartView()->chart()->series())
        if (auto* te = qobject_cast<QScatterSeries*>(s)) { // no point for the pool without a set
            ASSERT_EQ(te->count(), 1);
            EXPECT_EQ(te->at(0), QPointF(0, 0.7));
        }
    // What Compare Criteria runs: the attention criteria, or the pools by parameters or FLOPs.
    EXPECT_EQ(view.budgetKind(), "");
    view.setBudgetKind("flops");
    EXPECT_EQ(view.budgetKind(), "flops");
    view.setPoolMethod("greedy-loss");
    EXPECT_EQ(view.poolMethod(), "greedy-loss");
    view.setPoolMethod("all");
    EXPECT_EQ(view.poolMethod(), "all");
    // A comparison read back from a project sets the menus to what it compared; crossed pools and
    // methods get short names on the chart and full ones in the table.
    c.settings = {{"budget", {{"count", 0}, {"flops", 0.0}, {"params", 57000}}}, {"methods", {"nose", "influence"}}};
    c.rows[1].method = "influence";
    view.setBudgetKind("");
    view.setPoolMethod("angular");
    view.setComparison(c);
    EXPECT_EQ(view.budgetKind(), "params");
    EXPECT_EQ(view.poolMethod(), "all");
    EXPECT_EQ(view.cell(1, 0), "block, influence");
    const auto axes = view.chartView()->chart()->axes(Qt::Horizontal);
    ASSERT_EQ(axes.size(), 1);
    auto* x = qobject_cast<QBarCategoryAxis*>(axes.front());
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->categories(), (QStringList{"attn NOSE", "block infl."}));
    EXPECT_TRUE(x->titleText().contains("infl.: influence")) << x->titleText().toStdString();
    c.settings["budget"] = {{"count", 0}, {"flops", 3e6}, {"params", 0}};
    c.settings["methods"] = {"angular"};
    view.setComparison(c);
    EXPECT_EQ(view.budgetKind(), "flops");
    EXPECT_EQ(view.poolMethod(), "angular");
}

TEST(AttentionMapView, ClicksFindThePatchOrTheSpecialTokenUnderThemAndThePaintShowsTheMap)
{
    const auto l = widgets::AttentionMapLayout::compute(QRect(0, 0, 600, 440), 7, 5);
    EXPECT_EQ(l.image.width(), l.image.height());
    for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 7; ++c)
            EXPECT_EQ(l.patchAt(l.patch(r, c).center()), std::make_pair(r, c));
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(l.specialAt(l.specialCell(i).center()), i);
    EXPECT_FALSE(l.patchAt(l.specialCell(0).center()));
    EXPECT_FALSE(l.specialAt(l.patch(0, 0).center()));
    EXPECT_FALSE(l.special.intersects(l.image)); // the special tokens beside the grid, not in it

    core::AttentionMap m;
    m.layout = {{"class", "register 1"}, 2, 14};
    m.special = {0.5, 0.1};
    m.patches = {0.0, 0.4, 0.0, 0.0};
    m.queryName = "class";
    QImage out(600, 440, QImage::Format_RGB32);
    QPainter p(&out);
    widgets::paintAttentionMap(p, out.rect(), m, QImage());
    p.end();
    // Without an image the cells are the scale's colours: the hottest patch is the top colour.
    const auto g = widgets::AttentionMapLayout::compute(out.rect(), 2, 2);
    const QColor hot = out.pixelColor(g.patch(0, 1).center()), cold = out.pixelColor(g.patch(1, 1).center());
    EXPECT_EQ(hot, widgets::ColourScale(0.0, 0.4).colour(0.4));
    EXPECT_EQ(cold, widgets::ColourScale(0.0, 0.4).colour(0.0));
}

TEST(AttentionStatsView, DrawsHeadsAndMeansPerModelAndShadesTheMarkedBlocks)
{
    core::AttentionStatistics s;
    s.images = 3;
    s.layout = {{"class"}, 7, 4};
    s.maxEntropy = std::log(50.0);
    for (int64_t b = 0; b < 3; ++b) {
        core::BlockAttentionStats x;
        x.block = b;
        x.distance = {{1.0 + b, 2.0 + b, 3.0 + b}, {0.1, 0.1, 0.1}};
        x.entropy = {{1.0, 2.0, 3.0}, {0.1, 0.1, 0.1}};
        x.meanDistance = 2.0 + b;
        s.blocks.push_back(x);
    }
    widgets::AttentionStatsView view;
    view.setStatistics(s);
    EXPECT_EQ(view.seriesCount(), 3); // heads, their mean, and what uniform attention gives
    auto* heads = qobject_cast<QScatterSeries*>(view.chart()->series().at(0));
    ASSERT_NE(heads, nullptr);
    EXPECT_EQ(heads->count(), 9); // three heads of three blocks
    view.setStatistics(s, &s);
    view.setMarkedBlocks({0, 2}, "NOSE's set");
    EXPECT_EQ(view.seriesCount(), 6);
    view.setMetric(widgets::AttentionMetric::Entropy);
    EXPECT_EQ(view.seriesCount(), 6);
    auto* y = qobject_cast<QValueAxis*>(view.chart()->axes(Qt::Vertical).first());
    EXPECT_GE(y->max(), std::log(50.0));
}
