#include "widgets/front_view.h"

#include "widgets/chart_theme.h"

#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <map>

namespace mlpify::widgets {

FrontView::FrontView(QWidget* parent) : QWidget(parent)
{
    m_chart = new QChartView(new QChart, this);
    m_chart->setRenderHint(QPainter::Antialiasing);
    followPalette(m_chart);
    m_maxR = new QSpinBox(this);
    m_maxR->setRange(0, 64);
    m_maxR->setValue(3);
    m_maxR->setPrefix(tr("ToMe r 0 to "));
    m_maxR->setToolTip(tr("Token merging per block, measured for every r from 0 to this"));
    auto* measure = new QPushButton(tr("&Measure"), this);
    measure->setToolTip(tr("Test top-1 and images/s of the original and the slimmed model at every r"));
    m_export = new QPushButton(tr("E&xport Chosen Model…"), this);
    m_export->setEnabled(false);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    connect(measure, &QPushButton::clicked, this, [this] { Q_EMIT measureRequested(m_maxR->value()); });
    connect(m_export, &QPushButton::clicked, this, [this] { Q_EMIT exportRequested(m_chosen); });
    auto* controls = new QHBoxLayout;
    controls->addWidget(m_maxR);
    controls->addWidget(measure);
    controls->addWidget(m_export);
    controls->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_chart, 1);
    layout->addWidget(m_status);
    rebuild();
}

int FrontView::maxR() const
{
    return m_maxR->value();
}

void FrontView::setPoints(const std::vector<core::FrontPoint>& points, int chosen)
{
    m_points = points;
    m_chosen = chosen >= 0 && chosen < static_cast<int>(points.size()) ? chosen : -1;
    rebuild();
}

void FrontView::choose(int index)
{
    m_chosen = index >= 0 && index < static_cast<int>(m_points.size()) ? index : -1;
    rebuild();
    Q_EMIT pointChosen(m_chosen);
}

QString FrontView::describe(int i) const
{
    if (i < 0 || i >= static_cast<int>(m_points.size()))
        return {};
    const auto& p = m_points[static_cast<size_t>(i)];
    return tr("%1, ToMe r = %2: top-1 %3%, %4 images/s, %5 GFLOPs/image, %6 ms per batch")
        .arg(QString::fromStdString(p.label))
        .arg(p.r)
        .arg(100 * p.top1, 0, 'f', 2)
        .arg(p.imagesPerSecond, 0, 'f', 1)
        .arg(p.gflopsPerImage, 0, 'f', 4)
        .arg(p.latencyMs, 0, 'f', 2);
}

void FrontView::rebuild()
{
    auto* chart = new QChart;
    chart->setTitle(tr("Accuracy against throughput (Pareto front dashed)"));
    auto* x = new QValueAxis;
    x->setTitleText(tr("images / s"));
    auto* y = new QValueAxis;
    y->setTitleText(tr("test top-1 %"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    auto attach = [&](QAbstractSeries* s) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    };
    // One series per model, the point's index kept by position in the series.
    std::map<std::string, std::pair<QScatterSeries*, std::vector<int>>> byLabel;
    for (size_t i = 0; i < m_points.size(); ++i) {
        auto& entry = byLabel[m_points[i].label];
        if (!entry.first) {
            entry.first = new QScatterSeries;
            entry.first->setName(QString::fromStdString(m_points[i].label));
            entry.first->setMarkerSize(11);
        }
        entry.first->append(m_points[i].imagesPerSecond, 100 * m_points[i].top1);
        entry.second.push_back(static_cast<int>(i));
    }
    auto* front = new QLineSeries;
    front->setName(tr("Pareto front"));
    QPen pen(QColor(0x80, 0x80, 0x80));
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1.5);
    front->setPen(pen);
    for (auto i : core::paretoFront(m_points))
        front->append(m_points[i].imagesPerSecond, 100 * m_points[i].top1);
    attach(front);
    for (auto& [label, entry] : byLabel) {
        attach(entry.first);
        const auto indices = entry.second;
        connect(entry.first, &QScatterSeries::hovered, this,
                [this, indices, series = entry.first](const QPointF& p, bool on) {
                    if (!on) {
                        QToolTip::hideText();
                        return;
                    }
                    for (int k = 0; k < series->count(); ++k)
                        if (series->at(k) == p) {
                            QToolTip::showText(QCursor::pos(), describe(indices[static_cast<size_t>(k)]), m_chart);
                            return;
                        }
                });
        connect(entry.first, &QScatterSeries::clicked, this, [this, indices, series = entry.first](const QPointF& p) {
            for (int k = 0; k < series->count(); ++k)
                if (series->at(k) == p)
                    choose(indices[static_cast<size_t>(k)]);
        });
    }
    if (m_chosen >= 0) {
        auto* picked = new QScatterSeries;
        picked->setName(tr("chosen"));
        picked->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
        picked->setMarkerSize(17);
        picked->setColor(Qt::transparent);
        picked->setBorderColor(QColor(0xd6, 0x27, 0x28));
        const auto& p = m_points[static_cast<size_t>(m_chosen)];
        picked->append(p.imagesPerSecond, 100 * p.top1);
        attach(picked);
    }
    double x0 = 0, x1 = 1, y0 = 0, y1 = 100;
    if (!m_points.empty()) {
        auto [xl, xh] = std::minmax_element(m_points.begin(), m_points.end(), [](const auto& a, const auto& b) {
            return a.imagesPerSecond < b.imagesPerSecond;
        });
        auto [yl, yh] = std::minmax_element(m_points.begin(), m_points.end(),
                                            [](const auto& a, const auto& b) { return a.top1 < b.top1; });
        const double dx = std::max(1.0, xh->imagesPerSecond - xl->imagesPerSecond) * 0.08;
        const double dy = std::max(0.5, 100 * (yh->top1 - yl->top1)) * 0.12;
        x0 = std::max(0.0, xl->imagesPerSecond - dx), x1 = xh->imagesPerSecond + dx;
        y0 = 100 * yl->top1 - dy, y1 = std::min(100.0, 100 * yh->top1 + dy);
    }
    x->setRange(x0, x1);
    y->setRange(y0, y1);
    x->applyNiceNumbers();
    y->applyNiceNumbers();
    chart->legend()->setAlignment(Qt::AlignBottom);
    showChart(m_chart, chart);
    m_export->setEnabled(m_chosen >= 0);
    m_status->setText(m_points.empty() ? tr("No points yet: Measure runs the original and the slimmed model at "
                                            "every r (test top-1, then images/s).")
                      : m_chosen >= 0
                          ? tr("Chosen: %1").arg(describe(m_chosen))
                          : tr("%1 points, %2 on the front. Click a point to choose it as the model to export.")
                                .arg(m_points.size())
                                .arg(core::paretoFront(m_points).size()));
}

} // namespace mlpify::widgets
