// A project's figures, drawn by the views the window shows: one list of figures and one way of
// filling the views from a project, shared by the window, `mlpify figures` and the tests.
#pragma once

#include "app/figures/project.h"
#include "widgets/heatmap_view.h"

#include <QSize>
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

struct Figure {
    QString name; // the file stem: entropy, nose-path, training-loss, ...
    QWidget* widget;
};
// The figures the project has results for, in a fixed order, as widgets of the views.
QVector<Figure> projectFigures(const Project& project, const ProjectViews& views);

struct FigureOptions {
    QSize size{900, 540}; // pixels
    int dpi = 150;
};

// Draws every figure of the project offscreen and writes each as SVG, PDF and PNG, plus the
// numbers behind them (project-data.json, the project itself; front.csv when the project has an
// accuracy-throughput front, criteria.csv when it has a criteria comparison, attention.csv and
// attention-map.csv with the Attention tab's results), into dir. The files are written
// into a folder beside dir first and moved in only when all were written, so a failure leaves
// what dir held as it was. Returns the files in dir; throws core::Error naming the file that
// failed. Needs a QApplication.
QStringList writeProjectFigures(const Project& project, const QString& dir, const FigureOptions& options = {});

} // namespace mlpify::app
