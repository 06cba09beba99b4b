#include "widgets/training_view.h"

#include "widgets/line_chart_view.h"

#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace mlpify::widgets {

namespace {
const QColor kBlue(0x1f, 0x77, 0xb4), kOrange(0xff, 0x7f, 0x0e), kGreen(0x2c, 0xa0, 0x2c), kGrey(0x55, 0x55, 0x55);
}

TrainingView::TrainingView(QWidget* parent) : QWidget(parent)
{
    m_loss = new LineChartView(tr("Training loss"), tr("step"), tr("loss"), this);
    m_loss->addSeries(tr("loss"), kBlue);
    m_lambda = new LineChartView(tr("Dilution lambda"), tr("step"), tr("lambda"), this);
    m_lambda->addSeries(tr("lambda"), kOrange);
    m_lambda->setYRange(0.0, 1.05);
    m_accuracy = new LineChartView(tr("Accuracy per epoch"), tr("epoch"), tr("top-1 %"), this);
    m_accuracy->addSeries(tr("test (at that epoch's lambda)"), kGreen, Qt::SolidLine, true);
    m_accuracy->addSeries(tr("train"), kGrey, Qt::DashLine, true);
    m_speed = new LineChartView(tr("Throughput"), tr("step"), tr("img/s"), this);
    m_speed->addSeries(tr("images / s"), kGrey);
    m_status = new QLabel(tr("No training run yet."), this);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* grid = new QGridLayout;
    grid->addWidget(m_loss, 0, 0);
    grid->addWidget(m_lambda, 0, 1);
    grid->addWidget(m_accuracy, 1, 0);
    grid->addWidget(m_speed, 1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_status);
    layout->addLayout(grid, 1);
}

void TrainingView::clear()
{
    for (auto* c : {m_loss, m_lambda, m_accuracy, m_speed})
        c->clearPoints();
    m_status->setText(tr("Starting…"));
}

void TrainingView::addStep(int64_t step, int64_t totalSteps, double loss, double lambda, double imagesPerSecond)
{
    const auto x = static_cast<double>(step);
    m_loss->append(0, x, loss);
    m_lambda->append(0, x, lambda);
    if (imagesPerSecond > 0)
        m_speed->append(0, x, imagesPerSecond);
    m_status->setText(tr("step %1 / %2   loss %3   lambda %4   %5 images/s")
                          .arg(step)
                          .arg(totalSteps)
                          .arg(loss, 0, 'f', 4)
                          .arg(lambda, 0, 'f', 3)
                          .arg(imagesPerSecond, 0, 'f', 0));
}

void TrainingView::addEpoch(int64_t epoch, double trainTop1, double testTop1, double)
{
    const auto x = static_cast<double>(epoch);
    if (testTop1 >= 0)
        m_accuracy->append(0, x, 100.0 * testTop1);
    m_accuracy->append(1, x, 100.0 * trainTop1);
}

void TrainingView::setStatus(const QString& text)
{
    m_status->setText(text);
}

} // namespace mlpify::widgets
