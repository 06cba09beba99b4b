#include "core/analysis/unit_selection.h"

#include "core/analysis/selection.h"
#include "core/analysis/unit_criteria.h"
#include "core/bench/flops.h"
#include "core/error.h"
#include "core/model/vit.h"

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>

namespace mlpify::core {

namespace {
int64_t parametersOf(const std::vector<torch::nn::Module*>& modules)
{
    int64_t n = 0;
    for (auto* m : modules)
        if (m)
            for (const auto& p : m->parameters())
                n += p.numel();
    return n;
}
} // namespace

const std::vector<std::string>& unitPoolNames()
{
    static const std::vector<std::string> names{"attention", "mlp", "block", "mixed"};
    return names;
}

std::string toString(UnitPool pool)
{
    return unitPoolNames().at(static_cast<size_t>(pool));
}

UnitPool unitPoolFromString(const std::string& name)
{
    const auto& names = unitPoolNames();
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == name)
            return static_cast<UnitPool>(i);
    throw Error("unit pool '" + name + "'", "is not one of attention, mlp, block, mixed");
}

const std::vector<std::string>& unitMethodNames()
{
    static const std::vector<std::string> names{"nose", "influence", "angular", "greedy-loss", "greedy-kl"};
    return names;
}

std::string toString(UnitMethod method)
{
    return unitMethodNames().at(static_cast<size_t>(method));
}

UnitMethod unitMethodFromString(const std::string& name)
{
    const auto& names = unitMethodNames();
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == name)
            return static_cast<UnitMethod>(i);
    throw Error("unit method '" + name + "'", "is not one of nose, influence, angular, greedy-loss, greedy-kl");
}

std::string Unit::name() const
{
    const char* kinds[] = {"attention", "MLP", "block"};
    return std::string(kinds[static_cast<int>(kind)]) + " " + std::to_string(block);
}

std::string UnitBudget::describe() const
{
    std::ostringstream s;
    if (count > 0)
        s << count << (count == 1 ? " unit" : " units");
    else if (params > 0)
        s << "at most " << params << " parameters";
    else
        s << "at most " << flops << " FLOPs per image";
    return s.str();
}

std::vector<BlockMode> modesWithout(const ModelBundle& model, const std::vector<Unit>& units, BranchMode rule)
{
    auto modes = model.net->blockModes();
    for (const auto& u : units) {
        auto& m = modes.at(static_cast<size_t>(u.block));
        if (u.kind != UnitKind::Mlp && m.hasAttention())
            m = withAttention(m, rule, 0.0);
        if (u.kind != UnitKind::Attention && m.hasMlp())
            m = withMlp(m, rule, 0.0);
    }
    return modes;
}

std::vector<BlockMode> removedModes(const ModelBundle& model, const std::vector<Unit>& units)
{
    return modesWithout(model, units, BranchMode::Removed);
}

std::vector<Unit> unitCandidates(const ModelBundle& model, UnitPool pool)
{
    const auto modes = model.net->blockModes();
    const auto depth = static_cast<int64_t>(modes.size());
    const auto& config = model.meta.config;
    const double flopsNow = analyticFlops(config, modes);
    std::vector<Unit> out;
    torch::nn::ModuleList blocks = model.net->blocks; // a non-const handle to the same modules
    for (int64_t b = 0; b < depth; ++b) {
        const auto& m = modes[static_cast<size_t>(b)];
        auto* block = blocks[static_cast<size_t>(b)]->as<Block>();
        const int64_t attention = m.hasAttention() ? parametersOf({block->norm1.ptr().get(), block->attn.ptr().get(),
                                                                   block->ls1 ? block->ls1.ptr().get() : nullptr})
                                                   : 0;
        const int64_t mlp = m.hasMlp() ? parametersOf({block->norm2.ptr().get(), block->mlp.ptr().get(),
                                                       block->ls2 ? block->ls2.ptr().get() : nullptr})
                                       : 0;
        auto add = [&](UnitKind kind, std::vector<int64_t> codes, int64_t params) {
            Unit u{kind, b, std::move(codes), params, 0.0};
            u.flops = flopsNow - analyticFlops(config, removedModes(model, {u}));
            out.push_back(u);
        };
        const bool attentionUnits = pool == UnitPool::Attention || pool == UnitPool::Mixed;
        const bool mlpUnits = pool == UnitPool::Mlp || pool == UnitPool::Mixed;
        if (attentionUnits && m.hasAttention())
            add(UnitKind::Attention, {b}, attention);
        if (mlpUnits && m.hasMlp())
            add(UnitKind::Mlp, {mlpUnit(b, depth)}, mlp);
        if (pool == UnitPool::Block && !m.gone()) {
            std::vector<int64_t> codes;
            if (m.hasAttention())
                codes.push_back(b);
            if (m.hasMlp())
                codes.push_back(mlpUnit(b, depth));
            add(UnitKind::Block, codes, attention + mlp);
        }
    }
    if (out.empty())
        throw Error("unit pool " + toString(pool), "the model has no such unit left to remove");
    return out;
}

