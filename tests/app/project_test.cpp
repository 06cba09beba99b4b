#include "app/figures/figure_set.h"
#include "app/figures/project.h"
#include "core/error.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QTemporaryDir>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

using namespace mlpify;

namespace {
// A project with every kind of result but entropy curves.
app::Project fullProject()
{
    app::Project p;
    p.model = "/models/deit.pth";
    p.data = "idx:/data";
    p.images = 321;
    p.tokens = "all";
    p.ratio = 0.25;
    p.method = "random";
    p.training.remove = {0, 3, 5};
    p.training.epochs = 7;
    p.training.lr = 1.5e-4;
    p.training.distill = true;
    p.training.out = "/tmp/x.mlpify";
    p.training.processes = 3; // the project keeps the process count
    p.slimmedModel = "/tmp/x.mlpify";
    core::SelectionResult sel;
    sel.method = "nose";
    sel.selected = {3, 0};
    sel.stepValues = {0.1, 0.2};
    sel.candidates = {{0.5, 0.1}, {0.2, std::nan("")}};
    p.selection = sel;
    p.spectrum = core::SpectrumResult{"original", {{0, {0.0, 1.0}, {0.0, -1.5}}}, 7, {{"rings", 2}}};
    p.compare = {{"original", 0.9, 100, 0.5, 10, 3}, {"slimmed", 0.8, 80, 0.4, 12, -1}};
    p.curves.totalSteps = 9;
    for (auto [step, loss, lambda, rate] : {std::tuple{1, 2.5, 0.9, 300.0}, std::tuple{2, 2.0, 0.8, 310.0}}) {
        core::StepStats s;
        s.step = step;
        s.loss = loss;
        s.lambda = lambda;
        s.imagesPerSecond = rate;
        p.curves.steps.push_back(s);
    }
    core::EpochStats e;
    e.epoch = 1;
    e.trainTop1 = 0.7;
    e.testTop1 = 0.65;
    e.lambda = 0.5;
    p.curves.epochs = {e};
    core::FrontPoint a, b;
    a.model = "/models/deit.pth";
    a.label = "original";
    a.top1 = 0.81;
    a.imagesPerSecond = 100;
    b = a;
    b.label = "slimmed";
    b.model = "/tmp/x.mlpify";
    b.r = 8;
    b.tome = core::constantSchedule(8, 12, 1);
    b.top1 = 0.80;
    b.imagesPerSecond = 170;
    p.front = {a, b};
    p.frontChosen = 1;
    core::CriteriaComparison c;
    c.count = 2;
    c.calibrationImages = 321;
    c.testImages = 500;
    c.teResamples = 100;
    c.units = "bits";
    core::CriterionRow nose;
    nose.method = "nose";
    nose.selected = {3, 0};
    nose.transferEntropy = 0.3;
    nose.teLow = 0.2;
    nose.teHigh = 0.45;
    nose.skipTop1 = 0.7;
    nose.doubleTop1 = 0.6;
    nose.stabilityResamples = 10;
    nose.chosenSetShare = 0.4;
    nose.layerFrequency = {1.0, 0.0};
    nose.seconds = 2.5;
    auto first = nose;
    first.method = "first";
    first.selected = {0, 1};
    first.teLow = first.teHigh = std::nan("");
    first.stabilityResamples = 0;
    first.layerFrequency.clear();
    c.rows = {nose, first};
    EXPECT_EQ(core::attachDiluted(c, {0, 3}, 0.85, "/tmp/x.mlpify"), 1); // the set in any order
    p.criteria = c;
    core::AttentionStatistics att;
    att.model = "/models/deit.pth";
    att.images = 2;
    att.layout = {{"class"}, 2, 16};
    att.maxEntropy = std::log(5.0);
    core::BlockAttentionStats head;
    head.block = 1;
    head.state = "active";
    head.distance = {{10.0, 20.0}, {1.0, std::nan("")}};
    head.entropy = {{1.0, 1.5}, {0.1, 0.2}};
    head.specialShare = {{0.3, 0.4}, {0.0, 0.1}};
    head.meanDistance = 15.0;
    head.distanceSpread = 2.0;
    head.meanEntropy = 1.25;
    head.entropySpread = 0.05;
    att.blocks = {head};
    att.removedBlocks = {0};
    p.attention = att;
    att.model = "/tmp/x.mlpify";
    p.slimmedAttention = att;
    core::AttentionMap map;
    map.block = 1;
    map.query = 3;
    map.queryName = "patch (1, 0)";
    map.layout = {{"class"}, 2, 16};
    map.special = {0.4};
    map.patches = {0.1, 0.2, 0.25, 0.05};
    p.attentionMap = map;
    p.attentionImage = QImage(32, 32, QImage::Format_Grayscale8);
    p.attentionImage.fill(128);
    return p;
}
} // namespace

