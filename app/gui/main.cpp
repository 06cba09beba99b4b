// `mlpify-gui [MODEL]`: opens the workbench on a model (the default if none). Its other options serve
// scripts: --screenshot and --tour-screenshots (pictures of the window), and --entropy-figure / --heatmap-figure
// (one figure from an analysis or selection JSON, without a project; `mlpify figures` draws a project's).
#include "app/gui/main_window.h"
#include "app/gui/slim_panel.h"
#include "app/gui/tour.h"
#include "app/gui/what_if_runner.h"
#include "core/analysis/transfer_entropy.h"
#include "core/io/model_io.h"
#include "core/json_file.h"
#include "core/runtime.h"
#include "widgets/entropy_chart_view.h"
#include "widgets/figure_export.h"
#include "widgets/heatmap_view.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QScreen>
#include <QTimer>

#include <functional>

#include <iostream>

namespace {
nlohmann::json readJson(const QString& path)
{
    return mlpify::core::readJsonFile(path.toStdString());
}

// Writes a figure widget to out (size "WxH", default 900x540); 0 on success.
int saveView(QWidget& view, const QString& out, const QString& size, int dpi)
{
    const auto wh = size.split('x');
    const QSize px(wh.value(0).toInt(), wh.value(1).toInt());
    const QString err = mlpify::widgets::exportFigure(view, out, px.isValid() ? px : QSize(900, 540), dpi);
    if (!err.isEmpty())
        throw std::runtime_error(err.toStdString());
    return 0;
}

// Headless figure rendering: the same widget the window shows, written to a file.
int renderEntropyFigure(const QString& input, const QString& vs, const QString& out, const QString& size, int dpi)
{
    auto read = [](const QString& path) {
        try {
            return readJson(path).get<mlpify::core::EntropyProfile>();
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error(path.toStdString() + ": not an entropy profile JSON (" + e.what() + ")");
        }
    };
    try {
        const auto profile = read(input);
        std::optional<mlpify::core::EntropyProfile> slim;
        if (!vs.isEmpty())
            slim = read(vs);
        mlpify::widgets::EntropyChartView view;
        view.setProfiles(profile, slim ? &*slim : nullptr);
        return saveView(view, out, size, dpi);
    } catch (const std::exception& e) {
        std::cerr << "mlpify-gui: " << e.what() << "\n";
        return 2;
    }
}
// The NOSE path (selection JSON) or the layer-to-layer map (analysis JSON with layer_map).
int renderHeatmapFigure(const QString& input, const QString& out, const QString& size, int dpi)
{
    try {
        const auto j = readJson(input);
        mlpify::widgets::HeatmapData d;
        if (j.contains("layer_map")) {
            const auto map = j.at("layer_map").get<mlpify::core::LayerMap>();
            d = mlpify::widgets::layerMapHeatmapData(map.values, QString::fromStdString(map.units));
        } else if (j.is_object() && j.value("kind", "") == "selection") {
            const auto sel = j.get<mlpify::core::SelectionResult>();
            if (sel.candidates.empty())
                throw std::runtime_error(input.toStdString() + ": this selection has no per-step values (use nose)");
            d = mlpify::widgets::noseHeatmapData(sel, QString::fromStdString(j.value("units", "")));
        } else {
            throw std::runtime_error(input.toStdString() + ": neither a selection nor an analysis with a layer map");
        }
        mlpify::widgets::HeatmapView view;
        view.setData(d);
        return saveView(view, out, size, dpi);
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "mlpify-gui: " << input.toStdString() << ": malformed selection or analysis JSON (" << e.what()
                  << ")\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "mlpify-gui: " << e.what() << "\n";
        return 2;
    }
}
// Walks the guided tour on the default model as a person would, waiting for each step's
// work, and saves a screenshot of the window at every step (plus the project and figures).
class TourDriver : public QObject {
public:
    TourDriver(mlpify::app::MainWindow& window, QString dir, int trainImages)
        : m_window(window), m_dir(std::move(dir)), m_trainImages(trainImages)
    {
        QDir().mkpath(m_dir);
    }

    void begin()
    {
        m_window.tour()->start();
        afterIdle([this] { shoot(); });
    }

private:
    // Runs next once no job has run for half a second (jobs chain: training -> compare -> spectrum).
    void afterIdle(std::function<void()> next)
    {
        auto* timer = new QTimer(this);
        auto idleSince = std::make_shared<int>(0);
        connect(timer, &QTimer::timeout, this, [this, timer, idleSince, next] {
            *idleSince = m_window.jobRunning() ? 0 : *idleSince + 1;
            if (*idleSince >= 5) {
                timer->deleteLater();
                next();
            }
        });
        timer->start(100);
    }

    void shoot()
    {
        auto* tour = m_window.tour();
        const int step = tour->current();
        if (tour->step(step).tab == mlpify::app::MainWindow::SlimTab && !m_trained) {
            m_trained = true;
            auto* slim = m_window.findChild<mlpify::app::SlimPanel*>();
            auto r = slim->request();
            r.trainLimit = m_trainImages;
            r.out = QDir(m_dir).filePath("slimmed.mlpify").toStdString();
            slim->setRequest(r);
            m_window.startTraining(); // what "Start" does
            afterIdle([this] { shoot(); });
            return;
        }
        m_window.showTab(tour->step(step).tab); // results arriving may have switched tabs
        QTimer::singleShot(400, this, [this, step, tour] {
            const QString file = QDir(m_dir).filePath(QString("tour-%1.png").arg(step + 1));
            m_window.grab().save(file);
            std::cout << "wrote " << file.toStdString() << "\n";
            if (step == 0 && QGuiApplication::platformName() == "xcb") { // the tour's dialog over the window
                const QString screen = QDir(m_dir).filePath("tour-dialog.png");
                QGuiApplication::primaryScreen()->grabWindow(0).save(screen);
                std::cout << "wrote " << screen.toStdString() << "\n";
            }
            if (step + 1 < tour->stepCount()) {
                tour->go(step + 1);
                afterIdle([this] { shoot(); });
                return;
            }
            m_window.saveProject(QDir(m_dir).filePath("tour.mlpify-project"));
            QString error;
            m_window.exportAllFigures(QDir(m_dir).filePath("figures"), &error);
            if (!error.isEmpty())
                std::cerr << "mlpify-gui: " << error.toStdString() << "\n";
            QApplication::exit(error.isEmpty() ? 0 : 2);
        });
    }

