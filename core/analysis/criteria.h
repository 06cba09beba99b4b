// The field's training-free criteria for which attention layers to remove, beside NOSE (all
// behind core::selectLayers): each from one traced pass over calibration images, or, for the
// greedy loss, from evaluating candidate sets. Definitions and sources: README, "Criteria".
#pragma once

#include "core/analysis/candidates.h"
#include "core/analysis/selection_result.h"
#include "core/analysis/transfer_entropy.h"
#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <string>
#include <vector>

namespace mlpify::core {

// cos between matching token vectors of a and b [B, T, D], as float64 [B, T].
torch::Tensor tokenCosine(const torch::Tensor& a, const torch::Tensor& b);

// Per block; NaN where a block has no attention (it is not a candidate).
struct CriterionScores {
    // ShortGPT's Block Influence: 1 - cos(block input, block output), averaged over images and
    // tokens. Low: the block changes its input little.
    std::vector<double> blockInfluence;
    // LLM-Drop's attention-drop score (He et al. 2024): cos(x, x + Attn(LN1 x)) for the block's
    // input x, averaged over images and tokens. High: the attention sublayer changes little.
    std::vector<double> attentionCosine;
    // Gromov et al.'s angular distance, on the attention branch: arccos(cos(x, x + Attn(LN1 x))) / pi
    // of the class token, averaged over images (the representation the head reads, one sublayer
    // apart). Low: the attention moves the class token little.
    std::vector<double> angularDistance;
};

CriterionScores scoreCriteria(ModelBundle& model, const Dataset& calibration, int64_t batchSize,
                              const std::string& device, Progress& progress, const CancelToken* cancel = nullptr);

// method: block-influence (lowest first), attention-cosine (highest first) or angular (lowest
// first); the per-block score is the selection's single candidates row.
SelectionResult selectByCriterion(ModelBundle& model, const Dataset& calibration, const std::string& method,
                                  int64_t count, const std::string& device, Progress& progress,
                                  const CancelToken* cancel = nullptr);

// SLEB-style greedy removal: at each step the attention layer whose skipping (x = x, weights
// kept) together with the layers already chosen gives the lowest calibration loss: cross-entropy
// with the labels, or (kl) the KL divergence from the original model's outputs. The step's
// losses are the candidates rows, the chosen loss each stepValue.
SelectionResult selectGreedyLoss(ModelBundle& model, const Dataset& calibration, int64_t count, bool kl,
                                 const std::string& device, Progress& progress, const CancelToken* cancel = nullptr);

} // namespace mlpify::core
