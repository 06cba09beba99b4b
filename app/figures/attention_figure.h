// What the Attention tab and `mlpify attention` share: the image a map is drawn over, and the
// figures written to PNG, SVG or PDF.
#pragma once

#include "core/analysis/attention_map_result.h"
#include "core/analysis/attention_stats_result.h"
#include "core/data/dataset.h"

#include <QImage>
#include <QSize>
#include <QString>

#include <vector>

namespace mlpify::app {

// Image `index` of data as stored (uint8, grey or RGB), for drawing; a null image when out of range.
QImage displayImage(const core::Dataset& data, int64_t index);

// Each returns "" on success, else the reason naming the file (widgets/figure_export.h).
QString writeAttentionMapFigure(const core::AttentionMap& map, const QImage& image, const QString& path, QSize size,
                                int dpi);
// distance: mean attention distance, else attention entropy; marked: blocks shaded, named by label.
QString writeAttentionStatsFigure(const core::AttentionStatistics& stats, const core::AttentionStatistics* slimmed,
                                  const std::vector<int64_t>& marked, const QString& label, bool distance,
                                  const QString& path, QSize size, int dpi);

} // namespace mlpify::app
