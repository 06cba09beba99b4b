#include "core/analysis/comparison.h"

#include "core/analysis/assessment.h"
#include "core/analysis/selection_methods.h"
#include "core/error.h"

#include <chrono>

namespace mlpify::core {

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
        AssessmentOptions ao;
        ao.transferEntropy = false; // every set's below, in one pass
        ao.test = &test;
        ao.eval = o.eval;
        ao.stability = o.stability;
        ao.stabilitySeed = o.stabilitySeed;
        ProgressSpan assess(progress, at + 0.5 * step, at + step, "criteria: " + r.method + ", assessment");
        const auto a = assessSelection(model, calibration, r.selected, s, ao, assess, cancel);
        r.skipTop1 = a.trainingFree->skip.top1();
        r.doubleTop1 = a.trainingFree->twice.top1();
        c.testImages = a.trainingFree->skip.count;
        if (a.stability) {
            r.stabilityResamples = a.stability->resamples;
            r.layerFrequency = a.stability->layerFrequency;
            r.chosenSetShare = a.chosenSetShare;
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

} // namespace mlpify::core
