#include "widgets/print_figure.h"

#include "widgets/colour_scale.h"

#include <QFileInfo>
#include <QFontMetricsF>
#include <QImage>
#include <QPainter>
#include <QPainterPath>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>

namespace mlpify::widgets {

namespace {

constexpr double kPi = 3.14159265358979323846;

QColor rgb(unsigned c)
{
    return QColor::fromRgb(c);
}

QString text(const std::string& s, bool numeric)
{
    QString t = QString::fromStdString(s);
    if (numeric && t.startsWith('-'))
        t.replace(0, 1, QChar(0x2212)); // a true minus sign, as TeX sets it
    return t;
}

QVector<qreal> dashPattern(const std::string& dash, double width)
{
    // In pen widths, the same lengths in points as the TeX form.
    auto scaled = [width](std::initializer_list<double> pts) {
        QVector<qreal> v;
        for (double p : pts)
            v << p / width;
        return v;
    };
    if (dash == "dashed")
        return scaled({3.0, 1.5});
    if (dash == "dotted")
        return scaled({0.8, 1.2});
    if (dash == "dashdotted")
        return scaled({3.0, 1.2, 0.8, 1.2});
    return {};
}

QPen linePen(const QColor& colour, double width, const std::string& dash)
{
    QPen pen(colour, width);
    pen.setCapStyle(Qt::FlatCap);
    pen.setJoinStyle(Qt::RoundJoin);
    if (const auto pattern = dashPattern(dash, width); !pattern.isEmpty())
        pen.setDashPattern(pattern);
    return pen;
}

void drawMarker(QPainter& p, const QPointF& c, double r, const std::string& shape, const QColor& colour)
{
    p.save();
    p.setPen(QPen(colour, r * 0.3));
    p.setBrush(colour);
    auto polygon = [&](int corners, double rotation, double inner) {
        QPolygonF poly;
        const int n = inner > 0 ? corners * 2 : corners;
        for (int i = 0; i < n; ++i) {
            const double a = rotation + 2.0 * kPi * i / n;
            const double rr = (inner > 0 && i % 2) ? r * inner : r;
            poly << QPointF(c.x() + rr * std::sin(a), c.y() - rr * std::cos(a));
        }
        p.drawPolygon(poly);
    };
    if (shape == "square")
        p.drawRect(QRectF(c.x() - r * 0.85, c.y() - r * 0.85, r * 1.7, r * 1.7));
    else if (shape == "triangle")
        polygon(3, 0.0, 0.0);
    else if (shape == "diamond")
        polygon(4, 0.0, 0.0);
    else if (shape == "pentagon")
        polygon(5, 0.0, 0.0);
    else if (shape == "star")
        polygon(5, 0.0, 0.45);
    else
        p.drawEllipse(c, r, r);
    p.restore();
}

// Hatching in points (a pattern brush would follow device pixels), white over the bar's colour.
void hatch(QPainter& p, const QRectF& r, const std::string& kind)
{
    if (kind.empty() || r.width() <= 0 || r.height() <= 0)
        return;
    p.save();
    p.setClipRect(r, Qt::IntersectClip);
    p.setPen(QPen(Qt::white, 0.4));
    const double gap = 2.2;
    const double span = r.width() + r.height();
    auto diagonal = [&](bool rising) {
        for (double d = -span; d <= span; d += gap)
            rising ? p.drawLine(QPointF(r.left() + d, r.bottom()), QPointF(r.left() + d + span, r.bottom() - span))
                   : p.drawLine(QPointF(r.left() + d, r.top()), QPointF(r.left() + d + span, r.top() + span));
    };
    if (kind == "north east lines")
        diagonal(true);
    else if (kind == "north west lines")
        diagonal(false);
    else if (kind == "crosshatch") {
        diagonal(true);
        diagonal(false);
    } else if (kind == "horizontal lines") {
        for (double y = r.bottom() - gap / 2; y > r.top(); y -= gap)
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y));
    } else if (kind == "dots") {
        p.setBrush(Qt::white);
        p.setPen(Qt::NoPen);
        for (double y = r.bottom() - gap / 2; y > r.top(); y -= gap)
            for (double x = r.left() + gap / 2; x < r.right(); x += gap)
                p.drawEllipse(QPointF(x, y), 0.35, 0.35);
    }
    p.restore();
}

