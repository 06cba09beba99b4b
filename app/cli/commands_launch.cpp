// launch: starts N local processes of one mlpify command with the torchrun variables set
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT), like `torchrun
// --nproc-per-node N`; if one fails, the others are stopped and its exit code is returned.
#include "app/cli/commands.h"
#include "core/error.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace mlpify::app {

namespace {
const char* kUsage = "usage: mlpify launch [--nproc N] [--port P] [--timeout S] [--] COMMAND ARGS...\n"
                     "  runs COMMAND as N local ranks with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1,\n"
                     "  MASTER_PORT set (torchrun style); give COMMAND --distributed, e.g.\n"
                     "  mlpify launch --nproc 2 -- --threads 1 dilute default --data fashion-mnist --ratio 0.5 "
                     "--distributed --out slim.mlpify\n";

// The ranks run in their own process group, so a terminal's Ctrl-C reaches them once, through
// this forwarder: SIGINT (stop with a checkpoint), SIGTERM, SIGUSR1 (pause / resume).
std::vector<pid_t> g_ranks;
void forward(int sig)
{
    for (auto p : g_ranks)
        kill(p, sig);
}

int number(const std::vector<std::string>& args, size_t& i)
{
    if (i + 1 >= args.size())
        throw core::Error("launch " + args[i], "needs a value");
    try {
        return std::stoi(args[++i]);
    } catch (const std::exception&) {
        throw core::Error("launch " + args[i - 1], "'" + args[i] + "' is not a number");
    }
}
} // namespace

int runLaunch(const std::vector<std::string>& argsIn)
{
    int nproc = 2, port = 29500, timeout = 60;
    size_t i = 0;
    for (; i < argsIn.size(); ++i) {
        const auto& a = argsIn[i];
        if (a == "--nproc")
            nproc = number(argsIn, i);
        else if (a == "--port")
            port = number(argsIn, i);
        else if (a == "--timeout")
            timeout = number(argsIn, i);
        else if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else if (a == "--") {
            ++i;
            break;
        } else
            break;
    }
    const std::vector<std::string> args(argsIn.begin() + static_cast<std::ptrdiff_t>(i), argsIn.end());
    if (args.empty())
        throw core::Error("launch", std::string("give the command to run\n") + kUsage);
    if (nproc < 1 || nproc > 256)
        throw core::Error("launch --nproc", "must be between 1 and 256");
    const auto self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<pid_t> pids;
    for (int r = 0; r < nproc; ++r) {
        const pid_t pid = fork();
        if (pid == 0) {
            setpgid(0, 0);
            setenv("RANK", std::to_string(r).c_str(), 1);
            setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
            setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
            setenv("MASTER_ADDR", "127.0.0.1", 1);
            setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
            setenv("MLPIFY_DIST_TIMEOUT", std::to_string(timeout).c_str(), 1);
            std::vector<char*> argv{const_cast<char*>(self.c_str())};
            for (const auto& s : args)
                argv.push_back(const_cast<char*>(s.c_str()));
            argv.push_back(nullptr);
            execv(self.c_str(), argv.data());
            _exit(127);
        }
        if (pid < 0)
            throw core::Error("launch", "could not start rank " + std::to_string(r));
        pids.push_back(pid);
    }
    g_ranks = pids;
    for (int sig : {SIGINT, SIGTERM, SIGUSR1})
        std::signal(sig, forward);
    int result = 0;
    for (size_t left = pids.size(); left > 0; --left) {
        int status = 0;
        const pid_t done = wait(&status);
        if (done < 0 && errno == EINTR) {
            ++left; // a forwarded signal interrupted the wait
            continue;
        }
        if (done < 0)
            break;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0 && result == 0) {
            size_t rank = 0;
            while (rank < pids.size() && pids[rank] != done)
                ++rank;
            std::cerr << "mlpify launch: rank " << rank << " exited with code " << code
                      << "; stopping the other ranks\n";
            result = code;
            for (auto p : pids)
                if (p != done)
                    kill(p, SIGTERM);
        }
    }
    return result;
}

void addLaunchCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    // Parsed by runLaunch before CLI11 sees the line (the command's own options must pass through
    // untouched); listed here for `mlpify --help`.
    auto* cmd = app.add_subcommand("launch", "run one command as N local ranks: mlpify launch --nproc 2 -- dilute ... "
                                             "--distributed (must come first on the line)");
    cmd->allow_extras();
    cmd->callback([runner] {
        *runner = [] {
            std::cerr << kUsage;
            return 2;
        };
    });
}

} // namespace mlpify::app
