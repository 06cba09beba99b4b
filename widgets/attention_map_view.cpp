#include "widgets/attention_map_view.h"

#include "widgets/colour_scale.h"
#include "widgets/heatmap_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace mlpify::widgets {

namespace {
constexpr int kTop = 40, kBottom = 16, kLabels = 84, kCell = 26, kGap = 12, kRight = 100;

ColourScale scaleOf(const core::AttentionMap& m)
{
    // The patches set the range: the class token often keeps most of the attention for itself,
    // which would leave every patch dark; a special token above the range shows at the top colour,
    // with its number written in its cell.
    double hi = 0.0;
    for (double v : m.patches)
        hi = std::max(hi, v);
    return ColourScale(0.0, hi > 0.0 ? hi : 1.0, ColourScale::Kind::Sequential);
}
} // namespace

AttentionMapLayout AttentionMapLayout::compute(const QRect& area, int grid, int specials)
{
    AttentionMapLayout l;
    l.grid = grid;
    l.specials = specials;
    const QRect inner = area.adjusted(kLabels + kCell + kGap, kTop, -kRight, -kBottom);
    const int side = std::max(1, std::min(inner.width(), inner.height()));
    const int cell = grid > 0 ? std::max(1, side / grid) : 1;
    l.image = QRect(inner.left(), inner.top(), cell * grid, cell * grid);
    const int specialCell = specials > 0 ? std::min(kCell, l.image.height() / specials) : 0;
    l.special = QRect(l.image.left() - kGap - kCell, l.image.top(), kCell, specialCell * specials);
    l.colourBar = QRect(l.image.right() + 20, l.image.top(), 16, l.image.height());
    return l;
}

QRect AttentionMapLayout::patch(int row, int col) const
{
    const int cell = grid > 0 ? image.width() / grid : 0;
    return QRect(image.left() + col * cell, image.top() + row * cell, cell, cell);
}

QRect AttentionMapLayout::specialCell(int index) const
{
    const int h = specials > 0 ? special.height() / specials : 0;
    return QRect(special.left(), special.top() + index * h, special.width(), h);
}

std::optional<std::pair<int, int>> AttentionMapLayout::patchAt(const QPoint& p) const
{
    if (grid <= 0 || !image.contains(p))
        return std::nullopt;
    const int cell = image.width() / grid;
    return std::make_pair(std::min(grid - 1, (p.y() - image.top()) / cell),
                          std::min(grid - 1, (p.x() - image.left()) / cell));
}

std::optional<int> AttentionMapLayout::specialAt(const QPoint& p) const
{
    for (int i = 0; i < specials; ++i)
        if (specialCell(i).contains(p))
            return i;
    return std::nullopt;
}

