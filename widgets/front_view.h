// The accuracy-throughput front: test top-1 against images/s for every model and token-merging
// setting measured, the Pareto front drawn through the points no other beats, each point's
// settings on hover, and a point picked (click) as the model to export.
#pragma once

#include "core/bench/front.h"

#include <QWidget>

#include <vector>

class QChartView;
class QLabel;
class QPushButton;
class QSpinBox;

namespace mlpify::widgets {

class FrontView : public QWidget {
    Q_OBJECT
public:
    explicit FrontView(QWidget* parent = nullptr);

    void setPoints(const std::vector<core::FrontPoint>& points, int chosen = -1);
    void choose(int index); // -1: none
    int chosen() const { return m_chosen; }
    int maxR() const;
    QString describe(int index) const; // a point's settings and numbers, as the tooltip shows them
    QChartView* chartView() const { return m_chart; }

Q_SIGNALS:
    void measureRequested(int maxR);
    void pointChosen(int index);
    void exportRequested(int index);

private:
    void rebuild();

    std::vector<core::FrontPoint> m_points;
    int m_chosen = -1;
    QChartView* m_chart;
    QSpinBox* m_maxR;
    QPushButton* m_export;
    QLabel* m_status;
};

} // namespace mlpify::widgets
