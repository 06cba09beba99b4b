#include "core/plot/plot.h"
#include "widgets/print_figure.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <gtest/gtest.h>

#include <cmath>

using namespace mlpify;

namespace {

core::Plot twoLines()
{
    core::Plot p;
    p.name = "entropy";
    p.caption = "test";
    p.x = {"block index", true, {}, {}, {}};
    p.y.label = "entropy (nats)";
    core::PlotSeries a, b;
    a.name = "attention";
    b.name = "MLP";
    b.style = 1;
    for (int i = 0; i < 12; ++i) {
        a.x.push_back(i);
        a.y.push_back(1.0 + i);
        b.x.push_back(i);
        b.y.push_back(12.0 - i);
    }
    p.series = {a, b};
    p.spans = {{1.5, 2.5, "removed", 0}};
    return p;
}

QByteArray read(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

TEST(PrintFigure, SizesArePhysicalAndTextStaysText)
{
    QTemporaryDir dir;
    const auto plot = twoLines();
    const auto column = core::printSize("column");
    ASSERT_EQ(widgets::writePlot(plot, column, dir.filePath("f.png"), 300), "");
    const QImage png(dir.filePath("f.png"));
    EXPECT_EQ(png.width(), qRound(3.5 * 300));
    EXPECT_EQ(png.height(), qRound(2.45 * 300));
    EXPECT_NEAR(png.dotsPerMeterX() * 0.0254, 300, 0.5);

    ASSERT_EQ(widgets::writePlot(plot, column, dir.filePath("f.svg")), "");
    const QString svg = read(dir.filePath("f.svg"));
    EXPECT_TRUE(svg.contains("width=\"252") || svg.contains("width=\"3.5in")) << svg.left(600).toStdString();
    for (const char* text : {">entropy (nats)<", ">block index<", ">attention<", ">MLP<", ">removed<"})
        EXPECT_TRUE(svg.contains(text)) << text << " is not SVG text";

    ASSERT_EQ(widgets::writePlot(plot, core::printSize("double"), dir.filePath("f.pdf")), "");
    const QByteArray pdf = read(dir.filePath("f.pdf"));
    EXPECT_TRUE(pdf.startsWith("%PDF-"));
    EXPECT_TRUE(pdf.contains("/FontFile2")) << "the font is embedded";
    // 7.16 in by 3 in: 515.52 by 216 points, which Qt's PDF writer rounds to whole points.
    const QRegularExpression box(R"(/MediaBox \[0 0 (51[56])(\.0*)? 216(\.0*)?\])");
    EXPECT_TRUE(box.match(QString::fromLatin1(pdf)).hasMatch());
}

TEST(PrintFigure, WhiteWithTheLegendAboveTheAxes)
{
    QTemporaryDir dir;
    const auto plot = twoLines();
    ASSERT_EQ(widgets::writePlot(plot, core::printSize("column"), dir.filePath("f.png"), 300), "");
    const QImage img = QImage(dir.filePath("f.png")).convertToFormat(QImage::Format_RGB32);
    // No card: every corner is white.
    for (const QPoint c : {QPoint(0, 0), QPoint(img.width() - 1, 0), QPoint(0, img.height() - 1),
                           QPoint(img.width() - 1, img.height() - 1)})
        EXPECT_EQ(img.pixelColor(c), QColor(Qt::white)) << c.x() << "," << c.y();
    // The first series' colour appears in the top rows (its legend sample), above where the axes start:
    // the axes' frame is the first row, from the top, that is black over most of the width.
    int frameTop = -1;
    for (int y = 0; y < img.height() && frameTop < 0; ++y) {
        int black = 0;
        for (int x = 0; x < img.width(); ++x)
            black += img.pixelColor(x, y).lightness() < 100; // the 0.5 pt frame is 2 px at 300 dpi
        if (black > img.width() / 2)
            frameTop = y;
    }
    ASSERT_GT(frameTop, 0);
    const QColor blue = QColor::fromRgb(core::seriesStyle(0).rgb);
    bool legendAbove = false;
    for (int y = 0; y < frameTop; ++y)
        for (int x = 0; x < img.width(); ++x) {
            const QColor c = img.pixelColor(x, y);
            legendAbove =
                legendAbove || (std::abs(c.red() - blue.red()) < 30 && std::abs(c.green() - blue.green()) < 30 &&
                                std::abs(c.blue() - blue.blue()) < 30);
        }
    EXPECT_TRUE(legendAbove);
}

TEST(PrintFigure, BadPathsSayWhyAndLeaveNothing)
{
    QTemporaryDir dir;
    const QString err = widgets::writePlot(twoLines(), core::printSize("column"), dir.filePath("f.jpg"));
    EXPECT_TRUE(err.contains("f.jpg")) << err.toStdString();
    const QString missing = widgets::writePlot(twoLines(), core::printSize("column"), dir.filePath("no/f.pdf"));
    EXPECT_TRUE(missing.contains("no/f.pdf")) << missing.toStdString();
    EXPECT_EQ(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList{});
}
