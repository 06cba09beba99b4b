// A workbench session as a JSON file: model and data specs, settings, the chosen layers, the
// training configuration and every result, so it can be reopened, or its figures rendered
// from the command line (mlpify figures PROJECT --out DIR).
#pragma once

#include "core/analysis/attention_map_result.h"
#include "core/analysis/attention_stats_result.h"
#include "core/analysis/criteria_comparison.h"
#include "core/analysis/entropy_profile_result.h"
#include "core/analysis/selection_result.h"
#include "core/analysis/spectrum_result.h"
#include "core/bench/front.h"
#include "core/bench/model_numbers.h"
#include "core/data/calibration_defaults.h"
#include "core/run/run_record.h"
#include "core/train/dilution_run.h"
#include "core/train/training_log.h"

#include <QImage>
#include <QString>
#include <QVector>

#include <optional>

namespace mlpify::app {

struct Project {
    QString model = "default";
    QString data = "fashion-mnist";
    int images = static_cast<int>(core::kCalibrationImages);
    QString tokens = "cls";
    double ratio = 0.5;
    QString method = "nose";
    core::DilutionRun training; // the chosen layers and the training settings (see dilutionRun())
    QString slimmedModel;       // the folded model, once trained
    std::optional<core::EntropyProfile> profile;
    std::optional<core::EntropyProfile> slimmedProfile;
    std::optional<core::SelectionResult> selection;
    std::optional<core::SpectrumResult> spectrum;
    std::optional<core::SpectrumResult> slimmedSpectrum;
    std::vector<core::ModelNumbers> compare;
    core::TrainingCurves curves;
    std::vector<core::FrontPoint> front;                // the accuracy-throughput front's measured points
    int frontChosen = -1;                               // the point picked as the model to export
    std::optional<core::CriteriaComparison> criteria;   // the Criteria tab's comparison
    std::optional<core::AttentionStatistics> attention; // the Attention tab's distance and entropy per head
    std::optional<core::AttentionStatistics> slimmedAttention;
    std::optional<core::AttentionMap> attentionMap; // the map last shown, and the image under it
    QImage attentionImage;
};

// The project's dilution run: its training settings with the project's model, data, ratio,
// method and calibration images (the ones the analysis uses), and an output path. The window's runs and the project's
// equivalent command are this run.
core::DilutionRun dilutionRun(const Project& project);

// The models a project's accuracy-throughput front measures: the original, and the slimmed one
// once it exists.
std::vector<core::FrontModel> frontModels(const Project& project);

// The same session as mlpify commands (analyze, select, dilute, ...), so it can be reproduced or
// scripted without the window: what it is -> the shell command.
nlohmann::json projectCommands(const Project& project);
// The project as its file holds it.
nlohmann::json projectJson(const Project& project);
// The record of a project's numbers on this build and machine: versions, every seed, the hashes of
// its model, slimmed model and data files, and its commands. Saved with the project.
core::RunRecord projectRecord(const Project& project);

// Throws core::Error naming the file on a missing file, bad JSON or a wrong kind.
Project loadProject(const QString& path);
// Atomic: a failed save leaves the previous file as it was.
void saveProject(const Project& project, const QString& path);

} // namespace mlpify::app