QColor spanColour(int shade)
{
    return shade ? QColor(0xCF, 0xCF, 0xCF) : QColor(0xEB, 0xEB, 0xEB);
}
const QColor kReference(0x66, 0x66, 0x66);

struct Frame {
    QRectF axes;
    core::PlotRanges r;
    bool reversedY = false;
    double x(double v) const { return axes.left() + (v - r.xMin) / (r.xMax - r.xMin) * axes.width(); }
    double y(double v) const
    {
        const double t = (v - r.yMin) / (r.yMax - r.yMin);
        return reversedY ? axes.top() + t * axes.height() : axes.bottom() - t * axes.height();
    }
};

void drawLegendSample(QPainter& p, const QRectF& box, const core::Plot& plot, const core::LegendEntry& e,
                      const core::PrintSize& size)
{
    const QPointF mid = box.center();
    if (e.kind == core::LegendEntry::Kind::Span) {
        p.fillRect(QRectF(box.left(), mid.y() - size.fontPt * 0.3, box.width(), size.fontPt * 0.6),
                   spanColour(plot.spans[e.index].shade));
        return;
    }
    if (e.kind == core::LegendEntry::Kind::Reference) {
        p.setPen(QPen(kReference, size.lineWidthPt * 0.7));
        p.drawLine(QPointF(box.left(), mid.y()), QPointF(box.right(), mid.y()));
        return;
    }
    const auto& s = plot.series[e.index];
    const auto& st = core::seriesStyle(s.style);
    const QColor c = rgb(st.rgb);
    if (s.kind == core::SeriesKind::Bars) {
        const QRectF r(box.left(), mid.y() - size.fontPt * 0.35, box.width(), size.fontPt * 0.7);
        p.fillRect(r, c);
        hatch(p, r, st.hatch);
        p.setPen(QPen(Qt::black, 0.4));
        p.setBrush(Qt::NoBrush);
        p.drawRect(r);
        return;
    }
    if (s.kind == core::SeriesKind::Line) {
        p.setPen(linePen(c, size.lineWidthPt, st.dash));
        p.drawLine(QPointF(box.left(), mid.y()), QPointF(box.right(), mid.y()));
    }
    if (s.kind == core::SeriesKind::Points || s.markers)
        drawMarker(p, mid, size.fontPt * 0.17, st.marker, c);
}

void drawSeries(QPainter& p, const Frame& f, const core::PrintSize& size, const core::PlotSeries& s)
{
    const auto& st = core::seriesStyle(s.style);
    const QColor c = rgb(st.rgb);
    const size_t n = std::min(s.x.size(), s.y.size());
    const double shift = s.kind == core::SeriesKind::Bars ? s.barOffset * s.barWidth : 0.0;
    if (s.kind == core::SeriesKind::Bars) {
        for (size_t i = 0; i < n; ++i) {
            if (!std::isfinite(s.y[i]))
                continue;
            const double x0 = s.x[i] + shift - s.barWidth / 2, x1 = x0 + s.barWidth;
            const QRectF r = QRectF(QPointF(f.x(x0), f.y(s.y[i])), QPointF(f.x(x1), f.y(0.0))).normalized();
            p.fillRect(r, c);
            hatch(p, r, st.hatch);
            p.setPen(QPen(Qt::black, 0.4));
            p.setBrush(Qt::NoBrush);
            p.drawRect(r);
        }
    } else if (s.kind == core::SeriesKind::Line) {
        p.setPen(linePen(c, size.lineWidthPt, st.dash));
        QPainterPath path;
        bool open = false;
        for (size_t i = 0; i < n; ++i) {
            if (!std::isfinite(s.y[i]) || !std::isfinite(s.x[i])) {
                open = false;
                continue;
            }
            const QPointF pt(f.x(s.x[i]), f.y(s.y[i]));
            open ? path.lineTo(pt) : path.moveTo(pt);
            open = true;
        }
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
    const bool intervals = !s.low.empty() && !s.high.empty();
    if (intervals) {
        p.setPen(QPen(s.kind == core::SeriesKind::Bars ? QColor(Qt::black) : c, 0.5));
        const double cap = 0.9;
        for (size_t i = 0; i < n && i < s.low.size() && i < s.high.size(); ++i) {
            if (!std::isfinite(s.low[i]) || !std::isfinite(s.high[i]))
                continue;
            const double x = f.x(s.x[i] + shift);
            p.drawLine(QPointF(x, f.y(s.low[i])), QPointF(x, f.y(s.high[i])));
            p.drawLine(QPointF(x - cap, f.y(s.low[i])), QPointF(x + cap, f.y(s.low[i])));
            p.drawLine(QPointF(x - cap, f.y(s.high[i])), QPointF(x + cap, f.y(s.high[i])));
        }
    }
    if (s.kind == core::SeriesKind::Points || (s.kind == core::SeriesKind::Line && s.markers))
        for (size_t i = 0; i < n; ++i)
            if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
                drawMarker(p, QPointF(f.x(s.x[i]), f.y(s.y[i])), size.fontPt * 0.17, st.marker, c);
}

} // namespace

