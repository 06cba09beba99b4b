// The window's analysis computations as plain functions of the project's settings: they run on
// its worker thread and touch no view, so the window only starts them and shows what they return.
#pragma once

#include "app/figures/project.h"
#include "core/analysis/calibration.h"
#include "core/analysis/unit_selection.h"
#include "core/progress.h"

#include <QStringList>

#include <optional>

namespace mlpify::core {
struct ModelBundle;
}

namespace mlpify::app {

// The analysis's calibration images: the project's count of the training split, seed 0 (as
// `mlpify analyze` and `select` take by default).
core::CalibrationOptions analysisCalibration(const Project& p);

// The entropy curves on the project's token set, with the calibration in their provenance.
core::EntropyProfile entropyCurves(core::ModelBundle& model, const core::Dataset& calib, const Project& p,
                                   core::Progress& progress, const core::CancelToken& cancel);

// NOSE for the project's ratio, as `dilute` would choose for the project's run (core::selectionFor).
core::SelectionResult noseSelection(core::ModelBundle& model, const core::Dataset& calib, const Project& p,
                                    core::Progress& progress, const core::CancelToken& cancel);

// Every criterion for the project's ratio on the analysis's calibration images (TE with a
// 95% interval over 100 resamples; with stability > 0, each re-run on that many resamples),
// training-free top-1 on the test split, and the slimmed model's top-1 given to the criteria
// that chose its set. testLimit > 0: the first N test images only.
core::CriteriaComparison criteriaComparison(core::ModelBundle& model, const Project& p, int stability, int testLimit,
                                            core::Progress& progress, const core::CancelToken& cancel);

// The Slim tab's ratio as a budget: a share of the model's parameters ("params") or forward FLOPs
// ("flops"), or of the pool's units (anything else); at least one parameter or unit.
core::UnitBudget unitBudget(const core::ModelBundle& model, const QString& kind, double ratio, core::UnitPool pool);

// The attention, MLP, block and mixed pools side by side (core::comparePools) at the project's
// ratio of the model's parameters or FLOPs (kind), each ranked by method ("all": every method),
// on the analysis's calibration images; TE intervals and the slimmed model's top-1 as above.
core::CriteriaComparison poolComparison(core::ModelBundle& model, const Project& p, const QString& kind,
                                        const QString& method, int testLimit, core::Progress& progress,
                                        const core::CancelToken& cancel);

struct Spectra {
    core::SpectrumResult original;
    std::optional<core::SpectrumResult> slimmed;
    std::optional<core::EntropyProfile> slimmedProfile; // the slimmed model's curves (a third curve)
};
// Spectra of the original and, when the project has one, the slimmed model (and its curves), on
// at most 1,000 calibration images: the FFT per block and channel makes more cost minutes.
Spectra spectra(core::ModelBundle& model, const Project& p, core::Progress& progress, const core::CancelToken& cancel);

// Test top-1, parameters, FLOPs, throughput and run memory of each model; nullopt when cancelled.
std::optional<std::vector<core::ModelNumbers>> compareModels(const QStringList& specs, const std::string& data,
                                                             core::Progress& progress, const core::CancelToken& cancel);

} // namespace mlpify::app
