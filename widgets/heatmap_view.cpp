#include "widgets/heatmap_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QTimer>
#include <QToolTip>

#include <cmath>
#include <limits>

namespace mlpify::widgets {

namespace {
constexpr int kLeft = 70, kTop = 36, kRight = 96, kBottom = 56;
}

HeatmapLayout HeatmapLayout::compute(const QRect& area, int rows, int columns)
{
    HeatmapLayout l;
    l.rows = rows;
    l.columns = columns;
    l.grid = area.adjusted(kLeft, kTop, -kRight, -kBottom);
    l.colourBar = QRect(l.grid.right() + 24, l.grid.top(), 16, l.grid.height());
    return l;
}

QRect HeatmapLayout::cell(int row, int column) const
{
    const double w = static_cast<double>(grid.width()) / std::max(1, columns);
    const double h = static_cast<double>(grid.height()) / std::max(1, rows);
    const int x0 = grid.left() + static_cast<int>(std::lround(column * w));
    const int y0 = grid.top() + static_cast<int>(std::lround(row * h));
    const int x1 = grid.left() + static_cast<int>(std::lround((column + 1) * w));
    const int y1 = grid.top() + static_cast<int>(std::lround((row + 1) * h));
    return QRect(QPoint(x0, y0), QPoint(x1 - 1, y1 - 1));
}

std::optional<std::pair<int, int>> HeatmapLayout::cellAt(const QPoint& p) const
{
    if (!grid.contains(p) || rows == 0 || columns == 0)
        return std::nullopt;
    const int c = std::min(columns - 1, (p.x() - grid.left()) * columns / std::max(1, grid.width()));
    const int r = std::min(rows - 1, (p.y() - grid.top()) * rows / std::max(1, grid.height()));
    return std::make_pair(r, c);
}

ColourScale scaleFor(const HeatmapData& d)
{
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& row : d.values)
        for (double v : row)
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    if (!std::isfinite(lo))
        lo = 0, hi = 1;
    return ColourScale(lo, hi, d.scaleKind);
}

void paintColourBar(QPainter& p, const QRect& bar, const ColourScale& scale, const QString& title, int labelWidth)
{
    // The ramp, its extremes and zero.
    for (int y = 0; y < bar.height(); ++y) {
        const double t = 1.0 - static_cast<double>(y) / std::max(1, bar.height() - 1);
        p.setPen(scale.colour(scale.lo() + t * (scale.hi() - scale.lo())));
        p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    p.setPen(Qt::black);
    p.drawRect(bar);
    auto tick = [&](double v) {
        const int y = bar.bottom() - static_cast<int>(scale.position(v) * bar.height());
        p.drawLine(bar.right(), y, bar.right() + 4, y);
        p.drawText(QRect(bar.right() + 6, y - 8, labelWidth, 16), Qt::AlignLeft | Qt::AlignVCenter,
                   QString::number(v, 'g', 3));
    };
    tick(scale.lo());
    tick(scale.hi());
    if (scale.lo() < 0 && scale.hi() > 0)
        tick(0.0);
    p.drawText(QRect(bar.left() - 20, bar.bottom() + 4, labelWidth + 30, 16), Qt::AlignLeft, title);
}

void paintHeatmap(QPainter& p, const QRect& rect, const HeatmapData& d)
{
    p.save();
    p.fillRect(rect, Qt::white);
    const int rows = static_cast<int>(d.values.size());
    const int cols = rows ? static_cast<int>(d.values.front().size()) : 0;
    const auto l = HeatmapLayout::compute(rect, rows, cols);
    const auto scale = scaleFor(d);
    QFont f = p.font();
    f.setPointSizeF(9);
    p.setFont(f);
    p.setPen(Qt::black);
    if (!d.title.isEmpty()) {
        QFont tf = f;
        tf.setBold(true);
        p.setFont(tf);
        p.drawText(QRect(rect.left(), rect.top() + 4, rect.width(), kTop - 8), Qt::AlignCenter, d.title);
        p.setFont(f);
    }
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const QRect cell = l.cell(r, c);
            p.fillRect(cell, scale.colour(d.values[r][c]));
        }
    p.setPen(QPen(Qt::black, 2.5));
    for (const auto& [r, c] : d.highlighted)
        if (r < rows && c < cols)
            p.drawRect(l.cell(r, c).adjusted(1, 1, -1, -1));
    p.setPen(Qt::black);
    for (int r = 0; r < rows && r < d.rowLabels.size(); ++r) {
        const QRect cell = l.cell(r, 0);
        p.drawText(QRect(rect.left(), cell.top(), kLeft - 6, cell.height()), Qt::AlignRight | Qt::AlignVCenter,
                   d.rowLabels[r]);
    }
    const bool notes = !d.columnNotes.isEmpty();
    for (int c = 0; c < cols && c < d.columnLabels.size(); ++c) {
        const QRect cell = l.cell(0, c);
        p.drawText(QRect(cell.left(), l.grid.bottom() + 4, cell.width(), 16), Qt::AlignCenter, d.columnLabels[c]);
        if (notes && c < d.columnNotes.size()) {
            QFont small = f;
            small.setPointSizeF(7.5);
            p.setFont(small);
            p.drawText(QRect(cell.left(), l.grid.bottom() + 18, cell.width(), 14), Qt::AlignCenter, d.columnNotes[c]);
            p.setFont(f);
        }
    }
    p.drawText(QRect(l.grid.left(), l.grid.bottom() + (notes ? 34 : 22), l.grid.width(), 18), Qt::AlignCenter,
               notes ? d.columnTitle + " — " + d.notesTitle : d.columnTitle);
    p.save();
    p.translate(rect.left() + 12, l.grid.center().y());
    p.rotate(-90);
    p.drawText(QRect(-l.grid.height() / 2, -10, l.grid.height(), 18), Qt::AlignCenter, d.rowTitle);
    p.restore();
    paintColourBar(p, l.colourBar, scale, d.valueTitle, kRight - 30);
    p.restore();
}

