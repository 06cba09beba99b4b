#include "widgets/colour_scale.h"

#include <algorithm>
#include <cmath>

namespace mlpify::widgets {

namespace {
// Anchor colours of matplotlib's viridis at 0, 0.25, 0.5, 0.75, 1.
const QColor kViridis[] = {QColor(68, 1, 84), QColor(59, 82, 139), QColor(33, 145, 140), QColor(94, 201, 98),
                           QColor(253, 231, 37)};
const QColor kDiverging[] = {QColor(33, 102, 172), QColor(146, 197, 222), QColor(247, 247, 247), QColor(244, 165, 130),
                             QColor(178, 24, 43)};

QColor ramp(const QColor (&anchors)[5], double t)
{
    const double x = std::clamp(t, 0.0, 1.0) * 4.0;
    const int i = std::min(3, static_cast<int>(x));
    const double f = x - i;
    auto mix = [&](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * f)); };
    return QColor(mix(anchors[i].red(), anchors[i + 1].red()), mix(anchors[i].green(), anchors[i + 1].green()),
                  mix(anchors[i].blue(), anchors[i + 1].blue()));
}
} // namespace

ColourScale::ColourScale(double lo, double hi, Kind kind) : m_lo(lo), m_hi(hi), m_kind(kind)
{
    if (m_kind == Kind::Diverging) { // symmetric around 0, so white means "no transfer"
        const double m = std::max(std::abs(lo), std::abs(hi));
        m_lo = -m;
        m_hi = m;
    }
    if (!(m_hi > m_lo))
        m_hi = m_lo + 1.0;
}

double ColourScale::position(double value) const
{
    return std::clamp((value - m_lo) / (m_hi - m_lo), 0.0, 1.0);
}

QColor ColourScale::colour(double value) const
{
    if (std::isnan(value))
        return QColor(225, 225, 225);
    return ramp(m_kind == Kind::Sequential ? kViridis : kDiverging, position(value));
}

} // namespace mlpify::widgets
