// front: the accuracy-throughput front of a project's models, measured into the project (which
// is a Qt type, so this command comes with the figures).
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "app/figures/project.h"
#include "core/bench/front.h"
#include "core/error.h"
#include "core/io/atomic_file.h"

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>

namespace mlpify::app {

void addFrontCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string project, csv;
        core::FrontOptions front; // the CLI's defaults are the front's
        int64_t maxR = front.rs.back();
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("front", "the accuracy-throughput front of a project's models (original and "
                                            "slimmed) at ToMe r = 0..R, kept in the project");
    cmd->add_option("PROJECT", o->project, "a project saved by mlpify-gui (.mlpify-project), updated in place")
        ->required();
    cmd->add_option("--tome-max", o->maxR, "measure r = 0, 1, ..., R")->capture_default_str()->check(inRange(0, 1024));
    cmd->add_option("--limit", o->front.evalLimit, "test images for top-1 (0: all)")->check(inRange(0, 1e12));
    cmd->add_option("--batch", o->front.batch, "throughput batch")->capture_default_str()->check(inRange(1, 65536));
    cmd->add_option("--repeats", o->front.repeats, "timed batches")->capture_default_str()->check(inRange(1, 1000000));
    cmd->add_option("--csv", o->csv, "also write the points as CSV");
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            auto project = loadProject(QString::fromStdString(o->project));
            core::checkOutputPaths({o->project, o->csv}, {});
            auto fo = o->front;
            fo.rs = core::tomeRange(o->maxR);
            fo.device = g.device;
            TerminalProgress progress;
            auto points =
                core::measureFront(frontModels(project), project.data.toStdString(), fo, progress, &interruptToken());
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
