#include "core/analysis/removal.h"

#include "core/error.h"

namespace mlpify::core {

EvalResult evaluateWithout(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& removed, SkipRule rule,
                           const EvalOptions& options, Progress& progress, const CancelToken* cancel, bool units)
{
    const auto original = model.net->blockModes();
    const auto depth = static_cast<int64_t>(original.size());
    for (auto unit : removed) { // transfer_entropy.h's unit codes: b attention, depth + b MLP
        const bool mlp = units && unit >= depth;
        const auto b = mlp ? unit - depth : unit;
        if (b < 0 || b >= depth ||
            (mlp ? !original[static_cast<size_t>(b)].hasMlp() : !original[static_cast<size_t>(b)].hasAttention()))
            throw Error("block " + std::to_string(b),
                        std::string("has no ") + (mlp ? "MLP" : "attention") + " to take out");
    }
    struct Restore {
        ModelBundle& model;
        std::vector<BlockMode> modes;
        ~Restore() { model.net->setBlockModes(modes); }
    } restore{model, original};
    // DiluteZero as lambda = 0: (2 - 0) x + 0 * f = 2x exactly, with the branch's weights kept so
    // the model can be restored.
    const auto state = rule == SkipRule::Skip ? BranchMode::Skipped : BranchMode::Diluting;
    for (auto unit : removed) {
        const bool mlp = units && unit >= depth;
        const auto b = mlp ? unit - depth : unit;
        const auto now = model.net->blockModes()[static_cast<size_t>(b)];
        model.net->setBlockMode(b, mlp ? withMlp(now, state, 0.0) : withAttention(now, state, 0.0));
    }
    auto r = evaluate(model, data, options, progress, cancel);
    return r;
}

TrainingFreeTop1 trainingFreeTop1(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& removed,
                                  const EvalOptions& options, Progress& progress, const CancelToken* cancel, bool units)
{
    TrainingFreeTop1 t;
    ProgressSpan a(progress, 0.0, 0.5);
    t.skip = evaluateWithout(model, data, removed, SkipRule::Skip, options, a, cancel, units);
    ProgressSpan b(progress, 0.5, 1.0);
    t.twice = evaluateWithout(model, data, removed, SkipRule::DiluteZero, options, b, cancel, units);
    if (t.skip.cancelled || t.twice.cancelled)
        throw Cancelled("training-free evaluation");
    return t;
}

nlohmann::json trainingFreeJson(const TrainingFreeTop1& t)
{
    return {{"images", t.skip.count},
            {"skip", {{"top1", t.skip.top1()}, {"loss", t.skip.loss}}},
            {"double", {{"top1", t.twice.top1()}, {"loss", t.twice.loss}}}};
}

std::vector<RemovalCurvePoint> removalCurve(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& order,
                                            const EvalOptions& options, Progress& progress, const CancelToken* cancel)
{
    std::vector<RemovalCurvePoint> curve;
    const double n = static_cast<double>(order.size());
    for (size_t k = 1; k <= order.size(); ++k) {
        RemovalCurvePoint p;
        p.removed.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
        ProgressSpan span(progress, static_cast<double>(k - 1) / n, static_cast<double>(k) / n);
        const auto t = trainingFreeTop1(model, data, p.removed, options, span, cancel);
        p.skipTop1 = t.skip.top1();
        p.skipLoss = t.skip.loss;
        p.doubleTop1 = t.twice.top1();
        p.doubleLoss = t.twice.loss;
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

} // namespace mlpify::core
