// How sure a selection method's choice is: the method run again on resamples of the
// calibration images, counting how often each layer and each set comes back.
#pragma once

#include "core/analysis/selection_result.h"
#include "core/data/dataset.h"
#include "core/progress.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <utility>
#include <vector>

namespace mlpify::core {

// How sure a method's choice is: the method run on resamples of the calibration images.
struct SelectionStability {
    int resamples = 0;
    std::vector<double> layerFrequency; // per block: the fraction of resamples whose set holds it
    // Each distinct set (in index order) with the number of resamples that chose it, most often first.
    std::vector<std::pair<std::vector<int64_t>, int>> sets;
};
// resamples[k] lists the calibration images of resample k (indices may repeat). Runs `select`
// (a selectLayers call) on each.
SelectionStability selectionStability(const Dataset& calibration, const std::vector<std::vector<int64_t>>& resamples,
                                      const std::function<SelectionResult(const Dataset&, Progress&)>& select,
                                      int64_t depth, Progress& progress, const CancelToken* cancel = nullptr);
void to_json(nlohmann::json& j, const SelectionStability& s);
// The fraction of the resamples that chose exactly `set` (in any order); NaN with no resamples.
double chosenSetShare(const SelectionStability& s, std::vector<int64_t> set);

} // namespace mlpify::core
