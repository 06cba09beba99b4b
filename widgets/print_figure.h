// Draws a core::Plot in print style: white, no card or shadow, fonts and lines in points at a
// print size, the legend above the axes so it never covers data. PDF and SVG keep text as text
// (the PDF embeds its font); the same Plot gives the pgfplots and matplotlib forms (core/plot).
#pragma once

#include "core/plot/plot.h"

#include <QString>

class QPainter;
class QRectF;

namespace mlpify::widgets {

// Paints plot into area, whose units are points (1/72 in) in the painter's coordinates.
void paintPlot(QPainter& painter, const QRectF& area, const core::Plot& plot, const core::PrintSize& size);

// Writes plot at its print size; the format follows the extension (.pdf, .svg, .png at dpi). Returns
// an empty string on success, else the reason naming the file; a failure leaves no half-written file.
QString writePlot(const core::Plot& plot, const core::PrintSize& size, const QString& path, int dpi = 300);

} // namespace mlpify::widgets
