// Renders any widget (charts, heatmaps) to PNG, SVG or PDF at a chosen size and DPI; never
// opens a dialog, so the GUI, the CLI and tests call the same code.
#pragma once

#include <QSize>
#include <QString>

class QWidget;

namespace mlpify::widgets {

// Format follows the extension (.png, .svg, .pdf). Returns an empty string on success, else the
// reason (naming the file). Writes to a temporary file first, so a failure never leaves half a file.
QString exportFigure(QWidget& widget, const QString& path, QSize sizeInPixels, int dpi = 150);

struct FigureSettings {
    QSize size{900, 540};
    int dpi = 150;
};
// Asks for a figure's size and DPI, starting from the last answer (kept in QSettings); false when
// the user cancels.
bool askFigureSettings(QWidget* parent, FigureSettings* settings);

} // namespace mlpify::widgets
