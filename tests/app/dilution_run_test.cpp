// One dilution run, four faces: the CLI's arguments, the Slim tab (one process and several), the
// project file, and the layer choice each face makes for the same method and ratio.
#include "app/cli/commands.h"
#include "app/figures/project.h"
#include "app/gui/main_window.h"
#include "app/gui/slim_panel.h"
#include "app/gui/training_runner.h"
#include "core/analysis/selection_methods.h"
#include "core/io/model_io.h"
#include "tests/core/train/unusual_run.h"

#include <QComboBox>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <gtest/gtest.h>

#include <algorithm>
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

TEST(DilutionRunFaces, TheSlimTabsMlpTogglesAreTheRunsMlpList)
{
    app::SlimPanel panel;
    QVector<bool> mlp(12, true);
    mlp[4] = false; // an MLP already removed cannot be chosen
    panel.setBlocks(QVector<bool>(12, true), mlp);
    auto r = mlpify::testing::unusualRun(1);
    r.remove = {0, 2};
    r.removeMlp = {2, 4, 7};
    panel.setRequest(r);
    EXPECT_EQ(panel.selectedMlp(), (QVector<int>{2, 7}));
    EXPECT_EQ(panel.request().removeMlp, (std::vector<int64_t>{2, 7}));
    EXPECT_EQ(panel.request().remove, (std::vector<int64_t>{0, 2})); // block 2 goes whole
    // A project whose run lists MLPs runs exactly its lists: no ratio chooses more attention.
    app::Project p;
    p.model = "default";
    p.data = "fashion-mnist";
    p.ratio = 0.5;
    p.training = panel.request();
    const auto run = app::dilutionRun(p);
    EXPECT_EQ(run.ratio, 0.0);
    const auto args = core::toArgs(run);
    EXPECT_EQ(std::count(args.begin(), args.end(), "--ratio"), 0);
    EXPECT_TRUE(app::diluteRunFromArgs(args) == run);
}

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

namespace {
struct FaceResult {
    bool ok = false;
    QString message; // the refusal, as the face shows it (the CLI's without "mlpify: ")
};

// `mlpify dilute` with the run's own argv.
FaceResult runCli(const core::DilutionRun& run)
{
    QStringList args;
    for (const auto& word : core::toArgs(run))
        args << QString::fromStdString(word);
    QProcess cli;
    cli.start(qEnvironmentVariable("MLPIFY_CLI"), args);
    if (!cli.waitForFinished(600000))
        return {false, "timed out"};
    const auto err = QString::fromUtf8(cli.readAllStandardError()).trimmed();
    return {cli.exitCode() == 0, err.startsWith("mlpify: ") ? err.mid(8) : err};
}

// The window's in-process runner.
FaceResult runWindow(const core::DilutionRun& run)
{
    app::TrainingRunner runner;
    QSignalSpy finished(&runner, &app::TrainingRunner::finished);
    if (!runner.start(run, nullptr) || !finished.wait(600000))
        return {false, "did not finish"};
    return {finished.first().at(0).toBool(), finished.first().at(2).toString()};
}

// What a written model says about how it was made, with the output path (which the two faces
// choose apart) and the measured numbers of its epochs taken out.
nlohmann::json provenance(const QString& file)
{
    const auto m = core::loadModel(file.toStdString());
    auto t = m.meta.training;
    const auto out = t.at("run").at("out").get<std::string>();
    t["run"]["out"] = "OUT";
    auto command = t.at("command").get<std::string>();
    command.replace(command.find(out), out.size(), "OUT");
    t["command"] = command;
    for (auto& epoch : t["history"]) // measurements: time, and sums over threads whose order may differ
        for (const char* key : {"seconds", "train_loss", "train_top1", "test_loss", "test_top1"})
            epoch.erase(key);
    return {{"training", t},
            {"blocks", nlohmann::json(m.meta.blocks)},
            {"classes", m.meta.classNames},
            {"config", nlohmann::json(m.meta.config)}};
}
} // namespace

