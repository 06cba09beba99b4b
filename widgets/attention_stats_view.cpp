#include "widgets/attention_stats_view.h"

#include "widgets/chart_theme.h"

#include <QAreaSeries>
#include <QChart>
#include <QCursor>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace mlpify::widgets {

namespace {
const core::HeadStatistic& headsOf(const core::BlockAttentionStats& b, AttentionMetric m)
{
    return m == AttentionMetric::Distance ? b.distance : b.entropy;
}

double meanOf(const core::BlockAttentionStats& b, AttentionMetric m)
{
    return m == AttentionMetric::Distance ? b.meanDistance : b.meanEntropy;
}

double spreadOf(const core::BlockAttentionStats& b, AttentionMetric m)
{
    return m == AttentionMetric::Distance ? b.distanceSpread : b.entropySpread;
}
} // namespace

AttentionStatsView::AttentionStatsView(QWidget* parent) : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(360, 260);
    followPalette(this);
    rebuild();
}

void AttentionStatsView::setStatistics(const core::AttentionStatistics& original,
                                       const core::AttentionStatistics* slimmed)
{
    m_original = original;
    m_slimmed.reset();
    if (slimmed)
        m_slimmed = *slimmed;
    rebuild();
}

void AttentionStatsView::setMarkedBlocks(const std::vector<int64_t>& blocks, const QString& label)
{
    m_marked = blocks;
    m_markLabel = label;
    rebuild();
}

void AttentionStatsView::setMetric(AttentionMetric metric)
{
    m_metric = metric;
    rebuild();
}

int AttentionStatsView::seriesCount() const
{
    return chart() ? static_cast<int>(chart()->series().size()) : 0;
}

