// Which attention layers to remove: NOSE (greedy transfer-entropy selection, method.md section 3)
// and the baselines, all behind one result type the CLI and GUI share.
#pragma once

#include "core/analysis/candidates.h"
#include "core/analysis/entropy_profile.h"
#include "core/analysis/selection_methods.h"
#include "core/analysis/selection_result.h"
#include "core/analysis/transfer_entropy.h"
#include "core/train/dilution_run.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlpify::core {

// count from a ratio of the layers that still have attention: round(ratio * n), at least 1.
int64_t countForRatio(const ModelBundle& model, double ratio);

SelectionResult selectNose(ModelBundle& model, const Dataset& calibration, int64_t count, const TeOptions& options,
                           Progress& progress, const CancelToken* cancel = nullptr);
SelectionResult selectExhaustive(ModelBundle& model, const Dataset& calibration, int64_t count,
                                 const TeOptions& options, Progress& progress, const CancelToken* cancel = nullptr);
SelectionResult selectSingleTe(ModelBundle& model, const Dataset& calibration, int64_t count, const TeOptions& options,
                               Progress& progress, const CancelToken* cancel = nullptr);
SelectionResult selectFirst(const ModelBundle& model, int64_t count);
SelectionResult selectRandom(const ModelBundle& model, int64_t count, uint64_t seed);
SelectionResult selectLowestEntropy(const EntropyProfile& profile, int64_t count);

// The one method dispatcher behind `select`, `dilute` and the Slim tab, so a method and its
// settings give one set wherever it is asked for.
struct LayerSelection {
    std::string method = "nose"; // one of selectionMethods() (selection_methods.h)
    int64_t count = 0;
    uint64_t randomSeed = 0; // random
    TeOptions te;            // nose, exhaustive, single-te
    ProfileOptions profile;  // entropy, when no profile is given
};

// Runs the method. calibration may be null where selectionNeedsCalibration says so; profile, when
// given, is the model's entropy profile that "entropy" ranks (otherwise it is computed with
// s.profile). Error naming the method when it is unknown.
SelectionResult selectLayers(ModelBundle& model, const Dataset* calibration, const LayerSelection& s,
                             Progress& progress, const CancelToken* cancel = nullptr,
                             const EntropyProfile* profile = nullptr);

// What a dilution run's method asks for: run.method for run.ratio of the model's attention
// layers, the run's random seed and device; the calibration images are run.selectImages of the
// training split with seed 0, as `select` takes by default.
LayerSelection selectionFor(const DilutionRun& run, const ModelBundle& model);
CalibrationOptions calibrationFor(const DilutionRun& run);
// The layers `dilute` removes for a run that lists none: selectionFor(run) on the calibration
// images of calibrationFor(run), read from run.data when the method needs them.
SelectionResult chooseLayers(ModelBundle& model, const DilutionRun& run, Progress& progress,
                             const CancelToken* cancel = nullptr);

} // namespace mlpify::core
