#include "core/train/parallel_step.h"

#include "core/runtime.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>

#include <mutex>

namespace mlpify::core {

namespace {

// Forward and backward of images[part], its loss divided by the whole batch's size, so the parts'
// losses (and gradients) add up to the batch mean; also the part's top-1 hits.
StepOutcome partLoss(VisionTransformer& net, const torch::Tensor& images, const torch::Tensor& labels, int64_t batch,
                     const StepLoss& o)
{
    namespace F = torch::nn::functional;
    auto logits = net->forward(images);
    const bool whole = images.size(0) == batch;
    auto options = F::CrossEntropyFuncOptions().label_smoothing(o.labelSmoothing);
    if (!whole)
        options.reduction(torch::kSum);
    auto loss = F::cross_entropy(logits, labels, options);
    if (!whole)
        loss = loss / static_cast<double>(batch);
    if (o.teacher) {
        torch::Tensor soft;
        {
            torch::NoGradGuard noGrad;
            soft = torch::softmax(o.teacher->net->forward(images) / o.distillTemperature, 1);
        }
        const double t = o.distillTemperature;
        auto kl = torch::kl_div(torch::log_softmax(logits / t, 1), soft, at::Reduction::None).sum(1).sum() /
                  static_cast<double>(batch);
        loss = (1.0 - o.distillAlpha) * loss + o.distillAlpha * t * t * kl;
    }
    StepOutcome out;
    out.loss = loss.item<double>();
    out.hits = logits.argmax(1).eq(labels).sum().item<int64_t>();
    out.count = labels.size(0);
    loss.backward(); // harmless when the loss is not finite: the caller takes no step then
    return out;
}

bool sharesWeights(VisionTransformer& replica, VisionTransformer& net)
{
    auto mine = replica->named_parameters(), theirs = net->named_parameters();
    if (mine.size() != theirs.size())
        return false;
    for (const auto& p : theirs) {
        const auto* q = mine.find(p.key());
        if (!q || q->data_ptr() != p.value().data_ptr() || q->scalar_type() != p.value().scalar_type())
            return false;
    }
    return true;
}

} // namespace

void ParallelStep::prepareReplicas(VisionTransformer& net, size_t count)
{
    while (m_replicas.size() < count)
        m_replicas.emplace_back(nullptr);
    m_replicas.erase(m_replicas.begin() + static_cast<std::ptrdiff_t>(count), m_replicas.end());
    for (auto& replica : m_replicas) {
        if (replica && sharesWeights(replica, net)) {
            replica->setBlockModes(net->blockModes()); // lambdas change every step while diluting
            replica->train(net->is_training());
            continue;
        }
        // A fresh module draws its initial weights from the global generator: put its state back,
        // so a run's random numbers (augmentation) do not depend on the thread count.
        auto generator = at::detail::getDefaultCPUGenerator();
        torch::Tensor state;
        {
            std::lock_guard<std::mutex> lock(generator.mutex());
            state = generator.get_state();
        }
        replica = VisionTransformer(net->config());
        {
            std::lock_guard<std::mutex> lock(generator.mutex());
            generator.set_state(state);
        }
        replica->setBlockModes(net->blockModes());
        torch::NoGradGuard noGrad;
        auto mine = replica->named_parameters();
        for (const auto& p : net->named_parameters())
            mine[p.key()].set_data(p.value()); // the same storage: the optimizer's update reaches every replica
        replica->train(net->is_training());
    }
}

StepOutcome ParallelStep::run(VisionTransformer& net, const torch::Tensor& images, const torch::Tensor& labels,
                              const StepLoss& loss)
{
    const int64_t batch = images.size(0);
    const int threads = at::get_num_threads();
    if (images.is_cuda() || at::in_parallel_region() ||
        resolveParallelism(m_parallelism, net->config(), batch, threads, Workload::Training) !=
            Parallelism::AcrossImages)
        return partLoss(net, images, labels, batch, loss);

    const auto parts = splitBatch(batch, threads);
    prepareReplicas(net, parts.size() - 1);
    for (auto& replica : m_replicas)
        replica->zero_grad();
    std::vector<StepOutcome> outcomes(parts.size());
    std::vector<double> costs;
    for (const auto& part : parts)
        costs.push_back(static_cast<double>(part.second));
    runBalanced(costs, [&](size_t k) {
        auto& model = k == 0 ? net : m_replicas[k - 1];
        outcomes[k] = partLoss(model, images.narrow(0, parts[k].first, parts[k].second),
                               labels.narrow(0, parts[k].first, parts[k].second), batch, loss);
    });

    StepOutcome total;
    for (const auto& o : outcomes) { // in part order
        total.loss += o.loss;
        total.hits += o.hits;
        total.count += o.count;
    }
    torch::NoGradGuard noGrad;
    std::vector<torch::OrderedDict<std::string, torch::Tensor>> replicaParams;
    for (auto& replica : m_replicas)
        replicaParams.push_back(replica->named_parameters());
    for (auto& p : net->named_parameters()) {
        auto& grad = p.value().mutable_grad();
        for (auto& params : replicaParams) {
            const auto& g = params[p.key()].grad();
            if (!g.defined())
                continue;
            if (grad.defined())
                grad.add_(g);
            else
                grad = g.clone();
        }
    }
    return total;
}

} // namespace mlpify::core
