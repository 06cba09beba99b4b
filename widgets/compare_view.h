// Before vs after: a table of accuracy, parameters, FLOPs, throughput and memory, and a bar
// chart of each quantity relative to the original (1 = unchanged).
#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

class QTableWidget;
class QChartView;

namespace mlpify::widgets {

struct ModelNumbers {
    QString name;
    double top1 = -1; // fraction; -1 = not measured
    double parameters = 0;
    double gflopsPerImage = 0;
    double imagesPerSecond = 0;
    double runMemoryMiB = -1; // -1 = not measured
};

class CompareView : public QWidget {
    Q_OBJECT
public:
    explicit CompareView(QWidget* parent = nullptr);

    void setModels(const QVector<ModelNumbers>& models); // first = the reference
    QString cell(int row, int column) const;             // for tests: the text shown
    int rowCount() const;
    QChartView* chartView() const { return m_chart; }
    QTableWidget* table() const { return m_table; }

private:
    QTableWidget* m_table;
    QChartView* m_chart;
};

} // namespace mlpify::widgets
