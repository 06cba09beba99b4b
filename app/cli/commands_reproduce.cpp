// reproduce: a figure bundle's numbers checked on this machine. The record's files are hashed again,
// and the cheap commands of the record (analyze, select) run again in this mlpify, their numbers
// compared with the ones the bundle's project holds.
#include "app/cli/commands.h"
#include "core/error.h"
#include "core/json_file.h"
#include "core/run/run_record.h"
#include "core/run/sha256.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace mlpify::app {

namespace {

namespace fs = std::filesystem;

std::string shellQuote(const std::string& s)
{
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::vector<std::string> words(const std::string& command)
{
    std::istringstream in(command);
    std::vector<std::string> w;
    for (std::string s; in >> s;)
        w.push_back(s);
    return w;
}

// The commands whose numbers a project keeps and that take seconds, not a training run.
struct Cheap {
    const char* command;     // the record's name for it
    const char* result;      // where the project keeps its numbers
    const char* description; // for the report
};
constexpr Cheap kCheap[] = {{"analyze", "entropy_profile", "entropy profile"}, {"select", "selection", "selection"}};

} // namespace

void addReproduceCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string bundle;
        // Float32 sums over a thousand images in another order (other threads, another CPU's
        // kernels) move a result by some tens of float32 epsilons relative; more is a difference.
        double tolerance = 64.0 * std::numeric_limits<float>::epsilon();
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("reproduce", "check a figure bundle's numbers here: its files' hashes, and its "
                                                "analyze and select commands run again");
    cmd->add_option("BUNDLE", o->bundle, "a folder written by `mlpify figures`, or its record.json")->required();
    cmd->add_option("--tolerance", o->tolerance, "relative difference a number may show (default 64 float32 epsilons)")
        ->check(inRange(0.0, 1.0));
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            const fs::path recordPath =
                fs::is_directory(o->bundle) ? fs::path(o->bundle) / "record.json" : fs::path(o->bundle);
            const auto record = core::readJsonFile(recordPath.string());
            core::RunRecord r;
            try {
                r = record.get<core::RunRecord>();
            } catch (const std::exception& e) { // not a record, or one with a member of the wrong type
                throw core::Error(recordPath.string(), e.what());
            }
            const auto projectPath = (recordPath.parent_path() / "project-data.json").string();
            const auto project = core::readJsonFile(projectPath);
            const auto results = project.value("results", nlohmann::json::object());

            int differences = 0;
            std::cout << "recorded by MLPify " << r.mlpify << " (" << r.commit << ") on " << r.cpu << ", " << r.date
                      << "\n";
            for (const auto& f : r.files) {
                std::string state = "same";
                if (!fs::is_regular_file(f.path))
                    state = "missing";
                else if (core::sha256File(f.path) != f.sha256)
                    state = "differs";
                differences += state != "same";
                std::cout << "  " << f.role << " " << f.path << ": " << state << "\n";
            }

            char self[4096];
            const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
            if (n <= 0)
                throw core::Error("/proc/self/exe", "cannot find this program to run the commands again");
            self[n] = '\0';
            const fs::path work = fs::temp_directory_path() / ("mlpify-reproduce-" + std::to_string(::getpid()));
            fs::create_directories(work);
            struct Cleanup {
                fs::path dir;
                ~Cleanup()
                {
                    std::error_code ec;
                    fs::remove_all(dir, ec);
                }
            } cleanup{work};

            std::vector<std::string> notRun;
            for (auto it = r.commands.begin(); it != r.commands.end(); ++it) {
                const Cheap* cheap = nullptr;
                for (const auto& c : kCheap)
                    if (it.key() == c.command && results.contains(c.result) && !results.at(c.result).is_null())
                        cheap = &c;
                if (!cheap) {
                    notRun.push_back(it.key());
                    continue;
                }
                auto w = words(it.value().get<std::string>());
                std::string out;
                for (size_t i = 0; i + 1 < w.size(); ++i)
                    if (w[i] == "--out")
                        out = w[i + 1];
                if (w.empty() || w[0] != "mlpify" || out.empty() || out.find('/') != std::string::npos)
                    throw core::Error(recordPath.string(), "the " + it.key() + " command is not `mlpify " + it.key() +
                                                               " ... --out FILE`: " + it.value().get<std::string>());
                std::string line = "cd " + shellQuote(work.string()) + " && " + shellQuote(self);
                if (g.threads > 0)
                    line += " --threads " + std::to_string(g.threads);
                for (size_t i = 1; i < w.size(); ++i)
                    line += " " + shellQuote(w[i]);
                line += " > " + shellQuote((work / (it.key() + ".log")).string()) + " 2>&1";
                std::cout << it.key() << ": running " << it.value().get<std::string>() << "\n" << std::flush;
                if (std::system(line.c_str()) != 0)
                    throw core::Error(it.key(), "the recorded command failed here; its output is not kept (run it "
                                                "yourself to see why): " +
                                                    it.value().get<std::string>());
                const auto again = core::readJsonFile((work / out).string());
                const auto check = core::compareNumbers(results.at(cheap->result), again, o->tolerance);
                if (check.differing == 0)
                    std::cout << "  " << cheap->description << ": all " << check.numbers
                              << " numbers match (largest difference " << check.maxAbsDifference << ")\n";
                else
                    std::cout << "  " << cheap->description << ": " << check.differing << " of " << check.numbers
                              << " numbers differ; first " << check.firstDifference << "\n";
                differences += check.differing > 0;
            }
            if (!notRun.empty()) {
                std::cout << "not run again (training, timing or drawing; their commands are in the record):";
                for (const auto& k : notRun)
                    std::cout << " " << k;
                std::cout << "\n";
            }
            std::cout << (differences ? "DIFFERENT: " + std::to_string(differences) + " check(s) differ\n"
                                      : std::string("REPRODUCED: every file and number checked matches\n"));
            return differences ? 1 : 0;
        };
    });
}

} // namespace mlpify::app
