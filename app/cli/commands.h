// Sub-command registration for the `mlpify` CLI; each returns the process exit code.
#pragma once

#include "core/model/merge_schedule.h"
#include "core/setting.h"
#include "core/train/dilution_run.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace mlpify::app {

struct GlobalOptions {
    int threads = 0;
    std::string device = "auto";
    std::string attention = "auto"; // core::AttentionKernel by name
};

using Runner = std::function<int()>;

// A number in [lo, hi]: unlike CLI::Range it refuses NaN (every comparison with NaN is false, so
// Range lets it through) and says the bounds as written.
CLI::Validator inRange(double lo, double hi);

// "WxH" with both in [1, 16384], for figure sizes.
CLI::Validator figureSize();
// A print size: column, double, slide, or WxHin / WxHcm (core::printSize).
CLI::Validator printSizeSpec();

// The CLI's spelling of the settings core's errors and summaries name (core/setting.h): its flags.
std::string flagFor(core::Setting setting);

// "0,1,3" -> {0, 1, 3}; Error naming flag unless every item is a block index below depth.
std::vector<int64_t> parseBlocks(const std::string& list, int64_t depth, const std::string& flag = "--remove");

// Token merging options (--tome R or r0,r1,..., --tome-schedule, --tome-start), shared by eval
// and bench. schedule() applies core::parseMergeSchedule: Error naming --tome on bad values.
struct TomeOptions {
    std::vector<std::string> r; // bench measures each; eval takes one
    std::string shape = "constant";
    int64_t start = 0;
    void add(CLI::App* cmd, bool many);
    core::MergeSchedule schedule(const std::string& r, int64_t depth) const;
};

// Each adds its sub-command to app and stores, in *runner, what to do when it is chosen.
void addInfoCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addEvalCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addConvertCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addTrainCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addDiluteCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addFoldCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addExportCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addBenchCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addAnalyzeCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addSelectCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addSpectrumCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addWhatIfCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addCriteriaCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addFiguresCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addReproduceCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
void addFrontCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);     // with the figures (Qt)
void addAttentionCommand(CLI::App& app, const GlobalOptions& g, Runner* runner); // with the figures (Qt)
void addLaunchCommand(CLI::App& app, const GlobalOptions& g, Runner* runner);
// The dilution run that `mlpify dilute ARGS` (args from "dilute" on, as core::toArgs gives them)
// describes, parsed as the command parses it; CLI::ParseError on bad arguments.
core::DilutionRun diluteRunFromArgs(const std::vector<std::string>& args);
// `mlpify launch ...` (argv after "launch"): starts the ranks; returns the exit code.
int runLaunch(const std::vector<std::string>& args);

} // namespace mlpify::app
