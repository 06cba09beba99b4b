#include "core/analysis/transfer_entropy.h"

#include "core/analysis/batches.h"
#include "core/device.h"
#include "core/error.h"
#include "core/runtime.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

namespace mlpify::core {

std::string toString(SkipRule r)
{
    return r == SkipRule::Skip ? "skip (x + MLP(LN2 x), no compensation)" : "lambda=0 (2x + MLP(LN2 2x))";
}

std::string toString(TeTarget t)
{
    return t == TeTarget::Logits ? "logits" : "final CLS feature";
}

nlohmann::json teSettingsJson(const TeOptions& o)
{
    return {{"target", toString(o.target)},
            {"token", "class"}, // the feature target is the class token after the final LayerNorm
            {"log_base", o.entropy.logBase},
            {"ddof", o.entropy.ddof},
            {"units", o.entropy.units()},
            {"skip_rule", toString(o.rule)},
            {"absolute", o.absolute},
            {"prefix_reuse", o.reusePrefix},
            {"speculative_path", o.speculate && o.reusePrefix}};
}

Interval percentileInterval(const std::vector<double>& resampled)
{
    const double tail = (1.0 - kIntervalLevel) / 2.0;
    return {quantile(resampled, tail), quantile(resampled, 1.0 - tail)};
}

HeadEntropyEvaluator::HeadEntropyEvaluator(ModelBundle& model, const Dataset& calibration, TeOptions options)
    : m_model(model), m_data(calibration), m_opt(std::move(options))
{
    if (calibration.size() <= m_opt.entropy.ddof)
        throw Error(calibration.spec,
                    "the calibration set needs more than " + std::to_string(m_opt.entropy.ddof) + " images");
    if (m_opt.bootstrap < 0)
        throw Error("bootstrap", "the number of resamples must be 0 or more");
    if (m_opt.bootstrap > 0)
        setResamples(bootstrapResamples(calibration.size(), m_opt.bootstrap, m_opt.bootstrapSeed));
}

void HeadEntropyEvaluator::setResamples(const std::vector<std::vector<int64_t>>& resamples)
{
    m_counts = resamples.empty() ? torch::Tensor() : resampleCounts(resamples, m_data.size());
    m_full.reset();
    m_fullResampled.clear();
}

const std::vector<double>& HeadEntropyEvaluator::resampledFullEntropy(Progress& progress, const CancelToken* cancel)
{
    if (m_fullResampled.empty() && m_counts.defined()) {
        const auto keep = m_resampled;
        fullEntropy(progress, cancel);
        m_resampled = keep;
    }
    return m_fullResampled;
}

Interval HeadEntropyEvaluator::intervalOfDifference(size_t a, size_t b) const
{
    if (a >= m_resampled.size() || b >= m_resampled.size())
        throw Error("bootstrap", "no resampled entropies for these sets");
    std::vector<double> d;
    for (size_t k = 0; k < m_resampled[a].size(); ++k)
        d.push_back(m_resampled[a][k] - m_resampled[b][k]);
    return percentileInterval(d);
}

std::vector<double> HeadEntropyEvaluator::resampledTransferEntropy(size_t k, Progress& progress,
                                                                   const CancelToken* cancel)
{
    const auto& full = resampledFullEntropy(progress, cancel);
    std::vector<double> te;
    if (k >= m_resampled.size())
        return te;
    for (size_t b = 0; b < full.size(); ++b)
        te.push_back(full[b] - m_resampled[k][b]);
    return te;
}

std::vector<BlockMode> HeadEntropyEvaluator::modesFor(const std::vector<int64_t>& set) const
{
    auto modes = m_model.net->blockModes();
    const auto depth = static_cast<int64_t>(modes.size());
    for (auto unit : set) {
        const bool mlp = m_opt.units && unit >= depth;
        const auto i = mlp ? unit - depth : unit;
        if (i < 0 || i >= depth)
            throw Error("layer set", (m_opt.units ? "unit " : "block ") + std::to_string(unit) + " does not exist");
        auto& mode = modes[static_cast<size_t>(i)];
        if (mlp ? !mode.hasMlp() : !mode.hasAttention())
            throw Error("layer set", "block " + std::to_string(i) + " has no " + (mlp ? "MLP" : "attention") +
                                         " to skip (" + describe(mode) + ")");
        if (mlp)
            mode = m_opt.rule == SkipRule::Skip ? withMlp(mode, BranchMode::Skipped)
                                                : withMlp(mode, BranchMode::Diluting, 0.0);
        else
            mode = m_opt.rule == SkipRule::Skip ? withAttention(mode, BranchMode::Skipped)
                                                : withAttention(mode, BranchMode::Diluting, 0.0);
    }
    return modes;
}

namespace {
// What TE measures at the head, from the last block's output: the logits or the final CLS feature.
torch::Tensor headTarget(ModelBundle& model, TeTarget target, const torch::Tensor& lastBlockOut)
{
    if (target == TeTarget::Logits)
        return model.net->finish(lastBlockOut);
    return model.net->norm->forward(lastBlockOut).select(1, 0);
}
} // namespace

torch::Tensor HeadEntropyEvaluator::target(const torch::Tensor& lastBlockOut)
{
    return headTarget(m_model, m_opt.target, lastBlockOut);
}

double HeadEntropyEvaluator::fullEntropy(Progress& progress, const CancelToken* cancel)
{
    if (!m_full) {
        m_full = entropies({{}}, progress, cancel).front();
        if (!m_resampled.empty())
            m_fullResampled = m_resampled.front();
    }
    return *m_full;
}

StreamPlan planStreams(const std::vector<std::vector<int64_t>>& sets, int64_t depth)
{
    if (depth > 63)
        throw Error("transfer entropy", "more than 63 blocks are not supported");
    auto below = [](uint64_t mask, int64_t block) { return block >= 64 ? mask : mask & ((uint64_t{1} << block) - 1); };
    // A stream state: the input of block j under a set, which depends on the set's attention and
    // MLP units below j only (units.md: MLP of block b is depth + b).
    using State = std::tuple<int64_t, uint64_t, uint64_t>;
    auto state = [&](const std::pair<uint64_t, uint64_t>& mask, int64_t j) {
        return State{j, below(mask.first, j), below(mask.second, j)};
    };
    StreamPlan plan;
    plan.states = 1; // state 0: the embedded tokens, the input of block 0
    std::map<State, int> available{{State{0, 0, 0}, 0}};
    std::vector<std::pair<size_t, int64_t>> producer{{SIZE_MAX, 0}}; // state -> (task, block it enters)
    std::vector<std::optional<size_t>> lastUse{std::nullopt};
    for (size_t i = 0; i < sets.size(); ++i) {
        std::pair<uint64_t, uint64_t> mask{0, 0};
        for (auto u : sets[i])
            (u >= depth ? mask.second : mask.first) |= uint64_t{1} << (u >= depth ? u - depth : u);
        StreamPlan::Task t;
        t.set = i;
        for (int64_t j = depth - 1; j >= 0; --j)
            if (auto it = available.find(state(mask, j)); it != available.end()) {
                t.start = j;
                t.startState = it->second;
                break;
            }
        lastUse[static_cast<size_t>(t.startState)] = i;
        for (int64_t j = t.start + 1; j < depth; ++j)
            if (available.emplace(state(mask, j), plan.states).second) {
                producer.emplace_back(i, j);
                lastUse.emplace_back(std::nullopt);
                ++plan.states;
            }
        plan.blockPasses += depth - t.start;
        plan.tasks.push_back(t);
    }
    // Keep a state only from the task that computes it to the last task starting from it.
    for (int id = 0; id < plan.states; ++id) {
        if (!lastUse[static_cast<size_t>(id)])
            continue;
        const auto [task, block] = producer[static_cast<size_t>(id)];
        if (task != SIZE_MAX)
            plan.tasks[task].store.emplace_back(block, id);
        plan.tasks[*lastUse[static_cast<size_t>(id)]].release.push_back(id);
    }
    for (auto& t : plan.tasks)
        std::sort(t.store.begin(), t.store.end());
    // the largest number of states held at once, for the memory bound
    int live = 1;
    for (const auto& t : plan.tasks) {
        live += static_cast<int>(t.store.size());
        plan.peakStates = std::max(plan.peakStates, live);
        live -= static_cast<int>(t.release.size());
    }
    return plan;
}

std::vector<double> HeadEntropyEvaluator::entropies(const std::vector<std::vector<int64_t>>& setsIn, Progress& progress,
                                                    const CancelToken* cancel)
{
    const auto depth = m_model.meta.config.depth;
    std::vector<std::vector<int64_t>> sets;
    for (auto s : setsIn) {
        std::sort(s.begin(), s.end());
        s.erase(std::unique(s.begin(), s.end()), s.end());
        sets.push_back(s);
    }
    // With prefix reuse, every set starts from the deepest stream state an earlier set of this
    // call computed (the input of block j depends only on the set's part below j). The sets'
    // common part runs first when it is not one of them, so that one step's candidates each
    // start at their own layer; along a whole greedy path (selectNose) the winners' and losers'
    // states serve the next steps as well. (Batching the candidates together along the batch
    // dimension was measured slower on CPU: 1,500-row attention maps fall out of cache.)
    std::vector<int64_t> base = sets.empty() ? std::vector<int64_t>{} : sets.front();
    for (const auto& s : sets) {
        std::vector<int64_t> common;
        std::set_intersection(base.begin(), base.end(), s.begin(), s.end(), std::back_inserter(common));
        base = common;
    }
    auto runSets = sets;
    if (sets.size() > 1 && std::find(sets.begin(), sets.end(), base) == sets.end())
        runSets.insert(runSets.begin(), base); // a helper: its entropy is not reported
    const auto offset = runSets.size() - sets.size();
    const auto plan = m_opt.reusePrefix ? planStreams(runSets, depth) : StreamPlan{}; // the naive path needs none
    std::vector<std::vector<BlockMode>> modes;
    for (const auto& s : runSets)
        modes.push_back(modesFor(s));
    const auto prefixTokens = m_model.meta.config.numPrefixTokens();
    const auto device = resolveDevice(m_opt.device);
    // Each batch runs the whole plan by itself, so on a CPU batches run side by side, one per
    // thread, with no serial phase; moments merge at the end.
    std::vector<std::vector<ChannelMoments>> moments(parallelSlots(device),
                                                     std::vector<ChannelMoments>(runSets.size()));
    std::vector<std::vector<ResampledMoments>> resampled(m_counts.defined() ? moments.size() : 0,
                                                         std::vector<ResampledMoments>(runSets.size()));
    std::vector<std::vector<torch::Tensor>> kept(sets.size()); // naive mode only
    auto block = [&](int64_t b) { return m_model.net->blocks[static_cast<size_t>(b)]->as<Block>(); };
    if (!m_opt.reusePrefix && m_counts.defined())
        throw Error("bootstrap", "needs prefix reuse (the naive reference keeps no resamples)");
    if (!m_opt.reusePrefix)
        forEachBatch(m_model, m_data, m_opt.batchSize, device, progress, "transfer entropy", cancel,
                     [&](const torch::Tensor& images, int64_t) {
                         for (size_t k = 0; k < sets.size(); ++k) {
                             auto out = m_model.net->runBlocks(m_model.net->embed(images), 0, &modes[k + offset]);
                             kept[k].push_back(target(out).to(torch::kCPU));
                         }
                     });
    else
        forEachBatchParallel(m_model, m_data, m_opt.batchSize, device, progress, "transfer entropy", cancel,
                             [&](const torch::Tensor& images, int64_t offset, size_t slot) {
                                 torch::Tensor weights;
                                 if (m_counts.defined())
                                     weights = m_counts.narrow(1, offset, images.size(0));
                                 std::vector<torch::Tensor> states(static_cast<size_t>(plan.states));
                                 states[0] = m_model.net->embed(images);
                                 for (const auto& t : plan.tasks) {
                                     auto x = states[static_cast<size_t>(t.startState)];
                                     auto store = t.store.begin();
                                     for (int64_t b = t.start; b < depth; ++b) {
                                         // the head reads only the class (and distillation) tokens
                                         x = block(b)->forwardAs(x, modes[t.set][static_cast<size_t>(b)], nullptr,
                                                                 b == depth - 1 ? prefixTokens : 0);
                                         if (store != t.store.end() && store->first == b + 1)
                                             states[static_cast<size_t>((store++)->second)] = x;
                                     }
                                     auto g = target(x);
                                     moments[slot][t.set].add(g);
                                     if (weights.defined())
                                         resampled[slot][t.set].add(g, weights);
                                     for (auto id : t.release)
                                         states[static_cast<size_t>(id)] = torch::Tensor();
                                 }
                             });
    std::vector<double> h;
    m_resampled.clear();
    for (size_t k = 0; k < sets.size() && m_counts.defined(); ++k) {
        ResampledMoments all;
        for (const auto& part : resampled)
            all.merge(part[k + offset]);
        m_resampled.push_back(all.entropies(m_opt.entropy));
    }
    for (size_t k = 0; k < sets.size(); ++k) {
        if (!m_opt.reusePrefix) {
            h.push_back(gaussianEntropy(torch::cat(kept[k]), m_opt.entropy));
            continue;
        }
        ChannelMoments all;
        for (const auto& part : moments)
            all.merge(part[k + offset]);
        h.push_back(all.entropy(m_opt.entropy));
    }
    m_blockPasses += m_opt.reusePrefix ? plan.blockPasses : static_cast<int64_t>(sets.size()) * depth;
    m_passes += static_cast<int64_t>(sets.size());
    return h;
}

double transferEntropy(ModelBundle& model, const Dataset& calibration, const std::vector<int64_t>& set,
                       const TeOptions& options, Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("the transfer-entropy analysis");
    HeadEntropyEvaluator ev(model, calibration, options);
    auto h = ev.entropies({{}, set}, progress, cancel);
    return h[0] - h[1];
}

TeEstimate estimateTransferEntropy(ModelBundle& model, const Dataset& calibration, const std::vector<int64_t>& set,
                                   const TeOptions& options, Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("the transfer-entropy analysis");
    HeadEntropyEvaluator ev(model, calibration, options);
    const auto h = ev.entropies({{}, set}, progress, cancel);
    TeEstimate e;
    e.value = h[0] - h[1];
    if (ev.resamples() > 0) {
        e.interval = ev.intervalOfDifference(0, 1);
        e.resamples = ev.resamples();
    }
    return e;
}

LayerMap layerToLayerMap(ModelBundle& model, const Dataset& calibration, const TeOptions& o, TokenSet tokens,
                         Progress& progress, const CancelToken* cancel)
{
    const auto depth = static_cast<size_t>(model.meta.config.depth);
    const auto prefix = model.meta.config.numPrefixTokens();
    const auto own = model.net->blockModes();
    const auto device = resolveDevice(o.device);
    // Per accumulator slot: full[j] and skipped[i][j] hold the moments of block j's output
    // (j = depth: the head's target); slots are merged at the end.
    struct Moments {
        std::vector<ChannelMoments> full;
        std::vector<std::vector<ChannelMoments>> skipped;
    };
    std::vector<Moments> slots(parallelSlots(device));
    for (auto& s : slots) {
        s.full.resize(depth + 1);
        s.skipped.assign(depth, std::vector<ChannelMoments>(depth + 1));
    }
    const EntropyOptions featureEntropy = EntropyOptions().base(o.entropy.logBase).dof(o.entropy.ddof);
    forEachBatchParallel(model, calibration, o.batchSize, device, progress, "layer-to-layer map", cancel,
                         [&](const torch::Tensor& images, int64_t, size_t slot) {
                             auto& acc = slots[slot];
                             ForwardTrace trace;
                             auto x0 = model.net->embed(images);
                             auto last = model.net->runBlocks(x0, 0, nullptr, &trace);
                             for (size_t j = 0; j < depth; ++j)
                                 acc.full[j].add(selectTokens(trace.blocks[j].out, tokens, prefix));
                             acc.full[depth].add(headTarget(model, o.target, last));
                             for (size_t i = 0; i < depth; ++i) {
                                 if (!own[i].hasAttention())
                                     continue;
                                 auto modes = own;
                                 modes[i] = o.rule == SkipRule::Skip ? withAttention(own[i], BranchMode::Skipped)
                                                                     : withAttention(own[i], BranchMode::Diluting, 0.0);
                                 auto input = i == 0 ? x0 : trace.blocks[i - 1].out;
                                 ForwardTrace t2;
                                 auto out = model.net->runBlocks(input, static_cast<int64_t>(i), &modes, &t2);
                                 for (size_t j = i; j < depth; ++j)
                                     acc.skipped[i][j].add(selectTokens(t2.blocks[j].out, tokens, prefix));
                                 acc.skipped[i][depth].add(headTarget(model, o.target, out));
                             }
                         });
    auto merged = [&](auto pick) {
        ChannelMoments all;
        for (auto& s : slots)
            all.merge(pick(s));
        return all.entropy(featureEntropy);
    };
    LayerMap m;
    m.values.assign(depth, std::vector<double>(depth + 1, std::numeric_limits<double>::quiet_NaN()));
    for (size_t i = 0; i < depth; ++i)
        for (size_t j = i; j <= depth && own[i].hasAttention(); ++j)
            m.values[i][j] = merged([&](Moments& s) -> ChannelMoments& { return s.full[j]; }) -
                             merged([&](Moments& s) -> ChannelMoments& { return s.skipped[i][j]; });
    m.units = featureEntropy.units();
    m.settings = teSettingsJson(o);
    m.settings["tokens"] = toString(tokens);
    return m;
}

void to_json(nlohmann::json& j, const LayerMap& m)
{
    auto rows = nlohmann::json::array();
    for (const auto& r : m.values) {
        auto row = nlohmann::json::array();
        for (double v : r)
            row.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
        rows.push_back(row);
    }
    j = {{"kind", "layer_to_layer_transfer_entropy"},
         {"rows", "attention layer skipped alone"},
         {"columns", "block output j (last column: the head)"},
         {"units", m.units},
         {"settings", m.settings},
         {"values", rows}};
}

void from_json(const nlohmann::json& j, LayerMap& m)
{
    m.values.clear();
    for (const auto& row : j.at("values")) {
        m.values.emplace_back();
        for (const auto& v : row)
            m.values.back().push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
    }
    m.units = j.value("units", "");
    m.settings = j.value("settings", nlohmann::json::object());
}

} // namespace mlpify::core
