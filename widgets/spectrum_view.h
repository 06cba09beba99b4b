// Relative log amplitude vs normalised radial frequency (method.md section 5) for one block,
// original and slimmed on one chart, with a block picker ("all" overlays every block).
#pragma once

#include "core/analysis/spectrum_result.h"

#include <QWidget>

#include <optional>

class QComboBox;

namespace mlpify::widgets {

class LineChartView;

class SpectrumView : public QWidget {
    Q_OBJECT
public:
    explicit SpectrumView(QWidget* parent = nullptr);

    void setSpectra(const core::SpectrumResult& original, const core::SpectrumResult* slimmed = nullptr);
    void showBlock(int block); // -1: every block, shaded from blue (input side) to red
    int shownBlock() const;
    LineChartView* chart() const { return m_chart; }

private:
    void rebuild();

    QComboBox* m_block;
    LineChartView* m_chart;
    core::SpectrumResult m_original;
    std::optional<core::SpectrumResult> m_slimmed;
};

} // namespace mlpify::widgets
