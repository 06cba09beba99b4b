// Analytic FLOPs of a model and what removing attention layers saves; torch-free, so the GUI's
// panels include it.
#pragma once

#include "core/model/merge_schedule.h"
#include "core/model/model_summary.h"

#include <cstdint>
#include <vector>

namespace mlpify::core {

// Forward FLOPs of one image: patch embedding, every block in its current state (a block counts
// the branches it runs: MLP-only blocks the MLP alone, attention-only blocks the attention alone), final norm excluded,
// head included. With a merging schedule, each block's attention runs on the tokens that enter it, the MLP on those
// left after its merge, and a merging block adds its matching product (|A| x |B| cosine similarities of the
// head-averaged keys, or of the tokens in an MLP-only block).
double analyticFlops(const ViTConfig& config, const std::vector<BlockMode>& modes, const MergeSchedule& merge = {});

// What removing the attention of the blocks in `remove` and the MLP of those in `removeMlp` saves:
// each branch's norm and parameters, and the analytic FLOPs of the model as it is against the model
// with those branches removed. A block outside the model is an Error.
struct RemovalSavings {
    int64_t paramsBefore = 0;
    int64_t paramsRemoved = 0;
    double flopsBefore = 0; // per image
    double flopsAfter = 0;
};
RemovalSavings removalSavings(const ModelSummary& summary, const std::vector<int64_t>& remove,
                              const std::vector<int64_t>& removeMlp = {});

} // namespace mlpify::core
