#include "core/analysis/criteria.h"

#include "core/analysis/batches.h"
#include "core/analysis/unit_criteria.h"
#include "core/device.h"
#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace mlpify::core {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;
} // namespace

torch::Tensor tokenCosine(const torch::Tensor& a, const torch::Tensor& b)
{
    const auto x = a.to(torch::kDouble), y = b.to(torch::kDouble);
    return ((x * y).sum(-1) / (x.norm(2, -1) * y.norm(2, -1))).clamp(-1.0, 1.0);
}

CriterionScores scoreCriteria(ModelBundle& model, const Dataset& calibration, int64_t batchSize,
                              const std::string& device, Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("layer selection");
    const auto depth = static_cast<size_t>(model.meta.config.depth);
    const auto modes = model.net->blockModes();
    std::vector<double> influence(depth, 0.0), cosine(depth, 0.0), angular(depth, 0.0);
    double images = 0, tokens = 0;
    forEachBatch(model, calibration, batchSize, resolveDevice(device), progress, "criteria", cancel,
                 [&](const torch::Tensor& batch, int64_t) {
                     ForwardTrace trace; // the blocks' outputs; block 0's input is the embedding
                     auto input = model.net->embed(batch);
                     model.net->runBlocks(input, 0, nullptr, &trace);
                     images += static_cast<double>(batch.size(0));
                     tokens += static_cast<double>(batch.size(0) * input.size(1));
                     for (size_t b = 0; b < depth; ++b) {
                         const auto& t = trace.blocks[b];
                         influence[b] += (1.0 - tokenCosine(input, t.out)).sum().item<double>();
                         if (modes[b].hasAttention() && t.attn.defined()) {
                             const auto mid = tokenCosine(input, input + t.attn);
                             cosine[b] += mid.sum().item<double>();
                             angular[b] += (torch::acos(mid.select(1, 0)) / kPi).sum().item<double>();
                         }
                         input = t.out;
                     }
                 });
    CriterionScores s;
    for (size_t b = 0; b < depth; ++b) {
        s.blockInfluence.push_back(modes[b].hasAttention() ? influence[b] / tokens : kNaN);
        s.attentionCosine.push_back(modes[b].hasAttention() ? cosine[b] / tokens : kNaN);
        s.angularDistance.push_back(modes[b].hasAttention() ? angular[b] / images : kNaN);
    }
    return s;
}

SelectionResult selectByCriterion(ModelBundle& model, const Dataset& calibration, const std::string& method,
                                  int64_t count, const std::string& device, Progress& progress,
                                  const CancelToken* cancel)
{
    checkSelectionCount(model, count);
    const auto s = scoreCriteria(model, calibration, 64, device, progress, cancel);
    const std::vector<double>* scores = nullptr;
    bool highestFirst = false;
    std::string criterion;
    if (method == "block-influence") {
        scores = &s.blockInfluence;
        criterion = "lowest block influence, 1 - cos(block input, block output) (ShortGPT)";
    } else if (method == "attention-cosine") {
        scores = &s.attentionCosine;
        highestFirst = true;
        criterion = "highest cos(x, x + Attn(LN1 x)) (LLM-Drop attention drop)";
    } else if (method == "angular") {
        scores = &s.angularDistance;
        criterion = "lowest angular distance of the class token across the attention sublayer (Gromov et al.)";
    } else {
        throw Error("selection method " + method, "not a criterion (block-influence, attention-cosine, angular)");
    }
    auto layers = attentionLayers(model);
    std::stable_sort(layers.begin(), layers.end(), [&](int64_t a, int64_t b) {
        const double x = (*scores)[static_cast<size_t>(a)], y = (*scores)[static_cast<size_t>(b)];
        return highestFirst ? x > y : x < y;
    });
    SelectionResult r;
    r.method = method;
    r.selected.assign(layers.begin(), layers.begin() + count);
    r.candidates = {*scores};
    r.settings = {{"criterion", criterion}, {"images", calibration.size()}};
    return r;
}

SelectionResult selectGreedyLoss(ModelBundle& model, const Dataset& calibration, int64_t count, bool kl,
                                 const std::string& device, Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("layer selection");
    checkSelectionCount(model, count);
    UnitLossEvaluator evaluator(model, calibration, kl, 64, device, cancel);
    const auto attention = [](int64_t layer) { return Unit{UnitKind::Attention, layer, {layer}, 0, 0.0}; };
    SelectionResult r;
    r.method = kl ? "greedy-kl" : "greedy-loss";
    std::vector<Unit> taken;
    auto left = attentionLayers(model);
    const double steps = static_cast<double>(count) * static_cast<double>(left.size());
    double done = 0;
    for (int64_t step = 0; step < count; ++step) {
        std::vector<double> row(static_cast<size_t>(model.meta.config.depth), kNaN);
        int64_t best = -1;
        for (auto c : left) {
            auto trial = taken;
            trial.push_back(attention(c));
            ProgressSpan span(progress, done / steps, (done + 1) / steps);
            row[static_cast<size_t>(c)] = evaluator.loss(trial, span);
            done += 1;
            if (best < 0 || row[static_cast<size_t>(c)] < row[static_cast<size_t>(best)])
                best = c;
        }
        taken.push_back(attention(best));
        left.erase(std::find(left.begin(), left.end(), best));
        r.selected.push_back(best);
        r.stepValues.push_back(row[static_cast<size_t>(best)]);
        r.candidates.push_back(row);
        r.passes += static_cast<int64_t>(
            row.size() -
            static_cast<size_t>(std::count_if(row.begin(), row.end(), [](double v) { return std::isnan(v); })));
    }
    r.settings = {{"criterion", kl ? "greedy: lowest KL from the original model's outputs with the layer skipped"
                                   : "greedy: lowest cross-entropy on the calibration labels with the layer skipped"},
                  {"units", "nats"},
                  {"images", calibration.size()}};
    return r;
}

} // namespace mlpify::core
