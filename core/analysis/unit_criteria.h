// The field's criteria over removable units of every kind (unit_selection.h), each where it is
// defined: the representation change across the unit (ShortGPT's block influence for a block,
// LLM-Drop's cosine for a sublayer), the class token's angular distance across it (Gromov et al.),
// and the calibration loss with the unit skipped (SLEB's greedy search, FinerCut's over sublayers).
#pragma once

#include "core/analysis/unit_selection.h"
#include "core/data/dataset.h"
#include "core/progress.h"

#include <string>
#include <vector>

namespace mlpify::core {

// One value per candidate, lower = safer to remove (the unit's input x and output y: for an
// attention sublayer x is the block input and y = x + Attn(LN1 x); for an MLP sublayer x is the
// state after the attention step and y the block output; for a block, its input and output).
struct UnitCriterionScores {
    std::vector<double> influence; // 1 - cos(x, y), averaged over images and tokens
    std::vector<double> angular;   // arccos(cos(x, y)) / pi of the class token, averaged over images
};

// From one traced pass over the calibration images.
UnitCriterionScores scoreUnitCriteria(ModelBundle& model, const Dataset& calibration,
                                      const std::vector<Unit>& candidates, int64_t batchSize, const std::string& device,
                                      Progress& progress, const CancelToken* cancel = nullptr);

// The calibration loss (nats per image) of the model with each set of units skipped (x = x for
// each removed branch, weights kept): cross-entropy with the labels, or (kl) the KL divergence
// from the model's own outputs. One value per set.
class UnitLossEvaluator {
public:
    UnitLossEvaluator(ModelBundle& model, const Dataset& calibration, bool kl, int64_t batchSize,
                      const std::string& device, const CancelToken* cancel);
    double loss(const std::vector<Unit>& skipped, Progress& progress);
    int64_t passes() const { return m_passes; }

private:
    ModelBundle& m_model;
    const Dataset& m_calibration;
    bool m_kl;
    int64_t m_batchSize;
    torch::Device m_device;
    const CancelToken* m_cancel;
    std::vector<torch::Tensor> m_reference; // the model's log-probabilities per batch (kl)
    int64_t m_passes = 0;
};

} // namespace mlpify::core
