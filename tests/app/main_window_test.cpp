#include "app/gui/analysis_bar.h"
#include "app/gui/attention_panel.h"
#include "app/gui/main_window.h"
#include "app/gui/slim_panel.h"
#include "app/gui/what_if_runner.h"
#include "core/analysis/attention_maps.h"
#include "core/analysis/calibration.h"
#include "core/analysis/comparison.h"
#include "core/analysis/criteria.h"
#include "core/analysis/removal.h"
#include "core/analysis/selection_methods.h"
#include "core/analysis/stability.h"
#include "core/analysis/what_if.h"
#include "core/bench/onnx_runtime.h"
#include "core/io/model_io.h"
#include "test_config.h"
#include "tests/core/train/unusual_run.h"
#include "widgets/attention_map_view.h"
#include "widgets/attention_stats_view.h"
#include "widgets/compare_view.h"
#include "widgets/criteria_view.h"
#include "widgets/front_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/line_chart_view.h"
#include "widgets/model_summary_view.h"
#include "widgets/training_view.h"

#include <QFile>
#include <QLabel>
#include <QTemporaryDir>

#include <QApplication>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <gtest/gtest.h>

#include <fstream>

// How long a test waits for a job before it fails: an upper bound that an unoptimised ASan build
// on a loaded machine stays under, never a speed target.
constexpr int kPatienceMs = 900000;
// The longest the window's own work may hold its event loop. An unoptimised sanitizer build runs
// the window's code about ten times slower, so there the bound is ten times larger.
#if defined(__SANITIZE_ADDRESS__)
constexpr qint64 kBlockedLimitMs = 1000;
#else
constexpr qint64 kBlockedLimitMs = 100;
#endif

using namespace mlpify;

namespace {
// Shows the window on the embedded default model, as a first start does.
bool showDefault(app::MainWindow& window)
{
    window.show();
    QSignalSpy ready(&window, &app::MainWindow::modelReady);
    window.openModel("default");
    return ready.wait(kPatienceMs);
}
} // namespace

TEST(MainWindow, OpensTheDefaultModelOffTheGuiThread)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    auto* view = window.findChild<widgets::ModelSummaryView*>();
    ASSERT_NE(view, nullptr);
    EXPECT_EQ(view->blockTable()->rowCount(), 12);
    EXPECT_TRUE(view->headline().contains("Top-1")) << view->headline().toStdString();
}

TEST(MainWindow, ABadFileShowsAMessageNamingIt)
{
    app::MainWindow window;
    window.show();
    QString shown;
    // The warning is modal; read and close it from a timer.
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, [&] {
        for (auto* w : QApplication::topLevelWidgets())
            if (auto* box = qobject_cast<QMessageBox*>(w); box && box->isVisible()) {
                shown = box->text();
                box->accept();
            }
    });
    poll.start(50);
    window.openModel("/nonexistent/broken.pth");
    for (int i = 0; i < 200 && shown.isEmpty(); ++i)
        QTest::qWait(50);
    EXPECT_TRUE(shown.contains("/nonexistent/broken.pth")) << shown.toStdString();
    EXPECT_TRUE(shown.contains("no such file")) << shown.toStdString();
}

namespace {
// Nanoseconds the calling thread has spent runnable but waiting for a CPU (Linux schedstat), or
// -1 where the kernel does not say.
qint64 runQueueWaitNs()
{
    std::ifstream in("/proc/thread-self/schedstat");
    long long cpu = 0, waited = -1;
    return in >> cpu >> waited ? waited : -1;
}

// The longest gap between ticks of a 10 ms timer while it runs: how long the event loop was
// blocked. Time the GUI thread spent waiting for a CPU (another process, a loaded machine) is
// not the window's doing and is taken out, so the measure does not depend on the machine's load.
class BlockedMeter {
public:
    BlockedMeter()
    {
        QObject::connect(&m_tick, &QTimer::timeout, [this] {
            const qint64 now = m_clock.elapsed(), waited = runQueueWaitNs();
            const qint64 queued = waited >= 0 && m_waited >= 0 ? (waited - m_waited) / 1000000 : 0;
            m_worst = std::max(m_worst, now - m_last - queued);
            m_last = now;
            m_waited = waited;
        });
        m_waited = runQueueWaitNs();
        m_clock.start();
        m_tick.start(10);
    }
    qint64 worst() const { return m_worst; }

private:
    QElapsedTimer m_clock;
    QTimer m_tick;
    qint64 m_last = 0, m_worst = 0, m_waited = -1;
};

} // namespace

