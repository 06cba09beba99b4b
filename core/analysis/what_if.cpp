#include "core/analysis/what_if.h"

#include "core/analysis/batches.h"
#include "core/analysis/entropy.h"
#include "core/device.h"
#include "core/error.h"
#include "core/model/adapt.h"
#include "core/runtime.h"

#include <algorithm>

namespace mlpify::core {

void to_json(nlohmann::json& j, const WhatIfResult& r)
{
    j = {{"removed", r.removed},
         {"images", r.images},
         {"skip", {{"top1", r.skipTop1}, {"loss", r.skipLoss}}},
         {"double", {{"top1", r.doubleTop1}, {"loss", r.doubleLoss}}},
         {"transfer_entropy", r.transferEntropy},
         {"units", r.units}};
}

namespace {
torch::Tensor teTarget(ModelBundle& model, TeTarget target, const torch::Tensor& lastBlockOut,
                       const torch::Tensor& logits)
{
    return target == TeTarget::Logits ? logits : model.net->norm->forward(lastBlockOut).select(1, 0);
}
} // namespace

WhatIf::WhatIf(ModelBundle& model, const Dataset& images, TeOptions te, Progress& progress, const CancelToken* cancel)
    : m_model(model), m_te(std::move(te)), m_device(resolveDevice(m_te.device))
{
    model.net->requireEveryToken("the what-if");
    requireClassifier(model.meta.config, "the what-if");
    if (!images.labels.defined() || images.size() <= m_te.entropy.ddof)
        throw Error(images.spec,
                    "the what-if needs more than " + std::to_string(m_te.entropy.ddof) + " labelled images");
    const auto depth = static_cast<size_t>(model.meta.config.depth);
    const auto batches = (images.size() + m_te.batchSize - 1) / m_te.batchSize;
    m_states.resize(static_cast<size_t>(batches));
    m_labels.resize(static_cast<size_t>(batches));
    std::vector<torch::Tensor> targets(static_cast<size_t>(batches));
    forEachBatchParallel(model, images, m_te.batchSize, m_device, progress, "what-if: the full model's stream", cancel,
                         [&](const torch::Tensor& batch, int64_t offset, size_t) {
                             const auto k = static_cast<size_t>(offset / m_te.batchSize);
                             ForwardTrace trace;
                             auto x = model.net->embed(batch);
                             std::vector<torch::Tensor> states{x};
                             auto last = model.net->runBlocks(x, 0, nullptr, &trace);
                             for (size_t b = 0; b + 1 < depth; ++b)
                                 states.push_back(trace.blocks[b].out);
                             targets[k] = teTarget(model, m_te.target, last, model.net->finish(last));
                             m_states[k] = std::move(states);
                             m_labels[k] = images.labels.narrow(0, offset, batch.size(0)).to(m_device);
                         });
    ChannelMoments full; // in batch order, as evaluate() adds
    for (const auto& t : targets)
        full.add(t);
    m_fullEntropy = full.entropy(m_te.entropy);
    m_images = images.size();
}

WhatIfResult WhatIf::evaluate(std::vector<int64_t> removed, const CancelToken* cancel) const
{
    std::sort(removed.begin(), removed.end());
    removed.erase(std::unique(removed.begin(), removed.end()), removed.end());
    const auto own = m_model.net->blockModes();
    const auto depth = static_cast<int64_t>(own.size());
    auto skip = own, twice = own;
    int64_t from = depth - 1;
    for (auto unit : removed) { // with TeOptions::units, depth + b is block b's MLP
        const bool mlp = m_te.units && unit >= depth;
        const auto b = mlp ? unit - depth : unit;
        if (b < 0 || b >= depth ||
            (mlp ? !own[static_cast<size_t>(b)].hasMlp() : !own[static_cast<size_t>(b)].hasAttention()))
            throw Error("block " + std::to_string(b),
                        std::string("has no ") + (mlp ? "MLP" : "attention") + " to take out");
        auto& s = skip[static_cast<size_t>(b)];
        auto& t = twice[static_cast<size_t>(b)];
        s = mlp ? withMlp(s, BranchMode::Skipped) : withAttention(s, BranchMode::Skipped);
        t = mlp ? withMlp(t, BranchMode::Diluting, 0.0) : withAttention(t, BranchMode::Diluting, 0.0);
        from = std::min(from, b);
    }
    torch::NoGradGuard noGrad;
    const bool wasTraining = m_model.net->is_training();
    m_model.net->eval();
    // Batches side by side, one per compute thread with single-threaded ops (runBalanced: better
    // than splitting each small op); summed in batch order, so the result does not depend on the
    // number of threads.
    struct Part {
        double skipLoss = 0, doubleLoss = 0;
        int64_t skipCorrect = 0, doubleCorrect = 0;
        torch::Tensor target;
    };
    std::vector<Part> parts(m_states.size());
    const bool skipRule = m_te.rule == SkipRule::Skip;
    runBalanced(std::vector<double>(m_states.size(), 1.0), [&](size_t k) {
        if (cancel && cancel->cancelled())
            return;
        const auto& x = m_states[k][static_cast<size_t>(from)];
        const auto& labels = m_labels[k];
        auto sum = torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum);
        auto& p = parts[k];
        auto lastSkip = m_model.net->runBlocks(x, from, &skip);
        auto logitsSkip = m_model.net->finish(lastSkip);
        p.skipLoss = torch::nn::functional::cross_entropy(logitsSkip, labels, sum).item<double>();
        p.skipCorrect = logitsSkip.argmax(1).eq(labels).sum().item<int64_t>();
        torch::Tensor lastTwice = removed.empty() ? lastSkip : m_model.net->runBlocks(x, from, &twice);
        auto logitsTwice = removed.empty() ? logitsSkip : m_model.net->finish(lastTwice);
        p.doubleLoss = torch::nn::functional::cross_entropy(logitsTwice, labels, sum).item<double>();
        p.doubleCorrect = logitsTwice.argmax(1).eq(labels).sum().item<int64_t>();
        p.target = teTarget(m_model, m_te.target, skipRule ? lastSkip : lastTwice, skipRule ? logitsSkip : logitsTwice);
    });
    if (cancel && cancel->cancelled())
        throw Cancelled("what-if");
    ChannelMoments moments;
    WhatIfResult r;
    r.removed = removed;
    double skipLoss = 0, doubleLoss = 0;
    int64_t skipCorrect = 0, doubleCorrect = 0;
    for (const auto& p : parts) {
        skipLoss += p.skipLoss;
        doubleLoss += p.doubleLoss;
        skipCorrect += p.skipCorrect;
        doubleCorrect += p.doubleCorrect;
        moments.add(p.target);
    }
    m_model.net->train(wasTraining);
    const auto n = static_cast<double>(m_images);
    r.images = m_images;
    r.skipTop1 = static_cast<double>(skipCorrect) / n;
    r.doubleTop1 = static_cast<double>(doubleCorrect) / n;
    r.skipLoss = skipLoss / n;
    r.doubleLoss = doubleLoss / n;
    r.transferEntropy = m_fullEntropy - moments.entropy(m_te.entropy);
    r.units = m_te.entropy.units();
    return r;
}

} // namespace mlpify::core
