// A colour-mapped grid with axis labels, a colour bar, hover values and highlighted cells (the
// NOSE path, the layer-to-layer transfer-entropy map). Qt Charts has no heatmap.
#pragma once

#include "core/analysis/selection_result.h"
#include "widgets/colour_scale.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace mlpify::widgets {

struct HeatmapData {
    std::vector<std::vector<double>> values; // rows x columns; NaN = no value
    QStringList rowLabels, columnLabels;
    QString rowTitle, columnTitle, valueTitle, title;
    std::set<std::pair<int, int>> highlighted; // (row, column)
    // Optional: each cell's 95% interval (same shape as values) over `resamples` bootstrap
    // resamples, shown on hover; and a note under each column label (e.g. how often a layer is
    // chosen over resamples), with what the notes mean.
    std::vector<std::vector<double>> low, high;
    int resamples = 0;
    QStringList columnNotes;
    QString notesTitle;
    ColourScale::Kind scaleKind = ColourScale::Kind::Diverging;
};

// Geometry shared by painting and hit-testing; plain arithmetic, testable without a display.
struct HeatmapLayout {
    QRect grid; // cell area
    QRect colourBar;
    int rows = 0, columns = 0;
    static HeatmapLayout compute(const QRect& area, int rows, int columns);
    QRect cell(int row, int column) const;
    std::optional<std::pair<int, int>> cellAt(const QPoint& p) const;
};

// A vertical colour bar in bar, ticks at the scale's ends (and 0), title under it; labels to the
// right in labelWidth pixels. Shared by the heatmaps and the attention maps.
void paintColourBar(QPainter& painter, const QRect& bar, const ColourScale& scale, const QString& title,
                    int labelWidth);

// Paints the whole figure into rect: used by the widget and by figure export alike.
void paintHeatmap(QPainter& painter, const QRect& rect, const HeatmapData& data);
ColourScale scaleFor(const HeatmapData& data);

// What hovering a cell shows: its row, column and value, and its interval where there is one.
QString cellText(const HeatmapData& data, int row, int column);
// Puts under each column label the share of resamples whose set held that layer (stability).
void setColumnFrequencies(HeatmapData& data, const std::vector<double>& frequency, int resamples);

// The two heatmaps of method.md section 3, from core's plain results.
HeatmapData noseHeatmapData(const core::SelectionResult& selection, const QString& units);
HeatmapData layerMapHeatmapData(const std::vector<std::vector<double>>& values, const QString& units);

class HeatmapView : public QWidget {
    Q_OBJECT
public:
    explicit HeatmapView(QWidget* parent = nullptr);
    void setData(const HeatmapData& data);
    const HeatmapData& data() const { return m_data; }
    // Shows only the first `rows` rows highlighted (steps of the NOSE path, for animation).
    void setVisibleSteps(int rows);
    // Reveals the rows one at a time, every intervalMs, then shows them all again.
    void animateSteps(int intervalMs = 700);
    QSize sizeHint() const override { return {640, 420}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    HeatmapData m_data;
    int m_visibleSteps = -1;
};

} // namespace mlpify::widgets