TEST(MainWindow, AnalysisRunsOnAWorkerAndTheEventLoopStaysResponsive)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    QSignalSpy done(&window, &app::MainWindow::analysisFinished);
    BlockedMeter meter;
    window.startAnalysis(); // uses the saved calibration size; small in the test settings
    ASSERT_TRUE(done.wait(kPatienceMs));
    EXPECT_TRUE(done.first().first().toBool());
    EXPECT_LT(meter.worst(), kBlockedLimitMs) << "the event loop was blocked for " << meter.worst() << " ms";
    auto* heat = window.findChild<widgets::HeatmapView*>();
    ASSERT_NE(heat, nullptr);
    EXPECT_FALSE(heat->data().values.empty());
    EXPECT_FALSE(heat->data().highlighted.empty());
}

TEST(MainWindow, CancelStopsTheAnalysisWorker)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    QSignalSpy done(&window, &app::MainWindow::analysisFinished);
    window.startAnalysis();
    ASSERT_TRUE(window.jobRunning());
    QTimer::singleShot(200, &window, [&] { window.cancelJob(); });
    ASSERT_TRUE(done.wait(kPatienceMs));
    EXPECT_FALSE(done.first().first().toBool());
    EXPECT_FALSE(window.jobRunning());
}

namespace {
bool waitFor(const std::function<bool()>& condition, int ms)
{
    for (int waited = 0; waited < ms && !condition(); waited += 20)
        QTest::qWait(20);
    return condition();
}
} // namespace

TEST(MainWindow, TrainingPausesResumesAndCancelsWithoutBlockingTheWindow)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    QTemporaryDir dir;
    const QString out = dir.filePath("slim.mlpify");
    auto* slim = window.findChild<app::SlimPanel*>();
    slim->setRequest(mlpify::testing::shortRun(out.toStdString()));
    auto* loss = slim->view()->lossChart();
    QSignalSpy done(&window, &app::MainWindow::trainingFinished);
    BlockedMeter meter;
    window.startTraining();
    ASSERT_TRUE(window.jobRunning());
    ASSERT_TRUE(waitFor([&] { return loss->pointCount(0) >= 2; }, kPatienceMs));
    window.togglePause();
    EXPECT_TRUE(window.jobPaused());
    // A paused run writes its checkpoint, then takes no steps.
    ASSERT_TRUE(waitFor([&] { return QFile::exists(out + ".ckpt"); }, kPatienceMs));
    QTest::qWait(200);
    const int atPause = loss->pointCount(0);
    QTest::qWait(500);
    EXPECT_EQ(loss->pointCount(0), atPause);
    window.togglePause();
    EXPECT_FALSE(window.jobPaused());
    ASSERT_TRUE(waitFor([&] { return loss->pointCount(0) > atPause; }, kPatienceMs));
    window.cancelJob();
    ASSERT_TRUE(done.wait(kPatienceMs));
    EXPECT_FALSE(done.first().first().toBool());
    EXPECT_FALSE(window.jobRunning());
    EXPECT_FALSE(QFile::exists(out)); // cancelled: no folded model, the checkpoint stays
    EXPECT_TRUE(QFile::exists(out + ".ckpt"));
    EXPECT_LT(meter.worst(), kBlockedLimitMs) << "the event loop was blocked for " << meter.worst() << " ms";
}

