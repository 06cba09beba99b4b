// One dilution run, four faces: the CLI's arguments, the Slim tab (one process and several), the
// project file, and the layer choice each face makes for the same method and ratio.
#include "app/cli/commands.h"
#include "app/gui/main_window.h"
#include "app/gui/project.h"
#include "app/gui/slim_panel.h"
#include "tests/core/train/unusual_run.h"

#include <QComboBox>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <gtest/gtest.h>

#include <fstream>

using namespace mlpify;
using mlpify::testing::unusualRun;

TEST(DilutionRunFaces, TheArgvFormParsesBackToTheRun)
{
    for (bool byList : {true, false}) {
        auto r = unusualRun(1); // processes belong to the launcher, not to `dilute`'s arguments
        if (byList)
            r.ratio = 0; // a run given by its list has no ratio (the CLI takes one or the other)
        else
            r.remove.clear();
        const auto back = app::diluteRunFromArgs(core::toArgs(r));
        EXPECT_TRUE(back == r) << nlohmann::json(back).dump() << "\n" << nlohmann::json(r).dump();
        auto eighty = r; // "80% of the epochs" stays the rule, not a number
        eighty.dilutionEpochs = -1;
        EXPECT_TRUE(app::diluteRunFromArgs(core::toArgs(eighty)) == eighty);
    }
    // The CLI's defaults are the run's defaults.
    const auto plain = app::diluteRunFromArgs({"dilute", "default", "--data", "fashion-mnist", "--out", "x.mlpify"});
    core::DilutionRun expected;
    expected.out = "x.mlpify";
    EXPECT_TRUE(plain == expected) << nlohmann::json(plain).dump();
}

TEST(DilutionRunFaces, TheSlimTabShowsAndGivesBackTheSameRunForOneOrManyProcesses)
{
    app::SlimPanel panel;
    panel.setBlocks(QVector<bool>(12, true));
    for (int processes : {1, 4}) {
        const auto r = unusualRun(processes);
        panel.setRequest(r);
        EXPECT_TRUE(panel.request() == r) << nlohmann::json(panel.request()).dump();
    }
    // A run saved in a project and read back, and what the project says to run, is the same run.
    app::Project p;
    p.model = "default";
    p.data = "fashion-mnist";
    p.ratio = 0.25;
    p.method = "random";
    p.training = panel.request();
    QTemporaryDir dir;
    app::saveProject(p, dir.filePath("p.mlpify-project"));
    const auto q = app::loadProject(dir.filePath("p.mlpify-project"));
    EXPECT_TRUE(app::dilutionRun(q) == app::dilutionRun(p));
    EXPECT_EQ(q.training.processes, 4);
}

namespace {
// The set `mlpify select` prints as JSON for this method and ratio on the default model.
std::vector<int64_t> cliSelection(const QString& method, const QString& dir)
{
    const QString out = QDir(dir).filePath(method + ".json");
    QProcess cli;
    cli.start(qEnvironmentVariable("MLPIFY_CLI"),
              {"select", "default", "--method", method, "--ratio", "0.5", "--images", "200", "--out", out});
    if (!cli.waitForFinished(600000) || cli.exitCode() != 0)
        return {};
    std::ifstream in(out.toStdString());
    return nlohmann::json::parse(in).at("selected").get<std::vector<int64_t>>();
}
} // namespace

TEST(DilutionRunFaces, TheSlimTabChoosesWhatSelectChooses)
{
    app::MainWindow window;
    window.show();
    QSignalSpy ready(&window, &app::MainWindow::modelReady);
    window.openModel("default");
    ASSERT_TRUE(ready.wait(900000));
    auto* slim = window.findChild<app::SlimPanel*>();
    // The analysis bar's settings: the run's calibration count, and a token set the run ignores.
    window.findChild<QSpinBox*>("calibrationImages")->setValue(200);
    window.findChild<QComboBox*>("analysisTokens")->setCurrentText("all");
    QTemporaryDir dir;
    for (const QString method : {"first", "random", "entropy", "block-influence", "angular"}) {
        slim->setSelected({});
        QSignalSpy chosenSpy(&window, &app::MainWindow::layersChosen);
        window.applyMethod(method, 0.5);
        ASSERT_TRUE(chosenSpy.wait(600000)) << method.toStdString();
        EXPECT_TRUE(chosenSpy.first().first().toBool()) << method.toStdString();
        const auto chosen = slim->request().remove;
        auto expected = cliSelection(method, dir.path());
        ASSERT_EQ(expected.size(), 6u) << method.toStdString();
        std::sort(expected.begin(), expected.end()); // the tab lists blocks in index order
        EXPECT_EQ(chosen, expected) << method.toStdString();
    }
}