UnitSelection selectUnits(ModelBundle& model, const Dataset& calibration, UnitPool pool, const UnitBudget& budget,
                          const TeOptions& options, Progress& progress, const CancelToken* cancel)
{
    return selectUnits(model, calibration, pool, UnitMethod::Nose, budget, options, progress, cancel);
}

UnitSelection selectUnits(ModelBundle& model, const Dataset& calibration, UnitPool pool, UnitMethod method,
                          const UnitBudget& budget, const TeOptions& options, Progress& progress,
                          const CancelToken* cancel)
{
    auto o = options;
    o.units = true;
    model.net->requireEveryToken("unit selection");
    const int budgets = (budget.count != 0) + (budget.params != 0) + (budget.flops != 0);
    if (budgets != 1)
        throw Error("unit budget", "give exactly one of a count, a parameter budget or a FLOP budget");
    if (budget.count < 0 || budget.params < 0 || budget.flops < 0 || !std::isfinite(budget.flops))
        throw Error("unit budget", "must be positive");
    UnitSelection r;
    r.pool = pool;
    r.method = method;
    r.budget = budget;
    r.candidates = unitCandidates(model, pool);
    const auto& c = r.candidates;
    if (budget.count > static_cast<int64_t>(c.size()))
        throw Error("unit budget", "cannot choose " + std::to_string(budget.count) + " of the " +
                                       std::to_string(c.size()) + " " + toString(pool) + " units left");
    int64_t cheapestParams = std::numeric_limits<int64_t>::max();
    double cheapestFlops = std::numeric_limits<double>::infinity();
    for (const auto& u : c) {
        cheapestParams = std::min(cheapestParams, u.params);
        cheapestFlops = std::min(cheapestFlops, u.flops);
    }
    if (budget.params > 0 && budget.params < cheapestParams)
        throw Error("unit budget", "a budget of " + std::to_string(budget.params) +
                                       " parameters is below the cheapest " + toString(pool) + " unit (" +
                                       std::to_string(cheapestParams) + ")");
    if (budget.flops > 0 && budget.flops < cheapestFlops)
        throw Error("unit budget", "a budget of " + std::to_string(budget.flops) + " FLOPs is below the cheapest " +
                                       toString(pool) + " unit (" + std::to_string(cheapestFlops) + ")");
    const auto nan = std::numeric_limits<double>::quiet_NaN();

    if (method == UnitMethod::Nose && pool == UnitPool::Attention && budget.count > 0) {
        // today's NOSE, set and values alike
        r.settings = teSettingsJson(o);
        const auto nose = selectNose(model, calibration, budget.count, o, progress, cancel);
        r.headEntropyFull = nose.headEntropyFull;
        r.passes = nose.passes;
        for (size_t step = 0; step < nose.selected.size(); ++step) {
            std::vector<double> row;
            for (size_t i = 0; i < c.size(); ++i) {
                row.push_back(nose.candidates[step][static_cast<size_t>(c[i].block)]);
                if (c[i].block == nose.selected[step]) {
                    r.chosen.push_back(i);
                    r.paramsRemoved += c[i].params;
                    r.flopsRemoved += c[i].flops;
                }
            }
            r.values.push_back(row);
            r.stepValues.push_back(nose.stepValues[step]);
        }
        return r;
    }

    // A step's value for every candidate that fits beside those already taken.
    std::function<std::vector<double>(const std::vector<size_t>& fit, Progress& span)> values;
    std::vector<Unit> taken;
    std::vector<int64_t> codes; // the taken units as transfer_entropy.h's unit codes
    std::unique_ptr<HeadEntropyEvaluator> entropy;
    std::unique_ptr<UnitLossEvaluator> loss;
    UnitCriterionScores scores;
    ProgressSpan first(progress, 0.0, 0.05, "units: " + toString(method));
    switch (method) {
    case UnitMethod::Nose:
        entropy = std::make_unique<HeadEntropyEvaluator>(model, calibration, o);
        r.headEntropyFull = entropy->fullEntropy(first, cancel);
        r.settings = teSettingsJson(o);
        values = [&](const std::vector<size_t>& fit, Progress& span) {
            std::vector<std::vector<int64_t>> sets;
            for (auto i : fit) {
                auto set = codes;
                set.insert(set.end(), c[i].codes.begin(), c[i].codes.end());
                sets.push_back(set);
            }
            auto h = entropy->entropies(sets, span, cancel);
            for (auto& v : h)
                v = r.headEntropyFull - v;
            return h;
        };
        break;
    case UnitMethod::Influence:
    case UnitMethod::Angular:
        scores = scoreUnitCriteria(model, calibration, c, o.batchSize, o.device, first, cancel);
        r.passes = 1;
        r.settings = {{"criterion", method == UnitMethod::Influence
                                        ? "lowest 1 - cos(unit input, unit output): block influence (ShortGPT) for "
                                          "blocks, the sublayer cosine (LLM-Drop) for attention and MLP"
                                        : "lowest angular distance of the class token across the unit (Gromov et al.)"},
                      {"images", calibration.size()}};
        values = [&](const std::vector<size_t>& fit, Progress&) {
            const auto& all = method == UnitMethod::Influence ? scores.influence : scores.angular;
            std::vector<double> v;
            for (auto i : fit)
                v.push_back(all[i]);
            return v;
        };
        break;
    case UnitMethod::GreedyLoss:
    case UnitMethod::GreedyKl:
        loss = std::make_unique<UnitLossEvaluator>(model, calibration, method == UnitMethod::GreedyKl, o.batchSize,
                                                   o.device, cancel);
        r.settings = {{"criterion", method == UnitMethod::GreedyKl
                                        ? "greedy: lowest KL from the model's outputs with the units skipped"
                                        : "greedy: lowest cross-entropy on the calibration labels with the units "
                                          "skipped"},
                      {"units", "nats"},
                      {"images", calibration.size()}};
        values = [&](const std::vector<size_t>& fit, Progress& span) {
            std::vector<double> v;
            for (size_t k = 0; k < fit.size(); ++k) {
                auto trial = taken;
                trial.push_back(c[fit[k]]);
                ProgressSpan one(span, static_cast<double>(k) / static_cast<double>(fit.size()),
                                 static_cast<double>(k + 1) / static_cast<double>(fit.size()));
                v.push_back(loss->loss(trial, one));
            }
            return v;
        };
        break;
    }

    std::vector<bool> isTaken(c.size(), false);
    const double steps = static_cast<double>(budget.count > 0 ? budget.count : static_cast<int64_t>(c.size()));
    const bool absolute = method == UnitMethod::Nose && o.absolute;
    while (true) {
        std::vector<size_t> fit;
        for (size_t i = 0; i < c.size(); ++i)
            if (!isTaken[i] && (budget.count <= 0 || static_cast<int64_t>(r.chosen.size()) < budget.count) &&
                (budget.params <= 0 || r.paramsRemoved + c[i].params <= budget.params) &&
                (budget.flops <= 0 || r.flopsRemoved + c[i].flops <= budget.flops))
                fit.push_back(i);
        if (fit.empty())
            break;
        const double at = static_cast<double>(r.chosen.size());
        ProgressSpan span(progress, 0.05 + 0.95 * at / steps, 0.05 + 0.95 * std::min(1.0, (at + 1) / steps),
                          "units: step " + std::to_string(r.chosen.size() + 1));
        const auto v = values(fit, span);
        std::vector<double> row(c.size(), nan);
        size_t best = fit.front();
        for (size_t k = 0; k < fit.size(); ++k) {
            row[fit[k]] = v[k];
            const auto rank = [&](size_t i) { return absolute ? std::abs(row[i]) : row[i]; };
            if (rank(fit[k]) < rank(best)) // ties keep the earlier candidate
                best = fit[k];
        }
        isTaken[best] = true;
        taken.push_back(c[best]);
        r.chosen.push_back(best);
        r.values.push_back(row);
        r.stepValues.push_back(row[best]);
        r.paramsRemoved += c[best].params;
        r.flopsRemoved += c[best].flops;
        codes.insert(codes.end(), c[best].codes.begin(), c[best].codes.end());
    }
    if (entropy)
        r.passes = entropy->passes();
    if (loss)
        r.passes = loss->passes();
    return r;
}

