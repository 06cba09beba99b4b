#include "widgets/colour_scale.h"
#include "widgets/figure_export.h"
#include "widgets/heatmap_view.h"

#include <QImage>
#include <QPainter>
#include <QTemporaryDir>
#include <gtest/gtest.h>

#include <cmath>

using namespace mlpify::widgets;

TEST(ColourScale, EndpointsMiddleAndNaN)
{
    ColourScale seq(2.0, 4.0);
    EXPECT_EQ(seq.colour(2.0), QColor(68, 1, 84));
    EXPECT_EQ(seq.colour(4.0), QColor(253, 231, 37));
    EXPECT_EQ(seq.colour(10.0), QColor(253, 231, 37)); // clamped
    EXPECT_DOUBLE_EQ(seq.position(3.0), 0.5);
    EXPECT_EQ(seq.colour(std::nan("")), QColor(225, 225, 225));
    ColourScale div(-1.0, 3.0, ColourScale::Kind::Diverging);
    EXPECT_DOUBLE_EQ(div.lo(), -3.0); // symmetric, so 0 is white
    EXPECT_EQ(div.colour(0.0), QColor(247, 247, 247));
}

TEST(HeatmapLayout, CellsTileTheGridAndHitTestingInvertsThem)
{
    const auto l = HeatmapLayout::compute(QRect(0, 0, 700, 400), 5, 12);
    for (int r = 0; r < 5; ++r)
        for (int c = 0; c < 12; ++c) {
            const QRect cell = l.cell(r, c);
            const auto hit = l.cellAt(cell.center());
            ASSERT_TRUE(hit.has_value());
            EXPECT_EQ(hit->first, r);
            EXPECT_EQ(hit->second, c);
        }
    EXPECT_EQ(l.cell(4, 11).bottomRight(), l.grid.bottomRight());
    EXPECT_FALSE(l.cellAt(QPoint(1, 1)).has_value());
}

TEST(HeatmapView, PaintsTheValuesItIsGiven)
{
    HeatmapData d;
    d.values = {{-1.0, 0.0, 1.0}, {std::nan(""), 2.0, -2.0}};
    d.rowLabels = {"1", "2"};
    d.columnLabels = {"0", "1", "2"};
    d.highlighted = {{0, 2}};
    HeatmapView view;
    view.setData(d);
    QTemporaryDir dir;
    const QString png = dir.filePath("h.png");
    ASSERT_TRUE(exportFigure(view, png, QSize(500, 300)).isEmpty());
    QImage img(png);
    const auto l = HeatmapLayout::compute(QRect(0, 0, 500, 300), 2, 3);
    const auto scale = scaleFor(d);
    // the centre of each cell has the colour of its value
    EXPECT_EQ(img.pixelColor(l.cell(1, 1).center()), scale.colour(2.0));
    EXPECT_EQ(img.pixelColor(l.cell(1, 2).center()), scale.colour(-2.0));
    EXPECT_EQ(img.pixelColor(l.cell(1, 0).center()), QColor(225, 225, 225));
    // the highlighted cell has a dark frame
    const QRect h = l.cell(0, 2);
    EXPECT_LT(img.pixelColor(h.left() + 1, h.center().y()).lightness(), 60);
}

TEST(HeatmapView, AHoveredNoseCellShowsItsIntervalAndTheColumnsTheirStability)
{
    mlpify::core::SelectionResult sel;
    sel.method = "nose";
    sel.selected = {1, 0};
    sel.candidates = {{0.5, 0.125}, {0.25, std::nan("")}};
    sel.candidatesLow = {{0.375, 0.0625}, {0.125, std::nan("")}};
    sel.candidatesHigh = {{0.625, 0.25}, {0.5, std::nan("")}};
    sel.resamples = 100;
    auto d = mlpify::widgets::noseHeatmapData(sel, "bits");
    EXPECT_EQ(mlpify::widgets::cellText(d, 0, 1),
              "step 1, attention layer 1: 0.125 bits (95% interval 0.0625 to 0.25, 100 resamples)");
    EXPECT_EQ(mlpify::widgets::cellText(d, 1, 1), "step 2, attention layer 1: no value");
    mlpify::widgets::setColumnFrequencies(d, {1.0, 0.4}, 10);
    EXPECT_EQ(d.columnNotes, (QStringList{"100%", "40%"}));
    EXPECT_TRUE(mlpify::widgets::cellText(d, 0, 1).endsWith("\nchosen in % of 10 resamples: 40%"))
        << mlpify::widgets::cellText(d, 0, 1).toStdString();
    // Painted with the notes, the figure still draws every cell.
    QImage image(500, 300, QImage::Format_RGB32);
    QPainter painter(&image);
    mlpify::widgets::paintHeatmap(painter, image.rect(), d);
    painter.end();
    const auto layout = mlpify::widgets::HeatmapLayout::compute(image.rect(), 2, 2);
    EXPECT_NE(image.pixel(layout.cell(0, 0).center()), qRgb(255, 255, 255));
}
