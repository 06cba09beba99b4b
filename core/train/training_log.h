// A training run's progress as plain data (no LibTorch): the per-step and per-epoch statistics,
// the curves they add up to, and the one JSON-lines form of them (`--json-log`), written by the
// CLI and read back by the window's log follower, the project file and scripts.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

struct StepStats {
    int64_t step = 0;
    int64_t totalSteps = 0;
    int64_t epoch = 0;
    double loss = 0;
    double lr = 0;
    double imagesPerSecond = 0;
    double lambda = 1.0;    // dilution lambda in force for this step (1 when not diluting)
    double commSeconds = 0; // time in all-reduce this step (distributed runs)
};

struct EpochStats {
    int64_t epoch = 0;
    double trainLoss = 0;
    double trainTop1 = 0;
    double testTop1 = -1; // -1 when no test set was given
    double lr = 0;
    double seconds = 0;
    double lambda = 1.0; // the lambda the test accuracy was measured at
};

// What a run's views draw: every step and every epoch, in the order they came.
struct TrainingCurves {
    std::vector<StepStats> steps;
    std::vector<EpochStats> epochs;
    int64_t totalSteps = 0;

    void add(const StepStats& s);
    void add(const EpochStats& e);
};

// One log line each (keys: step, total_steps, epoch, loss, lr, lambda, images_per_s[, comm_s];
// epoch_end, train_loss, train_top1, test_top1, lambda, lr, seconds).
nlohmann::json logLine(const StepStats& s, bool withComm = false);
nlohmann::json logLine(const EpochStats& e);

enum class LogLineKind { None, Step, Epoch };

// Parses one line of a log; a step or epoch line is added to curves and, where asked, given
// back. Anything else (a line still being written, another tool's line) is None.
LogLineKind readLogLine(const std::string& line, TrainingCurves& curves, StepStats* step = nullptr,
                        EpochStats* epoch = nullptr);

} // namespace mlpify::core
