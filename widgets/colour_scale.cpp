#include "widgets/colour_scale.h"

#include "core/plot/plot.h"

#include <algorithm>
#include <cmath>

namespace mlpify::widgets {

namespace {
// The ramps' evenly spaced anchors (core::colourRamp, shared with the TeX and matplotlib figures).
QColor ramp(const std::vector<unsigned>& anchors, double t)
{
    const int last = static_cast<int>(anchors.size()) - 1;
    const double x = std::clamp(t, 0.0, 1.0) * last;
    const int i = std::min(last - 1, static_cast<int>(x));
    const double f = x - i;
    const QColor a = QColor::fromRgb(anchors[i]), b = QColor::fromRgb(anchors[i + 1]);
    auto mix = [&](int u, int v) { return static_cast<int>(std::lround(u + (v - u) * f)); };
    return QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()));
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
        return QColor::fromRgb(core::kNoValueRgb);
    return ramp(core::colourRamp(m_kind == Kind::Diverging), position(value));
}

} // namespace mlpify::widgets
