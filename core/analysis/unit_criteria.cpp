#include "core/analysis/unit_criteria.h"

#include "core/analysis/batches.h"
#include "core/analysis/criteria.h"
#include "core/device.h"
#include "core/model/vit.h"

#include <cmath>

namespace mlpify::core {

namespace {
constexpr double kPi = 3.14159265358979323846;
} // namespace

UnitCriterionScores scoreUnitCriteria(ModelBundle& model, const Dataset& calibration,
                                      const std::vector<Unit>& candidates, int64_t batchSize, const std::string& device,
                                      Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("unit criteria");
    std::vector<double> influence(candidates.size(), 0.0), angular(candidates.size(), 0.0);
    double images = 0, tokens = 0;
    forEachBatch(model, calibration, batchSize, resolveDevice(device), progress, "unit criteria", cancel,
                 [&](const torch::Tensor& batch, int64_t) {
                     ForwardTrace trace;
                     const auto embedded = model.net->embed(batch);
                     model.net->runBlocks(embedded, 0, nullptr, &trace);
                     images += static_cast<double>(batch.size(0));
                     tokens += static_cast<double>(batch.size(0) * embedded.size(1));
                     for (size_t i = 0; i < candidates.size(); ++i) {
                         const auto b = static_cast<size_t>(candidates[i].block);
                         const auto& t = trace.blocks[b];
                         const auto& input = b == 0 ? embedded : trace.blocks[b - 1].out;
                         torch::Tensor x, y;
                         switch (candidates[i].kind) {
                         case UnitKind::Attention:
                             x = input;
                             y = input + t.attn;
                             break;
                         case UnitKind::Mlp: // the state the MLP step starts from, and the block output
                             x = t.out - t.mlp;
                             y = t.out;
                             break;
                         case UnitKind::Block:
                             x = input;
                             y = t.out;
                             break;
                         }
                         const auto c = tokenCosine(x, y);
                         influence[i] += (1.0 - c).sum().item<double>();
                         angular[i] += (torch::acos(c.select(1, 0)) / kPi).sum().item<double>();
                     }
                 });
    UnitCriterionScores s;
    for (size_t i = 0; i < candidates.size(); ++i) {
        s.influence.push_back(influence[i] / tokens);
        s.angular.push_back(angular[i] / images);
    }
    return s;
}

UnitLossEvaluator::UnitLossEvaluator(ModelBundle& model, const Dataset& calibration, bool kl, int64_t batchSize,
                                     const std::string& device, const CancelToken* cancel)
    : m_model(model), m_calibration(calibration), m_kl(kl), m_batchSize(batchSize), m_device(resolveDevice(device)),
      m_cancel(cancel)
{
    model.net->requireEveryToken("unit selection");
    if (!kl)
        return;
    FunctionProgress quiet;
    forEachBatch(model, calibration, batchSize, m_device, quiet, "reference", cancel,
                 [&](const torch::Tensor& images, int64_t) {
                     m_reference.push_back(torch::log_softmax(model.net->forward(images).to(torch::kDouble), 1));
                 });
}

double UnitLossEvaluator::loss(const std::vector<Unit>& skipped, Progress& progress)
{
    const auto modes = modesWithout(m_model, skipped, BranchMode::Skipped);
    double total = 0;
    size_t batch = 0;
    forEachBatch(m_model, m_calibration, m_batchSize, m_device, progress, "greedy loss", m_cancel,
                 [&](const torch::Tensor& images, int64_t offset) {
                     const auto logits =
                         m_model.net->finish(m_model.net->runBlocks(m_model.net->embed(images), 0, &modes));
                     const auto logp = torch::log_softmax(logits.to(torch::kDouble), 1);
                     if (m_kl) {
                         const auto& ref = m_reference[batch++];
                         total += (ref.exp() * (ref - logp)).sum().item<double>();
                     } else {
                         const auto labels = m_calibration.labels.narrow(0, offset, images.size(0)).to(logp.device());
                         total -= logp.gather(1, labels.unsqueeze(1)).sum().item<double>();
                     }
                 });
    ++m_passes;
    return total / static_cast<double>(m_calibration.size());
}

} // namespace mlpify::core