TEST(Project, RoundTripsSettingsAndResults)
{
    const auto p = fullProject();
    const auto& sel = *p.selection;
    QTemporaryDir dir;
    const QString path = dir.filePath("a.mlpify-project");
    app::saveProject(p, path);
    const auto q = app::loadProject(path);
    QFile saved(path);
    ASSERT_TRUE(saved.open(QIODevice::ReadOnly));
    const auto j = nlohmann::json::parse(saved.readAll().toStdString());
    const auto dilute = j.at("cli").at("dilute").get<std::string>();
    EXPECT_EQ(dilute.rfind("mlpify launch --nproc 3 -- dilute /models/deit.pth --data idx:/data --remove 0,3,5 ", 0),
              0u)
        << dilute;
    EXPECT_NE(dilute.find(" --epochs 7 "), std::string::npos) << dilute;
    EXPECT_NE(dilute.find("--distill"), std::string::npos) << dilute;
    EXPECT_EQ(q.model, p.model);
    EXPECT_EQ(q.data, p.data);
    EXPECT_EQ(q.images, 321);
    EXPECT_EQ(q.tokens, "all");
    EXPECT_DOUBLE_EQ(q.ratio, 0.25);
    EXPECT_EQ(q.method, "random");
    EXPECT_EQ(q.training.remove, (std::vector<int64_t>{0, 3, 5}));
    // The run read back is the run saved, field by field, and the command is that run.
    EXPECT_TRUE(app::dilutionRun(q) == app::dilutionRun(p));
    EXPECT_EQ(dilute, core::commandLine(app::dilutionRun(p)));
    EXPECT_EQ(q.training.processes, p.training.processes);
    EXPECT_EQ(q.training.epochs, 7);
    EXPECT_DOUBLE_EQ(q.training.lr, 1.5e-4);
    EXPECT_TRUE(q.training.distill);
    EXPECT_EQ(q.slimmedModel, p.slimmedModel);
    ASSERT_TRUE(q.selection.has_value());
    EXPECT_EQ(q.selection->selected, sel.selected);
    EXPECT_TRUE(std::isnan(q.selection->candidates[1][1]));
    ASSERT_TRUE(q.spectrum.has_value());
    EXPECT_EQ(q.spectrum->blocks[0].dlogA, (std::vector<double>{0.0, -1.5}));
    EXPECT_FALSE(q.profile.has_value());
    ASSERT_EQ(q.compare.size(), 2u);
    EXPECT_EQ(q.compare[1].name, "slimmed");
    EXPECT_DOUBLE_EQ(q.compare[1].runMemoryMiB, -1);
    EXPECT_EQ(q.curves.totalSteps, 9);
    ASSERT_EQ(q.curves.steps.size(), 2);
    EXPECT_DOUBLE_EQ(q.curves.steps[1].loss, 2.0);
    EXPECT_DOUBLE_EQ(q.curves.epochs[0].testTop1, 0.65);
    ASSERT_EQ(q.front.size(), 2u);
    EXPECT_EQ(q.frontChosen, 1);
    EXPECT_TRUE(q.front[1].tome == p.front[1].tome);
    EXPECT_EQ(q.front[1].r, 8);
    EXPECT_DOUBLE_EQ(q.front[1].imagesPerSecond, 170);
    ASSERT_TRUE(q.criteria.has_value());
    ASSERT_EQ(q.criteria->rows.size(), 2u);
    const auto& n = q.criteria->rows[0];
    EXPECT_EQ(n.selected, (std::vector<int64_t>{3, 0}));
    EXPECT_DOUBLE_EQ(n.teHigh, 0.45);
    EXPECT_DOUBLE_EQ(n.chosenSetShare, 0.4);
    EXPECT_EQ(n.layerFrequency, (std::vector<double>{1.0, 0.0}));
    ASSERT_TRUE(n.dilutedTop1.has_value());
    EXPECT_DOUBLE_EQ(*n.dilutedTop1, 0.85);
    EXPECT_FALSE(q.criteria->rows[1].dilutedTop1.has_value());
    EXPECT_TRUE(std::isnan(q.criteria->rows[1].teLow));
    EXPECT_EQ(q.criteria->rows[1].stabilityResamples, 0);
    // The CSV has a header and a row per method; a missing number is an empty field.
    const auto csv = core::criteriaCsv(*q.criteria);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
    EXPECT_NE(csv.find("\nnose,3 0,0.3,0.2,0.45,0.7,0.6,10,0.4,0.85,2.5\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find("\nfirst,0 1,0.3,,,0.7,0.6,0,,,2.5\n"), std::string::npos) << csv;
    // The Attention tab's results, the image under the map included.
    ASSERT_TRUE(q.attention && q.slimmedAttention && q.attentionMap);
    EXPECT_EQ(nlohmann::json(*q.attention), nlohmann::json(*p.attention));
    EXPECT_TRUE(std::isnan(q.attention->blocks[0].distance.spread[1]));
    EXPECT_EQ(q.slimmedAttention->model, "/tmp/x.mlpify");
    EXPECT_EQ(q.attentionMap->patches, p.attentionMap->patches);
    EXPECT_EQ(q.attentionMap->layout.special, std::vector<std::string>{"class"});
    EXPECT_EQ(q.attentionImage.size(), QSize(32, 32));
    EXPECT_EQ(qGray(q.attentionImage.pixel(5, 5)), 128);
    EXPECT_NE(j.at("cli").at("attention").get<std::string>().find("--distance"), std::string::npos);
}

TEST(Project, BadFilesGiveErrorsNamingThemAndAFailedSaveKeepsTheOldFile)
{
    QTemporaryDir dir;
    const QString missing = dir.filePath("missing.mlpify-project");
    try {
        app::loadProject(missing);
        FAIL() << "no error";
    } catch (const core::Error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.mlpify-project"), std::string::npos) << e.what();
    }
    const QString notJson = dir.filePath("bad.mlpify-project");
    QFile f(notJson);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("{\"kind\": \"mlpify-project\", ");
    f.close();
    EXPECT_THROW(app::loadProject(notJson), core::Error);
    const QString other = dir.filePath("other.json");
    QFile g(other);
    ASSERT_TRUE(g.open(QIODevice::WriteOnly));
    g.write("{\"kind\": \"spectrum\"}");
    g.close();
    try {
        app::loadProject(other);
        FAIL() << "no error";
    } catch (const core::Error& e) {
        EXPECT_NE(std::string(e.what()).find("not an MLPify project"), std::string::npos) << e.what();
    }
    // A save into a folder that does not exist fails and writes nothing anywhere.
    EXPECT_ANY_THROW(app::saveProject(app::Project{}, dir.filePath("nope/p.mlpify-project")));
    EXPECT_FALSE(QFile::exists(dir.filePath("nope/p.mlpify-project")));
}

TEST(FigureSet, WritesTheFiguresAProjectHasWithTheirDataAndKeepsTheFolderOnFailure)
{
    const auto p = fullProject();
    QTemporaryDir dir;
    const QString out = dir.filePath("figs");
    QDir().mkpath(out);
    QFile old(QDir(out).filePath("entropy.svg")); // a figure from before; this project has no curves
    ASSERT_TRUE(old.open(QIODevice::WriteOnly));
    old.write("old");
    old.close();
    const auto files = app::writeProjectFigures(p, out, {core::printSize("column"), 72});
    QStringList names;
    for (const auto& f : files) {
        names << QFileInfo(f).fileName();
        EXPECT_GT(QFileInfo(f).size(), 0) << f.toStdString();
    }
    QStringList expected;
    for (const char* figure :
         {"nose-path", "training-loss", "training-lambda", "training-accuracy", "spectrum", "compare", "front",
          "criteria", "criteria-te", "attention-distance", "attention-entropy", "attention-map"})
        for (const char* file : {"%1.pdf", "%1.svg", "%1.png", "%1.tex", "%1.tikz", "%1-data.csv", "%1.py"})
            expected << QString(file).arg(figure);
    expected << "project-data.json"
             << "front.csv"
             << "criteria.csv"
             << "attention.csv"
             << "attention-map.csv"
             << "record.json"
             << "README.md";
    EXPECT_EQ(names, expected);
    // Physical size: a column is 3.5 in by 2.45 in, so 252 x 176 pixels at 72 dpi.
    const QImage png(QDir(out).filePath("front.png"));
    EXPECT_EQ(png.size(), QSize(252, 176));
    // The spectrum's numbers as the project holds them, in the figure's CSV.
    QFile spectrumCsv(QDir(out).filePath("spectrum-data.csv"));
    ASSERT_TRUE(spectrumCsv.open(QIODevice::ReadOnly));
    EXPECT_EQ(QString(spectrumCsv.readAll()), "series,x,y,low,high\n\"block 0\",0,0,,\n\"block 0\",1,-1.5,,\n");
    // One attention table, the two models side by side.
    QFile attention(QDir(out).filePath("attention.csv"));
    ASSERT_TRUE(attention.open(QIODevice::ReadOnly));
    const QString table = attention.readAll();
    EXPECT_TRUE(table.startsWith("model,block,head,distance_px")) << table.toStdString();
    EXPECT_TRUE(table.contains("\n/tmp/x.mlpify,1,mean,15,2,1.25,0.05,0.35\n")) << table.toStdString();
    EXPECT_TRUE(table.contains("\n/models/deit.pth,1,1,20,,1.5,0.2,0.4\n")) << table.toStdString();
    EXPECT_TRUE(app::dilutionRun(app::loadProject(QDir(out).filePath("project-data.json"))) == app::dilutionRun(p));
    ASSERT_TRUE(old.open(QIODevice::ReadOnly));
    EXPECT_EQ(old.readAll(), "old");
    // Nothing is left beside the folder, and a file in the folder's place is refused as it is.
    EXPECT_EQ(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{"figs"});
    QFile blocker(dir.filePath("file"));
    ASSERT_TRUE(blocker.open(QIODevice::WriteOnly));
    blocker.write("keep");
    blocker.close();
    EXPECT_THROW(app::writeProjectFigures(p, dir.filePath("file")), core::Error);
    ASSERT_TRUE(blocker.open(QIODevice::ReadOnly));
    EXPECT_EQ(blocker.readAll(), "keep");
}