TEST(MainWindow, AFinishedRunFoldsAndOpensTheResultBesideTheOriginal)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    QTemporaryDir dir;
    const QString out = dir.filePath("slim.mlpify");
    window.findChild<app::SlimPanel*>()->setRequest(mlpify::testing::shortRun(out.toStdString()));
    QSignalSpy trained(&window, &app::MainWindow::trainingFinished);
    QSignalSpy compared(&window, &app::MainWindow::compareFinished);
    window.startTraining();
    ASSERT_TRUE(trained.wait(kPatienceMs));
    ASSERT_TRUE(trained.first().first().toBool());
    EXPECT_TRUE(QFile::exists(out));
    ASSERT_TRUE(compared.wait(kPatienceMs)); // the comparison starts by itself
    ASSERT_TRUE(compared.first().first().toBool());
    const auto& numbers = window.project().compare;
    ASSERT_EQ(numbers.size(), 2u);
    // the shipped model's measured accuracy; exact on any CPU: DefaultModel's test finds no near ties
    EXPECT_NEAR(numbers[0].top1, 0.9017, 1e-9);
    // two attention layers gone: 2 x 9,504 parameters
    EXPECT_DOUBLE_EQ(numbers[0].parameters - numbers[1].parameters, 2 * 9504.0);
    auto* view = window.findChild<widgets::CompareView*>();
    EXPECT_EQ(view->cell(0, 1), "90.17%");
    EXPECT_EQ(window.project().slimmedModel, out);
    EXPECT_FALSE(window.project().curves.steps.empty());
    EXPECT_EQ(window.project().curves.epochs.size(), 1);
    window.cancelJob(); // the spectrum that follows is not needed here
}

TEST(MainWindow, ALocalTwoProcessRunShowsItsProgressAndFinishes)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    QTemporaryDir dir;
    const QString out = dir.filePath("slim2.mlpify");
    auto r = mlpify::testing::shortRun(out.toStdString());
    r.processes = 2; // mlpify launch --nproc 2 ... --distributed, on 127.0.0.1
    r.batch = 32;    // per process
    auto* slim = window.findChild<app::SlimPanel*>();
    slim->setRequest(r);
    QSignalSpy trained(&window, &app::MainWindow::trainingFinished);
    BlockedMeter meter;
    window.startTraining();
    ASSERT_TRUE(window.jobRunning());
    ASSERT_TRUE(trained.wait(kPatienceMs));
    ASSERT_TRUE(trained.first().first().toBool()) << slim->view()->findChild<QLabel*>()->text().toStdString();
    EXPECT_TRUE(QFile::exists(out));
    EXPECT_EQ(slim->view()->lossChart()->pointCount(0), 1024 / 64); // every step of the global batch
    EXPECT_EQ(window.project().curves.epochs.size(), 1);
    EXPECT_LT(meter.worst(), kBlockedLimitMs) << "the event loop was blocked for " << meter.worst() << " ms";
    window.cancelJob(); // the comparison that follows is not needed here
}

TEST(MainWindow, TheFrontMeasuresOnTheWorkerAndExportsTheChosenPointWithItsMerging)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    QSignalSpy measured(&window, &app::MainWindow::frontFinished);
    window.startFront(1);
    EXPECT_TRUE(window.jobRunning()); // the measurement is on the worker
    ASSERT_TRUE(measured.wait(kPatienceMs));
    ASSERT_TRUE(measured.first().first().toBool());
    const auto& points = window.project().front;
    ASSERT_EQ(points.size(), 2u); // the original at r = 0 and r = 1 (no slimmed model yet)
    EXPECT_EQ(points[1].r, 1);
    EXPECT_LT(points[1].gflopsPerImage, points[0].gflopsPerImage);
    auto* view = window.findChild<widgets::FrontView*>();
    ASSERT_NE(view, nullptr);
    view->choose(1);
    EXPECT_EQ(window.project().frontChosen, 1);
    QTemporaryDir dir;
    const QString out = dir.filePath("chosen.mlpify");
    QSignalSpy exported(&window, &app::MainWindow::frontModelExported);
    window.exportFrontModel(1, out);
    ASSERT_TRUE(exported.wait(kPatienceMs));
    ASSERT_TRUE(exported.first().first().toBool());
    const auto model = core::loadModel(out.toStdString());
    EXPECT_TRUE(model.meta.tome == core::constantSchedule(1, 12));
}

