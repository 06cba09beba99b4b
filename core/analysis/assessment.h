// Assessing a chosen set of attention layers, the same way for `select` and the criteria
// comparison: its transfer entropy to the head with a bootstrap interval, its training-free
// top-1 by both removal rules, and how stable the method's choice is over resamples.
#pragma once

#include "core/analysis/removal.h"
#include "core/analysis/selection.h"
#include "core/analysis/stability.h"

#include <limits>
#include <optional>
#include <vector>

namespace mlpify::core {

struct AssessmentOptions {
    TeOptions te;                  // the yardstick; te.bootstrap > 0 gives its 95% interval
    bool transferEntropy = true;   // false where the caller measures many sets in one pass
    const Dataset* test = nullptr; // the training-free top-1 on these images, when given
    EvalOptions eval;
    int stability = 0; // resamples of the calibration images the method is run again on (0: none)
    uint64_t stabilitySeed = 0;
};

struct SelectionAssessment {
    std::optional<TeEstimate> transferEntropy;
    std::optional<TrainingFreeTop1> trainingFree;
    std::optional<SelectionStability> stability;
    double chosenSetShare = std::numeric_limits<double>::quiet_NaN();
};

// selection: the method and settings that chose `set`, run again on every resample (with its own
// curves, never a given profile).
SelectionAssessment assessSelection(ModelBundle& model, const Dataset& calibration, const std::vector<int64_t>& set,
                                    const LayerSelection& selection, const AssessmentOptions& options,
                                    Progress& progress, const CancelToken* cancel = nullptr);

} // namespace mlpify::core
