#include "core/analysis/selection.h"

#include "core/analysis/calibration.h"
#include "core/analysis/criteria.h"
#include "core/error.h"
#include "core/json_file.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <random>

namespace mlpify::core {

namespace {
double rankValue(double te, const TeOptions& o)
{
    return o.absolute ? std::abs(te) : te;
}

} // namespace

int64_t countForRatio(const ModelBundle& model, double ratio)
{
    if (!(ratio > 0.0 && ratio <= 1.0))
        throw Error("removal ratio", "must be in (0, 1]");
    const auto n = static_cast<double>(attentionLayers(model).size());
    return std::max<int64_t>(1, static_cast<int64_t>(std::llround(ratio * n)));
}

namespace {
// The sets of greedy steps from..count-1 along path (path[k] is step k's choice): step k's sets
// are path[0..k) plus each attention layer outside it. Returns them flat, step by step, and
// each step's candidates.
std::vector<std::vector<int64_t>> setsAlongPath(const std::vector<int64_t>& layers, const std::vector<int64_t>& path,
                                                size_t from, size_t count,
                                                std::vector<std::vector<int64_t>>& candidates)
{
    std::vector<std::vector<int64_t>> sets;
    candidates.clear();
    for (size_t step = from; step < count; ++step) {
        const std::vector<int64_t> base(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(step));
        candidates.emplace_back();
        for (auto l : layers)
            if (std::find(base.begin(), base.end(), l) == base.end()) {
                candidates.back().push_back(l);
                sets.push_back(base);
                sets.back().push_back(l);
            }
    }
    return sets;
}

// Greedy choice of one step: argmin of the (signed or absolute) value, ties to the lower layer.
size_t argminCandidate(const std::vector<double>& te, const TeOptions& o)
{
    size_t best = 0;
    for (size_t k = 1; k < te.size(); ++k)
        if (rankValue(te[k], o) < rankValue(te[best], o))
            best = k;
    return best;
}
} // namespace

SelectionResult selectNose(ModelBundle& model, const Dataset& calibration, int64_t count, const TeOptions& o,
                           Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("layer selection");
    const auto layers = selectionCandidates(model, count);
    const auto depth = static_cast<size_t>(model.meta.config.depth);
    const auto steps = static_cast<size_t>(count);
    HeadEntropyEvaluator ev(model, calibration, o);
    SelectionResult r;
    r.method = "nose";
    ProgressSpan first(progress, 0.0, 0.05, "NOSE: full model");
    r.headEntropyFull = ev.fullEntropy(first, cancel);
    // Exact, but all steps in one pass: the path is first guessed by the same greedy search on a
    // subset of the images, then every step of the guessed path is evaluated on all images at
    // once, each set starting from stream states earlier sets computed (a step's sets share the
    // previous winner's and their own earlier states). The guess is then checked step by step
    // against the argmin over all images; steps up to the first wrong guess stand (their bases
    // were right), the rest is guessed again from there. Without a usable subset (or with
    // speculate off) each step is one pass, as the greedy definition reads.
    const auto subsetSize = o.guessImages > 0 ? std::max<int64_t>(o.guessImages, 2) // the estimator needs 2 images
                                              : std::clamp<int64_t>(calibration.size() / 8, 2 * o.batchSize, 512);
    const bool speculate = o.speculate && o.reusePrefix && subsetSize < calibration.size();
    std::optional<Dataset> subset;
    if (speculate) {
        std::vector<int64_t> firstImages(static_cast<size_t>(subsetSize));
        std::iota(firstImages.begin(), firstImages.end(), int64_t{0});
        subset = calibration.subset(firstImages); // the calibration set is a seeded random draw already
    }
    std::vector<int64_t> chosen;
    for (auto l : o.guessPath)
        if (std::find(layers.begin(), layers.end(), l) == layers.end() ||
            std::count(o.guessPath.begin(), o.guessPath.end(), l) > 1)
            throw Error("NOSE guess", "layer " + std::to_string(l) + " is not an attention layer, or is given twice");
    bool given = !o.guessPath.empty() && o.reusePrefix;
    while (chosen.size() < steps) {
        auto guess = chosen;
        if (given) { // the caller's guess first, completed by the subset if it is short
            guess.assign(o.guessPath.begin(),
                         o.guessPath.begin() + static_cast<std::ptrdiff_t>(std::min(steps, o.guessPath.size())));
            given = false;
        }
        double done = 0.05 + 0.95 * double(chosen.size()) / double(steps);
        if (speculate && guess.size() < steps) {
            auto guessOptions = o;
            guessOptions.bootstrap = 0; // the guess only orders the pass; intervals come from all images
            HeadEntropyEvaluator guesser(model, *subset, guessOptions);
            const double guessEnd = done + 0.2 * (1.0 - done), first = double(guess.size());
            const std::string label = "NOSE: guessing the path on " + std::to_string(subset->size()) + " images";
            ProgressSpan start(progress, done, done, label);
            const double full = guesser.fullEntropy(start, cancel);
            while (guess.size() < steps) {
                std::vector<std::vector<int64_t>> cands;
                const auto sets = setsAlongPath(layers, guess, guess.size(), guess.size() + 1, cands);
                const double at = (double(guess.size()) - first) / (double(steps) - first);
                ProgressSpan sub(progress, done + at * (guessEnd - done),
                                 done + (at + 1.0 / (double(steps) - first)) * (guessEnd - done), label);
                auto h = guesser.entropies(sets, sub, cancel);
                for (auto& v : h)
                    v = full - v;
                guess.push_back(cands.front()[argminCandidate(h, o)]);
            }
            r.guessPasses += guesser.passes();
            done = guessEnd;
        }
        const size_t until = guess.size() == steps ? steps : chosen.size() + 1;
        std::vector<std::vector<int64_t>> cands;
        auto sets = setsAlongPath(layers, guess, chosen.size(), until, cands);
        guess.resize(until, -1); // stepwise: the step's choice is not known before the pass
        ProgressSpan sub(progress, done, until == steps ? 1.0 : done + 0.95 / double(steps),
                         "NOSE steps " + std::to_string(chosen.size() + 1) + "-" + std::to_string(until) + " of " +
                             std::to_string(steps));
        const auto h = ev.entropies(sets, sub, cancel);
        size_t at = 0; // (the evaluator runs the common base first by itself)
        for (size_t step = 0; step < cands.size(); ++step) {
            std::vector<double> te;
            std::vector<double> row(depth, std::numeric_limits<double>::quiet_NaN()), low = row, high = row;
            for (auto l : cands[step]) {
                if (ev.resamples() > 0) {
                    const auto ci = percentileInterval(ev.resampledTransferEntropy(at, sub, cancel));
                    low[static_cast<size_t>(l)] = ci.low;
                    high[static_cast<size_t>(l)] = ci.high;
                }
                te.push_back(r.headEntropyFull - h[at++]);
                row[static_cast<size_t>(l)] = te.back();
            }
            if (ev.resamples() > 0) {
                r.candidatesLow.push_back(low);
                r.candidatesHigh.push_back(high);
            }
            const auto best = argminCandidate(te, o);
            chosen.push_back(cands[step][best]);
            r.candidates.push_back(row);
            r.stepValues.push_back(te[best]);
            if (chosen.back() != guess[chosen.size() - 1])
                break; // a wrong guess: the later steps had the wrong base
        }
    }
    r.selected = chosen;
    r.resamples = ev.resamples();
    r.passes = ev.passes();
    r.blockPasses = ev.blockPasses();
    r.settings = teSettingsJson(o);
    return r;
}

SelectionResult selectExhaustive(ModelBundle& model, const Dataset& calibration, int64_t count, const TeOptions& o,
                                 Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("layer selection");
    const auto layers = selectionCandidates(model, count);
    std::vector<std::vector<int64_t>> sets;
    std::vector<bool> pick(layers.size(), false);
    std::fill(pick.begin(), pick.begin() + count, true);
    do { // lexicographic order of index sets, so ties go to the lowest layers
        std::vector<int64_t> s;
        for (size_t i = 0; i < layers.size(); ++i)
            if (pick[i])
                s.push_back(layers[i]);
        sets.push_back(s);
    } while (std::prev_permutation(pick.begin(), pick.end()));
    if (sets.size() > 5000)
        throw Error("exhaustive selection", std::to_string(sets.size()) + " sets is too many; use nose");
    HeadEntropyEvaluator ev(model, calibration, o);
    sets.insert(sets.begin(), std::vector<int64_t>{});
    const auto h = ev.entropies(sets, progress, cancel);
    size_t best = 1;
    for (size_t k = 1; k < sets.size(); ++k)
        if (rankValue(h[0] - h[k], o) < rankValue(h[0] - h[best], o))
            best = k;
    SelectionResult r;
    r.method = "exhaustive";
    r.selected = sets[best];
    r.headEntropyFull = h[0];
    r.stepValues = {h[0] - h[best]};
    r.passes = ev.passes();
    r.settings = teSettingsJson(o);
    return r;
}

SelectionResult selectSingleTe(ModelBundle& model, const Dataset& calibration, int64_t count, const TeOptions& o,
                               Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("layer selection");
    const auto layers = selectionCandidates(model, count);
    std::vector<std::vector<int64_t>> sets{{}};
    for (auto l : layers)
        sets.push_back({l});
    HeadEntropyEvaluator ev(model, calibration, o);
    const auto h = ev.entropies(sets, progress, cancel);
    std::vector<size_t> order(layers.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return rankValue(h[0] - h[a + 1], o) < rankValue(h[0] - h[b + 1], o); });
    SelectionResult r;
    r.method = "single-te";
    r.headEntropyFull = h[0];
    std::vector<double> row(static_cast<size_t>(model.meta.config.depth), std::numeric_limits<double>::quiet_NaN());
    for (size_t k = 0; k < layers.size(); ++k)
        row[static_cast<size_t>(layers[k])] = h[0] - h[k + 1];
    r.candidates = {row};
    if (ev.resamples() > 0) {
        auto low = row, high = row;
        for (size_t k = 0; k < layers.size(); ++k) {
            const auto ci = ev.intervalOfDifference(0, k + 1);
            low[static_cast<size_t>(layers[k])] = ci.low;
            high[static_cast<size_t>(layers[k])] = ci.high;
        }
        r.candidatesLow = {low};
        r.candidatesHigh = {high};
        r.resamples = ev.resamples();
    }
    for (int64_t k = 0; k < count; ++k)
        r.selected.push_back(layers[order[static_cast<size_t>(k)]]);
    r.passes = ev.passes();
    r.settings = teSettingsJson(o);
    return r;
}