TEST(MainWindow, TogglingABlockUpdatesTheWhatIfFromTheWorker)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    auto* runner = window.findChild<app::WhatIfRunner*>();
    auto* slim = window.findChild<app::SlimPanel*>();
    ASSERT_NE(runner, nullptr);
    QSignalSpy ready(runner, &app::WhatIfRunner::resultReady);
    slim->setSelected({2, 6});
    EXPECT_TRUE(runner->busy()); // evaluated on the worker, not in the toggle's handler
    ASSERT_TRUE(ready.wait(kPatienceMs));
    while (runner->busy() || !runner->last() || runner->last()->removed != std::vector<int64_t>{2, 6})
        ASSERT_TRUE(ready.wait(kPatienceMs));
    // The numbers are core::WhatIf's on the same images (core's test holds WhatIf equal to a
    // full evaluation), and the Slim tab shows them.
    auto model = core::loadModel("default");
    const auto images =
        core::loadCalibrationSet("fashion-mnist", model.meta.config, {app::WhatIfRunner::kImages, 0, "train"});
    core::FunctionProgress quiet;
    const core::WhatIf direct(model, images, core::TeOptions{}, quiet);
    const auto expected = direct.evaluate({2, 6});
    const auto& got = *runner->last();
    EXPECT_EQ(got.images, app::WhatIfRunner::kImages);
    EXPECT_DOUBLE_EQ(got.skipTop1, expected.skipTop1);
    EXPECT_DOUBLE_EQ(got.doubleTop1, expected.doubleTop1);
    EXPECT_DOUBLE_EQ(got.transferEntropy, expected.transferEntropy);
    EXPECT_TRUE(slim->whatIfText().contains(QString::number(100.0 * expected.doubleTop1, 'f', 1)))
        << slim->whatIfText().toStdString();
    // A second toggle reuses the kept states and follows the new set.
    slim->setSelected({2});
    ASSERT_TRUE(ready.wait(kPatienceMs));
    while (runner->busy() || runner->last()->removed != std::vector<int64_t>{2})
        ASSERT_TRUE(ready.wait(kPatienceMs));
    EXPECT_DOUBLE_EQ(runner->last()->skipTop1, direct.evaluate({2}).skipTop1);
}

