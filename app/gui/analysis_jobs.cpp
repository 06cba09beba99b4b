#include "app/gui/analysis_jobs.h"

#include "core/analysis/entropy_profile.h"
#include "core/analysis/selection.h"
#include "core/analysis/spectrum.h"
#include "core/bench/benchmark.h"
#include "core/io/model_io.h"
#include "core/train/evaluate.h"

#include <QCoreApplication>

#include <algorithm>

namespace mlpify::app {

core::CalibrationOptions analysisCalibration(const Project& p)
{
    return {p.images, 0, "train"};
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
    return core::selectLayers(model, &calib, s, progress, &cancel);
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

std::optional<QVector<widgets::ModelNumbers>> compareModels(const QStringList& specs, const std::string& data,
                                                            core::Progress& progress, const core::CancelToken& cancel)
{
    QVector<widgets::ModelNumbers> numbers;
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
        numbers.push_back({i == 0 ? QCoreApplication::translate("Compare", "original")
                                  : QCoreApplication::translate("Compare", "slimmed"),
                           eval.top1(), static_cast<double>(bench.parameters), bench.gflopsPerImage,
                           bench.imagesPerSecond, bench.runMemoryMiB});
    }
    return numbers;
}

} // namespace mlpify::app
