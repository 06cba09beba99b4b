// `mlpify`: the headless face of the workbench. Every error becomes one line and exit code 2.
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/error.h"
#include "core/model/attention_kernel.h"
#include "core/runtime.h"

#include <c10/util/Exception.h>

#include <iostream>
#include <utility>

int main(int argc, char** argv)
{
    using namespace mlpify;
    if (argc > 1 && std::string(argv[1]) == "launch") {
        try {
            return app::runLaunch(std::vector<std::string>(argv + 2, argv + argc));
        } catch (const std::exception& e) {
            std::cerr << "mlpify: " << e.what() << "\n";
            return 2;
        }
    }
    CLI::App app{"MLPify: dilute the attention of a ViT's bottom blocks into MLP-only blocks"};
    app.require_subcommand(1);
    app.fallthrough();
    app::GlobalOptions g;
    app.add_option("--threads", g.threads, "compute threads (default: all cores)")->check(app::inRange(0, 1024));
    app.add_option("--device", g.device, "cpu, cuda or auto (CUDA when this LibTorch has it and a GPU is visible)")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
    app.add_option("--attention", g.attention,
                   "attention kernel: auto (fused on a GPU), explicit, or fused (LibTorch 2.x's "
                   "scaled_dot_product_attention)")
        ->check(CLI::IsMember({"auto", "explicit", "fused"}));

    app::Runner runner;
    app::addInfoCommand(app, g, &runner);
    app::addEvalCommand(app, g, &runner);
    app::addConvertCommand(app, g, &runner);
    app::addTrainCommand(app, g, &runner);
    app::addDiluteCommand(app, g, &runner);
    app::addFoldCommand(app, g, &runner);
    app::addExportCommand(app, g, &runner);
    app::addBenchCommand(app, g, &runner);
    app::addAnalyzeCommand(app, g, &runner);
    app::addSelectCommand(app, g, &runner);
    app::addSpectrumCommand(app, g, &runner);
    app::addWhatIfCommand(app, g, &runner);
    app::addCriteriaCommand(app, g, &runner);
    app::addReproduceCommand(app, g, &runner);
#ifdef MLPIFY_WITH_FIGURES
    app::addFiguresCommand(app, g, &runner);
    app::addFrontCommand(app, g, &runner);
    app::addAttentionCommand(app, g, &runner);
#else
    // They draw or read projects with Qt: named, so that a headless build says what it lacks.
    const std::pair<const char*, const char*> drawing[] = {{"figures", "render a project's figures"},
                                                           {"front", "a project's accuracy-throughput front"},
                                                           {"attention", "attention maps and attention distance"}};
    for (const auto& entry : drawing) {
        const char* name = entry.first;
        app.add_subcommand(name, std::string(entry.second) + " (needs a build with the GUI)")
            ->allow_extras()
            ->callback([&runner, name] {
                runner = [name]() -> int {
                    throw core::Error(name, "this mlpify was built without Qt (MLPIFY_BUILD_GUI=OFF)");
                };
            });
    }
#endif
    app::addLaunchCommand(app, g, &runner);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "mlpify: " << e.what() << " (see mlpify --help)\n";
        return 2;
    }
    try {
        core::setSettingSpelling(app::flagFor); // core's errors name the flags a CLI user gave
        core::setAttentionKernel(core::parseAttentionKernel(g.attention));
        core::configureThreads(g.threads);
        core::configureAllocator();
        app::installInterruptHandler();
        return runner ? runner() : 2;
    } catch (const core::Error& e) {
        std::cerr << "mlpify: " << e.what() << "\n";
    } catch (const c10::Error& e) {
        std::cerr << "mlpify: " << e.what_without_backtrace() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "mlpify: " << e.what() << "\n";
    }
    return 2;
}
