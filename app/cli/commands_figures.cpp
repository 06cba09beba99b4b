// figures and front: a project's figures, drawn in this process by the figure set the window
// exports (app/gui/figure_set.h) on Qt's offscreen platform; the accuracy-throughput front measured
// into a project.
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "app/gui/figure_set.h"
#include "core/bench/front.h"
#include "core/error.h"
#include "core/io/atomic_file.h"

#include <QApplication>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

namespace mlpify::app {

namespace {
// Qt's own warnings (fonts, runtime folders) are not the command's output: errors are one line.
void quietQt(QtMsgType type, const QMessageLogContext&, const QString& message)
{
    if (type == QtFatalMsg)
        std::cerr << "mlpify: " << message.toStdString() << "\n";
}
} // namespace

void addFiguresCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    struct Opts {
        std::string project, out, size = "900x540";
        int dpi = 150;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("figures", "render every figure of a project (SVG, PDF, PNG) as the GUI draws them");
    cmd->add_option("PROJECT", o->project, "a project saved by mlpify-gui (.mlpify-project)")->required();
    cmd->add_option("--out", o->out, "output folder")->required();
    cmd->add_option("--size", o->size, "figure size in pixels, WxH")->capture_default_str()->check(figureSize());
    cmd->add_option("--dpi", o->dpi, "resolution")->capture_default_str()->check(inRange(10, 2400));
    cmd->callback([o, runner] {
        *runner = [o] {
            const auto project = loadProject(QString::fromStdString(o->project));
            namespace fs = std::filesystem; // a place to write, checked before drawing
            std::error_code ec;
            if (fs::exists(o->out, ec) && !fs::is_directory(o->out, ec))
                throw core::Error(o->out, "exists and is not a folder");
            if (!fs::exists(o->out, ec))
                core::checkOutputPath(o->out); // its parent folder exists and is writable
            qInstallMessageHandler(quietQt);
            qputenv("QT_QPA_PLATFORM", "offscreen");
            int argc = 1;
            char name[] = "mlpify";
            char* argv[] = {name, nullptr};
            std::unique_ptr<QApplication> qt;
            if (!QApplication::instance())
                qt = std::make_unique<QApplication>(argc, argv);
            const auto size = QString::fromStdString(o->size).split('x');
            const FigureOptions fo{QSize(size.value(0).toInt(), size.value(1).toInt()), o->dpi};
            for (const auto& file : writeProjectFigures(project, QString::fromStdString(o->out), fo))
                std::cout << "wrote " << file.toStdString() << "\n";
            return 0;
        };
    });
}

void addFrontCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string project, csv;
        int64_t maxR = 3, limit = 0, batch = 64;
        int repeats = 10;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("front", "the accuracy-throughput front of a project's models (original and "
                                            "slimmed) at ToMe r = 0..R, kept in the project");
    cmd->add_option("PROJECT", o->project, "a project saved by mlpify-gui (.mlpify-project), updated in place")
        ->required();
    cmd->add_option("--tome-max", o->maxR, "measure r = 0, 1, ..., R")->capture_default_str()->check(inRange(0, 1024));
    cmd->add_option("--limit", o->limit, "test images for top-1 (0: all)")->check(inRange(0, 1e12));
    cmd->add_option("--batch", o->batch, "throughput batch")->capture_default_str()->check(inRange(1, 65536));
    cmd->add_option("--repeats", o->repeats, "timed batches")->capture_default_str()->check(inRange(1, 1000000));
    cmd->add_option("--csv", o->csv, "also write the points as CSV");
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            auto project = loadProject(QString::fromStdString(o->project));
            core::checkOutputPaths({o->project, o->csv}, {});
            std::vector<core::FrontModel> models{{project.model.toStdString(), "original"}};
            if (!project.slimmedModel.isEmpty())
                models.push_back({project.slimmedModel.toStdString(), "slimmed"});
            core::FrontOptions fo;
            fo.rs.clear();
            for (int64_t r = 0; r <= o->maxR; ++r)
                fo.rs.push_back(r);
            fo.evalLimit = o->limit;
            fo.batch = o->batch;
            fo.repeats = o->repeats;
            fo.device = g.device;
            TerminalProgress progress;
            auto points = core::measureFront(models, project.data.toStdString(), fo, progress, &interruptToken());
            progress.finish();
            if (points.empty())
                throw core::Error("front", "interrupted");
            project.front = points;
            project.frontChosen = -1;
            saveProject(project, QString::fromStdString(o->project));
            if (!o->csv.empty())
                core::writeBytesAtomically(o->csv, core::frontCsv(points));
            const auto front = core::paretoFront(points);
            std::cout << "model      r   top-1 %   images/s   GFLOPs  front\n" << std::fixed;
            for (size_t i = 0; i < points.size(); ++i)
                std::cout << std::left << std::setw(10) << points[i].label << std::right << std::setw(2) << points[i].r
                          << std::setw(10) << std::setprecision(2) << 100 * points[i].top1 << std::setw(11)
                          << std::setprecision(1) << points[i].imagesPerSecond << std::setw(9) << std::setprecision(4)
                          << points[i].gflopsPerImage << "  "
                          << (std::find(front.begin(), front.end(), i) != front.end() ? "yes" : "") << "\n";
            std::cout << "wrote " << o->project << "\n";
            return 0;
        };
    });
}

} // namespace mlpify::app