TEST(MainWindow, TheCriteriaComparisonRunsOnTheWorkerAndFillsItsTabAndTheProject)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    window.findChild<app::AnalysisBar*>()->setSettings("fashion-mnist", 64, "cls");
    window.findChild<app::SlimPanel*>()->setRatio(0.5); // not an earlier test's, kept in the settings
    window.findChild<widgets::CriteriaView*>()->setBudgetKind("");
    QSignalSpy done(&window, &app::MainWindow::criteriaFinished);
    window.startCriteria(0, 300);
    EXPECT_TRUE(window.jobRunning());
    ASSERT_TRUE(done.wait(kPatienceMs));
    ASSERT_TRUE(done.first().first().toBool());
    ASSERT_TRUE(window.project().criteria.has_value());
    const auto& c = *window.project().criteria;
    EXPECT_EQ(c.rows.size(), core::comparedMethods().size());
    EXPECT_EQ(c.calibrationImages, 64);
    EXPECT_EQ(c.testImages, 300);
    EXPECT_EQ(c.count, 6); // the Slim tab's ratio 0.5 of 12
    auto* view = window.findChild<widgets::CriteriaView*>();
    ASSERT_NE(view, nullptr);
    EXPECT_EQ(view->cell(0, 0), "nose");
    EXPECT_EQ(view->table()->rowCount(), static_cast<int>(c.rows.size()));
    // File > Export Figure on this tab: the comparison in print style, and as pgfplots.
    QTemporaryDir dir;
    window.findChild<QTabWidget*>()->setCurrentWidget(view);
    EXPECT_EQ(window.exportCurrentFigureAs(dir.filePath("criteria.pdf"), "double"), "");
    QFile pdf(dir.filePath("criteria.pdf"));
    ASSERT_TRUE(pdf.open(QIODevice::ReadOnly));
    EXPECT_TRUE(pdf.readAll().startsWith("%PDF-"));
    EXPECT_EQ(window.exportCurrentFigureAs(dir.filePath("criteria.tex"), "column"), "");
    QFile tex(dir.filePath("criteria.tex"));
    ASSERT_TRUE(tex.open(QIODevice::ReadOnly));
    EXPECT_TRUE(QString(tex.readAll()).contains("{nose}"));
    // A tab without results says so.
    window.findChild<QTabWidget*>()->setCurrentWidget(window.findChild<widgets::FrontView*>());
    EXPECT_TRUE(window.exportCurrentFigureAs(dir.filePath("front.pdf")).contains("no results"));
    EXPECT_FALSE(QFile::exists(dir.filePath("front.pdf")));
}

TEST(MainWindow, TheCriteriaTabComparesThePoolsAtAnEqualParameterBudget)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    window.findChild<app::AnalysisBar*>()->setSettings("fashion-mnist", 64, "cls");
    window.findChild<app::SlimPanel*>()->setRatio(0.17);
    auto* view = window.findChild<widgets::CriteriaView*>();
    ASSERT_NE(view, nullptr);
    view->setBudgetKind("params");
    QSignalSpy done(&window, &app::MainWindow::criteriaFinished);
    window.startCriteria(0, 300);
    ASSERT_TRUE(done.wait(kPatienceMs));
    ASSERT_TRUE(done.first().first().toBool());
    ASSERT_TRUE(window.project().criteria.has_value());
    const auto& c = *window.project().criteria;
    ASSERT_EQ(c.rows.size(), 4u);
    auto model = core::loadModel("default");
    const auto budget = static_cast<int64_t>(0.17 * static_cast<double>(model.net->parameterCount()));
    core::UnitBudget expected;
    expected.params = budget;
    EXPECT_EQ(c.budget, expected.describe());
    for (const auto& r : c.rows) {
        EXPECT_TRUE(r.note.empty()) << r.pool;
        EXPECT_LE(r.paramsRemoved, budget) << r.pool;
        EXPECT_FALSE(r.unitNames.empty()) << r.pool;
    }
    EXPECT_EQ(c.testImages, 300);
    EXPECT_EQ(view->cell(1, 0), "MLP");
    // The project's command line reproduces it.
    const auto command = app::projectCommands(window.project()).at("criteria").get<std::string>();
    EXPECT_NE(
        command.find("--pools attention,mlp,block,mixed --methods nose --budget-params " + std::to_string(budget)),
        std::string::npos)
        << command;
    window.findChild<app::SlimPanel*>()->setRatio(0.5); // the settings keep the ratio for the next window
}

TEST(MainWindow, ExportsTheModelAsOnnxOnTheWorker)
{
    app::MainWindow window;
    QSignalSpy ready(&window, &app::MainWindow::modelReady);
    window.openModel("default");
    ASSERT_TRUE(ready.wait(kPatienceMs));
    QTemporaryDir dir;
    const QString out = dir.filePath("default.onnx");
    QSignalSpy exported(&window, &app::MainWindow::modelExported);
    window.exportModel(out);
    ASSERT_TRUE(exported.wait(kPatienceMs));
    ASSERT_TRUE(exported.first().first().toBool());
    auto model = core::loadModel("default");
    torch::manual_seed(4);
    const auto images = torch::randn({2, 1, 28, 28});
    torch::NoGradGuard g;
    model.net->eval();
    const auto mine = model.net->forward(images);
    const auto ort = core::runOnnxRuntime(out.toStdString(), images, 1);
    // float32 through two runtimes: 1e-4 of the logits' scale, as tests/core/io/onnx_export_test.cpp
    EXPECT_LT(((ort - mine).abs().max() / mine.abs().max().clamp_min(1.0)).item<double>(), 1e-4);
}