void paintAttentionMap(QPainter& p, const QRect& rect, const core::AttentionMap& m, const QImage& image)
{
    p.save();
    p.fillRect(rect, Qt::white);
    const int grid = static_cast<int>(m.layout.grid);
    const auto l = AttentionMapLayout::compute(rect, grid, static_cast<int>(m.special.size()));
    const auto scale = scaleOf(m);
    QFont f = p.font();
    f.setPointSizeF(9);
    p.setFont(f);
    p.setPen(Qt::black);
    p.drawText(QRect(rect.left(), rect.top() + 8, rect.width(), 22), Qt::AlignCenter,
               QString::fromStdString(core::attentionMapTitle(m)));
    if (!image.isNull())
        p.drawImage(l.image, image.convertToFormat(QImage::Format_RGB32));
    // Over the image, each patch in the scale's colour, translucent so the image shows through.
    p.setPen(Qt::NoPen);
    for (int r = 0; r < grid; ++r)
        for (int c = 0; c < grid; ++c) {
            QColor colour = scale.colour(m.patches[static_cast<size_t>(r * grid + c)]);
            colour.setAlphaF(image.isNull() ? 1.0 : 0.62);
            p.fillRect(l.patch(r, c), colour);
        }
    p.setPen(QPen(Qt::black, 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(l.image);
    const auto prefix = m.layout.prefix();
    if (m.query >= prefix) { // a patch asks: outline it
        const auto q = m.query - prefix;
        p.setPen(QPen(Qt::white, 2));
        p.drawRect(l.patch(static_cast<int>(q / grid), static_cast<int>(q % grid)).adjusted(1, 1, -1, -1));
        p.setPen(QPen(Qt::black, 2, Qt::DotLine));
        p.drawRect(l.patch(static_cast<int>(q / grid), static_cast<int>(q % grid)).adjusted(1, 1, -1, -1));
    }
    // The special tokens beside the grid, each with its name and number.
    QFont small = f;
    small.setPointSizeF(7.5);
    p.setFont(small);
    for (int i = 0; i < l.specials; ++i) {
        const QRect cell = l.specialCell(i);
        const double v = m.special[static_cast<size_t>(i)];
        p.fillRect(cell, scale.colour(v));
        p.setPen(i == m.query ? QPen(Qt::black, 2) : QPen(Qt::gray, 1));
        p.drawRect(cell);
        p.setPen(scale.position(v) > 0.6 ? Qt::black : Qt::white);
        p.drawText(cell, Qt::AlignCenter, QString::number(v, 'f', 2));
        p.setPen(Qt::black);
        p.drawText(QRect(rect.left() + 4, cell.top(), cell.left() - rect.left() - 8, cell.height()),
                   Qt::AlignRight | Qt::AlignVCenter, QString::fromStdString(m.layout.special[static_cast<size_t>(i)]));
    }
    p.drawText(QRect(l.image.left(), l.image.bottom() + 2, l.image.width(), kBottom), Qt::AlignCenter,
               QObject::tr("%1 x %2 patches of %3 px; %4 of the attention on patches")
                   .arg(grid)
                   .arg(grid)
                   .arg(m.layout.patchSize)
                   .arg(QString::number(100.0 * m.patchShare(), 'f', 1) + "%"));
    p.setFont(f);
    paintColourBar(p, l.colourBar, scale, QObject::tr("attention"), kRight - 40);
    p.restore();
}

AttentionMapView::AttentionMapView(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(360, 280);
}

void AttentionMapView::setMap(const core::AttentionMap& map, const QImage& image)
{
    m_map = map;
    m_image = image;
    update();
}

void AttentionMapView::clear()
{
    m_map.reset();
    m_image = QImage();
    update();
}

void AttentionMapView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    if (!m_map) {
        p.fillRect(rect(), Qt::white);
        p.drawText(rect(), Qt::AlignCenter, tr("No attention map yet"));
        return;
    }
    paintAttentionMap(p, rect(), *m_map, m_image);
}

namespace {
std::optional<int64_t> tokenAt(const core::AttentionMap& m, const QRect& rect, const QPoint& at)
{
    const auto l =
        AttentionMapLayout::compute(rect, static_cast<int>(m.layout.grid), static_cast<int>(m.special.size()));
    if (auto patch = l.patchAt(at))
        return m.layout.patchToken(patch->first, patch->second);
    if (auto special = l.specialAt(at))
        return *special;
    return std::nullopt;
}
} // namespace

void AttentionMapView::mousePressEvent(QMouseEvent* event)
{
    if (!m_map)
        return;
    if (auto token = tokenAt(*m_map, rect(), event->position().toPoint()))
        Q_EMIT tokenClicked(*token);
}

void AttentionMapView::mouseMoveEvent(QMouseEvent* event)
{
    if (!m_map)
        return;
    const auto at = event->position().toPoint();
    const auto token = tokenAt(*m_map, rect(), at);
    if (!token) {
        QToolTip::hideText();
        return;
    }
    const auto prefix = m_map->layout.prefix();
    const double v = *token < prefix ? m_map->special[static_cast<size_t>(*token)]
                                     : m_map->patches[static_cast<size_t>(*token - prefix)];
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("%1: %2 (click: its own attention)")
                           .arg(QString::fromStdString(m_map->layout.tokenName(*token)))
                           .arg(v, 0, 'g', 4),
                       this);
}

} // namespace mlpify::widgets
