// figures: a project's figures rendered offscreen by the GUI's own widgets. The CLI does not
// link Qt; it runs mlpify-gui (installed beside it) with the offscreen platform.
#include "app/cli/commands.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/json_file.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
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
    cmd->add_option("--size", o->size, "figure size in pixels, WxH")->capture_default_str()->check(figureSize());
    cmd->add_option("--dpi", o->dpi, "resolution")->capture_default_str()->check(inRange(10, 2400));
    cmd->callback([o, runner] {
        *runner = [o] {
            // Checked here, before the window process starts, so that every problem is one line.
            const auto project = core::readJsonFile(o->project);
            if (!project.is_object() || project.value("kind", nlohmann::json()) != "mlpify-project")
                throw core::Error(o->project, "not an MLPify project (its \"kind\" is not \"mlpify-project\")");
            namespace fs = std::filesystem;
            std::error_code ec;
            if (fs::exists(o->out, ec) && !fs::is_directory(o->out, ec))
                throw core::Error(o->out, "exists and is not a folder");
            if (!fs::exists(o->out, ec))
                core::checkOutputPath(o->out); // its parent folder exists and is writable
            const auto gui = guiBinary().string();
            // Rendered into a folder of its own, moved in only when every figure was written: a
            // failure (full disk) leaves the earlier figures in --out as they were.
            const fs::path target(o->out);
            const auto staging = (target.has_parent_path() ? target.parent_path() : fs::path(".")) /
                                 (target.filename().string() + ".tmp." + std::to_string(getpid()));
            struct Cleanup {
                fs::path dir;
                ~Cleanup()
                {
                    std::error_code ignored;
                    fs::remove_all(dir, ignored);
                }
            } cleanup{staging};
            int err[2];
            if (pipe(err) != 0)
                throw core::Error(gui, "could not be started");
            const pid_t pid = fork();
            if (pid == 0) {
                dup2(err[1], STDERR_FILENO);
                freopen("/dev/null", "w", stdout); // the files are named once they are in --out
                close(err[0]);
                setenv("QT_QPA_PLATFORM", "offscreen", 1);
                const auto dpi = std::to_string(o->dpi);
                execl(gui.c_str(), gui.c_str(), "--figures", o->project.c_str(), "--out", staging.c_str(), "--size",
                      o->size.c_str(), "--dpi", dpi.c_str(), static_cast<char*>(nullptr));
                _exit(127);
            }
            close(err[1]);
            // The window process's own error is its "mlpify-gui: " line; Qt's warnings are noise here.
            std::string text, last;
            char buf[4096];
            for (ssize_t n; (n = read(err[0], buf, sizeof buf)) > 0;)
                text.append(buf, static_cast<size_t>(n));
            close(err[0]);
            std::istringstream lines(text);
            for (std::string line; std::getline(lines, line);)
                if (line.rfind("mlpify-gui: ", 0) == 0)
                    last = line.substr(12);
            int status = 0;
            if (pid < 0 || waitpid(pid, &status, 0) < 0)
                throw core::Error(gui, "could not be started");
            const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
            if (code != 0)
                throw core::Error(o->project, last.empty() ? "rendering the figures failed (mlpify-gui exit " +
                                                                  std::to_string(code) + ")"
                                                            : last);
            fs::create_directory(target, ec);
            for (const auto& f : fs::directory_iterator(staging)) {
                fs::rename(f.path(), target / f.path().filename(), ec);
                if (ec)
                    throw core::Error((target / f.path().filename()).string(), "cannot write: " + ec.message());
                std::cout << "wrote " << (target / f.path().filename()).string() << "\n";
            }
            return 0;
        };
    });
}

} // namespace mlpify::app
