#include "widgets/figure_export.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSettings>
#include <QSpinBox>
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

bool askFigureSettings(QWidget* parent, FigureSettings* out)
{
    QSettings settings;
    QDialog dialog(parent);
    dialog.setWindowTitle(QObject::tr("Export Figure"));
    auto* form = new QFormLayout(&dialog);
    auto spin = [&](const char* key, int fallback, int lo, int hi, const QString& label) {
        auto* box = new QSpinBox(&dialog);
        box->setRange(lo, hi);
        box->setValue(settings.value(key, fallback).toInt());
        form->addRow(label, box);
        return box;
    };
    auto* width = spin("export/width", 900, 100, 10000, QObject::tr("&Width (px)"));
    auto* height = spin("export/height", 540, 100, 10000, QObject::tr("&Height (px)"));
    auto* dpi = spin("export/dpi", 150, 50, 1200, QObject::tr("&DPI"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    settings.setValue("export/width", width->value());
    settings.setValue("export/height", height->value());
    settings.setValue("export/dpi", dpi->value());
    *out = {QSize(width->value(), height->value()), dpi->value()};
    return true;
}

} // namespace mlpify::widgets
