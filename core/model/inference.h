// Forward passes without autograd, and how a batch's work is spread over the compute threads.
#pragma once

#include "core/model/vit.h"

#include <string>
#include <utility>
#include <vector>

namespace mlpify::core {

// How one batch uses LibTorch's compute threads.
enum class Parallelism {
    Auto,         // AcrossImages for narrow models (width below kAcrossImagesBelowWidth), else WithinOps
    WithinOps,    // every op on all threads: right for large matrix products
    AcrossImages, // each thread takes a contiguous part of the batch and runs it with single-threaded ops
};

// Below this width a model's matrix products are too small to split across threads profitably;
// splitting the batch instead keeps every thread busy. Measured for inference (DeiT-Ti splits
// faster, DeiT-S not); for training the few measurements so far disagree (README, "Threads").
constexpr int64_t kAcrossImagesBelowWidth = 256;

// Auto resolved for this model and batch; AcrossImages only where each thread gets an image.
Parallelism resolveParallelism(Parallelism p, const ViTConfig& config, int64_t batch, int threads);
Parallelism parseParallelism(const std::string& name); // auto, ops, images; Error otherwise
std::string toString(Parallelism p);

// Contiguous parts [begin, size) of a batch of n for `parts` threads: sizes differ by at most
// one, larger parts first; no empty part.
std::vector<std::pair<int64_t, int64_t>> splitBatch(int64_t n, int64_t parts);

// Logits of images in the model's current block states, in inference mode (no autograd state).
torch::Tensor inferLogits(VisionTransformer& net, const torch::Tensor& images, Parallelism p = Parallelism::Auto);

} // namespace mlpify::core
