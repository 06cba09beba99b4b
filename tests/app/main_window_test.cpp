#include "app/gui/main_window.h"
#include "widgets/heatmap_view.h"
#include "widgets/model_summary_view.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <gtest/gtest.h>

using namespace mlpify;

TEST(MainWindow, OpensTheDefaultModelOffTheGuiThread)
{
    app::MainWindow window;
    window.show();
    QSignalSpy ready(&window, &app::MainWindow::modelReady);
    window.openModel("default");
    ASSERT_TRUE(ready.wait(30000));
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

TEST(MainWindow, AnalysisRunsOnAWorkerAndTheEventLoopStaysResponsive)
{
    app::MainWindow window;
    window.show();
    QSignalSpy ready(&window, &app::MainWindow::modelReady);
    window.openModel("default");
    ASSERT_TRUE(ready.wait(30000));
    // Measure the longest gap between timer ticks while the analysis runs.
    QElapsedTimer clock;
    qint64 last = 0, worst = 0;
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        worst = std::max(worst, now - last);
        last = now;
    });
    QSignalSpy done(&window, &app::MainWindow::analysisFinished);
    clock.start();
    tick.start(10);
    window.startAnalysis(); // uses the saved calibration size; small in the test settings
    ASSERT_TRUE(done.wait(240000));
    tick.stop();
    EXPECT_TRUE(done.first().first().toBool());
    EXPECT_LT(worst, 100) << "the event loop was blocked for " << worst << " ms";
    auto* heat = window.findChild<widgets::HeatmapView*>();
    ASSERT_NE(heat, nullptr);
    EXPECT_FALSE(heat->data().values.empty());
    EXPECT_FALSE(heat->data().highlighted.empty());
}

TEST(MainWindow, CancelStopsTheAnalysisWorker)
{
    app::MainWindow window;
    window.show();
    QSignalSpy ready(&window, &app::MainWindow::modelReady);
    window.openModel("default");
    ASSERT_TRUE(ready.wait(30000));
    QSignalSpy done(&window, &app::MainWindow::analysisFinished);
    window.startAnalysis();
    ASSERT_TRUE(window.analysisRunning());
    QTimer::singleShot(200, &window, [&] { window.cancelAnalysis(); });
    ASSERT_TRUE(done.wait(60000));
    EXPECT_FALSE(done.first().first().toBool());
    EXPECT_FALSE(window.analysisRunning());
}
