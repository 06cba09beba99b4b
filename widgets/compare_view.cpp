#include "widgets/compare_view.h"

#include "widgets/chart_theme.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHeaderView>
#include <QLegend>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <functional>

namespace mlpify::widgets {

namespace {
struct Quantity {
    QString name;
    std::function<double(const ModelNumbers&)> get;
    std::function<QString(double)> format;
};

const QVector<Quantity>& quantities()
{
    static const QVector<Quantity> q = {
        {QObject::tr("test top-1"), [](const ModelNumbers& m) { return m.top1; },
         [](double v) { return v < 0 ? QStringLiteral("–") : QStringLiteral("%1%").arg(100 * v, 0, 'f', 2); }},
        {QObject::tr("parameters"), [](const ModelNumbers& m) { return m.parameters; },
         [](double v) { return QLocale().toString(static_cast<qlonglong>(v)); }},
        {QObject::tr("GFLOPs / image"), [](const ModelNumbers& m) { return m.gflopsPerImage; },
         [](double v) { return QString::number(v, 'f', 4); }},
        {QObject::tr("images / s"), [](const ModelNumbers& m) { return m.imagesPerSecond; },
         [](double v) { return QString::number(v, 'f', 1); }},
        {QObject::tr("run memory MiB"), [](const ModelNumbers& m) { return m.runMemoryMiB; },
         [](double v) { return v < 0 ? QStringLiteral("–") : QString::number(v, 'f', 1); }},
    };
    return q;
}
} // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent)
{
    m_table = new QTableWidget(this);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->setMaximumHeight(190);
    m_chart = new QChartView(new QChart, this);
    m_chart->setRenderHint(QPainter::Antialiasing);
    m_chart->chart()->setTitle(tr("Relative to the original (1 = unchanged)"));
    followPalette(m_chart);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(m_chart, 1);
    setModels({});
}

void CompareView::setModels(const QVector<ModelNumbers>& models)
{
    const auto& qs = quantities();
    m_table->clear();
    m_table->setRowCount(static_cast<int>(qs.size()));
    m_table->setColumnCount(static_cast<int>(models.size()) + (models.size() == 2 ? 2 : 1));
    QStringList headers{tr("quantity")};
    for (const auto& m : models)
        headers << m.name;
    if (models.size() == 2)
        headers << tr("after / before");
    m_table->setHorizontalHeaderLabels(headers);
    for (int r = 0; r < qs.size(); ++r) {
        m_table->setItem(r, 0, new QTableWidgetItem(qs[r].name));
        for (int c = 0; c < models.size(); ++c)
            m_table->setItem(r, c + 1, new QTableWidgetItem(qs[r].format(qs[r].get(models[c]))));
        if (models.size() == 2) {
            const double a = qs[r].get(models[0]), b = qs[r].get(models[1]);
            m_table->setItem(
                r, 3, new QTableWidgetItem(a > 0 && b >= 0 ? QString::number(b / a, 'f', 3) : QStringLiteral("–")));
        }
    }
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);

    auto* chart = new QChart;
    chart->setTitle(tr("Relative to the original (1 = unchanged)"));
    auto* series = new QBarSeries;
    QStringList categories;
    for (const auto& q : qs)
        categories << q.name;
    double hi = 1.0;
    for (int c = 0; c < models.size(); ++c) {
        auto* set = new QBarSet(models[c].name);
        for (const auto& q : qs) {
            const double ref = q.get(models[0]), v = q.get(models[c]);
            const double ratio = ref > 0 && v >= 0 ? v / ref : 0.0;
            *set << ratio;
            hi = std::max(hi, ratio);
        }
        series->append(set);
    }
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    auto* y = new QValueAxis;
    y->setRange(0, hi * 1.1);
    y->setTitleText(tr("ratio to the original"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->setAlignment(Qt::AlignBottom);
    showChart(m_chart, chart);
}

QString CompareView::cell(int row, int column) const
{
    const auto* item = m_table->item(row, column);
    return item ? item->text() : QString();
}

int CompareView::rowCount() const
{
    return m_table->rowCount();
}

} // namespace mlpify::widgets
