#include "widgets/figure_export.h"

#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>

namespace mlpify::widgets {

QString exportFigure(QWidget& widget, const QString& path, QSize size, int dpi)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext != "png" && ext != "svg" && ext != "pdf")
        return QObject::tr("%1: unknown figure format '%2' (use .png, .svg or .pdf)").arg(path, ext);
    const QSize old = widget.size();
    widget.resize(size);
    widget.ensurePolished();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QObject::tr("%1: cannot write (%2)").arg(path, file.errorString());
    bool ok = true;
    if (ext == "png") {
        QImage image(size, QImage::Format_ARGB32);
        image.fill(Qt::white);
        image.setDotsPerMeterX(qRound(dpi / 0.0254));
        image.setDotsPerMeterY(qRound(dpi / 0.0254));
        QPainter p(&image);
        widget.render(&p);
        p.end();
        ok = image.save(&file, "PNG");
    } else if (ext == "svg") {
        QSvgGenerator svg;
        svg.setOutputDevice(&file);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setResolution(dpi);
        svg.setTitle(widget.windowTitle());
        QPainter p(&svg);
        widget.render(&p);
        ok = p.end();
    } else {
        QPdfWriter pdf(&file);
        pdf.setResolution(dpi);
        pdf.setPageSize(
            QPageSize(QSizeF(size.width() * 25.4 / dpi, size.height() * 25.4 / dpi), QPageSize::Millimeter));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter p(&pdf);
        widget.render(&p);
        ok = p.end();
    }
    widget.resize(old);
    if (!ok || !file.commit())
        return QObject::tr("%1: writing the figure failed").arg(path);
    return {};
}

} // namespace mlpify::widgets
