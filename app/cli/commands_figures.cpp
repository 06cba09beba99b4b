// figures: a project's figures rendered offscreen by the GUI's own widgets. The CLI does not
// link Qt; it runs mlpify-gui (installed beside it) with the offscreen platform.
#include "app/cli/commands.h"
#include "core/error.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace mlpify::app {

namespace {
std::filesystem::path guiBinary()
{
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const auto beside = self.parent_path() / "mlpify-gui";
    if (!ec && std::filesystem::exists(beside))
        return beside;
    throw core::Error(beside.string(), "mlpify-gui is not installed beside mlpify (build with the GUI enabled)");
}
} // namespace

void addFiguresCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    struct Opts {
        std::string project, out, size = "900x540";
        int dpi = 150;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd =
        app.add_subcommand("figures", "render every figure of a project (SVG, PDF, PNG) with the GUI's widgets");
    cmd->add_option("PROJECT", o->project, "a project saved by mlpify-gui (.mlpify-project)")->required();
    cmd->add_option("--out", o->out, "output folder")->required();
    cmd->add_option("--size", o->size, "figure size in pixels, WxH")->capture_default_str();
    cmd->add_option("--dpi", o->dpi, "resolution")->capture_default_str()->check(CLI::Range(10, 2400));
    cmd->callback([o, runner] {
        *runner = [o] {
            if (!std::filesystem::exists(o->project))
                throw core::Error(o->project, "no such file");
            const auto gui = guiBinary().string();
            const pid_t pid = fork();
            if (pid == 0) {
                setenv("QT_QPA_PLATFORM", "offscreen", 1);
                const auto dpi = std::to_string(o->dpi);
                execl(gui.c_str(), gui.c_str(), "--figures", o->project.c_str(), "--out", o->out.c_str(), "--size",
                      o->size.c_str(), "--dpi", dpi.c_str(), static_cast<char*>(nullptr));
                _exit(127);
            }
            int status = 0;
            if (pid < 0 || waitpid(pid, &status, 0) < 0)
                throw core::Error(gui, "could not be started");
            return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
        };
    });
}

} // namespace mlpify::app
