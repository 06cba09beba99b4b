// Shows a model's summary: headline numbers, a per-block table and a parameters-per-block chart.
#pragma once

#include "core/model/model_summary.h"

#include <QWidget>

class QLabel;
class QTableWidget;
class QChart;
class QChartView;

namespace mlpify::widgets {

class ModelSummaryView : public QWidget {
    Q_OBJECT
public:
    explicit ModelSummaryView(QWidget* parent = nullptr);

    void setSummary(const core::ModelSummary& summary);
    void clear(const QString& message);

    // For tests: what the view currently shows.
    QString headline() const;
    const QTableWidget* blockTable() const { return m_table; }

private:
    void replaceChart(QChart* chart);

    QLabel* m_title = nullptr;
    QLabel* m_details = nullptr;
    QTableWidget* m_table = nullptr;
    QChartView* m_chart = nullptr;
};

} // namespace mlpify::widgets
