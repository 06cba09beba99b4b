// Entropy curves over block index (the paper's Figure 1): attention branch, MLP branch and,
// optionally, block output; removed blocks shaded; values on hover.
#pragma once

#include "core/analysis/entropy_profile_result.h"

#include <QChartView>

namespace mlpify::widgets {

class EntropyChartView : public QChartView {
    Q_OBJECT
public:
    explicit EntropyChartView(QWidget* parent = nullptr);

    // A second profile (e.g. the slimmed model) adds its MLP curve, dashed.
    void setProfiles(const core::EntropyProfile& profile, const core::EntropyProfile* slimmed = nullptr);
    void setShowBlockOutput(bool show);
    void setTitle(const QString& title);

    int seriesCount() const; // for tests

private:
    void rebuild();

    core::EntropyProfile m_profile;
    std::optional<core::EntropyProfile> m_slimmed;
    bool m_showOut = false;
    QString m_title;
};

} // namespace mlpify::widgets
