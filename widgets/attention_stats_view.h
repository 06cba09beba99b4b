// Mean attention distance (or attention entropy) per head against the block, as Dosovitskiy et
// al. 2021 Fig. 7: every head a point, the mean over heads a line, chosen blocks shaded; the
// slimmed model beside the original where both have the block.
#pragma once

#include "core/analysis/attention_stats_result.h"

#include <QChartView>
#include <QString>

#include <optional>
#include <vector>

namespace mlpify::widgets {

enum class AttentionMetric { Distance, Entropy };

class AttentionStatsView : public QChartView {
    Q_OBJECT
public:
    explicit AttentionStatsView(QWidget* parent = nullptr);

    void setStatistics(const core::AttentionStatistics& original, const core::AttentionStatistics* slimmed = nullptr);
    // Blocks to shade (NOSE's set, the removed blocks), named in the legend by label.
    void setMarkedBlocks(const std::vector<int64_t>& blocks, const QString& label);
    void setMetric(AttentionMetric metric);
    AttentionMetric metric() const { return m_metric; }
    bool hasStatistics() const { return m_original.has_value(); }
    const core::AttentionStatistics& original() const { return *m_original; }
    // Series in the chart (tests: one per model for heads and for the mean, one for the shading).
    int seriesCount() const;

private:
    void rebuild();

    std::optional<core::AttentionStatistics> m_original, m_slimmed;
    std::vector<int64_t> m_marked;
    QString m_markLabel;
    AttentionMetric m_metric = AttentionMetric::Distance;
};

} // namespace mlpify::widgets
