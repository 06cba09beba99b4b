#include "app/figures/attention_figure.h"

#include "widgets/attention_map_view.h"
#include "widgets/attention_stats_view.h"
#include "widgets/figure_export.h"

#include <torch/torch.h>

namespace mlpify::app {

QImage displayImage(const core::Dataset& data, int64_t index)
{
    if (index < 0 || index >= data.size())
        return {};
    // [C, H, W] -> [H, W, C], contiguous bytes for QImage (which copies them below).
    const auto hwc = data.images[index].permute({1, 2, 0}).contiguous();
    const int h = static_cast<int>(hwc.size(0)), w = static_cast<int>(hwc.size(1));
    const auto c = hwc.size(2);
    if (c == 1)
        return QImage(hwc.data_ptr<uint8_t>(), w, h, w, QImage::Format_Grayscale8).copy();
    if (c == 3)
        return QImage(hwc.data_ptr<uint8_t>(), w, h, 3 * w, QImage::Format_RGB888).copy();
    return {};
}

QString writeAttentionMapFigure(const core::AttentionMap& map, const QImage& image, const QString& path, QSize size,
                                int dpi)
{
    widgets::AttentionMapView view;
    view.setMap(map, image);
    return widgets::exportFigure(view, path, size, dpi);
}

QString writeAttentionStatsFigure(const core::AttentionStatistics& stats, const core::AttentionStatistics* slimmed,
                                  const std::vector<int64_t>& marked, const QString& label, bool distance,
                                  const QString& path, QSize size, int dpi)
{
    widgets::AttentionStatsView view;
    view.setMetric(distance ? widgets::AttentionMetric::Distance : widgets::AttentionMetric::Entropy);
    view.setStatistics(stats, slimmed);
    view.setMarkedBlocks(marked, label);
    return widgets::exportFigure(view, path, size, dpi);
}

} // namespace mlpify::app
