#include "widgets/spectrum_view.h"

#include "widgets/line_chart_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <QtGlobal>

namespace mlpify::widgets {

namespace {
QVector<QPointF> pointsOf(const core::BlockSpectrum& b)
{
    QVector<QPointF> pts;
    for (size_t i = 0; i < b.radius.size() && i < b.dlogA.size(); ++i)
        pts.push_back({b.radius[i], b.dlogA[i]});
    return pts;
}

const core::BlockSpectrum* findBlock(const core::SpectrumResult& r, int64_t block)
{
    for (const auto& b : r.blocks)
        if (b.block == block)
            return &b;
    return nullptr;
}
} // namespace

SpectrumView::SpectrumView(QWidget* parent) : QWidget(parent)
{
    m_block = new QComboBox(this);
    m_block->setToolTip(tr("Which block's output spectrum to show"));
    m_chart = new LineChartView(tr("Frequency spectrum"), tr("normalised frequency (1 = π)"),
                                tr("Δ log amplitude (ln)"), this);
    auto* bar = new QHBoxLayout;
    auto* label = new QLabel(tr("&Block "), this);
    label->setBuddy(m_block);
    bar->addWidget(label);
    bar->addWidget(m_block);
    bar->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_chart, 1);
    connect(m_block, &QComboBox::currentIndexChanged, this, [this] { rebuild(); });
}

void SpectrumView::setSpectra(const core::SpectrumResult& original, const core::SpectrumResult* slimmed)
{
    m_original = original;
    m_slimmed = slimmed ? std::optional<core::SpectrumResult>(*slimmed) : std::nullopt;
    const int keep = m_block->currentData().isValid() ? m_block->currentData().toInt() : -2;
    QSignalBlocker block(m_block);
    m_block->clear();
    m_block->addItem(tr("all blocks"), -1);
    for (const auto& b : original.blocks)
        m_block->addItem(tr("block %1").arg(b.block), static_cast<int>(b.block));
    const int found = m_block->findData(keep);
    // default: the last block, where the paper's comparison is made
    m_block->setCurrentIndex(found >= 0 ? found : m_block->count() - 1);
    rebuild();
}

void SpectrumView::showBlock(int block)
{
    const int i = m_block->findData(block);
    if (i >= 0)
        m_block->setCurrentIndex(i);
}

int SpectrumView::shownBlock() const
{
    return m_block->currentData().toInt();
}

void SpectrumView::rebuild()
{
    m_chart->removeAllSeries();
    const int shown = shownBlock();
    if (shown >= 0) {
        if (const auto* b = findBlock(m_original, shown))
            m_chart->setPoints(m_chart->addSeries(tr("original, block %1").arg(shown), QColor(0x1f, 0x77, 0xb4)),
                               pointsOf(*b));
        if (m_slimmed)
            if (const auto* b = findBlock(*m_slimmed, shown))
                m_chart->setPoints(
                    m_chart->addSeries(tr("slimmed, block %1").arg(shown), QColor(0xd6, 0x27, 0x28), Qt::DashLine),
                    pointsOf(*b));
        m_chart->setTitle(tr("Frequency spectrum of block %1's output").arg(shown));
        return;
    }
    const auto n = static_cast<int>(m_original.blocks.size());
    for (int i = 0; i < n; ++i) {
        const double t = n > 1 ? static_cast<double>(i) / (n - 1) : 0.0;
        const QColor c =
            QColor::fromRgbF(static_cast<float>(0.12 + 0.72 * t), 0.25f, static_cast<float>(0.85 - 0.7 * t));
        const auto& b = m_original.blocks[static_cast<size_t>(i)];
        m_chart->setPoints(m_chart->addSeries(tr("block %1").arg(b.block), c), pointsOf(b));
        if (m_slimmed)
            if (const auto* s = findBlock(*m_slimmed, b.block))
                m_chart->setPoints(m_chart->addSeries(tr("slimmed %1").arg(b.block), c, Qt::DashLine), pointsOf(*s));
    }
    m_chart->setTitle(m_slimmed ? tr("Frequency spectra, every block (dashed: slimmed)")
                                : tr("Frequency spectra, every block (blue: input side, red: output side)"));
}

} // namespace mlpify::widgets
