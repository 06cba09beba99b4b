// Forward passes without autograd, and how a batch's work is spread over the compute threads.
#pragma once

#include "core/model/vit.h"

#include <string>
#include <utility>
#include <vector>

namespace mlpify::core {

// How one batch uses LibTorch's compute threads.
enum class Parallelism {
    Auto,         // AcrossImages below the workload's width threshold (below), else WithinOps
    WithinOps,    // every op on all threads: right for large matrix products
    AcrossImages, // each thread takes a contiguous part of the batch and runs it with single-threaded ops
};

// What the batch is for: a forward alone, or a training step (forward, backward, optimizer).
enum class Workload { Inference, Training };

// Below these widths a model's ops are too small to split across threads profitably, and
// splitting the batch keeps every thread busy (scripts/measure-split.sh, resources/docs/performance.md).
// Inference: the split wins at width 192 (DeiT-Ti), each op on all threads at 384 (DeiT-S).
// Training: the backward's many small element-wise and reduction ops scale worse than the
// products, so the split won at every width measured, up to 768 (DeiT-B); wider is unmeasured.
constexpr int64_t kInferenceSplitBelowWidth = 256;
constexpr int64_t kTrainingSplitBelowWidth = 1024;

// Auto resolved for this model, batch and workload; AcrossImages only where each thread gets an image.
Parallelism resolveParallelism(Parallelism p, const ViTConfig& config, int64_t batch, int threads,
                               Workload workload = Workload::Inference);
Parallelism parseParallelism(const std::string& name); // auto, ops, images; Error otherwise
std::string toString(Parallelism p);

// Contiguous parts [begin, size) of a batch of n for `parts` threads: sizes differ by at most
// one, larger parts first; no empty part.
std::vector<std::pair<int64_t, int64_t>> splitBatch(int64_t n, int64_t parts);

// Logits of images in the model's current block states, in inference mode (no autograd state).
torch::Tensor inferLogits(VisionTransformer& net, const torch::Tensor& images, Parallelism p = Parallelism::Auto);

} // namespace mlpify::core
