// Which attention layers to remove: NOSE (greedy transfer-entropy selection, method.md section 3)
// and the baselines, all behind one result type the CLI and GUI share.
#pragma once

#include "core/analysis/entropy_profile.h"
#include "core/analysis/selection_result.h"
#include "core/analysis/transfer_entropy.h"

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

} // namespace mlpify::core
