// Charts that follow the application's palette: background, title, legend, axis labels and grid
// come from the palette, when a chart is shown and again on every palette change (as hotspot's
// pages do on PaletteChange), so no caller has to re-theme after a result or a palette switch.
#pragma once

class QChart;
class QChartView;
class QPalette;

namespace mlpify::widgets {

// The workbench's dark palette (the light one is the style's standard palette).
QPalette darkPalette();

void themeChart(QChart* chart, const QPalette& palette);
// Shows chart in view, deleting the chart it replaces (QChartView does not), themed and following
// the palette from then on.
void showChart(QChartView* view, QChart* chart);
// Keeps whatever chart view shows themed: now and on every palette change.
void followPalette(QChartView* view);

} // namespace mlpify::widgets
