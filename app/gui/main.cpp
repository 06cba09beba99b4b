// `mlpify-gui [MODEL] [--screenshot FILE]`: opens the workbench on a model (the default if none).
#include "app/gui/main_window.h"
#include "core/io/model_io.h"
#include "core/runtime.h"
#include "widgets/entropy_chart_view.h"
#include "widgets/figure_export.h"
#include "widgets/heatmap_view.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <fstream>
#include <iostream>

namespace {
nlohmann::json readJson(const QString& path)
{
    std::ifstream in(path.toStdString());
    if (!in)
        throw std::runtime_error(path.toStdString() + ": cannot open");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path.toStdString() + ": not valid JSON (" + e.what() + ")");
    }
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
double valueOf(const nlohmann::json& v)
{
    return v.is_null() ? std::nan("") : v.get<double>();
}

// The NOSE path (selection JSON) or the layer-to-layer map (analysis JSON with layer_map).
int renderHeatmapFigure(const QString& input, const QString& out, const QString& size, int dpi)
{
    try {
        const auto j = readJson(input);
        mlpify::widgets::HeatmapData d;
        if (j.contains("layer_map")) {
            std::vector<std::vector<double>> values;
            for (const auto& row : j.at("layer_map").at("values")) {
                values.emplace_back();
                for (const auto& v : row)
                    values.back().push_back(valueOf(v));
            }
            d = mlpify::widgets::layerMapHeatmapData(values,
                                                     QString::fromStdString(j.at("layer_map").value("units", "")));
        } else if (j.value("kind", "") == "selection") {
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
    } catch (const std::exception& e) {
        std::cerr << "mlpify-gui: " << e.what() << "\n";
        return 2;
    }
}
} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("MLPify");
    QApplication::setApplicationName("MLPify");
    QApplication::setApplicationVersion("0.1.0");
    qRegisterMetaType<std::shared_ptr<mlpify::core::ModelBundle>>();
    qRegisterMetaType<mlpify::core::ModelSummary>();
    qRegisterMetaType<mlpify::core::EntropyProfile>();
    qRegisterMetaType<mlpify::core::SelectionResult>();

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
    for (const auto& o : {shot, threads, analyze, tab, entropyFigure, heatmapFigure, versus, out, figSize, dpi})
        parser.addOption(o);
    parser.process(app);
    if (parser.isSet(heatmapFigure))
        return renderHeatmapFigure(parser.value(heatmapFigure), parser.value(out), parser.value(figSize),
                                   parser.value(dpi).toInt());
    if (parser.isSet(entropyFigure))
        return renderEntropyFigure(parser.value(entropyFigure), parser.value(versus), parser.value(out),
                                   parser.value(figSize), parser.value(dpi).toInt());
    mlpify::core::configureThreads(parser.value(threads).toInt());

    mlpify::app::MainWindow window;
    window.show();
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
            QTimer::singleShot(300, &window, [&window, file] {
                window.grab().save(file);
                QApplication::quit();
            });
        };
        if (runAnalysis)
            QObject::connect(&window, &mlpify::app::MainWindow::analysisFinished, &window, grab);
        else
            QObject::connect(&window, &mlpify::app::MainWindow::modelReady, &window, grab);
    }
    const QStringList args = parser.positionalArguments();
    window.openModel(args.isEmpty() ? QStringLiteral("default") : args.first());
    return QApplication::exec();
}
