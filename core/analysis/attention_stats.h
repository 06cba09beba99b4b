// Per-model attention statistics over N images: the mean attention distance of every head
// (Dosovitskiy et al. 2021, Fig. 7; Raghu et al. 2021) and the entropy of its attention rows.
#pragma once

#include "core/analysis/attention_stats_result.h"
#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <torch/torch.h>

#include <string>

namespace mlpify::core {

// Distances in pixels between the centres of every two patches of the layout's grid, [P, P].
torch::Tensor patchDistances(const TokenLayout& layout, const torch::TensorOptions& options);

// probs [B, heads, T, T] (every query row) -> [B, heads]: for each patch query, the mean distance
// to the patch keys weighted by its attention renormalised over the patches (attention to the
// special tokens has no position), averaged over the patch queries; a query with no attention
// left on any patch counts 0.
torch::Tensor meanAttentionDistance(const torch::Tensor& probs, const TokenLayout& layout);

// probs [B, heads, T, T] -> [B, heads]: the entropy -sum p ln p of each attention row (nats; 0
// for one-hot rows, ln T for uniform ones), averaged over every query row.
torch::Tensor attentionRowEntropy(const torch::Tensor& probs);

// probs [B, heads, T, T] -> [B, heads]: the attention the patch queries give the special tokens.
torch::Tensor specialTokenShare(const torch::Tensor& probs, const TokenLayout& layout);

struct AttentionStatsOptions {
    int64_t batchSize = 32; // images per forward; on a CPU the batches run one per thread
    std::string device = "auto";
};

// The statistics over every image of `images` (a calibration set); Cancelled when cancel is set.
AttentionStatistics attentionStatistics(ModelBundle& model, const Dataset& images, const AttentionStatsOptions& options,
                                        Progress& progress, const CancelToken* cancel = nullptr);

} // namespace mlpify::core
