// Maps values to colours for heatmaps (a perceptually even viridis-like ramp, or a diverging
// blue-white-red one centred on 0 for signed transfer entropy); no widget, testable headless.
#pragma once

#include <QColor>

namespace mlpify::widgets {

class ColourScale {
public:
    enum class Kind { Sequential, Diverging };

    ColourScale(double lo = 0.0, double hi = 1.0, Kind kind = Kind::Sequential);

    QColor colour(double value) const; // NaN: light grey (no value)
    double lo() const { return m_lo; }
    double hi() const { return m_hi; }
    Kind kind() const { return m_kind; }
    // Position of value in [0, 1] along the ramp (clamped).
    double position(double value) const;

private:
    double m_lo;
    double m_hi;
    Kind m_kind;
};

} // namespace mlpify::widgets