void to_json(nlohmann::json& j, const UnitSelection& s)
{
    auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    auto candidates = nlohmann::json::array();
    for (const auto& u : s.candidates)
        candidates.push_back({{"unit", u.name()}, {"block", u.block}, {"params", u.params}, {"flops", u.flops}});
    auto chosen = nlohmann::json::array();
    for (auto i : s.chosen)
        chosen.push_back(s.candidates[i].name());
    auto rows = nlohmann::json::array();
    for (const auto& row : s.values) {
        auto r = nlohmann::json::array();
        for (double v : row)
            r.push_back(number(v));
        rows.push_back(r);
    }
    auto steps = nlohmann::json::array();
    for (double v : s.stepValues)
        steps.push_back(number(v));
    j = {{"kind", "unit_selection"},
         {"pool", toString(s.pool)},
         {"method", toString(s.method)},
         {"budget", {{"count", s.budget.count}, {"params", s.budget.params}, {"flops", s.budget.flops}}},
         {"candidates", candidates},
         {"selected", chosen},
         {"step_values", steps},
         {"values", rows},
         {"head_entropy_full", number(s.headEntropyFull)},
         {"params_removed", s.paramsRemoved},
         {"flops_removed", s.flopsRemoved},
         {"passes", s.passes},
         {"settings", s.settings}};
}

} // namespace mlpify::core
