// Before vs after: a table of accuracy, parameters, FLOPs, throughput and memory, and a bar
// chart of each quantity relative to the original (1 = unchanged).
#pragma once

#include "core/bench/model_numbers.h"

#include <QString>
#include <QWidget>

#include <vector>

class QTableWidget;
class QChartView;

namespace mlpify::widgets {

class CompareView : public QWidget {
    Q_OBJECT
public:
    explicit CompareView(QWidget* parent = nullptr);

    void setModels(const std::vector<core::ModelNumbers>& models); // first = the reference
    QString cell(int row, int column) const;                       // for tests: the text shown
    int rowCount() const;
    QChartView* chartView() const { return m_chart; }
    QTableWidget* table() const { return m_table; }

private:
    QTableWidget* m_table;
    QChartView* m_chart;
};

} // namespace mlpify::widgets
