#include "core/analysis/comparison.h"

#include "core/analysis/assessment.h"
#include "core/analysis/removal.h"
#include "core/analysis/selection_methods.h"
#include "core/error.h"

#include <chrono>
#include <string>

namespace mlpify::core {

namespace {
// Every row's set TE (and, with resamples, its interval) in one pass: the full model once, the
// sets from shared stream states, each resample's weights in the same moments.
void setTransferEntropies(ModelBundle& model, const Dataset& calibration, const TeOptions& te,
                          const std::vector<CriterionRow*>& rows, Progress& progress, const CancelToken* cancel)
{
    std::vector<std::vector<int64_t>> sets{{}};
    for (const auto* r : rows)
        sets.push_back(r->selected);
    HeadEntropyEvaluator ev(model, calibration, te);
    const auto h = ev.entropies(sets, progress, cancel);
    for (size_t k = 0; k < rows.size(); ++k) {
        rows[k]->transferEntropy = h[0] - h[k + 1];
        if (ev.resamples() > 0) {
            const auto ci = ev.intervalOfDifference(0, k + 1);
            rows[k]->teLow = ci.low;
            rows[k]->teHigh = ci.high;
        }
    }
}
} // namespace

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
    std::vector<CriterionRow*> rows;
    for (auto& r : c.rows)
        rows.push_back(&r);
    ProgressSpan te(progress, 0.95, 1.0, "criteria: transfer entropy of every set");
    setTransferEntropies(model, calibration, o.te, rows, te, cancel);
    return c;
}

CriteriaComparison comparePools(ModelBundle& model, const Dataset& calibration, const Dataset& test,
                                const PoolComparisonOptions& o, Progress& progress, const CancelToken* cancel)
{
    if ((o.budget.count > 0) + (o.budget.params > 0) + (o.budget.flops > 0) != 1)
        throw Error("pool comparison", "give exactly one budget: a count, parameters or FLOPs");
    model.net->requireEveryToken("the pool comparison");
    std::vector<UnitPool> pools = o.pools;
    if (pools.empty())
        for (const auto& name : unitPoolNames())
            pools.push_back(unitPoolFromString(name));
    const auto methods = o.methods.empty() ? std::vector<UnitMethod>{UnitMethod::Nose} : o.methods;
    CriteriaComparison c;
    c.calibrationImages = calibration.size();
    c.teResamples = o.te.bootstrap;
    c.units = o.te.entropy.units();
    c.budget = o.budget.describe();
    c.settings = teSettingsJson(o.te);
    auto poolNames = nlohmann::json::array(), methodNames = nlohmann::json::array();
    for (auto pool : pools)
        poolNames.push_back(toString(pool));
    for (auto method : methods)
        methodNames.push_back(toString(method));
    c.settings["pools"] = poolNames;
    c.settings["methods"] = methodNames;
    c.settings["budget"] = {{"count", o.budget.count}, {"params", o.budget.params}, {"flops", o.budget.flops}};
    auto selecting = o.te;
    selecting.bootstrap = 0; // the selections themselves; the interval comes with the yardstick below
    const double n = static_cast<double>(pools.size() * methods.size());
    size_t k = 0;
    for (auto pool : pools)
        for (auto method : methods) {
            const double at = 0.9 * static_cast<double>(k++) / n, step = 0.9 / n;
            CriterionRow r;
            r.pool = toString(pool);
            r.method = toString(method);
            const auto label = "pools: " + r.method + " over " + r.pool;
            ProgressSpan select(progress, at, at + 0.6 * step, label);
            const auto t0 = std::chrono::steady_clock::now();
            UnitSelection s;
            try {
                s = selectUnits(model, calibration, pool, method, o.budget, selecting, select, cancel);
            } catch (const Error& e) { // this pool cannot meet the budget: say so in its row
                if (std::string(e.what()).rfind("unit budget", 0) != 0)
                    throw;
                r.note = e.reason();
                c.rows.push_back(r);
                continue;
            }
            r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            for (auto i : s.chosen) {
                const auto& u = s.candidates[i];
                r.selected.insert(r.selected.end(), u.codes.begin(), u.codes.end());
                r.unitNames.push_back(u.name());
            }
            r.paramsRemoved = s.paramsRemoved;
            r.flopsRemoved = s.flopsRemoved;
            ProgressSpan assess(progress, at + 0.6 * step, at + step, label + ", training-free top-1");
            const auto t = trainingFreeTop1(model, test, r.selected, o.eval, assess, cancel, /*units=*/true);
            r.skipTop1 = t.skip.top1();
            r.doubleTop1 = t.twice.top1();
            c.testImages = t.skip.count;
            c.rows.push_back(r);
        }
    // Every set's TE (and interval) in one pass, as compareCriteria does.
    auto yardstick = o.te;
    yardstick.units = true;
    std::vector<CriterionRow*> rows;
    for (auto& r : c.rows)
        if (r.note.empty())
            rows.push_back(&r);
    ProgressSpan te(progress, 0.9, 1.0, "pools: transfer entropy of every set");
    setTransferEntropies(model, calibration, yardstick, rows, te, cancel);
    return c;
}

DilutedResult dilutedResultOf(const ModelBundle& model, const std::string& file)
{
    if (!model.meta.metrics.contains("test_top1") || !model.meta.metrics.at("test_top1").is_number())
        throw Error(file, "has no test top-1 in its metadata (not made by `mlpify dilute`)");
    DilutedResult d;
    d.top1 = model.meta.metrics.at("test_top1").get<double>();
    const auto depth = static_cast<int64_t>(model.meta.blocks.size());
    for (int64_t b = 0; b < depth; ++b)
        if (!model.meta.blocks[static_cast<size_t>(b)].hasAttention()) {
            d.removed.push_back(b);
            d.removedUnits.push_back(b);
        }
    for (int64_t b = 0; b < depth; ++b)
        if (!model.meta.blocks[static_cast<size_t>(b)].hasMlp())
            d.removedUnits.push_back(mlpUnit(b, depth));
    return d;
}

} // namespace mlpify::core