    mlpify::app::MainWindow& m_window;
    QString m_dir;
    int m_trainImages;
    bool m_trained = false;
};
} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("MLPify");
    QApplication::setApplicationName("MLPify");
    QApplication::setApplicationVersion("0.1.0");
    qRegisterMetaType<std::shared_ptr<mlpify::core::ModelBundle>>();
    qRegisterMetaType<mlpify::core::ModelSummary>();
    mlpify::core::setSettingSpelling(mlpify::app::settingControl); // core's errors name the window's controls

    QCommandLineParser parser;
    parser.setApplicationDescription("MLPify workbench");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("model", "model file or 'default'", "[model]");
    QCommandLineOption shot("screenshot", "save a PNG of the window once the model is shown, then quit", "file");
    QCommandLineOption threads("threads", "compute threads", "n", "0");
    QCommandLineOption entropyFigure("entropy-figure", "render the entropy curves of an analysis JSON", "json");
    QCommandLineOption analyze("analyze", "run the analysis (entropy + NOSE) once the model is loaded");
    QCommandLineOption tab("tab", "with --screenshot: show this tab first (0 summary, 1 entropy, 2 NOSE)", "index");
    QCommandLineOption heatmapFigure("heatmap-figure", "render the NOSE path (selection JSON) or layer map", "json");
    QCommandLineOption versus("vs", "with --entropy-figure: a second (slimmed) analysis JSON", "json");
    QCommandLineOption out("out", "figure file (.png, .svg, .pdf)", "file");
    QCommandLineOption figSize("size", "figure size in pixels, WxH", "size", "900x540");
    QCommandLineOption dpi("dpi", "figure resolution", "dpi", "150");
    QCommandLineOption project("project", "open a project file", "project");
    QCommandLineOption tourShots("tour-screenshots", "walk the guided tour, saving a screenshot per step", "dir");
    QCommandLineOption trainImages("train-images", "with --tour-screenshots: training images of the short run", "n",
                                   "6000");
    QCommandLineOption dark("dark", "use the dark palette");
    for (const auto& o : {shot, threads, analyze, tab, entropyFigure, heatmapFigure, versus, out, figSize, dpi, project,
                          tourShots, trainImages, dark})
        parser.addOption(o);
    parser.process(app);
    if (parser.isSet(heatmapFigure))
        return renderHeatmapFigure(parser.value(heatmapFigure), parser.value(out), parser.value(figSize),
                                   parser.value(dpi).toInt());
    if (parser.isSet(entropyFigure))
        return renderEntropyFigure(parser.value(entropyFigure), parser.value(versus), parser.value(out),
                                   parser.value(figSize), parser.value(dpi).toInt());
    mlpify::core::configureThreads(parser.value(threads).toInt());
    mlpify::core::configureAllocator();

    mlpify::app::MainWindow window;
    if (parser.isSet(dark))
        window.setDarkPalette(true);
    window.show();
    std::unique_ptr<TourDriver> driver;
    if (parser.isSet(tourShots)) {
        driver = std::make_unique<TourDriver>(window, parser.value(tourShots), parser.value(trainImages).toInt());
        QObject::connect(
            &window, &mlpify::app::MainWindow::modelReady, driver.get(), [&driver] { driver->begin(); },
            Qt::SingleShotConnection);
    }
    const bool runAnalysis = parser.isSet(analyze);
    if (runAnalysis)
        QObject::connect(&window, &mlpify::app::MainWindow::modelReady, &window,
                         [&window] { QTimer::singleShot(0, &window, [&window] { window.startAnalysis(); }); });
    if (parser.isSet(shot)) {
        const QString file = parser.value(shot);
        const int tabIndex = parser.value(tab).isEmpty() ? -1 : parser.value(tab).toInt();
        auto grab = [&window, file, tabIndex] {
            if (tabIndex >= 0)
                window.showTab(tabIndex);
            // once the Slim tab's what-if has settled (it runs on its own worker)
            auto* whatIf = window.findChild<mlpify::app::WhatIfRunner*>();
            auto* poll = new QTimer(&window);
            QObject::connect(poll, &QTimer::timeout, &window, [&window, file, whatIf, poll, waited = 0]() mutable {
                if ((whatIf && whatIf->busy()) && (waited += 100) < 30000)
                    return;
                poll->stop();
                window.grab().save(file);
                QApplication::quit();
            });
            poll->start(300);
        };
        if (runAnalysis)
            QObject::connect(&window, &mlpify::app::MainWindow::analysisFinished, &window, grab);
        else
            QObject::connect(&window, &mlpify::app::MainWindow::modelReady, &window, grab);
    }
    const QStringList args = parser.positionalArguments();
    if (parser.isSet(project))
        window.openProject(parser.value(project));
    else
        window.openModel(args.isEmpty() ? QStringLiteral("default") : args.first());
    return QApplication::exec();
}
