// Live dilution-training curves: loss and throughput per step, lambda per step, test and
// train accuracy per epoch (test accuracy measured at the lambda in force).
#pragma once

#include <QWidget>

class QLabel;

namespace mlpify::widgets {

class LineChartView;

class TrainingView : public QWidget {
    Q_OBJECT
public:
    explicit TrainingView(QWidget* parent = nullptr);

    void clear();
    void addStep(int64_t step, int64_t totalSteps, double loss, double lambda, double imagesPerSecond);
    void addEpoch(int64_t epoch, double trainTop1, double testTop1, double lambda);
    void setStatus(const QString& text);

    LineChartView* lossChart() const { return m_loss; }
    LineChartView* lambdaChart() const { return m_lambda; }
    LineChartView* accuracyChart() const { return m_accuracy; }
    LineChartView* speedChart() const { return m_speed; }

private:
    LineChartView* m_loss;
    LineChartView* m_lambda;
    LineChartView* m_accuracy;
    LineChartView* m_speed;
    QLabel* m_status;
};

} // namespace mlpify::widgets
