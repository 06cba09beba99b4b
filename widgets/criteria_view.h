// Criteria side by side: a chart of each method's training-free top-1 (x = x and x = 2x) and
// top-1 after dilution where one was measured, with its set's transfer entropy and 95% interval
// on a second axis; and a table of every number (set, TE and interval, top-1s, stability,
// selection time). "Compare Criteria" asks the window to run the comparison: the attention
// criteria at the Slim tab's ratio, or (Compare: pools) each candidate pool's set, attention, MLP,
// block and mixed, at the same share of the model's parameters or FLOPs (resources/docs/units.md).
#pragma once

#include "core/analysis/criteria_comparison.h"

#include <QWidget>

class QChartView;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace mlpify::widgets {

class CriteriaView : public QWidget {
    Q_OBJECT
public:
    explicit CriteriaView(QWidget* parent = nullptr);

    void setComparison(const core::CriteriaComparison& comparison);
    void clear();
    void setRunning(bool running);
    int stabilityResamples() const;
    int testLimit() const; // the first N test images for the training-free top-1 (0: all)
    void setTestLimit(int images);
    // What Compare Criteria compares: "" (the attention criteria), "params" or "flops" (the pools at
    // the Slim tab's ratio of the model's parameters or FLOPs); and, for pools, the method ranking
    // each pool ("nose", ..., or "all").
    QString budgetKind() const;
    void setBudgetKind(const QString& kind);
    QString poolMethod() const;
    void setPoolMethod(const QString& method);
    QChartView* chartView() const { return m_chart; }
    QTableWidget* table() const { return m_table; }
    QString cell(int row, int column) const; // for tests: the text shown

Q_SIGNALS:
    void compareRequested(int stabilityResamples, int testLimit);

private:
    QChartView* m_chart;
    QTableWidget* m_table;
    QSpinBox* m_stability;
    QSpinBox* m_testLimit;
    QComboBox* m_compare;
    QComboBox* m_poolMethod;
    QPushButton* m_run;
    QLabel* m_status;
};

} // namespace mlpify::widgets