TEST(DilutionRunFaces, TheCliAndTheWindowExecuteTheSameRunAlike)
{
    QTemporaryDir dir;
    const QString cliOut = dir.filePath("cli.mlpify"), windowOut = dir.filePath("window.mlpify");
    const auto cli = runCli(mlpify::testing::shortRun(cliOut.toStdString(), 256));
    const auto window = runWindow(mlpify::testing::shortRun(windowOut.toStdString(), 256));
    ASSERT_TRUE(cli.ok) << cli.message.toStdString();
    ASSERT_TRUE(window.ok) << window.message.toStdString();
    const auto a = provenance(cliOut), b = provenance(windowOut);
    EXPECT_EQ(a, b) << "what differs, as a JSON patch from the CLI's to the window's: "
                    << nlohmann::json::diff(a, b).dump();
    EXPECT_EQ(a["training"]["dilution"]["blocks"], nlohmann::json({0, 5}));
    EXPECT_EQ(a["blocks"][0]["attention"], "removed");
}

TEST(DilutionRunFaces, BothFacesRefuseTheSameRunsWithTheSameWordsBeforeAnyWork)
{
    core::setSettingSpelling(app::flagFor); // the window's words then match the CLI's exactly
    QTemporaryDir dir;
    std::vector<std::pair<std::string, core::DilutionRun>> refused;
    auto distill = mlpify::testing::shortRun(dir.filePath("a.mlpify").toStdString(), 256);
    distill.distill = true;
    distill.newHead = true;
    refused.emplace_back("--distill", distill);
    auto missing = mlpify::testing::shortRun(dir.filePath("b.mlpify").toStdString(), 256);
    missing.remove = {0, 99};
    refused.emplace_back("--remove 0,99", missing);
    auto neither = mlpify::testing::shortRun(dir.filePath("c.mlpify").toStdString(), 256);
    neither.remove.clear(); // no list and no ratio
    refused.emplace_back("--remove", neither);
    for (const auto& [named, run] : refused) {
        const auto cli = runCli(run);
        const auto window = runWindow(run);
        EXPECT_FALSE(cli.ok);
        EXPECT_FALSE(window.ok);
        EXPECT_EQ(cli.message.toStdString(), window.message.toStdString());
        EXPECT_TRUE(cli.message.startsWith(QString::fromStdString(named))) << cli.message.toStdString();
        EXPECT_FALSE(QFile::exists(QString::fromStdString(run.out)));
        EXPECT_FALSE(QFile::exists(QString::fromStdString(run.out) + ".ckpt")); // refused before any step
    }
    // The window's own spelling names its controls.
    core::setSettingSpelling(app::settingControl);
    const auto window = runWindow(distill);
    core::setSettingSpelling({});
    EXPECT_EQ(window.message.toStdString(), "Distillation (Slim tab): the teacher is the original model with its own "
                                            "head; it cannot be combined with New head (Slim tab)");
}

TEST(DilutionRunFaces, EveryHelpTextAndMenuListsEveryMethod)
{
    CLI::App cli;
    app::GlobalOptions g;
    app::Runner runner;
    app::addSelectCommand(cli, g, &runner);
    app::addDiluteCommand(cli, g, &runner);
    app::addCriteriaCommand(cli, g, &runner);
    app::SlimPanel panel;
    auto* menu = panel.findChild<QComboBox*>("method");
    ASSERT_NE(menu, nullptr);
    EXPECT_EQ(menu->count(), static_cast<int>(core::selectionMethods().size()));
    for (const auto& m : core::selectionMethodTable()) {
        for (const char* command : {"select", "dilute", "criteria"}) {
            const auto help = cli.get_subcommand(command)->help();
            EXPECT_NE(help.find(m.name), std::string::npos) << command << " --help lacks " << m.name;
        }
        EXPECT_GE(menu->findData(QString::fromStdString(m.name)), 0) << "the Slim tab lacks " << m.name;
        EXPECT_GE(menu->findText(QString::fromStdString(m.label)), 0);
    }
}
