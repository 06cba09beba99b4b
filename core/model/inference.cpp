#include "core/model/inference.h"

#include "core/error.h"
#include "core/runtime.h"

#include <ATen/Parallel.h>

namespace mlpify::core {

Parallelism resolveParallelism(Parallelism p, const ViTConfig& config, int64_t batch, int threads, Workload workload)
{
    if (threads <= 1 || batch < threads)
        return Parallelism::WithinOps;
    if (p != Parallelism::Auto)
        return p;
    const int64_t below = workload == Workload::Training ? kTrainingSplitBelowWidth : kInferenceSplitBelowWidth;
    return config.embedDim < below ? Parallelism::AcrossImages : Parallelism::WithinOps;
}

Parallelism parseParallelism(const std::string& name)
{
    if (name == "auto")
        return Parallelism::Auto;
    if (name == "ops")
        return Parallelism::WithinOps;
    if (name == "images")
        return Parallelism::AcrossImages;
    throw Error("parallel mode '" + name + "'", "unknown (use auto, ops or images)");
}

std::string toString(Parallelism p)
{
    switch (p) {
    case Parallelism::WithinOps:
        return "ops";
    case Parallelism::AcrossImages:
        return "images";
    case Parallelism::Auto:
        break;
    }
    return "auto";
}

std::vector<std::pair<int64_t, int64_t>> splitBatch(int64_t n, int64_t parts)
{
    parts = std::max<int64_t>(1, std::min(parts, n));
    std::vector<std::pair<int64_t, int64_t>> out;
    int64_t begin = 0;
    for (int64_t k = 0; k < parts && begin < n; ++k) {
        const int64_t size = n / parts + (k < n % parts ? 1 : 0);
        out.emplace_back(begin, size);
        begin += size;
    }
    return out;
}

torch::Tensor inferLogits(VisionTransformer& net, const torch::Tensor& images, Parallelism p)
{
    c10::InferenceMode inference;
    const int threads = at::get_num_threads();
    if (images.is_cuda() || resolveParallelism(p, net->config(), images.size(0), threads) != Parallelism::AcrossImages)
        return net->forward(images);
    const auto parts = splitBatch(images.size(0), threads);
    std::vector<torch::Tensor> logits(parts.size());
    std::vector<double> costs;
    for (const auto& part : parts)
        costs.push_back(static_cast<double>(part.second));
    runBalanced(costs, [&](size_t k) {
        c10::InferenceMode inWorker; // the mode is per thread
        logits[k] = net->forward(images.narrow(0, parts[k].first, parts[k].second));
    });
    return torch::cat(logits);
}

} // namespace mlpify::core
