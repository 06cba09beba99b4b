#include "app/gui/analysis_jobs.h"

#include "core/analysis/comparison.h"
#include "core/analysis/criteria.h"
#include "core/analysis/entropy_profile.h"
#include "core/analysis/selection.h"
#include "core/analysis/spectrum.h"
#include "core/bench/benchmark.h"
#include "core/bench/flops.h"
#include "core/io/model_io.h"
#include "core/train/evaluate.h"

#include <QCoreApplication>

#include <algorithm>

namespace mlpify::app {

core::CalibrationOptions analysisCalibration(const Project& p)
{
    return {p.images, core::kCalibrationSeed, core::kCalibrationSplit};
}

core::EntropyProfile entropyCurves(core::ModelBundle& model, const core::Dataset& calib, const Project& p,
                                   core::Progress& progress, const core::CancelToken& cancel)
{
    core::ProfileOptions po;
    po.tokens = core::tokenSetFromString(p.tokens.toStdString());
    auto profile = core::profileEntropy(model, calib, po, progress, &cancel);
    profile.provenance["calibration"] = core::calibrationJson(calib, analysisCalibration(p));
    return profile;
}

core::SelectionResult noseSelection(core::ModelBundle& model, const core::Dataset& calib, const Project& p,
                                    core::Progress& progress, const core::CancelToken& cancel)
{
    auto s = core::selectionFor(dilutionRun(p), model);
    s.method = "nose";
    s.te.bootstrap = core::kDefaultIntervalResamples; // an interval per heatmap cell, from the same pass
    return core::selectLayers(model, &calib, s, progress, &cancel);
}

namespace {
// A comparison's provenance, and the slimmed model's top-1 given to the rows that chose its set
// (by its attention layers, or for pools by its removed units).
void finishComparison(core::CriteriaComparison& c, const core::Dataset& calib, const Project& p)
{
    c.settings["model"] = p.model.toStdString();
    c.settings["calibration"] = core::calibrationJson(calib, analysisCalibration(p));
    if (p.slimmedModel.isEmpty())
        return;
    const auto file = p.slimmedModel.toStdString();
    const auto slim = core::loadModel(file);
    if (!slim.meta.metrics.contains("test_top1")) // a finished run has it; an opened file may not
        return;
    const auto d = core::dilutedResultOf(slim, file);
    core::attachDiluted(c, c.budget.empty() ? d.removed : d.removedUnits, d.top1, file);
}
} // namespace

core::CriteriaComparison criteriaComparison(core::ModelBundle& model, const Project& p, int stability, int testLimit,
                                            core::Progress& progress, const core::CancelToken& cancel)
{
    const auto data = p.data.toStdString();
    auto calib = core::loadCalibrationSet(data, model.meta.config, analysisCalibration(p));
    const auto test = core::loadDataset(data, core::Split::Test, core::DataOptions().size(model.meta.config.imageSize));
    const auto run = dilutionRun(p);
    core::ComparisonOptions o;
    o.count = core::countForRatio(model, p.ratio);
    o.randomSeed = run.randomSeed;
    o.te.bootstrap = core::kDefaultIntervalResamples;
    o.te.device = run.device;
    o.eval.device = run.device;
    o.eval.limit = testLimit;
    o.stability = stability;
    auto c = core::compareCriteria(model, calib, test, o, progress, &cancel);
    finishComparison(c, calib, p);
    return c;
}

core::UnitBudget unitBudget(const core::ModelBundle& model, const QString& kind, double ratio, core::UnitPool pool)
{
    core::UnitBudget budget;
    if (kind == "params")
        budget.params =
            std::max<int64_t>(1, static_cast<int64_t>(ratio * static_cast<double>(model.net->parameterCount())));
    else if (kind == "flops")
        budget.flops = ratio * core::analyticFlops(model.meta.config, model.net->blockModes());
    else
        budget.count =
            std::max<int64_t>(1, std::llround(ratio * static_cast<double>(core::unitCandidates(model, pool).size())));
    return budget;
}

core::CriteriaComparison poolComparison(core::ModelBundle& model, const Project& p, const QString& kind,
                                        const QString& method, int testLimit, core::Progress& progress,
                                        const core::CancelToken& cancel)
{
    const auto data = p.data.toStdString();
    auto calib = core::loadCalibrationSet(data, model.meta.config, analysisCalibration(p));
    const auto test = core::loadDataset(data, core::Split::Test, core::DataOptions().size(model.meta.config.imageSize));
    const auto run = dilutionRun(p);
    core::PoolComparisonOptions o;
    o.budget = unitBudget(model, kind, p.ratio, core::UnitPool::Attention);
    if (method != "all")
        o.methods = {core::unitMethodFromString(method.toStdString())};
    else
        for (const auto& m : core::unitMethodNames())
            o.methods.push_back(core::unitMethodFromString(m));
    o.te.bootstrap = core::kDefaultIntervalResamples;
    o.te.device = run.device;
    o.eval.device = run.device;
    o.eval.limit = testLimit;
    auto c = core::comparePools(model, calib, test, o, progress, &cancel);
    finishComparison(c, calib, p);
    return c;
}

Spectra spectra(core::ModelBundle& model, const Project& p, core::Progress& progress, const core::CancelToken& cancel)
{
    auto co = analysisCalibration(p);
    co.images = std::min<int64_t>(co.images, 1000);
    auto calib = core::loadCalibrationSet(p.data.toStdString(), model.meta.config, co);
    const bool two = !p.slimmedModel.isEmpty();
    Spectra out;
    core::ProgressSpan p1(progress, 0.0, two ? 0.4 : 1.0);
    out.original = core::computeSpectrum(model, calib, core::SpectrumOptions{}, p1, &cancel);
    out.original.model = "original";
    if (two) {
        auto slim = core::loadModel(p.slimmedModel.toStdString());
        core::ProgressSpan p2(progress, 0.4, 0.8);
        out.slimmed = core::computeSpectrum(slim, calib, core::SpectrumOptions{}, p2, &cancel);
        out.slimmed->model = "slimmed";
        core::ProfileOptions po;
        po.tokens = core::tokenSetFromString(p.tokens.toStdString());
        core::ProgressSpan p3(progress, 0.8, 1.0);
        out.slimmedProfile = core::profileEntropy(slim, calib, po, p3, &cancel);
    }
    return out;
}

std::optional<std::vector<core::ModelNumbers>> compareModels(const QStringList& specs, const std::string& data,
                                                             core::Progress& progress, const core::CancelToken& cancel)
{
    std::vector<core::ModelNumbers> numbers;
    for (int i = 0; i < specs.size(); ++i) {
        auto model = core::loadModel(specs[i].toStdString());
        auto test = core::loadDataset(data, core::Split::Test, core::DataOptions().size(model.meta.config.imageSize));
        const double from = static_cast<double>(i) / specs.size(), to = (i + 1.0) / specs.size();
        core::ProgressSpan p(progress, from, from + 0.8 * (to - from));
        const auto eval = core::evaluate(model, test, core::EvalOptions{}, p, &cancel);
        if (eval.cancelled || cancel.cancelled())
            return std::nullopt;
        progress.report(from + 0.8 * (to - from), "throughput of " + specs[i].toStdString());
        core::BenchOptions bo;
        bo.batchSize = 64;
        bo.repeats = 10;
        const auto bench = core::benchmarkModel(model, bo);
        numbers.push_back({(i == 0 ? QCoreApplication::translate("Compare", "original")
                                   : QCoreApplication::translate("Compare", "slimmed"))
                               .toStdString(),
                           eval.top1(), static_cast<double>(bench.parameters), bench.gflopsPerImage,
                           bench.imagesPerSecond, bench.runMemoryMiB});
    }
    return numbers;
}

} // namespace mlpify::app
