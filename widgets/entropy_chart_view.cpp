#include "widgets/entropy_chart_view.h"

#include "widgets/chart_theme.h"

#include <QAreaSeries>
#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>

#include <cmath>

namespace mlpify::widgets {

EntropyChartView::EntropyChartView(QWidget* parent) : QChartView(new QChart, parent)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(480, 320);
    followPalette(this);
}

void EntropyChartView::setProfiles(const core::EntropyProfile& profile, const core::EntropyProfile* slimmed)
{
    m_profile = profile;
    m_slimmed = slimmed ? std::optional<core::EntropyProfile>(*slimmed) : std::nullopt;
    rebuild();
}

void EntropyChartView::setShowBlockOutput(bool show)
{
    m_showOut = show;
    rebuild();
}

void EntropyChartView::setTitle(const QString& title)
{
    m_title = title;
    chart()->setTitle(title);
}

int EntropyChartView::seriesCount() const
{
    return static_cast<int>(chart()->series().size());
}

void EntropyChartView::rebuild()
{
    auto* c = new QChart;
    c->setTitle(m_title.isEmpty() ? tr("Entropy per block") : m_title);
    double lo = INFINITY, hi = -INFINITY;
    const auto units = QString::fromStdString(m_profile.units);

    auto addCurve = [&](const QString& name, const std::vector<std::pair<double, double>>& pts, QColor color,
                        Qt::PenStyle style) {
        auto* line = new QLineSeries;
        line->setName(name);
        QPen pen(color, 2.2, style);
        line->setPen(pen);
        auto* dots = new QScatterSeries;
        dots->setColor(color);
        dots->setBorderColor(color);
        dots->setMarkerSize(7);
        for (const auto& [x, y] : pts) {
            if (!std::isfinite(y))
                continue;
            line->append(x, y);
            dots->append(x, y);
            lo = std::min(lo, y);
            hi = std::max(hi, y);
        }
        connect(dots, &QScatterSeries::hovered, this, [name, units](const QPointF& p, bool state) {
            if (state)
                QToolTip::showText(QCursor::pos(), QObject::tr("%1, block %2: %3 %4")
                                                       .arg(name)
                                                       .arg(static_cast<int>(p.x()))
                                                       .arg(p.y(), 0, 'f', 3)
                                                       .arg(units));
        });
        c->addSeries(line);
        c->addSeries(dots);
        c->legend()->markers(dots).first()->setVisible(false);
    };

    std::vector<std::pair<double, double>> attn, mlp, out, slim;
    for (const auto& b : m_profile.blocks) {
        if (b.attn)
            attn.emplace_back(b.block, *b.attn);
        if (!std::isnan(b.mlp)) // an attention-only or gone block has no MLP
            mlp.emplace_back(b.block, b.mlp);
        out.emplace_back(b.block, b.out);
    }
    addCurve(tr("attention"), attn, QColor(0x1f, 0x77, 0xb4), Qt::SolidLine);
    addCurve(tr("MLP"), mlp, QColor(0xff, 0x7f, 0x0e), Qt::SolidLine);
    if (m_showOut)
        addCurve(tr("block output"), out, QColor(0x55, 0x55, 0x55), Qt::DotLine);
    if (m_slimmed) {
        for (const auto& b : m_slimmed->blocks)
            if (!std::isnan(b.mlp))
                slim.emplace_back(b.block, b.mlp);
        addCurve(tr("MLP (slimmed)"), slim, QColor(0x2c, 0xa0, 0x2c), Qt::DashLine);
    }
    if (!std::isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    const double pad = 0.06 * std::max(1e-9, hi - lo);

    // Shade blocks whose attention is removed (in the slimmed profile when given).
    const auto& shadeFrom = m_slimmed ? *m_slimmed : m_profile;
    for (const auto& b : shadeFrom.blocks) {
        if (b.mode.mode != core::AttnMode::Removed)
            continue;
        // An area series does not own its edges: they are its children, so they go with it.
        auto* area = new QAreaSeries;
        auto* upper = new QLineSeries(area);
        auto* lower = new QLineSeries(area);
        upper->append(b.block - 0.45, hi + pad);
        upper->append(b.block + 0.45, hi + pad);
        lower->append(b.block - 0.45, lo - pad);
        lower->append(b.block + 0.45, lo - pad);
        area->setUpperSeries(upper);
        area->setLowerSeries(lower);
        area->setColor(QColor(0, 0, 0, 22));
        area->setBorderColor(Qt::transparent);
        c->addSeries(area);
        c->legend()->markers(area).first()->setVisible(false);
    }

    auto* x = new QValueAxis;
    x->setRange(-0.5, static_cast<double>(m_profile.blocks.size()) - 0.5);
    x->setTickType(QValueAxis::TicksDynamic);
    x->setTickAnchor(0);
    x->setTickInterval(1);
    x->setLabelFormat("%d");
    x->setTitleText(tr("block index (0 = input side)"));
    auto* y = new QValueAxis;
    y->setRange(lo - pad, hi + pad);
    y->applyNiceNumbers();
    y->setTitleText(tr("entropy (%1)").arg(units));
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    for (auto* s : c->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
    c->legend()->setAlignment(Qt::AlignBottom);
    showChart(this, c);
}

} // namespace mlpify::widgets