TEST(MainWindow, OpensAHuggingFaceFolderAsAModel)
{
    app::MainWindow window;
    window.show();
    QSignalSpy ready(&window, &app::MainWindow::modelReady);
    window.openModel(QString(MLPIFY_FIXTURE_DIR) + "/hf/vit");
    ASSERT_TRUE(ready.wait(kPatienceMs));
    auto* view = window.findChild<widgets::ModelSummaryView*>();
    EXPECT_EQ(view->blockTable()->rowCount(), 3);
}

TEST(MainWindow, TheAttentionTabComputesOnItsWorkersAndShowsWhatCoreComputes)
{
    app::MainWindow window;
    ASSERT_TRUE(showDefault(window));
    auto* tab = window.findChild<app::AttentionPanel*>();
    ASSERT_NE(tab, nullptr);
    window.showTab(app::MainWindow::AttentionTab);
    QSignalSpy stats(tab, &app::AttentionPanel::statisticsReady), maps(tab, &app::AttentionPanel::mapReady);
    BlockedMeter meter;
    tab->setStatisticsImages(48);
    tab->requestStatistics();
    // The latest map request wins: block 1's request is replaced by block 3's.
    tab->setBlock(1);
    tab->setBlock(3);
    tab->setImageIndex(5);
    ASSERT_TRUE(
        waitFor([&] { return !stats.isEmpty() && tab->map() && tab->map()->block == 3 && !tab->busy(); }, kPatienceMs));
    EXPECT_LT(meter.worst(), kBlockedLimitMs) << "the event loop was blocked for " << meter.worst() << " ms";
    ASSERT_TRUE(window.project().attention);
    EXPECT_EQ(window.project().attention->images, 48);
    EXPECT_EQ(window.project().attention->blocks.size(), 12u);
    EXPECT_EQ(tab->statsView()->seriesCount(), 3); // heads, their mean, uniform; no set marked yet
    // The map on screen is core's map of the same test image.
    auto model = core::loadModel("default");
    const auto test = core::loadDataset("fashion-mnist", core::Split::Test);
    const auto expected = core::attentionMap(model, core::imageInput(model, test, 5), {3, -1, 0});
    ASSERT_TRUE(window.project().attentionMap);
    const auto& shown = *window.project().attentionMap;
    ASSERT_EQ(shown.patches.size(), 49u);
    for (size_t i = 0; i < shown.patches.size(); ++i)
        EXPECT_NEAR(shown.patches[i], expected.patches[i], 1e-6);
    EXPECT_EQ(window.project().attentionImage.size(), QSize(28, 28));
    // A click on a patch asks for that patch's attention.
    maps.clear();
    const auto layout = widgets::AttentionMapLayout::compute(tab->mapView()->rect(), 7, 1);
    QTest::mouseClick(tab->mapView(), Qt::LeftButton, {}, layout.patch(2, 4).center());
    ASSERT_TRUE(waitFor([&] { return tab->map() && tab->map()->query == 1 + 2 * 7 + 4 && !tab->busy(); }, kPatienceMs));
    EXPECT_EQ(window.project().attentionMap->queryName, "patch (2, 4)");
    // Rollout up to the block, of the same query.
    tab->setRollout(true);
    ASSERT_TRUE(waitFor([&] { return tab->map() && tab->map()->rollout && !tab->busy(); }, kPatienceMs));
}
