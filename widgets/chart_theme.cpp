#include "widgets/chart_theme.h"

#include <QAbstractAxis>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLegend>
#include <QPalette>

namespace mlpify::widgets {

QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    p.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::AlternateBase, QColor(0x33, 0x33, 0x33));
    p.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Button, QColor(0x3a, 0x3a, 0x3a));
    p.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xc6));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3a, 0x3a));
    p.setColor(QPalette::ToolTipText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    return p;
}

namespace {
QColor blend(const QColor& a, const QColor& b, double t)
{
    return QColor::fromRgbF(static_cast<float>(a.redF() + t * (b.redF() - a.redF())),
                            static_cast<float>(a.greenF() + t * (b.greenF() - a.greenF())),
                            static_cast<float>(a.blueF() + t * (b.blueF() - a.blueF())));
}

// Re-themes its view's chart when the view's or the application's palette changes.
class PaletteFollower : public QObject {
public:
    explicit PaletteFollower(QChartView* view) : QObject(view), m_view(view) { setObjectName(kName); }
    static constexpr const char* kName = "mlpify-palette-follower";

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (watched == m_view &&
            (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange))
            themeChart(m_view->chart(), m_view->palette());
        return false;
    }

private:
    QChartView* m_view;
};
} // namespace

void themeChart(QChart* chart, const QPalette& palette)
{
    if (!chart)
        return;
    // Qt's chart themes also reset the series colours; only the background and text are set here.
    const QColor base = palette.color(QPalette::Base), text = palette.color(QPalette::Text);
    chart->setBackgroundBrush(base);
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    for (auto* axis : chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setGridLineColor(blend(base, text, 0.15));
    }
}

void followPalette(QChartView* view)
{
    if (!view->findChild<QObject*>(PaletteFollower::kName, Qt::FindDirectChildrenOnly))
        view->installEventFilter(new PaletteFollower(view));
    themeChart(view->chart(), view->palette());
}

void showChart(QChartView* view, QChart* chart)
{
    QChart* old = view->chart();
    view->setChart(chart);
    if (old != chart)
        delete old;
    followPalette(view);
}

} // namespace mlpify::widgets