void paintPlot(QPainter& p, const QRectF& area, const core::Plot& plot, const core::PrintSize& size)
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(area, Qt::white);
    const double dpi = p.device() ? p.device()->logicalDpiY() : 72.0;
    QFont font(QStringLiteral("DejaVu Sans"));
    // Font sizes go through the device's DPI and then the painter's scale to points: undo the first.
    font.setPointSizeF(size.fontPt * 72.0 / dpi);
    p.setFont(font);
    const QFontMetricsF fm(font, p.device());
    const double em = size.fontPt, pad = 0.35 * em, tick = 0.35 * em, line = fm.height();

    const bool heatmap = plot.heatmap.has_value();
    const auto xt = core::axisTicks(plot, true, size), yt = core::axisTicks(plot, false, size);
    const bool numericX = !heatmap && plot.x.categories.empty(), numericY = !heatmap && plot.y.categories.empty();
    const bool verticalX = core::verticalXLabels(xt, size);
    double yLabelWidth = 0, xLabelExtent = 0;
    for (const auto& l : yt.labels)
        yLabelWidth = std::max(yLabelWidth, fm.horizontalAdvance(text(l, numericY)));
    for (const auto& l : xt.labels)
        xLabelExtent = std::max(xLabelExtent, verticalX ? fm.horizontalAdvance(text(l, numericX)) : line);

    // The legend: rows of equal columns centred above the axes.
    const auto legend = core::legendEntries(plot);
    const int columns = core::legendColumns(plot, size);
    double entryWidth = 0;
    for (const auto& e : legend)
        entryWidth = std::max(entryWidth, 2.0 * em + 0.4 * em + fm.horizontalAdvance(QString::fromStdString(e.name)));
    const int legendRows = legend.empty() ? 0 : static_cast<int>((legend.size() + columns - 1) / columns);
    const double columnWidth = entryWidth + em;
    const double legendHeight = legendRows * line * 1.1;

    // The colour bar of a heatmap, at the right.
    const core::Ticks ct = heatmap ? core::colourBarTicks(*plot.heatmap) : core::Ticks{};
    double barLabels = 0;
    for (const auto& l : ct.labels)
        barLabels = std::max(barLabels, fm.horizontalAdvance(text(l, true)));
    const double barWidth = 0.8 * em, barRight = heatmap ? em + barWidth + tick + pad + barLabels + pad + line : 0.0;

    const double left = area.left() + pad + line + pad + yLabelWidth + tick + pad * 0.5;
    const double top = area.top() + pad + (legendRows ? legendHeight + pad : line * 0.5);
    const double bottom = area.bottom() - (pad + line + pad + xLabelExtent + pad * 0.5 + tick);
    const double lastLabel =
        xt.labels.empty() || verticalX ? 0 : fm.horizontalAdvance(text(xt.labels.back(), numericX)) / 2;
    const double right = area.right() - pad - std::max(barRight, lastLabel);
    Frame f{QRectF(QPointF(left, top), QPointF(right, bottom)), core::plotRanges(plot), heatmap};

    p.save();
    p.setClipRect(f.axes);
    for (const auto& s : plot.spans)
        p.fillRect(QRectF(QPointF(f.x(s.from), f.axes.top()), QPointF(f.x(s.to), f.axes.bottom())).normalized(),
                   spanColour(s.shade));
    if (!heatmap) {
        p.setPen(QPen(QColor(0xE0, 0xE0, 0xE0), 0.3));
        for (double v : yt.values)
            p.drawLine(QPointF(f.axes.left(), f.y(v)), QPointF(f.axes.right(), f.y(v)));
    } else {
        const auto& h = *plot.heatmap;
        const auto [lo, hi] = core::heatmapRange(h);
        const ColourScale scale(lo, hi, h.diverging ? ColourScale::Kind::Diverging : ColourScale::Kind::Sequential);
        for (size_t r = 0; r < h.values.size(); ++r)
            for (size_t c = 0; c < h.values[r].size(); ++c) {
                const double cr = static_cast<double>(r), cc = static_cast<double>(c);
                // Cells overlap by a hair so that no background shows between them.
                p.fillRect(
                    QRectF(QPointF(f.x(cc - 0.5), f.y(cr - 0.5)), QPointF(f.x(cc + 0.5) + 0.05, f.y(cr + 0.5) + 0.05)),
                    scale.colour(h.values[r][c]));
            }
        p.setPen(QPen(Qt::black, size.lineWidthPt * 1.2));
        p.setBrush(Qt::NoBrush);
        for (const auto& [r, c] : h.marked)
            p.drawRect(QRectF(QPointF(f.x(c - 0.5), f.y(r - 0.5)), QPointF(f.x(c + 0.5), f.y(r + 0.5))).normalized());
    }
    for (const auto& ref : plot.references) {
        p.setPen(QPen(kReference, size.lineWidthPt * 0.7));
        p.drawLine(QPointF(f.axes.left(), f.y(ref.y)), QPointF(f.axes.right(), f.y(ref.y)));
    }
    for (const auto& s : plot.series)
        drawSeries(p, f, size, s);
    p.restore();

    // Axes: a thin box, ticks outside, labels.
    p.setPen(QPen(Qt::black, 0.5));
    p.setBrush(Qt::NoBrush);
    p.drawRect(f.axes);
    for (size_t i = 0; i < xt.values.size(); ++i) {
        const double x = f.x(xt.values[i]);
        p.drawLine(QPointF(x, f.axes.bottom()), QPointF(x, f.axes.bottom() + tick));
        const QString label = text(xt.labels[i], numericX);
        if (verticalX) {
            p.save();
            p.translate(x + fm.ascent() / 2 - fm.descent() / 2, f.axes.bottom() + tick + pad * 0.5);
            p.rotate(-90);
            p.drawText(QPointF(-fm.horizontalAdvance(label), 0), label);
            p.restore();
        } else
            p.drawText(QPointF(x - fm.horizontalAdvance(label) / 2, f.axes.bottom() + tick + pad * 0.5 + fm.ascent()),
                       label);
    }
    for (size_t i = 0; i < yt.values.size(); ++i) {
        const double y = f.y(yt.values[i]);
        p.drawLine(QPointF(f.axes.left() - tick, y), QPointF(f.axes.left(), y));
        const QString label = text(yt.labels[i], numericY);
        p.drawText(QPointF(f.axes.left() - tick - pad * 0.5 - fm.horizontalAdvance(label),
                           y + fm.ascent() / 2 - fm.descent() / 2),
                   label);
    }
    const QString xLabel = QString::fromStdString(plot.x.label), yLabel = QString::fromStdString(plot.y.label);
    p.drawText(QPointF(f.axes.center().x() - fm.horizontalAdvance(xLabel) / 2, area.bottom() - pad - fm.descent()),
               xLabel);
    p.save();
    p.translate(area.left() + pad + fm.ascent(), f.axes.center().y() + fm.horizontalAdvance(yLabel) / 2);
    p.rotate(-90);
    p.drawText(QPointF(0, 0), yLabel);
    p.restore();

    if (heatmap) {
        const auto& h = *plot.heatmap;
        const auto [lo, hi] = core::heatmapRange(h);
        const ColourScale scale(lo, hi, h.diverging ? ColourScale::Kind::Diverging : ColourScale::Kind::Sequential);
        const QRectF bar(f.axes.right() + em, f.axes.top(), barWidth, f.axes.height());
        const int slices = 96;
        for (int i = 0; i < slices; ++i) {
            const double v0 = lo + (hi - lo) * i / slices, v1 = lo + (hi - lo) * (i + 1) / slices;
            const double y0 = bar.bottom() - bar.height() * i / slices,
                         y1 = bar.bottom() - bar.height() * (i + 1) / slices;
            p.fillRect(QRectF(QPointF(bar.left(), y1), QPointF(bar.right(), y0 + 0.05)), scale.colour((v0 + v1) / 2));
        }
        p.setPen(QPen(Qt::black, 0.5));
        p.drawRect(bar);
        for (size_t i = 0; i < ct.values.size(); ++i) {
            const double y = bar.bottom() - (ct.values[i] - lo) / (hi - lo) * bar.height();
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + tick, y));
            p.drawText(QPointF(bar.right() + tick + pad * 0.5, y + fm.ascent() / 2 - fm.descent() / 2),
                       text(ct.labels[i], true));
        }
        const QString valueLabel = QString::fromStdString(h.valueLabel);
        p.save();
        p.translate(bar.right() + tick + pad + barLabels + pad + fm.ascent(),
                    bar.center().y() + fm.horizontalAdvance(valueLabel) / 2);
        p.rotate(-90);
        p.drawText(QPointF(0, 0), valueLabel);
        p.restore();
    }

    const double legendLeft = f.axes.center().x() - std::min<double>(columns, legend.size()) * columnWidth / 2 + em / 2;
    for (size_t i = 0; i < legend.size(); ++i) {
        const double x = legendLeft + static_cast<double>(i % columns) * columnWidth;
        const double y = area.top() + pad + static_cast<double>(i / columns) * line * 1.1;
        drawLegendSample(p, QRectF(x, y, 2.0 * em, line), plot, legend[i], size);
        p.setPen(Qt::black);
        p.drawText(QPointF(x + 2.4 * em, y + fm.ascent()), QString::fromStdString(legend[i].name));
    }
    p.restore();
}

