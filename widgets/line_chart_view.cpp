#include "widgets/line_chart_view.h"

#include "widgets/chart_theme.h"

#include <QChart>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QToolTip>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace mlpify::widgets {

LineChartView::LineChartView(const QString& title, const QString& xTitle, const QString& yTitle, QWidget* parent)
    : QChartView(new QChart, parent)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(320, 220);
    chart()->setTitle(title);
    chart()->legend()->setAlignment(Qt::AlignBottom);
    m_x = new QValueAxis;
    m_x->setTitleText(xTitle);
    m_y = new QValueAxis;
    m_y->setTitleText(yTitle);
    chart()->addAxis(m_x, Qt::AlignBottom);
    chart()->addAxis(m_y, Qt::AlignLeft);
    rescale();
    followPalette(this);
}

int LineChartView::addSeries(const QString& name, const QColor& color, Qt::PenStyle style, bool points)
{
    auto* s = new QLineSeries;
    s->setName(name);
    s->setPen(QPen(color, 2.0, style));
    s->setPointsVisible(points);
    chart()->addSeries(s);
    s->attachAxis(m_x);
    s->attachAxis(m_y);
    const QString xTitle = m_x->titleText(), yTitle = m_y->titleText();
    connect(s, &QLineSeries::hovered, this, [name, xTitle, yTitle](const QPointF& p, bool state) {
        if (state)
            QToolTip::showText(QCursor::pos(), QStringLiteral("%1\n%2 %3\n%4 %5")
                                                   .arg(name, xTitle)
                                                   .arg(p.x(), 0, 'g', 5)
                                                   .arg(yTitle)
                                                   .arg(p.y(), 0, 'g', 5));
    });
    m_series.push_back(s);
    return static_cast<int>(m_series.size()) - 1;
}

void LineChartView::setPoints(int id, const QVector<QPointF>& points)
{
    QVector<QPointF> finite;
    for (const auto& p : points)
        if (std::isfinite(p.x()) && std::isfinite(p.y()))
            finite.push_back(p);
    m_series[id]->replace(finite);
    m_empty = true;
    for (auto* s : m_series)
        for (const auto& p : s->points()) {
            if (m_empty) {
                m_minX = m_maxX = p.x();
                m_minY = m_maxY = p.y();
                m_empty = false;
            }
            m_minX = std::min(m_minX, p.x());
            m_maxX = std::max(m_maxX, p.x());
            m_minY = std::min(m_minY, p.y());
            m_maxY = std::max(m_maxY, p.y());
        }
    rescale();
}

void LineChartView::append(int id, double x, double y)
{
    if (!std::isfinite(x) || !std::isfinite(y))
        return;
    m_series[id]->append(x, y);
    if (m_empty) {
        m_minX = m_maxX = x;
        m_minY = m_maxY = y;
        m_empty = false;
    }
    m_minX = std::min(m_minX, x);
    m_maxX = std::max(m_maxX, x);
    m_minY = std::min(m_minY, y);
    m_maxY = std::max(m_maxY, y);
    rescale();
}

void LineChartView::clearPoints()
{
    for (auto* s : m_series)
        s->clear();
    m_empty = true;
    rescale();
}

void LineChartView::removeAllSeries()
{
    chart()->removeAllSeries(); // deletes them
    m_series.clear();
    m_empty = true;
    rescale();
}

void LineChartView::setYRange(double lo, double hi)
{
    m_fixedY = true;
    m_yLo = lo;
    m_yHi = hi;
    rescale();
}

void LineChartView::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

int LineChartView::seriesCount() const
{
    return static_cast<int>(m_series.size());
}

int LineChartView::pointCount(int id) const
{
    return static_cast<int>(m_series[id]->count());
}

QPointF LineChartView::lastPoint(int id) const
{
    const auto n = m_series[id]->count();
    return n ? m_series[id]->at(n - 1) : QPointF(NAN, NAN);
}

void LineChartView::rescale()
{
    if (m_empty) {
        m_x->setRange(0, 1);
        m_y->setRange(m_fixedY ? m_yLo : 0, m_fixedY ? m_yHi : 1);
        return;
    }
    if (m_maxX > m_minX)
        m_x->setRange(m_minX, m_maxX);
    else // one point: centre it
        m_x->setRange(m_minX - 0.5, m_minX + 0.5);
    m_x->applyNiceNumbers();
    if (m_fixedY) {
        m_y->setRange(m_yLo, m_yHi);
        return;
    }
    const double pad = 0.06 * std::max(1e-9, m_maxY - m_minY);
    m_y->setRange(m_minY - pad, m_maxY + pad);
    m_y->applyNiceNumbers();
}

} // namespace mlpify::widgets