void AttentionStatsView::rebuild()
{
    auto* c = new QChart;
    const bool distance = m_metric == AttentionMetric::Distance;
    c->setTitle(distance ? tr("Mean attention distance per head") : tr("Attention entropy per head"));
    auto* x = new QValueAxis;
    x->setTitleText(tr("block"));
    x->setLabelFormat("%d");
    auto* y = new QValueAxis;
    y->setTitleText(distance ? tr("mean distance (pixels)") : tr("entropy of the attention rows (nats)"));
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    auto attach = [&](QAbstractSeries* s) {
        c->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    };
    double hi = 0.0;
    int64_t depth = 0;
    struct Model {
        const core::AttentionStatistics* stats;
        QString name;
        QColor colour;
        QScatterSeries::MarkerShape shape;
        double offset; // side by side: the slimmed model's points a little to the right
    };
    std::vector<Model> models;
    if (m_original)
        models.push_back({&*m_original, m_slimmed ? tr("original") : QString(), QColor(0x1f, 0x77, 0xb4),
                          QScatterSeries::MarkerShapeCircle, m_slimmed ? -0.12 : 0.0});
    if (m_slimmed)
        models.push_back(
            {&*m_slimmed, tr("slimmed"), QColor(0xd6, 0x5f, 0x00), QScatterSeries::MarkerShapeRectangle, 0.12});
    for (const auto& m : models) {
        if (!m.stats->blocks.empty())
            depth = std::max(depth, m.stats->blocks.back().block + 1);
        for (auto r : m.stats->removedBlocks)
            depth = std::max(depth, r + 1);
        auto* heads = new QScatterSeries;
        heads->setName(m.name.isEmpty() ? tr("heads") : tr("%1: heads").arg(m.name));
        heads->setMarkerShape(m.shape);
        heads->setMarkerSize(7);
        heads->setColor(m.colour.lighter(130));
        heads->setBorderColor(m.colour);
        auto* mean = new QLineSeries;
        mean->setName(m.name.isEmpty() ? tr("mean over heads") : tr("%1: mean over heads").arg(m.name));
        QPen pen(m.colour);
        pen.setWidthF(2.0);
        if (m.offset > 0)
            pen.setStyle(Qt::DashLine);
        mean->setPen(pen);
        mean->setPointsVisible(true);
        for (const auto& b : m.stats->blocks) {
            const auto& h = headsOf(b, m_metric);
            for (double v : h.mean) {
                heads->append(static_cast<double>(b.block) + m.offset, v);
                hi = std::max(hi, v);
            }
            mean->append(static_cast<double>(b.block) + m.offset, meanOf(b, m_metric));
        }
        attach(heads);
        attach(mean);
        const auto* stats = m.stats;
        const auto metric = m_metric;
        const auto offset = m.offset;
        const auto name = m.name;
        connect(mean, &QLineSeries::hovered, this, [this, stats, metric, offset, name](const QPointF& p, bool on) {
            if (!on) {
                QToolTip::hideText();
                return;
            }
            const auto block = static_cast<int64_t>(std::lround(p.x() - offset));
            if (const auto* b = stats->find(block))
                QToolTip::showText(QCursor::pos(),
                                   tr("%1block %2 (%3): %4 over heads, spread over %5 images %6")
                                       .arg(name.isEmpty() ? QString() : name + ", ")
                                       .arg(block)
                                       .arg(QString::fromStdString(b->state))
                                       .arg(meanOf(*b, metric), 0, 'f', 2)
                                       .arg(stats->images)
                                       .arg(spreadOf(*b, metric), 0, 'f', 2),
                                   this);
        });
    }
    if (m_original)
        hi = std::max(hi, distance ? m_original->uniformDistance : m_original->maxEntropy);
    // The range first (nice numbers may widen it), so that the shading reaches the top.
    y->setRange(0.0, hi > 0 ? hi * 1.08 : 1.0);
    y->applyNiceNumbers();
    const double top = y->max();
    // One shaded band per block; the edges are the area's children and go with it.
    auto shade = [&](const std::vector<int64_t>& blocks, const QColor& colour, const QString& label) {
        if (blocks.empty())
            return;
        auto* area = new QAreaSeries;
        auto* upper = new QLineSeries(area);
        auto* lower = new QLineSeries(area);
        for (auto b : blocks) {
            upper->append(b - 0.4, 0.0);
            upper->append(b - 0.4, top);
            upper->append(b + 0.4, top);
            upper->append(b + 0.4, 0.0);
            lower->append(b - 0.4, 0.0);
            lower->append(b + 0.4, 0.0);
            depth = std::max(depth, b + 1);
        }
        area->setUpperSeries(upper);
        area->setLowerSeries(lower);
        area->setName(label);
        QColor fill = colour;
        fill.setAlpha(40);
        area->setColor(fill);
        area->setBorderColor(Qt::transparent); // no line along the axis between the bands
        attach(area);
    };
    shade(m_marked, QColor(0xd6, 0x27, 0x28), m_markLabel);
    // Blocks without attention (MLP-only) in either model: nothing to measure there.
    std::vector<int64_t> mlpOnly;
    for (const auto& m : models)
        for (auto b : m.stats->removedBlocks)
            if (std::find(mlpOnly.begin(), mlpOnly.end(), b) == mlpOnly.end())
                mlpOnly.push_back(b);
    shade(mlpOnly, QColor(0x70, 0x70, 0x70),
          m_slimmed ? tr("MLP-only in the slimmed model") : tr("MLP-only (no attention)"));
    if (m_original) {
        // What a head attending uniformly would give: every patch alike, or every token alike.
        auto* ceiling = new QLineSeries;
        ceiling->setName(distance ? tr("uniform over the patches") : tr("uniform over every token (ln T)"));
        QPen pen(Qt::gray);
        pen.setStyle(Qt::DotLine);
        pen.setWidthF(1.5);
        ceiling->setPen(pen);
        const double level = distance ? m_original->uniformDistance : m_original->maxEntropy;
        ceiling->append(-0.5, level);
        ceiling->append(static_cast<double>(std::max<int64_t>(depth, 1)) - 0.5, level);
        attach(ceiling);
    }
    x->setRange(-0.5, static_cast<double>(std::max<int64_t>(depth, 1)) - 0.5);
    x->setTickType(QValueAxis::TicksDynamic);
    x->setTickAnchor(0.0);
    x->setTickInterval(depth > 16 ? 2.0 : 1.0);
    c->legend()->setAlignment(Qt::AlignBottom);
    showChart(this, c);
}

} // namespace mlpify::widgets