SelectionResult selectFirst(const ModelBundle& model, int64_t count)
{
    const auto layers = selectionCandidates(model, count);
    SelectionResult r;
    r.method = "first";
    r.selected.assign(layers.begin(), layers.begin() + count);
    return r;
}

SelectionResult selectRandom(const ModelBundle& model, int64_t count, uint64_t seed)
{
    auto layers = selectionCandidates(model, count);
    std::mt19937_64 rng(seed);
    std::shuffle(layers.begin(), layers.end(), rng);
    SelectionResult r;
    r.method = "random";
    r.selected.assign(layers.begin(), layers.begin() + count);
    r.settings = {{"seed", seed}};
    return r;
}

SelectionResult selectLowestEntropy(const EntropyProfile& profile, int64_t count)
{
    std::vector<std::pair<double, int64_t>> ranked;
    for (const auto& b : profile.blocks)
        if (b.attn)
            ranked.emplace_back(*b.attn, b.block);
    if (count < 1 || count > static_cast<int64_t>(ranked.size()))
        throw Error("selection", "cannot choose " + std::to_string(count) + " of " + std::to_string(ranked.size()) +
                                     " attention layers");
    std::stable_sort(ranked.begin(), ranked.end());
    SelectionResult r;
    r.method = "entropy";
    for (int64_t k = 0; k < count; ++k)
        r.selected.push_back(ranked[static_cast<size_t>(k)].second);
    r.settings = {{"criterion", "lowest attention-branch entropy"}, {"units", profile.units}};
    return r;
}

