// A project's figures, drawn by the views the window shows: one list of figures and one way of
// filling the views from a project, shared by the window, `mlpify figures` and the tests.
#pragma once

#include "app/figures/project.h"
#include "core/plot/plot.h"
#include "widgets/heatmap_view.h"

#include <QStringList>

class QWidget;

namespace mlpify::widgets {
class EntropyChartView;
class HeatmapView;
class TrainingView;
class SpectrumView;
class CompareView;
class FrontView;
class CriteriaView;
class AttentionMapView;
class AttentionStatsView;
} // namespace mlpify::widgets

namespace mlpify::app {

// The views that show a project's results (the window's tabs, or offscreen copies).
struct ProjectViews {
    widgets::EntropyChartView* entropy = nullptr;
    widgets::HeatmapView* nose = nullptr;
    widgets::TrainingView* training = nullptr;
    widgets::SpectrumView* spectrum = nullptr;
    widgets::CompareView* compare = nullptr;
    widgets::FrontView* front = nullptr;
    widgets::CriteriaView* criteria = nullptr;
    widgets::AttentionMapView* attentionMap = nullptr;
    widgets::AttentionStatsView* attentionStats = nullptr;
};

// The NOSE heatmap of the project's selection: with each cell's interval where the selection has
// them, and, when the criteria comparison measured NOSE's stability for the same count, how often
// each layer was chosen under each column.
widgets::HeatmapData noseFigureData(const Project& project);

// Shows the project's stored results in the views (what opening a project shows).
void showProject(const Project& project, const ProjectViews& views);

struct FigureOptions {
    core::PrintSize size = core::printSize("column");
    int dpi = 300; // the PNG's
};

// Writes every figure the project has results for (project_plots.h) in print style into dir: per
// figure NAME.pdf, NAME.svg, NAME.png, NAME.tex (a standalone pgfplots document), NAME.tikz (the
// picture alone, for \input), NAME-data.csv (its numbers) and NAME.py (matplotlib, from the CSV);
// for the bundle, project-data.json (the project itself), the full tables (front.csv,
// criteria.csv, attention.csv, attention-map.csv, where the project has them), record.json
// (what produced the numbers: core/run/run_record.h) and README.md (the figures, the record and
// how to rebuild each form). The files are written into a folder beside dir first and moved in
// only when all were written, so a failure leaves what dir held as it was. Returns the files in
// dir; throws core::Error naming the file that failed. Needs a QGuiApplication.
QStringList writeProjectFigures(const Project& project, const QString& dir, const FigureOptions& options = {});

} // namespace mlpify::app