HeatmapData noseHeatmapData(const core::SelectionResult& sel, const QString& units)
{
    HeatmapData d;
    d.values = sel.candidates;
    for (size_t s = 0; s < d.values.size(); ++s) {
        d.rowLabels << QString::number(s + 1);
        if (s < sel.selected.size())
            d.highlighted.insert({static_cast<int>(s), static_cast<int>(sel.selected[s])});
    }
    for (size_t c = 0; !d.values.empty() && c < d.values.front().size(); ++c)
        d.columnLabels << QString::number(c);
    d.title = QObject::tr("NOSE path: transfer entropy of each candidate (chosen: framed)");
    d.low = sel.candidatesLow;
    d.high = sel.candidatesHigh;
    d.resamples = sel.resamples;
    d.rowTitle = QObject::tr("step");
    d.columnTitle = QObject::tr("attention layer");
    d.valueTitle = units;
    return d;
}

QString cellText(const HeatmapData& d, int row, int column)
{
    const auto r = static_cast<size_t>(row), c = static_cast<size_t>(column);
    if (r >= d.values.size() || c >= d.values[r].size())
        return {};
    const double v = d.values[r][c];
    QString text = QObject::tr("%1 %2, %3 %4: %5")
                       .arg(d.rowTitle, d.rowLabels.value(row), d.columnTitle, d.columnLabels.value(column),
                            std::isnan(v) ? QObject::tr("no value") : QString::number(v, 'g', 4) + " " + d.valueTitle);
    if (!std::isnan(v) && r < d.low.size() && c < d.low[r].size() && r < d.high.size() && c < d.high[r].size() &&
        std::isfinite(d.low[r][c]))
        text += QObject::tr(" (95% interval %1 to %2, %3 resamples)")
                    .arg(QString::number(d.low[r][c], 'g', 4), QString::number(d.high[r][c], 'g', 4))
                    .arg(d.resamples);
    if (column < d.columnNotes.size() && !d.columnNotes[column].isEmpty())
        text += "\n" + d.notesTitle + ": " + d.columnNotes[column];
    return text;
}

void setColumnFrequencies(HeatmapData& d, const std::vector<double>& frequency, int resamples)
{
    d.columnNotes.clear();
    for (int c = 0; c < d.columnLabels.size(); ++c)
        d.columnNotes << (static_cast<size_t>(c) < frequency.size()
                              ? QStringLiteral("%1%").arg(100.0 * frequency[static_cast<size_t>(c)], 0, 'f', 0)
                              : QString());
    d.notesTitle = QObject::tr("chosen in % of %1 resamples").arg(resamples);
}

HeatmapData layerMapHeatmapData(const std::vector<std::vector<double>>& values, const QString& units)
{
    HeatmapData d;
    d.values = values;
    for (size_t i = 0; i < values.size(); ++i)
        d.rowLabels << QString::number(i);
    for (size_t c = 0; !values.empty() && c + 1 < values.front().size(); ++c)
        d.columnLabels << QString::number(c);
    d.columnLabels << QObject::tr("head");
    d.title = QObject::tr("Layer-to-layer transfer entropy");
    d.rowTitle = QObject::tr("attention skipped");
    d.columnTitle = QObject::tr("output of block");
    d.valueTitle = units;
    return d;
}

HeatmapView::HeatmapView(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(360, 240);
}

void HeatmapView::setData(const HeatmapData& data)
{
    m_data = data;
    m_visibleSteps = -1;
    update();
}

void HeatmapView::setVisibleSteps(int rows)
{
    m_visibleSteps = rows;
    update();
}

void HeatmapView::animateSteps(int intervalMs)
{
    const int steps = static_cast<int>(m_data.rowLabels.size());
    if (steps == 0)
        return;
    auto* timer = new QTimer(this);
    setVisibleSteps(0);
    connect(timer, &QTimer::timeout, this, [this, timer, steps, intervalMs] {
        setVisibleSteps(m_visibleSteps + 1);
        if (m_visibleSteps >= steps) {
            timer->deleteLater();
            QTimer::singleShot(intervalMs + 100, this, [this] { setVisibleSteps(-1); });
        }
    });
    timer->start(intervalMs);
}

void HeatmapView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    if (m_visibleSteps < 0) {
        paintHeatmap(p, rect(), m_data);
        return;
    }
    HeatmapData shown = m_data;
    for (auto it = shown.highlighted.begin(); it != shown.highlighted.end();)
        it = it->first >= m_visibleSteps ? shown.highlighted.erase(it) : std::next(it);
    paintHeatmap(p, rect(), shown);
}

void HeatmapView::mouseMoveEvent(QMouseEvent* event)
{
    const int rows = static_cast<int>(m_data.values.size());
    const int cols = rows ? static_cast<int>(m_data.values.front().size()) : 0;
    const auto hit = HeatmapLayout::compute(rect(), rows, cols).cellAt(event->position().toPoint());
    if (!hit) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), cellText(m_data, hit->first, hit->second), this);
}

} // namespace mlpify::widgets
