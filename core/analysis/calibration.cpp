#include "core/analysis/calibration.h"

#include "core/data/batch_loader.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/runtime.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace mlpify::core {

std::string toString(TokenSet t)
{
    switch (t) {
    case TokenSet::Cls:
        return "cls";
    case TokenSet::All:
        return "all";
    case TokenSet::PatchMean:
        return "patch";
    }
    return "cls";
}

TokenSet tokenSetFromString(const std::string& s)
{
    for (TokenSet t : {TokenSet::Cls, TokenSet::All, TokenSet::PatchMean})
        if (toString(t) == s)
            return t;
    throw Error("--tokens " + s, "unknown token set (use cls, all or patch)");
}

Dataset loadCalibrationSet(const std::string& spec, const ViTConfig& config, const CalibrationOptions& o)
{
    if (o.split != "train" && o.split != "test")
        throw Error("--split " + o.split, "use train or test");
    auto full =
        loadDataset(spec, o.split == "train" ? Split::Train : Split::Test, DataOptions().size(config.imageSize));
    checkCompatible(full, config);
    auto subset = full.subset(seededSubset(full.size(), o.images, o.seed));
    subset.spec = full.spec;
    return subset;
}

torch::Tensor selectTokens(const torch::Tensor& tokens, TokenSet set, int64_t prefixTokens)
{
    switch (set) {
    case TokenSet::Cls:
        return tokens.select(1, 0);
    case TokenSet::All:
        return tokens.reshape({-1, tokens.size(2)});
    case TokenSet::PatchMean:
        return tokens.narrow(1, prefixTokens, tokens.size(1) - prefixTokens).mean(1);
    }
    return tokens.select(1, 0);
}

void forEachBatch(ModelBundle& model, const Dataset& data, int64_t batchSize, const torch::Device& device,
                  Progress& progress, const std::string& what, const CancelToken* cancel,
                  const std::function<void(const torch::Tensor&, int64_t)>& fn)
{
    checkCompatible(data, model.meta.config);
    model.net->to(device);
    model.net->eval();
    torch::NoGradGuard noGrad;
    BatchLoader loader(data, model.meta.normalization, LoaderOptions{batchSize});
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

nlohmann::json calibrationJson(const Dataset& d, const CalibrationOptions& o)
{
    return {{"data", d.spec}, {"split", o.split}, {"images", d.size()}, {"seed", o.seed}};
}

} // namespace mlpify::core
