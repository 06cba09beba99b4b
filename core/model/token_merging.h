// ToMe's bipartite soft matching and size-weighted merge on token tensors (method in
// resources/docs/token-merging.md). Tokens alternate between set A (even positions, the class
// token first) and set B (odd positions, the distillation token first in a distilled model).
// Each A token's edge is its most similar B token by cosine similarity of the metric; the r A
// tokens with the most similar edges are merged into their B tokens.
#pragma once

#include <torch/torch.h>

#include <utility>

namespace mlpify::core {

struct MergePlan {
    int64_t r = 0;        // tokens merged away (0: the plan leaves the tokens as they are)
    torch::Tensor kept;   // [B, |A| - r] A positions (within A) kept, ascending: the class token first
    torch::Tensor merged; // [B, r] A positions merged away
    torch::Tensor into;   // [B, r] the B position (within B) each merged token joins
    bool distilled = false;
};

// metric [B, T, C] (the attention keys averaged over heads, or the tokens themselves). The
// class token is never merged away and, in a distilled model, no token is merged into the
// distillation token; r is clamped as merge_schedule.h mergeCount says. Computed without autograd.
MergePlan planMerge(const torch::Tensor& metric, int64_t r, bool distilled);

// x [B, T, C] -> [B, T - r, C]: each merged token added into its B token; the order is
// [class, (distillation), kept A tokens..., B tokens...].
torch::Tensor mergeSum(const MergePlan& plan, const torch::Tensor& x);

// The size-weighted average: tokens x [B, T, C] standing for size [B, T, 1] patches each become
// sum(size * x) / sum(size) over what was merged, and sizes add. Returns (x, size) merged.
std::pair<torch::Tensor, torch::Tensor> mergeWeighted(const MergePlan& plan, const torch::Tensor& x,
                                                      const torch::Tensor& size);

} // namespace mlpify::core