SelectionResult selectLayers(ModelBundle& model, const Dataset* calibration, const LayerSelection& s,
                             Progress& progress, const CancelToken* cancel, const EntropyProfile* profile)
{
    const auto& m = s.method;
    selectionMethod(m); // Error naming an unknown method
    if (m == "first")
        return selectFirst(model, s.count);
    if (m == "random")
        return selectRandom(model, s.count, s.randomSeed);
    if (m == "entropy" && profile)
        return selectLowestEntropy(*profile, s.count);
    if (!calibration)
        throw Error("selection method " + m, "needs calibration images");
    if (m == "nose")
        return selectNose(model, *calibration, s.count, s.te, progress, cancel);
    if (m == "exhaustive")
        return selectExhaustive(model, *calibration, s.count, s.te, progress, cancel);
    if (m == "single-te")
        return selectSingleTe(model, *calibration, s.count, s.te, progress, cancel);
    if (m == "block-influence" || m == "attention-cosine" || m == "angular")
        return selectByCriterion(model, *calibration, m, s.count, s.te.device, progress, cancel);
    if (m == "greedy-loss" || m == "greedy-kl")
        return selectGreedyLoss(model, *calibration, s.count, m == "greedy-kl", s.te.device, progress, cancel);
    return selectLowestEntropy(profileEntropy(model, *calibration, s.profile, progress, cancel), s.count);
}

