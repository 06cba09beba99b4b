// figures: a project's figures in print style with their data, TeX, scripts and record, drawn in
// this process by the figure set the window exports (app/figures/figure_set.h) on Qt's offscreen platform.
#include "app/cli/commands.h"
#include "app/cli/offscreen_qt.h"
#include "app/cli/terminal_progress.h"
#include "app/figures/figure_set.h"
#include "core/bench/front.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/plot/plot.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

namespace mlpify::app {

void addFiguresCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    struct Opts {
        std::string project, out, size = "column";
        int dpi = 300;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("figures", "write every figure of a project in print style: PDF, SVG, PNG, pgfplots "
                                              "TeX, its data as CSV, a matplotlib script, and the record of the run");
    cmd->add_option("PROJECT", o->project, "a project saved by mlpify-gui (.mlpify-project)")->required();
    cmd->add_option("--out", o->out, "output folder")->required();
    cmd->add_option("--size", o->size, "print size: column (3.5 in), double (7.16 in), slide (10 in), or WxHin / WxHcm")
        ->capture_default_str()
        ->check(printSizeSpec());
    cmd->add_option("--dpi", o->dpi, "resolution of the PNG")->capture_default_str()->check(inRange(10, 2400));
    cmd->callback([o, runner] {
        *runner = [o] {
            const auto project = loadProject(QString::fromStdString(o->project));
            namespace fs = std::filesystem; // a place to write, checked before drawing
            std::error_code ec;
            if (fs::exists(o->out, ec) && !fs::is_directory(o->out, ec))
                throw core::Error(o->out, "exists and is not a folder");
            if (!fs::exists(o->out, ec))
                core::checkOutputPath(o->out); // its parent folder exists and is writable
            const auto qt = startOffscreenQt();
            const FigureOptions fo{core::printSize(o->size), o->dpi};
            for (const auto& file : writeProjectFigures(project, QString::fromStdString(o->out), fo))
                std::cout << "wrote " << file.toStdString() << "\n";
            return 0;
        };
    });
}

} // namespace mlpify::app
