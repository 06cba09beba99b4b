#include "core/analysis/batches.h"

#include "core/data/batch_loader.h"
#include "core/error.h"
#include "core/runtime.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace mlpify::core {

void forEachBatch(ModelBundle& model, const Dataset& data, int64_t batchSize, const torch::Device& device,
                  Progress& progress, const std::string& what, const CancelToken* cancel,
                  const std::function<void(const torch::Tensor&, int64_t)>& fn)
{
    checkCompatible(data, model.meta.config);
    model.net->to(device);
    model.net->eval();
    torch::NoGradGuard noGrad;
    LoaderOptions lo{batchSize};
    lo.imageSize = model.meta.config.imageSize;
    BatchLoader loader(data, model.meta.normalization, lo);
    int64_t offset = 0;
    while (auto batch = loader.next()) {
        if (cancel && cancel->cancelled())
            throw Cancelled(what);
        fn(batch->images.to(device, model.net->dtype()), offset);
        offset += batch->images.size(0);
        progress.report(static_cast<double>(batch->index + 1) / loader.numBatches(), what);
    }
}

size_t parallelSlots(const torch::Device& device)
{
    return device.is_cpu() ? static_cast<size_t>(std::max(1, at::get_num_threads())) : size_t{1};
}

void forEachBatchParallel(ModelBundle& model, const Dataset& data, int64_t batchSize, const torch::Device& device,
                          Progress& progress, const std::string& what, const CancelToken* cancel,
                          const std::function<void(const torch::Tensor&, int64_t, size_t)>& fn)
{
    const auto slots = static_cast<int64_t>(parallelSlots(device));
    forEachBatch(model, data, batchSize * slots, device, progress, what, cancel,
                 [&](const torch::Tensor& images, int64_t offset) {
                     const auto parts = images.split(batchSize);
                     std::vector<double> costs;
                     for (const auto& part : parts)
                         costs.push_back(static_cast<double>(part.size(0)));
                     runBalanced(costs,
                                 [&](size_t p) { fn(parts[p], offset + static_cast<int64_t>(p) * batchSize, p); });
                 });
}

} // namespace mlpify::core