QString writePlot(const core::Plot& plot, const core::PrintSize& size, const QString& path, int dpi)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext != "png" && ext != "svg" && ext != "pdf")
        return QObject::tr("%1: unknown figure format '%2' (use .png, .svg or .pdf)").arg(path, ext);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QObject::tr("%1: cannot write (%2)").arg(path, file.errorString());
    const QRectF area(0, 0, size.widthIn * 72.0, size.heightIn * 72.0); // points
    bool ok = true;
    if (ext == "png") {
        QImage image(qRound(size.widthIn * dpi), qRound(size.heightIn * dpi), QImage::Format_ARGB32);
        image.fill(Qt::white);
        image.setDotsPerMeterX(qRound(dpi / 0.0254));
        image.setDotsPerMeterY(qRound(dpi / 0.0254));
        QPainter p(&image);
        p.scale(dpi / 72.0, dpi / 72.0);
        paintPlot(p, area, plot, size);
        p.end();
        ok = image.save(&file, "PNG");
    } else if (ext == "svg") {
        QSvgGenerator svg;
        svg.setOutputDevice(&file);
        svg.setResolution(72); // one user unit is one point
        svg.setSize(area.size().toSize());
        svg.setViewBox(area);
        svg.setTitle(QString::fromStdString(plot.caption.empty() ? plot.name : plot.caption));
        QPainter p(&svg);
        paintPlot(p, area, plot, size);
        ok = p.end();
    } else {
        QPdfWriter pdf(&file);
        pdf.setResolution(1200);
        pdf.setPageSize(QPageSize(QSizeF(size.widthIn, size.heightIn), QPageSize::Inch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setTitle(QString::fromStdString(plot.caption.empty() ? plot.name : plot.caption));
        pdf.setCreator(QStringLiteral("MLPify"));
        QPainter p(&pdf);
        p.scale(1200 / 72.0, 1200 / 72.0);
        paintPlot(p, area, plot, size);
        ok = p.end();
    }
    if (!ok || !file.commit())
        return QObject::tr("%1: cannot write the figure (%2)").arg(path, file.errorString());
    return {};
}

} // namespace mlpify::widgets
