// A line chart that grows as points arrive (training curves) or is set whole (spectra): named
// series, axes that follow the data, values on hover. The other chart widgets build on it.
#pragma once

#include <QChartView>
#include <QPointF>
#include <QVector>

class QLineSeries;
class QValueAxis;

namespace mlpify::widgets {

class LineChartView : public QChartView {
    Q_OBJECT
public:
    LineChartView(const QString& title, const QString& xTitle, const QString& yTitle, QWidget* parent = nullptr);

    // Returns the series' id; points = true marks every point (for sparse series, e.g. per epoch).
    int addSeries(const QString& name, const QColor& color, Qt::PenStyle style = Qt::SolidLine, bool points = false);
    void setPoints(int id, const QVector<QPointF>& points);
    void append(int id, double x, double y);
    void clearPoints(); // keeps the series, drops their points
    void removeAllSeries();
    void setYRange(double lo, double hi); // fixed y range (e.g. lambda in [0, 1]); default: follows the data
    void setTitle(const QString& title);

    int seriesCount() const;
    int pointCount(int id) const;
    QPointF lastPoint(int id) const;

private:
    void rescale();

    QVector<QLineSeries*> m_series;
    QValueAxis* m_x = nullptr;
    QValueAxis* m_y = nullptr;
    bool m_fixedY = false;
    double m_yLo = 0, m_yHi = 1;
    double m_minX = 0, m_maxX = 0, m_minY = 0, m_maxY = 0;
    bool m_empty = true;
};

} // namespace mlpify::widgets