LayerSelection selectionFor(const DilutionRun& run, const ModelBundle& model)
{
    LayerSelection s;
    s.method = run.method;
    s.count = countForRatio(model, run.ratio);
    s.randomSeed = run.randomSeed;
    s.te.device = run.device;
    s.profile.device = run.device;
    return s;
}

CalibrationOptions calibrationFor(const DilutionRun& run)
{
    return {run.selectImages, kCalibrationSeed, kCalibrationSplit};
}

SelectionResult chooseLayers(ModelBundle& model, const DilutionRun& run, Progress& progress, const CancelToken* cancel)
{
    const auto s = selectionFor(run, model);
    std::optional<Dataset> calib;
    if (selectionNeedsCalibration(s.method))
        calib = loadCalibrationSet(run.data, model.meta.config, calibrationFor(run));
    return selectLayers(model, calib ? &*calib : nullptr, s, progress, cancel);
}

namespace {
nlohmann::json finiteOrNull(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}
double fromNullable(const nlohmann::json& j)
{
    return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

nlohmann::json nullableRows(const std::vector<std::vector<double>>& rows)
{
    auto out = nlohmann::json::array();
    for (const auto& row : rows) {
        auto jr = nlohmann::json::array();
        for (double v : row)
            jr.push_back(finiteOrNull(v));
        out.push_back(jr);
    }
    return out;
}
std::vector<std::vector<double>> rowsFromJson(const nlohmann::json& j)
{
    std::vector<std::vector<double>> out;
    for (const auto& row : j) {
        out.emplace_back();
        for (const auto& v : row)
            out.back().push_back(fromNullable(v));
    }
    return out;
}
} // namespace

void to_json(nlohmann::json& j, const SelectionResult& r)
{
    const auto rows = nullableRows(r.candidates);
    auto steps = nlohmann::json::array();
    for (double v : r.stepValues)
        steps.push_back(finiteOrNull(v));
    j = {{"kind", "selection"},  {"method", r.method},    {"selected", r.selected},
         {"step_values", steps}, {"candidates", rows},    {"head_entropy_full", finiteOrNull(r.headEntropyFull)},
         {"passes", r.passes},   {"settings", r.settings}};
    if (r.blockPasses > 0) {
        j["block_passes"] = r.blockPasses;
        j["guess_passes"] = r.guessPasses;
    }
    if (r.resamples > 0)
        j["candidate_intervals"] = {{"level", kIntervalLevel},
                                    {"resamples", r.resamples},
                                    {"method", "bootstrap percentile over calibration images"},
                                    {"low", nullableRows(r.candidatesLow)},
                                    {"high", nullableRows(r.candidatesHigh)}};
}

void from_json(const nlohmann::json& j, SelectionResult& r)
{
    r.method = j.at("method").get<std::string>();
    r.selected = jsonIntegers(j.at("selected"));
    r.stepValues.clear();
    for (const auto& v : j.at("step_values"))
        r.stepValues.push_back(fromNullable(v));
    r.candidates = rowsFromJson(j.at("candidates"));
    r.candidatesLow.clear();
    r.candidatesHigh.clear();
    r.resamples = 0;
    if (j.contains("candidate_intervals")) {
        const auto& ci = j.at("candidate_intervals");
        r.candidatesLow = rowsFromJson(ci.at("low"));
        r.candidatesHigh = rowsFromJson(ci.at("high"));
        r.resamples = ci.at("resamples").get<int>();
    }
    r.headEntropyFull = fromNullable(j.at("head_entropy_full"));
    r.passes = jsonInteger(j, "passes", int64_t{0});
    r.blockPasses = jsonInteger(j, "block_passes", int64_t{0});
    r.guessPasses = jsonInteger(j, "guess_passes", int64_t{0});
    r.settings = j.value("settings", nlohmann::json::object());
}

} // namespace mlpify::core
