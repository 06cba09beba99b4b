#include "core/analysis/criteria.h"

#include "core/analysis/batches.h"
#include "core/analysis/selection.h"
#include "core/device.h"
#include "core/error.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

namespace mlpify::core {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

// cos between matching token vectors of a and b [B, T, D], as float64 [B, T].
torch::Tensor tokenCosine(const torch::Tensor& a, const torch::Tensor& b)
{
    const auto x = a.to(torch::kDouble), y = b.to(torch::kDouble);
    return ((x * y).sum(-1) / (x.norm(2, -1) * y.norm(2, -1))).clamp(-1.0, 1.0);
}
} // namespace

std::vector<int64_t> attentionLayers(const ModelBundle& model)
{
    std::vector<int64_t> out;
    const auto modes = model.net->blockModes();
    for (size_t i = 0; i < modes.size(); ++i)
        if (modes[i].hasAttention())
            out.push_back(static_cast<int64_t>(i));
    return out;
}

void checkSelectionCount(const ModelBundle& model, int64_t count)
{
    const auto n = static_cast<int64_t>(attentionLayers(model).size());
    if (count < 1 || count > n)
        throw Error("selection", "cannot choose " + std::to_string(count) + " of the " + std::to_string(n) +
                                     " attention layers left");
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
    const auto dev = resolveDevice(device);
    const auto original = model.net->blockModes();
    // The original model's log-probabilities, for the KL criterion.
    std::vector<torch::Tensor> reference;
    if (kl) {
        FunctionProgress quiet;
        forEachBatch(model, calibration, 64, dev, quiet, "reference", cancel,
                     [&](const torch::Tensor& images, int64_t) {
                         reference.push_back(torch::log_softmax(model.net->forward(images).to(torch::kDouble), 1));
                     });
    }
    auto loss = [&](const std::vector<BlockMode>& modes, Progress& p) {
        double total = 0;
        size_t batch = 0;
        forEachBatch(
            model, calibration, 64, dev, p, "greedy loss", cancel, [&](const torch::Tensor& images, int64_t offset) {
                const auto logits = model.net->finish(model.net->runBlocks(model.net->embed(images), 0, &modes));
                const auto logp = torch::log_softmax(logits.to(torch::kDouble), 1);
                if (kl) {
                    const auto& ref = reference[batch++];
                    total += (ref.exp() * (ref - logp)).sum().item<double>();
                } else {
                    const auto labels = calibration.labels.narrow(0, offset, images.size(0)).to(logp.device());
                    total -= logp.gather(1, labels.unsqueeze(1)).sum().item<double>();
                }
            });
        return total / static_cast<double>(calibration.size());
    };
    SelectionResult r;
    r.method = kl ? "greedy-kl" : "greedy-loss";
    auto modes = original;
    auto left = attentionLayers(model);
    const double steps = static_cast<double>(count) * static_cast<double>(left.size());
    double done = 0;
    for (int64_t step = 0; step < count; ++step) {
        std::vector<double> row(original.size(), kNaN);
        int64_t best = -1;
        for (auto c : left) {
            auto trial = modes;
            trial[static_cast<size_t>(c)] = {AttnMode::Skipped, 0.0};
            ProgressSpan span(progress, done / steps, (done + 1) / steps);
            row[static_cast<size_t>(c)] = loss(trial, span);
            done += 1;
            if (best < 0 || row[static_cast<size_t>(c)] < row[static_cast<size_t>(best)])
                best = c;
        }
        modes[static_cast<size_t>(best)] = {AttnMode::Skipped, 0.0};
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

EvalResult evaluateWithout(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& removed, SkipRule rule,
                           const EvalOptions& options, Progress& progress, const CancelToken* cancel)
{
    const auto original = model.net->blockModes();
    for (auto b : removed) {
        if (b < 0 || b >= static_cast<int64_t>(original.size()) || !original[static_cast<size_t>(b)].hasAttention())
            throw Error("block " + std::to_string(b), "has no attention to take out");
    }
    // DiluteZero as lambda = 0: (2 - 0) x + 0 * Attn = 2x exactly, with the attention's weights
    // kept so the model can be restored.
    const BlockMode out =
        rule == SkipRule::Skip ? BlockMode{AttnMode::Skipped, 0.0} : BlockMode{AttnMode::Diluting, 0.0};
    struct Restore {
        ModelBundle& model;
        std::vector<BlockMode> modes;
        ~Restore() { model.net->setBlockModes(modes); }
    } restore{model, original};
    for (auto b : removed)
        model.net->setBlockMode(b, out);
    auto r = evaluate(model, data, options, progress, cancel);
    return r;
}

std::vector<RemovalCurvePoint> removalCurve(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& order,
                                            const EvalOptions& options, Progress& progress, const CancelToken* cancel)
{
    std::vector<RemovalCurvePoint> curve;
    const double n = 2.0 * static_cast<double>(order.size());
    for (size_t k = 1; k <= order.size(); ++k) {
        RemovalCurvePoint p;
        p.removed.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
        ProgressSpan a(progress, (2.0 * static_cast<double>(k) - 2) / n, (2.0 * static_cast<double>(k) - 1) / n);
        const auto skip = evaluateWithout(model, data, p.removed, SkipRule::Skip, options, a, cancel);
        ProgressSpan b(progress, (2.0 * static_cast<double>(k) - 1) / n, 2.0 * static_cast<double>(k) / n);
        const auto twice = evaluateWithout(model, data, p.removed, SkipRule::DiluteZero, options, b, cancel);
        if (skip.cancelled || twice.cancelled)
            throw Cancelled("removal curve");
        p.skipTop1 = skip.top1();
        p.skipLoss = skip.loss;
        p.doubleTop1 = twice.top1();
        p.doubleLoss = twice.loss;
        curve.push_back(p);
    }
    return curve;
}

void to_json(nlohmann::json& j, const RemovalCurvePoint& p)
{
    j = {{"removed", p.removed},
         {"skip", {{"top1", p.skipTop1}, {"loss", p.skipLoss}}},
         {"double", {{"top1", p.doubleTop1}, {"loss", p.doubleLoss}}}};
}

SelectionStability selectionStability(const Dataset& calibration, const std::vector<std::vector<int64_t>>& resamples,
                                      const std::function<SelectionResult(const Dataset&, Progress&)>& select,
                                      int64_t depth, Progress& progress, const CancelToken* cancel)
{
    SelectionStability out;
    out.resamples = static_cast<int>(resamples.size());
    out.layerFrequency.assign(static_cast<size_t>(depth), 0.0);
    std::map<std::vector<int64_t>, int> counts;
    for (size_t k = 0; k < resamples.size(); ++k) {
        if (cancel && cancel->cancelled())
            throw Cancelled("bootstrap");
        const double n = static_cast<double>(resamples.size());
        ProgressSpan span(progress, static_cast<double>(k) / n, static_cast<double>(k + 1) / n);
        auto set = select(calibration.subset(resamples[k]), span).selected;
        std::sort(set.begin(), set.end());
        for (auto b : set)
            out.layerFrequency[static_cast<size_t>(b)] += 1.0 / n;
        ++counts[set];
    }
    for (const auto& [set, count] : counts)
        out.sets.emplace_back(set, count);
    std::stable_sort(out.sets.begin(), out.sets.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return out;
}

void to_json(nlohmann::json& j, const SelectionStability& s)
{
    auto sets = nlohmann::json::array();
    for (const auto& [set, count] : s.sets)
        sets.push_back({{"set", set}, {"count", count}});
    j = {{"resamples", s.resamples}, {"layer_frequency", s.layerFrequency}, {"sets", sets}};
}

DilutedResult dilutedResultOf(const ModelBundle& model, const std::string& file)
{
    if (!model.meta.metrics.contains("test_top1") || !model.meta.metrics.at("test_top1").is_number())
        throw Error(file, "has no test top-1 in its metadata (not made by `mlpify dilute`)");
    DilutedResult d;
    d.top1 = model.meta.metrics.at("test_top1").get<double>();
    for (size_t b = 0; b < model.meta.blocks.size(); ++b)
        if (!model.meta.blocks[b].hasAttention())
            d.removed.push_back(static_cast<int64_t>(b));
    return d;
}

std::vector<std::string> comparedMethods()
{
    return {"nose",    "single-te",   "entropy",   "block-influence", "attention-cosine",
            "angular", "greedy-loss", "greedy-kl", "first",           "random"};
}

CriteriaComparison compareCriteria(ModelBundle& model, const Dataset& calibration, const Dataset& test,
                                   const ComparisonOptions& o, Progress& progress, const CancelToken* cancel)
{
    const auto methods = o.methods.empty() ? comparedMethods() : o.methods;
    checkSelectionCount(model, o.count);
    CriteriaComparison c;
    c.count = o.count;
    c.calibrationImages = calibration.size();
    c.teResamples = o.te.bootstrap;
    c.units = o.te.entropy.units();
    c.settings = teSettingsJson(o.te);
    c.settings["stability_seed"] = o.stabilitySeed;
    c.settings["random_seed"] = o.randomSeed;
    LayerSelection s;
    s.count = o.count;
    s.randomSeed = o.randomSeed;
    s.te = o.te;
    s.te.bootstrap = 0; // the selections themselves; the interval comes with the yardstick below
    s.profile.batchSize = o.te.batchSize;
    s.profile.device = o.te.device;
    model.net->requireEveryToken("the criteria comparison");
    const double n = static_cast<double>(methods.size());
    for (size_t k = 0; k < methods.size(); ++k) {
        const double at = 0.95 * static_cast<double>(k) / n, step = 0.95 / n;
        CriterionRow r;
        r.method = methods[k];
        s.method = methods[k];
        ProgressSpan select(progress, at, at + 0.5 * step, "criteria: " + r.method);
        const auto t0 = std::chrono::steady_clock::now();
        const auto chosen = selectLayers(model, &calibration, s, select, cancel);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        r.selected = chosen.selected;
        ProgressSpan a(progress, at + 0.5 * step, at + 0.6 * step, "criteria: " + r.method + ", top-1 x = x");
        const auto skip = evaluateWithout(model, test, r.selected, SkipRule::Skip, o.eval, a, cancel);
        ProgressSpan b(progress, at + 0.6 * step, at + 0.7 * step, "criteria: " + r.method + ", top-1 x = 2x");
        const auto twice = evaluateWithout(model, test, r.selected, SkipRule::DiluteZero, o.eval, b, cancel);
        if (skip.cancelled || twice.cancelled)
            throw Cancelled("criteria comparison");
        r.skipTop1 = skip.top1();
        r.doubleTop1 = twice.top1();
        c.testImages = skip.count;
        if (o.stability > 0) {
            ProgressSpan st(progress, at + 0.7 * step, at + step, "criteria: " + r.method + ", stability");
            const auto stab = selectionStability(
                calibration, bootstrapResamples(calibration.size(), o.stability, o.stabilitySeed),
                [&](const Dataset& resample, Progress& p) { return selectLayers(model, &resample, s, p, cancel); },
                model.meta.config.depth, st, cancel);
            auto set = r.selected;
            std::sort(set.begin(), set.end());
            r.stabilityResamples = stab.resamples;
            r.layerFrequency = stab.layerFrequency;
            r.chosenSetShare = 0;
            for (const auto& [seen, times] : stab.sets)
                if (seen == set)
                    r.chosenSetShare = static_cast<double>(times) / stab.resamples;
        }
        c.rows.push_back(r);
    }
    // Every set's TE (and interval) in one pass: the full model once, the sets from shared
    // stream states, each resample's weights in the same moments.
    std::vector<std::vector<int64_t>> sets{{}};
    for (const auto& r : c.rows)
        sets.push_back(r.selected);
    HeadEntropyEvaluator ev(model, calibration, o.te);
    ProgressSpan te(progress, 0.95, 1.0, "criteria: transfer entropy of every set");
    const auto h = ev.entropies(sets, te, cancel);
    for (size_t k = 0; k < c.rows.size(); ++k) {
        auto& r = c.rows[k];
        r.transferEntropy = h[0] - h[k + 1];
        if (ev.resamples() > 0) {
            const auto ci = ev.intervalOfDifference(0, k + 1);
            r.teLow = ci.low;
            r.teHigh = ci.high;
        }
    }
    return c;
}

} // namespace mlpify::core
