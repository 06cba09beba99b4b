// What a block's attention looks at: the softmax attention of chosen blocks, heads and query
// tokens, attention rollout (Abnar & Zuidema 2020), and one query's map over the patch grid with
// the special tokens (class, distillation, registers) kept apart from it.
#pragma once

#include "core/analysis/attention_map_result.h"
#include "core/data/dataset.h"
#include "core/model/model_bundle.h"

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace mlpify::core {

// Where the tokens of a model's sequence are: its special tokens first, then the patches in
// row-major order over a grid x grid patch grid.
TokenLayout tokenLayout(const ViTConfig& config);

// Runs images through the model and calls observe(block, probs [B, heads, T, T]) for each block
// in `blocks` (ascending or not; empty: every block that still has attention); returns the
// logits, which equal forward()'s. Nothing but the observer keeps the probabilities, so memory
// is one block's matrices at a time. Error naming the block when one is out of range or
// MLP-only, and while token merging is on.
using BlockAttentionObserver = std::function<void(int64_t block, const torch::Tensor& probs)>;
torch::Tensor observeAttention(VisionTransformer& net, const torch::Tensor& images, const std::vector<int64_t>& blocks,
                               const BlockAttentionObserver& observe);

// What to keep of each block's attention; an empty list means all of them.
struct AttentionRequest {
    std::vector<int64_t> blocks;
    std::vector<int64_t> heads;
    std::vector<int64_t> queries; // token indices (tokenLayout: 0 is the class token)
};

// One tensor [B, heads', queries', T] per requested block, in the order asked (for an empty
// block list: every block with attention, ascending). Error naming a head or query out of range.
std::vector<torch::Tensor> attentionMaps(VisionTransformer& net, const torch::Tensor& images,
                                         const AttentionRequest& request);

enum class HeadFusion { Mean, Max, Min };
std::string toString(HeadFusion fusion);
HeadFusion headFusionFromString(const std::string& name); // "mean", "max", "min"

// One rollout step: the heads of probs [B, heads, T, T] fused, the residual stream mixed in by
// the weights the block gives it, rows renormalised, and the step applied after `rolled`
// (undefined: the identity). An active block gives (A + I) / 2, as Abnar & Zuidema; a diluting
// one ((2 - lambda) I + lambda A) / 2, its own weights renormalised (method.md section 4).
torch::Tensor rolloutStep(const torch::Tensor& rolled, const torch::Tensor& probs, HeadFusion fusion,
                          const BlockMode& mode);

// Attention rollout from the input up to block upTo inclusive, [B, T, T]: the product of the
// steps of blocks 0..upTo; an MLP-only block (x = 2x) is the identity step.
torch::Tensor attentionRollout(VisionTransformer& net, const torch::Tensor& images, int64_t upTo, HeadFusion fusion);

struct AttentionMapOptions {
    int64_t block = 0;
    int64_t head = -1;    // -1: the mean over heads
    int64_t query = 0;    // the token whose attention is drawn (0: the class token)
    bool rollout = false; // rollout up to block, heads fused by fusion (head is not used)
    HeadFusion fusion = HeadFusion::Mean;
};

// Image `index` of data as the model takes it: [1, C, H, W], normalised, resized to the model's
// input size when the data's differs, in the model's dtype and on its device. Errors name the data
// when the index is out of range or its channels do not fit the model.
torch::Tensor imageInput(const ModelBundle& model, const Dataset& data, int64_t index);

// One image's map (image: normalised [1, C, H, W]): query's row of the block's attention, or of
// the rollout, split into the special tokens and the patch grid. Errors name the block, head or
// query out of range, an MLP-only block, or an image of another size.
AttentionMap attentionMap(ModelBundle& model, const torch::Tensor& image, const AttentionMapOptions& options);

} // namespace mlpify::core
