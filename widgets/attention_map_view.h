// One image's attention drawn over the image at patch resolution, with a colour bar, and the
// special tokens (class, distillation, registers) as a column of cells beside the patch grid.
#pragma once

#include "core/analysis/attention_map_result.h"

#include <QImage>
#include <QString>
#include <QWidget>

#include <optional>
#include <utility>

namespace mlpify::widgets {

// Geometry shared by painting and clicking; plain arithmetic, testable without a display.
struct AttentionMapLayout {
    QRect image;   // the patch grid over the image, square
    QRect special; // the special tokens' cells, one above the other
    QRect colourBar;
    int grid = 0, specials = 0;
    static AttentionMapLayout compute(const QRect& area, int grid, int specials);
    QRect patch(int row, int col) const;
    QRect specialCell(int index) const;
    std::optional<std::pair<int, int>> patchAt(const QPoint& p) const;
    std::optional<int> specialAt(const QPoint& p) const;
};

// Paints the figure into rect: the widget and figure export alike. image: the input as shown
// (any size; drawn scaled to the grid), or null for the map alone.
void paintAttentionMap(QPainter& painter, const QRect& rect, const core::AttentionMap& map, const QImage& image);

class AttentionMapView : public QWidget {
    Q_OBJECT
public:
    explicit AttentionMapView(QWidget* parent = nullptr);
    void setMap(const core::AttentionMap& map, const QImage& image);
    void clear();
    bool hasMap() const { return m_map.has_value(); }
    const core::AttentionMap& map() const { return *m_map; }
    QSize sizeHint() const override { return {560, 440}; }

Q_SIGNALS:
    // A click on a patch or a special token asks for that token's attention.
    void tokenClicked(qint64 token);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    std::optional<core::AttentionMap> m_map;
    QImage m_image;
};

} // namespace mlpify::widgets
