#include "app/gui/main_window.h"
#include "widgets/model_summary_view.h"

#include <QApplication>
#include <QMessageBox>
#include <QTest>
#include <QSignalSpy>
#include <QTableWidget>
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
