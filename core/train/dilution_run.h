// A dilution run as one plain value (no LibTorch): what to slim, on which data, which layers (a
// list, or a selection method for a ratio) and how to train. The CLI's `dilute` fills it, the
// Slim tab edits it, the project file stores it, and the window's in-process and multi-process
// runs and the project's equivalent command are all made from it, so the four are one run.
#pragma once

#include "core/data/calibration_defaults.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

// Without a number of dilution epochs, lambda falls to 0 over this share of the epochs.
inline constexpr double kDefaultDilutionShare = 0.8;
// The rule in words, for every face's help: "80% of the epochs".
std::string defaultDilutionEpochsText();

struct DilutionRun {
    std::string model = "default";
    std::string data = "fashion-mnist";
    std::string out; // the folded model; its checkpoint is OUT.ckpt
    // Which attention layers: the list, or when it is empty, `method` for `ratio` (analysis/selection.h).
    std::vector<int64_t> remove;
    // MLP branches to remove by the same dilution (resources/docs/units.md): with or without attention
    // layers; a block in both lists is removed whole.
    std::vector<int64_t> removeMlp;
    double ratio = 0;
    std::string method = "nose";
    int64_t selectImages = kCalibrationImages; // for the methods that read calibration images
    uint64_t randomSeed = 0;                   // for method random
    // Training.
    int64_t epochs = 5;
    double dilutionEpochs = -1; // epochs over which lambda falls to 0; below 0: kDefaultDilutionShare of the epochs
    double lr = 5e-4;
    int64_t batch = 128; // per process
    double warmupEpochs = 0.5;
    int64_t trainLimit = 0;          // a seeded subset of N training images (0 = all)
    std::string schedule = "linear"; // one of lambdaScheduleNames()
    bool augment = true;
    bool distill = false;  // soft targets from the original model
    bool newHead = false;  // a new classifier for the data's classes (model/adapt.h)
    int64_t inputSize = 0; // > 0: train at this input size, the position embedding resampled
    std::string device = "auto";
    bool bf16 = false; // bfloat16 autocast for the training steps (TrainOptions::bf16)
    uint64_t seed = 0;
    int processes = 1; // > 1: local data-parallel processes (mlpify launch, c10d)

    double resolvedDilutionEpochs() const
    {
        return dilutionEpochs >= 0 ? dilutionEpochs : kDefaultDilutionShare * static_cast<double>(epochs);
    }
    bool operator==(const DilutionRun& o) const;
    bool operator!=(const DilutionRun& o) const { return !(*this == o); }
};

// The names DilutionRun::schedule can take, in core::LambdaSchedule's order (train/dilution.h).
const std::vector<std::string>& lambdaScheduleNames(); // linear, cosine

// `mlpify dilute` arguments (without the program name) that give this run, every setting spelled
// out, so a later change of the CLI's defaults cannot change what a stored run means.
std::vector<std::string> toArgs(const DilutionRun& run);
// The shell command: `mlpify dilute ...`, or `mlpify launch --nproc N -- dilute ... --distributed`.
std::string commandLine(const DilutionRun& run);

void to_json(nlohmann::json& j, const DilutionRun& run);
void from_json(const nlohmann::json& j, DilutionRun& run); // missing keys keep their defaults

} // namespace mlpify::core
