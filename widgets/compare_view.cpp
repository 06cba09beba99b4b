#include "widgets/compare_view.h"

#include <cmath>

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
    std::function<double(const core::ModelNumbers&)> get;
    std::function<QString(double)> format;
};

const QVector<Quantity>& quantities()
{
    static const QVector<Quantity> q = {
        {QObject::tr("test top-1"), [](const core::ModelNumbers& m) { return m.top1; },
         [](double v) { return v < 0 ? QStringLiteral("–") : QStringLiteral("%1%").arg(100 * v, 0, 'f', 2); }},
        {QObject::tr("parameters"), [](const core::ModelNumbers& m) { return m.parameters; },
         [](double v) { return QLocale().toString(static_cast<qlonglong>(v)); }},
        {QObject::tr("GFLOPs / image"), [](const core::ModelNumbers& m) { return m.gflopsPerImage; },
         [](double v) { return QString::number(v, 'f', 4); }},
        {QObject::tr("images / s"), [](const core::ModelNumbers& m) { return m.imagesPerSecond; },
         [](double v) { return QString::number(v, 'f', 1); }},
        {QObject::tr("run memory MiB"), [](const core::ModelNumbers& m) { return m.runMemoryMiB; },
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

void CompareView::setModels(const std::vector<core::ModelNumbers>& models)
{
    const auto& qs = quantities();
    m_table->clear();
    m_table->setRowCount(static_cast<int>(qs.size()));
    m_table->setColumnCount(static_cast<int>(models.size()) + (models.size() == 2 ? 2 : 1));
    QStringList headers{tr("quantity")};
    for (const auto& m : models)
        headers << QString::fromStdString(m.name);
    if (models.size() == 2)
        headers << tr("after / before");
    m_table->setHorizontalHeaderLabels(headers);
    for (int r = 0; r < qs.size(); ++r) {
        m_table->setItem(r, 0, new QTableWidgetItem(qs[r].name));
        for (size_t c = 0; c < models.size(); ++c)
            m_table->setItem(r, static_cast<int>(c) + 1, new QTableWidgetItem(qs[r].format(qs[r].get(models[c]))));
        if (models.size() == 2) {
            const double ratio = qs[r].get(core::ratios(models[0], models[1]));
            m_table->setItem(
                r, 3, new QTableWidgetItem(std::isnan(ratio) ? QStringLiteral("–") : QString::number(ratio, 'f', 3)));
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
    for (const auto& m : models) {
        auto* set = new QBarSet(QString::fromStdString(m.name));
        const auto relative = core::ratios(models[0], m);
        for (const auto& q : qs) {
            const double ratio = std::isnan(q.get(relative)) ? 0.0 : q.get(relative); // not measured: no bar
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
