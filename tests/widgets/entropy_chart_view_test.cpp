#include "widgets/entropy_chart_view.h"
#include "widgets/figure_export.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace mlpify;

namespace {
core::EntropyProfile sampleProfile(bool removedOne)
{
    core::EntropyProfile p;
    p.units = "nats";
    for (int b = 0; b < 4; ++b) {
        core::BlockEntropy e;
        e.block = b;
        if (removedOne && b == 1)
            e.mode = {core::AttnMode::Removed, 0.0};
        else
            e.attn = -10.0 + b;
        e.mlp = -12.0 + 2 * b;
        e.out = -5.0 + b;
        p.blocks.push_back(e);
    }
    return p;
}
} // namespace

TEST(EntropyChartView, DrawsOneCurvePerBranchAndShadesRemovedBlocks)
{
    widgets::EntropyChartView view;
    view.setProfiles(sampleProfile(false));
    EXPECT_EQ(view.seriesCount(), 4); // attention and MLP: line + markers each
    const auto slim = sampleProfile(true);
    view.setProfiles(sampleProfile(false), &slim);
    EXPECT_EQ(view.seriesCount(), 6 + 1); // plus the slimmed MLP curve and one shaded block
    view.setShowBlockOutput(true);
    EXPECT_EQ(view.seriesCount(), 8 + 1);
}

TEST(FigureExport, WritesValidPngSvgAndPdf)
{
    QTemporaryDir dir;
    widgets::EntropyChartView view;
    view.setProfiles(sampleProfile(false));
    const QString png = dir.filePath("f.png"), svg = dir.filePath("f.svg"), pdf = dir.filePath("f.pdf");
    EXPECT_TRUE(widgets::exportFigure(view, png, QSize(640, 400), 200).isEmpty());
    EXPECT_TRUE(widgets::exportFigure(view, svg, QSize(640, 400)).isEmpty());
    EXPECT_TRUE(widgets::exportFigure(view, pdf, QSize(640, 400)).isEmpty());
    QImage img(png);
    ASSERT_FALSE(img.isNull());
    EXPECT_EQ(img.size(), QSize(640, 400));
    EXPECT_NEAR(img.dotsPerMeterX() * 0.0254, 200, 1);
    QFile s(svg);
    ASSERT_TRUE(s.open(QIODevice::ReadOnly));
    const QByteArray svgText = s.readAll();
    EXPECT_TRUE(svgText.contains("<svg"));
    EXPECT_TRUE(svgText.contains("</svg>"));
    QFile p(pdf);
    ASSERT_TRUE(p.open(QIODevice::ReadOnly));
    EXPECT_TRUE(p.read(5) == "%PDF-");
    const QString err = widgets::exportFigure(view, dir.filePath("f.bmpx"), QSize(10, 10));
    EXPECT_TRUE(err.contains("f.bmpx"));
    EXPECT_FALSE(QFile::exists(dir.filePath("f.bmpx")));
}
